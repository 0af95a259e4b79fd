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
        entry.article.author.as_deref().unwrap_or(&self.author)
    }
}

/// All documents of one render, by site path.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `/feed.rss`.
    pub rss: String,
    /// `/feed.atom`.
    pub atom: String,
    /// `/`.
    pub index: String,
    /// One page per published article: (path, HTML).
    pub pages: Vec<(String, String)>,
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

/// Sorts entries newest first: by publication date, then first-seen time, then path.
pub fn newest_first<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<&'a Entry> {
    let mut sorted: Vec<&Entry> = entries.collect();
    sorted.sort_by(|a, b| {
        b.published()
            .0
            .cmp(&a.published().0)
            .then_with(|| b.first_seen().cmp(&a.first_seen()))
            .then_with(|| a.key.cmp(&b.key))
    });
    sorted
}

/// Renders every document for the given entries.
pub fn render<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    ctx: &FeedContext,
) -> Result<Rendered, RenderError> {
    let all = newest_first(entries);
    let in_feed = &all[..all.len().min(ctx.items)];
    let updated = in_feed
        .iter()
        .map(|e| e.updated())
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(Rendered {
        rss: rss::render(in_feed, ctx, updated)?,
        atom: atom::render(in_feed, ctx, updated)?,
        index: html::index_page(&all, ctx),
        pages: all
            .iter()
            .map(|e| (article_path(&e.record.id), html::article_page(e, ctx)))
            .collect(),
        updated,
    })
}
