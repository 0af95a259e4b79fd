//! RSS 2.0 with the `rss` crate: Dublin Core creator and language, `content:encoded`, and an
//! `atom:link rel="self"`.

use chrono::{DateTime, Utc};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Channel, Guid, Item};

use super::{
    FeedContext, FeedItem, GENERATOR, INDEX_PATH, RSS_PATH, RenderError, article_path, text,
};
use crate::article::ParsedArticle;
use crate::store::Entry;

/// Renders the RSS document for `items` (already sorted and limited).
pub fn render(
    items: &[FeedItem],
    ctx: &FeedContext,
    updated: DateTime<Utc>,
) -> Result<String, RenderError> {
    let items = items
        .iter()
        .map(|(entry, article)| item(entry, article, ctx))
        .collect();
    let channel = Channel {
        title: ctx.title.clone(),
        link: ctx.url(INDEX_PATH),
        description: ctx.description.clone(),
        language: Some(ctx.language.clone()),
        last_build_date: Some(updated.to_rfc2822()),
        generator: Some(GENERATOR.to_string()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: ctx.url(RSS_PATH),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Link::default()
            }],
        }),
        items,
        ..Channel::default()
    };
    let written = channel.pretty_write_to(Vec::new(), b' ', 2);
    super::document("RSS", written)
}

fn item(entry: &Entry, article: &ParsedArticle, ctx: &FeedContext) -> Item {
    let meta = &entry.meta;
    let (published, _) = entry.published();
    Item {
        title: Some(text::feed_title(&meta.title)),
        link: Some(ctx.url(&article_path(&entry.record.id))),
        description: Some(text::escape_html(&article.summary_text())),
        guid: Some(Guid {
            value: format!("urn:uuid:{}", entry.record.id),
            permalink: false,
        }),
        pub_date: Some(published.to_rfc2822()),
        content: Some(text::body_html(article)),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![ctx.author_of(entry).to_string()],
            languages: vec![meta.language.clone()],
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}
