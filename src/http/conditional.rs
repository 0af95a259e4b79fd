//! Conditional requests (RFC 9110 §13), evaluated in §13.2.2's order: `If-Match` (else
//! `If-Unmodified-Since`) may fail the request with `412`; then `If-None-Match` (else
//! `If-Modified-Since`) may answer `304`.

use std::time::SystemTime;

use hyper::header::{
    HeaderMap, HeaderValue, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE,
};

/// What the request's conditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Send the document.
    Send,
    /// `304 Not Modified`: the client's copy is current.
    NotModified,
    /// `412 Precondition Failed`: the client asked for a version that is not the current one.
    PreconditionFailed,
}

/// The conditions of a request for a document whose representations have `etags` and which
/// changed last at `last_modified`.
pub fn evaluate(
    headers: &HeaderMap,
    etags: &[&HeaderValue],
    last_modified: SystemTime,
) -> Condition {
    if precondition_failed(headers, etags, last_modified) {
        Condition::PreconditionFailed
    } else if not_modified(headers, etags, last_modified) {
        Condition::NotModified
    } else {
        Condition::Send
    }
}

/// True when `If-Match` lists no current tag (compared strongly: a weak tag never matches),
/// or, without `If-Match`, when the document changed after `If-Unmodified-Since`.
fn precondition_failed(
    headers: &HeaderMap,
    etags: &[&HeaderValue],
    last_modified: SystemTime,
) -> bool {
    let im: Vec<&HeaderValue> = headers.get_all(IF_MATCH).iter().collect();
    if !im.is_empty() {
        return !im.iter().any(|value| {
            value.to_str().is_ok_and(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .any(|tag| tag == "*" || etags.iter().any(|e| e.as_bytes() == tag.as_bytes()))
            })
        });
    }
    headers
        .get(IF_UNMODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .is_some_and(|since| last_modified > since)
}

/// True when the client's copy is current and a `304 Not Modified` is the answer.
///
/// `etags` are the validators of every representation of the resource (identity and gzip): a
/// client holding either has the current content.
fn not_modified(headers: &HeaderMap, etags: &[&HeaderValue], last_modified: SystemTime) -> bool {
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

    // Issue 14: `If-Match` and `If-Unmodified-Since` were ignored.
    #[test]
    fn if_match_and_if_unmodified_since_can_fail_the_request() {
        let tag = HeaderValue::from_static(TAG);
        let gz = HeaderValue::from_static(GZ);
        let eval = |pairs: &[(&'static str, &str)], modified| {
            evaluate(&headers(pairs), &[&tag, &gz], modified)
        };
        assert_eq!(eval(&[("if-match", TAG)], t(0)), Condition::Send);
        assert_eq!(eval(&[("if-match", "*")], t(0)), Condition::Send);
        for stale in ["\"other\"", &format!("W/{TAG}")] {
            assert_eq!(
                eval(&[("if-match", stale)], t(0)),
                Condition::PreconditionFailed,
                "{stale}"
            );
        }
        let date = httpdate::fmt_http_date(t(1_000_000));
        assert_eq!(
            eval(&[("if-unmodified-since", &date)], t(1_000_000)),
            Condition::Send
        );
        assert_eq!(
            eval(&[("if-unmodified-since", &date)], t(1_000_001)),
            Condition::PreconditionFailed
        );
        // If-Match decides alone when present; 412 comes before 304.
        assert_eq!(
            eval(
                &[("if-match", TAG), ("if-unmodified-since", &date)],
                t(2_000_000)
            ),
            Condition::Send
        );
        assert_eq!(
            eval(&[("if-match", "\"other\""), ("if-none-match", TAG)], t(0)),
            Condition::PreconditionFailed
        );
        assert_eq!(
            eval(&[("if-none-match", TAG)], t(0)),
            Condition::NotModified
        );
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
