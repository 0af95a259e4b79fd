//! The per-change and per-request hot paths, as pure functions:
//!
//! - `index_change/N`: one article changing in an index of N articles (insert in feed order,
//!   take the feed's 50 newest, remove), at N = 1,000, 10,000 and 100,000: it must stay flat
//!   (O(log n)), not grow with N.
//! - `render/feeds_and_index`: RSS + Atom of 50 items with bodies and an index of 1,000
//!   entries, as rendered on every change.
//! - `conditional/*`: validating a request against a document's ETags and Last-Modified.
//!
//! `cargo bench --bench render`

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hyper::header::{HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH};
use seedfeed::article::{self, ArticleMeta, DateSource, Markup, ParseOptions};
use seedfeed::config::Settings;
use seedfeed::feed::{self, FeedContext};
use seedfeed::http::conditional;
use seedfeed::model::{Entry, FileRecord, article_id};
use seedfeed::store::index::Index;

fn entry(i: usize, meta: &Arc<ArticleMeta>) -> Entry {
    let key = format!("{:04}/{i:06}.txt", i / 100);
    let mut meta = ArticleMeta::clone(meta);
    let day = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    meta.date = Some((
        day + chrono::Duration::minutes(i as i64),
        DateSource::Metadata,
    ));
    Entry {
        record: FileRecord {
            id: article_id(&key),
            first_seen_ms: 1_700_000_000_000,
            changed_ms: None,
            hash: Some(i as u64),
            size: 3000,
            mtime_ns: 0,
            racily_clean: false,
        },
        key,
        meta: Arc::new(meta),
    }
}

fn sample() -> article::ParsedArticle {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/004_69041eb86f7197d0.txt"
    ))
    .expect("bundled seed");
    article::parse(&bytes, Markup::Text, &ParseOptions::default()).expect("parses")
}

fn index_change(c: &mut Criterion) {
    let meta = Arc::new(sample().meta);
    let mut group = c.benchmark_group("index_change");
    for n in [1_000usize, 10_000, 100_000] {
        let mut index = Index::new(true);
        for i in 0..n {
            index.insert(entry(i, &meta));
        }
        let changed = entry(n + 1, &meta);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                index.insert(changed.clone());
                black_box(index.newest().take(50).count());
                index.remove(&changed.key);
            })
        });
    }
    group.finish();
}

/// The one O(n) step of a change: the catalog of published entries that documents rendered on
/// request are rendered from (a pointer copy per entry).
fn catalog(c: &mut Criterion) {
    let meta = Arc::new(sample().meta);
    let mut group = c.benchmark_group("catalog");
    for n in [1_000usize, 10_000, 100_000] {
        let mut index = Index::new(true);
        for i in 0..n {
            index.insert(entry(i, &meta));
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(index.newest().cloned().collect::<Vec<_>>()))
        });
    }
    group.finish();
}

/// One similarity estimate; a page's related links cost one per published article.
fn related_similarity(c: &mut Criterion) {
    let a = sample()
        .meta
        .signature
        .get()
        .cloned()
        .expect("the sample has a signature");
    let mut other = a.clone();
    other.0.reverse();
    c.bench_function("related/similarity", |b| {
        b.iter(|| seedfeed::related::similarity(black_box(&a), black_box(&other)))
    });
}

fn render(c: &mut Criterion) {
    let parsed = Arc::new(sample());
    let meta = Arc::new(parsed.meta.clone());
    let entries: Vec<Arc<Entry>> = (0..1000).map(|i| Arc::new(entry(i, &meta))).collect();
    let items: Vec<seedfeed::model::FeedItem> = entries
        .iter()
        .take(50)
        .map(|e| (Arc::clone(e), Arc::clone(&parsed)))
        .collect();
    let newest: Vec<&Entry> = entries.iter().map(|e| &**e).collect();
    let ctx = FeedContext::new(&Settings::default(), "http://127.0.0.1:8080".into());
    c.bench_function("render/feeds_and_index", |b| {
        b.iter(|| {
            feed::render(
                black_box(&items),
                &newest,
                100_000,
                &seedfeed::model::Facets::default(),
                &ctx,
            )
            .expect("renders")
        })
    });
}

fn conditional_get(c: &mut Criterion) {
    let etag = HeaderValue::from_static("\"0123456789abcdef\"");
    let gzip_etag = HeaderValue::from_static("\"0123456789abcdef-gz\"");
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let mut inm = HeaderMap::new();
    inm.insert(
        IF_NONE_MATCH,
        HeaderValue::from_static("\"0123456789abcdef-gz\""),
    );
    let mut ims = HeaderMap::new();
    ims.insert(
        IF_MODIFIED_SINCE,
        HeaderValue::from_static("Sun, 15 Jun 2025 15:06:40 GMT"),
    );
    let mut group = c.benchmark_group("conditional");
    for (name, headers) in [("if_none_match", &inm), ("if_modified_since", &ims)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                assert_eq!(
                    conditional::evaluate(black_box(headers), &[&etag, &gzip_etag], modified),
                    conditional::Condition::NotModified
                )
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    index_change,
    catalog,
    related_similarity,
    render,
    conditional_get
);
criterion_main!(benches);
