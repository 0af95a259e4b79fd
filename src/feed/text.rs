//! Text helpers shared by the renderers: HTML escaping, summaries, article bodies as HTML.

use std::fmt::Write;

use crate::article::{Block, ParsedArticle, truncate_words};

/// Longest title (in characters, before the ellipsis) in feeds and the index; the article's
/// own page shows the whole title.
pub(crate) const MAX_FEED_TITLE_CHARS: usize = 200;

/// Escapes text for HTML element content and double-quoted attribute values (the only kind
/// written here, so `'` needs no escape).
pub(crate) fn escape_html(text: &str) -> String {
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
pub(crate) fn feed_title(title: &str) -> String {
    truncate_words(title, MAX_FEED_TITLE_CHARS)
}

/// Most bytes of an article body's HTML in one feed item. A 4 MB file of two million
/// one-character lines would otherwise make each feed 40 MB (markup outweighs such text ten
/// to one); the item ends with "…" and its link leads to the page.
pub(crate) const MAX_FEED_ITEM_HTML_BYTES: usize = 256 * 1024;

/// Most bytes of an article body's HTML on its page; a longer body ends with "…".
pub(crate) const MAX_PAGE_HTML_BYTES: usize = 2 * 1024 * 1024;

/// The article body as HTML, at most about `max_bytes`: the Markdown rendering when there is
/// one and it fits, else `<h2>` headings, `<p>` paragraphs and `<ul>` lists built from the
/// blocks, all text escaped, cut with a final "…" paragraph where the budget runs out (HTML
/// cannot be cut anywhere, so an over-long Markdown rendering is shown as plain blocks).
pub(crate) fn body_html(article: &ParsedArticle, max_bytes: usize) -> String {
    if let Some(html) = article.html.as_ref().filter(|h| h.len() <= max_bytes) {
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
        let left = max_bytes.saturating_sub(html.len());
        let text = escape_html(block.text());
        let over = text.len() > left;
        let text = if over { cut(&text, left) } else { &text };
        // Writing to a String cannot fail.
        let _ = match block {
            Block::Heading(_) => writeln!(html, "<h2>{text}</h2>"),
            Block::Paragraph(_) => writeln!(html, "<p>{text}</p>"),
            Block::ListItem(_) => writeln!(html, "<li>{text}</li>"),
        };
        if over {
            break;
        }
    }
    if in_list {
        html.push_str("</ul>\n");
    }
    if html.len() >= max_bytes {
        html.push_str("<p>…</p>\n");
    }
    html
}

/// The longest start of escaped `text` within `max_bytes` that cuts neither a character nor
/// an entity.
fn cut(text: &str, max_bytes: usize) -> &str {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // An entity is `&…;`: cut before a started one.
    match text[..end].rfind('&') {
        Some(amp) if !text[amp..end].contains(';') => &text[..amp],
        _ => &text[..end],
    }
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

    // Regression (issue 14): a 4 MB file of two million one-character lines made each feed
    // 42 MB and its page 18 MB.
    #[test]
    fn bodies_are_cut_at_their_byte_budget() {
        use crate::article::{Markup, ParseOptions, parse};
        let text = format!("Title\n\n{}", "x.\n\n".repeat(200_000));
        let article =
            parse(text.as_bytes(), Markup::Text, &ParseOptions::default()).expect("parse");
        let html = body_html(&article, 1000);
        assert!(html.len() < 1100, "{}", html.len());
        assert!(html.ends_with("<p>…</p>\n"));
        let one = parse(
            b"Title\n\nA & B & C.\n",
            Markup::Text,
            &ParseOptions::default(),
        )
        .expect("parse");
        assert_eq!(body_html(&one, 1000), "<p>A &amp; B &amp; C.</p>\n");
        // Never half an entity.
        let cut_short = body_html(&one, 6);
        assert!(cut_short.starts_with("<p>A </p>"), "{cut_short}");
    }

    #[test]
    fn truncates_at_a_word_boundary() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 9), "one two…");
        assert_eq!(truncate_words("été été été", 5), "été…");
        assert_eq!(truncate_words("abcdefghij", 4), "abcd…");
    }
}
