//! `seedfeed inspect`: what the parser understands from a file, for people and for scripts.

use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::article::{self, DateSource, LineNote, ParseOptions};
use crate::config::{ConfigError, Settings};
use crate::model::article_id;
use crate::store::scan::{self, Filter};

/// The report on one file (the `--json` object).
#[derive(Debug, Serialize)]
pub struct Report {
    /// The file as given.
    pub path: PathBuf,
    /// The article id it has (or would have) in the feeds.
    pub id: String,
    /// Title.
    pub title: Option<String>,
    /// Date, RFC 3339.
    pub date: Option<String>,
    /// Where the date came from.
    pub date_source: Option<DateSource>,
    /// Author named in the file (the feed's author is used when none).
    pub author: Option<String>,
    /// BCP 47 language.
    pub language: Option<String>,
    /// The encoding the file was read in.
    pub encoding: Option<String>,
    /// `Source:` metadata.
    pub source: Option<String>,
    /// `Tags:` metadata.
    pub tags: Vec<String>,
    /// Summary as the feeds show it.
    pub summary: Option<String>,
    /// Body paragraphs, in order.
    pub paragraphs: Vec<String>,
    /// Section headings, in order.
    pub headings: Vec<String>,
    /// Bullet list items, in order.
    pub list_items: Vec<String>,
    /// Lines removed as site boilerplate.
    pub stripped: Vec<String>,
    /// Why the file is not published, or `None`.
    pub skipped: Option<String>,
    /// With `--explain`: each line the reader decided on, its role and the signal that
    /// decided it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explained: Vec<LineNote>,
}

/// Inspects each of `files` with the parse settings read once (`explain`: recording each
/// line's role); fails only on settings the parser cannot use, naming the key.
pub fn inspect_all(
    files: &[PathBuf],
    settings: &Settings,
    explain: bool,
) -> Result<Vec<Report>, ConfigError> {
    let mut options = ParseOptions::new(settings)?;
    if explain {
        options = options.explaining();
    }
    let filter = Filter::new(settings).map_err(|e| ConfigError::Invalid {
        key: "seeds.ignore".into(),
        reason: e.to_string(),
    })?;
    Ok(files
        .iter()
        .map(|file| inspect(file, settings, &options, &filter))
        .collect())
}

/// Inspects one file. Files inside the seeds folder get the id the daemon gives them; others
/// get the id their file name would have at the top of the folder. A file with no date shows
/// the current time, as the daemon would record it on first sight.
fn inspect(path: &Path, settings: &Settings, options: &ParseOptions, filter: &Filter) -> Report {
    let key = match (path.canonicalize(), settings.seeds.dir.canonicalize()) {
        (Ok(file), Ok(root)) => scan::store_key(&root, &file),
        _ => None,
    }
    .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
    let id = key
        .as_deref()
        .map(|key| article_id(key).to_string())
        .unwrap_or_default();
    let mut report = Report {
        path: path.to_path_buf(),
        id,
        title: None,
        date: None,
        date_source: None,
        author: None,
        language: None,
        encoding: None,
        source: None,
        tags: Vec::new(),
        summary: None,
        paragraphs: Vec::new(),
        headings: Vec::new(),
        list_items: Vec::new(),
        stripped: Vec::new(),
        skipped: None,
        explained: Vec::new(),
    };
    // The daemon's own rule: a name it ignores is never read, whatever it holds.
    if let Some(reason) = key.and_then(|key| filter.ignored_because(Path::new(&key))) {
        report.skipped = Some(format!("ignored: {reason}"));
        return report;
    }
    let bytes = match scan::read_article(path, None, settings.seeds.max_file_bytes) {
        Ok((bytes, _)) => bytes,
        Err(reason) => {
            report.skipped = Some(reason.to_string());
            return report;
        }
    };
    match article::parse(&bytes, article::Markup::of(path), options) {
        Ok(a) => {
            let (date, source) = a.meta.date.unwrap_or((Utc::now(), DateSource::FirstSeen));
            report.date = Some(date.to_rfc3339_opts(SecondsFormat::Secs, true));
            report.date_source = Some(source);
            report.summary = Some(a.summary_text());
            report.paragraphs = a.paragraphs().map(str::to_string).collect();
            report.headings = a.headings().map(str::to_string).collect();
            report.list_items = a.list_items().map(str::to_string).collect();
            report.title = Some(a.meta.title);
            report.author = a.meta.author;
            report.language = Some(a.meta.language.into());
            report.encoding = Some(a.encoding);
            report.source = a.meta.source;
            report.tags = a.meta.tags.into();
            report.stripped = a.stripped;
            report.explained = a.explained;
        }
        Err(reason) => report.skipped = Some(reason.to_string()),
    }
    report
}

/// The human-readable form of a report.
pub fn to_text(r: &Report) -> String {
    let mut out = format!("{}\n  id:        {}\n", r.path.display(), r.id);
    if let Some(reason) = &r.skipped {
        out.push_str(&format!("  SKIPPED:   {reason}\n"));
        return out;
    }
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    out.push_str(&format!("  title:     {}\n", or_none(&r.title)));
    out.push_str(&format!(
        "  date:      {} (from {})\n",
        or_none(&r.date),
        r.date_source.map_or("?", DateSource::as_str)
    ));
    out.push_str(&format!(
        "  author:    {}\n",
        r.author
            .clone()
            .unwrap_or_else(|| "(none: the feed's author is used)".into())
    ));
    out.push_str(&format!("  language:  {}\n", or_none(&r.language)));
    out.push_str(&format!(
        "  encoding:  {}\n",
        r.encoding.as_deref().unwrap_or("?")
    ));
    if let Some(source) = &r.source {
        out.push_str(&format!("  source:    {source}\n"));
    }
    if !r.tags.is_empty() {
        out.push_str(&format!("  tags:      {}\n", r.tags.join(", ")));
    }
    out.push_str(&format!(
        "  body:      {} paragraphs, {} headings, {} list items\n",
        r.paragraphs.len(),
        r.headings.len(),
        r.list_items.len()
    ));
    for h in &r.headings {
        out.push_str(&format!("    heading: {h}\n"));
    }
    out.push_str(&format!("  summary:   {}\n", or_none(&r.summary)));
    if r.stripped.is_empty() {
        out.push_str("  stripped:  (nothing)\n");
    } else {
        out.push_str(&format!("  stripped:  {} lines\n", r.stripped.len()));
        for line in &r.stripped {
            out.push_str(&format!("    - {line}\n"));
        }
    }
    if !r.explained.is_empty() {
        out.push_str("  lines (role, the signal that decided it):\n");
        for note in &r.explained {
            out.push_str(&format!(
                "    {:<22} {:<28} {}\n",
                note.role, note.signal, note.line
            ));
        }
    }
    out
}
