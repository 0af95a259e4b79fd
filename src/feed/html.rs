//! The HTML index and article pages: semantic, responsive, no JavaScript, with feed
//! autodiscovery links. Built with `maud` templates, which escape every interpolation unless
//! it is marked `PreEscaped` (article bodies built from escaped text).

use std::collections::HashMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::opml::listed_tags;
use super::target::{Format, Scope, Target};
use super::text::{MAX_PAGE_HTML_BYTES, body_html, feed_title};
use super::{FeedContext, OPML_PATH, article_path};
use crate::article::ParsedArticle;
use crate::model::Entry;
use crate::model::{Facets, FeedItem};

/// Most articles listed on the index page; older ones stay reachable from their own pages.
pub(crate) const MAX_INDEX_ARTICLES: usize = 1000;

/// The document head: language, title, feed autodiscovery links and the style sheet (a file:
/// the pages' Content-Security-Policy refuses inline styles).
fn head(title: &str, ctx: &FeedContext) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) }
        @for format in Format::ALL {
            link rel="alternate" type=(format.media_type())
                title={ (ctx.title) " (" (format.label()) ")" }
                href=(ctx.url(&Target::current(Scope::All, format).path()));
        }
        link rel="stylesheet" href=(ctx.local(super::STYLESHEET_PATH));
    }
}

/// A whole page in `lang`, titled `title`, with `body`.
fn page(title: &str, lang: &str, ctx: &FeedContext, body: Markup) -> String {
    let page = html! {
        (DOCTYPE)
        html lang=(lang) {
            head { (head(title, ctx)) }
            body { (body) }
        }
    };
    page.into_string()
}

/// The links to one scope's feeds, as `RSS · Atom · JSON Feed`.
fn scope_feed_links(scope: &Scope, ctx: &FeedContext) -> Markup {
    html! {
        @for (i, format) in Format::ALL.into_iter().enumerate() {
            @if i > 0 { " · " }
            a href=(ctx.url(&Target::current(scope.clone(), format).path()))
                type=(format.media_type()) { (format.label()) }
        }
    }
}

fn feed_links(ctx: &FeedContext) -> Markup {
    html! {
        nav aria-label="Feeds" {
            "Feeds: " (scope_feed_links(&Scope::All, ctx)) " · "
            a href=(ctx.url(OPML_PATH)) { "OPML (all feeds)" }
        }
    }
}

/// A source or tag as the index lists it: its scope, its name as shown, its article count.
type Listed = (Scope, String, usize);

/// The feeds of every source and tag, for the index page.
fn facet_links(facets: &Facets, ctx: &FeedContext) -> Markup {
    let lists: [(&str, Vec<Listed>); 2] = [
        (
            "Sources",
            facets
                .sources
                .iter()
                .map(|(s, n)| (Scope::Source(s.clone()), s.clone(), *n))
                .collect(),
        ),
        (
            "Tags",
            listed_tags(facets)
                .into_iter()
                .map(|(t, n)| (Scope::Tag(t.to_string()), format!("#{t}"), n))
                .collect(),
        ),
    ];
    html! {
        @for (heading, scopes) in lists {
            @if !scopes.is_empty() {
                nav aria-label=(heading) {
                    h2 { (heading) }
                    ul {
                        @for (scope, name, count) in scopes {
                            // Isolated: a right-to-left override in a folder name must not
                            // reorder the count and links after it.
                            li { bdi { (name) } " (" (count) "): " (scope_feed_links(&scope, ctx)) }
                        }
                    }
                }
            }
        }
    }
}

fn dateline(entry: &Entry) -> Markup {
    let (published, _) = entry.published();
    html! {
        time datetime=(published.to_rfc3339()) { (published.format("%Y-%m-%d")) }
        @if let Some(author) = &entry.meta.author {
            " · "
            bdi { (author) }
        }
    }
}

/// The index page: the newest of `published` articles first (`entries`, of which at most
/// [`MAX_INDEX_ARTICLES`] are listed); those in the feeds (`items`, whose bodies are at hand)
/// with their summary.
pub(crate) fn index_page(
    entries: &[&Entry],
    items: &[FeedItem],
    published: usize,
    facets: &Facets,
    ctx: &FeedContext,
) -> String {
    let bodies: HashMap<&str, &ParsedArticle> = items
        .iter()
        .map(|(entry, article)| (entry.key.as_str(), &**article))
        .collect();
    let listed = entries.len().min(MAX_INDEX_ARTICLES);
    let body = html! {
        header { h1 { (ctx.title) } p { (ctx.description) } }
        (feed_links(ctx))
        (facet_links(facets, ctx))
        main {
            h2 { "Articles" }
            ol {
                @for entry in entries.iter().take(MAX_INDEX_ARTICLES) {
                    li lang=(entry.meta.language) dir="auto" {
                        h2 {
                            a href=(ctx.url(&article_path(&entry.record.id))) {
                                (feed_title(&entry.meta.title))
                            }
                        }
                        p class="meta" { (dateline(entry)) }
                        @if let Some(article) = bodies.get(entry.key.as_str()) {
                            p { (article.summary_text()) }
                        }
                    }
                }
            }
            @if entries.is_empty() {
                p { "No articles yet." }
            } @else if published > listed {
                p { (published - listed) " older articles are not listed here." }
            }
        }
    };
    page(&ctx.title, &ctx.language, ctx, body)
}

/// One article's page, linking to the `related` articles (most similar first; `true` marks a
/// near-identical copy).
pub(crate) fn article_page(
    entry: &Entry,
    article: &ParsedArticle,
    related: &[(&Entry, bool)],
    ctx: &FeedContext,
) -> String {
    let body = html! {
        nav { a href=(ctx.url("/")) { "← " (ctx.title) } }
        main {
            article dir="auto" {
                header { h1 { (article.meta.title) } p { (dateline(entry)) } }
                // Built from escaped text by `body_html`, or the Markdown renderer's output.
                (PreEscaped(body_html(article, MAX_PAGE_HTML_BYTES)))
            }
            @if !related.is_empty() {
                aside aria-labelledby="related" {
                    h2 id="related" { "Related" }
                    ul {
                        @for (other, copy) in related {
                            li lang=(other.meta.language) dir="auto" {
                                a href=(ctx.url(&article_path(&other.record.id))) rel="related" {
                                    (feed_title(&other.meta.title))
                                }
                                p class="meta" {
                                    (dateline(other))
                                    @if *copy { " · near-identical copy" }
                                }
                            }
                        }
                    }
                }
            }
        }
        (feed_links(ctx))
    };
    page(&article.meta.title, &article.meta.language, ctx, body)
}
