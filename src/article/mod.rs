//! One file's bytes to an article: decode, read title and metadata lines, split the body into
//! paragraphs and headings, strip site boilerplate, date it and detect its language.
//!
//! Plain text (`.txt`) is read heuristically, in two layouts: one paragraph per line with no
//! blank lines, and paragraphs separated by blank lines (where a short, unpunctuated line set
//! apart is a section heading); lines starting with a bullet are list items in both.
//! Markdown (`.md`) is read by [`markdown`], with its front matter.

pub(crate) mod chrome;
pub(crate) mod clean;
pub(crate) mod date;
pub(crate) mod decode;
pub(crate) mod lang;
pub mod markdown;
mod text;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{ConfigError, Settings};
use date::{DateRules, FoundDate};
use text::{DATELINE_BLOCKS, parse_text};

/// The word lists the reader is built on (`lexicon/`), in one place so that a change to any of
/// them changes [`lexicon_digest`] and cached articles are read again.
pub(crate) const LEXICONS: &[&str] = &[
    include_str!("lexicon/chrome.toml"),
    include_str!("lexicon/metadata.toml"),
    include_str!("lexicon/date_words.toml"),
    include_str!("lexicon/months.tsv"),
    include_str!("lexicon/weekdays.txt"),
    include_str!("lexicon/zones.tsv"),
    include_str!("lexicon/latin_profiles.txt"),
];

/// A hash of every lexicon's text.
pub(crate) fn lexicon_digest() -> u64 {
    xxhash_rust::xxh3::xxh3_64(LEXICONS.concat().as_bytes())
}

/// Why a file is not published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// Nothing but white space.
    #[error("file is empty")]
    Empty,
    /// An image, archive or other non-text file.
    #[error("binary file ({0})")]
    Binary(String),
    /// Text with invalid sequences for the encoding it declares or was recognised as.
    #[error("text is not valid {encoding}")]
    Undecodable {
        /// The encoding's name.
        encoding: &'static str,
    },
    /// A title and nothing after it.
    #[error("no article text after the title")]
    NoBody,
    /// Over `seeds.max_file_bytes`.
    #[error("file is {size} bytes, over the {limit}-byte limit (seeds.max_file_bytes)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// Front matter says `draft: true`.
    #[error("marked as a draft in its front matter")]
    Draft,
    /// Front matter that cannot be parsed.
    #[error("front matter cannot be read: {0}")]
    FrontMatter(String),
    /// The parser panicked on this file (a bug in seedfeed: please report the file).
    #[error("the parser failed on this file (a seedfeed bug; please report it)")]
    ParserPanic,
    /// Its path goes through a symbolic link that the seeds folder's rules do not follow
    /// (any link without `seeds.follow_symlinks`, a link leading out of the folder with it),
    /// for example a published folder swapped for a link to `/etc`.
    #[error("reached through a symbolic link to {0}, which is not followed")]
    Link(String),
}

impl SkipReason {
    /// A short stable name of the reason, for metrics labels.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            SkipReason::Empty => "empty",
            SkipReason::Binary(_) => "binary",
            SkipReason::Undecodable { .. } => "undecodable",
            SkipReason::NoBody => "no_body",
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::Draft => "draft",
            SkipReason::FrontMatter(_) => "front_matter",
            SkipReason::ParserPanic => "parser_panic",
            SkipReason::Link(_) => "link",
        }
    }
}

/// How a file is read, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Plain text, read heuristically.
    Text,
    /// Markdown with optional front matter.
    Markdown,
}

impl Markup {
    /// `.md` and `.markdown` are Markdown; everything else is plain text.
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("md" | "markdown") => Markup::Markdown,
            _ => Markup::Text,
        }
    }
}

/// Where an article's date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// A date line after the title.
    Metadata,
    /// Markdown front matter.
    FrontMatter,
    /// A date found in the first paragraphs (a dateline).
    Text,
    /// No date in the file: the time seedfeed first saw it.
    FirstSeen,
}

impl DateSource {
    /// The lowercase name used in `inspect` and logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DateSource::Metadata => "metadata",
            DateSource::FrontMatter => "front_matter",
            DateSource::Text => "text",
            DateSource::FirstSeen => "first_seen",
        }
    }
}

