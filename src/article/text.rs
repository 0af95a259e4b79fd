//! The plain-text reader, built on the structure of the page rather than one rule per layout.
//!
//! 1. The **head zone** (the first [`MAX_HEAD_LINES`] non-blank lines, up to the second
//!    paragraph) is read line by line. Each line is metadata (a date, a byline, both on one
//!    line, `KEY: value`), chrome (a menu, a breadcrumb, a cookie notice, a reading time, see
//!    [`chrome`]), or text. The title is the best-scoring text line before the first
//!    paragraph ([`title_score`]): by length, final punctuation, position and whether metadata
//!    follows it. Text lines before it are page furniture (a site name, a kicker).
//! 2. The **body**: short lines that are chrome by their words or shape (ad labels, share bars,
//!    photo credits, menus of one-word lines, the headline repeated) are removed wherever they
//!    stand; a line shaped like a sentence is never removed between two paragraphs. After the
//!    last paragraph (the **tail zone**) phrases, agency initials and tag lines count too.
//! 3. What is left is split into blocks (paragraphs, headings, list items), and the leading
//!    and trailing runs of the configured `[boilerplate]` markers are removed.
//!
//! Every decision can be recorded with its signal for `seedfeed inspect --explain`.

use super::chrome::{self, Verdict, Zone};
use super::*;

/// Non-blank lines read as the head zone: the title, metadata and page furniture sit there.
pub(crate) const MAX_HEAD_LINES: usize = 20;
/// Sentence-shaped lines after which the head zone is not read further: the title, a
/// standfirst and the first paragraphs are among them.
pub(crate) const MAX_HEAD_SENTENCES: usize = 4;
/// Longest line that can be a section heading.
pub(crate) const MAX_HEADING_CHARS: usize = 120;
/// Most words in a section heading.
pub(crate) const MAX_HEADING_WORDS: usize = 16;
/// Longest name accepted from a `Par X` / `By X` line.
pub(crate) const MAX_AUTHOR_CHARS: usize = 80;
/// Most words of a byline in a script without case (Arabic, Hebrew, Chinese), where
/// capitals cannot tell names from a phrase.
pub(crate) const MAX_UNCASED_NAME_WORDS: usize = 6;
/// Most words of an author's name, or of several joined by "and".
pub(crate) const MAX_AUTHOR_WORDS: usize = 12;
/// Longest line read as metadata.
pub(crate) const MAX_METADATA_CHARS: usize = 200;
/// Most words of an unlabelled part of a metadata line (an agency, a role: `Reuters`,
/// `Science editor`); a longer part makes the line text.
pub(crate) const MAX_SIDE_SEGMENT_WORDS: usize = 5;
/// Most words of a role or an outlet after a byline's name (`especial para o Diário de Minas`).
pub(crate) const MAX_ROLE_WORDS: usize = 8;
/// Most words of the place before a date (`Bogotá, 24 de febrero de 2025`).
pub(crate) const MAX_PLACE_WORDS: usize = 3;
/// Longest line that can be a title; a longer one is a paragraph.
pub(crate) const MAX_TITLE_CHARS: usize = 250;
/// How many body blocks are searched for a dateline when no metadata gives a date.
pub(crate) const DATELINE_BLOCKS: usize = 3;
/// Fewest words of a line that is taken as wrapped onto the next one in a file whose
/// paragraphs are separated by blank lines.
pub(crate) const MIN_WRAPPED_WORDS: usize = 8;
/// Most words of a photo caption taken with the credit above it.
pub(crate) const MAX_CAPTION_WORDS: usize = 10;
/// Least share of the longest line that each line of a wrapped paragraph (but its last)
/// fills.
pub(crate) const MIN_WRAP_FILL: f64 = 0.6;
/// Fewest lines in a run of short lines that is a menu rather than headings.
pub(crate) const MIN_MENU_RUN: usize = 4;
/// Most words of a line in a menu run.
pub(crate) const MAX_MENU_WORDS: usize = 3;

pub(super) fn parse_text(text: &str, options: &ParseOptions) -> Result<Read, SkipReason> {
    let lines: Vec<&str> = text.lines().collect();
    let mut notes = Notes::new(options.explain);
    let mut head = read_head(&lines, &mut notes).ok_or(SkipReason::Empty)?;
    let mut meta = std::mem::take(&mut head.meta);
    // Body lines with their line numbers in the file, so removed lines are listed in order.
    let body: Vec<(usize, &str)> = lines
        .iter()
        .copied()
        .enumerate()
        .skip(head.title_line + 1)
        .filter(|(i, _)| !head.dropped.contains(i))
        .collect();
    let body = remove_chrome(
        &body,
        &head,
        options.boilerplate(None),
        &mut meta,
        &mut notes,
    );
    let raw = raw_blocks(&body);
    let texts: Vec<&str> = raw.iter().map(|b| b.text.as_str()).collect();
    // The language picks the boilerplate markers, so it is read before stripping: chrome is
    // a few short lines and does not sway the detector.
    let language = detect_language(&options.detector, &head.title, texts.iter().copied());
    let (start, end) = options
        .boilerplate(language.as_deref())
        .article_bounds(&texts);
    for block in raw[..start].iter().chain(&raw[end..]) {
        for line in block.text.lines() {
            notes.add(line, "boilerplate", "[boilerplate] marker run");
        }
    }
    let mut stripped: Vec<(usize, String)> = head
        .stripped
        .into_iter()
        .chain(notes.removed.drain(..))
        .chain(
            raw[..start]
                .iter()
                .chain(&raw[end..])
                .flat_map(|b| b.text.lines().map(|l| (b.line, l.to_string()))),
        )
        .collect();
    stripped.sort_by_key(|(line, _)| *line);
    let stripped = stripped.into_iter().map(|(_, text)| text).collect();

    let mut article = article(head.title, classify_blocks(&raw[start..end]));
    article.meta.author = meta.author;
    article.meta.source = meta.source;
    article.meta.tags = meta.tags.into();
    article.stripped = stripped;
    article.explained = notes.lines;
    let found = meta.date.map(|d| (d, DateSource::Metadata));
    Ok((article, found, language))
}

/// The role of each line the reader decided on, kept only for `inspect --explain`; the
/// removed lines are always kept (they are the article's `stripped` list).
struct Notes {
    explain: bool,
    lines: Vec<LineNote>,
    /// Removed lines with their line numbers.
    removed: Vec<(usize, String)>,
}

impl Notes {
    fn new(explain: bool) -> Self {
        Self {
            explain,
            lines: Vec::new(),
            removed: Vec::new(),
        }
    }

    fn add(&mut self, line: &str, role: &str, signal: &str) {
        if self.explain {
            self.lines.push(LineNote {
                line: line.trim().to_string(),
                role: role.to_string(),
                signal: signal.to_string(),
            });
        }
    }

    fn remove(&mut self, at: usize, line: &str, verdict: Verdict) {
        self.add(line, verdict.role.as_str(), verdict.signal);
        self.removed.push((at, line.trim().to_string()));
    }
}

