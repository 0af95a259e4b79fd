//! Rendering: the published articles to RSS 2.0, Atom 1.0 and HTML pages.
//!
//! Rendering is a pure function of the articles and the feed settings: no wall-clock time
//! reaches the output, so the same articles always give byte-identical documents (and ETags).

pub mod atom;
pub mod html;
pub mod rss;
pub mod status;
pub mod text;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::store::Entry;

/// Path of the RSS 2.0 feed.
pub const RSS_PATH: &str = "/feed.rss";
/// Path of the Atom 1.0 feed.
pub const ATOM_PATH: &str = "/feed.atom";
/// Path of the HTML index.
pub const INDEX_PATH: &str = "/";
/// Generator name written into feeds.
pub const GENERATOR: &str = "seedfeed";

/// Path of an article's HTML page.
pub fn article_path(id: &str) -> String {
    format!("/articles/{id}.html")
}

/// Everything the renderers need besides the articles.
#[derive(Debug, Clone)]
pub struct FeedContext {
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// Feed title.
    pub title: String,
    /// Feed description.
    pub description: String,
    /// Feed language.
    pub language: String,
    /// Author of articles that name none.
    pub author: String,
    /// Items per feed.
    pub items: usize,
}

impl FeedContext {
    /// The context for `settings` served at `base_url`.
    pub fn new(settings: &Settings, base_url: String) -> Self {
        Self {
            base_url,
            title: settings.feed.title.clone(),
            description: settings.feed.description.clone(),
            language: settings.feed.language.clone(),
            author: settings.feed.author.clone(),
            items: settings.feed.items,
        }
    }

    /// Absolute URL of a site path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The author shown for an entry.
    pub fn author_of<'a>(&'a self, entry: &'a Entry) -> &'a str {
        entry.meta.author.as_deref().unwrap_or(&self.author)
    }
}

pub use crate::store::FeedItem;

/// The documents rendered on every change: the feeds and the index. Article pages are
/// rendered when requested (see [`crate::pages`]).
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `/feed.rss`.
    pub rss: String,
    /// `/feed.atom`.
    pub atom: String,
    /// `/`.
    pub index: String,
    /// The newest update time among the feed's items (the feeds' own `updated`).
    pub updated: DateTime<Utc>,
}

/// A document that could not be written; the last good snapshot stays in service.
#[derive(Debug, thiserror::Error)]
#[error("{format} writer failed: {message}")]
pub struct RenderError {
    /// Which document.
    pub format: &'static str,
    /// What the writer said.
    pub message: String,
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

/// Renders the feeds of `items` (the newest published articles, newest first) and the index
/// of `newest` (the newest published entries, at least [`html::MAX_INDEX_ARTICLES`] of them
/// when there are that many) out of `published` in all.
pub fn render(
    items: &[FeedItem],
    newest: &[&Entry],
    published: usize,
    ctx: &FeedContext,
) -> Result<Rendered, RenderError> {
    let updated = items
        .iter()
        .map(|(entry, _)| entry.updated())
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(Rendered {
        rss: rss::render(items, ctx, updated)?,
        atom: atom::render(items, ctx, updated)?,
        index: html::index_page(newest, items, published, ctx),
        updated,
    })
}
