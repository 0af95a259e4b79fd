//! seedfeed watches a folder of plain-text articles and serves it as RSS 2.0, Atom 1.0 and
//! JSON Feed 1.1 feeds (for the whole folder, each source folder and each tag), an OPML list,
//! and HTML pages over HTTP.
//!
//! # Layout
//!
//! Data flows one way, one module per stage; a module imports only the ones above it:
//!
//! 1. [`config`]: layered settings (defaults, file, environment, flags), parsed once into
//!    typed values and checked at start-up, each error naming its key.
//! 2. `watch`: every path that a `notify` event names (each folder watched on its own, and
//!    a folder an event names watched before it is compared), gathered into one bounded set
//!    of pending paths (with the kernel's rename pairs), and rechecks asked for by readers.
//! 3. [`article`]: one file's bytes to an article (decode; the head's lines read as title,
//!    metadata or site chrome; body, chrome removed by role; language; and a [`related`]
//!    similarity signature), its word lists data in `article/lexicon/`.
//! 4. [`model`]: the value types the later stages share (file records, published entries,
//!    feed items, source and tag counts).
//! 5. [`store`]: the index of published articles and the `redb` state database behind it;
//!    the folder walked while the database is read; files read and parsed in batches on
//!    every core while the batch before is applied;
//!    the related-stories signatures the bulk passes leave out, computed on a thread of
//!    their own once the feeds are served (`store::signing`); the time each served
//!    document's bytes last changed (`store::documents`).
//! 6. [`feed`]: the articles rendered to RSS, Atom, JSON Feed, OPML and HTML, each feed checked
//!    against its format's rules before it is used.
//! 7. `resource`: a rendered document as bytes, pre-compressed, with its validators; then
//!    [`views`], documents rendered on first request into a cache bounded by entries and bytes
//!    (article pages with related stories, per-source, per-tag, filtered and archive feeds),
//!    and `snapshot`, the documents rendered on every change behind an atomic swap (served
//!    as soon as rendered, gzipped right after).
//! 8. [`http`]: hyper handlers that only read the current snapshot and the view cache, with
//!    the feeds' browser preview and the security headers.
//! 9. `daemon` ([`run`]): the wiring of the stages, and shutdown; it tells the WebSub hub
//!    (`websub`) about changed feeds and keeps the metrics (`metrics`).
//!
//! Beside the stages: `text` (character and language-tag rules every stage shares), `cache`
//! (the map bounded by entries and bytes behind the body and view caches), `systemd`
//! (readiness, watchdog, socket activation), `reload` (configuration reload on `SIGHUP`) and
//! `memory` (freed pages given back to the system after bulk work).
//! `export` ([`build`]) and `inspect` ([`inspect_all`]) reuse the stages for `seedfeed build`
//! and `seedfeed inspect`.
//!
//! # Public API
//!
//! What the binary needs ([`run`], [`build`], [`inspect_all`], the configuration and reload
//! types), and the stages the benches, fuzz targets and property tests drive directly
//! ([`article`], [`feed`], [`model`], [`related`], and single entry points of [`store`],
//! [`views`] and [`http`]). Everything else is private to the crate.

pub mod article;
mod cache;
pub mod config;
mod daemon;
mod export;
pub mod feed;
pub mod http;
mod inspect;
mod memory;
mod metrics;
pub mod model;
pub mod related;
mod reload;
mod resource;
mod snapshot;
pub mod store;
mod systemd;
mod text;
pub mod views;
mod watch;
mod websub;

pub use daemon::run;
pub use export::{BuildReport, build};
pub use inspect::{Report, inspect_all, to_text};
pub use reload::{Loader, LogLevelSetter, Reloads, Trigger, channel as reload_channel};
pub use systemd::inherited_listener;
