//! Counters and gauges in the Prometheus text format (version 0.0.4), served at `/metrics` on
//! their own address (`metrics.listen`) so that they can stay private while the feeds are
//! public.
//!
//! Every label set is bounded: routes are a fixed list, statuses are HTTP codes, skip reasons
//! are [`crate::article::SkipReason::label`]s.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::websub::Pinger;

/// Path of the metrics document.
pub(crate) const METRICS_PATH: &str = "/metrics";
/// `Content-Type` of the metrics document.
pub(crate) const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Everything counted, shared by the indexer and the HTTP handlers.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    articles: AtomicU64,
    skipped: Mutex<BTreeMap<&'static str, u64>>,
    renders: AtomicU64,
    render_failures: AtomicU64,
    render_micros: AtomicU64,
    watcher_paths: AtomicU64,
    rescans: AtomicU64,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// The WebSub pinger, whose own counters are read when metrics are served.
    pinger: OnceLock<Pinger>,
}

impl Metrics {
    /// Records what a snapshot publishes: articles, and skipped files by reason.
    pub(crate) fn published(&self, articles: usize, skipped: BTreeMap<&'static str, u64>) {
        self.articles.store(articles as u64, Relaxed);
        *lock(&self.skipped) = skipped;
    }

    /// Records one render of the feeds and the time it took.
    pub(crate) fn rendered(&self, took: Duration) {
        self.renders.fetch_add(1, Relaxed);
        self.render_micros
            .fetch_add(took.as_micros().try_into().unwrap_or(u64::MAX), Relaxed);
    }

    /// Records a render that failed or broke its format's rules (the last good one stayed).
    pub(crate) fn render_failed(&self) {
        self.render_failures.fetch_add(1, Relaxed);
    }

    /// Records paths reported by the watcher.
    pub(crate) fn watcher_paths(&self, paths: usize) {
        self.watcher_paths.fetch_add(paths as u64, Relaxed);
    }

    /// Records a whole-folder comparison.
    pub(crate) fn rescan(&self) {
        self.rescans.fetch_add(1, Relaxed);
    }

    /// Records an answered request.
    pub(crate) fn request(&self, route: &'static str, status: u16) {
        *lock(&self.requests).entry((route, status)).or_insert(0) += 1;
    }

    /// Reports the WebSub pinger's counters from now on (the first pinger set wins).
    pub(crate) fn watch_pinger(&self, pinger: Pinger) {
        let _ = self.pinger.set(pinger);
    }

    /// The metrics document.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let stats = self.pinger.get().map(Pinger::stats).unwrap_or_default();
        let skipped: Vec<_> = lock(&self.skipped)
            .iter()
            .map(|(reason, n)| (format!("{{reason=\"{reason}\"}}"), *n))
            .collect();
        let requests: Vec<_> = lock(&self.requests)
            .iter()
            .map(|((route, status), n)| (format!("{{route=\"{route}\",status=\"{status}\"}}"), *n))
            .collect();
        let plain = |value: u64| vec![(String::new(), value)];
        let load = |counter: &AtomicU64| plain(counter.load(Relaxed));
        let families: [Family; 10] = [
            (
                "articles",
                "gauge",
                "Published articles.",
                load(&self.articles),
            ),
            (
                "skipped_files",
                "gauge",
                "Files not published, by reason.",
                skipped,
            ),
            (
                "renders_total",
                "counter",
                "Renders of the feeds published.",
                load(&self.renders),
            ),
            (
                "render_failures_total",
                "counter",
                "Renders that failed or broke their format's rules; the last good feeds stayed.",
                load(&self.render_failures),
            ),
            (
                "watcher_events_total",
                "counter",
                "File paths reported changed by the watcher.",
                load(&self.watcher_paths),
            ),
            (
                "rescans_total",
                "counter",
                "Whole-folder comparisons after start-up (periodic, after watcher trouble).",
                load(&self.rescans),
            ),
            (
                "http_requests_total",
                "counter",
                "Requests answered, by route and status.",
                requests,
            ),
            (
                "websub_pings_total",
                "counter",
                "Hub notifications delivered.",
                plain(stats.sent),
            ),
            (
                "websub_ping_failures_total",
                "counter",
                "Hub notifications given up after retries.",
                plain(stats.failed),
            ),
            (
                "websub_dropped_topics_total",
                "counter",
                "Changed feeds not notified because the queue was full.",
                plain(stats.dropped),
            ),
        ];
        for (name, kind, help, samples) in &families {
            metric(&mut out, name, kind, help, samples);
        }
        // Seconds with microsecond precision: not a whole count, so written apart.
        let micros = self.render_micros.load(Relaxed);
        let _ = writeln!(
            out,
            "# HELP seedfeed_render_seconds_total Time spent rendering the feeds.\n\
             # TYPE seedfeed_render_seconds_total counter\n\
             seedfeed_render_seconds_total {}.{:06}",
            micros / 1_000_000,
            micros % 1_000_000
        );
        out
    }
}

/// One metric family: name (after `seedfeed_`), type, help, and samples (labels, value).
type Family<'a> = (&'a str, &'a str, &'a str, Vec<(String, u64)>);

/// Writes one metric family: its help, its type and its samples.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(
        out,
        "# HELP seedfeed_{name} {help}\n# TYPE seedfeed_{name} {kind}"
    );
    for (labels, value) in samples {
        let _ = writeln!(out, "seedfeed_{name}{labels} {value}");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_format() {
        let m = Metrics::default();
        m.published(3, BTreeMap::from([("binary", 2)]));
        m.rendered(Duration::from_micros(1_500_250));
        m.render_failed();
        m.request("feed", 200);
        m.request("feed", 200);
        m.request("page", 404);
        let text = m.render();
        for line in [
            "seedfeed_articles 3",
            "seedfeed_skipped_files{reason=\"binary\"} 2",
            "seedfeed_renders_total 1",
            "seedfeed_render_failures_total 1",
            "seedfeed_render_seconds_total 1.500250",
            "seedfeed_http_requests_total{route=\"feed\",status=\"200\"} 2",
            "seedfeed_http_requests_total{route=\"page\",status=\"404\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
