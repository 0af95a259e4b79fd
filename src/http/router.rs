//! The request pipeline: method → route → snapshot lookup (or the view cache, or a render on
//! a blocking thread) → negotiation → conditional → bytes, counted in the metrics.

use std::sync::Arc;
use std::time::Duration;

use super::slots::RenderSlots;
use arc_swap::ArcSwap;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, StatusCode};

use super::response::{self, Delivery, HttpResponse};
use super::{conditional, encoding, links};
use crate::config::{ServerSettings, StatusListener};
use crate::feed::filter::Filters;
use crate::feed::status::STATUS_PATH;
use crate::feed::target::{Page, Scope, Target};
use crate::metrics::Metrics;
use crate::resource::{Kind, Resource};
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::views::{self, ViewError};

/// Path of the health check.
pub(crate) const HEALTH_PATH: &str = "/healthz";

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    /// The documents being served.
    pub snapshot: Arc<SnapshotCell>,
    /// `Cache-Control` for documents; swapped when a reload changes `server.cache_max_age`.
    pub cache_control: ArcSwap<HeaderValue>,
    /// Slots for documents rendered on request.
    pub renders: RenderSlots,
    /// Requests by route and status.
    pub metrics: Arc<Metrics>,
    /// True when `/status` is served here (`server.status = "public"`).
    pub status_public: bool,
}

/// `Cache-Control` max-age of archive pages: a full archive page keeps its items while
/// articles are added after it, so caches may keep it a day (and revalidate with its `ETag`).
pub(crate) const ARCHIVE_MAX_AGE_SECS: u32 = 86_400;

impl AppState {
    /// State serving `snapshot` with `Cache-Control: public, max-age=<max_age>`.
    /// `/status` is served here with `server.status = "public"`; `server.render_slots`
    /// documents are rendered on request at once.
    pub(crate) fn new(
        snapshot: Arc<SnapshotCell>,
        server: &ServerSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            snapshot,
            cache_control: ArcSwap::from_pointee(cache_control(server.cache_max_age)),
            renders: RenderSlots::new(
                server.render_slots,
                Duration::from_millis(server.render_wait_ms),
            ),
            metrics,
            status_public: server.status == StatusListener::Public,
        }
    }

    /// Serves `Cache-Control: public, max-age=<max_age>` from the next request on.
    pub(crate) fn set_cache_max_age(&self, max_age: u32) {
        self.cache_control.store(Arc::new(cache_control(max_age)));
    }
}

fn cache_control(max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// Answers one request.
pub(crate) async fn handle(req: &Request<Incoming>, state: &AppState) -> HttpResponse {
    let (route, response) = answer(req, state).await;
    state.metrics.request(route, response.status().as_u16());
    response
}

/// Routes a request; the route's name labels the request in the metrics.
async fn answer(req: &Request<Incoming>, state: &AppState) -> (&'static str, HttpResponse) {
    if let Some(problem) = super::host::problem(req) {
        return ("other", response::bad_request(problem));
    }
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        Method::OPTIONS => return ("other", response::options()),
        _ => return ("other", response::method_not_allowed()),
    };
    let Some(snapshot) = state.snapshot.load() else {
        return ("other", response::not_ready());
    };
    let path = req.uri().path();
    if path == HEALTH_PATH {
        return ("healthz", response::plain(StatusCode::OK, "ok\n"));
    }
    let send = |resource: &Resource, link: Option<HeaderValue>, cache_control: &HeaderValue| {
        let headers = req.headers();
        response::document(Delivery {
            resource,
            gzip: encoding::accepts_gzip(headers),
            condition: conditional::evaluate(
                headers,
                &[&resource.etag, &resource.gzip_etag],
                resource.last_modified,
            ),
            head,
            cache_control,
            link,
            preview: resource.kind == Kind::XmlFeed && super::preview::wants_preview(headers),
        })
    };
    let cache_control = state.cache_control.load_full();
    if let Some(target) = Target::parse(path) {
        let route = match (&target.scope, target.page) {
            (_, Page::Archive(_)) => "archive",
            (Scope::All, Page::Current) => "feed",
            (Scope::Source(_), Page::Current) => "source_feed",
            (Scope::Tag(_), Page::Current) => "tag_feed",
        };
        let ctx = Arc::clone(snapshot.context());
        // A filter never makes a feed longer than the configured size; older items are in
        // the archive pages.
        let filters = match Filters::parse(req.uri().query().unwrap_or(""), ctx.items) {
            Ok(filters) => filters,
            Err(e) => return (route, response::bad_request(&e.0)),
        };
        let key = match filters.canonical() {
            query if query.is_empty() => path.to_string(),
            query => format!("{path}?{query}"),
        };
        let resource = match snapshot.resources.get(&key) {
            Some(resource) => Arc::clone(resource),
            None => match feed(&snapshot, &key, target.clone(), filters, &state.renders).await {
                Ok(resource) => resource,
                Err(response) => return (route, response),
            },
        };
        let archive_cache;
        let cache_control = if matches!(target.page, Page::Archive(_)) {
            archive_cache = self::cache_control(ARCHIVE_MAX_AGE_SECS);
            &archive_cache
        } else {
            &*cache_control
        };
        let link = links::feed_links(&ctx, &key);
        return (route, send(&resource, link, cache_control));
    }
    if path == STATUS_PATH && !state.status_public {
        return ("other", not_found());
    }
    if let Some(resource) = snapshot.resources.get(path) {
        let route = match path {
            "/" => "index",
            "/opml.xml" => "opml",
            STATUS_PATH => "status",
            _ => "stylesheet",
        };
        return (route, send(resource, None, &cache_control));
    }
    match article_page(&snapshot, path, &state.renders).await {
        Ok(page) => ("page", send(&page, None, &cache_control)),
        Err(response) => ("page", response),
    }
}