#[derive(Debug, Default)]
struct Metadata {
    date: Option<FoundDate>,
    updated: Option<FoundDate>,
    author: Option<String>,
    source: Option<String>,
    tags: Vec<String>,
    subject: Option<String>,
}

impl Metadata {
    /// Adds what `line` gave; the first value of each field wins.
    fn merge(&mut self, line: Metadata) {
        if self.date.is_none() {
            self.date = line.date;
        }
        if self.updated.is_none() {
            self.updated = line.updated;
        }
        if self.author.is_none() {
            self.author = line.author;
        }
        if self.source.is_none() {
            self.source = line.source;
        }
        if self.subject.is_none() {
            self.subject = line.subject;
        }
        self.tags.extend(line.tags);
    }

    /// What the line gave, for `inspect --explain`.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.subject.is_some() {
            parts.push("subject");
        }
        if self.author.is_some() {
            parts.push("author");
        }
        if self.date.is_some() {
            parts.push("date");
        }
        if self.updated.is_some() {
            parts.push("updated");
        }
        if self.source.is_some() {
            parts.push("source");
        }
        if !self.tags.is_empty() {
            parts.push("tags");
        }
        parts.join(" + ")
    }
}

/// What one head-zone line is.
#[derive(Debug)]
enum HeadLine {
    Meta(Metadata, &'static str),
    Chrome(Verdict),
    Text,
}

/// A non-blank line of the head zone: its line number, its text (invisible characters
/// removed), and what it is.
type HeadEntry<'a> = (usize, std::borrow::Cow<'a, str>, HeadLine);

/// The head zone read: the title, the metadata, and the lines it used up.
struct Head {
    title: String,
    title_line: usize,
    meta: Metadata,
    /// Lines after the title that were metadata or chrome.
    dropped: std::collections::BTreeSet<usize>,
    /// Text lines after the title that the head zone found not to be chrome, by its own
    /// stricter rules: the body does not ask again.
    cleared: std::collections::BTreeSet<usize>,
    /// Lines removed as chrome, before and after the title, with their line numbers.
    stripped: Vec<(usize, String)>,
}

/// Reads the head zone; `None` when the file has no non-blank line.
fn read_head(lines: &[&str], notes: &mut Notes) -> Option<Head> {
    let mut zone: Vec<HeadEntry<'_>> = Vec::new();
    // Sentence-shaped text lines seen: the zone ends at the second paragraph after the title,
    // so reading stops after a few of them (one may be a standfirst, one a long headline).
    let mut sentences = 0;
    for (i, raw) in lines.iter().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        if zone.len() == MAX_HEAD_LINES || sentences == MAX_HEAD_SENTENCES {
            break;
        }
        // Runs of spaces separate menu entries, so only invisible characters go here; the
        // title is collapsed when taken.
        let line = visible(raw);
        let kind = if let Some((meta, signal)) = metadata_line(&line) {
            HeadLine::Meta(meta, signal)
        } else if let Some(verdict) = chrome::classify(&line, Zone::Edge) {
            HeadLine::Chrome(verdict)
        } else {
            HeadLine::Text
        };
        if matches!(kind, HeadLine::Text) && chrome::is_sentence(&line) {
            sentences += 1;
        }
        zone.push((i, line, kind));
    }
    if zone.is_empty() {
        return None;
    }
    // Section menus of one-word lines above the headline (`Gündem`, `Ekonomi`, `Spor`, ...).
    let texts: Vec<&str> = zone
        .iter()
        .map(|(_, line, kind)| match kind {
            HeadLine::Text => line.as_ref(),
            _ => "",
        })
        .collect();
    let menu = menu_runs(&texts);
    for (entry, menu) in zone.iter_mut().zip(menu) {
        if menu {
            entry.2 = HeadLine::Chrome(Verdict::new(chrome::Role::MenuRun, "run of short lines"));
        }
    }
    bare_bylines(&mut zone);
    // A text line is a paragraph when shaped like a sentence or long, or, in a file whose
    // paragraphs are separated by blank lines, when it is one line of a group.
    let blank_separated = lines.iter().skip(zone[0].0).any(|l| l.trim().is_empty());
    let is_text = |k: usize| matches!(zone.get(k), Some((_, _, HeadLine::Text)));
    let adjacent = |a: usize, b: usize| zone[a].0 + 1 == zone[b].0;
    // A line wraps onto the next when the next goes on with the sentence (a lowercase start)
    // or when the line is long; a headline under a site name does neither.
    let wraps = |k: usize| {
        is_text(k + 1)
            && adjacent(k, k + 1)
            && !chrome::ends_like_sentence(&zone[k].1)
            // A name on the next line is a byline under a headline.
            && !names(&zone[k + 1].1, &mut Metadata::default())
            && (zone[k + 1].1.starts_with(char::is_lowercase)
                || zone[k].1.split_whitespace().count() >= MIN_WRAPPED_WORDS)
    };
    let paragraph: Vec<bool> = (0..zone.len())
        .map(|k| {
            let line = &zone[k].1;
            let grouped = blank_separated && (wraps(k) || (k > 0 && wraps(k - 1)));
            is_text(k)
                && (chrome::is_sentence(line) || grouped || line.chars().count() > MAX_TITLE_CHARS)
        })
        .collect();
    let first_paragraph = paragraph.iter().position(|p| *p);
    // A relative time or a reading time under a headline stands where its date would.
    let followed_by_meta = |k: usize| match zone.get(k + 1) {
        Some((_, _, HeadLine::Meta(..))) => true,
        Some((_, _, HeadLine::Chrome(v))) => {
            matches!(
                v.role,
                chrome::Role::RelativeTime | chrome::Role::ReadingTime
            )
        }
        _ => false,
    };
    let subject = zone
        .iter()
        .position(|(_, _, kind)| matches!(kind, HeadLine::Meta(m, _) if m.subject.is_some()));
    let mut rank = 0;
    let title_at = match subject {
        Some(k) => k,
        None => zone
            .iter()
            .enumerate()
            .take(first_paragraph.map_or(zone.len(), |p| p + 1))
            .filter(|(_, (_, _, kind))| matches!(kind, HeadLine::Text))
            .map(|(k, (_, line, _))| {
                let next = zone.get(k + 1).map(|(_, _, kind)| kind);
                let before_body = first_paragraph == Some(k + 1);
                let mut score = title_score(line, paragraph[k], followed_by_meta(k), rank);
                // The headline sits right above the article, a site's header above chrome.
                if before_body {
                    score += 2;
                }
                if matches!(next, Some(HeadLine::Chrome(_))) && !followed_by_meta(k) {
                    score -= 1;
                }
                rank += 1;
                (k, score)
            })
            // The best score; the earliest of equal ones.
            .fold(None, |best: Option<(usize, i32)>, (k, score)| match best {
                Some((_, s)) if s >= score => best,
                _ => Some((k, score)),
            })
            .map(|(k, _)| k)
            // No text line at all: the first line is the title, whatever it looked like.
            .unwrap_or(0),
    };
    // The zone ends at the second paragraph after the title: metadata may follow a
    // standfirst, not the article's second paragraph.
    // Paragraphs are counted by their first line: a wrapped standfirst is one.
    let zone_end = (title_at + 1..zone.len())
        .filter(|&k| paragraph[k] && !(k > 0 && wraps(k - 1)))
        .nth(1)
        .unwrap_or(zone.len());

    let mut head = Head {
        title: String::new(),
        title_line: zone[title_at].0,
        meta: Metadata::default(),
        dropped: Default::default(),
        cleared: Default::default(),
        stripped: Vec::new(),
    };
    let mut after_credit = false;
    for (k, (i, line, kind)) in zone.into_iter().enumerate().take(zone_end) {
        let before_title = k < title_at;
        // The line after a photo credit, when short, is its caption.
        let after_credit_line = std::mem::take(&mut after_credit);
        match kind {
            _ if k == title_at => {
                notes.add(&line, "title", "best headline score");
                head.title = match &kind {
                    HeadLine::Meta(m, _) => m.subject.clone().unwrap_or_else(|| clean_field(&line)),
                    _ => clean_field(&line),
                };
                if let HeadLine::Meta(m, _) = kind {
                    head.meta.merge(Metadata { subject: None, ..m });
                }
            }
            HeadLine::Meta(m, signal) => {
                notes.add(&line, &m.describe(), signal);
                head.meta.merge(m);
                head.dropped.insert(i);
            }
            HeadLine::Chrome(verdict) => {
                notes.add(&line, verdict.role.as_str(), verdict.signal);
                head.stripped.push((i, line.into_owned()));
                head.dropped.insert(i);
                after_credit = verdict.role == chrome::Role::Credit;
                continue;
            }
            HeadLine::Text if after_credit_line && chrome::words(&line) <= MAX_CAPTION_WORDS => {
                notes.add(
                    &line,
                    chrome::Role::Credit.as_str(),
                    "caption after a photo credit",
                );
                head.stripped.push((i, line.into_owned()));
                head.dropped.insert(i);
            }
            HeadLine::Text if before_title => {
                notes.add(
                    &line,
                    chrome::Role::BeforeTitle.as_str(),
                    "text before the headline",
                );
                head.stripped.push((i, line.into_owned()));
            }
            HeadLine::Text => {
                let role = if paragraph[k] { "paragraph" } else { "text" };
                notes.add(&line, role, "kept");
                head.cleared.insert(i);
            }
        }
    }
    Some(head)
}

