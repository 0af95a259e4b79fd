//! The HTML index and article pages: semantic, responsive, no JavaScript, with feed
//! autodiscovery links.

use std::collections::HashMap;
use std::fmt::Write;

use super::opml::listed_tags;
use super::target::{Format, Scope, Target};
use super::text::{MAX_PAGE_HTML_BYTES, body_html, escape_html, feed_title};
use super::{FeedContext, OPML_PATH, article_path};
use crate::article::ParsedArticle;
use crate::model::Entry;
use crate::model::{Facets, FeedItem};

/// Most articles listed on the index page; older ones stay reachable from their own pages.
pub(crate) const MAX_INDEX_ARTICLES: usize = 1000;

const STYLE: &str = "body{font:1.05rem/1.6 system-ui,sans-serif;max-width:42rem;margin:0 auto;\
padding:1rem;color:#222;background:#fff}a{color:#0645ad}h1{line-height:1.25}\
article>header p,li p.meta{color:#555;font-size:.9rem;margin:.2rem 0}ol{padding:0;list-style:none}\
li{margin:0 0 1.4rem}nav{margin:1rem 0;font-size:.9rem}\
nav ul{list-style:none;padding:0;margin:.3rem 0}nav li{display:inline;margin:0 .8rem 0 0}\
aside{border-top:1px solid #ccc;margin-top:2rem}aside li{margin:0 0 .6rem}\
@media(prefers-color-scheme:dark){body{color:#ddd;background:#111}a{color:#8ab4f8}\
article>header p,li p.meta{color:#aaa}}";

fn head(out: &mut String, title: &str, lang: &str, ctx: &FeedContext) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n",
        lang = escape_html(lang),
        title = escape_html(title),
    );
    for format in Format::ALL {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
            format.media_type(),
            escape_html(&ctx.title),
            format.label(),
            escape_html(&ctx.url(&Target::current(Scope::All, format).path())),
        );
    }
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>");
}

/// The links to one scope's feeds, as `RSS · Atom · JSON Feed`.
fn scope_feed_links(scope: &Scope, ctx: &FeedContext) -> String {
    Format::ALL
        .into_iter()
        .map(|format| {
            format!(
                "<a href=\"{}\" type=\"{}\">{}</a>",
                escape_html(&ctx.url(&Target::current(scope.clone(), format).path())),
                format.media_type(),
                format.label()
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn feed_links(out: &mut String, ctx: &FeedContext) {
    let _ = writeln!(
        out,
        "<nav aria-label=\"Feeds\">Feeds: {} · <a href=\"{}\">OPML (all feeds)</a></nav>",
        scope_feed_links(&Scope::All, ctx),
        escape_html(&ctx.url(OPML_PATH)),
    );
}

/// A source or tag as the index lists it: its scope, its name as shown, its article count.
type Listed = (Scope, String, usize);

/// The feeds of every source and tag, for the index page.
fn facet_links(out: &mut String, facets: &Facets, ctx: &FeedContext) {
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
    for (heading, scopes) in lists {
        if scopes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<nav aria-label=\"{heading}\"><h2>{heading}</h2><ul>");
        for (scope, name, count) in scopes {
            let _ = writeln!(
                out,
                // Isolated: a right-to-left override in a folder name must not reorder the
                // count and links after it.
                "<li><bdi>{}</bdi> ({count}): {}</li>",
                escape_html(&name),
                scope_feed_links(&scope, ctx)
            );
        }
        out.push_str("</ul></nav>\n");
    }
}

fn dateline(entry: &Entry, ctx: &FeedContext) -> String {
    let (published, _) = entry.published();
    format!(
        "<time datetime=\"{}\">{}</time> · <bdi>{}</bdi>",
        published.to_rfc3339(),
        published.format("%Y-%m-%d"),
        escape_html(ctx.author_of(entry)),
    )
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
    let mut out = String::new();
    head(&mut out, &ctx.title, &ctx.language, ctx);
    let _ = write!(
        out,
        "<body>\n<header><h1>{}</h1><p>{}</p></header>\n",
        escape_html(&ctx.title),
        escape_html(&ctx.description)
    );
    feed_links(&mut out, ctx);
    facet_links(&mut out, facets, ctx);
    out.push_str("<main>\n<h2>Articles</h2>\n<ol>\n");
    for entry in entries.iter().take(MAX_INDEX_ARTICLES) {
        let lang = escape_html(&entry.meta.language);
        let _ = writeln!(
            out,
            "<li lang=\"{lang}\" dir=\"auto\"><h2><a href=\"{href}\">{title}</a></h2>\
             <p class=\"meta\">{meta}</p>{summary}</li>",
            href = escape_html(&ctx.url(&article_path(&entry.record.id))),
            title = escape_html(&feed_title(&entry.meta.title)),
            meta = dateline(entry, ctx),
            summary = bodies
                .get(entry.key.as_str())
                .map_or(String::new(), |article| {
                    format!("<p>{}</p>", escape_html(&article.summary_text()))
                }),
        );
    }
    out.push_str("</ol>\n");
    let listed = entries.len().min(MAX_INDEX_ARTICLES);
    if entries.is_empty() {
        out.push_str("<p>No articles yet.</p>\n");
    } else if published > listed {
        let _ = writeln!(
            out,
            "<p>{} older articles are not listed here.</p>",
            published - listed
        );
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// One article's page, linking to the `related` articles (most similar first; `true` marks a
/// near-identical copy).
pub(crate) fn article_page(
    entry: &Entry,
    article: &ParsedArticle,
    related: &[(&Entry, bool)],
    ctx: &FeedContext,
) -> String {
    let mut out = String::new();
    head(&mut out, &article.meta.title, &article.meta.language, ctx);
    let _ = write!(
        out,
        "<body>\n<nav><a href=\"{home}\">← {site}</a></nav>\n<main>\n<article dir=\"auto\">\n\
         <header><h1>{title}</h1><p>{meta}</p></header>\n{body}</article>\n",
        home = escape_html(&ctx.url("/")),
        site = escape_html(&ctx.title),
        title = escape_html(&article.meta.title),
        meta = dateline(entry, ctx),
        body = body_html(article, MAX_PAGE_HTML_BYTES),
    );
    if !related.is_empty() {
        out.push_str("<aside aria-labelledby=\"related\"><h2 id=\"related\">Related</h2>\n<ul>\n");
        for (other, copy) in related {
            let _ = writeln!(
                out,
                "<li lang=\"{lang}\" dir=\"auto\"><a href=\"{href}\" rel=\"related\">{title}</a>\
                 <p class=\"meta\">{meta}{copy}</p></li>",
                copy = if *copy { " · near-identical copy" } else { "" },
                lang = escape_html(&other.meta.language),
                href = escape_html(&ctx.url(&article_path(&other.record.id))),
                title = escape_html(&feed_title(&other.meta.title)),
                meta = dateline(other, ctx),
            );
        }
        out.push_str("</ul>\n</aside>\n");
    }
    out.push_str("</main>\n");
    feed_links(&mut out, ctx);
    out.push_str("</body>\n</html>\n");
    out
}
