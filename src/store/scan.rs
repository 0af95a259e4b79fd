//! Which files in the seeds folder are articles, and walking the folder for them.

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use globset::GlobSet;

use crate::article::SkipReason;
use crate::config::Settings;

/// Deepest folder nesting walked below the seeds folder; deeper folders are logged and skipped.
pub(crate) const MAX_DEPTH: usize = 32;

/// Decides which paths are articles.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    extensions: Vec<String>,
    ignore: GlobSet,
    /// The patterns of `ignore`, in its order, to say which one matched.
    patterns: Vec<String>,
    follow_symlinks: bool,
}

impl Filter {
    /// Builds the filter from `seeds.extensions` and `seeds.ignore`.
    pub(crate) fn new(settings: &Settings) -> Result<Self, globset::Error> {
        Ok(Self {
            extensions: settings
                .seeds
                .extensions
                .iter()
                .map(|e| e.to_lowercase())
                .collect(),
            ignore: settings.seeds.ignore_set()?,
            patterns: settings.seeds.ignore.clone(),
            follow_symlinks: settings.seeds.follow_symlinks,
        })
    }

    /// True when symbolic links inside the seeds folder are followed (`seeds.follow_symlinks`).
    pub(crate) fn follows_symlinks(&self) -> bool {
        self.follow_symlinks
    }

    /// True when a file or folder name matches an ignore pattern (hidden, editor, partial).
    pub(crate) fn is_ignored_name(&self, name: &str) -> bool {
        self.ignore.is_match(name)
    }

    /// True when no component of `rel` is ignored.
    pub(crate) fn is_visible(&self, rel: &Path) -> bool {
        rel.components().all(|c| match c {
            Component::Normal(name) => !self.is_ignored_name(&name.to_string_lossy()),
            _ => false,
        })
    }

    /// Why the daemon never reads `rel` (relative to the seeds folder), or `None` when it names
    /// an article file: the name and the `seeds.ignore` pattern one of its components matches,
    /// or an extension not in `seeds.extensions`. `seedfeed inspect` says the same.
    pub(crate) fn ignored_because(&self, rel: &Path) -> Option<String> {
        for component in rel.components() {
            let Component::Normal(name) = component else {
                continue;
            };
            let name = name.to_string_lossy();
            if let Some(&index) = self.ignore.matches(name.as_ref()).first() {
                let pattern = self.patterns.get(index).map_or("?", String::as_str);
                return Some(format!(
                    "{name:?} matches the seeds.ignore pattern {pattern:?}"
                ));
            }
        }
        (!self.has_article_extension(rel)).then(|| {
            format!(
                "its extension is not one of seeds.extensions ({})",
                self.extensions.join(", ")
            )
        })
    }

    /// True when `rel` (relative to the seeds folder) names an article file.
    pub(crate) fn is_article(&self, rel: &Path) -> bool {
        self.has_article_extension(rel) && self.is_visible(rel)
    }

    /// True when `path` has one of the article extensions (case-insensitive).
    pub(crate) fn has_article_extension(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| {
            let e = e.to_string_lossy();
            if e.is_ascii() {
                self.extensions.iter().any(|x| x.eq_ignore_ascii_case(&e))
            } else {
                self.extensions.contains(&e.to_lowercase())
            }
        })
    }
}

/// The key of a path in the store: relative to the seeds folder, `/`-separated; `None` for
/// names that are not UTF-8 (they could not be given a stable id) or paths outside `root`.
pub(crate) fn store_key(root: &Path, path: &Path) -> Option<String> {
    // Fast path for the clean paths walks build (root + "/" + names): a byte comparison
    // instead of a component-by-component one, which was a tenth of a warm start.
    let fast = path
        .as_os_str()
        .as_bytes()
        .strip_prefix(root.as_os_str().as_bytes())
        .and_then(|rest| rest.strip_prefix(b"/"))
        .and_then(|rel| std::str::from_utf8(rel).ok())
        .filter(|rel| {
            rel.split('/')
                .all(|name| !name.is_empty() && name != "." && name != "..")
        });
    if let Some(rel) = fast {
        return Some(rel.to_string());
    }
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

/// The key of `path` for listings such as `/status`: [`store_key`], or for a name that is
/// not UTF-8, its path relative to `root` with the bad bytes replaced (U+FFFD).
pub(crate) fn listing_key(root: &Path, path: &Path) -> String {
    store_key(root, path).unwrap_or_else(|| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    })
}

