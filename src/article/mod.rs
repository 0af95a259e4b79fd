//! One file's bytes to an article: decode, read title and metadata lines, split the body into
//! paragraphs and headings, strip site boilerplate, date it and detect its language.
//!
//! Plain text (`.txt`) is read heuristically, in two layouts: one paragraph per line with no
//! blank lines, and paragraphs separated by blank lines (where a short, unpunctuated line set
//! apart is a section heading); lines starting with a bullet are list items in both.
//! Markdown (`.md`) is read by [`markdown`], with its front matter.

pub mod clean;
pub mod date;
pub mod decode;
pub mod lang;
pub mod markdown;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use date::{DateRules, FoundDate};

/// Most metadata lines read after the title; a longer run is body text.
pub const MAX_METADATA_LINES: usize = 12;
/// Longest line that can be a section heading.
pub const MAX_HEADING_CHARS: usize = 120;
/// Most words in a section heading.
pub const MAX_HEADING_WORDS: usize = 16;
/// Longest name accepted from a `Par X` / `By X` line.
pub const MAX_AUTHOR_CHARS: usize = 80;
/// How many body blocks are searched for a dateline when no metadata gives a date.
pub const DATELINE_BLOCKS: usize = 3;

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
}

/// How a file is read, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text, read heuristically.
    Text,
    /// Markdown with optional front matter.
    Markdown,
}

impl Format {
    /// `.md` and `.markdown` are Markdown; everything else is plain text.
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("md" | "markdown") => Format::Markdown,
            _ => Format::Text,
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
    pub fn as_str(self) -> &'static str {
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
pub enum Block {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A section heading.
    Heading(String),
    /// One item of a bullet list.
    ListItem(String),
}

impl Block {
    /// The block's plain text.
    pub fn text(&self) -> &str {
        match self {
            Block::Paragraph(t) | Block::Heading(t) | Block::ListItem(t) => t,
        }
    }
}

/// What the parser understood from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedArticle {
    /// The title, whitespace-collapsed.
    pub title: String,
    /// The date found in the file, with where it came from.
    pub date: Option<(DateTime<Utc>, DateSource)>,
    /// The author named in the file.
    pub author: Option<String>,
    /// `Source:` metadata.
    pub source: Option<String>,
    /// `Tags:` metadata.
    pub tags: Vec<String>,
    /// The encoding the file was read in.
    pub encoding: &'static str,
    /// BCP 47 language tag: detected, or the configured fallback.
    pub language: String,
    /// The body, in order, as plain text.
    pub blocks: Vec<Block>,
    /// The body as HTML when the file's format produces it (Markdown); `None` means the HTML
    /// is built from `blocks`.
    pub html: Option<String>,
    /// A summary the file gives itself (front matter).
    pub summary: Option<String>,
    /// Lines removed as site boilerplate.
    pub stripped: Vec<String>,
}

impl ParsedArticle {
    /// The paragraphs' text, in order.
    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Paragraph(p) => Some(p.as_str()),
            _ => None,
        })
    }

    /// The headings' text, in order.
    pub fn headings(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Heading(h) => Some(h.as_str()),
            _ => None,
        })
    }

    /// The list items' text, in order.
    pub fn list_items(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::ListItem(i) => Some(i.as_str()),
            _ => None,
        })
    }
}

/// What parsing needs from the configuration.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Language used when detection is not confident.
    pub default_language: String,
    /// How zoneless, timeless and slashed dates are read.
    pub dates: DateRules,
    /// Site chrome markers.
    pub boilerplate: clean::Boilerplate,
}

/// Parses one article file in the given format.
pub fn parse(
    bytes: &[u8],
    format: Format,
    options: &ParseOptions,
) -> Result<ParsedArticle, SkipReason> {
    let decoded = decode::decode(bytes)?;
    if decoded.text.trim().is_empty() {
        return Err(SkipReason::Empty);
    }
    let mut article = match format {
        Format::Text => parse_text(&decoded.text, options)?,
        Format::Markdown => parse_markdown(&decoded.text, &options.dates)?,
    };
    if !article
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Paragraph(_) | Block::ListItem(_)))
    {
        return Err(SkipReason::NoBody);
    }
    if article.date.is_none() {
        let dateline = article
            .paragraphs()
            .take(DATELINE_BLOCKS)
            .find_map(date::find_date_in_text);
        article.date = dateline
            .and_then(|d| d.to_utc(&options.dates))
            .map(|d| (d, DateSource::Text));
    }
    article.encoding = decoded.encoding;
    article.language =
        detect_language(&article).unwrap_or_else(|| options.default_language.clone());
    Ok(article)
}

