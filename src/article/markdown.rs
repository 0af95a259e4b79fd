//! Markdown articles: YAML (`---`) or TOML (`+++`) front matter, body rendered by
//! `pulldown-cmark`.
//!
//! Raw HTML in the Markdown is shown as text, never passed through, and links or images with
//! script-capable schemes lose their target: the HTML that reaches feeds and pages is only
//! what the Markdown renderer itself produces.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use yaml_rust2::parser::{Event as YamlEvent, MarkedEventReceiver, Parser as YamlParser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::{Yaml, YamlLoader};

use super::date::{self, FoundDate};
use super::decode::clean_text;
use super::{Block, SkipReason, clean_field, collapse_whitespace};
use crate::text::is_xml_unsafe;

/// Link schemes that could run code in a reader; such links are rendered without a target.
const UNSAFE_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:", "file:"];

/// What front matter may say.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FrontMatter {
    /// `title`
    pub title: Option<String>,
    /// `date`
    pub(crate) date: Option<FoundDate>,
    /// `author`
    pub author: Option<String>,
    /// `tags` (a list, or a comma-separated string)
    pub tags: Vec<String>,
    /// `summary` (or `description`)
    pub summary: Option<String>,
    /// `draft: true` keeps the article out of the feeds.
    pub draft: bool,
}

/// A Markdown file understood: front matter, title, blocks for plain-text use, and HTML.
#[derive(Debug, Clone)]
pub(crate) struct MarkdownArticle {
    /// Front matter (empty when the file has none).
    pub front: FrontMatter,
    /// Title from the front matter, else the first level-1 heading, else the first line.
    pub title: Option<String>,
    /// Paragraphs, headings and list items as plain text.
    pub blocks: Vec<Block>,
    /// The body as HTML.
    pub html: String,
}

/// Parses a Markdown document (already decoded).
pub(crate) fn parse(text: &str) -> Result<MarkdownArticle, SkipReason> {
    let (front, body) = split_front_matter(text)?;
    if front.draft {
        return Err(SkipReason::Draft);
    }
    let mut title = front.title.clone();
    let events = Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut html_events = Vec::new();
    let mut blocks = Vec::new();
    let mut current: Option<(BlockKind, String)> = None;
    let mut skipping_title = false;
    let mut list_depth = 0usize;
    for event in events {
        let event = make_safe(event);
        // The first level-1 heading is the title when the front matter names none.
        match &event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) if title.is_none() && blocks.is_empty() && current.is_none() => {
                skipping_title = true;
                current = Some((BlockKind::Title, String::new()));
                continue;
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if skipping_title => {
                skipping_title = false;
                if let Some((_, text)) = current.take() {
                    title = Some(clean_field(&text));
                }
                continue;
            }
            _ if skipping_title => {
                if let Event::Text(t) | Event::Code(t) = &event {
                    if let Some((_, text)) = current.as_mut() {
                        text.push_str(t);
                    }
                }
                continue;
            }
            _ => {}
        }
        match &event {
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Paragraph) if list_depth == 0 => {
                current = Some((BlockKind::Paragraph, String::new()));
            }
            Event::Start(Tag::Heading { .. }) => {
                current = Some((BlockKind::Heading, String::new()))
            }
            Event::Start(Tag::Item) => current = Some((BlockKind::Item, String::new())),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                if let Some((kind, text)) = current.take() {
                    let text = collapse_whitespace(&text);
                    if !text.is_empty() {
                        blocks.push(kind.block(text));
                    }
                }
            }
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, text)) = current.as_mut() {
                    text.push(' ');
                }
            }
            _ => {}
        }
        html_events.push(event);
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, html_events.into_iter());
    Ok(MarkdownArticle {
        front,
        title,
        blocks,
        html,
    })
}

#[derive(Debug, Clone, Copy)]
enum BlockKind {
    Title,
    Paragraph,
    Heading,
    Item,
}

impl BlockKind {
    fn block(self, text: String) -> Block {
        match self {
            BlockKind::Heading | BlockKind::Title => Block::Heading(text),
            BlockKind::Paragraph => Block::Paragraph(text),
            BlockKind::Item => Block::ListItem(text),
        }
    }
}

/// Raw HTML becomes text; unsafe link and image targets are dropped; characters XML cannot
/// carry (which character references such as `&#x1;` produce) are removed.
fn make_safe(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(t) | Event::InlineHtml(t) | Event::Text(t) => Event::Text(xml_safe(t)),
        Event::Code(t) => Event::Code(xml_safe(t)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(xml_safe(dest_url)),
            title: xml_safe(title),
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(xml_safe(dest_url)),
            title: xml_safe(title),
            id,
        }),
        other => other,
    }
}

