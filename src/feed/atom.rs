//! Atom 1.0 (RFC 4287) with the `atom_syndication` crate.

use atom_syndication::{Content, Entry as AtomEntry, Feed, Generator, Link, Person, Text};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    ATOM_PATH, FeedContext, FeedItem, GENERATOR, INDEX_PATH, RenderError, article_path, text,
};
use crate::article::ParsedArticle;
use crate::store::Entry;

/// The feed's own id: a name-based UUID of its public URL, stable while the URL is.
pub fn feed_id(ctx: &FeedContext) -> String {
    format!(
        "urn:uuid:{}",
        Uuid::new_v5(&Uuid::NAMESPACE_URL, ctx.url(ATOM_PATH).as_bytes())
    )
}

/// Renders the Atom document for `items` (already sorted and limited).
pub fn render(
    items: &[FeedItem],
    ctx: &FeedContext,
    updated: DateTime<Utc>,
) -> Result<String, RenderError> {
    let feed = Feed {
        title: Text::plain(ctx.title.clone()),
        id: feed_id(ctx),
        updated: updated.fixed_offset(),
        authors: vec![person(&ctx.author)],
        generator: Some(Generator {
            value: GENERATOR.into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links: vec![
            link("self", ctx.url(ATOM_PATH), "application/atom+xml"),
            link("alternate", ctx.url(INDEX_PATH), "text/html"),
        ],
        subtitle: Some(Text::plain(ctx.description.clone())),
        entries: items
            .iter()
            .map(|(e, article)| entry(e, article, ctx))
            .collect(),
        lang: Some(ctx.language.clone()),
        ..Feed::default()
    };
    let config = atom_syndication::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let written = feed.write_with_config(Vec::new(), config);
    super::document("Atom", written)
}

fn entry(entry: &Entry, article: &ParsedArticle, ctx: &FeedContext) -> AtomEntry {
    let meta = &entry.meta;
    let lang = Some(meta.language.clone());
    AtomEntry {
        title: Text {
            lang: lang.clone(),
            ..Text::plain(text::feed_title(&meta.title))
        },
        id: format!("urn:uuid:{}", entry.record.id),
        updated: entry.updated().fixed_offset(),
        published: Some(entry.published().0.fixed_offset()),
        authors: vec![person(ctx.author_of(entry))],
        links: vec![link(
            "alternate",
            ctx.url(&article_path(&entry.record.id)),
            "text/html",
        )],
        summary: Some(Text {
            lang: lang.clone(),
            ..Text::plain(article.summary_text())
        }),
        content: Some(Content {
            content_type: Some("html".into()),
            value: Some(text::body_html(article)),
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
