//! The request pipeline: method → route → snapshot lookup (or the page cache) → negotiation →
//! conditional → bytes.

use std::sync::Arc;

use arc_swap::ArcSwap;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, StatusCode};
use tokio::sync::Semaphore;

use super::response::{self, Delivery, HttpResponse};
use super::{conditional, encoding};
use crate::pages::{self, PageError};
use crate::snapshot::{Resource, Snapshot, SnapshotCell};

/// Path of the health check.
pub const HEALTH_PATH: &str = "/healthz";

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The documents being served.
    pub snapshot: Arc<SnapshotCell>,
    /// `Cache-Control` for documents; swapped when a reload changes `server.cache_max_age`.
    pub cache_control: ArcSwap<HeaderValue>,
    /// Article pages being rendered at once (each reads and parses a file on a blocking
    /// thread); further first requests wait for a permit.
    pub page_renders: Arc<Semaphore>,
}

/// Article pages rendered at once: enough to keep both cores busy on a burst of first
/// requests, few enough that they cannot crowd the indexer out of the blocking thread pool.
pub const MAX_PAGE_RENDERS: usize = 8;

impl AppState {
    /// State serving `snapshot` with `Cache-Control: public, max-age=<max_age>`.
    pub fn new(snapshot: Arc<SnapshotCell>, max_age: u32) -> Self {
        Self {
            snapshot,
            cache_control: ArcSwap::from_pointee(cache_control(max_age)),
            page_renders: Arc::new(Semaphore::new(MAX_PAGE_RENDERS)),
        }
    }

    /// Serves `Cache-Control: public, max-age=<max_age>` from the next request on.
    pub fn set_cache_max_age(&self, max_age: u32) {
        self.cache_control.store(Arc::new(cache_control(max_age)));
    }
}

fn cache_control(max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// Answers one request.
pub async fn handle(req: &Request<Incoming>, state: &AppState) -> HttpResponse {
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
    let resource = match snapshot.resources.get(path) {
        Some(resource) => Arc::clone(resource),
        None => match article_page(&snapshot, path, &state.page_renders).await {
            Ok(page) => page,
            Err(response) => return response,
        },
    };
    let headers = req.headers();
    let cache_control = state.cache_control.load();
    response::document(Delivery {
        resource: &resource,
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

/// An article page: from the page cache, else rendered on a blocking thread (it reads the
/// article's file).
async fn article_page(
    snapshot: &Snapshot,
    path: &str,
    renders: &Arc<Semaphore>,
) -> Result<Arc<Resource>, HttpResponse> {
    let not_found = || response::plain(StatusCode::NOT_FOUND, "not found\n");
    let Some(id) = pages::page_id(path) else {
        return Err(not_found());
    };
    let pages = Arc::clone(&snapshot.pages);
    let rendered = match pages.cached(id) {
        Ok(Some(page)) => Ok(page),
        Ok(None) => {
            // The semaphore is never closed; if it were, rendering without a permit is safe.
            let _permit = Arc::clone(renders).acquire_owned().await.ok();
            let id = id.to_string();
            tokio::task::spawn_blocking(move || pages.page(&id))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(path, error = %e, "article page rendering panicked (a seedfeed bug)");
                    Err(PageError::NotFound)
                })
        }
        Err(e) => Err(e),
    };
    rendered.map_err(|e| {
        if let PageError::Unreadable(reason) = &e {
            // The watcher will catch up with the file; any client can ask, so not a warning.
            tracing::debug!(path, reason = %reason, "article page not rendered");
        }
        not_found()
    })
}