/// Takes a text line beside a date line for a byline without its word (`Élodie Marchand`,
/// `Reto Bärtschi, Redaktor Region Bern`): names, not the first text line (the title), and
/// not followed by a byline (then it is a headline).
fn bare_bylines(zone: &mut [HeadEntry<'_>]) {
    let dated = |kind: &HeadLine| matches!(kind, HeadLine::Meta(m, _) if m.date.is_some());
    let first_text = zone
        .iter()
        .position(|(_, _, kind)| matches!(kind, HeadLine::Text));
    for k in 0..zone.len() {
        let near_date = zone.get(k + 1).is_some_and(|(_, _, kind)| dated(kind))
            || (k > 0 && dated(&zone[k - 1].2));
        let byline_next =
            matches!(zone.get(k + 1), Some((_, _, HeadLine::Meta(m, _))) if m.author.is_some());
        if !near_date || byline_next || Some(k) == first_text {
            continue;
        }
        let (_, line, kind) = &mut zone[k];
        let mut byline = Metadata::default();
        let two_words = |m: &Metadata| {
            m.author
                .as_deref()
                .is_some_and(|a| a.split_whitespace().count() >= 2)
        };
        if matches!(kind, HeadLine::Text)
            && line.split_whitespace().count() <= MAX_AUTHOR_WORDS
            && names(line, &mut byline)
            && two_words(&byline)
        {
            *kind = HeadLine::Meta(byline, "name beside the date");
        }
    }
}

/// How much a line looks like the headline: a few words to a few dozen, no full stop, not a
/// paragraph, early (`rank` text lines come before it), and followed by a byline or a date.
fn title_score(line: &str, paragraph: bool, followed_by_meta: bool, rank: i32) -> i32 {
    let words = chrome::words(line);
    // A site name or a section label has a few words, a headline more.
    let mut score = match words {
        0 | 1 => -3,
        2 => -1,
        3 | 4 => 0,
        5..=30 => 2,
        _ => 0,
    };
    if line.trim_end().ends_with('.') && !line.trim_end().ends_with("...") {
        score -= 1;
    }
    if paragraph {
        score -= 2;
    }
    if followed_by_meta {
        score += 3;
    }
    // A kicker, a section label or a site name in capitals (`POLITICS`, `EL DIARIO DEL SUR`).
    let letters = line.chars().filter(|c| c.is_alphabetic());
    if letters.clone().count() > 1 && letters.clone().all(char::is_uppercase) {
        score -= 2;
    }
    // Scrapers write the title first: the first text line starts ahead, later ones behind.
    score + if rank == 0 { 1 } else { -rank }
}

/// Removes chrome from the body lines: short lines whose words or shape mark them
/// ([`chrome::classify`]), runs of menu lines, the headline repeated, and after the last
/// paragraph agency lines and tag lines (whose tags are kept).
fn remove_chrome<'a>(
    body: &[(usize, &'a str)],
    head: &Head,
    markers: &clean::Boilerplate,
    meta: &mut Metadata,
    notes: &mut Notes,
) -> Vec<(usize, &'a str)> {
    let lines: Vec<&str> = body.iter().map(|(_, l)| *l).collect();
    // The tail zone starts after the last line that ends like a sentence (or is long), not
    // counting a short closing prompt (`Vous avez aimé cet article ? Partagez-le !`).
    let last_sentence = lines.iter().rposition(|l| {
        let l = l.trim();
        let chars = l.chars().count();
        let prompt =
            chars <= chrome::MAX_BODY_PHRASE_CHARS && chrome::classify(l, Zone::Edge).is_some();
        (chrome::ends_like_sentence(l) && !prompt) || chars > chrome::MAX_CHROME_CHARS
    });
    let menu = menu_runs(&lines);
    let first_text = lines.iter().position(|l| !l.trim().is_empty());
    let mut kept = Vec::with_capacity(body.len());
    // Titles a trailing marker may still introduce (`Read more` and the stories it lists).
    let mut titles_left = 0;
    let mut signature = false;
    // The line after a photo credit, when short, is its caption.
    let mut after_credit = false;
    for (i, &(at, raw)) in body.iter().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            kept.push((at, raw));
            continue;
        }
        let tail = last_sentence.is_none_or(|last| i > last);
        let zone = if tail { Zone::Edge } else { Zone::Body };
        let verdict = if signature {
            Some(Verdict::new(chrome::Role::Signature, "after the `--` line"))
        } else if tail && (line == "--" || raw == "-- ") {
            // The e-mail signature delimiter: what follows is the sender's signature.
            signature = true;
            Some(Verdict::new(chrome::Role::Signature, "signature delimiter"))
        } else if tail && markers.is_marker(line) {
            titles_left = clean::MAX_TITLES_PER_MARKER;
            Some(Verdict::new(chrome::Role::Related, "[boilerplate] marker"))
        } else if tail && titles_left > 0 && line.chars().count() <= clean::MAX_TITLE_LINE_CHARS {
            titles_left -= 1;
            Some(Verdict::new(chrome::Role::Related, "title after a marker"))
        } else if after_credit && chrome::words(line) <= MAX_CAPTION_WORDS {
            Some(Verdict::new(
                chrome::Role::Credit,
                "caption after a photo credit",
            ))
        } else if Some(i) == first_text && same_text(line, &head.title) {
            Some(Verdict::new(
                chrome::Role::RepeatedTitle,
                "same as the title",
            ))
        } else if menu[i] {
            Some(Verdict::new(chrome::Role::MenuRun, "run of short lines"))
        } else if let Some(verdict) = (!head.cleared.contains(&at))
            .then(|| chrome::classify(line, zone))
            .flatten()
        {
            Some(verdict)
        } else if tail && strip_bullet(line).is_none() && chrome::is_agency_line(line) {
            Some(Verdict::new(
                chrome::Role::Agency,
                "short credit after the last paragraph",
            ))
        } else if tail {
            match metadata_line(line) {
                Some((found, signal)) if !found.tags.is_empty() || found.source.is_some() => {
                    notes.add(line, &found.describe(), signal);
                    meta.merge(found);
                    continue;
                }
                _ => None,
            }
        } else {
            None
        };
        after_credit = verdict.is_some_and(|v| v.role == chrome::Role::Credit) && !after_credit;
        // An e-mail's closing (`Best regards`) starts its signature.
        signature |= tail && verdict.is_some_and(|v| v.role == chrome::Role::Signature);
        match verdict {
            Some(verdict) => notes.remove(at, line, verdict),
            None => kept.push((at, raw)),
        }
    }
    kept
}

