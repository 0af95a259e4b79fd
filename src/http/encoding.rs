//! Content negotiation for `Accept-Encoding`: only gzip is offered (prepared once per render).

use hyper::header::{ACCEPT_ENCODING, HeaderMap};

/// True when the request accepts gzip: listed (or `*`) with a non-zero quality, and not
/// refused by an explicit `gzip;q=0`.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut star = None;
    for (coding, quality) in super::accept::weighted(headers, &ACCEPT_ENCODING) {
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(quality > 0.0);
        } else if coding == "*" {
            star = Some(quality > 0.0);
        }
    }
    gzip.or(star).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn accepts(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("header"),
        );
        accepts_gzip(&headers)
    }

    #[test]
    fn negotiates_gzip() {
        assert!(accepts("gzip"));
        assert!(accepts("br, gzip;q=0.5, deflate"));
        assert!(accepts("*"));
        assert!(accepts("x-gzip"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts("*, gzip;q=0"));
        assert!(!accepts("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
