//! The HTML index and article pages: semantic, responsive, no JavaScript, with feed
//! autodiscovery links.

use std::collections::HashMap;
use std::fmt::Write;

use super::text::{body_html, escape_html, feed_title};
use super::{ATOM_PATH, FeedContext, FeedItem, RSS_PATH, article_path};
use crate::article::ParsedArticle;
use crate::store::Entry;

/// Most articles listed on the index page; older ones stay reachable from their own pages.
pub const MAX_INDEX_ARTICLES: usize = 1000;

const STYLE: &str = "body{font:1.05rem/1.6 system-ui,sans-serif;max-width:42rem;margin:0 auto;\
padding:1rem;color:#222;background:#fff}a{color:#0645ad}h1{line-height:1.25}\
article>header p,li p.meta{color:#555;font-size:.9rem;margin:.2rem 0}ol{padding:0;list-style:none}\
li{margin:0 0 1.4rem}nav{margin:1rem 0;font-size:.9rem}\
@media(prefers-color-scheme:dark){body{color:#ddd;background:#111}a{color:#8ab4f8}\
article>header p,li p.meta{color:#aaa}}";

fn head(out: &mut String, title: &str, lang: &str, ctx: &FeedContext) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"{feed} (RSS)\" href=\"{rss}\">\n\
         <link rel=\"alternate\" type=\"application/atom+xml\" title=\"{feed} (Atom)\" href=\"{atom}\">\n\
         <style>{STYLE}</style>\n</head>\n",
        lang = escape_html(lang),
        title = escape_html(title),
        feed = escape_html(&ctx.title),
        rss = escape_html(&ctx.url(RSS_PATH)),
        atom = escape_html(&ctx.url(ATOM_PATH)),
    );
}

fn feed_links(out: &mut String, ctx: &FeedContext) {
    let _ = writeln!(
        out,
        "<nav aria-label=\"Feeds\"><a href=\"{}\">RSS feed</a> · <a href=\"{}\">Atom feed</a></nav>",
        escape_html(&ctx.url(RSS_PATH)),
        escape_html(&ctx.url(ATOM_PATH)),
    );
}

fn dateline(entry: &Entry, ctx: &FeedContext) -> String {
    let (published, _) = entry.published();
    format!(
        "<time datetime=\"{}\">{}</time> · {}",
        published.to_rfc3339(),
        published.format("%Y-%m-%d"),
        escape_html(ctx.author_of(entry)),
    )
}

/// The index page: the newest of `published` articles first (`entries`, of which at most
/// [`MAX_INDEX_ARTICLES`] are listed); those in the feeds (`items`, whose bodies are at hand)
/// with their summary.
pub fn index_page(
    entries: &[&Entry],
    items: &[FeedItem],
    published: usize,
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
    out.push_str("<main>\n<ol>\n");
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

/// One article's page.
pub fn article_page(entry: &Entry, article: &ParsedArticle, ctx: &FeedContext) -> String {
    let mut out = String::new();
    head(&mut out, &article.meta.title, &article.meta.language, ctx);
    let _ = write!(
        out,
        "<body>\n<nav><a href=\"{home}\">← {site}</a></nav>\n<main>\n<article dir=\"auto\">\n\
         <header><h1>{title}</h1><p>{meta}</p></header>\n{body}</article>\n</main>\n",
        home = escape_html(&ctx.url("/")),
        site = escape_html(&ctx.title),
        title = escape_html(&article.meta.title),
        meta = dateline(entry, ctx),
        body = body_html(article),
    );
    feed_links(&mut out, ctx);
    out.push_str("</body>\n</html>\n");
    out
}
