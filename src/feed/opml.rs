//! OPML 2.0 list of every feed (everything, each source, each tag), so a reader subscribes to
//! all of them in one import.

use std::fmt::Write;

use super::target::{Format, Scope, Target};
use super::text::escape_html;
use super::{FeedContext, INDEX_PATH};
use crate::model::Facets;

/// Most tags listed in the OPML document and on the index page (the most used ones); every
/// tag keeps its feeds whether listed or not.
pub(crate) const MAX_LISTED_TAGS: usize = 500;

/// The tags to list: the [`MAX_LISTED_TAGS`] most used, in name order.
pub(crate) fn listed_tags(facets: &Facets) -> Vec<(&str, usize)> {
    let mut tags: Vec<(&str, usize)> = facets.tags.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    if tags.len() > MAX_LISTED_TAGS {
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        tags.truncate(MAX_LISTED_TAGS);
        tags.sort();
    }
    tags
}

/// Renders the OPML document.
pub(crate) fn render(facets: &Facets, ctx: &FeedContext) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n");
    let _ = writeln!(
        out,
        "<head><title>{}</title><docs>http://opml.org/spec2.opml</docs></head>\n<body>",
        escape_html(&ctx.title)
    );
    outline(&mut out, &Scope::All, ctx, "");
    if !facets.sources.is_empty() {
        out.push_str("<outline text=\"Sources\">\n");
        for source in facets.sources.keys() {
            outline(&mut out, &Scope::Source(source.clone()), ctx, "  ");
        }
        out.push_str("</outline>\n");
    }
    let tags = listed_tags(facets);
    if !tags.is_empty() {
        out.push_str("<outline text=\"Tags\">\n");
        for (tag, _) in tags {
            outline(&mut out, &Scope::Tag(tag.to_string()), ctx, "  ");
        }
        out.push_str("</outline>\n");
    }
    out.push_str("</body>\n</opml>\n");
    out
}

fn outline(out: &mut String, scope: &Scope, ctx: &FeedContext, indent: &str) {
    let title = escape_html(&ctx.scope_title(scope));
    let _ = writeln!(
        out,
        "{indent}<outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{xml}\" htmlUrl=\"{html}\"/>",
        xml = escape_html(&ctx.url(&Target::current(scope.clone(), Format::Rss).path())),
        html = escape_html(&ctx.url(INDEX_PATH)),
    );
}