fn xml_safe(text: CowStr<'_>) -> CowStr<'_> {
    if text.chars().any(is_xml_unsafe) {
        CowStr::from(
            text.chars()
                .filter(|&c| !is_xml_unsafe(c))
                .collect::<String>(),
        )
    } else {
        text
    }
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_lowercase();
    if UNSAFE_SCHEMES.iter().any(|s| lower.starts_with(s)) {
        CowStr::Borrowed("")
    } else {
        url
    }
}

/// Splits `---` YAML or `+++` TOML front matter from the body.
pub fn split_front_matter(text: &str) -> Result<(FrontMatter, &str), SkipReason> {
    let trimmed = text.trim_start_matches('\n');
    for (fence, toml) in [("---", false), ("+++", true)] {
        let Some(rest) = trimmed.strip_prefix(fence) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('\n') else {
            continue;
        };
        let closing = format!("\n{fence}");
        let (matter, body) = if let Some(stripped) = rest.strip_prefix(fence) {
            ("", stripped)
        } else {
            match rest.find(&closing) {
                Some(end) => (&rest[..end], &rest[end + closing.len()..]),
                None => return Err(SkipReason::FrontMatter("no closing fence".into())),
            }
        };
        if matter.len() > MAX_FRONT_MATTER_BYTES {
            return Err(SkipReason::FrontMatter(format!(
                "{} bytes, over the {MAX_FRONT_MATTER_BYTES}-byte limit",
                matter.len()
            )));
        }
        let front = if toml {
            toml_front_matter(matter)?
        } else {
            yaml_front_matter(matter)?
        };
        return Ok((front, body));
    }
    Ok((FrontMatter::default(), text))
}

/// Largest front matter read, in bytes: metadata is a few lines, and a parser given more is
/// given work nobody asked for. A file over it is skipped with the reason.
pub(crate) const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;

/// Most YAML nodes front matter may stand for once its aliases are expanded. Aliases repeat
/// a node by reference, so a few hundred bytes can stand for billions of nodes ("billion
/// laughs"); the loader would build them all. Counted on the parser's events, before
/// anything is built; a file over it is skipped with the reason.
pub(crate) const MAX_FRONT_MATTER_NODES: u64 = 10_000;

/// Deepest nesting of YAML sequences and mappings in front matter.
pub(crate) const MAX_FRONT_MATTER_DEPTH: usize = 32;

/// Counts what YAML front matter expands to, on the parser's events.
#[derive(Default)]
struct YamlBudget {
    /// Nodes so far, aliases counted as the nodes they repeat (saturating).
    nodes: u64,
    /// Open sequences and mappings: their anchor and the node count at their start.
    open: Vec<(usize, u64)>,
    deepest: usize,
    /// Nodes under each anchor, by anchor id.
    anchored: HashMap<usize, u64>,
}

impl MarkedEventReceiver for YamlBudget {
    fn on_event(&mut self, event: YamlEvent, _: Marker) {
        match event {
            YamlEvent::Scalar(_, _, anchor, _) => {
                self.nodes = self.nodes.saturating_add(1);
                if anchor > 0 {
                    self.anchored.insert(anchor, 1);
                }
            }
            YamlEvent::SequenceStart(anchor, _) | YamlEvent::MappingStart(anchor, _) => {
                self.nodes = self.nodes.saturating_add(1);
                self.open.push((anchor, self.nodes));
                self.deepest = self.deepest.max(self.open.len());
            }
            YamlEvent::SequenceEnd | YamlEvent::MappingEnd => {
                if let Some((anchor, start)) = self.open.pop() {
                    if anchor > 0 {
                        self.anchored.insert(anchor, self.nodes - start + 1);
                    }
                }
            }
            YamlEvent::Alias(anchor) => {
                let repeated = self.anchored.get(&anchor).copied().unwrap_or(1);
                self.nodes = self.nodes.saturating_add(repeated);
            }
            _ => {}
        }
    }
}

/// Checks YAML front matter against [`MAX_FRONT_MATTER_NODES`] and
/// [`MAX_FRONT_MATTER_DEPTH`] without building it.
fn check_yaml_budget(matter: &str) -> Result<(), SkipReason> {
    let mut budget = YamlBudget::default();
    YamlParser::new_from_str(matter)
        .load(&mut budget, true)
        .map_err(|e| SkipReason::FrontMatter(format!("YAML: {e}")))?;
    if budget.nodes > MAX_FRONT_MATTER_NODES {
        return Err(SkipReason::FrontMatter(format!(
            "YAML that expands to more than {MAX_FRONT_MATTER_NODES} values (aliases)"
        )));
    }
    if budget.deepest > MAX_FRONT_MATTER_DEPTH {
        return Err(SkipReason::FrontMatter(format!(
            "YAML nested more than {MAX_FRONT_MATTER_DEPTH} levels deep"
        )));
    }
    Ok(())
}

fn yaml_front_matter(matter: &str) -> Result<FrontMatter, SkipReason> {
    check_yaml_budget(matter)?;
    let docs = YamlLoader::load_from_str(matter)
        .map_err(|e| SkipReason::FrontMatter(format!("YAML: {e}")))?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(FrontMatter::default());
    };
    let text = |key: &str| yaml_text(&doc[key]);
    Ok(FrontMatter {
        title: text("title"),
        date: text("date").and_then(|d| date::parse_date_line(&d)),
        author: text("author"),
        tags: match &doc["tags"] {
            Yaml::Array(items) => items.iter().filter_map(yaml_text).collect(),
            other => yaml_text(other).map(|t| split_tags(&t)).unwrap_or_default(),
        },
        summary: text("summary").or_else(|| text("description")),
        draft: doc["draft"].as_bool().unwrap_or(false),
    })
}

