//! Conditional requests (RFC 9110 §13): `If-None-Match` first, `If-Modified-Since` only when
//! there is no `If-None-Match`.

use std::time::SystemTime;

use hyper::header::{HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};

/// True when the client's copy is current and a `304 Not Modified` is the answer.
///
/// `etags` are the validators of every representation of the resource (identity and gzip): a
/// client holding either has the current content.
pub fn not_modified(
    headers: &HeaderMap,
    etags: &[&HeaderValue],
    last_modified: SystemTime,
) -> bool {
    let inm: Vec<&HeaderValue> = headers.get_all(IF_NONE_MATCH).iter().collect();
    if !inm.is_empty() {
        return inm.iter().any(|value| matches_any(value, etags));
    }
    headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| last_modified <= since)
}

/// Weak comparison of one `If-None-Match` value (a list, or `*`) against the current tags.
fn matches_any(value: &HeaderValue, etags: &[&HeaderValue]) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    value.split(',').map(str::trim).any(|tag| {
        tag == "*" || {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            etags.iter().any(|e| e.as_bytes() == tag.as_bytes())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        h
    }

    const TAG: &str = "\"00000000000000ab\"";
    const GZ: &str = "\"00000000000000ab-gz\"";

    fn check(pairs: &[(&'static str, &str)], modified: SystemTime) -> bool {
        let tag = HeaderValue::from_static(TAG);
        let gz = HeaderValue::from_static(GZ);
        not_modified(&headers(pairs), &[&tag, &gz], modified)
    }

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn if_none_match_matches_any_listed_tag_weakly() {
        assert!(check(&[("if-none-match", TAG)], t(0)));
        assert!(check(&[("if-none-match", GZ)], t(0)));
        assert!(check(
            &[("if-none-match", &format!("\"x\", W/{TAG}"))],
            t(0)
        ));
        assert!(check(&[("if-none-match", "*")], t(0)));
        assert!(!check(&[("if-none-match", "\"other\"")], t(0)));
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let date = httpdate::fmt_http_date(t(1_000_000));
        assert!(check(&[("if-modified-since", &date)], t(1_000_000)));
        assert!(!check(&[("if-modified-since", &date)], t(1_000_001)));
        assert!(!check(&[("if-modified-since", "yesterday")], t(0)));
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let date = httpdate::fmt_http_date(t(2_000_000));
        assert!(!check(
            &[("if-none-match", "\"other\""), ("if-modified-since", &date)],
            t(1)
        ));
    }
}
