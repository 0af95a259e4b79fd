//! The weighted lists of `Accept` and `Accept-Encoding`: each item with its quality, read
//! without copying (both are looked at on every request for a document).

use hyper::header::{HeaderMap, HeaderName};

/// The items of every `name` header in `headers`, trimmed, each with its quality (`q=`, 1
/// when absent or unreadable). Lines that are not text are skipped.
pub(crate) fn weighted<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> impl Iterator<Item = (&'a str, f32)> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| {
            let mut parts = item.split(';');
            let token = parts.next().unwrap_or("").trim();
            let quality = parts
                .filter_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (token, quality)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{ACCEPT, HeaderValue};

    #[test]
    fn items_come_with_their_quality() {
        let mut headers = HeaderMap::new();
        headers.append(
            ACCEPT,
            HeaderValue::from_static("text/html, application/xml;q=0.9"),
        );
        headers.append(
            ACCEPT,
            HeaderValue::from_static(" */* ; Q=0.1 ,image/webp;q=x"),
        );
        let items: Vec<(&str, f32)> = weighted(&headers, &ACCEPT).collect();
        assert_eq!(
            items,
            [
                ("text/html", 1.0),
                ("application/xml", 0.9),
                ("*/*", 0.1),
                ("image/webp", 1.0)
            ]
        );
    }
}
