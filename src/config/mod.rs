//! Settings: built-in defaults < config file < `SEEDFEED__SECTION__KEY` environment < CLI flags.
//!
//! Every key is documented in `config/default.toml`. Loading is strict: an unknown key or a
//! value that does not fit fails start-up with an error naming the key.

mod load;
mod validate;
mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

pub use load::Overrides;

/// Prefix of the environment variables that override settings (`SEEDFEED__FEED__TITLE`).
pub(crate) const ENV_PREFIX: &str = "SEEDFEED";
/// Separator between prefix, section and key in environment variable names.
pub(crate) const ENV_SEPARATOR: &str = "__";
/// The configuration file read when no `--config` is given (optional: absent means defaults).
pub(crate) const DEFAULT_CONFIG_PATH: &str = "config/default.toml";
/// Set by systemd to the unit's `StateDirectory=`; the `state.dir` when no layer sets one.
pub(crate) const STATE_DIRECTORY_ENV: &str = "STATE_DIRECTORY";
/// Largest accepted `feed.items`: a feed reader has no use for more, and each item costs render time.
pub(crate) const MAX_FEED_ITEMS: usize = 10_000;
/// Largest accepted `watch.debounce_ms`: beyond a minute the feed no longer follows the folder.
pub(crate) const MAX_DEBOUNCE_MS: u64 = 60_000;
/// Smallest accepted `watch.debounce_ms`: below it a burst of events is indexed in many small
/// rounds, each rendering the feeds again.
pub(crate) const MIN_DEBOUNCE_MS: u64 = 10;
/// Largest accepted `seeds.max_file_bytes`: each article is read whole into memory.
pub(crate) const MAX_FILE_BYTES_LIMIT: u64 = 1 << 30;
/// Longest `watch.reconcile_secs`: a day.
pub(crate) const MAX_RECONCILE_SECS: u64 = 86_400;
/// Longest `watch.rename_window_ms`: an hour.
pub(crate) const MAX_RENAME_WINDOW_MS: u64 = 3_600_000;

/// A setting that is present but unusable. Always names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `config` crate could not read or deserialize a source (its message names the key).
    #[error("configuration")]
    Load(#[from] config::ConfigError),
    /// A value deserialized but is out of range or malformed.
    #[error("configuration key `{key}`: {reason}")]
    Invalid {
        /// Dotted key, e.g. `server.base_url`.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
}

/// The effective configuration of one seedfeed process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the articles are and which files count.
    pub seeds: SeedsSettings,
    /// The HTTP endpoint.
    pub server: ServerSettings,
    /// Feed metadata and size.
    pub feed: FeedSettings,
    /// Reading dates.
    pub dates: DateSettings,
    /// Site chrome to strip.
    pub boilerplate: BoilerplateSettings,
    /// Filesystem watching.
    pub watch: WatchSettings,
    /// Persistent state.
    pub state: StateSettings,
    /// Logging.
    pub log: LogSettings,
    /// Per-source feeds.
    pub sources: SourcesSettings,
    /// WebSub hub.
    pub websub: WebSubSettings,
    /// Related stories.
    pub related: RelatedSettings,
    /// Prometheus metrics.
    pub metrics: MetricsSettings,
}

/// `[sources]`: each top-level subfolder of the seeds folder is a source with its own feeds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesSettings {
    /// Feed titles by subfolder name; a source without one is titled "<feed.title>: <name>".
    pub titles: BTreeMap<String, String>,
}

/// `[websub]`: the hub feeds advertise and seedfeed notifies of changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSubSettings {
    /// The hub's URL (`http://` only); written `""` for none.
    #[serde(with = "values::hub_url")]
    pub hub: Option<hyper::Uri>,
}

/// `[related]`: linking articles about the same story.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelatedSettings {
    /// Estimated word-set similarity (0 to 1) at or above which two articles are related;
    /// 0 turns related links off.
    pub threshold: f64,
    /// Most related articles listed on one page.
    pub max_links: usize,
}

impl Default for RelatedSettings {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_RELATED_THRESHOLD,
            max_links: DEFAULT_RELATED_LINKS,
        }
    }
}

/// Related articles listed on a page unless `related.max_links` says otherwise.
pub(crate) const DEFAULT_RELATED_LINKS: usize = 5;
/// Highest `related.max_links`.
pub(crate) const MAX_RELATED_LINKS: usize = 50;

/// `[metrics]`: Prometheus metrics on their own address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Address and port of `/metrics`; written `""` (the default) to serve no metrics.
    #[serde(with = "values::optional_address")]
    pub listen: Option<SocketAddr>,
}

/// Default `related.threshold`: articles whose similarity is at or above it are linked as
/// related stories.
pub(crate) const DEFAULT_RELATED_THRESHOLD: f64 = 0.15;

