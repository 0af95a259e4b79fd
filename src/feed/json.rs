//! JSON Feed 1.1 (<https://www.jsonfeed.org/version/1.1/>), with the same items, ids and dates
//! as the RSS and Atom feeds, the WebSub hub in `hubs`, and the next older archive page in
//! `next_url`.

use serde::Serialize;

use super::{FeedContext, FeedDoc, INDEX_PATH, RenderError, article_path, text};
use crate::article::ParsedArticle;
use crate::model::Entry;

/// The `version` of the documents written.
pub(crate) const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    language: &'a str,
    authors: [Author<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    title: String,
    content_html: String,
    summary: String,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    authors: Option<[Author<'a>; 1]>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    language: &'a str,
}

/// Renders the JSON Feed document `doc`.
pub(crate) fn render(doc: &FeedDoc<'_>, ctx: &FeedContext) -> Result<String, RenderError> {
    let feed = Feed {
        version: JSON_FEED_VERSION,
        title: ctx.scope_title(&doc.target.scope),
        home_page_url: ctx.url(INDEX_PATH),
        feed_url: ctx.url(&doc.self_path()),
        description: ctx.scope_description(&doc.target.scope),
        // JSON Feed pages towards older items with `next_url`: RFC 5005's `prev-archive`.
        next_url: doc.prev_archive().map(|path| ctx.url(&path)),
        language: &ctx.language,
        authors: [Author { name: &ctx.author }],
        hubs: ctx
            .hub
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: doc
            .items
            .iter()
            .map(|(entry, article)| item(entry, article, ctx))
            .collect(),
    };
    let written = serde_json::to_vec_pretty(&feed);
    super::document("JSON Feed", written)
}

fn item<'a>(entry: &'a Entry, article: &ParsedArticle, ctx: &'a FeedContext) -> Item<'a> {
    let meta = &entry.meta;
    Item {
        id: format!("urn:uuid:{}", entry.record.id),
        url: ctx.url(&article_path(&entry.record.id)),
        title: text::feed_title(&meta.title),
        content_html: text::body_html(article, text::MAX_FEED_ITEM_HTML_BYTES),
        summary: article.summary_text(),
        date_published: entry.published().0.to_rfc3339(),
        date_modified: entry.updated().to_rfc3339(),
        authors: meta.author.as_deref().map(|name| [Author { name }]),
        tags: &meta.tags,
        language: &meta.language,
    }
}
