//! Building responses: documents from the snapshot, and short plain-text answers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderValue,
    LAST_MODIFIED, LINK, RETRY_AFTER, VARY,
};
use hyper::{Response, StatusCode};

use super::conditional::Condition;
use crate::resource::{Kind, Resource};

/// The response type of every handler.
pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// Methods every route answers.
pub(crate) const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// Seconds a client is asked to wait while the first index is being built.
pub(crate) const RETRY_AFTER_SECS: &str = "1";

/// How a resource is sent.
pub(crate) struct Delivery<'a> {
    /// The document.
    pub resource: &'a Resource,
    /// Send the gzip body.
    pub gzip: bool,
    /// What the request's conditions decide: the body, `304` or `412`.
    pub condition: Condition,
    /// `HEAD`: headers only.
    pub head: bool,
    /// `Cache-Control` value.
    pub cache_control: &'a HeaderValue,
    /// `Link` header (feed discovery), if any.
    pub link: Option<HeaderValue>,
    /// The client is a browser (see [`super::preview`]).
    pub preview: bool,
}

/// `Vary` of documents whose encoding is negotiated.
const VARY_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");
/// `Vary` of RSS and Atom feeds, whose type is negotiated too (browsers get the preview).
const VARY_FEED: HeaderValue = HeaderValue::from_static("Accept, Accept-Encoding");
/// `Content-Type` of a feed sent to a browser.
const PREVIEW_TYPE: HeaderValue = HeaderValue::from_static(super::preview::PREVIEW_CONTENT_TYPE);

/// A document (or its 304 or 412), with validators, caching and encoding headers.
pub(crate) fn document(d: Delivery<'_>) -> HttpResponse {
    let r = d.resource;
    let (body, etag) = match (&r.gzip, d.gzip) {
        (Some(gz), true) => (gz.clone(), &r.gzip_etag),
        _ => (r.body.clone(), &r.etag),
    };
    let gzipped = d.gzip && r.gzip.is_some();
    let (status, sends_body) = match d.condition {
        Condition::Send => (StatusCode::OK, true),
        Condition::NotModified => (StatusCode::NOT_MODIFIED, false),
        Condition::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, false),
    };
    let xml_feed = r.kind == Kind::XmlFeed;
    let mut builder = Response::builder()
        .status(status)
        .header(ETAG, etag)
        .header(LAST_MODIFIED, &r.last_modified_header)
        .header(CACHE_CONTROL, d.cache_control)
        .header(VARY, if xml_feed { VARY_FEED } else { VARY_ENCODING });
    if let Some(link) = d.link {
        builder = builder.header(LINK, link);
    }
    if let Some(headers) = builder.headers_mut() {
        super::security::add_headers(headers, r.kind);
    }
    if sends_body {
        let content_type = if xml_feed && d.preview {
            &PREVIEW_TYPE
        } else {
            &r.content_type
        };
        builder = builder
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, body.len());
        if gzipped {
            builder = builder.header(CONTENT_ENCODING, "gzip");
        }
    }
    let body = if !sends_body || d.head {
        Bytes::new()
    } else {
        body
    };
    builder
        .body(Full::new(body))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response error\n"))
}

/// A short `text/plain` answer.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    text_response(status, Bytes::from_static(text.as_bytes()))
}

/// A `text/plain` answer with the security headers.
fn text_response(status: StatusCode, text: Bytes) -> HttpResponse {
    let mut response = Response::new(Full::new(text));
    *response.status_mut() = status;
    super::security::add_headers(response.headers_mut(), Kind::Data);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `400 Bad Request` saying why.
pub(crate) fn bad_request(reason: &str) -> HttpResponse {
    text_response(
        StatusCode::BAD_REQUEST,
        Bytes::from(format!("bad request: {reason}\n")),
    )
}

/// `405 Method Not Allowed` with `Allow`.
pub(crate) fn method_not_allowed() -> HttpResponse {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    response
}

/// `204` answer to `OPTIONS`, listing the methods.
pub(crate) fn options() -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    response
}

/// `503` with `Retry-After` while the first index is not ready.
pub(crate) fn not_ready() -> HttpResponse {
    unavailable("indexing the seeds folder; try again shortly\n")
}

/// `503` with `Retry-After`: every render slot is busy.
pub(crate) fn busy() -> HttpResponse {
    unavailable("too many documents are being rendered; try again shortly\n")
}

fn unavailable(message: &'static str) -> HttpResponse {
    let mut response = plain(StatusCode::SERVICE_UNAVAILABLE, message);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}