/// For each line, whether it is in a run of at least [`MIN_MENU_RUN`] short lines with no
/// final punctuation and no bullet (blank lines between them allowed).
fn menu_runs(lines: &[&str]) -> Vec<bool> {
    // At most this many bytes: a long line is let go before anything is counted.
    const MAX_MENU_LINE_BYTES: usize = MAX_MENU_WORDS * 12 * 4;
    let short = |l: &str| {
        let l = l.trim();
        !l.is_empty()
            && l.len() <= MAX_MENU_LINE_BYTES
            && l.split_whitespace().count() <= MAX_MENU_WORDS
            && l.chars().count() <= MAX_MENU_WORDS * 12
            && !chrome::ends_like_sentence(l)
            && !l.ends_with([':', ';', ','])
            && strip_bullet(l).is_none()
    };
    let mut menu = vec![false; lines.len()];
    let mut run: Vec<usize> = Vec::new();
    let close = |run: &mut Vec<usize>, menu: &mut Vec<bool>| {
        if run.len() >= MIN_MENU_RUN {
            for &i in run.iter() {
                menu[i] = true;
            }
        }
        run.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if short(line) {
            run.push(i);
        } else {
            close(&mut run, &mut menu);
        }
    }
    close(&mut run, &mut menu);
    menu
}

/// `line` trimmed, without invisible format characters (zero-width spaces, soft hyphens, bidi
/// marks); borrowed when it has none.
fn visible(line: &str) -> std::borrow::Cow<'_, str> {
    let line = line.trim();
    if !line.chars().any(crate::text::is_invisible_format) {
        return line.into();
    }
    line.chars()
        .filter(|c| !crate::text::is_invisible_format(*c))
        .collect::<String>()
        .into()
}

/// Equal once case, white space and invisible characters are set aside.
fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| clean_field(s).to_lowercase();
    a.len().abs_diff(b.len()) <= 8 && norm(a) == norm(b)
}

/// The metadata words of `lexicon/metadata.toml`, read once.
#[derive(Debug, serde::Deserialize)]
struct MetadataWords {
    author: AuthorWords,
    date: DateWords,
    source: Keys,
    tags: Keys,
    subject: Keys,
    headers: Keys,
}

#[derive(Debug, serde::Deserialize)]
struct AuthorWords {
    keys: Vec<String>,
    bylines: Vec<String>,
    suffixes: Vec<String>,
    joiners: Vec<String>,
    particles: Vec<String>,
    roles: Vec<String>,
    outlet_articles: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct DateWords {
    keys: Vec<String>,
    prefixes: Vec<String>,
    updated: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Keys {
    keys: Vec<String>,
}

/// Which field a `KEY: value` line gives.
#[derive(Debug, Clone, Copy)]
enum Field {
    Author,
    Date,
    Updated,
    Source,
    Tags,
    Subject,
    /// An e-mail header that gives no field (`To:`, `Cc:`): read and dropped.
    Header,
}

/// The lexicon, compiled once: keys to fields, and the line beginnings (longest first).
struct Lexicon {
    keys: foldhash::HashMap<String, Field>,
    bylines: Prefixes,
    date_prefixes: Prefixes,
    updated_prefixes: Prefixes,
    joiners: foldhash::HashSet<String>,
    particles: foldhash::HashSet<String>,
    /// Words after a name that make a byline (`기자`, reporter).
    suffixes: Vec<String>,
    roles: foldhash::HashSet<String>,
    outlet_articles: foldhash::HashSet<String>,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
    LEXICON.get_or_init(|| {
        // Checked by `the_metadata_lexicon_loads`; an empty lexicon reads no metadata.
        let words: Option<MetadataWords> =
            toml::from_str(include_str!("lexicon/metadata.toml")).ok();
        let Some(words) = words else {
            return Lexicon {
                keys: Default::default(),
                bylines: Prefixes::default(),
                date_prefixes: Prefixes::default(),
                updated_prefixes: Prefixes::default(),
                joiners: Default::default(),
                particles: Default::default(),
                suffixes: Vec::new(),
                roles: Default::default(),
                outlet_articles: Default::default(),
            };
        };
        let mut keys = foldhash::HashMap::default();
        for (list, field) in [
            (&words.author.keys, Field::Author),
            (&words.date.keys, Field::Date),
            (&words.date.updated, Field::Updated),
            (&words.source.keys, Field::Source),
            (&words.tags.keys, Field::Tags),
            (&words.subject.keys, Field::Subject),
            (&words.headers.keys, Field::Header),
        ] {
            for key in list {
                keys.entry(key.clone()).or_insert(field);
            }
        }
        Lexicon {
            keys,
            bylines: Prefixes::new(&words.author.bylines),
            date_prefixes: Prefixes::new(&words.date.prefixes),
            updated_prefixes: Prefixes::new(&words.date.updated),
            joiners: words.author.joiners.into_iter().collect(),
            particles: words.author.particles.into_iter().collect(),
            suffixes: words.author.suffixes,
            roles: words.author.roles.into_iter().collect(),
            outlet_articles: words.author.outlet_articles.into_iter().collect(),
        }
    })
}

/// Line beginnings (`published on`, `mis à jour le`, `文/`), found by the line's first word
/// rather than by trying each: segments are read many times per file.
#[derive(Default)]
struct Prefixes {
    /// By their first word, lowercase; each followed by a space, longest first.
    by_first_word: foldhash::HashMap<String, Vec<String>>,
    /// Those glued to what follows (`文/`), longest first.
    glued: Vec<String>,
}

impl Prefixes {
    fn new(list: &[String]) -> Self {
        let mut prefixes = Self::default();
        for word in list {
            // A word is followed by a space, unless it ends with punctuation (`文/`, `texto:`).
            if word.ends_with(|c: char| c.is_alphanumeric()) {
                let first = first_word(word).to_string();
                let bucket = prefixes.by_first_word.entry(first).or_default();
                bucket.push(format!("{word} "));
            } else if word.ends_with(':') {
                let first = first_word(word).to_string();
                prefixes
                    .by_first_word
                    .entry(first)
                    .or_default()
                    .push(word.clone());
            } else {
                prefixes.glued.push(word.clone());
            }
        }
        for bucket in prefixes.by_first_word.values_mut() {
            bucket.sort_by_key(|w| std::cmp::Reverse(w.len()));
        }
        prefixes.glued.sort_by_key(|w| std::cmp::Reverse(w.len()));
        prefixes
    }

    /// The prefixes a line whose first word is `first` (lowercase, see [`first_word_lower`])
    /// may start with, longest first.
    fn candidates<'a>(&'a self, first: &str) -> impl Iterator<Item = &'a String> {
        self.by_first_word
            .get(first)
            .into_iter()
            .flatten()
            .chain(&self.glued)
    }