/// `[seeds]`: the watched folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeedsSettings {
    /// The folder of articles (relative paths are relative to the working directory).
    pub dir: PathBuf,
    /// File extensions (without dot, case-insensitive) that are articles; `md` and `markdown`
    /// are read as Markdown, every other one as plain text.
    pub extensions: Vec<String>,
    /// Glob patterns matched against each path component; a match is never published.
    pub ignore: Vec<String>,
    /// Files larger than this many bytes are skipped with a reason.
    pub max_file_bytes: u64,
    /// Publish files with byte-identical content once (the first seen), not once per name.
    pub fold_duplicates: bool,
    /// Follow symbolic links that point inside the seeds folder (never outside it).
    pub follow_symlinks: bool,
}

impl SeedsSettings {
    /// The compiled `seeds.ignore` patterns.
    pub(crate) fn ignore_set(&self) -> Result<GlobSet, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &self.ignore {
            builder.add(Glob::new(pattern)?);
        }
        builder.build()
    }
}

impl Default for SeedsSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("seeds"),
            extensions: vec!["txt".into(), "md".into()],
            ignore: [
                ".*",
                "*~",
                "#*#",
                "~$*",
                "4913",
                "*.tmp",
                "*.part",
                "*.crdownload",
                "*.swp",
                "*.swx",
            ]
            .map(String::from)
            .to_vec(),
            max_file_bytes: 4 * 1024 * 1024,
            fold_duplicates: true,
            follow_symlinks: false,
        }
    }
}

/// `[server]`: the HTTP endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Public base URL used in absolute links; empty means `http://` + the listening address.
    pub base_url: String,
    /// `Cache-Control: max-age` in seconds for feeds and pages.
    pub cache_max_age: u32,
    /// Where `/status` (which names skipped files, drafts included) is served.
    pub status: StatusListener,
    /// Documents rendered on request at once (searches, filtered feeds, archive and article
    /// pages): each reads and parses files on a blocking thread.
    pub render_slots: usize,
    /// Longest a request waits for a render slot before it gets `503` with `Retry-After`.
    pub render_wait_ms: u64,
}

/// Most render slots `server.render_slots` may ask for: each can hold a blocking thread.
pub(crate) const MAX_RENDER_SLOTS: usize = 256;

/// Longest `server.render_wait_ms`: a client kept waiting longer is better told to retry.
pub(crate) const MAX_RENDER_WAIT_MS: u64 = 60_000;

/// Where `/status` is served (`server.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusListener {
    /// With the feeds, on `server.listen`.
    #[default]
    Public,
    /// Only on `metrics.listen`, for deployments that keep file names private.
    Metrics,
    /// Nowhere (`seedfeed inspect` and the log still say why a file is left out).
    Off,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: String::new(),
            cache_max_age: 60,
            status: StatusListener::Public,
            render_slots: 8,
            render_wait_ms: 2_000,
        }
    }
}

/// Default `feed.detect_languages`: the languages most news is written in. The list keeps
/// articles from being guessed as a rarer language close to theirs, rather than saving time:
/// the Latin-script languages are scored together, and the script narrows the others down.
pub(crate) const DEFAULT_DETECT_LANGUAGES: &[&str] = &[
    "en", "fr", "de", "es", "it", "pt", "nl", "ca", "sv", "da", "nb", "fi", "pl", "cs", "ro", "hu",
    "tr", "id", "vi", "ru", "uk", "bg", "sr", "el", "he", "ar", "fa", "ur", "hi", "bn", "ta", "th",
    "zh", "ja", "ko",
];

/// `[feed]`: what the feeds say about themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSettings {
    /// Feed title.
    pub title: String,
    /// Feed description (RSS `description`, Atom `subtitle`).
    pub description: String,
    /// Language of the feed, and of any article whose language cannot be detected.
    pub language: String,
    /// Languages (BCP 47 tags) an article may be detected as; empty for every language the
    /// detector knows.
    pub detect_languages: Vec<String>,
    /// Author of articles that name none.
    pub author: String,
    /// How many articles a feed holds, newest first.
    pub items: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            title: "seedfeed".into(),
            description: "Articles from the seeds folder".into(),
            language: "en".into(),
            detect_languages: DEFAULT_DETECT_LANGUAGES
                .iter()
                .map(|t| t.to_string())
                .collect(),
            author: "seedfeed".into(),
            items: 50,
        }
    }
}