/// A unit of article body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A section heading.
    Heading(String),
    /// One item of a bullet list.
    ListItem(String),
}

impl Block {
    /// The block's plain text.
    pub(crate) fn text(&self) -> &str {
        match self {
            Block::Paragraph(t) | Block::Heading(t) | Block::ListItem(t) => t,
        }
    }
}

/// What the parser understood from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedArticle {
    /// Title, date, author, source, tags and language: what the index keeps.
    pub meta: ArticleMeta,
    /// The encoding the file was read in (`encoding_rs`'s name for it).
    pub encoding: String,
    /// The body, in order, as plain text.
    pub(crate) blocks: Vec<Block>,
    /// The body as HTML when the file's format produces it (Markdown); `None` means the HTML
    /// is built from `blocks`.
    pub html: Option<String>,
    /// A summary the file gives itself (front matter).
    pub summary: Option<String>,
    /// Lines removed as site boilerplate.
    pub stripped: Vec<String>,
    /// Each decided line's role and the signal that decided it; filled only when the
    /// options ask for it ([`ParseOptions::explaining`]), for `inspect --explain`.
    pub explained: Vec<LineNote>,
}

/// What the reader took one line for, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineNote {
    /// The line, trimmed.
    pub line: String,
    /// Its role: `title`, `author + date`, `navigation`, `share bar`, `paragraph`, ...
    pub role: String,
    /// The signal that decided it: `byline word`, `whole line`, `run of short lines`, ...
    pub signal: String,
}

impl ParsedArticle {
    /// About how many bytes the article holds (its texts and their bookkeeping), for caches
    /// bounded by bytes.
    pub(crate) fn weight(&self) -> usize {
        /// A `String` or a `Block` beside its text: pointer, length, capacity, tag.
        const OVERHEAD: usize = 32;
        let texts = self.blocks.iter().map(|b| b.text().len() + OVERHEAD);
        let extra = self.stripped.iter().map(|s| s.len() + OVERHEAD);
        std::mem::size_of::<Self>()
            + self.meta.title.len()
            + self.html.as_ref().map_or(0, String::len)
            + self.summary.as_ref().map_or(0, String::len)
            + texts.chain(extra).sum::<usize>()
    }

    /// The paragraphs' text, in order.
    pub(crate) fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Paragraph(p) => Some(p.as_str()),
            _ => None,
        })
    }

    /// The headings' text, in order.
    pub(crate) fn headings(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Heading(h) => Some(h.as_str()),
            _ => None,
        })
    }

    /// The list items' text, in order.
    pub(crate) fn list_items(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::ListItem(i) => Some(i.as_str()),
            _ => None,
        })
    }

    /// The summary: the one its front matter gives, else its first paragraph (or list
    /// item), cut at a word boundary after [`SUMMARY_CHARS`] characters.
    pub(crate) fn summary_text(&self) -> String {
        let text = self.summary.as_deref().or_else(|| {
            self.paragraphs()
                .next()
                .or_else(|| self.list_items().next())
        });
        text.map(|t| truncate_words(t, SUMMARY_CHARS))
            .unwrap_or_default()
    }
}

/// Longest summary (in characters, before the ellipsis) taken from the first paragraph.
pub(crate) const SUMMARY_CHARS: usize = 280;

/// Cuts `text` to at most `max` characters at a word boundary, adding `…` when cut.
pub(crate) fn truncate_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let at_word = head
        .rfind(char::is_whitespace)
        .filter(|&i| i > 0)
        .map_or(head, |i| &head[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', ' ']))
}

/// What the index keeps of an article, in memory and in the state database: what ordering and
/// listing need, but not the body (nor the summary taken from it), which is read from the file
/// again when a page or feed item needs it. At 100,000 articles every byte here is 100 KB.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ArticleMeta {
    /// The title, whitespace-collapsed.
    pub title: String,
    /// The date found in the file, with where it came from.
    pub date: Option<(DateTime<Utc>, DateSource)>,
    /// The author named in the file.
    pub author: Option<String>,
    /// `Source:` metadata.
    pub source: Option<String>,
    /// `Tags:` metadata.
    pub tags: Box<[String]>,
    /// BCP 47 language tag: detected, or the configured fallback.
    pub language: Box<str>,
    /// MinHash of the title's and body's words, to find related articles: `None` while not
    /// computed yet, empty for a text too short to compare.
    #[serde(default)]
    pub signature: crate::related::SignatureCell,
}

