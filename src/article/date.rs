//! Dates in article text: metadata lines (`2025-04-03`, RFC 3339, RFC 2822, `3 avril 2025`,
//! `April 3, 2025`, `03/04/2025`, optional time) and datelines in running text
//! (`les 3 et 4 avril 2025`).
//!
//! chrono parses the numeric and RFC formats; only the French/English month names and the
//! phrase shapes around them are handled here (which shapes of scraped text count as a date
//! is this project's choice, not a library's).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Longest line examined as a possible date line: a date with weekday, time and zone fits well
/// within it, and it keeps a paragraph from being scanned as one.
pub(crate) const MAX_DATE_LINE_CHARS: usize = 80;

/// Month names in 34 languages (CLDR, see `lexicon/months.py`) and weekday names, read once.
struct Calendars {
    months: foldhash::HashMap<String, u32>,
    /// Names with two meanings (`listopada`): each month with the languages that give it.
    ambiguous: foldhash::HashMap<String, Vec<(u32, Vec<String>)>>,
    weekdays: foldhash::HashSet<String>,
    /// Zone abbreviations, uppercase.
    zones: foldhash::HashMap<String, Zone>,
    words: DateWords,
}

fn calendars() -> &'static Calendars {
    static CALENDARS: std::sync::OnceLock<Calendars> = std::sync::OnceLock::new();
    CALENDARS.get_or_init(|| {
        let data = |text: &'static str| {
            text.lines()
                .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        };
        Calendars {
            months: data(include_str!("lexicon/months.tsv"))
                .filter_map(|line| {
                    let [name, number] = line.split('\t').collect::<Vec<_>>()[..] else {
                        return None;
                    };
                    Some((name.to_string(), number.trim().parse().ok()?))
                })
                .collect(),
            ambiguous: data(include_str!("lexicon/months.tsv")).fold(
                foldhash::HashMap::default(),
                |mut names, line| {
                    let fields: Vec<&str> = line.split('\t').collect();
                    if let [name, number, languages] = fields[..] {
                        if let Ok(number) = number.parse() {
                            let languages = languages.split(' ').map(str::to_string).collect();
                            names
                                .entry(name.to_string())
                                .or_insert_with(Vec::new)
                                .push((number, languages));
                        }
                    }
                    names
                },
            ),
            weekdays: data(include_str!("lexicon/weekdays.txt"))
                .map(str::to_string)
                .collect(),
            zones: data(include_str!("lexicon/zones.tsv"))
                .filter_map(|line| {
                    let (name, zone) = line.split_once('\t')?;
                    let zone = zone.trim();
                    let zone = match zone.parse::<FixedOffset>() {
                        Ok(offset) => Zone::Fixed(offset),
                        Err(_) => Zone::Region(zone.parse().ok()?),
                    };
                    Some((name.to_string(), zone))
                })
                .collect(),
            // Checked by `the_date_lexicons_load`; without it no filler word is skipped.
            words: toml::from_str(include_str!("lexicon/date_words.toml")).unwrap_or_default(),
        }
    })
}

/// The small words of date lines (`lexicon/date_words.toml`).
#[derive(Debug, Default, serde::Deserialize)]
struct DateWords {
    /// Words that may stand between the date parts and the time or around them.
    fillers: foldhash::HashSet<String>,
    /// Words that join the day, month and year of one date (`3 de abril de 2025`).
    connectors: foldhash::HashSet<String>,
    /// Letters glued to the front of a month name (Hebrew `באפריל`, "in April").
    month_prefixes: Vec<String>,
    /// Weekday marks of Chinese, Japanese and Korean dates.
    cjk_weekdays: foldhash::HashSet<String>,
    /// Words before a time: morning, afternoon.
    morning: Vec<String>,
    afternoon: Vec<String>,
    /// Words after a time: morning, afternoon (lowercase).
    after_morning: Vec<String>,
    after_afternoon: Vec<String>,
}

fn is_filler(word: &str) -> bool {
    calendars().words.fillers.contains(word)
}

fn is_weekday(word: &str) -> bool {
    let calendars = calendars();
    let lower = crate::text::lowercase(word);
    calendars.weekdays.contains(lower.as_ref()) || calendars.words.cjk_weekdays.contains(word)
}

fn is_connector(word: &str) -> bool {
    calendars().words.connectors.contains(word)
}

/// A date found in an article, before the date rules (zone, default time, day order) apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FoundDate {
    /// A full timestamp with its own offset.
    Instant(DateTime<FixedOffset>),
    /// A calendar date, perhaps with a local time, in no stated zone.
    Local(Calendar, Option<NaiveTime>),
    /// A calendar date and time in a zone the text names (`9:15 a.m. ET`, `14:20 CET`).
    Zoned(Calendar, NaiveTime, Zone),
}

