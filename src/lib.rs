//! seedfeed watches a folder of plain-text articles and serves it as RSS 2.0, Atom 1.0 and
//! JSON Feed 1.1 feeds (for the whole folder, each source folder and each tag), an OPML list,
//! and HTML pages over HTTP.
//!
//! # Layout
//!
//! Data flows one way, one module per stage:
//!
//! 1. [`config`]: layered settings (defaults, file, environment, flags), checked at start-up.
//! 2. [`watch`]: every path that a `notify` event names, gathered into one bounded set of
//!    pending paths (with the kernel's rename pairs), and rechecks asked for by readers.
//! 3. [`article`]: one file's bytes to an article (decode, title and metadata, body, boilerplate,
//!    and a [`related`] similarity signature).
//! 4. [`store`]: the index of published articles and the `redb` state database behind it.
//! 5. [`feed`]: the articles rendered to RSS, Atom, JSON Feed, OPML and HTML, each feed checked
//!    against its format's rules before it is used.
//! 6. [`snapshot`]: rendered bytes, pre-compressed, behind an atomic swap.
//! 7. [`views`]: documents rendered on first request into a cache bounded by entries and bytes:
//!    article pages (with related stories), per-source, per-tag, filtered and archive feeds.
//! 8. [`http`]: hyper handlers that only read the current snapshot and the view cache.
//! 9. [`daemon`]: the wiring of the stages, and shutdown; it tells the [`websub`] hub about
//!    changed feeds and keeps [`metrics`].
//!
//! Around the daemon: [`systemd`] (readiness, watchdog, socket activation) and [`reload`]
//! (configuration reload on `SIGHUP`).
//!
//! [`export`] (`seedfeed build`) and [`inspect`] (`seedfeed inspect`) reuse the same stages;
//! [`cache`] is the map bounded by entries and bytes behind the body and view caches.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod article;
pub mod cache;
pub mod config;
pub mod daemon;
pub mod export;
pub mod feed;
pub mod http;
pub mod inspect;
pub mod metrics;
pub mod related;
pub mod reload;
pub mod snapshot;
pub mod store;
pub mod systemd;
pub mod views;
pub mod watch;
pub mod websub;