fn yaml_text(value: &Yaml) -> Option<String> {
    let text = match value {
        Yaml::String(s) | Yaml::Real(s) => field(s),
        Yaml::Integer(i) => i.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A front matter string as plain text: escapes in YAML and TOML strings can spell any
/// character, so controls are removed here too.
fn field(s: &str) -> String {
    clean_field(&clean_text(s))
}

fn toml_front_matter(matter: &str) -> Result<FrontMatter, SkipReason> {
    let table: toml::Table = matter
        .parse()
        .map_err(|e: toml::de::Error| SkipReason::FrontMatter(format!("TOML: {}", e.message())))?;
    let text = |key: &str| {
        table.get(key).and_then(|v| match v {
            toml::Value::String(s) => Some(field(s)),
            toml::Value::Datetime(d) => Some(d.to_string()),
            _ => None,
        })
    };
    Ok(FrontMatter {
        title: text("title"),
        date: text("date").and_then(|d| date::parse_date_line(&d)),
        author: text("author"),
        tags: match table.get("tags") {
            Some(toml::Value::Array(items)) => {
                items.iter().filter_map(|v| v.as_str().map(field)).collect()
            }
            Some(toml::Value::String(s)) => split_tags(s),
            _ => Vec::new(),
        },
        summary: text("summary").or_else(|| text("description")),
        draft: table
            .get("draft")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false),
    })
}

fn split_tags(s: &str) -> Vec<String> {
    s.split([',', ';'])
        .map(field)
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Billion laughs" front matter with `levels` levels of nine aliases each, the last one
    /// under `key`.
    fn alias_bomb(levels: usize, key: &str) -> String {
        let names: Vec<char> = ('a'..='z').take(levels).collect();
        let mut yaml = format!(
            "{}: &{} [{}]\n",
            names[0],
            names[0],
            ["\"lol\""; 9].join(", ")
        );
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(", ");
            yaml.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
        }
        format!(
            "---\ntitle: Bomb\n{yaml}{key}: *{}\n---\nBody.\n",
            names[levels - 1]
        )
    }

    // Regression (issue 14): a 425-byte file whose YAML front matter is an alias bomb took
    // memory to the abort, in the daemon and in `inspect`, even under a key seedfeed does not
    // use; the daemon never became ready again.
    #[test]
    fn yaml_alias_bombs_are_refused_before_they_expand() {
        for key in ["tags", "unused"] {
            let bomb = alias_bomb(9, key);
            assert!(bomb.len() < 500, "{}", bomb.len());
            let started = std::time::Instant::now();
            let err = split_front_matter(&bomb).expect_err("refused");
            assert!(err.to_string().contains("aliases"), "{err}");
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
        }
        // Aliases within the budget are still read.
        let (front, _) =
            split_front_matter("---\ntitle: &t Kept\nsummary: *t\n---\nBody.\n").expect("small");
        assert_eq!(front.summary.as_deref(), Some("Kept"));
    }

    #[test]
    fn front_matter_over_its_size_or_depth_budget_is_refused() {
        let deep = format!(
            "---\ntitle: Deep\nx: {}{}\n---\nBody.\n",
            "[".repeat(40),
            "]".repeat(40)
        );
        let err = split_front_matter(&deep).expect_err("too deep");
        assert!(err.to_string().contains("nested"), "{err}");
        let long = format!(
            "---\ntitle: Long\nsummary: {}\n---\nBody.\n",
            "x".repeat(MAX_FRONT_MATTER_BYTES)
        );
        let err = split_front_matter(&long).expect_err("too long");
        assert!(err.to_string().contains("limit"), "{err}");
    }

    #[test]
    fn yaml_front_matter_fields() {
        let md = "---\ntitle: Hello  world\ndate: 2025-04-03T08:30:00Z\nauthor: Ann\ntags: [a, b]\nsummary: Short.\n---\nBody *text*.\n";
        let a = parse(md).expect("parses");
        assert_eq!(a.title.as_deref(), Some("Hello world"));
        assert_eq!(a.front.author.as_deref(), Some("Ann"));
        assert_eq!(a.front.tags, ["a", "b"]);
        assert_eq!(a.front.summary.as_deref(), Some("Short."));
        assert!(matches!(a.front.date, Some(FoundDate::Instant(_))));
        assert_eq!(a.html, "<p>Body <em>text</em>.</p>\n");
    }

    #[test]
    fn toml_front_matter_fields() {
        let md = "+++\ntitle = \"T\"\ndate = 2025-04-03\ntags = \"x, y\"\n+++\n\nBody.\n";
        let a = parse(md).expect("parses");
        assert_eq!(a.title.as_deref(), Some("T"));
        assert_eq!(a.front.tags, ["x", "y"]);
        assert!(matches!(a.front.date, Some(FoundDate::Local(..))));
    }

    #[test]
    fn drafts_are_skipped() {
        assert_eq!(
            parse("---\ntitle: T\ndraft: true\n---\nBody.\n").err(),
            Some(SkipReason::Draft)
        );
    }

    #[test]
    fn broken_front_matter_is_a_reason() {
        assert!(matches!(
            parse("---\ntitle: [unclosed\n---\nBody.\n"),
            Err(SkipReason::FrontMatter(_))
        ));
        assert!(matches!(
            parse("---\ntitle: T\nBody without a closing fence\n"),
            Err(SkipReason::FrontMatter(_))
        ));
    }

    #[test]
    fn first_h1_is_the_title_and_leaves_the_body() {
        let a = parse("# The *title*\n\nIntro.\n\n## Part\n\n- one\n- two\n").expect("parses");
        assert_eq!(a.title.as_deref(), Some("The title"));
        assert!(!a.html.contains("<h1>"));
        assert_eq!(
            a.blocks,
            [
                Block::Paragraph("Intro.".into()),
                Block::Heading("Part".into()),
                Block::ListItem("one".into()),
                Block::ListItem("two".into()),
            ]
        );
    }

    #[test]
    fn raw_html_and_script_links_are_defused() {
        let a = parse("Hi <script>alert(1)</script> [x](javascript:alert(1)) ![i](data:text/html,x)\n\n<iframe src=x></iframe>\n").expect("parses");
        assert!(!a.html.contains("<script"), "{}", a.html);
        assert!(!a.html.contains("<iframe"), "{}", a.html);
        assert!(a.html.contains("&lt;script&gt;"));
        assert!(!a.html.to_lowercase().contains("javascript:"), "{}", a.html);
        assert!(!a.html.contains("data:text"), "{}", a.html);
    }

    // Regression: `&#x1;` decoded to U+0001 and broke the feeds (found by the property test).
    #[test]
    fn character_references_to_controls_never_reach_the_output() {
        let a = parse("# T&#x1;itle\n\nText &#x1;&#8; `co&#x1;de` [l](u \"ti&#x1;tle\")\n")
            .expect("parses");
        assert_eq!(a.title.as_deref(), Some("Title"));
        assert!(!a.html.chars().any(is_xml_unsafe), "{:?}", a.html);
        assert!(
            a.blocks
                .iter()
                .all(|b| !b.text().chars().any(is_xml_unsafe))
        );
    }

    #[test]
    fn escaped_controls_in_front_matter_are_removed() {
        let yaml =
            parse("---\ntitle: \"A\\x01B\"\ntags: [\"t\\x02\"]\n---\nBody.\n").expect("yaml");
        assert_eq!(yaml.title.as_deref(), Some("AB"));
        assert_eq!(yaml.front.tags, ["t"]);
        let toml = parse("+++\ntitle = \"A\\u0001B\"\n+++\nBody.\n").expect("toml");
        assert_eq!(toml.title.as_deref(), Some("AB"));
    }

    #[test]
    fn no_front_matter_is_fine() {
        let (front, body) = split_front_matter("Just text\n").expect("splits");
        assert_eq!(front, FrontMatter::default());
        assert_eq!(body, "Just text\n");
    }
}