/// What parsing needs from the configuration.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Language used when detection is not confident.
    pub(crate) default_language: String,
    /// The language detector, limited to `feed.detect_languages`.
    pub(crate) detector: lang::Detector,
    /// How zoneless, timeless and slashed dates are read.
    pub(crate) dates: DateRules,
    /// Languages whose slashed dates are month first whatever `dates.day_first` says.
    pub(crate) month_first_languages: Vec<String>,
    /// Site chrome markers for every language.
    pub(crate) boilerplate: clean::Boilerplate,
    /// Markers for articles in one language (shared markers included), by primary tag.
    pub(crate) language_boilerplate: BTreeMap<String, clean::Boilerplate>,
    /// Whether to record each line's role (`inspect --explain`); off in the daemon.
    pub(crate) explain: bool,
    /// Whether to compute the related-stories signature; off for the daemon's bulk passes,
    /// which leave it to the background (see `store::signing`).
    pub(crate) signatures: bool,
}

impl Default for ParseOptions {
    /// The built-in defaults, the ones `config/default.toml` states. (They are known to be
    /// valid: see `the_default_settings_give_parse_options`.)
    fn default() -> Self {
        Self::new(&Settings::default())
            .unwrap_or_else(|_| Self::from_parts(&Settings::default(), lang::every_language()))
    }
}

impl ParseOptions {
    /// What the parser needs from `settings`, each value read once. A language in
    /// `feed.detect_languages` that the detector does not know is an error naming the key.
    pub fn new(settings: &Settings) -> Result<Self, ConfigError> {
        let detector = lang::detector(&settings.feed.detect_languages).map_err(|bad| {
            ConfigError::Invalid {
                key: "feed.detect_languages".into(),
                reason: format!(
                    "{bad:?} is not a language the detector knows (like \"en\" or \"fr\")"
                ),
            }
        })?;
        Ok(Self::from_parts(settings, detector))
    }

    fn from_parts(settings: &Settings, detector: lang::Detector) -> Self {
        let b = &settings.boilerplate;
        let boilerplate = clean::Boilerplate::new(&b.lines, &b.prefixes, &b.phrases);
        let language_boilerplate = b
            .languages
            .iter()
            .map(|(tag, m)| {
                let markers = boilerplate.extended(&m.lines, &m.prefixes, &m.phrases);
                (tag.to_ascii_lowercase(), markers)
            })
            .collect();
        Self {
            default_language: settings.feed.language.clone(),
            detector,
            dates: DateRules {
                timezone: settings.dates.timezone,
                default_time: settings.dates.default_time,
                day_first: settings.dates.day_first,
                language: "",
            },
            month_first_languages: settings.dates.month_first_languages.clone(),
            boilerplate,
            language_boilerplate,
            explain: false,
            signatures: true,
        }
    }

    /// These options without the related-stories signature: [`ArticleMeta::signature`] is
    /// left `None` (not computed yet).
    pub(crate) fn without_signatures(&self) -> Self {
        Self {
            signatures: false,
            ..self.clone()
        }
    }

    /// These options, recording why each line was read as it was
    /// ([`ParsedArticle::explained`]).
    pub fn explaining(self) -> Self {
        Self {
            explain: true,
            ..self
        }
    }

    /// Date rules for an article in `language` (a BCP 47 tag).
    pub(crate) fn date_rules(&self, language: &str) -> DateRules {
        let primary = primary_subtag(language);
        let month_first = self
            .month_first_languages
            .iter()
            .any(|l| l.eq_ignore_ascii_case(primary));
        DateRules {
            day_first: self.dates.day_first && !month_first,
            language: date::language_key(primary),
            ..self.dates
        }
    }

    /// Boilerplate markers for an article in `language`, when it is known.
    pub(crate) fn boilerplate(&self, language: Option<&str>) -> &clean::Boilerplate {
        language
            .and_then(|l| self.language_boilerplate.get(primary_subtag(l)))
            .unwrap_or(&self.boilerplate)
    }
}