/// A time zone named by an abbreviation in `lexicon/zones.tsv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// A fixed offset (`CET` is always +01:00).
    Fixed(FixedOffset),
    /// A region whose offset depends on the date (`ET` is New York's EST or EDT).
    Region(Tz),
}

/// A calendar date as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Calendar {
    /// Unambiguous: ISO dates and dates with month names.
    Exact(NaiveDate),
    /// `03/04/2025`: which number is the day is for [`DateRules::day_first`] to say.
    Slashed {
        /// The first number.
        first: u32,
        /// The second number.
        second: u32,
        /// The year.
        year: i32,
    },
    /// `8 listopada 2025`: a month name whose meaning depends on the language (November in
    /// Polish, October in Croatian), kept as its index in the ambiguous list.
    Named {
        /// The day of the month.
        day: u32,
        /// Which ambiguous name.
        name: &'static str,
        /// The year.
        year: i32,
    },
}

impl Calendar {
    /// The date, reading a slashed date in the configured order, or in the other one when
    /// only that gives a real date (`13/04/2025` is day first whatever the setting), and an
    /// ambiguous month name in `language` (no date when that language does not use it).
    pub(crate) fn resolve(self, day_first: bool, language: &str) -> Option<NaiveDate> {
        match self {
            Calendar::Exact(date) => Some(date),
            Calendar::Named { day, name, year } => {
                let readings = calendars().ambiguous.get(name)?;
                let (month, _) = readings
                    .iter()
                    .find(|(_, langs)| langs.iter().any(|l| l == language))?;
                NaiveDate::from_ymd_opt(year, *month, day)
            }
            Calendar::Slashed {
                first,
                second,
                year,
            } => {
                let (day, month) = if day_first {
                    (first, second)
                } else {
                    (second, first)
                };
                NaiveDate::from_ymd_opt(year, month, day)
                    .or_else(|| NaiveDate::from_ymd_opt(year, day, month))
            }
        }
    }
}

/// How dates without a zone, time or unambiguous day order are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateRules {
    /// Zone of dates and times that state none.
    pub timezone: Tz,
    /// Time of day given to a date without one.
    pub default_time: NaiveTime,
    /// `03/04/2025` is 3 April (true) or March 4 (false).
    pub day_first: bool,
    /// The article's primary language subtag, which reads month names with two meanings
    /// (see [`language_key`]); empty when unknown or when no such name is in it.
    pub language: &'static str,
}

/// `primary` (`pl`) as a key of the ambiguous month names, or `""` when no such name belongs
/// to it (its dates need no language).
pub(crate) fn language_key(primary: &str) -> &'static str {
    calendars()
        .ambiguous
        .values()
        .flatten()
        .flat_map(|(_, langs)| langs)
        .find(|l| l.as_str() == primary)
        .map_or("", String::as_str)
}

impl Default for DateRules {
    fn default() -> Self {
        Self {
            timezone: Tz::UTC,
            default_time: NaiveTime::MIN,
            day_first: true,
            language: "",
        }
    }
}

/// Years a feed date may have: RFC 822 dates (RSS) need four digits, and year 0 is no date.
pub(crate) const VALID_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

impl FoundDate {
    /// The instant under `rules`; `None` when the date is not a real one, or falls outside
    /// [`VALID_YEARS`] once in UTC, so that it cannot be a feed date.
    pub(crate) fn to_utc(self, rules: &DateRules) -> Option<DateTime<Utc>> {
        let utc = match self {
            FoundDate::Instant(dt) => dt.with_timezone(&Utc),
            FoundDate::Zoned(calendar, time, zone) => {
                let local = calendar
                    .resolve(rules.day_first, rules.language)?
                    .and_time(time);
                match zone {
                    Zone::Fixed(offset) => offset.from_local_datetime(&local).single()?.to_utc(),
                    Zone::Region(tz) => tz.from_local_datetime(&local).earliest()?.to_utc(),
                }
            }
            FoundDate::Local(calendar, time) => {
                let local = calendar
                    .resolve(rules.day_first, rules.language)?
                    .and_time(time.unwrap_or(rules.default_time));
                // In a DST gap the local time does not exist: take the hour after it.
                rules
                    .timezone
                    .from_local_datetime(&local)
                    .earliest()
                    .or_else(|| {
                        let later = local.checked_add_signed(chrono::TimeDelta::hours(1))?;
                        rules.timezone.from_local_datetime(&later).earliest()
                    })?
                    .with_timezone(&Utc)
            }
        };
        VALID_YEARS.contains(&utc.year()).then_some(utc)
    }
}