    /// `line` after the longest prefix it starts with.
    fn strip<'a>(&self, line: &'a str) -> Option<&'a str> {
        self.candidates(&first_word_lower(line))
            .find_map(|p| strip_prefix_ci(line, p))
    }
}

/// [`first_word`] in lowercase; borrowed when it is already.
fn first_word_lower(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::lowercase(first_word(text))
}

/// The first word of `text`, up to white space or a colon.
fn first_word(text: &str) -> &str {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '：')
        .next()
        .unwrap_or("")
}

/// `line` without `prefix` (lowercase), compared case-insensitively; `None` when it does not
/// start with it.
fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_ascii() {
        let head = line.get(..prefix.len())?;
        return head
            .eq_ignore_ascii_case(prefix)
            .then(|| &line[prefix.len()..]);
    }
    // Character by character, lowering each as it comes: no allocation, and most prefixes
    // fail on the first character. (A lowered character may be longer: `İ` is `i̇`.)
    let mut want = prefix.chars().peekable();
    for (at, c) in line.char_indices() {
        if want.peek().is_none() {
            return Some(&line[at..]);
        }
        for lower in c.to_lowercase() {
            if want.next() != Some(lower) {
                return None;
            }
        }
    }
    want.peek().is_none().then_some("")
}

/// The text after a label: `: 3 avril` and ` 3 avril` both give `3 avril`.
fn after_label(rest: &str) -> &str {
    rest.trim_start_matches([' ', ':', '：', '-', '–']).trim()
}

/// Reads a metadata line: one or more fields between separators. `None` when the line is
/// not metadata (a part that gives no field and is more than a short label makes it text).
fn metadata_line(line: &str) -> Option<(Metadata, &'static str)> {
    let line = line.trim();
    // Length first: most lines of the head zone are paragraphs, which their length lets go
    // without reading their words.
    let too_long = line.len() > MAX_METADATA_CHARS * 4
        || line.len() > MAX_METADATA_CHARS && line.chars().count() > MAX_METADATA_CHARS;
    if line.is_empty() || too_long {
        return None;
    }
    // A line of many words with no digit, no colon and no separator can only be a byline
    // of a few names: a line of a wrapped paragraph is let go at once.
    let words = line.split_whitespace().count();
    let marked = line.contains(|c: char| {
        c.is_numeric() || matches!(c, ':' | '：' | '·' | '|' | '•' | '—' | '–' | '@')
    });
    if words > MAX_AUTHOR_WORDS + 2 && !marked {
        return None;
    }
    if let Some(found) = segment(line) {
        return Some(found);
    }
    // Fields side by side need a separator, or two keys (`来源：… 记者：…`).
    let separated = line.contains(['·', '|', '•', '　'])
        || [" — ", " – ", " - ", "  "].iter().any(|s| line.contains(s))
        || line.matches([':', '：']).count() >= 2;
    if !separated {
        return None;
    }
    let mut meta = Metadata::default();
    let mut signal = None;
    // `　` is the ideographic space of Chinese and Japanese text.
    let parts: Vec<&str> = line
        .split(['·', '|', '•', '　'])
        .flat_map(|p| p.split(" — "))
        .flat_map(|p| p.split(" – "))
        .flat_map(|p| p.split(" - "))
        // Runs of spaces separate fields too (`来源：新华社  记者：李娜  2025-05-20`), and so
        // does one space before a known key (`2025年10月09日 08:30 来源：江南晨报 记者：王晓明`).
        .flat_map(|p| p.split("  "))
        .flat_map(split_before_keys)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    let mut unlabelled_name = None;
    for part in parts {
        if let Some((found, _)) = segment(part) {
            meta.merge(found);
            signal = Some("fields between separators");
            continue;
        }
        // A time after the date (`13.05.2025 | 11:25`).
        if let (Some(date), Some((time, zone))) = (meta.date, date::parse_time_line(part)) {
            meta.date = Some(date.at(time, zone));
            continue;
        }
        let mut byline = Metadata::default();
        if names(part, &mut byline) {
            unlabelled_name.get_or_insert(byline);
            continue;
        }
        if !is_side_label(part) {
            return None;
        }
    }
    // Names with no byline word beside a date (`Ayşe Demir | 19.02.2025 10:30`).
    if let Some(byline) = unlabelled_name.filter(|_| meta.author.is_none() && meta.date.is_some()) {
        if byline
            .author
            .as_deref()
            .is_some_and(|a| a.split_whitespace().count() >= 2)
        {
            meta.merge(byline);
        }
    }
    signal.map(|s| (meta, s))
}

/// `part` split before each word that starts a known `KEY:` (or `KEY：`).
fn split_before_keys(part: &str) -> Vec<&str> {
    let keys = &lexicon().keys;
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, _) in part.match_indices(' ') {
        // Only a one-word key is looked for here: the next word, up to its colon.
        let next = &part[at + 1..];
        let word = next.split(char::is_whitespace).next().unwrap_or("");
        let key = word.split_once([':', '：']).map(|(k, _)| k);
        if key.is_some_and(|k| keys.contains_key(&k.to_lowercase())) {
            pieces.push(&part[start..at]);
            start = at + 1;
        }
    }
    pieces.push(&part[start..]);
    pieces
}

/// A short part of a metadata line that gives no field: an agency, a role, a place.
fn is_side_label(part: &str) -> bool {
    is_short_label(part, MAX_SIDE_SEGMENT_WORDS)
}

/// At most `max` words and no sentence: a closing quote ends an outlet's name
/// (`dziennikarka „Głosu Wybrzeża”`), a full stop after a word or two an abbreviation
/// (`León, Gto.`).
fn is_short_label(part: &str, max: usize) -> bool {
    let words = part.split_whitespace().count();
    let sentence =
        words >= chrome::MIN_SENTENCE_WORDS && part.trim_end().ends_with(['.', '!', '?', '…']);
    words <= max && !sentence
}

