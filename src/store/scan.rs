//! Which files in the seeds folder are articles, and walking the folder for them.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use globset::GlobSet;

use crate::article::SkipReason;
use crate::config::Settings;

/// Deepest folder nesting walked below the seeds folder; deeper folders are logged and skipped.
pub const MAX_DEPTH: usize = 32;

/// Decides which paths are articles.
#[derive(Debug, Clone)]
pub struct Filter {
    extensions: Vec<String>,
    ignore: GlobSet,
}

impl Filter {
    /// Builds the filter from `seeds.extensions` and `seeds.ignore`.
    pub fn new(settings: &Settings) -> Result<Self, globset::Error> {
        Ok(Self {
            extensions: settings
                .seeds
                .extensions
                .iter()
                .map(|e| e.to_lowercase())
                .collect(),
            ignore: settings.ignore_set()?,
        })
    }

    /// True when a file or folder name matches an ignore pattern (hidden, editor, partial).
    pub fn is_ignored_name(&self, name: &str) -> bool {
        self.ignore.is_match(name)
    }

    /// True when no component of `rel` is ignored.
    pub fn is_visible(&self, rel: &Path) -> bool {
        rel.components().all(|c| match c {
            Component::Normal(name) => !self.is_ignored_name(&name.to_string_lossy()),
            _ => false,
        })
    }

    /// True when `rel` (relative to the seeds folder) names an article file.
    pub fn is_article(&self, rel: &Path) -> bool {
        let extension_ok = rel.extension().is_some_and(|e| {
            self.extensions
                .contains(&e.to_string_lossy().to_lowercase())
        });
        extension_ok && self.is_visible(rel)
    }
}

/// The key of a path in the store: relative to the seeds folder, `/`-separated; `None` for
/// names that are not UTF-8 (they could not be given a stable id) or paths outside `root`.
pub fn store_key(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(name) => parts.push(name.to_str()?),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Reads an article file whole, refusing one over `max_bytes` before reading it (and one that
/// grew past the limit while being read).
pub fn read_article(
    path: &Path,
    max_bytes: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), SkipReason> {
    let unreadable = |e: std::io::Error| SkipReason::Unreadable(e.to_string());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let md = file.metadata().map_err(unreadable)?;
    let too_large = |size| SkipReason::TooLarge {
        size,
        limit: max_bytes,
    };
    if md.len() > max_bytes {
        return Err(too_large(md.len()));
    }
    // Read at most one byte over the limit: the file may have grown since the stat.
    let mut bytes = Vec::with_capacity(md.len() as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok((bytes, md))
}

/// A problem met while walking that does not stop the walk.
#[derive(Debug)]
pub struct WalkProblem {
    /// Where.
    pub path: PathBuf,
    /// What happened.
    pub reason: String,
}

/// Every article file below `dir` (a folder inside or equal to `root`), as absolute paths.
/// Symbolic links are not followed, so nothing outside the folder can be published.
pub fn walk(root: &Path, dir: &Path, filter: &Filter) -> (Vec<PathBuf>, Vec<WalkProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let base_depth = dir.strip_prefix(root).map_or(0, |r| r.components().count());
    let mut stack = vec![(dir.to_path_buf(), base_depth)];
    while let Some((folder, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(WalkProblem {
                    path: folder,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    problems.push(WalkProblem {
                        path: folder.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            let path = entry.path();
            if filter.is_ignored_name(&entry.file_name().to_string_lossy()) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    if depth + 1 > MAX_DEPTH {
                        problems.push(WalkProblem {
                            path,
                            reason: format!("deeper than {MAX_DEPTH} folders, not read"),
                        });
                    } else {
                        stack.push((path, depth + 1));
                    }
                }
                Ok(t) if t.is_file() => {
                    if path
                        .strip_prefix(root)
                        .is_ok_and(|rel| filter.is_article(rel))
                    {
                        files.push(path);
                    }
                }
                Ok(_) => {}
                Err(e) => problems.push(WalkProblem {
                    path,
                    reason: e.to_string(),
                }),
            }
        }
    }
    files.sort();
    (files, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> Filter {
        Filter::new(&Settings::default()).expect("default filter")
    }

    #[test]
    fn editor_and_partial_names_are_not_articles() {
        let f = filter();
        for name in [
            ".#a.txt",
            "a.txt~",
            ".a.txt.swp",
            "a.txt.tmp",
            "a.txt.part",
            ".hidden.txt",
            "a.jpg",
            "a.html",
        ] {
            assert!(!f.is_article(Path::new(name)), "{name}");
        }
        assert!(f.is_article(Path::new("a.txt")));
        assert!(f.is_article(Path::new("notes/a.md")));
        assert!(f.is_article(Path::new("sub/dir/A.TXT")));
        assert!(!f.is_article(Path::new(".git/a.txt")));
    }

    #[test]
    fn keys_are_relative_and_slash_separated() {
        let root = Path::new("/srv/seeds");
        assert_eq!(
            store_key(root, Path::new("/srv/seeds/a/b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(store_key(root, Path::new("/elsewhere/b.txt")), None);
    }

    #[test]
    fn walk_finds_nested_articles_and_skips_ignored_and_symlinks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
        std::fs::create_dir_all(root.join(".hidden")).expect("mkdir");
        for name in [
            "a.txt",
            "sub/b.txt",
            "sub/deeper/c.txt",
            ".hidden/d.txt",
            "e.txt.tmp",
            "f.jpg",
        ] {
            std::fs::write(root.join(name), "x").expect("write");
        }
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("link.txt")).expect("symlink");
        let (files, problems) = walk(root, root, &filter());
        let keys: Vec<String> = files.iter().filter_map(|p| store_key(root, p)).collect();
        assert_eq!(keys, ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]);
        assert!(problems.is_empty());
    }
}
