//! The request pipeline: method → route → snapshot lookup → negotiation → conditional → bytes.

use arc_swap::ArcSwap;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, StatusCode};

use super::response::{self, Delivery, HttpResponse};
use super::{conditional, encoding};
use crate::snapshot::SnapshotCell;

/// Path of the health check.
pub const HEALTH_PATH: &str = "/healthz";

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The documents being served.
    pub snapshot: std::sync::Arc<SnapshotCell>,
    /// `Cache-Control` for documents; swapped when a reload changes `server.cache_max_age`.
    pub cache_control: ArcSwap<HeaderValue>,
}

impl AppState {
    /// State serving `snapshot` with `Cache-Control: public, max-age=<max_age>`.
    pub fn new(snapshot: std::sync::Arc<SnapshotCell>, max_age: u32) -> Self {
        Self {
            snapshot,
            cache_control: ArcSwap::from_pointee(cache_control(max_age)),
        }
    }

    /// Serves `Cache-Control: public, max-age=<max_age>` from the next request on.
    pub fn set_cache_max_age(&self, max_age: u32) {
        self.cache_control
            .store(std::sync::Arc::new(cache_control(max_age)));
    }
}

fn cache_control(max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// Answers one request.
pub fn handle(req: &Request<Incoming>, state: &AppState) -> HttpResponse {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        Method::OPTIONS => return response::options(),
        _ => return response::method_not_allowed(),
    };
    let Some(snapshot) = state.snapshot.load() else {
        return response::not_ready();
    };
    let path = req.uri().path();
    if path == HEALTH_PATH {
        return response::plain(StatusCode::OK, "ok\n");
    }
    let Some(resource) = snapshot.resources.get(path) else {
        return response::plain(StatusCode::NOT_FOUND, "not found\n");
    };
    let headers = req.headers();
    let cache_control = state.cache_control.load();
    response::document(Delivery {
        resource,
        gzip: encoding::accepts_gzip(headers),
        not_modified: conditional::not_modified(
            headers,
            &[&resource.etag, &resource.gzip_etag],
            resource.last_modified,
        ),
        head,
        cache_control: &cache_control,
    })
}
