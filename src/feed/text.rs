//! Text helpers shared by the renderers: HTML escaping, summaries, article bodies as HTML.

use std::fmt::Write;

use crate::article::{Block, ParsedArticle, truncate_words};

/// Longest title (in characters, before the ellipsis) in feeds and the index; the article's
/// own page shows the whole title.
pub const MAX_FEED_TITLE_CHARS: usize = 200;

/// Escapes text for HTML element content and double-quoted attribute values (the only kind
/// written here, so `'` needs no escape).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The title as feeds show it: cut at a word boundary when over-long.
pub fn feed_title(title: &str) -> String {
    truncate_words(title, MAX_FEED_TITLE_CHARS)
}

/// The article body as HTML: the Markdown rendering when there is one, else `<h2>` headings,
/// `<p>` paragraphs and `<ul>` lists built from the blocks, all text escaped.
pub fn body_html(article: &ParsedArticle) -> String {
    if let Some(html) = &article.html {
        return html.clone();
    }
    let mut html = String::new();
    let mut in_list = false;
    for block in &article.blocks {
        let is_item = matches!(block, Block::ListItem(_));
        if in_list && !is_item {
            html.push_str("</ul>\n");
        } else if !in_list && is_item {
            html.push_str("<ul>\n");
        }
        in_list = is_item;
        // Writing to a String cannot fail.
        let _ = match block {
            Block::Heading(h) => writeln!(html, "<h2>{}</h2>", escape_html(h)),
            Block::Paragraph(p) => writeln!(html, "<p>{}</p>", escape_html(p)),
            Block::ListItem(i) => writeln!(html, "<li>{}</li>", escape_html(i)),
        };
    }
    if in_list {
        html.push_str("</ul>\n");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_cdata_ends() {
        assert_eq!(
            escape_html("<script>a && \"b\" ]]> 'c'"),
            "&lt;script&gt;a &amp;&amp; &quot;b&quot; ]]&gt; 'c'"
        );
    }

    #[test]
    fn truncates_at_a_word_boundary() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 9), "one two…");
        assert_eq!(truncate_words("été été été", 5), "été…");
        assert_eq!(truncate_words("abcdefghij", 4), "abcd…");
    }
}
