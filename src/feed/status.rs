//! `/status`: what an operator needs to see why an article is missing, as JSON.

use serde::Serialize;

use crate::store::Store;

/// Path of the status document.
pub const STATUS_PATH: &str = "/status";

#[derive(Serialize)]
struct Status<'a> {
    articles: usize,
    skipped: Vec<Skipped<'a>>,
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

/// The status document: published count, every skipped file with its reason, and every
/// duplicate folded into another file.
pub fn render(store: &Store) -> String {
    let status = Status {
        articles: store.published_len(),
        skipped: store
            .skipped()
            .iter()
            .map(|(path, reason)| Skipped {
                path,
                reason: reason.to_string(),
            })
            .collect(),
        duplicates: store
            .duplicates()
            .iter()
            .map(|(path, duplicate_of)| Duplicate { path, duplicate_of })
            .collect(),
    };
    // Serializing plain strings and numbers cannot fail.
    let mut json = serde_json::to_string_pretty(&status).unwrap_or_default();
    json.push('\n');
    json
}
