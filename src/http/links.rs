//! Feed discovery in HTTP headers: `Link: <…>; rel="self"`, `rel="hub"` (WebSub) and
//! `rel="alternate"` (the HTML index), the same links the documents carry.

use hyper::header::HeaderValue;

use crate::feed::{FeedContext, INDEX_PATH};

/// The `Link` header of the feed served at `self_path` (path and query).
pub(crate) fn feed_links(ctx: &FeedContext, self_path: &str) -> Option<HeaderValue> {
    let mut links = vec![format!("<{}>; rel=\"self\"", ctx.url(self_path))];
    if let Some(hub) = &ctx.hub {
        links.push(format!("<{hub}>; rel=\"hub\""));
    }
    links.push(format!(
        "<{}>; rel=\"alternate\"; type=\"text/html\"",
        ctx.url(INDEX_PATH)
    ));
    // URLs here are ASCII (validated base URL, percent-encoded paths); if one were not, the
    // response goes out without the header rather than not at all.
    HeaderValue::from_str(&links.join(", ")).ok()
}
