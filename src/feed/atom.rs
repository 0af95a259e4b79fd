//! Atom 1.0 (RFC 4287) with the `atom_syndication` crate, with the links of feed discovery
//! (`self`, `hub`, `alternate`) and feed history (RFC 5005), and `fh:archive` on archive
//! pages.

use std::collections::BTreeMap;

use atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed, Generator, Link, Person, Text,
};

use super::{FEED_HISTORY_NS, FeedContext, FeedDoc, GENERATOR, INDEX_PATH, RenderError};
use super::{article_path, text};
use crate::article::ParsedArticle;
use crate::model::Entry;

/// Renders the Atom document `doc`.
pub(crate) fn render(doc: &FeedDoc<'_>, ctx: &FeedContext) -> Result<String, RenderError> {
    let media_type = doc.target.format.media_type();
    let mut links = vec![
        link("self", ctx.url(&doc.self_path()), media_type),
        link("alternate", ctx.url(INDEX_PATH), "text/html"),
    ];
    if let Some(hub) = &ctx.hub {
        links.push(Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        });
    }
    for (rel, path) in doc.history_links() {
        links.push(link(rel, ctx.url(&path), media_type));
    }
    let mut namespaces = BTreeMap::new();
    if doc.is_archive() {
        namespaces.insert("fh".to_string(), FEED_HISTORY_NS.to_string());
    }
    let feed = Feed {
        title: Text::plain(ctx.scope_title(&doc.target.scope)),
        id: doc.feed_id(ctx),
        updated: doc.updated().fixed_offset(),
        authors: vec![person(&ctx.author)],
        generator: Some(Generator {
            value: GENERATOR.into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links,
        subtitle: Some(Text::plain(ctx.scope_description(&doc.target.scope))),
        entries: doc
            .items
            .iter()
            .map(|(e, article)| entry(e, article, ctx))
            .collect(),
        lang: Some(ctx.language.clone()),
        namespaces,
        ..Feed::default()
    };
    let config = atom_syndication::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let written = feed.write_with_config(Vec::new(), config);
    let text = super::document("Atom", written)?;
    Ok(if doc.is_archive() {
        mark_archive(text)
    } else {
        text
    })
}

/// Adds RFC 5005's `<fh:archive/>` first in the feed element. RFC 4287 wants extension
/// elements before the entries, and `atom_syndication` writes its extensions after them.
fn mark_archive(mut text: String) -> String {
    let start_tag_end = text
        .find("<feed")
        .and_then(|start| text[start..].find('>').map(|end| start + end + 1));
    if let Some(at) = start_tag_end {
        text.insert_str(at, "\n  <fh:archive/>");
    }
    text
}

fn entry(entry: &Entry, article: &ParsedArticle, ctx: &FeedContext) -> AtomEntry {
    let meta = &entry.meta;
    let lang = Some(meta.language.to_string());
    AtomEntry {
        title: Text {
            lang: lang.clone(),
            ..Text::plain(text::feed_title(&meta.title))
        },
        id: format!("urn:uuid:{}", entry.record.id),
        updated: entry.updated().fixed_offset(),
        published: Some(entry.published().0.fixed_offset()),
        // An article that names no author gets none: RFC 4287 gives the entry the feed's.
        authors: meta.author.as_deref().map(person).into_iter().collect(),
        links: vec![link(
            "alternate",
            ctx.url(&article_path(&entry.record.id)),
            "text/html",
        )],
        categories: meta
            .tags
            .iter()
            .map(|tag| Category {
                term: tag.clone(),
                ..Category::default()
            })
            .collect(),
        summary: Some(Text {
            lang: lang.clone(),
            ..Text::plain(article.summary_text())
        }),
        content: Some(Content {
            content_type: Some("html".into()),
            value: Some(text::body_html(article, text::MAX_FEED_ITEM_HTML_BYTES)),
            lang,
            ..Content::default()
        }),
        ..AtomEntry::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Person::default()
    }
}

fn link(rel: &str, href: String, mime_type: &str) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: Some(mime_type.into()),
        ..Link::default()
    }
}
