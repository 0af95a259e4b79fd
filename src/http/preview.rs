//! The browser preview of the RSS and Atom feeds: a browser asking for a feed (it accepts
//! `text/html`, a feed reader does not) gets the same bytes as `application/xml`, which
//! browsers render through the feed's `<?xml-stylesheet?>` (`/feed.xsl`); under
//! `application/atom+xml` or `application/rss+xml` Chromium shows them as plain text.

use hyper::header::{ACCEPT, HeaderMap};

/// `Content-Type` of a feed sent to a browser.
pub(crate) const PREVIEW_CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// True when the request comes from a browser: its `Accept` lists `text/html` (with a
/// non-zero quality) and names no feed type. Feed readers send feed types, XML or `*/*`.
pub(crate) fn wants_preview(headers: &HeaderMap) -> bool {
    let mut html = false;
    for (range, quality) in super::accept::weighted(headers, &ACCEPT) {
        if range.eq_ignore_ascii_case("application/atom+xml")
            || range.eq_ignore_ascii_case("application/rss+xml")
        {
            return false;
        }
        if range.eq_ignore_ascii_case("text/html") && quality > 0.0 {
            html = true;
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn preview(accept: Option<&str>) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(ACCEPT, HeaderValue::from_str(accept).expect("header"));
        }
        wants_preview(&headers)
    }

    #[test]
    fn browsers_get_the_preview_and_feed_readers_the_feed() {
        // Chromium and Firefox opening a link.
        assert!(preview(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        )));
        assert!(preview(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        // feedparser, Miniflux-like readers, curl and clients that send nothing.
        assert!(!preview(Some(
            "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1"
        )));
        assert!(!preview(Some("application/rss+xml, text/html;q=0.5")));
        assert!(!preview(Some("*/*")));
        assert!(!preview(None));
        assert!(!preview(Some("text/html;q=0")));
    }
}
