//! Rendering: the published articles to RSS 2.0, Atom 1.0, JSON Feed 1.1, OPML and HTML pages;
//! each feed document is checked against its format's rules ([`validate`]) before it is
//! served.
//!
//! Rendering is a pure function of the articles and the feed settings: no wall-clock time
//! reaches the output, so the same articles always give byte-identical documents (and ETags).

pub(crate) mod atom;
pub mod filter;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod opml;
pub(crate) mod rss;
pub(crate) mod status;
pub mod target;
pub(crate) mod text;
pub(crate) mod validate;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::Settings;
use crate::model::{ArticleId, Entry, Facets, FeedItem};
use target::{Format, Page, Scope, Target};

/// Path of the OPML list of every feed.
pub(crate) const OPML_PATH: &str = "/opml.xml";
/// Path of the HTML index.
pub(crate) const INDEX_PATH: &str = "/";
/// Path of the style sheet of the pages and of the feeds' browser preview.
pub(crate) const STYLESHEET_PATH: &str = "/style.css";
/// Path of the XSLT style sheet that browsers apply to the RSS and Atom feeds.
pub(crate) const FEED_XSL_PATH: &str = "/feed.xsl";
/// The pages' style sheet (a data file: no inline style, which the pages' CSP refuses).
const STYLESHEET: &str = include_str!("style.css");
/// The feeds' browser preview: XSLT 1.0 for RSS 2.0 and Atom 1.0 alike; feed readers ignore
/// it. `@BASE_PATH@` stands for [`FeedContext::base_path`].
const FEED_XSL: &str = include_str!("feed.xsl");
/// Generator name written into feeds.
pub(crate) const GENERATOR: &str = "seedfeed";
/// Namespace of RFC 5005's `fh:archive` element.
pub(crate) const FEED_HISTORY_NS: &str = "http://purl.org/syndication/history/1.0";

/// Path of an article's HTML page.
pub(crate) fn article_path(id: &ArticleId) -> String {
    id.page_path()
}

/// Everything the renderers need besides the articles.
#[derive(Debug, Clone)]
pub struct FeedContext {
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// Its path (`/feeds` of `https://example.org/feeds`, empty at the root): what the pages'
    /// and feeds' own style sheets are linked by, so that they load from the origin the
    /// browser used (the Content-Security-Policy allows only that one).
    pub base_path: String,
    /// Feed title.
    pub title: String,
    /// Feed description.
    pub description: String,
    /// Feed language.
    pub language: String,
    /// The feeds' author (Atom's feed-level `<author>`); never given to an article that names
    /// none.
    pub author: String,
    /// Items per feed (and per archive page).
    pub items: usize,
    /// Feed titles of sources (subfolders) that have one configured.
    pub source_titles: BTreeMap<String, String>,
    /// The WebSub hub feeds advertise.
    pub hub: Option<String>,
    /// How articles are linked as related.
    pub(crate) related: RelatedSettings,
}

/// When articles are linked as related (see [`crate::related`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RelatedSettings {
    /// Link articles whose estimated similarity is at least this (0 disables).
    pub threshold: f64,
    /// Most related articles linked from one page.
    pub max_links: usize,
}

impl FeedContext {
    /// The context for `settings` served at `base_url`.
    pub fn new(settings: &Settings, base_url: String) -> Self {
        Self {
            base_path: url_path(&base_url),
            base_url,
            title: settings.feed.title.clone(),
            description: settings.feed.description.clone(),
            language: settings.feed.language.clone(),
            author: settings.feed.author.clone(),
            items: settings.feed.items,
            source_titles: settings.sources.titles.clone(),
            hub: settings.websub.hub.as_ref().map(ToString::to_string),
            related: RelatedSettings {
                threshold: settings.related.threshold,
                max_links: settings.related.max_links,
            },
        }
    }

    /// A site path as linked from the site itself (same origin, under the base URL's path).
    pub(crate) fn local(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// Absolute URL of a site path.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The title of a scope's feeds.
    pub(crate) fn scope_title(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => self.title.clone(),
            Scope::Source(name) => self
                .source_titles
                .get(name)
                .cloned()
                .unwrap_or_else(|| format!("{}: {name}", self.title)),
            Scope::Tag(tag) => format!("{}: #{tag}", self.title),
        }
    }

    /// The description of a scope's feeds.
    pub(crate) fn scope_description(&self, scope: &Scope) -> String {
        match scope {
            Scope::All => self.description.clone(),
            Scope::Source(name) => format!("Articles from the {name} folder"),
            Scope::Tag(tag) => format!("Articles tagged {tag}"),
        }
    }
}

/// One feed document to render: which feed, its items, and its RFC 5005 neighbours.
#[derive(Debug)]
pub(crate) struct FeedDoc<'a> {
    /// Scope, page and format.
    pub target: Target,
    /// The items, newest first.
    pub items: &'a [FeedItem],
    /// The canonical filter query of a filtered feed; empty otherwise.
    pub query: String,
    /// Archive pages of the (unfiltered) feed: the newest one is the subscription
    /// document's `prev-archive`, and bounds an archive page's `next-archive`.
    pub archive_pages: u32,
}