fn not_found() -> HttpResponse {
    response::plain(StatusCode::NOT_FOUND, "not found\n")
}

/// Runs a render on a blocking thread (it reads files), in one of the render slots.
async fn render_blocking<F>(
    renders: &RenderSlots,
    what: &str,
    render: F,
) -> Result<Arc<Resource>, ViewError>
where
    F: FnOnce() -> Result<Arc<Resource>, ViewError> + Send + 'static,
{
    let Some(_permit) = renders.acquire().await else {
        return Err(ViewError::Busy);
    };
    tokio::task::spawn_blocking(render)
        .await
        .unwrap_or_else(|e| {
            Err(ViewError::Render(crate::feed::RenderError {
                format: "document",
                message: format!("rendering {what} panicked (a seedfeed bug): {e}"),
            }))
        })
}

/// Maps a view error to its answer.
fn view_error(path: &str, e: ViewError) -> HttpResponse {
    match e {
        ViewError::NotFound => not_found(),
        ViewError::BadQuery(e) => response::bad_request(&e.0),
        ViewError::Unreadable(reason) => {
            // The indexer has been told to look at the file (`Bodies::get`); any client can
            // ask, so not a warning.
            tracing::debug!(path, reason = %reason, "document not rendered");
            not_found()
        }
        ViewError::Render(e) => {
            tracing::error!(path, error = %e, "document not rendered");
            response::plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "document could not be rendered\n",
            )
        }
        ViewError::Busy => response::busy(),
        ViewError::Incomplete => {
            tracing::debug!(
                path,
                "archive page not served: some of its files cannot be read"
            );
            response::not_ready()
        }
    }
}

/// A feed rendered on request: from the view cache, else rendered on a blocking thread.
async fn feed(
    snapshot: &Arc<Snapshot>,
    key: &str,
    target: Target,
    filters: Filters,
    renders: &RenderSlots,
) -> Result<Arc<Resource>, HttpResponse> {
    if let Some(cached) = snapshot.views.cached(key, snapshot.generation) {
        return Ok(cached);
    }
    let (snap, owned_key) = (Arc::clone(snapshot), key.to_string());
    render_blocking(renders, key, move || {
        // Another request may have rendered it since the caller looked.
        if let Some(cached) = snap.views.cached(&owned_key, snap.generation) {
            return Ok(cached);
        }
        snap.views.feed(
            &owned_key,
            &target,
            &filters,
            &snap.catalog,
            snap.generation,
        )
    })
    .await
    .map_err(|e| view_error(key, e))
}

/// An article page: from the view cache, else rendered on a blocking thread.
async fn article_page(
    snapshot: &Arc<Snapshot>,
    path: &str,
    renders: &RenderSlots,
) -> Result<Arc<Resource>, HttpResponse> {
    let Some(id) = views::page_id(path) else {
        return Err(not_found());
    };
    if !snapshot.views.is_published(id) {
        return Err(not_found());
    }
    if let Some(cached) = snapshot.views.cached(path, snapshot.generation) {
        return Ok(cached);
    }
    let (snap, owned_path) = (Arc::clone(snapshot), path.to_string());
    render_blocking(renders, path, move || {
        if let Some(cached) = snap.views.cached(&owned_path, snap.generation) {
            return Ok(cached);
        }
        snap.views
            .page(&owned_path, id, &snap.catalog, snap.generation)
    })
    .await
    .map_err(|e| view_error(path, e))
}