/// Where an article file may be read from: the seeds folder (canonical), and whether links
/// inside it are followed (`seeds.follow_symlinks`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Confined<'a> {
    /// The seeds folder, canonical.
    pub root: &'a Path,
    /// Links to files and folders inside `root` are followed.
    pub follow_symlinks: bool,
}

/// Reads an article file whole, refusing one over `max_bytes` before reading it (and one that
/// grew past the limit while being read), and anything but a regular file (opened without
/// blocking, so that a FIFO cannot stall the reader).
///
/// With `confined`, the file opened must be the one at `path` with no link on the way
/// (checked against the path after the open, see [`check_no_link_on_the_way`]), or, when
/// links are followed, one inside the seeds folder (checked on the kernel's record of the open
/// file), so that a published file or folder swapped for a link to `/etc` is never read,
/// however the swap races the read. A file replaced during the read is read once more.
pub(crate) fn read_article(
    path: &Path,
    confined: Option<Confined<'_>>,
    max_bytes: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), SkipReason> {
    // A file replaced (atomically, by a scraper) between the open and the check is read
    // again: what was opened is the old file, and the new one is what the path names now.
    match read_once(path, confined, max_bytes) {
        Err(Opened::Replaced) => read_once(path, confined, max_bytes).map_err(Opened::into_reason),
        other => other.map_err(Opened::into_reason),
    }
}

/// Why one read of an article file failed.
enum Opened {
    /// The path names another file than the one opened (not through a link): replaced.
    Replaced,
    /// Any other reason, as the skip says it.
    Refused(SkipReason),
}

impl Opened {
    fn into_reason(self) -> SkipReason {
        match self {
            Opened::Refused(reason) => reason,
            Opened::Replaced => {
                SkipReason::Unreadable("the file was replaced while being read".into())
            }
        }
    }
}

fn read_once(
    path: &Path,
    confined: Option<Confined<'_>>,
    max_bytes: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), Opened> {
    use std::os::unix::fs::OpenOptionsExt;
    let refused = Opened::Refused;
    let unreadable = |e: std::io::Error| refused(SkipReason::Unreadable(e.to_string()));
    let mut flags = libc::O_NONBLOCK;
    if confined.is_some_and(|c| !c.follow_symlinks) {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match std::fs::File::options()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(SkipReason::Link(describe_link(path))));
        }
        Err(e) => return Err(unreadable(e)),
    };
    let md = file.metadata().map_err(unreadable)?;
    match confined {
        Some(confined) if confined.follow_symlinks => {
            let opened = opened_path(&file, path).map_err(unreadable)?;
            if !opened.starts_with(confined.root) {
                return Err(refused(SkipReason::Link(opened.display().to_string())));
            }
        }
        Some(confined) => check_no_link_on_the_way(confined.root, path, &md)?,
        None => {}
    }
    if !md.is_file() {
        return Err(refused(SkipReason::Unreadable("not a regular file".into())));
    }
    let too_large = |size| {
        refused(SkipReason::TooLarge {
            size,
            limit: max_bytes,
        })
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

/// Checks, after `path` was opened (without following its last component) as `opened`, that
/// no folder between `root` and `path` is a link now, and that `path` still names the file
/// opened: a folder that was a link at the open and is a folder again is caught that way, and
/// so is a file replaced meanwhile ([`Opened::Replaced`]: read again). One `lstat` per folder
/// level and one `stat`, without allocating: this runs for every file read.
fn check_no_link_on_the_way(
    root: &Path,
    path: &Path,
    opened: &std::fs::Metadata,
) -> Result<(), Opened> {
    let folders = path.ancestors().skip(1).take_while(|p| *p != root);
    for folder in folders {
        if std::fs::symlink_metadata(folder).is_ok_and(|md| md.is_symlink()) {
            return Err(Opened::Refused(SkipReason::Link(describe_link(folder))));
        }
    }
    match std::fs::metadata(path) {
        Ok(now) if now.dev() == opened.dev() && now.ino() == opened.ino() => Ok(()),
        Ok(_) => Err(Opened::Replaced),
        Err(e) => Err(Opened::Refused(SkipReason::Unreadable(e.to_string()))),
    }
}

/// The path of the file `file` actually is, from the kernel (`/proc/self/fd`), else by
/// resolving `path` again (without `/proc`: racy, but still refuses a standing link).
fn opened_path(file: &std::fs::File, path: &Path) -> std::io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .or_else(|_| path.canonicalize())
}