impl FeedDoc<'_> {
    /// The newest update time among the items (the feed's own `updated`).
    pub(crate) fn updated(&self) -> DateTime<Utc> {
        self.items
            .iter()
            .map(|(entry, _)| entry.updated())
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// The document's own path, query included.
    pub(crate) fn self_path(&self) -> String {
        let path = self.target.path();
        if self.query.is_empty() {
            path
        } else {
            format!("{path}?{}", self.query)
        }
    }

    /// The path of another page of the same feed.
    pub(crate) fn page_path(&self, page: Page) -> String {
        self.target.with_page(page).path()
    }

    /// `prev-archive`: the next older page.
    pub(crate) fn prev_archive(&self) -> Option<String> {
        let older = match self.target.page {
            Page::Current if self.query.is_empty() => {
                Some(self.archive_pages).filter(|&n| n > 0)?
            }
            Page::Current => return None,
            Page::Archive(n) => n.checked_sub(1).filter(|&n| n > 0)?,
        };
        Some(self.page_path(Page::Archive(older)))
    }

    /// `next-archive`: the next newer archive page (archive pages only).
    pub(crate) fn next_archive(&self) -> Option<String> {
        match self.target.page {
            Page::Archive(n) if n < self.archive_pages => {
                Some(self.page_path(Page::Archive(n + 1)))
            }
            _ => None,
        }
    }

    /// RFC 5005 links of the document: `current`, `prev-archive`, `next-archive`.
    pub(crate) fn history_links(&self) -> Vec<(&'static str, String)> {
        let mut links = Vec::new();
        if self.is_archive() {
            links.push(("current", self.page_path(Page::Current)));
        }
        if let Some(prev) = self.prev_archive() {
            links.push(("prev-archive", prev));
        }
        if let Some(next) = self.next_archive() {
            links.push(("next-archive", next));
        }
        links
    }

    /// True for an archive page (RFC 5005 `fh:archive`).
    pub(crate) fn is_archive(&self) -> bool {
        matches!(self.target.page, Page::Archive(_))
    }

    /// The feed's id: a name-based UUID of the subscription document's URL (and filter), so
    /// archive pages share their feed's id as RFC 5005 asks, and the id is stable while the
    /// URL is.
    pub(crate) fn feed_id(&self, ctx: &FeedContext) -> String {
        let current = self
            .target
            .with_page(Page::Current)
            .with_format(Format::Atom);
        let mut url = ctx.url(&current.path());
        if !self.query.is_empty() {
            url = format!("{url}?{}", self.query);
        }
        format!(
            "urn:uuid:{}",
            Uuid::new_v5(&Uuid::NAMESPACE_URL, url.as_bytes())
        )
    }
}

/// Archive pages of a feed of `total` items, `per_page` each: complete pages only, so a page,
/// once full, keeps its items while articles are only added after it.
pub(crate) fn archive_pages(total: usize, per_page: usize) -> u32 {
    u32::try_from(total / per_page.max(1)).unwrap_or(u32::MAX)
}

/// The positions (in newest-first order) of archive page `n`'s items among `total`, or `None`
/// when there is no such page.
pub(crate) fn archive_range(
    n: u32,
    total: usize,
    per_page: usize,
) -> Option<std::ops::Range<usize>> {
    if n == 0 || n > archive_pages(total, per_page) {
        return None;
    }
    let per_page = per_page.max(1);
    let oldest_first_end = n as usize * per_page;
    Some(total - oldest_first_end..total - oldest_first_end + per_page)
}

/// The documents rendered on every change: the main feeds, the OPML list and the index.
/// Scoped, filtered and archive feeds and article pages are rendered when requested (see
/// [`crate::views`]).
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Main feeds by path.
    pub feeds: Vec<(Target, String)>,
    /// `/opml.xml`.
    pub opml: String,
    /// `/`.
    pub index: String,
    /// `/style.css`.
    pub stylesheet: &'static str,
    /// `/feed.xsl`, linking [`FeedContext::base_path`].
    pub feed_xsl: String,
}

/// A document that could not be written, or was written wrong; the last good one stays in
/// service.
#[derive(Debug, thiserror::Error)]
#[error("{format} writer failed: {message}")]
pub struct RenderError {
    /// Which document.
    pub format: &'static str,
    /// What the writer or the validator said.
    pub message: String,
}

/// The path part of `url` (after the scheme and host), without a trailing `/`.
fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |at| &after_scheme[at..])
        .trim_end_matches('/')
        .to_string()
}

