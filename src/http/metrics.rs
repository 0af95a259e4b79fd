//! `/metrics` on its own listening address (`metrics.listen`): only `GET`/`HEAD` of that
//! path, and of `/status` with `server.status = "metrics"`, so the address can be kept
//! private without exposing the feeds twice.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

use super::response::{self, HttpResponse};
use crate::feed::status::STATUS_PATH;
use crate::metrics::{METRICS_CONTENT_TYPE, METRICS_PATH, Metrics};
use crate::snapshot::SnapshotCell;

/// Serves `metrics` on `listener` until `shutdown` completes, and the status document of
/// `status` when given.
pub(crate) async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    status: Option<Arc<SnapshotCell>>,
    shutdown: impl Future<Output = ()>,
) {
    let handler = move |req: Request<Incoming>| {
        let answer = answer(&req, &metrics, status.as_deref());
        async move { answer }
    };
    super::serve_with(listener, handler, shutdown).await;
}

fn answer(
    req: &Request<Incoming>,
    metrics: &Metrics,
    status: Option<&SnapshotCell>,
) -> HttpResponse {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return response::method_not_allowed(),
    };
    let (content_type, body) = match (req.uri().path(), status) {
        (METRICS_PATH, _) => (
            HeaderValue::from_static(METRICS_CONTENT_TYPE),
            Bytes::from(metrics.render()),
        ),
        (STATUS_PATH, Some(cell)) => {
            let Some(snapshot) = cell.load() else {
                return response::not_ready();
            };
            match snapshot.resources.get(STATUS_PATH) {
                Some(status) => (status.content_type.clone(), status.body.clone()),
                None => return response::not_ready(),
            }
        }
        _ => {
            return response::plain(
                StatusCode::NOT_FOUND,
                "not found; metrics are at /metrics\n",
            );
        }
    };
    let body = if head { Bytes::new() } else { body };
    let mut response = Response::new(Full::new(body));
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}
