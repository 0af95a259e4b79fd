//! `/metrics` on its own listening address (`metrics.listen`): only `GET`/`HEAD` of that one
//! path, so the address can be kept private without exposing the feeds twice.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

use super::response::{self, HttpResponse};
use crate::metrics::{METRICS_CONTENT_TYPE, METRICS_PATH, Metrics};

/// Serves `metrics` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let handler = move |req: Request<Incoming>| {
        let answer = answer(&req, &metrics);
        async move { answer }
    };
    super::serve_with(listener, handler, shutdown).await;
}

fn answer(req: &Request<Incoming>, metrics: &Metrics) -> HttpResponse {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return response::method_not_allowed(),
    };
    if req.uri().path() != METRICS_PATH {
        return response::plain(
            StatusCode::NOT_FOUND,
            "not found; metrics are at /metrics\n",
        );
    }
    let text = metrics.render();
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(text)
    };
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE));
    response
}