/// Parses a whole line as a date, or `None` when the line is anything more than a date.
pub(crate) fn parse_date_line(line: &str) -> Option<FoundDate> {
    let line = ascii_digits(line.trim());
    let line = line.as_ref();
    if line.is_empty() || line.chars().count() > MAX_DATE_LINE_CHARS {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(line) {
        return Some(FoundDate::Instant(dt));
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(line) {
        return Some(FoundDate::Instant(dt));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(line, format) {
            return Some(FoundDate::Local(
                Calendar::Exact(dt.date()),
                Some(dt.time()),
            ));
        }
    }
    let tokens = tokenize(line);
    let (date, rest) = date_at_start(&tokens)?;
    // `ET` in capitals is a zone, `et` is French for "and".
    let is_filler = |t: &str| {
        let all_caps = t.chars().count() > 1 && t.chars().all(|c| c.is_uppercase());
        !all_caps && is_filler(&t.to_lowercase())
    };
    // A weekday may follow the date too (`03 Nisan 2025 Perşembe`, `2025年8月6日（水）`).
    let rest: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|t| !is_filler(t) && !is_weekday(t))
        .collect();
    let Some(tail) = time_and_zone(&rest) else {
        // A time in a zone whose abbreviation has several meanings (`18.30 BST`, `IST`):
        // the day is still the day; the time is left out rather than guessed.
        let unknown_zone = matches!(rest.as_slice(), [time, zone] if parse_time(time).is_some()
            && looks_like_zone(zone));
        return (rest.is_empty() || unknown_zone).then_some(FoundDate::Local(date, None));
    };
    Some(match tail {
        (time, None) => FoundDate::Local(date, Some(time)),
        (time, Some(zone)) => FoundDate::Zoned(date, time, zone),
    })
}

/// A time of day and perhaps its zone, from the tokens after a date: `14:20`, `9:15 a.m. ET`,
/// `14:20 Uhr MESZ`, `9 p.m.`; `None` when the tokens are anything else.
fn time_and_zone(tokens: &[&str]) -> Option<(NaiveTime, Option<Zone>)> {
    let (first, rest) = tokens.split_first()?;
    // A word for morning or afternoon before the time, apart (`오후 3:20`) or glued
    // (`午後3時20分`).
    let words = &calendars().words;
    let half = words
        .morning
        .iter()
        .map(|w| (w, "am"))
        .chain(words.afternoon.iter().map(|w| (w, "pm")))
        .find_map(|(w, half)| Some((first.strip_prefix(w.as_str())?, half)));
    let (half, time, rest) = match half {
        Some(("", half)) => {
            let (time, rest) = rest.split_first()?;
            (Some(half), *time, rest)
        }
        Some((glued, half)) => (Some(half), glued, rest),
        None => (None, *first, rest),
    };
    let (time, zone) = clock_time(time, rest)?;
    let time = match half {
        Some(half) => meridiem(time, half)?,
        None => time,
    };
    Some((time, zone))
}

/// A time token and what may follow it: a.m./p.m., "o'clock", a zone.
fn clock_time(time: &str, rest: &[&str]) -> Option<(NaiveTime, Option<Zone>)> {
    // `17 h 30` (French Canada): the hour, `h`, the minutes.
    if let [h, minutes, after @ ..] = rest {
        if h.eq_ignore_ascii_case("h") && time.len() <= 2 && minutes.len() == 2 {
            if let Some(time) = parse_time(&format!("{time}h{minutes}")) {
                let (_, zone) = clock_time("0:00", after)?;
                return Some((time, zone));
            }
        }
    }
    // `4:30pm`, `7.05am`: the half of the day glued to the time.
    let lower = time.to_lowercase();
    for half in ["am", "pm", "a.m", "p.m"] {
        if let Some(bare) = lower.strip_suffix(half).filter(|b| !b.is_empty()) {
            let (time, zone) = clock_time(bare, rest)?;
            return Some((meridiem(time, half)?, zone));
        }
    }
    let marked = rest.first().is_some_and(|w| {
        let w = w.to_lowercase();
        is_meridiem(&w) || O_CLOCK.contains(&w.as_str())
    });
    // A bare hour is a time only when a.m./p.m. or "o'clock" follows (`9 a.m.`, `14 Uhr`).
    let time = parse_time(time).or_else(|| {
        let hour: u32 = time.parse().ok().filter(|_| marked && time.len() <= 2)?;
        NaiveTime::from_hms_opt(hour, 0, 0)
    })?;
    let (time, rest) = match rest.split_first() {
        Some((word, after)) => match meridiem(time, word) {
            Some(time) => (time, after),
            None => (time, rest),
        },
        None => (time, rest),
    };
    // `14:20 Uhr`, `10 h`: the word for "o'clock" adds nothing.
    let rest = match rest.split_first() {
        Some((word, after)) if O_CLOCK.contains(&word.to_lowercase().as_str()) => after,
        _ => rest,
    };
    match rest {
        [] => Some((time, None)),
        [zone] => Some((time, Some(parse_zone(zone)?))),
        _ => None,
    }
}

/// A word that may be a time zone's abbreviation: two to five capitals (`BST`, `IST`).
fn looks_like_zone(token: &str) -> bool {
    (2..=5).contains(&token.chars().count()) && token.chars().all(|c| c.is_ascii_uppercase())
}

/// A line that is only a time, perhaps with its zone (`11:25`, `14:20 Uhr MESZ`): the part
/// after a date on a metadata line with separators (`13.05.2025 | 11:25`).
pub(crate) fn parse_time_line(line: &str) -> Option<(NaiveTime, Option<Zone>)> {
    let line = ascii_digits(line.trim());
    if line.chars().count() > MAX_DATE_LINE_CHARS {
        return None;
    }
    let tokens: Vec<&str> = tokenize(&line)
        .into_iter()
        .filter(|t| !is_filler(&t.to_lowercase()))
        .collect();
    time_and_zone(&tokens)
}

impl FoundDate {
    /// This date at `time` (in `zone` when given), when it has no time yet.
    pub(crate) fn at(self, time: NaiveTime, zone: Option<Zone>) -> Self {
        match (self, zone) {
            (FoundDate::Local(calendar, None), None) => FoundDate::Local(calendar, Some(time)),
            (FoundDate::Local(calendar, None), Some(zone)) => {
                FoundDate::Zoned(calendar, time, zone)
            }
            (found, _) => found,
        }
    }
}

/// Words after a time that mean "o'clock".
const O_CLOCK: &[&str] = &["uhr", "h", "hrs", "hs", "saat"];

/// `time` read on a 12-hour clock when `word` says morning or afternoon (`am`, `p.m` (which
/// has lost its last dot to the tokenizer), Arabic `م`); `None` when it says neither.
fn meridiem(time: NaiveTime, word: &str) -> Option<NaiveTime> {
    let word = word.to_lowercase();
    let words = &calendars().words;
    let afternoon = if words.after_afternoon.contains(&word) {
        true
    } else if words.after_morning.contains(&word) {
        false
    } else {
        return None;
    };
    let hour = time.hour();
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour = match (afternoon, hour) {
        (false, 12) => 0,
        (true, 12) => 12,
        (true, h) => h + 12,
        (false, h) => h,
    };
    time.with_hour(hour)
}

/// A word after a time that says morning or afternoon (`am`, `p.m`, Arabic `م`).
fn is_meridiem(word: &str) -> bool {
    meridiem(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default(), word).is_some()
}

/// A zone abbreviation from `lexicon/zones.tsv`, or a numeric offset (`+02:00`, `UTC+2`).
fn parse_zone(token: &str) -> Option<Zone> {
    let upper = token.to_uppercase();
    if let Some(zone) = calendars().zones.get(&upper) {
        return Some(*zone);
    }
    let offset = upper
        .strip_prefix("UTC")
        .or_else(|| upper.strip_prefix("GMT"))
        .unwrap_or(&upper);
    let (sign, digits) = match offset.split_at_checked(1)? {
        ("+", d) => (1, d),
        ("-" | "−", d) => (-1, d),
        _ => return None,
    };
    let (h, m) = digits.split_once(':').unwrap_or(match digits.len() {
        4 => digits.split_at(2),
        _ => (digits, "0"),
    });
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed)
}