/// Where the link at `path` leads, for a skip reason.
fn describe_link(path: &Path) -> String {
    std::fs::read_link(path).map_or_else(
        |_| path.display().to_string(),
        |target| target.display().to_string(),
    )
}

/// What a walk found: the article files (key, path), in key order, and the problems it met.
pub(crate) type Walk = (Vec<(String, PathBuf)>, Vec<WalkProblem>);

/// Walks `dir` inside the seeds folder at `root` ([`walk`]), each file with its key. Names
/// that are not UTF-8 are listed by the walk as problems, not as files.
pub(crate) fn walk_keyed(root: &Path, dir: &Path, filter: &Filter) -> Walk {
    let (files, problems) = walk(root, dir, filter);
    let found = files
        .into_iter()
        .filter_map(|path| Some((store_key(root, &path)?, path)))
        .collect();
    (found, problems)
}

/// A problem met while walking that does not stop the walk.
#[derive(Debug)]
pub(crate) struct WalkProblem {
    /// Where.
    pub path: PathBuf,
    /// What happened.
    pub reason: String,
    /// True when `path` could not be read (its articles are kept until it can be), false
    /// when it was read and left out by a rule (a link not followed, a name, the depth).
    pub unreadable: bool,
}

/// Where a symbolic link leads, when it may be followed: only to a file or folder inside the
/// seeds folder, so that a link cannot publish `/etc/passwd` or walk the whole disk.
pub(crate) fn link_target(
    root: &Path,
    link: &Path,
) -> Result<(PathBuf, std::fs::Metadata), String> {
    let target = link
        .canonicalize()
        .map_err(|e| format!("broken link: {e}"))?;
    let canonical_root = root.canonicalize().map_err(|e| e.to_string())?;
    if !target.starts_with(&canonical_root) {
        return Err(format!(
            "link to {} is outside the seeds folder; not followed",
            target.display()
        ));
    }
    let md = std::fs::metadata(&target).map_err(|e| e.to_string())?;
    Ok((target, md))
}

/// Every article file below `dir` (a folder inside or equal to `root`), as absolute paths,
/// sorted, with what the walk left out (see [`WalkProblem`]). Symbolic links are followed
/// only with `seeds.follow_symlinks`, and only to targets inside the seeds folder; a folder
/// reached twice (through a link, or a link loop) is walked once; folders deeper than
/// [`MAX_DEPTH`] are not read.
pub(crate) fn walk(root: &Path, dir: &Path, filter: &Filter) -> (Vec<PathBuf>, Vec<WalkProblem>) {
    let base_depth = dir.strip_prefix(root).map_or(0, |r| r.components().count());
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut left_out = Vec::new();
    let mut visited: HashSet<(u64, u64)> = HashSet::new();
    if let Ok(md) = std::fs::metadata(dir) {
        visited.insert((md.dev(), md.ino()));
    }
    let entries = walkdir::WalkDir::new(dir)
        .follow_links(filter.follows_symlinks())
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0
                || admit(root, base_depth, entry, filter, &mut visited, &mut left_out)
        });
    for entry in entries {
        match entry {
            Ok(entry)
                if entry.file_type().is_file() && filter.has_article_extension(entry.path()) =>
            {
                files.push(entry.into_path());
            }
            Ok(_) => {}
            // A link loop: the folder is walked once, where the walk met it first.
            Err(e) if e.loop_ancestor().is_some() => {}
            Err(e) => problems.push(WalkProblem {
                path: e.path().unwrap_or(dir).to_path_buf(),
                reason: e
                    .io_error()
                    .map_or_else(|| e.to_string(), ToString::to_string),
                unreadable: true,
            }),
        }
    }
    problems.append(&mut left_out);
    // By bytes: a stable order is all that is needed, and comparing paths component by
    // component cost 5% of a warm start of 100,000 files.
    files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    (files, problems)
}

