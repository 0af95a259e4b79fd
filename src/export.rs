//! `seedfeed build --out DIR`: one index and render, written as files (the daemon's code path).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::Settings;
use crate::daemon::seeds_root;
use crate::feed::{self, FeedContext};
use crate::model::Entry;
use crate::store::Store;
use crate::views::{Catalog, related_entries};

/// Most articles for which `build` links related stories: each page compares its article
/// with every other, so a build costs O(n²) comparisons (about 75 ns each: 30 s at 20,000).
pub(crate) const MAX_BUILD_RELATED_ARTICLES: usize = 20_000;

/// What a build wrote.
#[derive(Debug)]
pub struct BuildReport {
    /// Published articles.
    pub articles: usize,
    /// Skipped files.
    pub skipped: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Indexes the seeds folder (recording first-seen times in the state database) and writes
/// `feed.rss`, `feed.atom`, `feed.json`, `opml.xml`, `index.html` and `articles/{id}.html`
/// into `out`. (Per-source, per-tag and archive feeds are served by the daemon only.)
pub fn build(settings: &Settings, out: &Path) -> anyhow::Result<BuildReport> {
    let root = seeds_root(settings)?;
    let mut store = Store::open_walking(settings, &root).with_context(|| {
        format!(
            "opening the state in {} (state.dir)",
            settings.state.dir.display()
        )
    })?;
    store.sign_while_indexing();
    store.reconcile_all();
    // Articles loaded from the metadata cache of a daemon stopped before it signed them.
    let unsigned = store.unsigned();
    let signed = crate::store::signing::sign(&unsigned, &store.bodies());
    store.apply_signatures(signed);
    store.signing_done();
    let ctx = FeedContext::new(settings, settings.public_base_url(settings.server.listen));
    let items = store.feed_items(ctx.items)?;
    let newest: Vec<&Entry> = store.newest().map(|e| &**e).collect();
    let rendered = feed::render(&items, &newest, newest.len(), store.facets(), &ctx)?;
    let catalog = Catalog::of(&store);
    let bodies = store.bodies();
    let link_related = catalog.len() <= MAX_BUILD_RELATED_ARTICLES;
    if !link_related {
        tracing::info!(
            articles = catalog.len(),
            limit = MAX_BUILD_RELATED_ARTICLES,
            "pages are written without related links (the daemon renders them per page)"
        );
    }
    let related = |entry: &Entry| match link_related {
        true => related_entries(entry, &catalog, &ctx),
        false => Vec::new(),
    };
    let pages = newest.iter().filter_map(|entry| match bodies.get(entry) {
        Ok(article) => Some((
            feed::article_path(&entry.record.id),
            feed::html::article_page(
                entry,
                &article,
                &related(entry),
                &ctx,
            ),
        )),
        Err(reason) => {
            tracing::warn!(file = %entry.key, reason = %reason, "page not written: cannot read the file again");
            None
        }
    });
    let documents = rendered
        .feeds
        .into_iter()
        .map(|(target, body)| (target.path(), body))
        .chain([
            (feed::OPML_PATH.to_string(), rendered.opml),
            (feed::INDEX_PATH.to_string(), rendered.index),
        ])
        .chain(pages);
    let mut files = Vec::new();
    for (path, body) in documents {
        let file = out.join(file_for(&path));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, body).with_context(|| format!("writing {}", file.display()))?;
        files.push(file);
    }
    Ok(BuildReport {
        articles: store.published_len(),
        skipped: store.skipped().len(),
        files,
    })
}

/// The file a site path is written to: `/` → `index.html`, `/feed.rss` → `feed.rss`.
fn file_for(site_path: &str) -> PathBuf {
    let relative = site_path.trim_start_matches('/');
    if relative.is_empty() || relative.ends_with('/') {
        PathBuf::from(relative).join("index.html")
    } else {
        PathBuf::from(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_map_to_files() {
        assert_eq!(file_for("/"), PathBuf::from("index.html"));
        assert_eq!(file_for("/feed.rss"), PathBuf::from("feed.rss"));
        assert_eq!(
            file_for("/articles/x.html"),
            PathBuf::from("articles/x.html")
        );
    }
}
