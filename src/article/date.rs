//! Dates in article text: metadata lines (`2025-04-03`, RFC 3339, RFC 2822, `3 avril 2025`,
//! `April 3, 2025`, `03/04/2025`, optional time) and datelines in running text
//! (`les 3 et 4 avril 2025`).
//!
//! chrono parses the numeric and RFC formats; only the French/English month names and the
//! phrase shapes around them are handled here (which shapes of scraped text count as a date
//! is this project's choice, not a library's).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Longest line examined as a possible date line: a date with weekday, time and zone fits well
/// within it, and it keeps a paragraph from being scanned as one.
pub(crate) const MAX_DATE_LINE_CHARS: usize = 80;

/// Month names in 34 languages (CLDR, see `lexicon/months.py`) and weekday names, read once.
struct Calendars {
    months: std::collections::HashMap<String, u32>,
    weekdays: std::collections::HashSet<String>,
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
                    let (name, number) = line.split_once('\t')?;
                    Some((name.to_string(), number.trim().parse().ok()?))
                })
                .collect(),
            weekdays: data(include_str!("lexicon/weekdays.txt"))
                .map(str::to_string)
                .collect(),
        }
    })
}

/// Words that may stand between the date parts and the time or around them.
const FILLER: &[&str] = &[
    "le", "the", "on", "à", "a", "at", "de", "du", "of", "et", "and",
    // The year abbreviations that follow a year in Russian, Ukrainian and Polish.
    "г", "р", "r",
];

/// Words that join the day, month and year of one date (`3 de abril de 2025`).
const CONNECTORS: &[&str] = &["de", "del", "do", "da"];

/// A date found in an article, before the date rules (zone, default time, day order) apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FoundDate {
    /// A full timestamp with its own offset.
    Instant(DateTime<FixedOffset>),
    /// A calendar date, perhaps with a local time, in no stated zone.
    Local(Calendar, Option<NaiveTime>),
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
}

impl Calendar {
    /// The date, reading a slashed date in the configured order, or in the other one when
    /// only that gives a real date (`13/04/2025` is day first whatever the setting).
    pub(crate) fn resolve(self, day_first: bool) -> Option<NaiveDate> {
        match self {
            Calendar::Exact(date) => Some(date),
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
}

impl Default for DateRules {
    fn default() -> Self {
        Self {
            timezone: Tz::UTC,
            default_time: NaiveTime::MIN,
            day_first: true,
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
            FoundDate::Local(calendar, time) => {
                let local = calendar
                    .resolve(rules.day_first)?
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
    let rest: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|t| !FILLER.contains(&t.to_lowercase().as_str()))
        .collect();
    match rest.as_slice() {
        [] => Some(FoundDate::Local(date, None)),
        [time] => parse_time(time).map(|t| FoundDate::Local(date, Some(t))),
        _ => None,
    }
}

/// Finds the first complete day-month-year expression in running text (`3 avril 2025`,
/// `1er mai 2025`, `April 3, 2025`, `2025-04-03`). In `les 3 et 4 avril 2025` that is
/// `4 avril 2025`: the first day that stands with its month and year.
pub(crate) fn find_date_in_text(text: &str) -> Option<FoundDate> {
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
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';'))
        .map(|t| t.trim_matches(|c: char| matches!(c, '.' | ':' | '–' | '—' | '«' | '»' | '"')))
        .filter(|t| !t.is_empty())
        .collect()
}

/// A date at the start of `tokens` after optional weekday and filler words; returns the date
/// and the tokens after it.
fn date_at_start<'a>(tokens: &'a [&'a str]) -> Option<(Calendar, &'a [&'a str])> {
    let mut start = 0;
    while let Some(token) = tokens.get(start) {
        let lower = token.to_lowercase();
        if calendars().weekdays.contains(&lower) || FILLER.contains(&lower.as_str()) {
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
    if let Some(date) = numeric_date(first) {
        return Some((date, 1));
    }
    // The next two tokens that are not connectors, and how many tokens the three span.
    let mut parts = tokens
        .iter()
        .enumerate()
        .skip(i + 1)
        .filter(|(_, t)| !CONNECTORS.contains(&t.to_lowercase().as_str()))
        .take(2);
    let (_, second) = parts.next()?;
    let (last, third) = parts.next()?;
    let used = last + 1 - i;
    let exact = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map(|d| (Calendar::Exact(d), used));
    // 3 avril 2025, 1er mai 2025, 3 April 2025
    if let (Some(day), Some(month), Some(year)) = (day(first), month(second), year(third)) {
        return exact(year, month, day);
    }
    // April 3, 2025 / April 3rd 2025
    if let (Some(month), Some(day), Some(year)) = (month(first), day(second), year(third)) {
        return exact(year, month, day);
    }
    None
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
    let parts: Vec<&str> = token.split('/').collect();
    if let [a, b, y] = parts.as_slice() {
        if y.len() == 4 && (1..=2).contains(&a.len()) && (1..=2).contains(&b.len()) {
            let slashed = Calendar::Slashed {
                first: a.parse().ok()?,
                second: b.parse().ok()?,
                year: year(y)?,
            };
            return slashed.resolve(true).map(|_| slashed);
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

fn month(token: &str) -> Option<u32> {
    calendars().months.get(&token.to_lowercase()).copied()
}

fn year(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok().filter(|y| (1000..=9999).contains(y))
}

/// `14:30`, `14h30`, `14h`, `14:30:05`.
fn parse_time(token: &str) -> Option<NaiveTime> {
    let lower = token.to_lowercase();
    let (h, m) = lower.split_once(['h', ':'])?;
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
            Some(FoundDate::Local(c, t)) => (c.resolve(true).expect("real date"), t),
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
