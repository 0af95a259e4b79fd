//! What serde cannot check: ranges, URL shapes, glob and filter syntax, characters XML cannot
//! carry. Each section checks itself and names the key of the first bad value.

use std::fmt::Display;
use std::ops::RangeInclusive;

use super::values::check_base_url;
use super::{
    BoilerplateSettings, ConfigError, DateSettings, FeedSettings, LogSettings, MAX_DEBOUNCE_MS,
    MAX_FEED_ITEMS, MAX_FILE_BYTES_LIMIT, MAX_RECONCILE_SECS, MAX_RELATED_LINKS,
    MAX_RENAME_WINDOW_MS, MAX_RENDER_SLOTS, MAX_RENDER_WAIT_MS, MIN_DEBOUNCE_MS, RelatedSettings,
    SeedsSettings, ServerSettings, Settings, SourcesSettings, StateSettings, StatusListener,
    WatchSettings,
};
use crate::text::{is_language_tag, is_xml_unsafe};

/// The error for a bad value of `key`.
fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// Fails naming `key` when `value` is outside `range`.
fn within<T: PartialOrd + Display>(
    key: &str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!("{value} is outside {}..={}", range.start(), range.end()),
        ))
    }
}

/// Fails naming `key` when `value` is blank.
fn not_blank(key: &str, value: &str, why: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        Err(invalid(key, format!("must not be empty{why}")))
    } else {
        Ok(())
    }
}

impl Settings {
    /// Checks every section, then what spans two of them.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.seeds.validate()?;
        self.server.validate()?;
        self.feed.validate()?;
        self.watch.validate()?;
        self.boilerplate.validate()?;
        self.dates.validate()?;
        self.sources.validate()?;
        self.related.validate()?;
        self.state.validate()?;
        self.log.validate()?;
        if self.server.status == StatusListener::Metrics && self.metrics.listen.is_none() {
            return Err(invalid(
                "server.status",
                "\"metrics\" needs metrics.listen to be set",
            ));
        }
        Ok(())
    }
}

impl SeedsSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.dir.as_os_str().is_empty() {
            return Err(invalid("seeds.dir", "must not be empty"));
        }
        if self.extensions.is_empty() {
            return Err(invalid("seeds.extensions", "needs at least one extension"));
        }
        if let Some(bad) = self
            .extensions
            .iter()
            .find(|e| e.is_empty() || e.contains(['.', '/']))
        {
            return Err(invalid(
                "seeds.extensions",
                format!("{bad:?} is not a bare extension like \"txt\""),
            ));
        }
        if let Err(e) = self.ignore_set() {
            return Err(invalid("seeds.ignore", e.to_string()));
        }
        within(
            "seeds.max_file_bytes",
            self.max_file_bytes,
            1..=MAX_FILE_BYTES_LIMIT,
        )
    }
}

impl ServerSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        within(
            "server.render_slots",
            self.render_slots,
            1..=MAX_RENDER_SLOTS,
        )?;
        within(
            "server.render_wait_ms",
            self.render_wait_ms,
            0..=MAX_RENDER_WAIT_MS,
        )?;
        if !self.base_url.is_empty() {
            check_base_url(&self.base_url).map_err(|reason| invalid("server.base_url", reason))?;
        }
        Ok(())
    }
}

impl FeedSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        not_blank("feed.title", &self.title, " (RSS requires it)")?;
        not_blank("feed.description", &self.description, " (RSS requires it)")?;
        not_blank("feed.author", &self.author, " (Atom requires an author)")?;
        for (key, value) in [
            ("feed.title", &self.title),
            ("feed.description", &self.description),
            ("feed.author", &self.author),
        ] {
            if value.chars().any(is_xml_unsafe) {
                return Err(invalid(
                    key,
                    "contains control characters, which XML cannot carry",
                ));
            }
        }
        if !is_language_tag(&self.language) {
            return Err(invalid(
                "feed.language",
                format!(
                    "{:?} is not a language tag like \"en\" or \"fr-FR\"",
                    self.language
                ),
            ));
        }
        if let Some(bad) = self.detect_languages.iter().find(|t| !is_language_tag(t)) {
            return Err(invalid(
                "feed.detect_languages",
                format!("{bad:?} is not a language tag like \"en\""),
            ));
        }
        within("feed.items", self.items, 1..=MAX_FEED_ITEMS)
    }
}

impl WatchSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        let millis = MIN_DEBOUNCE_MS..=MAX_DEBOUNCE_MS;
        within("watch.debounce_ms", self.debounce_ms, millis.clone())?;
        within(
            "watch.poll_interval_ms",
            self.poll_interval_ms,
            millis.clone(),
        )?;
        within("watch.write_settle_ms", self.write_settle_ms, millis)?;
        within(
            "watch.reconcile_secs",
            self.reconcile_secs,
            0..=MAX_RECONCILE_SECS,
        )?;
        within(
            "watch.rename_window_ms",
            self.rename_window_ms,
            0..=MAX_RENAME_WINDOW_MS,
        )
    }
}

impl BoilerplateSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        let mut marker_lists = vec![
            ("boilerplate.lines".to_string(), &self.lines),
            ("boilerplate.prefixes".to_string(), &self.prefixes),
            ("boilerplate.phrases".to_string(), &self.phrases),
        ];
        for (tag, m) in &self.languages {
            if !is_language_tag(tag) {
                return Err(invalid(
                    format!("boilerplate.languages.{tag}"),
                    "is not a language tag (like \"de\" or \"pt-BR\")",
                ));
            }
            let key = |list: &str| format!("boilerplate.languages.{tag}.{list}");
            marker_lists.push((key("lines"), &m.lines));
            marker_lists.push((key("prefixes"), &m.prefixes));
            marker_lists.push((key("phrases"), &m.phrases));
        }
        match marker_lists
            .into_iter()
            .find(|(_, list)| list.iter().any(|m| m.trim().is_empty()))
        {
            Some((key, _)) => Err(invalid(key, "an empty marker would match every line")),
            None => Ok(()),
        }
    }
}

impl DateSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        match self
            .month_first_languages
            .iter()
            .find(|t| !is_language_tag(t))
        {
            Some(bad) => Err(invalid(
                "dates.month_first_languages",
                format!("{bad:?} is not a language tag (like \"en\")"),
            )),
            None => Ok(()),
        }
    }
}

impl SourcesSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        for (name, title) in &self.titles {
            if title.trim().is_empty() || title.chars().any(is_xml_unsafe) {
                return Err(invalid(
                    format!("sources.titles.{name}"),
                    "must be a non-empty title without control characters",
                ));
            }
        }
        Ok(())
    }
}

impl RelatedSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(invalid(
                "related.threshold",
                format!("{} is outside 0..=1", self.threshold),
            ));
        }
        within("related.max_links", self.max_links, 0..=MAX_RELATED_LINKS)
    }
}

impl StateSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.dir.as_os_str().is_empty() {
            return Err(invalid("state.dir", "must not be empty"));
        }
        Ok(())
    }
}

impl LogSettings {
    fn validate(&self) -> Result<(), ConfigError> {
        tracing_subscriber::EnvFilter::builder()
            .parse(&self.level)
            .map(drop)
            .map_err(|e| invalid("log.level", e.to_string()))
    }
}
