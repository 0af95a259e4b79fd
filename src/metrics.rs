//! Counters and gauges (`prometheus-client`) in the Prometheus text format (version 0.0.4),
//! served at `/metrics` on their own address (`metrics.listen`) so that they can stay private
//! while the feeds are public.
//!
//! Every label set is bounded: routes are a fixed list, statuses are HTTP codes, skip reasons
//! are [`crate::article::SkipReason::label`]s.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, prometheus_text,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::websub::Pinger;

/// Path of the metrics document.
pub(crate) const METRICS_PATH: &str = "/metrics";
/// `Content-Type` of the metrics document.
pub(crate) const METRICS_CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Labels of `seedfeed_skipped_files`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SkipLabels {
    reason: &'static str,
}

/// Labels of `seedfeed_http_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
}

/// Everything counted, shared by the indexer and the HTTP handlers, in a `prometheus-client`
/// registry (names prefixed `seedfeed_`; counters end in `_total`).
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    articles: Gauge,
    skipped: Family<SkipLabels, Gauge>,
    /// The skip reasons `skipped` has a gauge for, so that a reason gone is removed alone.
    skip_reasons: std::sync::Mutex<Vec<&'static str>>,
    renders: Counter,
    render_failures: Counter,
    render_seconds: Counter<f64, AtomicU64>,
    watcher_paths: Counter,
    rescans: Counter,
    requests: Family<RequestLabels, Counter>,
    /// The WebSub pinger, whose own counters are read when metrics are served.
    pinger: Arc<OnceLock<Pinger>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix("seedfeed"),
            articles: Gauge::default(),
            skipped: Family::default(),
            skip_reasons: std::sync::Mutex::default(),
            renders: Counter::default(),
            render_failures: Counter::default(),
            render_seconds: Counter::default(),
            watcher_paths: Counter::default(),
            rescans: Counter::default(),
            requests: Family::default(),
            pinger: Arc::default(),
        };
        // The registry's help texts get their final period from the registry.
        metrics
            .registry
            .register("articles", "Published articles", metrics.articles.clone());
        metrics.registry.register(
            "skipped_files",
            "Files not published, by reason",
            metrics.skipped.clone(),
        );
        metrics.registry.register(
            "renders",
            "Renders of the feeds published",
            metrics.renders.clone(),
        );
        metrics.registry.register(
            "render_failures",
            "Renders that failed or broke their format's rules; the last good feeds stayed",
            metrics.render_failures.clone(),
        );
        metrics.registry.register(
            "render_seconds",
            "Time spent rendering the feeds",
            metrics.render_seconds.clone(),
        );
        metrics.registry.register(
            "watcher_events",
            "File paths reported changed by the watcher",
            metrics.watcher_paths.clone(),
        );
        metrics.registry.register(
            "rescans",
            "Whole-folder comparisons after start-up (periodic, after watcher trouble)",
            metrics.rescans.clone(),
        );
        metrics.registry.register(
            "http_requests",
            "Requests answered, by route and status",
            metrics.requests.clone(),
        );
        let pinger = PingerCounts(Arc::clone(&metrics.pinger));
        metrics.registry.register_collector(Box::new(pinger));
        metrics
    }
}

impl Metrics {
    /// Records what a snapshot publishes: articles, and skipped files by reason.
    pub(crate) fn published(&self, articles: usize, skipped: BTreeMap<&'static str, u64>) {
        self.articles
            .set(i64::try_from(articles).unwrap_or(i64::MAX));
        // Each gauge is set in place and only reasons gone are removed: clearing the family
        // first let a scrape in between see no skipped files at all.
        let mut shown = self
            .skip_reasons
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for reason in shown.iter().filter(|r| !skipped.contains_key(*r)) {
            self.skipped.remove(&SkipLabels { reason });
        }
        for (reason, files) in &skipped {
            self.skipped
                .get_or_create(&SkipLabels { reason })
                .set(i64::try_from(*files).unwrap_or(i64::MAX));
        }
        *shown = skipped.into_keys().collect();
    }

    /// Records one render of the feeds and the time it took.
    pub(crate) fn rendered(&self, took: Duration) {
        self.renders.inc();
        self.render_seconds.inc_by(took.as_secs_f64());
    }

    /// Records a render that failed or broke its format's rules (the last good one stayed).
    pub(crate) fn render_failed(&self) {
        self.render_failures.inc();
    }

    /// Records paths reported by the watcher.
    pub(crate) fn watcher_paths(&self, paths: usize) {
        self.watcher_paths.inc_by(paths as u64);
    }

    /// Records a whole-folder comparison.
    pub(crate) fn rescan(&self) {
        self.rescans.inc();
    }

    /// Records an answered request.
    pub(crate) fn request(&self, route: &'static str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
    }

    /// Reports the WebSub pinger's counters from now on (the first pinger set wins).
    pub(crate) fn watch_pinger(&self, pinger: Pinger) {
        let _ = self.pinger.set(pinger);
    }

    /// The metrics document, in the Prometheus text format (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        // Writing to a `String` cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The WebSub pinger's own counters (zero without a hub), read at each scrape.
#[derive(Debug)]
struct PingerCounts(Arc<OnceLock<Pinger>>);

impl Collector for PingerCounts {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.0.get().map(Pinger::stats).unwrap_or_default();
        for (name, help, value) in [
            ("websub_pings", "Hub notifications delivered.", stats.sent),
            (
                "websub_ping_failures",
                "Hub notifications given up after retries.",
                stats.failed,
            ),
            (
                "websub_dropped_topics",
                "Changed feeds not notified because the queue was full.",
                stats.dropped,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_reason_gone_leaves_and_the_others_stay() {
        let m = Metrics::default();
        m.published(3, BTreeMap::from([("binary", 2), ("empty", 1)]));
        m.published(3, BTreeMap::from([("empty", 4)]));
        let text = m.render();
        assert!(
            text.lines()
                .any(|l| l == "seedfeed_skipped_files{reason=\"empty\"} 4"),
            "{text}"
        );
        assert!(!text.contains("reason=\"binary\""), "{text}");
    }

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
            "seedfeed_http_requests_total{route=\"feed\",status=\"200\"} 2",
            "seedfeed_http_requests_total{route=\"page\",status=\"404\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        let seconds: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("seedfeed_render_seconds_total "))
            .and_then(|v| v.parse().ok())
            .expect("render seconds");
        assert!((seconds - 1.50025).abs() < 1e-9, "{seconds}");
        for counter in [
            "websub_pings",
            "websub_ping_failures",
            "websub_dropped_topics",
        ] {
            let line = format!("seedfeed_{counter}_total 0");
            assert!(text.lines().any(|l| l == line), "{line} missing");
        }
    }
}