/// Whether the walk takes `entry` in (and, for a folder, goes into it); what it leaves out
/// by a rule, rather than by an ignore pattern, goes to `left_out`.
fn admit(
    root: &Path,
    base_depth: usize,
    entry: &walkdir::DirEntry,
    filter: &Filter,
    visited: &mut HashSet<(u64, u64)>,
    left_out: &mut Vec<WalkProblem>,
) -> bool {
    let name = entry.file_name();
    if filter.is_ignored_name(&name.to_string_lossy()) {
        return false;
    }
    let path = entry.path();
    let mut leave_out = |reason: String| {
        left_out.push(WalkProblem {
            path: path.to_path_buf(),
            reason,
            unreadable: false,
        });
        false
    };
    if entry.path_is_symlink() && filter.follows_symlinks() {
        if let Err(reason) = link_target(root, path) {
            return leave_out(reason);
        }
    }
    let file_type = entry.file_type();
    if file_type.is_symlink() {
        // Not followed (`seeds.follow_symlinks` is off): listed when it leads to a folder or
        // bears an article's name, so that nobody wonders where it went.
        let to_folder = std::fs::metadata(path).is_ok_and(|md| md.is_dir());
        if to_folder || filter.has_article_extension(path) {
            return leave_out(format!(
                "symbolic link to {}, not followed (seeds.follow_symlinks is off)",
                describe_link(path)
            ));
        }
        return false;
    }
    let relevant =
        file_type.is_dir() || (file_type.is_file() && filter.has_article_extension(path));
    if relevant && name.to_str().is_none() {
        return leave_out("the name is not UTF-8, so it cannot be given a stable id".into());
    }
    if file_type.is_dir() {
        if base_depth + entry.depth() > MAX_DEPTH {
            return leave_out(format!("deeper than {MAX_DEPTH} folders, not read"));
        }
        // Through links, the same folder can be met under two names: walked once.
        return entry
            .metadata()
            .is_ok_and(|md| visited.insert((md.dev(), md.ino())));
    }
    true
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
        // The byte-prefix fast path must not take a sibling folder for the root, nor keep
        // the dot components the slow path normalises away.
        assert_eq!(store_key(root, Path::new("/srv/seedsx/b.txt")), None);
        assert_eq!(
            store_key(root, Path::new("/srv/seeds/a/./b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(
            store_key(root, Path::new("/srv/seeds//a/b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(store_key(root, Path::new("/srv/seeds/a/../b.txt")), None);
        assert_eq!(
            store_key(Path::new("/srv/seeds/"), Path::new("/srv/seeds/a.txt")).as_deref(),
            Some("a.txt")
        );
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
        // The link is not followed, and says so.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, root.join("link.txt"));
        assert!(problems[0].reason.contains("not followed"), "{problems:?}");
    }

    #[test]
    fn followed_links_stay_inside_the_seeds_folder_and_loops_end() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("secret.txt"), "Secret\nx.\n").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(root.join("real")).expect("mkdir");
        std::fs::write(root.join("real/a.txt"), "A\nx.\n").expect("write");
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).expect("symlink")
        };
        link(&root.join("real"), "alias");
        link(&root.join("real/a.txt"), "b.txt");
        link(&outside.path().join("secret.txt"), "leak.txt");
        link(outside.path(), "leakdir");
        link(&root, "real/loop");

        let mut settings = Settings::default();
        settings.seeds.follow_symlinks = true;
        let filter = Filter::new(&settings).expect("filter");
        let (files, problems) = walk(&root, &root, &filter);
        let keys: Vec<String> = files.iter().filter_map(|f| store_key(&root, f)).collect();
        // The folder is read once, under whichever name the walk met first; the file link is
        // followed; nothing outside comes in; the loop back to the root ends.
        assert!(keys.contains(&"b.txt".to_string()), "{keys:?}");
        assert_eq!(
            keys.iter().filter(|k| k.ends_with("a.txt")).count(),
            1,
            "{keys:?}"
        );
        assert!(!keys.iter().any(|k| k.contains("leak")), "{keys:?}");
        let outside_problems = problems
            .iter()
            .filter(|p| p.reason.contains("outside the seeds folder"))
            .count();
        assert_eq!(outside_problems, 2, "{problems:?}");
    }
}
