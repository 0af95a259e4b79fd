//! seedfeed watches a folder of plain-text articles and serves it as RSS 2.0 and Atom 1.0
//! feeds and HTML pages over HTTP.
//!
//! # Layout
//!
//! Data flows one way, one module per stage:
//!
//! 1. [`config`]: layered settings (defaults, file, environment, flags), checked at start-up.
//! 2. [`watch`]: filesystem events from `notify` into a bounded channel of path batches.
//! 3. [`article`]: one file's bytes to an article (decode, title and metadata, body, boilerplate).
//! 4. [`store`]: the index of published articles and the `redb` state database behind it.
//! 5. [`feed`]: the articles rendered to RSS, Atom and HTML, once per change.
//! 6. [`snapshot`]: rendered bytes, pre-compressed, behind an atomic swap.
//! 7. [`pages`]: article pages, rendered on first request into a bounded cache (a folder of
//!    100,000 articles would otherwise mean 100,000 pages rendered on every start).
//! 8. [`http`]: hyper handlers that only read the current snapshot and the page cache.
//! 9. [`daemon`]: the wiring of the stages, and shutdown.
//!
//! Around the daemon: [`systemd`] (readiness, watchdog, socket activation) and [`reload`]
//! (configuration reload on `SIGHUP`).
//!
//! [`export`] (`seedfeed build`) and [`inspect`] (`seedfeed inspect`) reuse the same stages;
//! [`cache`] is the bounded map behind the body and page caches.

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
pub mod pages;
pub mod reload;
pub mod snapshot;
pub mod store;
pub mod systemd;
pub mod watch;