/// Finds the first complete day-month-year expression in running text (`3 avril 2025`,
/// `1er mai 2025`, `April 3, 2025`, `2025-04-03`). In `les 3 et 4 avril 2025` that is
/// `4 avril 2025`: the first day that stands with its month and year.
pub(crate) fn find_date_in_text(text: &str) -> Option<FoundDate> {
    if !text.contains(char::is_numeric) {
        return None;
    }
    let text = ascii_digits(text);
    let tokens = tokenize(&text);
    (0..tokens.len())
        .find_map(|i| date_at(&tokens, i).map(|(date, _)| FoundDate::Local(date, None)))
}

/// `text` with Arabic-Indic and Persian digits as ASCII digits (`٣ أبريل ٢٠٢٥`).
fn ascii_digits(text: &str) -> std::borrow::Cow<'_, str> {
    let arabic = |c: char| matches!(c, '\u{660}'..='\u{669}' | '\u{6f0}'..='\u{6f9}');
    if !text.chars().any(arabic) {
        return text.into();
    }
    text.chars()
        .map(|c| match c {
            '\u{660}'..='\u{669}' => char::from(b'0' + (c as u32 - 0x660) as u8),
            '\u{6f0}'..='\u{6f9}' => char::from(b'0' + (c as u32 - 0x6f0) as u8),
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Splits into words and numbers, dropping punctuation that may stick to them.
fn tokenize(text: &str) -> Vec<&str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';' | '（' | '）' | '，')
    })
    .map(|t| t.trim_matches(|c: char| matches!(c, '.' | ':' | '–' | '—' | '«' | '»' | '"')))
    // A dash between a date and its time (`18 de marzo de 2025 - 08:20`).
    .filter(|t| !t.is_empty() && !t.chars().all(|c| matches!(c, '-' | '–' | '—')))
    .collect()
}