/// `fr` of `fr-CA`.
fn primary_subtag(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// Parses one article file in the given format.
pub fn parse(
    bytes: &[u8],
    format: Markup,
    options: &ParseOptions,
) -> Result<ParsedArticle, SkipReason> {
    let decoded = decode::decode(bytes)?;
    if decoded.text.trim().is_empty() {
        return Err(SkipReason::Empty);
    }
    let text = split_long_lines(&decoded.text);
    let (mut article, found, language) = match format {
        Markup::Text => parse_text(&text, options)?,
        Markup::Markdown => parse_markdown(&text, options)?,
    };
    if !article
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Paragraph(_) | Block::ListItem(_)))
    {
        return Err(SkipReason::NoBody);
    }
    article.encoding = decoded.encoding.to_string();
    article.meta.language = language
        .unwrap_or_else(|| options.default_language.clone())
        .into();
    let rules = options.date_rules(&article.meta.language);
    article.meta.date = found.and_then(|(d, source)| Some((d.to_utc(&rules)?, source)));
    if options.signatures {
        let body: Vec<&str> = article.blocks.iter().map(Block::text).collect();
        let signature =
            crate::related::signature(&article.meta.title, &body, &article.meta.language);
        article.meta.signature = crate::related::SignatureCell::with(signature.unwrap_or_default());
    }
    if article.meta.date.is_none() {
        let dateline = article
            .paragraphs()
            .take(DATELINE_BLOCKS)
            .find_map(date::find_date_in_text);
        article.meta.date = dateline
            .and_then(|d| d.to_utc(&rules))
            .map(|d| (d, DateSource::Text));
    }
    Ok(article)
}

/// Longest line, in bytes, that the line-based reader sees; a longer line (a minified page, a
/// file with no line breaks) is broken at white space, or at a character boundary when it has
/// none, so no heuristic ever works on more than this at once.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024;

/// `text` with every line over [`MAX_LINE_BYTES`] broken into several; borrowed when none is.
fn split_long_lines(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.lines().any(|l| l.len() > MAX_LINE_BYTES) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + text.len() / MAX_LINE_BYTES);
    for line in text.lines() {
        let mut rest = line;
        while rest.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            // Prefer the last white space in the second half of the window. (Searching the
            // whole window: its middle byte need not be a character boundary.)
            if let Some(space) = rest[..cut]
                .rfind(char::is_whitespace)
                .filter(|&space| space >= cut / 2)
            {
                cut = space;
            }
            let (head, tail) = rest.split_at(cut);
            out.push_str(head.trim_end());
            out.push('\n');
            rest = tail.trim_start();
        }
        out.push_str(rest);
        out.push('\n');
    }
    std::borrow::Cow::Owned(out)
}

/// The language of a title and the first few hundred bytes of text after it.
fn detect_language<'a>(
    detector: &lang::Detector,
    title: &str,
    texts: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let mut sample = title.to_string();
    for text in texts {
        if sample.len() >= lang::DETECT_SAMPLE_BYTES {
            break;
        }
        sample.push('\n');
        sample.push_str(text);
    }
    lang::detect(detector, &sample).map(str::to_string)
}

/// Most blocks (paragraphs, headings, list items) kept of one article; the rest is replaced
/// by a final "…" paragraph. Each block costs about 50 bytes beyond its text, so two million
/// one-character lines would hold 100 MB in memory for a 4 MB file; no article has that many.
pub(crate) const MAX_BLOCKS: usize = 20_000;

/// An article with only what every format fills in; the rest is set by [`parse`].
fn article(title: String, mut blocks: Vec<Block>) -> ParsedArticle {
    if blocks.len() > MAX_BLOCKS {
        blocks.truncate(MAX_BLOCKS);
        blocks.push(Block::Paragraph("…".into()));
        blocks.shrink_to_fit();
    }
    ParsedArticle {
        meta: ArticleMeta {
            title,
            date: None,
            author: None,
            source: None,
            tags: Box::default(),
            language: Box::default(),
            signature: crate::related::SignatureCell::default(),
        },
        encoding: String::new(),
        blocks,
        html: None,
        summary: None,
        stripped: Vec::new(),
        explained: Vec::new(),
    }
}

