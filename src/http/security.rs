//! Security headers: what a browser may do with a document served here. Article pages carry
//! text scraped from the web; whatever it holds, no script runs, no other site frames the
//! pages, and no document is sniffed into another type.

use hyper::header::{
    CONTENT_SECURITY_POLICY, HeaderMap, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};

use crate::resource::Kind;

/// The pages: their style sheet from this origin, images from the web (Markdown articles may
/// show them), nothing else; no script at all.
pub(crate) const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; \
img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// RSS and Atom feeds, which browsers show through `/feed.xsl`: Chromium loads an XSLT style
/// sheet under `script-src`, so this origin is allowed there (it serves no JavaScript, and
/// `nosniff` keeps anything else from running as one).
pub(crate) const FEED_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Everything else (JSON Feed, OPML, the style sheets, status, plain answers): nothing to load.
pub(crate) const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// `Referrer-Policy`: links out of the pages tell the other site nothing about the reader.
pub(crate) const REFERRER: &str = "no-referrer";

/// Adds the security headers for a document of `kind` to `headers`.
pub(crate) fn add_headers(headers: &mut HeaderMap, kind: Kind) {
    let policy = match kind {
        Kind::Page => PAGE_POLICY,
        Kind::XmlFeed => FEED_POLICY,
        Kind::Data => DATA_POLICY,
    };
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static(REFERRER));
    // For browsers that predate `frame-ancestors`.
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(content_type: &'static str) -> String {
        let mut headers = HeaderMap::new();
        add_headers(&mut headers, Kind::of(content_type));
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[REFERRER_POLICY], "no-referrer");
        headers[CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ASCII")
            .to_string()
    }

    #[test]
    fn no_document_may_run_inline_script_or_be_framed() {
        for content_type in [
            "text/html; charset=utf-8",
            "application/atom+xml; charset=utf-8",
            "application/rss+xml; charset=utf-8",
            "application/feed+json; charset=utf-8",
            "text/css; charset=utf-8",
            "text/plain; charset=utf-8",
        ] {
            let csp = policy(content_type);
            assert!(
                csp.starts_with("default-src 'none';"),
                "{content_type}: {csp}"
            );
            assert!(
                csp.contains("frame-ancestors 'none'"),
                "{content_type}: {csp}"
            );
            assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        }
        assert!(!policy("text/html; charset=utf-8").contains("script-src"));
        assert!(policy("application/atom+xml").contains("script-src 'self'"));
        assert!(!policy("application/feed+json").contains("style-src"));
    }
}
