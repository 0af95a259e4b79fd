//! `/status`: what an operator needs to see why an article is missing, as JSON.

use serde::Serialize;

use std::collections::BTreeMap;

use crate::article::SkipReason;

/// Path of the status document.
pub(crate) const STATUS_PATH: &str = "/status";

/// Most skipped files and most duplicates listed each: 20,000 skipped files made the
/// document megabytes, rendered again on each change. The totals are always given.
pub(crate) const MAX_STATUS_ENTRIES: usize = 1_000;

#[derive(Serialize)]
struct Status<'a> {
    articles: usize,
    /// All files and folders left out, of which at most [`MAX_STATUS_ENTRIES`] are listed.
    skipped_total: usize,
    skipped: Vec<Skipped<'a>>,
    duplicates_total: usize,
    duplicates: Vec<Duplicate<'a>>,
}

#[derive(Serialize)]
struct Skipped<'a> {
    path: &'a str,
    reason: String,
}

#[derive(Serialize)]
struct Duplicate<'a> {
    path: &'a str,
    duplicate_of: &'a str,
}

/// What the status document shows, as the store keeps it.
pub(crate) struct StatusOf<'a> {
    /// Published articles.
    pub published: usize,
    /// Skipped files with the reason.
    pub skipped: &'a BTreeMap<String, SkipReason>,
    /// Folders, links and names the walks left out, with the reason.
    pub left_out: &'a BTreeMap<String, String>,
    /// Files folded into another: path → path of the one published.
    pub duplicates: &'a BTreeMap<String, String>,
}

/// The status document: published count, files left out with their reason (skipped
/// files, and folders, links and names the walks could not take in) and duplicates folded
/// into another file, the first [`MAX_STATUS_ENTRIES`] of each by path, with totals.
pub(crate) fn render(index: &StatusOf<'_>) -> String {
    let skipped = index
        .skipped
        .iter()
        .map(|(path, reason)| (path.as_str(), reason.to_string()));
    let left_out = index
        .left_out
        .iter()
        .map(|(path, reason)| (path.as_str(), reason.clone()));
    let mut listed: Vec<(&str, String)> = skipped.chain(left_out).collect();
    listed.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let status = Status {
        articles: index.published,
        skipped_total: listed.len(),
        skipped: listed
            .into_iter()
            .take(MAX_STATUS_ENTRIES)
            .map(|(path, reason)| Skipped { path, reason })
            .collect(),
        duplicates_total: index.duplicates.len(),
        duplicates: index
            .duplicates
            .iter()
            .take(MAX_STATUS_ENTRIES)
            .map(|(path, duplicate_of)| Duplicate { path, duplicate_of })
            .collect(),
    };
    // Serializing plain strings and numbers cannot fail.
    let mut json = serde_json::to_string_pretty(&status).unwrap_or_default();
    json.push('\n');
    json
}