/// What a format's reader returns: the article, the date as found in the file (read once the
/// language says how), and the detected language (`None`: the detector was not confident).
type Read = (
    ParsedArticle,
    Option<(FoundDate, DateSource)>,
    Option<String>,
);

fn parse_markdown(text: &str, options: &ParseOptions) -> Result<Read, SkipReason> {
    let md = markdown::parse(text)?;
    let title = md
        .title
        .or_else(|| md.blocks.first().map(|b| clean_field(b.text())))
        .ok_or(SkipReason::Empty)?;
    let mut article = article(title, md.blocks);
    article.meta.author = md.front.author;
    article.meta.tags = md.front.tags.into();
    article.summary = md.front.summary;
    article.html = Some(md.html);
    let language = detect_language(
        &options.detector,
        &article.meta.title,
        article.blocks.iter().map(Block::text),
    );
    let found = md.front.date.map(|d| (d, DateSource::FrontMatter));
    Ok((article, found, language))
}

/// Collapses runs of white space to one space and trims.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    // This runs on every line and paragraph of every file, and most need nothing: copied
    // whole (reading them word by word was 8% of a first start's CPU).
    if is_collapsed(s) {
        return s.to_string();
    }
    // One pass into one buffer.
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// True when `s` has no white space but single spaces between words, so collapsing it changes
/// nothing. Its bytes are checked by blocks, with no branch per byte; only a text with
/// a byte that may start another white space character (`\u{a0}`, `\u{2009}`, `\u{3000}`, ...)
/// is read character by character.
fn is_collapsed(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') || s.contains("  ") {
        return false;
    }
    let mut wide = false;
    for block in bytes.chunks(64) {
        let (control, lead) = block.iter().fold((false, false), |(control, lead), &b| {
            (
                control | matches!(b, b'\t'..=b'\r'),
                lead | matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3),
            )
        });
        if control {
            return false;
        }
        wide |= lead;
    }
    !wide || !s.chars().any(|c| c != ' ' && c.is_whitespace())
}

