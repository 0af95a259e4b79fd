//! Settings: built-in defaults < config file < `SEEDFEED__SECTION__KEY` environment < CLI flags.
//!
//! Every key is documented in `config/default.toml`. Loading is strict: an unknown key or a
//! value that does not fit fails start-up with an error naming the key.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::text::{is_language_tag, is_xml_unsafe};

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
    /// The hub's URL (`http://` only); empty for none.
    pub hub: String,
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
    /// Address and port of `/metrics`; empty (the default) serves no metrics.
    pub listen: String,
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

impl Default for SeedsSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("seeds"),
            extensions: vec!["txt".into(), "md".into()],
            ignore: [
                ".*",
                "*~",
                "#*#",
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

/// Default `feed.detect_languages`: the languages most news is written in. Each language of
/// the Latin script costs the detector about 2 µs per article (it compares a trigram profile
/// per candidate), and detection was half of the parse time with all 69 it knows; languages
/// of other scripts cost almost nothing, the script narrowing them down first.
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
    #[serde(with = "hh_mm")]
    pub default_time: chrono::NaiveTime,
    /// Read `03/04/2025` as 3 April (true) or March 4 (false).
    pub day_first: bool,
    /// Languages (BCP 47 primary tags) whose slashed dates are month first whatever
    /// `day_first` says.
    pub month_first_languages: Vec<String>,
}

/// Times of day in settings, written `HH:MM`.
mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&time.format("%H:%M"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|e| D::Error::custom(format!("{text:?} is not HH:MM: {e}")))
    }
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
const BUNDLED_DEFAULTS: &str = include_str!("../config/default.toml");

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
    /// they are indexed together.
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

/// Command-line values that override every other source.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--seeds`
    pub seeds_dir: Option<PathBuf>,
    /// `--listen`
    pub listen: Option<String>,
    /// `--state-dir`
    pub state_dir: Option<PathBuf>,
    /// `--base-url`
    pub base_url: Option<String>,
}