/// Reads one part of a metadata line.
fn segment(part: &str) -> Option<(Metadata, &'static str)> {
    let part = part.trim().trim_end_matches([',', ';']);
    if part.is_empty() {
        return None;
    }
    let words = lexicon();
    let mut meta = Metadata::default();
    let first = first_word_lower(part);
    // `：` is the full-width colon of Chinese and Japanese text.
    if let Some((key, value)) = part.split_once(':').or_else(|| part.split_once('：')) {
        let value = value.trim();
        match words.keys.get(&key.trim().to_lowercase()) {
            Some(Field::Author) if names(value, &mut meta) => return Some((meta, "key")),
            Some(field @ (Field::Date | Field::Updated)) => {
                let (date, rest) = date_then_rest(value)?;
                set_date(&mut meta, date, matches!(field, Field::Date), rest)?;
                return Some((meta, "key"));
            }
            Some(Field::Source) if !value.is_empty() => {
                meta.source = Some(collapse_whitespace(value));
                return Some((meta, "key"));
            }
            Some(Field::Tags) => {
                meta.tags = value
                    .split([',', ';', '，', '、'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect();
                return Some((meta, "key"));
            }
            Some(Field::Subject) if !value.is_empty() => {
                meta.subject = Some(collapse_whitespace(value));
                return Some((meta, "key"));
            }
            Some(Field::Header) => return Some((meta, "mail header")),
            _ => {}
        }
    }
    for (prefixes, published) in [
        (&words.updated_prefixes, false),
        (&words.date_prefixes, true),
    ] {
        for prefix in prefixes.candidates(&first) {
            let Some(rest) = strip_prefix_ci(part, prefix) else {
                continue;
            };
            let Some((date, rest)) = date_then_rest(after_label(rest)) else {
                continue;
            };
            set_date(&mut meta, date, published, rest)?;
            return Some((
                meta,
                if published {
                    "published word"
                } else {
                    "updated word"
                },
            ));
        }
    }
    if let Some((date, rest)) = date_then_rest(part) {
        meta.date = Some(date);
        if let Some(rest) = rest {
            trailing_fields(rest, &mut meta)?;
        }
        return Some((meta, "date"));
    }
    for prefix in words.bylines.candidates(&first) {
        if let Some(rest) = strip_prefix_ci(part, prefix) {
            if names(after_label(rest), &mut meta) {
                return Some((meta, "byline word"));
            }
        }
    }
    // A name, then a byline word (`김민준 기자`, "reporter Kim Min-jun").
    // An e-mail address after a byline says nothing more (`이서연 기자 seoyeon@example`).
    let without_mail: std::borrow::Cow<'_, str> = if part.contains('@') {
        part.split_whitespace()
            .filter(|w| !w.contains('@'))
            .collect::<Vec<_>>()
            .join(" ")
            .into()
    } else {
        part.into()
    };
    for suffix in &words.suffixes {
        let Some(name) = without_mail.strip_suffix(suffix.as_str()).map(str::trim) else {
            continue;
        };
        if (1..=MAX_SIDE_SEGMENT_WORDS).contains(&name.split_whitespace().count())
            && looks_like_name(name)
        {
            meta.author = Some(collapse_whitespace(name));
            return Some((meta, "byline word after the name"));
        }
    }
    // A place, then the date (`Bogotá, 24 de febrero de 2025`).
    let (place, rest) = part.split_once(',')?;
    if rest.contains(char::is_numeric)
        && place.split_whitespace().count() <= MAX_PLACE_WORDS
        && looks_like_name(place.trim())
    {
        if let Some(date) = date::parse_date_line(rest) {
            meta.date = Some(date);
            return Some((meta, "place and date"));
        }
    }
    None
}

/// A date at the start of `text`, and what follows it after a comma (`3 April 2025, updated
/// 4 April 2025`); the whole text when it is one date.
fn date_then_rest(text: &str) -> Option<(FoundDate, Option<&str>)> {
    // Every date has digits (Arabic-Indic and Persian ones included).
    if text.len() > MAX_METADATA_CHARS * 4 || !text.contains(char::is_numeric) {
        return None;
    }
    if let Some(date) = date::parse_date_line(text) {
        return Some((date, None));
    }
    let after_comma = text.match_indices(',').find_map(|(at, _)| {
        let date = date::parse_date_line(&text[..at])?;
        let rest = text[at + 1..].trim();
        (!rest.is_empty()).then_some((date, Some(rest)))
    });
    if after_comma.is_some() {
        return after_comma;
    }
    // `07/05/2025 14h32 Atualizado há 2 horas`, `입력 2025.07.21. 오후 3:20 수정 …`: the
    // updated part starts at its word, with no comma before it.
    let updated = &lexicon().updated_prefixes;
    text.match_indices(' ').find_map(|(at, _)| {
        let rest = text[at + 1..].trim_start();
        updated.strip(rest)?;
        Some((date::parse_date_line(&text[..at])?, Some(rest)))
    })
}

/// Sets the publication date (`published`) or the date of the last change, and reads what
/// followed the date (`rest`); `None` when that is not metadata.
fn set_date(
    meta: &mut Metadata,
    date: FoundDate,
    published: bool,
    rest: Option<&str>,
) -> Option<()> {
    if published {
        meta.date = Some(date);
    } else {
        meta.updated = Some(date);
    }
    match rest {
        Some(rest) => trailing_fields(rest, meta),
        None => Some(()),
    }
}

/// Reads what follows a date on its line into `meta`: another field (`updated 4 April
/// 2025`), or an update given as a relative time (`Atualizado há 2 horas`), which says
/// nothing about the publication date. `None` when it is anything else.
fn trailing_fields(rest: &str, meta: &mut Metadata) -> Option<()> {
    if let Some((found, _)) = segment(rest) {
        meta.merge(found);
        return Some(());
    }
    let words = lexicon();
    let relative = words
        .updated_prefixes
        .strip(rest)
        .and_then(|after| chrome::classify(after_label(after), Zone::Edge))
        .is_some_and(|v| v.role == chrome::Role::RelativeTime);
    relative.then_some(())
}

/// Reads author names from a byline's text: `Jane Doe`, `Jane Doe and John Roe`, `A, B and
/// C`, `Jane Doe, Science editor`, `Jane Doe <jane@example.org>`, and after a comma a date or
/// another field (`Par A et B, publié le 3 avril 2025`). False when the text is not names.
fn names(text: &str, meta: &mut Metadata) -> bool {
    // Every line of a file may be asked: a long one, or one that does not start like a name,
    // is text, and is not scanned.
    let starts_like_name = text
        .trim_start_matches(['"', '“', '\''])
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && !c.is_lowercase());
    if !starts_like_name
        || text.len() > MAX_METADATA_CHARS * 4
        || text.chars().count() > MAX_METADATA_CHARS
    {
        return false;
    }
    // A name's second word is capitalised, a joiner or a particle (`Jane Doe`, `Ursula von der
    // Leyen`); a sentence's is not (`The city council …`). Scripts without case pass.
    if let Some(second) = text.split_whitespace().nth(1) {
        let lower = second.chars().next().is_some_and(char::is_lowercase);
        let words = lexicon();
        let second = second.to_lowercase();
        let second = second.trim_end_matches([',', ';']);
        if lower && !words.joiners.contains(second) && !words.particles.contains(second) {
            return false;
        }
    }
    let text = match (text.find('<'), text.ends_with('>')) {
        (Some(at), true) => text[..at].trim(),
        _ => text.trim(),
    };
    // An outlet or desk in brackets after the names (`Noémie Vandenbroucke (Radio-Télé
    // Liège)`, `佐藤優奈（社会部）`) is not part of them.
    let text = match text.find(['(', '（']) {
        Some(at) if text.ends_with([')', '）']) && at > 0 => text[..at].trim(),
        _ => text,
    };
    // A date after the names (`Dana Whitlock on Sunday, March 2nd, 2025 at 8:15 pm`).
    let dated = text
        .match_indices(' ')
        .filter(|(at, _)| date::may_start_date(first_word(&text[at + 1..])))
        .find_map(|(at, _)| {
            let (date, rest) = date_then_rest(text[at + 1..].trim())?;
            Some((at, date, rest))
        });
    let text = match dated {
        Some((at, date, rest)) => {
            let mut found = Metadata {
                date: Some(date),
                ..Metadata::default()
            };
            if let Some(rest) = rest {
                if trailing_fields(rest, &mut found).is_none() {
                    return false;
                }
            }
            let before = text[..at].trim_end_matches([' ', '·', '|', ',', '-', '–', '—', '•']);
            if !names(before, &mut found) {
                return false;
            }
            meta.merge(found);
            return true;
        }
        None => text,
    };
    // `"Imogen Thwaite" <ithwaite@example>`: the quotes of a mail header.
    let text = text.trim_matches(['"', '“', '”', '\'']);
    // `、` lists names in Chinese and Japanese (`李娜、陈浩`): it stays inside the author.
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let Some(first) = parts.first().filter(|p| looks_like_name(p)) else {
        return false;
    };
    let mut author = first.to_string();
    let mut listing = true;
    // Fields after the names go into `meta` only when the whole text is read.
    let mut more = Metadata::default();
    for part in &parts[1..] {
        if part.is_empty() {
            continue;
        }
        if let Some((found, _)) = segment(part) {
            more.merge(found);
            listing = false;
        } else if listing && is_another_name(part, &parts[1..]) {
            author.push_str(", ");
            author.push_str(part);
        } else if is_short_label(part, MAX_ROLE_WORDS) {
            listing = false;
        } else {
            return false;
        }
    }
    if author.chars().count() > MAX_AUTHOR_CHARS {
        return false;
    }
    meta.author = Some(collapse_whitespace(&author));
    meta.merge(more);
    true
}

