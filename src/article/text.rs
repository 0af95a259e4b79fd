//! The plain-text reader: a title line, metadata lines near the top (date, byline, source,
//! tags), then blocks of lines classified as paragraphs, headings and lists.

use super::*;

/// Most metadata lines read after the title; a longer run is body text.
pub(crate) const MAX_METADATA_LINES: usize = 12;
/// Longest line that can be a section heading.
pub(crate) const MAX_HEADING_CHARS: usize = 120;
/// Most words in a section heading.
pub(crate) const MAX_HEADING_WORDS: usize = 16;
/// Longest name accepted from a `Par X` / `By X` line.
pub(crate) const MAX_AUTHOR_CHARS: usize = 80;
/// How many body blocks are searched for a dateline when no metadata gives a date.
pub(crate) const DATELINE_BLOCKS: usize = 3;

pub(super) fn parse_text(text: &str, options: &ParseOptions) -> Result<Read, SkipReason> {
    let lines: Vec<&str> = text.lines().collect();
    let title_index = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .ok_or(SkipReason::Empty)?;
    let title = clean_field(lines[title_index]);

    let mut meta = Metadata::default();
    let body_start = read_metadata(&lines, title_index + 1, &mut meta);
    let raw = raw_blocks(&lines[body_start..]);
    let texts: Vec<&str> = raw.iter().map(|b| b.text.as_str()).collect();
    // The language picks the boilerplate markers, so it is read before stripping: chrome is
    // a few short lines and does not sway the detector.
    let language = detect_language(&options.detector, &title, texts.iter().copied());
    let (start, end) = options
        .boilerplate(language.as_deref())
        .article_bounds(&texts);
    let stripped = raw[..start]
        .iter()
        .chain(&raw[end..])
        .flat_map(|b| b.text.lines().map(str::to_string))
        .collect();

    let mut article = article(title, classify_blocks(&raw[start..end]));
    article.meta.author = meta.author;
    article.meta.source = meta.source;
    article.meta.tags = meta.tags;
    article.stripped = stripped;
    let found = meta.date.map(|d| (d, DateSource::Metadata));
    Ok((article, found, language))
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
        // Most lines have no invisible characters: cleaned only when needed.
        let cleaned;
        let line = if line.chars().any(crate::text::is_invisible_format) {
            cleaned = clean_field(line);
            cleaned.as_str()
        } else {
            line.trim()
        };
        if !apply_metadata_line(line, meta) {
            break;
        }
        read += 1;
        i += 1;
        body_start = i;
    }
    body_start
}

/// The metadata words of `lexicon/metadata.toml`, read once.
#[derive(Debug, serde::Deserialize)]
struct MetadataWords {
    author: AuthorWords,
    date: DateWords,
    source: Keys,
    tags: Keys,
}

#[derive(Debug, serde::Deserialize)]
struct AuthorWords {
    keys: Vec<String>,
    bylines: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct DateWords {
    keys: Vec<String>,
    prefixes: Vec<String>,
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
    Source,
    Tags,
}

/// The lexicon, compiled once: keys to fields, and the line beginnings.
struct Lexicon {
    keys: std::collections::HashMap<String, Field>,
    bylines: Vec<String>,
    date_prefixes: Vec<String>,
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
                bylines: Vec::new(),
                date_prefixes: Vec::new(),
            };
        };
        let mut keys = std::collections::HashMap::new();
        for (list, field) in [
            (&words.author.keys, Field::Author),
            (&words.date.keys, Field::Date),
            (&words.source.keys, Field::Source),
            (&words.tags.keys, Field::Tags),
        ] {
            for key in list {
                keys.insert(key.clone(), field);
            }
        }
        // A byline word is followed by a space, unless it ends with punctuation (`文/`).
        let spaced = |w: &String| {
            if w.ends_with(|c: char| c.is_alphanumeric()) {
                format!("{w} ")
            } else {
                w.clone()
            }
        };
        Lexicon {
            keys,
            bylines: words.author.bylines.iter().map(spaced).collect(),
            date_prefixes: words.date.prefixes.iter().map(spaced).collect(),
        }
    })
}

/// `line` without `prefix` (lowercase), compared case-insensitively; `None` when it does not
/// start with it.
fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    let same = if prefix.is_ascii() {
        head.eq_ignore_ascii_case(prefix)
    } else {
        head.to_lowercase() == prefix
    };
    same.then(|| &line[prefix.len()..])
}

/// Applies one metadata line; false when the line is not metadata.
fn apply_metadata_line(line: &str, meta: &mut Metadata) -> bool {
    if meta.date.is_none() {
        if let Some(found) = date::parse_date_line(line) {
            meta.date = Some(found);
            return true;
        }
    }
    let words = lexicon();
    // `：` is the full-width colon of Chinese and Japanese text.
    if let Some((key, value)) = line.split_once(':').or_else(|| line.split_once('：')) {
        let value = collapse_whitespace(value);
        match words.keys.get(&key.trim().to_lowercase()) {
            Some(Field::Author) if !value.is_empty() => {
                meta.author.get_or_insert(value);
                return true;
            }
            Some(Field::Date) => {
                if let Some(found) = date::parse_date_line(&value) {
                    meta.date.get_or_insert(found);
                    return true;
                }
                return false;
            }
            Some(Field::Source) if !value.is_empty() => {
                meta.source.get_or_insert(value);
                return true;
            }
            Some(Field::Tags) => {
                meta.tags.extend(
                    value
                        .split([',', ';', '，', '、'])
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                );
                return true;
            }
            _ => {}
        }
    }
    for prefix in &words.date_prefixes {
        if let Some(rest) = strip_prefix_ci(line, prefix) {
            if let Some(found) = date::parse_date_line(rest) {
                meta.date.get_or_insert(found);
                return true;
            }
        }
    }
    for prefix in &words.bylines {
        if let Some(rest) = strip_prefix_ci(line, prefix) {
            let name = collapse_whitespace(rest);
            if looks_like_name(&name) {
                meta.author.get_or_insert(name);
                return true;
            }
        }
    }
    false
}

/// A byline name: starts with a capital letter (or a letter of a script without case), short,
/// a few words, no sentence punctuation.
fn looks_like_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && !c.is_lowercase())
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

    #[test]
    fn the_metadata_lexicon_loads() {
        let words: MetadataWords =
            toml::from_str(include_str!("lexicon/metadata.toml")).expect("valid lexicon");
        assert!(words.author.bylines.contains(&"by".to_string()));
        let lexicon = lexicon();
        assert!(lexicon.bylines.iter().any(|b| b == "par "));
        assert!(lexicon.bylines.iter().any(|b| b == "文/"));
        assert!(matches!(lexicon.keys.get("autor"), Some(Field::Author)));
        for key in words.author.keys.iter().chain(&words.tags.keys) {
            assert_eq!(key, &key.to_lowercase(), "keys are lowercase");
        }
    }
}