impl Settings {
    /// Loads the layered configuration. `file` is `--config`; when `None` the default path is
    /// read if it exists. An explicitly named file must exist. When no layer sets `state.dir`,
    /// `$STATE_DIRECTORY` (systemd's `StateDirectory=`) is used if set.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load_from(
            file,
            overrides,
            Environment::with_prefix(ENV_PREFIX),
            std::env::var_os(STATE_DIRECTORY_ENV),
        )
    }

    #[cfg(test)]
    fn load_with_env(
        file: Option<&Path>,
        overrides: &Overrides,
        env: Environment,
    ) -> Result<Self, ConfigError> {
        Self::load_from(file, overrides, env, None)
    }

    fn load_from(
        file: Option<&Path>,
        overrides: &Overrides,
        env: Environment,
        state_directory: Option<OsString>,
    ) -> Result<Self, ConfigError> {
        let file_source = match file {
            Some(path) => File::from(path).format(FileFormat::Toml).required(true),
            None => File::with_name(DEFAULT_CONFIG_PATH)
                .format(FileFormat::Toml)
                .required(false),
        };
        let mut builder = Config::builder().add_source(file_source).add_source(
            env.prefix_separator(ENV_SEPARATOR)
                .separator(ENV_SEPARATOR)
                .try_parsing(true),
        );
        let path_string = |p: &PathBuf| p.to_string_lossy().into_owned();
        let pairs = [
            ("seeds.dir", overrides.seeds_dir.as_ref().map(path_string)),
            ("server.listen", overrides.listen.clone()),
            ("state.dir", overrides.state_dir.as_ref().map(path_string)),
            ("server.base_url", overrides.base_url.clone()),
        ];
        for (key, value) in pairs {
            if let Some(value) = value {
                builder = builder.set_override(key, value)?;
            }
        }
        let config = builder.build()?;
        // The built-in defaults are serde's, not a layer of `config`: this tells whether a
        // file, the environment or a flag set `state.dir`.
        let state_dir_set = config.get::<PathBuf>("state.dir").is_ok();
        let mut settings: Settings = config.try_deserialize()?;
        if !state_dir_set {
            if let Some(dir) = first_state_directory(state_directory) {
                settings.state.dir = dir;
            }
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: ranges, URL shape, glob and filter syntax.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| {
            Err(ConfigError::Invalid {
                key: key.to_string(),
                reason,
            })
        };
        if self.seeds.dir.as_os_str().is_empty() {
            return invalid("seeds.dir", "must not be empty".into());
        }
        if self.server.status == StatusListener::Metrics && self.metrics.listen.is_empty() {
            return invalid(
                "server.status",
                "\"metrics\" needs metrics.listen to be set".into(),
            );
        }
        if self.seeds.extensions.is_empty() {
            return invalid("seeds.extensions", "needs at least one extension".into());
        }
        if let Some(bad) = self
            .seeds
            .extensions
            .iter()
            .find(|e| e.is_empty() || e.contains(['.', '/']))
        {
            return invalid(
                "seeds.extensions",
                format!("{bad:?} is not a bare extension like \"txt\""),
            );
        }
        if let Err(e) = self.ignore_set() {
            return invalid("seeds.ignore", e.to_string());
        }
        if !(1..=MAX_FILE_BYTES_LIMIT).contains(&self.seeds.max_file_bytes) {
            return invalid(
                "seeds.max_file_bytes",
                format!(
                    "{} is outside 1..={MAX_FILE_BYTES_LIMIT}",
                    self.seeds.max_file_bytes
                ),
            );
        }
        if !(1..=MAX_RENDER_SLOTS).contains(&self.server.render_slots) {
            return invalid(
                "server.render_slots",
                format!(
                    "{} is outside 1..={MAX_RENDER_SLOTS}",
                    self.server.render_slots
                ),
            );
        }
        if self.server.render_wait_ms > MAX_RENDER_WAIT_MS {
            return invalid(
                "server.render_wait_ms",
                format!(
                    "{} is over {MAX_RENDER_WAIT_MS}",
                    self.server.render_wait_ms
                ),
            );
        }
        if !self.server.base_url.is_empty() {
            if let Err(reason) = check_base_url(&self.server.base_url) {
                return invalid("server.base_url", reason);
            }
        }
        if self.feed.title.trim().is_empty() {
            return invalid("feed.title", "must not be empty (RSS requires it)".into());
        }
        if self.feed.description.trim().is_empty() {
            return invalid(
                "feed.description",
                "must not be empty (RSS requires it)".into(),
            );
        }
        if !is_language_tag(&self.feed.language) {
            return invalid(
                "feed.language",
                format!(
                    "{:?} is not a language tag like \"en\" or \"fr-FR\"",
                    self.feed.language
                ),
            );
        }
        if self.feed.author.trim().is_empty() {
            return invalid(
                "feed.author",
                "must not be empty (Atom requires an author)".into(),
            );
        }
        if self.feed.items == 0 || self.feed.items > MAX_FEED_ITEMS {
            return invalid(
                "feed.items",
                format!("{} is outside 1..={MAX_FEED_ITEMS}", self.feed.items),
            );
        }
        if !(MIN_DEBOUNCE_MS..=MAX_DEBOUNCE_MS).contains(&self.watch.debounce_ms) {
            return invalid(
                "watch.debounce_ms",
                format!(
                    "{} is outside {MIN_DEBOUNCE_MS}..={MAX_DEBOUNCE_MS}",
                    self.watch.debounce_ms
                ),
            );
        }
        for (key, value, range) in [
            (
                "watch.poll_interval_ms",
                self.watch.poll_interval_ms,
                MIN_DEBOUNCE_MS..=MAX_DEBOUNCE_MS,
            ),
            (
                "watch.write_settle_ms",
                self.watch.write_settle_ms,
                MIN_DEBOUNCE_MS..=MAX_DEBOUNCE_MS,
            ),
            (
                "watch.reconcile_secs",
                self.watch.reconcile_secs,
                0..=MAX_RECONCILE_SECS,
            ),
        ] {
            if !range.contains(&value) {
                return invalid(
                    key,
                    format!("{value} is outside {}..={}", range.start(), range.end()),
                );
            }
        }
        if self.watch.rename_window_ms > MAX_RENAME_WINDOW_MS {
            return invalid(
                "watch.rename_window_ms",
                format!(
                    "{} is over {MAX_RENAME_WINDOW_MS}",
                    self.watch.rename_window_ms
                ),
            );
        }
        let b = &self.boilerplate;
        let mut marker_lists = vec![
            ("boilerplate.lines".to_string(), &b.lines),
            ("boilerplate.prefixes".to_string(), &b.prefixes),
            ("boilerplate.phrases".to_string(), &b.phrases),
        ];
        for (tag, m) in &b.languages {
            if !is_language_tag(tag) {
                return invalid(
                    &format!("boilerplate.languages.{tag}"),
                    "is not a language tag (like \"de\" or \"pt-BR\")".into(),
                );
            }
            let key = |list: &str| format!("boilerplate.languages.{tag}.{list}");
            marker_lists.push((key("lines"), &m.lines));
            marker_lists.push((key("prefixes"), &m.prefixes));
            marker_lists.push((key("phrases"), &m.phrases));
        }
        for (key, list) in marker_lists {
            if list.iter().any(|m| m.trim().is_empty()) {
                return invalid(&key, "an empty marker would match every line".into());
            }
        }
        if let Some(bad) = self
            .dates
            .month_first_languages
            .iter()
            .find(|t| !is_language_tag(t))
        {
            return invalid(
                "dates.month_first_languages",
                format!("{bad:?} is not a language tag (like \"en\")"),
            );
        }
        for (key, value) in [
            ("feed.title", &self.feed.title),
            ("feed.description", &self.feed.description),
            ("feed.author", &self.feed.author),
        ] {
            if value.chars().any(is_xml_unsafe) {
                return invalid(
                    key,
                    "contains control characters, which XML cannot carry".into(),
                );
            }
        }
        for (name, title) in &self.sources.titles {
            if title.trim().is_empty() || title.chars().any(is_xml_unsafe) {
                return invalid(
                    &format!("sources.titles.{name}"),
                    "must be a non-empty title without control characters".into(),
                );
            }
        }
        if !self.websub.hub.is_empty() {
            if let Err(e) = crate::websub::parse_hub(&self.websub.hub) {
                return invalid("websub.hub", e.to_string());
            }
        }
        if !(0.0..=1.0).contains(&self.related.threshold) {
            return invalid(
                "related.threshold",
                format!("{} is outside 0..=1", self.related.threshold),
            );
        }
        if self.related.max_links > MAX_RELATED_LINKS {
            return invalid(
                "related.max_links",
                format!("{} is over {MAX_RELATED_LINKS}", self.related.max_links),
            );
        }
        if let Err(e) = self.metrics_address() {
            return invalid("metrics.listen", e);
        }
        if self.state.dir.as_os_str().is_empty() {
            return invalid("state.dir", "must not be empty".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&self.log.level) {
            return invalid("log.level", e.to_string());
        }
        Ok(())
    }

    /// The compiled `seeds.ignore` patterns.
    pub(crate) fn ignore_set(&self) -> Result<GlobSet, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &self.seeds.ignore {
            builder.add(Glob::new(pattern)?);
        }
        builder.build()
    }

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

    /// The address `/metrics` is served on, if any.
    pub(crate) fn metrics_address(&self) -> Result<Option<SocketAddr>, String> {
        if self.metrics.listen.is_empty() {
            return Ok(None);
        }
        self.metrics.listen.parse().map(Some).map_err(|e| {
            format!(
                "{:?} is not an address like 127.0.0.1:9090: {e}",
                self.metrics.listen
            )
        })
    }

    /// The effective configuration as TOML, for `seedfeed config`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print: {e}\n"))
    }
}