/// Whether `part`, after a first name and a comma, is another author rather than a role or
/// an outlet: name-shaped with no role word, and either two words or more or followed by
/// a joined name (`A, B and C`).
fn is_another_name(part: &str, parts: &[&str]) -> bool {
    let words = lexicon();
    let joined = parts.iter().any(|p| {
        p.split_whitespace()
            .any(|w| words.joiners.contains(w.to_lowercase().as_str()))
    });
    let role = part.split_whitespace().any(|w| {
        let w = w.to_lowercase();
        words
            .roles
            .contains(w.trim_matches(|c: char| !c.is_alphanumeric()))
    });
    let outlet = part
        .split_whitespace()
        .next()
        .is_some_and(|w| words.outlet_articles.contains(&w.to_lowercase()));
    looks_like_name(part) && !role && !outlet && (joined || part.split_whitespace().count() >= 2)
}

/// A byline name: capitalised words (in scripts with case), joined by "and" words and name
/// particles, short, no sentence punctuation.
fn looks_like_name(name: &str) -> bool {
    let words = &lexicon();
    let count = name.split_whitespace().count();
    // In scripts without case only the length tells a name from a phrase.
    let cased = name.chars().any(|c| c.is_uppercase() || c.is_lowercase());
    let most = if cased {
        MAX_AUTHOR_WORDS
    } else {
        MAX_UNCASED_NAME_WORDS
    };
    (1..=most).contains(&count)
        && name.chars().count() <= MAX_AUTHOR_CHARS
        && !name.ends_with(['.', '!', '?', ';', ':', ','])
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() && !c.is_lowercase())
        && name.split_whitespace().all(|w| {
            let lower = w.to_lowercase();
            let first = w.chars().next().unwrap_or(' ');
            (first.is_alphabetic() && !first.is_lowercase())
                || words.joiners.contains(&lower)
                || words.particles.contains(&lower)
                || words
                    .particles
                    .iter()
                    .any(|p| lower.starts_with(p.as_str()) && p.ends_with(['\'', '’']))
        })
}

/// A run of body text before headings are recognised.
#[derive(Debug)]
struct RawBlock {
    text: String,
    /// The file's line number of its first line.
    line: usize,
    /// True when the block was one line set apart by blank lines.
    set_apart: bool,
    /// True for a bullet list item.
    bullet: bool,
}

/// Bullet markers that start a list item line.
const BULLETS: &[&str] = &["- ", "* ", "• ", "– ", "· "];

fn strip_bullet(line: &str) -> Option<&str> {
    BULLETS
        .iter()
        .find_map(|b| line.strip_prefix(b))
        .map(str::trim_start)
}

/// Splits body lines into blocks: blank-line separated groups when the body uses blank lines,
/// otherwise one block per line. Bullet lines are always blocks of their own.
fn raw_blocks(body: &[(usize, &str)]) -> Vec<RawBlock> {
    let groups: Vec<Vec<(usize, &str)>> = body
        .split(|(_, l)| l.trim().is_empty())
        .filter(|g| !g.is_empty())
        .map(|g| g.iter().map(|&(at, l)| (at, l.trim())).collect())
        .collect();
    let blank_separated = groups.len() > 1;
    let mut blocks = Vec::new();
    for group in groups {
        // Runs of bullet and non-bullet lines within the group.
        for run in
            group.chunk_by(|(_, a), (_, b)| strip_bullet(a).is_some() == strip_bullet(b).is_some())
        {
            if strip_bullet(run[0].1).is_some() {
                blocks.extend(run.iter().filter_map(|&(line, l)| {
                    Some(RawBlock {
                        text: collapse_whitespace(strip_bullet(l)?),
                        line,
                        set_apart: false,
                        bullet: true,
                    })
                }));
                continue;
            }
            // Lines that each end a sentence are one-line paragraphs; lines of which the last
            // ends none are a list (a marker and the titles it introduces, a menu), since a
            // wrapped paragraph ends with its sentence.
            let one_line_paragraphs = run.len() > 1
                && (run[..run.len() - 1]
                    .iter()
                    .all(|(_, l)| ends_with_terminal_punctuation(l))
                    || !ends_with_terminal_punctuation(run[run.len() - 1].1)
                    || !is_wrapped(run));
            if !blank_separated || one_line_paragraphs {
                blocks.extend(run.iter().map(|&(line, l)| RawBlock {
                    text: collapse_whitespace(l),
                    line,
                    set_apart: false,
                    bullet: false,
                }));
            } else {
                let joined: Vec<&str> = run.iter().map(|(_, l)| *l).collect();
                blocks.push(RawBlock {
                    text: collapse_whitespace(&joined.join(" ")),
                    line: run[0].0,
                    set_apart: group.len() == 1,
                    bullet: false,
                });
            }
        }
    }
    blocks
}