/// `[dates]`: how dates without a zone, a time or an unambiguous day order are read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DateSettings {
    /// IANA time zone (`Europe/Paris`) of dates and times that state none.
    pub timezone: chrono_tz::Tz,
    /// Time of day (`HH:MM`) given to a date without one.
    #[serde(with = "values::hh_mm")]
    pub default_time: chrono::NaiveTime,
    /// Read `03/04/2025` as 3 April (true) or March 4 (false).
    pub day_first: bool,
    /// Languages (BCP 47 primary tags) whose slashed dates are month first whatever
    /// `day_first` says.
    pub month_first_languages: Vec<String>,
}

impl Default for DateSettings {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::Tz::UTC,
            default_time: chrono::NaiveTime::MIN,
            day_first: true,
            month_first_languages: vec!["en".into()],
        }
    }
}

/// `[boilerplate]`: site chrome stripped from the start and end of plain-text articles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoilerplateSettings {
    /// Lines that are chrome on their own (case-insensitive, trailing `:` `›` `»` ignored).
    pub lines: Vec<String>,
    /// Line beginnings that mark chrome.
    pub prefixes: Vec<String>,
    /// Phrases that mark a short line as chrome.
    pub phrases: Vec<String>,
    /// More markers for articles in one language, keyed by BCP 47 primary tag (`de`).
    pub languages: BTreeMap<String, LanguageMarkers>,
}

/// `[boilerplate.languages.TAG]`: markers added for articles detected in that language.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageMarkers {
    /// Lines that are chrome on their own.
    pub lines: Vec<String>,
    /// Line beginnings that mark chrome.
    pub prefixes: Vec<String>,
    /// Phrases that mark a short line as chrome.
    pub phrases: Vec<String>,
}

/// The bundled `config/default.toml`: the marker lists are data, kept in that one file.
const BUNDLED_DEFAULTS: &str = include_str!("../../config/default.toml");

impl Default for BoilerplateSettings {
    /// The `[boilerplate]` lists of the bundled `config/default.toml`. That file is checked to
    /// load by `bundled_default_toml_loads_and_matches_builtin_defaults`, so the empty lists
    /// of a broken file never ship.
    fn default() -> Self {
        #[derive(Deserialize)]
        struct Lists {
            lines: Vec<String>,
            prefixes: Vec<String>,
            phrases: Vec<String>,
            languages: BTreeMap<String, LanguageMarkers>,
        }
        #[derive(Deserialize)]
        struct Bundled {
            boilerplate: Lists,
        }
        toml::from_str::<Bundled>(BUNDLED_DEFAULTS)
            .ok()
            .map(|b| Self {
                lines: b.boilerplate.lines,
                prefixes: b.boilerplate.prefixes,
                phrases: b.boilerplate.phrases,
                languages: b.boilerplate.languages,
            })
            .unwrap_or_else(|| Self {
                lines: Vec::new(),
                prefixes: Vec::new(),
                phrases: Vec::new(),
                languages: BTreeMap::new(),
            })
    }
}

/// `[watch]`: how filesystem changes are picked up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Milliseconds the paths of a burst of events are gathered, from the first one, before
    /// they are indexed together; a file closed after writing makes the round due at once.
    pub debounce_ms: u64,
    /// A file removed and the same content added (under any name) within this many
    /// milliseconds is one article that moved: it keeps its id and dates. 0 disables.
    pub rename_window_ms: u64,
    /// `native` (inotify) or `poll` (for network file systems).
    pub mode: WatchMode,
    /// How often the `poll` mode looks at the folder, in milliseconds.
    pub poll_interval_ms: u64,
    /// A file written to and not closed is read after this many quiet milliseconds.
    pub write_settle_ms: u64,
    /// Seconds between safety-net reconciles of the whole folder; 0 disables them.
    pub reconcile_secs: u64,
}

/// `watch.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// The kernel's file notifications (inotify).
    Native,
    /// Compare the folder with what it was every `poll_interval_ms`.
    Poll,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            debounce_ms: 50,
            rename_window_ms: 5_000,
            mode: WatchMode::Native,
            poll_interval_ms: 1_000,
            write_settle_ms: 2_000,
            reconcile_secs: 300,
        }
    }
}

/// `[state]`: where the state database lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    /// Directory of the state database (first-seen times, ids, content hashes).
    pub dir: PathBuf,
}

impl Default for StateSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("state"),
        }
    }
}

/// `[log]`: logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A `tracing` filter: a level (`info`) or directives (`info,seedfeed::watch=debug`).
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
        }
    }
}

impl Settings {
    /// The public base URL without a trailing slash: `server.base_url`, or derived from the
    /// address actually listened on (an unspecified address becomes loopback).
    pub(crate) fn public_base_url(&self, bound: SocketAddr) -> String {
        if !self.server.base_url.is_empty() {
            return self.server.base_url.trim_end_matches('/').to_string();
        }
        let mut addr = bound;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("http://{addr}")
    }

    /// The effective configuration as TOML, for `seedfeed config`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print: {e}\n"))
    }
}