/// The first entry of `$STATE_DIRECTORY` (systemd separates several with `:`).
fn first_state_directory(var: Option<OsString>) -> Option<PathBuf> {
    let var = var?;
    let first = var.to_str()?.split(':').next()?;
    (!first.is_empty()).then(|| PathBuf::from(first))
}

fn check_base_url(url: &str) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{url:?}: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("{url:?} must start with http:// or https://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    if uri.query().is_some() {
        return Err(format!("{url:?} must not have a query"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    /// The error with its sources, as `seedfeed` prints it.
    fn chain(err: &ConfigError) -> String {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(e) = source {
            text = format!("{text}: {e}");
            source = e.source();
        }
        text
    }

    fn load_toml(toml: &str) -> Result<Settings, ConfigError> {
        load_toml_env(toml, HashMap::new())
    }

    fn load_toml_env(toml: &str, env: HashMap<String, String>) -> Result<Settings, ConfigError> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(toml.as_bytes()).expect("write");
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(env));
        Settings::load_with_env(Some(file.path()), &Overrides::default(), env)
    }

    #[test]
    fn defaults_are_valid() {
        let settings = load_toml("").expect("defaults load");
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.feed.items, 50);
    }

    #[test]
    fn bundled_default_toml_loads_and_matches_builtin_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(HashMap::new()));
        let from_file = Settings::load_with_env(Some(&path), &Overrides::default(), env)
            .expect("config/default.toml loads");
        assert_eq!(from_file.to_toml(), Settings::default().to_toml());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load_toml("[feed]\ntitel = \"x\"\n").expect_err("unknown key");
        assert!(chain(&err).contains("titel"), "{}", chain(&err));
    }

    #[test]
    fn unknown_section_is_named() {
        let err = load_toml("[feeds]\ntitle = \"x\"\n").expect_err("unknown section");
        assert!(chain(&err).contains("feeds"), "{}", chain(&err));
    }

    #[test]
    fn bad_type_names_the_key() {
        let err = load_toml("[feed]\nitems = \"many\"\n").expect_err("bad type");
        assert!(chain(&err).contains("feed.items"), "{}", chain(&err));
    }

    #[test]
    fn bad_listen_address_names_the_key() {
        let err = load_toml("[server]\nlisten = \"localhost\"\n").expect_err("bad addr");
        assert!(chain(&err).contains("server.listen"), "{}", chain(&err));
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        for (toml, key) in [
            ("[feed]\nitems = 0\n", "feed.items"),
            ("[server]\nbase_url = \"ftp://x\"\n", "server.base_url"),
            ("[server]\nbase_url = \"http://\"\n", "server.base_url"),
            ("[feed]\nlanguage = \"french language\"\n", "feed.language"),
            ("[seeds]\nignore = [\"a[\"]\n", "seeds.ignore"),
            ("[seeds]\nextensions = [\".txt\"]\n", "seeds.extensions"),
            ("[log]\nlevel = \"loud=,=\"\n", "log.level"),
            ("[watch]\ndebounce_ms = 999999\n", "watch.debounce_ms"),
            ("[watch]\ndebounce_ms = 0\n", "watch.debounce_ms"),
            (
                "[seeds]\nmax_file_bytes = 9223372036854775807\n",
                "seeds.max_file_bytes",
            ),
            ("[feed]\ntitle = \"bad\\u0001title\"\n", "feed.title"),
            ("[dates]\ntimezone = \"Mars/Olympus\"\n", "dates.timezone"),
            ("[dates]\ndefault_time = \"noon\"\n", "dates.default_time"),
            (
                "[dates]\nmonth_first_languages = [\"English\"]\n",
                "dates.month_first_languages",
            ),
            (
                "[boilerplate.languages.pt]\nlines = [\" \"]\n",
                "boilerplate.languages.pt.lines",
            ),
            (
                "[boilerplate.languages.Deutsch]\nlines = [\"x\"]\n",
                "boilerplate.languages.Deutsch",
            ),
            ("[boilerplate.languages.pt]\nline = [\"x\"]\n", "line"),
        ] {
            let err = load_toml(toml).expect_err(toml);
            assert!(chain(&err).contains(key), "{toml}: {}", chain(&err));
        }
    }

    #[test]
    fn environment_overrides_file_and_cli_overrides_environment() {
        let env = HashMap::from([
            ("SEEDFEED__FEED__TITLE".to_string(), "from env".to_string()),
            ("SEEDFEED__FEED__ITEMS".to_string(), "7".to_string()),
            (
                "SEEDFEED__SERVER__LISTEN".to_string(),
                "127.0.0.1:9000".to_string(),
            ),
        ]);
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"[feed]\ntitle = \"from file\"\nitems = 3\n")
            .expect("write");
        let overrides = Overrides {
            listen: Some("127.0.0.1:9100".into()),
            ..Overrides::default()
        };
        let env = Environment::with_prefix(ENV_PREFIX).source(Some(env));
        let settings = Settings::load_with_env(Some(file.path()), &overrides, env).expect("loads");
        assert_eq!(settings.feed.title, "from env");
        assert_eq!(settings.feed.items, 7);
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:9100");
    }

    #[test]
    fn unknown_environment_key_is_named() {
        let env = HashMap::from([("SEEDFEED__FEED__COLOUR".to_string(), "red".to_string())]);
        let err = load_toml_env("", env).expect_err("unknown env key");
        assert!(chain(&err).contains("colour"), "{}", chain(&err));
    }

    #[test]
    fn state_directory_applies_only_when_no_layer_sets_state_dir() {
        let systemd = Some(OsString::from("/var/lib/seedfeed:/var/lib/other"));
        let load = |toml: &str, overrides: &Overrides| {
            let mut file = tempfile::NamedTempFile::new().expect("temp file");
            file.write_all(toml.as_bytes()).expect("write");
            let env = Environment::with_prefix(ENV_PREFIX).source(Some(HashMap::new()));
            Settings::load_from(Some(file.path()), overrides, env, systemd.clone())
                .expect("loads")
                .state
                .dir
        };
        let none = Overrides::default();
        assert_eq!(load("", &none), PathBuf::from("/var/lib/seedfeed"));
        assert_eq!(
            load("[state]\ndir = \"state\"\n", &none),
            PathBuf::from("state")
        );
        let flag = Overrides {
            state_dir: Some("/srv/state".into()),
            ..Overrides::default()
        };
        assert_eq!(load("", &flag), PathBuf::from("/srv/state"));
        assert_eq!(first_state_directory(Some(OsString::new())), None);
        assert_eq!(first_state_directory(None), None);
    }

    #[test]
    fn base_url_defaults_from_bound_address() {
        let settings = Settings::default();
        let bound: SocketAddr = "0.0.0.0:8123".parse().expect("addr");
        assert_eq!(settings.public_base_url(bound), "http://127.0.0.1:8123");
        let mut settings = Settings::default();
        settings.server.base_url = "https://news.example.org/feeds/".into();
        assert_eq!(
            settings.public_base_url(bound),
            "https://news.example.org/feeds"
        );
    }
}