/// Whether a date line may start with `word`: a digit, a month or weekday name, a filler
/// (`on`, `le`). A cheap test before the full parse, for scans over every word of a line.
pub(crate) fn may_start_date(word: &str) -> bool {
    let word = word.trim_matches(|c: char| matches!(c, ',' | '.' | '(' | ')'));
    if word.starts_with(|c: char| c.is_numeric()) {
        return true;
    }
    if !word.starts_with(char::is_alphabetic) {
        return false;
    }
    let lower = word.to_lowercase();
    is_filler(&lower) || is_weekday(&lower) || month(&lower).is_some()
}

/// A date at the start of `tokens` after optional weekday and filler words; returns the date
/// and the tokens after it.
fn date_at_start<'a>(tokens: &'a [&'a str]) -> Option<(Calendar, &'a [&'a str])> {
    let mut start = 0;
    while let Some(token) = tokens.get(start) {
        let lower = token.to_lowercase();
        if calendars().weekdays.contains(&lower) || is_filler(&lower) {
            start += 1;
        } else {
            break;
        }
    }
    date_at(tokens, start).map(|(date, used)| (date, &tokens[start + used..]))
}

/// A date whose first token is `tokens[i]`: returns it with the number of tokens it used.
fn date_at(tokens: &[&str], i: usize) -> Option<(Calendar, usize)> {
    let first = tokens.get(i)?;
    // Every form starts with a number or a month name: most words of running text are let go
    // here, before anything is parsed.
    if !first.starts_with(|c: char| c.is_ascii_digit()) && month(first).is_none() {
        return None;
    }
    if let Some(date) = numeric_date(first) {
        return Some((date, 1));
    }
    // The next two tokens that are not connectors, and how many tokens the three span.
    let mut parts = tokens
        .iter()
        .enumerate()
        .skip(i + 1)
        .filter(|(_, t)| !is_connector(&t.to_lowercase()))
        .take(2);
    let (_, second) = parts.next()?;
    let (last, third) = parts.next()?;
    let used = last + 1 - i;
    let exact = |year, month, day| {
        let calendar = match month {
            Month::Number(m) => Calendar::Exact(NaiveDate::from_ymd_opt(year, m, day)?),
            Month::Ambiguous(name) => Calendar::Named { day, name, year },
        };
        Some((calendar, used))
    };
    // 3 avril 2025, 1er mai 2025, 3 April 2025
    if let (Some(day), Some(month), Some(year)) = (day(first), month(second), year(third)) {
        return exact(year, month, day);
    }
    // April 3, 2025 / April 3rd 2025
    if let (Some(month), Some(day), Some(year)) = (month(first), day(second), year(third)) {
        return exact(year, month, day);
    }
    // `2025. április 9.` (Hungarian): year, month, day.
    if let (Some(year), Some(month), Some(day)) = (year(first), month(second), day(third)) {
        return exact(year, month, day);
    }
    // `7. 5. 2025` (Czech, Slovak): day, month number, year, spaced.
    let month_number =
        day(second).filter(|m| (1..=12).contains(m) && !second.contains(['s', 't', 'e']));
    if let (Some(day), Some(month), Some(year)) = (day(first), month_number, year(third)) {
        return exact(year, Month::Number(month), day);
    }
    None
}

/// A month name's meaning.
#[derive(Debug, Clone, Copy)]
enum Month {
    Number(u32),
    /// A name with two meanings, resolved by the article's language.
    Ambiguous(&'static str),
}

/// `2025-04-03`, or `03/04/2025` (order decided later) when one reading is a real date.
fn numeric_date(token: &str) -> Option<Calendar> {
    if let Ok(date) = NaiveDate::parse_from_str(token, "%Y-%m-%d") {
        return Some(Calendar::Exact(date));
    }
    // 2025年4月3日 (Chinese and Japanese)
    if let Some((year, rest)) = token.split_once('年') {
        let (month, rest) = rest.split_once('月')?;
        let day = rest.strip_suffix('日')?;
        return NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
            .map(Calendar::Exact);
    }
    // `03.04.2025` is day first wherever dots separate a date (German, Polish, Russian, ...).
    let dotted: Vec<&str> = token.split('.').collect();
    if let [a, m, b] = dotted.as_slice() {
        if (1..=2).contains(&m.len()) {
            // `2025.07.21` (Korean, Chinese) is year first.
            let (y, d) = if a.len() == 4 { (a, b) } else { (b, a) };
            let y = match y.len() {
                // `06.04.25`: the two-digit year of this century, as on forms and bylines.
                2 => 2000 + y.parse::<i32>().ok()?,
                _ => year(y)?,
            };
            if (1..=2).contains(&d.len()) {
                return NaiveDate::from_ymd_opt(y, m.parse().ok()?, d.parse().ok()?)
                    .map(Calendar::Exact);
            }
        }
    }
    let parts: Vec<&str> = token.split(['/', '-']).collect();
    // `2025/06/18`: year first is always year, month, day.
    if let [y, m, d] = parts.as_slice() {
        if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) {
            return NaiveDate::from_ymd_opt(year(y)?, m.parse().ok()?, d.parse().ok()?)
                .map(Calendar::Exact);
        }
    }
    if let [a, b, y] = parts.as_slice() {
        if y.len() == 4 && (1..=2).contains(&a.len()) && (1..=2).contains(&b.len()) {
            let slashed = Calendar::Slashed {
                first: a.parse().ok()?,
                second: b.parse().ok()?,
                year: year(y)?,
            };
            return slashed.resolve(true, "").map(|_| slashed);
        }
    }
    None
}

fn day(token: &str) -> Option<u32> {
    let lower = token.to_lowercase();
    let digits = ["er", "st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| lower.strip_suffix(suffix))
        .unwrap_or(&lower);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn month(token: &str) -> Option<Month> {
    let lower = crate::text::lowercase(token);
    let lower = lower.as_ref();
    let calendars = calendars();
    if let Some(number) = calendars.months.get(lower) {
        return Some(Month::Number(*number));
    }
    let glued = calendars.words.month_prefixes.iter().find_map(|p| {
        let rest = lower.strip_prefix(p.as_str())?;
        calendars.months.get(rest)
    });
    if let Some(number) = glued {
        return Some(Month::Number(*number));
    }
    let (name, _) = calendars.ambiguous.get_key_value(lower)?;
    Some(Month::Ambiguous(name.as_str()))
}

fn year(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok().filter(|y| (1000..=9999).contains(y))
}

/// `14:30`, `14h30`, `14h`, `14:30:05`.
fn parse_time(token: &str) -> Option<NaiveTime> {
    // `3時20分`, `3点20分`, `3시 20분`: hour and minute marks of Chinese, Japanese, Korean.
    let lower = token
        .to_lowercase()
        .replace(['時', '点', '시'], ":")
        .replace(['分', '분'], "");
    let lower = lower.strip_suffix(':').unwrap_or(&lower);
    // `14:20`, `14h20`, and `08.15` (Nordic).
    let (h, m) = lower.split_once(['h', ':', '.'])?;
    let (m, s) = m.split_once(':').unwrap_or((m, "0"));
    let m = if m.is_empty() { "0" } else { m };
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, s.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn local(line: &str) -> (NaiveDate, Option<NaiveTime>) {
        match parse_date_line(line) {
            Some(FoundDate::Local(c, t)) => (c.resolve(true, "pl").expect("real date"), t),
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn utc(found: FoundDate, rules: &DateRules) -> String {
        found
            .to_utc(rules)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default()
    }

    #[test]
    fn iso_date_line() {
        assert_eq!(local("2025-04-03"), (ymd(2025, 4, 3), None));
    }

    #[test]
    fn rfc3339_and_rfc2822_keep_their_offset() {
        let Some(FoundDate::Instant(dt)) = parse_date_line("2025-04-03T08:30:00+02:00") else {
            panic!("rfc3339");
        };
        assert_eq!(dt.to_rfc3339(), "2025-04-03T08:30:00+02:00");
        let Some(FoundDate::Instant(dt)) = parse_date_line("Thu, 03 Apr 2025 10:15:00 +0000")
        else {
            panic!("rfc2822");
        };
        assert_eq!(dt.to_rfc3339(), "2025-04-03T10:15:00+00:00");
    }

    #[test]
    fn month_name_lines_in_french_and_english() {
        assert_eq!(local("3 avril 2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("1er mai 2025"), (ymd(2025, 5, 1), None));
        assert_eq!(local("April 3, 2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("3 April 2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("Jeudi 3 avril 2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("03/04/2025"), (ymd(2025, 4, 3), None));
    }

    // Issue 16: dates outside French and English were not read, and articles dated in
    // April showed up dated the day they were first seen.
    #[test]
    fn month_names_and_forms_of_other_languages() {
        for line in [
            "3. April 2025",
            "Donnerstag, 3. April 2025",
            "3 kwietnia 2025",
            "3 kwietnia 2025 r.",
            "3 апреля 2025 г.",
            "3 квітня 2025",
            "3 de abril de 2025",
            "3 d’abril de 2025",
            "3 aprile 2025",
            "giovedì 3 aprile 2025",
            "3 april 2025",
            "3 Nisan 2025",
            "3 Απριλίου 2025",
            "2025年4月3日",
            "٣ أبريل ٢٠٢٥",
            "۳ آوریل ۲۰۲۵",
        ] {
            assert_eq!(local(line), (ymd(2025, 4, 3), None), "{line}");
        }
    }

    #[test]
    fn the_date_lexicons_load() {
        let words: DateWords =
            toml::from_str(include_str!("lexicon/date_words.toml")).expect("valid lexicon");
        assert!(words.fillers.contains("alle") && words.connectors.contains("de"));
        let lines = include_str!("lexicon/zones.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(calendars().zones.len(), lines, "every zone line parses");
    }

    #[test]
    fn a_month_name_with_two_meanings_is_read_in_the_articles_language() {
        let found = parse_date_line("8 listopada 2025").expect("a date line");
        let polish = DateRules {
            language: language_key("pl"),
            ..DateRules::default()
        };
        let croatian = DateRules {
            language: language_key("hr"),
            ..DateRules::default()
        };
        assert_eq!(utc(found, &polish), "2025-11-08T00:00:00+00:00");
        assert_eq!(utc(found, &croatian), "2025-10-08T00:00:00+00:00");
        // In a language without the name there is no date rather than a guess.
        assert_eq!(found.to_utc(&DateRules::default()), None);
        assert_eq!(language_key("en"), "");
    }

    #[test]
    fn dotted_and_dashed_numeric_dates() {
        assert_eq!(local("03.04.2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("3.4.2025"), (ymd(2025, 4, 3), None));
        assert_eq!(local("03-04-2025"), (ymd(2025, 4, 3), None));
        assert_eq!(parse_date_line("32.04.2025"), None);
    }

    #[test]
    fn clock_words_meridiem_and_zones() {
        let rules = DateRules::default();
        let at = |line: &str| utc(parse_date_line(line).expect(line), &rules);
        assert_eq!(at("03.04.2025, 14:20 Uhr"), "2025-04-03T14:20:00+00:00");
        assert_eq!(at("Apr. 3, 2025, 9:15 a.m."), "2025-04-03T09:15:00+00:00");
        assert_eq!(at("April 3, 2025 9 p.m."), "2025-04-03T21:00:00+00:00");
        assert_eq!(at("April 3, 2025 12:30 AM"), "2025-04-03T00:30:00+00:00");
        assert_eq!(at("3 avril 2025 à 10h15"), "2025-04-03T10:15:00+00:00");
        // A fixed abbreviation, a numeric offset, and a region whose offset the date decides
        // (New York is on daylight time in April, standard time in January).
        assert_eq!(at("3 April 2025 14:20 CEST"), "2025-04-03T12:20:00+00:00");
        assert_eq!(at("3 April 2025 14:20 UTC+3"), "2025-04-03T11:20:00+00:00");
        assert_eq!(
            at("Apr. 3, 2025, 9:15 a.m. ET"),
            "2025-04-03T13:15:00+00:00"
        );
        assert_eq!(
            at("Jan. 3, 2025, 9:15 a.m. ET"),
            "2025-01-03T14:15:00+00:00"
        );
        // Numeric forms, weekdays, clock words and zones of many languages.
        for (line, want) in [
            ("2025/05/12 14:30", "2025-05-12T14:30:00+00:00"),
            ("2025年8月6日（水）午後3時20分", "2025-08-06T15:20:00+00:00"),
            ("2025.07.21. 오후 3:20", "2025-07-21T15:20:00+00:00"),
            ("06.04.25, 12:30", "2025-04-06T12:30:00+00:00"),
            ("7. 5. 2025 15:40", "2025-05-07T15:40:00+00:00"),
            ("03 Nisan 2025 Perşembe 11:35", "2025-04-03T11:35:00+00:00"),
            ("vr 11 apr 2025, 13:05", "2025-04-11T13:05:00+00:00"),
            (
                "11th February 2025, 4:30pm GMT",
                "2025-02-11T16:30:00+00:00",
            ),
            (
                "Tuesday 8 April 2025 7.05am EDT",
                "2025-04-08T11:05:00+00:00",
            ),
            (
                "2025. április 9., szerda 10:05",
                "2025-04-09T10:05:00+00:00",
            ),
            ("Mo., 3. Nov. 2025, 07:15 Uhr", "2025-11-03T07:15:00+00:00"),
            (
                "1er juillet 2025 à 17 h 30 HAE",
                "2025-07-01T21:30:00+00:00",
            ),
            ("٠٢/٠٩/٢٠٢٥ - ٠٤:١٥ م", "2025-09-02T16:15:00+00:00"),
            (
                "سه‌شنبه ۲۱ اکتبر ۲۰۲۵ - ساعت ۱۴:۲۰",
                "2025-10-21T14:20:00+00:00",
            ),
            (
                "Thứ hai, 15/12/2025, 14:30 (GMT+7)",
                "2025-12-15T07:30:00+00:00",
            ),
            ("9 марта 2025, 18:30 (мск)", "2025-03-09T15:30:00+00:00"),
            ("2025-05-20 10:15（北京时间）", "2025-05-20T02:15:00+00:00"),
            ("3 באפריל 2025", "2025-04-03T00:00:00+00:00"),
            ("3 квітня 2025 року", "2025-04-03T00:00:00+00:00"),
        ] {
            assert_eq!(at(line), want, "{line}");
        }
        let date = parse_date_line("13.05.2025").expect("date");
        let (time, zone) = parse_time_line("11:25").expect("time");
        assert_eq!(
            utc(date.at(time, zone), &rules),
            "2025-05-13T11:25:00+00:00"
        );
        for line in [
            "April 3, 2025 9:15 xyz",
            "April 3, 2025 13:15 p.m.",
            "April 3, 2025 7",
        ] {
            assert_eq!(parse_date_line(line), None, "{line}");
        }
        // An abbreviation with several meanings keeps the day, not the time.
        assert_eq!(at("Sat 5 Apr 2025 18.30 BST"), "2025-04-05T00:00:00+00:00");
    }

    #[test]
    fn optional_time() {
        let t = |h, m| Some(NaiveTime::from_hms_opt(h, m, 0).expect("time"));
        assert_eq!(local("3 avril 2025 à 14h30"), (ymd(2025, 4, 3), t(14, 30)));
        assert_eq!(local("April 3, 2025 14:30"), (ymd(2025, 4, 3), t(14, 30)));
        assert_eq!(local("2025-04-03 09:05"), (ymd(2025, 4, 3), t(9, 5)));
    }

    #[test]
    fn sentences_and_impossible_dates_are_not_date_lines() {
        for line in [
            "Ce jeudi, la Russie a annoncé le 3 avril 2025 une coopération.",
            "31 février 2025",
            "2025-13-01",
            "Auteur: Pierre",
            "3 avril",
            "",
        ] {
            assert_eq!(parse_date_line(line), None, "{line:?}");
        }
    }

    #[test]
    fn dateline_takes_first_complete_expression() {
        let text = "Moscou, Russie – À l’issue des premières réunions du format Russie–AES, \
                    tenues les 3 et 4 avril 2025 à Moscou, les relations";
        let exact = |d| Some(FoundDate::Local(Calendar::Exact(d), None));
        assert_eq!(find_date_in_text(text), exact(ymd(2025, 4, 4)));
        assert_eq!(
            find_date_in_text("Published on March 9th, 2024 by the desk"),
            exact(ymd(2024, 3, 9))
        );
        assert_eq!(
            find_date_in_text("no date in 2025 here, only 3 words"),
            None
        );
    }

    #[test]
    fn zoneless_dates_read_as_utc_midnight_by_default() {
        let found = FoundDate::Local(Calendar::Exact(ymd(2025, 4, 3)), None);
        assert_eq!(
            utc(found, &DateRules::default()),
            "2025-04-03T00:00:00+00:00"
        );
    }

    #[test]
    fn configured_zone_and_default_time_apply_to_zoneless_dates() {
        let rules = DateRules {
            timezone: chrono_tz::Europe::Paris,
            default_time: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
            day_first: true,
            language: "",
        };
        let summer = parse_date_line("3 avril 2025").expect("date");
        assert_eq!(utc(summer, &rules), "2025-04-03T07:00:00+00:00");
        let with_time = parse_date_line("3 janvier 2025 à 14h30").expect("date");
        assert_eq!(utc(with_time, &rules), "2025-01-03T13:30:00+00:00");
        // A stated offset wins over the configured zone.
        let instant = parse_date_line("2025-04-03T08:30:00Z").expect("date");
        assert_eq!(utc(instant, &rules), "2025-04-03T08:30:00+00:00");
        // 02:30 does not exist in Paris on 2025-03-30 (clocks jump 02:00 → 03:00).
        let gap = parse_date_line("2025-03-30 02:30").expect("date");
        assert_eq!(utc(gap, &rules), "2025-03-30T01:30:00+00:00");
    }

    #[test]
    fn slashed_dates_follow_the_configured_order_unless_impossible() {
        let day_first = DateRules::default();
        let month_first = DateRules {
            day_first: false,
            ..DateRules::default()
        };
        let slashed = parse_date_line("03/04/2025").expect("date");
        assert_eq!(utc(slashed, &day_first), "2025-04-03T00:00:00+00:00");
        assert_eq!(utc(slashed, &month_first), "2025-03-04T00:00:00+00:00");
        let only_day_first = parse_date_line("13/04/2025").expect("date");
        assert_eq!(
            utc(only_day_first, &month_first),
            "2025-04-13T00:00:00+00:00"
        );
        assert_eq!(parse_date_line("13/13/2025"), None);
    }

    // Regression: a year outside 1..=9999 in UTC made `to_rfc2822` panic while rendering.
    #[test]
    fn dates_that_leave_four_digit_years_in_utc_are_no_dates() {
        for line in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:30:00-05:00"] {
            let found = parse_date_line(line).expect("parses as a date line");
            assert_eq!(found.to_utc(&DateRules::default()), None, "{line}");
        }
    }
}