/// `text`, an RSS or Atom document, with the processing instruction that has browsers show
/// it through [`FEED_XSL`] right after its XML declaration.
fn with_preview(mut text: String, ctx: &FeedContext) -> String {
    let instruction = format!(
        "<?xml-stylesheet type=\"text/xsl\" href=\"{}\"?>\n",
        ctx.local(FEED_XSL_PATH)
    );
    let at = if text.starts_with("<?xml ") {
        text.find("?>").map_or(0, |end| end + 2)
    } else {
        0
    };
    let at = if text[at..].starts_with('\n') {
        at + 1
    } else {
        at
    };
    text.insert_str(at, &instruction);
    text
}

/// Turns a feed writer's output into the document text.
fn document<E: std::fmt::Display>(
    format: &'static str,
    written: Result<Vec<u8>, E>,
) -> Result<String, RenderError> {
    let error = |message: String| RenderError { format, message };
    let bytes = written.map_err(|e| error(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| error(e.to_string()))
}

/// Renders one feed document and checks it against its format's rules.
pub(crate) fn render_doc(doc: &FeedDoc<'_>, ctx: &FeedContext) -> Result<String, RenderError> {
    let (text, checked) = match doc.target.format {
        Format::Rss => {
            let text = with_preview(rss::render(doc, ctx)?, ctx);
            let checked = validate::rss(&text);
            (text, checked)
        }
        Format::Atom => {
            let text = with_preview(atom::render(doc, ctx)?, ctx);
            let checked = validate::atom(&text);
            (text, checked)
        }
        Format::Json => {
            let text = json::render(doc, ctx)?;
            let checked = validate::json_feed(&text);
            (text, checked)
        }
    };
    checked.map_err(|invalid| RenderError {
        format: invalid.format,
        message: format!("the document breaks its format's rules: {invalid}"),
    })?;
    Ok(text)
}

/// Renders the main feeds of `items` (the newest published articles, newest first), the OPML
/// list of every feed, and the index of `newest` (the newest published entries, at least
/// [`html::MAX_INDEX_ARTICLES`] of them when there are that many) out of `published` in all.
pub fn render(
    items: &[FeedItem],
    newest: &[&Entry],
    published: usize,
    facets: &Facets,
    ctx: &FeedContext,
) -> Result<Rendered, RenderError> {
    let mut feeds = Vec::with_capacity(Format::ALL.len());
    for format in Format::ALL {
        let doc = FeedDoc {
            target: Target::current(Scope::All, format),
            items,
            query: String::new(),
            archive_pages: archive_pages(published, ctx.items),
        };
        feeds.push((doc.target.clone(), render_doc(&doc, ctx)?));
    }
    Ok(Rendered {
        feeds,
        opml: opml::render(facets, ctx),
        index: html::index_page(newest, items, published, facets, ctx),
        stylesheet: STYLESHEET,
        feed_xsl: FEED_XSL.replace("@BASE_PATH@", &ctx.base_path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::article::{self, ParseOptions};
    use crate::model::{FileRecord, article_id};
    use std::sync::Arc;

    fn item(key: &str) -> FeedItem {
        let text = b"A title\n2025-04-03\nThe body of the article.\n";
        let parsed =
            article::parse(text, article::Markup::Text, &ParseOptions::default()).expect("parses");
        let entry = Entry {
            key: key.into(),
            record: FileRecord {
                id: article_id(key),
                first_seen_ms: 0,
                changed_ms: None,
                hash: Some(1),
                size: 1,
                mtime_ns: 0,
                racily_clean: false,
            },
            meta: Arc::new(parsed.meta.clone()),
        };
        (Arc::new(entry), Arc::new(parsed))
    }

    // The check before publishing: a render whose items repeat an id (a bug upstream) is
    // refused in every format, so the last good feeds stay in service.
    #[test]
    fn a_render_that_breaks_its_format_rules_is_refused() {
        let ctx = FeedContext::new(&Settings::default(), "http://127.0.0.1:8080".into());
        let good = [item("a.txt"), item("b.txt")];
        let repeated = [item("a.txt"), item("a.txt")];
        for format in Format::ALL {
            let doc = |items| FeedDoc {
                target: Target::current(Scope::All, format),
                items,
                query: String::new(),
                archive_pages: 0,
            };
            assert!(render_doc(&doc(&good), &ctx).is_ok(), "{format:?}");
            let refused = render_doc(&doc(&repeated), &ctx).expect_err("repeated id");
            assert!(
                refused.message.contains("breaks its format's rules"),
                "{format:?}: {refused}"
            );
        }
    }

    #[test]
    fn archive_pages_are_complete_pages_counted_from_the_oldest() {
        assert_eq!(archive_pages(0, 50), 0);
        assert_eq!(archive_pages(49, 50), 0);
        assert_eq!(archive_pages(120, 50), 2);
        // Newest first: 120 items, page 1 is the oldest 50 (positions 70..120).
        assert_eq!(archive_range(1, 120, 50), Some(70..120));
        assert_eq!(archive_range(2, 120, 50), Some(20..70));
        assert_eq!(archive_range(3, 120, 50), None);
        assert_eq!(archive_range(0, 120, 50), None);
        // One more article leaves both pages as they were.
        assert_eq!(archive_range(1, 121, 50), Some(71..121));
    }
}