/// A title or metadata value as shown: invisible format characters
/// ([`crate::text::is_invisible_format`]) removed, white space collapsed.
pub(crate) fn clean_field(s: &str) -> String {
    if !s.chars().any(crate::text::is_invisible_format) {
        return collapse_whitespace(s);
    }
    let visible: String = s
        .chars()
        .filter(|c| !crate::text::is_invisible_format(*c))
        .collect();
    collapse_whitespace(&visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_copied_whole_is_only_text_collapsing_would_not_change() {
        let collapsed = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for text in [
                format!("a{c}b"),
                format!("{c}x"),
                format!("é {c}\u{2019}ü y"),
            ] {
                assert_eq!(
                    collapse_whitespace(&text),
                    collapsed(&text),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        let long = "word ".repeat(40);
        for text in [
            "",
            " ",
            "a  b",
            "a b",
            long.trim_end(),
            &long,
            &format!("{long}\tx"),
        ] {
            assert_eq!(collapse_whitespace(text), collapsed(text), "{text:?}");
        }
    }

    // Issue 16, item 3: zero-width spaces, soft hyphens and bidi controls scraped into a
    // title or a byline made them differ from what a reader sees (and from each other).
    #[test]
    fn invisible_characters_leave_titles_and_metadata() {
        let text = "Mali\u{200b}–Russie\u{ad} : le\u{feff} bilan\n\
                    Par \u{202b}Awa Traoré\u{202c}\n\
                    2025-04-03\n\n\
                    Le texte garde ses caractères, y compris l\u{2019}apostrophe.\n";
        let a = parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parses");
        assert_eq!(a.meta.title, "Mali–Russie : le bilan");
        assert_eq!(a.meta.author.as_deref(), Some("Awa Traoré"));
        assert!(a.meta.date.is_some());
        let md = "---\ntitle: \"Gold\\u200B output\"\nauthor: \"\\u2067Awa\\u2069\"\n---\nBody.\n";
        let a = parse(md.as_bytes(), Markup::Markdown, &ParseOptions::default()).expect("parses");
        assert_eq!(a.meta.title, "Gold output");
        assert_eq!(a.meta.author.as_deref(), Some("Awa"));
        // A zero-width non-joiner is spelling (Persian), not noise.
        let fa = "می\u{200c}خواهم\n\nمتن مقاله اینجا است.\n";
        let a = parse(fa.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parses");
        assert_eq!(a.meta.title, "می\u{200c}خواهم");
    }

    // Issue 16: bylines and metadata keys outside French and English were not read; the
    // byline became the first paragraph. The words are data (`lexicon/metadata.toml`).
    #[test]
    fn bylines_and_metadata_keys_in_other_languages_are_read() {
        for (line, author) in [
            ("Por María López", "María López"),
            ("Von Anna Schmidt", "Anna Schmidt"),
            ("Door Jan de Vries", "Jan de Vries"),
            ("Av Karin Nilsson", "Karin Nilsson"),
            ("Di Marco Rossi", "Marco Rossi"),
            ("Przez Anna Kowalska", "Anna Kowalska"),
            ("Autor: João Silva", "João Silva"),
            ("Yazar: Ayşe Yılmaz", "Ayşe Yılmaz"),
            ("Автор: Иван Петров", "Иван Петров"),
            ("بقلم أحمد علي", "أحمد علي"),
            ("作者：张伟", "张伟"),
            ("文/李明", "李明"),
        ] {
            let text = format!("A title\n{line}\n\nThe first paragraph of the article.\n");
            let a = parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parses");
            assert_eq!(a.meta.author.as_deref(), Some(author), "{line}");
            assert_eq!(
                a.paragraphs().next(),
                Some("The first paragraph of the article."),
                "{line}"
            );
        }
        let text = "A title\nFuente: Agencia EFE\nEtiquetas: economía, Mali\n\nBody text here.\n";
        let a = parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parses");
        assert_eq!(a.meta.source.as_deref(), Some("Agencia EFE"));
        assert_eq!(*a.meta.tags, ["economía", "Mali"]);
        // A sentence that starts with a byline word is body text.
        let text = "A title\n\nVon der Leyen said on Tuesday that talks would resume.\n";
        let a = parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parses");
        assert_eq!(a.meta.author, None);
    }

    #[test]
    fn every_lexicon_file_is_in_the_parser_fingerprint() {
        // A data file left out of `LEXICONS` could change what the parser reads while cached
        // articles are kept: `latin_trigrams.txt` (now `latin_profiles.txt`) once was.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/article/lexicon");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("lexicon folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "py") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("utf-8");
            assert!(
                LEXICONS.contains(&text.as_str()),
                "{} is not in LEXICONS",
                path.display()
            );
            checked += 1;
        }
        assert_eq!(checked, LEXICONS.len());
    }

    #[test]
    fn the_default_settings_give_parse_options() {
        assert!(ParseOptions::new(&Settings::default()).is_ok());
    }

    #[test]
    fn an_unknown_detection_language_names_its_key() {
        let mut settings = Settings::default();
        settings.feed.detect_languages = vec!["en".into(), "klingon".into()];
        let err = ParseOptions::new(&settings).expect_err("unknown language");
        assert!(err.to_string().contains("feed.detect_languages"), "{err}");
    }

    fn options() -> ParseOptions {
        ParseOptions::default()
    }

    fn parse_str(text: &str) -> ParsedArticle {
        parse(text.as_bytes(), Markup::Text, &options()).expect("parses")
    }

    #[test]
    fn metadata_lines_in_any_order() {
        let a = parse_str(
            "Title here\nAuthor: Jane Doe\nTags: one, two\n2024-02-29\nSource: Wire\n\
             First paragraph of the text.\nSecond paragraph.\n",
        );
        assert_eq!(a.meta.title, "Title here");
        assert_eq!(a.meta.author.as_deref(), Some("Jane Doe"));
        assert_eq!(*a.meta.tags, ["one", "two"]);
        assert_eq!(a.meta.source.as_deref(), Some("Wire"));
        let (date, source) = a.meta.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2024-02-29T00:00:00+00:00");
        assert_eq!(source, DateSource::Metadata);
        assert_eq!(a.paragraphs().count(), 2);
    }

    #[test]
    fn byline_and_published_phrases() {
        let a = parse_str(
            "Titre\nPar Marie Curie\nPublié le 3 avril 2025 à 14h30\n\nCorps du texte.\n",
        );
        assert_eq!(a.meta.author.as_deref(), Some("Marie Curie"));
        let (date, _) = a.meta.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-04-03T14:30:00+00:00");
    }

    #[test]
    fn by_and_a_year_is_not_a_byline() {
        let a = parse_str("Title\nBy 2030\nthe city will have doubled.\n");
        assert_eq!(a.meta.author, None);
    }

    #[test]
    fn a_sentence_starting_with_by_is_body() {
        let a = parse_str("Title\nBy the end of the year, prices had doubled again.\n");
        assert_eq!(a.meta.author, None);
        assert_eq!(a.paragraphs().count(), 1);
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let a = parse_str("Title\n\nThis paragraph is wrapped\nacross two lines.\n\nSecond one.\n");
        let paragraphs: Vec<&str> = a.paragraphs().collect();
        assert_eq!(
            paragraphs,
            ["This paragraph is wrapped across two lines.", "Second one."]
        );
    }

    #[test]
    fn headings_need_to_be_set_apart_and_followed_by_text() {
        let a = parse_str(
            "Title\n\nIntro paragraph.\n\nA Section Heading\n\nSection text.\n\nClosing words without a stop\n",
        );
        let headings: Vec<&str> = a.headings().collect();
        assert_eq!(headings, ["A Section Heading"]);
        assert_eq!(a.paragraphs().last(), Some("Closing words without a stop"));
    }

    #[test]
    fn empty_and_title_only_files_are_skipped() {
        assert_eq!(
            parse(b"  \n\n\t\n", Markup::Text, &options()),
            Err(SkipReason::Empty)
        );
        assert_eq!(
            parse(b"Just a title\n", Markup::Text, &options()),
            Err(SkipReason::NoBody)
        );
    }

    #[test]
    fn bullet_lines_are_list_items_in_both_layouts() {
        let a = parse_str("Title\nIntro paragraph.\n- first point\n- second point\nOutro.\n");
        let items: Vec<&str> = a.list_items().collect();
        assert_eq!(items, ["first point", "second point"]);
        assert_eq!(a.paragraphs().count(), 2);
        let b = parse_str("Title\n\nIntro:\n\n• one\n• two\n\nOutro.\n");
        assert_eq!(b.list_items().count(), 2);
    }

    #[test]
    fn markdown_files_use_front_matter() {
        let md =
            "---\ntitle: Front title\nauthor: Ann\ndate: 2025-04-03\n---\n# Ignored H1\n\nBody.\n";
        let a = parse(md.as_bytes(), Markup::Markdown, &options()).expect("parses");
        assert_eq!(a.meta.title, "Front title");
        assert_eq!(a.meta.author.as_deref(), Some("Ann"));
        assert_eq!(a.meta.date.map(|d| d.1), Some(DateSource::FrontMatter));
        assert!(
            a.html
                .as_deref()
                .is_some_and(|h| h.contains("<h1>Ignored H1</h1>"))
        );
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Markup::of(Path::new("a/b.MD")), Markup::Markdown);
        assert_eq!(Markup::of(Path::new("a/b.txt")), Markup::Text);
    }

    #[test]
    fn undetectable_language_falls_back() {
        let a = parse_str("T\nhm\n");
        assert_eq!(&*a.meta.language, "en");
    }

    const FRENCH_BODY: &str = "Le conseil municipal a voté mardi soir le budget de la ville pour \
        l'année prochaine, après un long débat sur les écoles et les transports publics.\n\n\
        Les élus de l'opposition ont demandé que les travaux de la gare soient repoussés.\n";
    const ENGLISH_BODY: &str = "The city council voted on Tuesday night on the town's budget for \
        next year, after a long debate about the schools and the public transport network.\n\n\
        Opposition members asked that the work on the station be postponed until the spring.\n";

    #[test]
    fn slashed_dates_follow_the_article_language() {
        let french = parse_str(&format!("Le budget\n03/04/2025\n\n{FRENCH_BODY}"));
        assert_eq!(&*french.meta.language, "fr");
        let (date, _) = french.meta.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-04-03T00:00:00+00:00");

        let english = parse_str(&format!("The budget\n03/04/2025\n\n{ENGLISH_BODY}"));
        assert_eq!(&*english.meta.language, "en");
        let (date, _) = english.meta.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-03-04T00:00:00+00:00");

        // Unless configured otherwise.
        let all_day_first = ParseOptions {
            month_first_languages: Vec::new(),
            ..options()
        };
        let text = format!("The budget\n03/04/2025\n\n{ENGLISH_BODY}");
        let english = parse(text.as_bytes(), Markup::Text, &all_day_first).expect("parses");
        let (date, _) = english.meta.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-04-03T00:00:00+00:00");
    }

    #[test]
    fn language_markers_strip_only_articles_in_that_language() {
        let german = "Der Haushalt\n\nDer Stadtrat hat am Dienstagabend den Haushalt der Stadt \
            für das kommende Jahr beschlossen, nach einer langen Debatte über die Schulen.\n\n\
            Die Opposition verlangte, dass die Arbeiten am Bahnhof verschoben werden.\n\n\
            Weiterlesen\n\nNeue Radwege in der Innenstadt\n";
        let a = parse_str(german);
        assert_eq!(&*a.meta.language, "de");
        assert_eq!(
            a.stripped,
            ["Weiterlesen", "Neue Radwege in der Innenstadt"]
        );

        // The German marker is a short line like any other in an English article.
        let english = format!("The budget\n\n{ENGLISH_BODY}\nWeiterlesen\n");
        let a = parse_str(&english);
        assert_eq!(&*a.meta.language, "en");
        assert!(a.stripped.is_empty(), "{:?}", a.stripped);
    }

    // Regression (issue 14): Chinese or Thai scraped onto one line over 64 KiB, with no ASCII
    // space, panicked: the window's middle byte was not a character boundary.
    #[test]
    fn long_lines_of_multi_byte_text_are_broken_without_a_panic() {
        for unit in ["中文文本", "ภาษาไทย", "a中"] {
            let line = unit.repeat(3 * MAX_LINE_BYTES / unit.len());
            let text = format!("Title\n\n{line}\n");
            let split = split_long_lines(&text);
            assert!(split.lines().all(|l| l.len() <= MAX_LINE_BYTES));
            assert_eq!(split.replace('\n', ""), text.replace('\n', ""));
            assert!(parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).is_ok());
        }
    }

    #[test]
    fn long_lines_are_broken_without_losing_text() {
        let word = "mot\u{e9} ";
        let line = word.repeat(3 * MAX_LINE_BYTES / word.len());
        let no_space = "\u{e9}".repeat(MAX_LINE_BYTES);
        let text = format!("Title\n\n{line}\n\n{no_space}\n");
        let split = split_long_lines(&text);
        assert!(split.lines().all(|l| l.len() <= MAX_LINE_BYTES));
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            words(&line),
            words(&split)
                .get(1..=words(&line).len())
                .unwrap_or_default()
        );
        assert_eq!(
            split.matches('\u{e9}').count(),
            text.matches('\u{e9}').count()
        );

        // Broken lines of a blank-line-paragraph file join back into their paragraph.
        let a = parse_str(&text);
        assert_eq!(a.meta.title, "Title");
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        let body: String = a.paragraphs().map(squeeze).collect();
        assert_eq!(body, squeeze(&line) + &no_space);
    }

    #[test]
    fn a_long_line_costs_linear_time() {
        // Parsing 8x the text may take about 8x the time, far from the 64x of quadratic work.
        let time = |bytes: usize| {
            let line = "word ".repeat(bytes / 5);
            let text = format!("Title\n\n{line}\n");
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    parse(text.as_bytes(), Markup::Text, &options()).expect("parses");
                    start.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let small = time(256 * 1024);
        let large = time(2 * 1024 * 1024);
        assert!(
            large < small * 24,
            "8x the text took {:.1}x the time ({small:?} -> {large:?})",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}