/// Whether a run of lines is one paragraph wrapped at a width: every line but the last
/// fills at least [`MIN_WRAP_FILL`] of the longest one (a tag line above a comment counter
/// does not).
fn is_wrapped(run: &[(usize, &str)]) -> bool {
    let width = |l: &str| l.chars().count();
    let longest = run.iter().map(|(_, l)| width(l)).max().unwrap_or(0);
    run[..run.len() - 1]
        .iter()
        .all(|(_, l)| width(l) as f64 >= MIN_WRAP_FILL * longest as f64)
}

/// Turns raw blocks into paragraphs, headings and list items.
fn classify_blocks(raw: &[RawBlock]) -> Vec<Block> {
    raw.iter()
        .enumerate()
        .map(|(i, b)| {
            let followed_by_text = raw.get(i + 1).is_some_and(|next| !is_heading_like(next));
            if b.bullet {
                Block::ListItem(b.text.clone())
            } else if is_heading_like(b) && followed_by_text {
                Block::Heading(b.text.clone())
            } else {
                Block::Paragraph(b.text.clone())
            }
        })
        .collect()
}

fn is_heading_like(b: &RawBlock) -> bool {
    b.set_apart
        && !b.bullet
        && b.text.chars().count() <= MAX_HEADING_CHARS
        && b.text.split_whitespace().count() <= MAX_HEADING_WORDS
        && !ends_with_terminal_punctuation(&b.text)
        && !b.text.ends_with([',', '»', '"', '”'])
}

fn ends_with_terminal_punctuation(s: &str) -> bool {
    s.trim_end()
        .ends_with(['.', '!', '?', '…', ':', ';', '»', '"', '”'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ParsedArticle {
        crate::article::parse(
            text.as_bytes(),
            crate::article::Markup::Text,
            &ParseOptions::default().explaining(),
        )
        .expect("parses")
    }

    #[test]
    fn the_title_is_the_best_headline_not_the_first_line() {
        let a = read(
            "Menu\nHome > World > Africa\nThe Daily Planet\n\
             Council approves next year's budget after a long night\n\
             By Jane Doe and John Roe · Apr. 3, 2025, 9:15 a.m. ET\n\n\
             The city council approved the budget on Tuesday night, after a long debate.\n",
        );
        assert_eq!(
            a.meta.title,
            "Council approves next year's budget after a long night"
        );
        assert_eq!(a.meta.author.as_deref(), Some("Jane Doe and John Roe"));
        let stripped: Vec<&str> = a.stripped.iter().map(String::as_str).collect();
        assert_eq!(
            stripped,
            ["Menu", "Home > World > Africa", "The Daily Planet"]
        );
        let title = a
            .explained
            .iter()
            .find(|n| n.role == "title")
            .expect("a title note");
        assert_eq!(title.signal, "best headline score");
    }

    #[test]
    fn metadata_after_blank_lines_and_a_standfirst_is_read() {
        let a = read(
            "Amersfoort opent fietsenstalling\n\n\
             Onder het Stationsplein is vrijdag een nieuwe fietsenstalling geopend.\n\n\
             Door Pieter van Dijk\n\nvr 11 apr 2025, 13:05\n\n\
             De stalling is de eerste 24 uur gratis, daarna betalen gebruikers.\n",
        );
        assert_eq!(a.meta.author.as_deref(), Some("Pieter van Dijk"));
        let first = a.paragraphs().next();
        assert_eq!(
            first,
            Some("Onder het Stationsplein is vrijdag een nieuwe fietsenstalling geopend.")
        );
        assert_eq!(a.paragraphs().count(), 2);
    }

    #[test]
    fn chrome_goes_wherever_it_stands_but_a_sentence_between_paragraphs_stays() {
        let a = read(
            "A title of several words here\n\
             The first paragraph of the article, which is long enough to be one.\n\
             Advertisement\n\
             Share this article on Facebook and Twitter, the mayor told the council.\n\
             Facebook Twitter WhatsApp\n\
             The last paragraph of the article ends here with a full stop.\n\
             12 comments\n",
        );
        let paragraphs: Vec<&str> = a.paragraphs().collect();
        assert_eq!(
            paragraphs,
            [
                "The first paragraph of the article, which is long enough to be one.",
                "Share this article on Facebook and Twitter, the mayor told the council.",
                "The last paragraph of the article ends here with a full stop.",
            ]
        );
        let roles: Vec<&str> = a
            .explained
            .iter()
            .filter(|n| {
                ["advertisement", "share bar", "comment counter"].contains(&n.role.as_str())
            })
            .map(|n| n.line.as_str())
            .collect();
        assert_eq!(
            roles,
            ["Advertisement", "Facebook Twitter WhatsApp", "12 comments"]
        );
    }

    #[test]
    fn published_is_the_date_when_updated_is_given_too_and_relative_times_are_not_dates() {
        let a = read(
            "Greenland cores point to ice-free summers long ago\n\
             By Priya Raman | Published 14 March 2025 · Updated 16 March 2025\n\n\
             The ice sheet may be more sensitive to warming than many models assume, they say.\n",
        );
        let (date, _) = a.meta.date.expect("a date");
        assert_eq!(date.to_rfc3339(), "2025-03-14T00:00:00+00:00");
        let b = read(
            "Ferry operator cuts winter crossings to the islands\nUpdated 2 hours ago\n\n\
             The operator will cut winter sailings by almost a third from October, it said.\n",
        );
        assert_eq!(b.meta.date, None);
    }

    #[test]
    fn the_metadata_lexicon_loads() {
        let words: MetadataWords =
            toml::from_str(include_str!("lexicon/metadata.toml")).expect("valid lexicon");
        assert!(words.author.bylines.contains(&"by".to_string()));
        let lexicon = lexicon();
        assert_eq!(
            lexicon.bylines.strip("Par Marie Curie"),
            Some("Marie Curie")
        );
        assert_eq!(lexicon.bylines.strip("文/张三"), Some("张三"));
        assert_eq!(
            lexicon.date_prefixes.strip("Publié le 3 avril 2025"),
            Some("3 avril 2025")
        );
        assert_eq!(lexicon.bylines.strip("Partout en France"), None);
        assert!(lexicon.joiners.contains("and"));
        assert!(matches!(lexicon.keys.get("autor"), Some(Field::Author)));
        for key in words.author.keys.iter().chain(&words.tags.keys) {
            assert_eq!(key, &key.to_lowercase(), "keys are lowercase");
        }
    }
}