/// The language of the title and the first few kilobytes of body.
fn detect_language(article: &ParsedArticle) -> Option<String> {
    let mut sample = article.title.clone();
    for block in &article.blocks {
        if sample.len() >= lang::DETECT_SAMPLE_BYTES {
            break;
        }
        sample.push('\n');
        sample.push_str(block.text());
    }
    lang::detect(&sample).map(str::to_string)
}

/// An article with only what every format fills in; the rest is set by [`parse`].
fn article(title: String, blocks: Vec<Block>) -> ParsedArticle {
    ParsedArticle {
        title,
        date: None,
        author: None,
        source: None,
        tags: Vec::new(),
        encoding: "UTF-8",
        language: String::new(),
        blocks,
        html: None,
        summary: None,
        stripped: Vec::new(),
    }
}

fn parse_text(text: &str, options: &ParseOptions) -> Result<ParsedArticle, SkipReason> {
    let lines: Vec<&str> = text.lines().collect();
    let title_index = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .ok_or(SkipReason::Empty)?;
    let title = collapse_whitespace(lines[title_index]);

    let mut meta = Metadata::default();
    let body_start = read_metadata(&lines, title_index + 1, &mut meta);
    let raw = raw_blocks(&lines[body_start..]);
    let texts: Vec<&str> = raw.iter().map(|b| b.text.as_str()).collect();
    let (start, end) = options.boilerplate.article_bounds(&texts);
    let stripped = raw[..start]
        .iter()
        .chain(&raw[end..])
        .flat_map(|b| b.text.lines().map(str::to_string))
        .collect();

    let mut article = article(title, classify_blocks(&raw[start..end]));
    article.date = meta
        .date
        .and_then(|found| found.to_utc(&options.dates))
        .map(|d| (d, DateSource::Metadata));
    article.author = meta.author;
    article.source = meta.source;
    article.tags = meta.tags;
    article.stripped = stripped;
    Ok(article)
}

fn parse_markdown(text: &str, rules: &DateRules) -> Result<ParsedArticle, SkipReason> {
    let md = markdown::parse(text)?;
    let title = md
        .title
        .or_else(|| md.blocks.first().map(|b| collapse_whitespace(b.text())))
        .ok_or(SkipReason::Empty)?;
    let mut article = article(title, md.blocks);
    article.date = md
        .front
        .date
        .and_then(|found| found.to_utc(rules))
        .map(|d| (d, DateSource::FrontMatter));
    article.author = md.front.author;
    article.tags = md.front.tags;
    article.summary = md.front.summary;
    article.html = Some(md.html);
    Ok(article)
}

/// Collapses runs of white space to one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Default)]
struct Metadata {
    date: Option<FoundDate>,
    author: Option<String>,
    source: Option<String>,
    tags: Vec<String>,
}

/// Reads metadata lines from `start` (blank lines between them allowed); returns the index of
/// the first body line.
fn read_metadata(lines: &[&str], start: usize, meta: &mut Metadata) -> usize {
    let mut body_start = start;
    let mut read = 0;
    let mut i = start;
    while read < MAX_METADATA_LINES {
        while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
            i += 1;
        }
        let Some(line) = lines.get(i) else { break };
        if !apply_metadata_line(line.trim(), meta) {
            break;
        }
        read += 1;
        i += 1;
        body_start = i;
    }
    body_start
}

/// Applies one metadata line; false when the line is not metadata.
fn apply_metadata_line(line: &str, meta: &mut Metadata) -> bool {
    if meta.date.is_none() {
        if let Some(found) = date::parse_date_line(line) {
            meta.date = Some(found);
            return true;
        }
    }
    if let Some((key, value)) = line.split_once(':') {
        let value = collapse_whitespace(value);
        match key.trim().to_lowercase().as_str() {
            "auteur" | "author" | "par" | "by" if !value.is_empty() => {
                meta.author.get_or_insert(value);
                return true;
            }
            "date" | "publié le" | "published" | "publication" => {
                if let Some(found) = date::parse_date_line(&value) {
                    meta.date.get_or_insert(found);
                    return true;
                }
                return false;
            }
            "source" if !value.is_empty() => {
                meta.source.get_or_insert(value);
                return true;
            }
            "tags" | "mots-clés" | "mots clés" | "keywords" => {
                meta.tags.extend(
                    value
                        .split([',', ';'])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                );
                return true;
            }
            _ => {}
        }
    }
    let lower = line.to_lowercase();
    for prefix in [
        "publié le ",
        "published on ",
        "published ",
        "mis à jour le ",
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            if let Some(found) = date::parse_date_line(rest) {
                meta.date.get_or_insert(found);
                return true;
            }
        }
    }
    for prefix in ["par ", "by "] {
        if lower.starts_with(prefix) {
            let name = collapse_whitespace(&line[prefix.len()..]);
            if looks_like_name(&name) {
                meta.author.get_or_insert(name);
                return true;
            }
        }
    }
    false
}

