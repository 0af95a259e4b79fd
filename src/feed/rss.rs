//! RSS 2.0 with the `rss` crate: Dublin Core creator and language, `content:encoded`, the
//! `atom:link`s of feed discovery (`self`, `hub`) and feed history (RFC 5005), and
//! `fh:archive` on archive pages.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Guid, Item};

use super::{FEED_HISTORY_NS, FeedContext, FeedDoc, GENERATOR, INDEX_PATH, RenderError};
use super::{article_path, text};
use crate::article::ParsedArticle;
use crate::model::Entry;

/// Renders the RSS document `doc`.
pub(crate) fn render(doc: &FeedDoc<'_>, ctx: &FeedContext) -> Result<String, RenderError> {
    let items = doc
        .items
        .iter()
        .map(|(entry, article)| item(entry, article, ctx))
        .collect();
    let mut links = vec![link("self", ctx.url(&doc.self_path()), Some(doc))];
    if let Some(hub) = &ctx.hub {
        links.push(link("hub", hub.clone(), None));
    }
    for (rel, path) in doc.history_links() {
        links.push(link(rel, ctx.url(&path), Some(doc)));
    }
    let (mut namespaces, mut extensions) = (BTreeMap::new(), ExtensionMap::default());
    if doc.is_archive() {
        namespaces.insert("fh".to_string(), FEED_HISTORY_NS.to_string());
        let archive = Extension {
            name: "fh:archive".into(),
            ..Extension::default()
        };
        extensions.insert(
            "fh".into(),
            BTreeMap::from([("archive".to_string(), vec![archive])]),
        );
    }
    let channel = Channel {
        title: ctx.scope_title(&doc.target.scope),
        link: ctx.url(INDEX_PATH),
        description: ctx.scope_description(&doc.target.scope),
        language: Some(ctx.language.clone()),
        last_build_date: Some(doc.updated().to_rfc2822()),
        generator: Some(GENERATOR.to_string()),
        atom_ext: Some(AtomExtension { links }),
        namespaces,
        extensions,
        items,
        ..Channel::default()
    };
    let written = channel.pretty_write_to(Vec::new(), b' ', 2);
    super::document("RSS", written)
}

fn link(rel: &str, href: String, same_format: Option<&FeedDoc<'_>>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: same_format.map(|doc| doc.target.format.media_type().into()),
        ..Link::default()
    }
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
        content: Some(text::body_html(article, text::MAX_FEED_ITEM_HTML_BYTES)),
        categories: meta
            .tags
            .iter()
            .map(|tag| Category {
                name: tag.clone(),
                domain: None,
            })
            .collect(),
        dublin_core_ext: Some(DublinCoreExtension {
            creators: meta.author.iter().cloned().collect(),
            languages: vec![meta.language.to_string()],
            ..DublinCoreExtension::default()
        }),
        ..Item::default()
    }
}