/// A byline name: starts with a capital letter, short, a few words, no sentence punctuation.
fn looks_like_name(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
        && name.chars().count() <= MAX_AUTHOR_CHARS
        && name.split_whitespace().count() <= 6
        && !name.ends_with(['.', '!', '?', ';', ':', ','])
}

/// A run of body text before headings are recognised.
#[derive(Debug)]
struct RawBlock {
    text: String,
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
fn raw_blocks(body: &[&str]) -> Vec<RawBlock> {
    let groups: Vec<Vec<&str>> = body
        .split(|l| l.trim().is_empty())
        .filter(|g| !g.is_empty())
        .map(|g| g.iter().map(|l| l.trim()).collect())
        .collect();
    let blank_separated = groups.len() > 1;
    let mut blocks = Vec::new();
    for group in groups {
        // Runs of bullet and non-bullet lines within the group.
        for run in group.chunk_by(|a, b| strip_bullet(a).is_some() == strip_bullet(b).is_some()) {
            if strip_bullet(run[0]).is_some() {
                blocks.extend(
                    run.iter()
                        .filter_map(|l| strip_bullet(l))
                        .map(|item| RawBlock {
                            text: collapse_whitespace(item),
                            set_apart: false,
                            bullet: true,
                        }),
                );
                continue;
            }
            let one_line_paragraphs = run.len() > 1
                && run[..run.len() - 1]
                    .iter()
                    .all(|l| ends_with_terminal_punctuation(l));
            if !blank_separated || one_line_paragraphs {
                blocks.extend(run.iter().map(|l| RawBlock {
                    text: collapse_whitespace(l),
                    set_apart: false,
                    bullet: false,
                }));
            } else {
                blocks.push(RawBlock {
                    text: collapse_whitespace(&run.join(" ")),
                    set_apart: group.len() == 1,
                    bullet: false,
                });
            }
        }
    }
    blocks
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

    fn options() -> ParseOptions {
        ParseOptions {
            default_language: "en".into(),
            dates: DateRules::default(),
            boilerplate: clean::Boilerplate::default(),
        }
    }

    fn parse_str(text: &str) -> ParsedArticle {
        parse(text.as_bytes(), Format::Text, &options()).expect("parses")
    }

    #[test]
    fn metadata_lines_in_any_order() {
        let a = parse_str(
            "Title here\nAuthor: Jane Doe\nTags: one, two\n2024-02-29\nSource: Wire\n\
             First paragraph of the text.\nSecond paragraph.\n",
        );
        assert_eq!(a.title, "Title here");
        assert_eq!(a.author.as_deref(), Some("Jane Doe"));
        assert_eq!(a.tags, ["one", "two"]);
        assert_eq!(a.source.as_deref(), Some("Wire"));
        let (date, source) = a.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2024-02-29T00:00:00+00:00");
        assert_eq!(source, DateSource::Metadata);
        assert_eq!(a.paragraphs().count(), 2);
    }

    #[test]
    fn byline_and_published_phrases() {
        let a = parse_str(
            "Titre\nPar Marie Curie\nPublié le 3 avril 2025 à 14h30\n\nCorps du texte.\n",
        );
        assert_eq!(a.author.as_deref(), Some("Marie Curie"));
        let (date, _) = a.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-04-03T14:30:00+00:00");
    }

    #[test]
    fn by_and_a_year_is_not_a_byline() {
        let a = parse_str("Title\nBy 2030\nthe city will have doubled.\n");
        assert_eq!(a.author, None);
    }

    #[test]
    fn a_sentence_starting_with_by_is_body() {
        let a = parse_str("Title\nBy the end of the year, prices had doubled again.\n");
        assert_eq!(a.author, None);
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
            parse(b"  \n\n\t\n", Format::Text, &options()),
            Err(SkipReason::Empty)
        );
        assert_eq!(
            parse(b"Just a title\n", Format::Text, &options()),
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
        let a = parse(md.as_bytes(), Format::Markdown, &options()).expect("parses");
        assert_eq!(a.title, "Front title");
        assert_eq!(a.author.as_deref(), Some("Ann"));
        assert_eq!(a.date.map(|d| d.1), Some(DateSource::FrontMatter));
        assert!(
            a.html
                .as_deref()
                .is_some_and(|h| h.contains("<h1>Ignored H1</h1>"))
        );
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::of(Path::new("a/b.MD")), Format::Markdown);
        assert_eq!(Format::of(Path::new("a/b.txt")), Format::Text);
    }

    #[test]
    fn undetectable_language_falls_back() {
        let a = parse_str("T\nok\n");
        assert_eq!(a.language, "en");
    }
}
