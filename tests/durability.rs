//! End-to-end durability: slow writers, renames, a vanishing seeds folder, polling, bursts,
//! random churn under readers, and a SIGKILL in the middle of a burst. Real binary, real
//! files, real events, real HTTP.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// Every article these tests publish, with its id and date, read from the Atom feed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    id: String,
    published: String,
    content: String,
}

/// The Atom feed's entries by title; fails on an ill-formed feed or a repeated id.
fn items(daemon: &Daemon) -> BTreeMap<String, Item> {
    let res = daemon.get("/feed.atom");
    assert_eq!(res.status, 200, "GET /feed.atom");
    parse_items(&res.body)
}

fn parse_items(body: &[u8]) -> BTreeMap<String, Item> {
    strict_xml(std::str::from_utf8(body).expect("UTF-8 feed"));
    let feed = feed_rs(body);
    let mut ids = BTreeSet::new();
    let mut out = BTreeMap::new();
    for entry in feed.entries {
        assert!(
            ids.insert(entry.id.clone()),
            "id {} twice in one feed",
            entry.id
        );
        let title = entry.title.map(|t| t.content).unwrap_or_default();
        let item = Item {
            id: entry.id,
            published: entry.published.map(|d| d.to_rfc3339()).unwrap_or_default(),
            content: entry.content.and_then(|c| c.body).unwrap_or_default(),
        };
        assert!(
            out.insert(title.clone(), item).is_none(),
            "title {title} twice"
        );
    }
    out
}

fn article_count(daemon: &Daemon) -> usize {
    let status: serde_json::Value =
        serde_json::from_slice(&daemon.get("/status").body).expect("status JSON");
    status["articles"].as_u64().expect("articles") as usize
}

/// Feeds large enough to hold every article of these tests.
const ALL_ITEMS: (&str, &str) = ("SEEDFEED__FEED__ITEMS", "10000");

fn article(title: &str) -> String {
    format!(
        "{title}\n\nFirst paragraph of {title}, long enough to be a paragraph of text.\n\n\
         End of {title}.\n"
    )
}

/// The feed id of a file first seen at `key`.
fn urn(key: &str) -> String {
    format!("urn:uuid:{}", documented_id(key))
}

#[test]
fn slow_writer_is_published_once_and_complete() {
    let ws = Workspace::empty();
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    let path = ws.seeds().join("slow.txt");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(b"Slow article\n\nFirst paragraph, written before the pause.\n")
        .expect("write");
    file.flush().expect("flush");
    // Far longer than the debounce: a reader of events alone would publish half a file.
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        items(&daemon).is_empty(),
        "published while still being written"
    );
    file.write_all(b"\nEnd of the slow article.\n")
        .expect("write");
    drop(file);
    daemon.wait_for(|d| !items(d).is_empty(), "the closed file");
    let item = &items(&daemon)["Slow article"];
    assert!(
        item.content.contains("End of the slow article."),
        "{}",
        item.content
    );
    // One "published" and no "updated": readers never saw a truncated version.
    let log = daemon.log();
    let lines = |what: &str| {
        log.lines()
            .filter(|l| l.contains(what) && l.contains("file=\"slow.txt\""))
            .count()
    };
    assert_eq!((lines("published"), lines("updated")), (1, 0), "{log}");
}

#[test]
fn moved_file_keeps_its_id_and_date_and_is_never_listed_twice() {
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.seeds().join("a")).expect("mkdir");
    std::fs::create_dir_all(ws.seeds().join("b")).expect("mkdir");
    std::fs::write(ws.seeds().join("a/x.txt"), article("Moving article")).expect("write");
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    let before = items(&daemon)["Moving article"].clone();
    assert_eq!(before.id, urn("a/x.txt"));

    std::fs::rename(ws.seeds().join("a/x.txt"), ws.seeds().join("b/y.txt")).expect("mv");
    // Poll through the move: the article is there once (or briefly not at all), never twice.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        assert!(items(&daemon).len() <= 1);
    }
    daemon.wait_for(|d| d.log().contains("file=\"b/y.txt\""), "the move");
    assert_eq!(items(&daemon)["Moving article"], before);

    // And across a restart.
    drop(daemon);
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    assert_eq!(items(&daemon)["Moving article"], before);
}

/// The daemon started on `ws` with its seeds folder removed, once it has said so.
fn serve_without_seeds_folder(ws: &Workspace) -> Daemon {
    std::fs::remove_dir(ws.seeds()).expect("rmdir");
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    daemon.wait_for(
        |d| d.log().contains("does not exist"),
        "the missing folder's log line",
    );
    daemon
}

#[test]
fn missing_seeds_folder_is_waited_for_and_a_recreated_one_is_watched_again() {
    let ws = Workspace::empty();
    let daemon = serve_without_seeds_folder(&ws);
    assert!(items(&daemon).is_empty());

    std::fs::create_dir(ws.seeds()).expect("mkdir");
    std::fs::write(ws.seeds().join("one.txt"), article("First folder")).expect("write");
    daemon.wait_for(
        |d| items(d).contains_key("First folder"),
        "the new folder's article",
    );
    // The comparison right after the first index can find the new folder before the watcher
    // is armed on it (at the next check, within a second): the loss of a folder never watched
    // is not reported, so wait for the watch.
    daemon.wait_for(
        |d| d.log().contains("watching the seeds folder"),
        "the watch on the new folder",
    );

    // Deleted: the last known articles stay (an unmounted disk must not empty the feeds).
    std::fs::remove_dir_all(ws.seeds()).expect("rm -r");
    daemon.wait_for(
        |d| d.log().contains("seeds folder is gone"),
        "the loss noticed",
    );
    assert!(items(&daemon).contains_key("First folder"));

    // Re-created: watched again, and reconciled with what is now on disk.
    std::fs::create_dir(ws.seeds()).expect("mkdir");
    std::fs::write(ws.seeds().join("two.txt"), article("Second folder")).expect("write");
    daemon.wait_for(
        |d| items(d).keys().eq(["Second folder"].iter()),
        "only the new folder's article",
    );
    std::fs::write(ws.seeds().join("three.txt"), article("Third file")).expect("write");
    daemon.wait_for(|d| items(d).len() == 2, "an event in the re-created folder");
}

// The seeds folder is made canonical at start only when it exists: one that appears later
// as a link (to a disk mounted elsewhere) is watched through it, a subfolder made in it
// afterwards too (each folder is watched on its own).
#[test]
fn a_seeds_folder_that_appears_as_a_link_is_watched_through_it() {
    let ws = Workspace::empty();
    let daemon = serve_without_seeds_folder(&ws);
    let elsewhere = ws.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::write(elsewhere.join("one.txt"), article("Linked folder")).expect("write");
    std::os::unix::fs::symlink(&elsewhere, ws.seeds()).expect("symlink");
    daemon.wait_for(
        |d| items(d).contains_key("Linked folder"),
        "the linked folder's article",
    );
    std::fs::create_dir(ws.seeds().join("sub")).expect("mkdir");
    std::fs::write(ws.seeds().join("sub/two.txt"), article("In a subfolder")).expect("write");
    daemon.wait_for(
        |d| items(d).contains_key("In a subfolder"),
        "an event in a new subfolder of the linked folder",
    );
}

#[test]
fn poll_mode_follows_changes() {
    let ws = Workspace::empty();
    let daemon = ws.serve_with(
        &[],
        &[
            ALL_ITEMS,
            ("SEEDFEED__WATCH__MODE", "poll"),
            ("SEEDFEED__WATCH__POLL_INTERVAL_MS", "100"),
            ("SEEDFEED__WATCH__WRITE_SETTLE_MS", "200"),
        ],
    );
    let path = ws.seeds().join("polled.txt");
    std::fs::write(&path, article("Polled article")).expect("write");
    daemon.wait_for(|d| items(d).contains_key("Polled article"), "the new file");
    std::fs::remove_file(&path).expect("rm");
    daemon.wait_for(|d| items(d).is_empty(), "the removal");
}

/// Writes `n` articles `burst/NNNNN.txt` as fast as possible.
fn burst(seeds: &Path, n: usize) {
    std::fs::create_dir_all(seeds.join("burst")).expect("mkdir");
    for i in 0..n {
        std::fs::write(
            seeds.join(format!("burst/{i:05}.txt")),
            article(&format!("Burst {i:05}")),
        )
        .expect("write");
    }
}

#[test]
fn a_burst_of_ten_thousand_files_is_all_published_in_few_renders() {
    const FILES: usize = 10_000;
    let ws = Workspace::empty();
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    burst(&ws.seeds(), FILES);
    let start = Instant::now();
    while article_count(&daemon) < FILES {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{} of {FILES} published after 2 min",
            article_count(&daemon)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let titles = items(&daemon);
    assert_eq!(titles.len(), FILES);
    assert!(titles.contains_key("Burst 00000") && titles.contains_key("Burst 09999"));
    // Batches, not one render per file.
    let renders = daemon
        .log()
        .lines()
        .filter(|l| l.contains("feeds rendered"))
        .count();
    assert!(renders < FILES / 20, "{renders} renders for {FILES} files");
}

#[test]
fn sigkill_mid_burst_loses_no_id_or_date() {
    const FILES: usize = 3_000;
    let ws = Workspace::empty();
    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    let seeds = ws.seeds();
    let writer = std::thread::spawn(move || burst(&seeds, FILES));
    daemon.wait_for(|d| article_count(d) >= FILES / 4, "a quarter of the burst");
    let before = items(&daemon);
    daemon.kill();
    writer.join().expect("writer");

    let daemon = ws.serve_with(&[], &[ALL_ITEMS]);
    daemon.wait_for(
        |d| article_count(d) == FILES,
        "every file after the restart",
    );
    let after = items(&daemon);
    assert_eq!(after.len(), FILES);
    for (title, item) in &before {
        assert_eq!(
            after.get(title),
            Some(item),
            "{title} changed across the crash"
        );
    }
    for (title, item) in &after {
        let key = format!("burst/{}.txt", title.trim_start_matches("Burst "));
        assert_eq!(item.id, urn(&key));
        assert!(item.content.contains(&format!("End of {title}.")));
    }
}

/// A small deterministic generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// A file the stress test put on disk: its title and every path it had.
struct Model {
    title: String,
    paths: Vec<String>,
    /// Cleared by a slow writer's thread once it has written its last byte: until then an
    /// in-place rewrite would interleave with it (two writers on one file).
    writer_busy: Arc<AtomicBool>,
}

#[test]
fn random_churn_under_readers_ends_with_exactly_the_files_on_disk() {
    const OPERATIONS: usize = 2_000;
    const SEED: u64 = 0x5eed_f00d;
    let ws = Workspace::empty();
    let seeds = ws.seeds();
    let dirs = ["", "news/", "news/world/", "blog/"];
    for dir in dirs {
        std::fs::create_dir_all(seeds.join(dir)).expect("mkdir");
    }
    let daemon = Arc::new(ws.serve_with(&[], &[ALL_ITEMS]));

    // Readers poll feeds and pages all along; any 5xx or ill-formed feed fails the test.
    let stop = Arc::new(AtomicBool::new(false));
    let fetched = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (daemon, stop, fetched) =
                (Arc::clone(&daemon), Arc::clone(&stop), Arc::clone(&fetched));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for path in ["/feed.atom", "/feed.rss", "/", "/status"] {
                        let res = daemon.get(path);
                        assert!(res.status < 500, "{path}: {}", res.status);
                        if res.status == 200 && path.starts_with("/feed") {
                            let text = String::from_utf8(res.body).expect("UTF-8");
                            strict_xml(&text);
                            feed_rs(text.as_bytes());
                        }
                        fetched.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    let mut rng = Rng(SEED);
    let mut live: Vec<Model> = Vec::new();
    let mut counter = 0usize;
    let mut fresh = |rng: &mut Rng| {
        counter += 1;
        format!("{}f{counter:05}.txt", dirs[rng.below(dirs.len())])
    };
    let mut slow_writers = Vec::new();
    for op in 0..OPERATIONS {
        let title = format!("Churn {op:05}");
        match rng.below(10) {
            // Create.
            0..=2 => {
                let path = fresh(&mut rng);
                std::fs::write(seeds.join(&path), article(&title)).expect("create");
                live.push(Model {
                    title,
                    paths: vec![path],
                    writer_busy: Arc::default(),
                });
            }
            // Modify in place.
            3 if !live.is_empty() => {
                let i = rng.below(live.len());
                let m = &mut live[i];
                if m.writer_busy.load(Ordering::Acquire) {
                    continue;
                }
                let path = m.paths.last().expect("path").clone();
                std::fs::write(seeds.join(&path), article(&title)).expect("modify");
                m.title = title;
            }
            // Atomic replace (temp name, then rename over).
            4 if !live.is_empty() => {
                let i = rng.below(live.len());
                let m = &mut live[i];
                let path = m.paths.last().expect("path").clone();
                write_atomically(&seeds.join(&path), &article(&title));
                m.title = title;
            }
            // Rename, possibly into another folder.
            5 | 6 if !live.is_empty() => {
                let i = rng.below(live.len());
                let to = fresh(&mut rng);
                let from = live[i].paths.last().expect("path").clone();
                std::fs::rename(seeds.join(&from), seeds.join(&to)).expect("rename");
                live[i].paths.push(to);
            }
            // Delete.
            7 if !live.is_empty() => {
                let m = live.swap_remove(rng.below(live.len()));
                std::fs::remove_file(seeds.join(m.paths.last().expect("path"))).expect("rm");
            }
            // Slow partial write, finished by a thread later on.
            8 => {
                let path = fresh(&mut rng);
                let full = article(&title);
                let mut file = std::fs::File::create(seeds.join(&path)).expect("create");
                let (head, tail) = full.split_at(full.len() / 2);
                file.write_all(head.as_bytes()).expect("write");
                let pause = Duration::from_millis(100 + rng.below(300) as u64);
                let tail = tail.to_string();
                let writer_busy = Arc::new(AtomicBool::new(true));
                let busy = Arc::clone(&writer_busy);
                slow_writers.push(std::thread::spawn(move || {
                    std::thread::sleep(pause);
                    file.write_all(tail.as_bytes()).expect("write");
                    drop(file);
                    busy.store(false, Ordering::Release);
                }));
                live.push(Model {
                    title,
                    paths: vec![path],
                    writer_busy,
                });
            }
            _ => std::thread::sleep(Duration::from_millis(rng.below(5) as u64)),
        }
    }
    for writer in slow_writers {
        writer.join().expect("slow writer");
    }

    let expected: BTreeMap<&str, &Model> = live.iter().map(|m| (m.title.as_str(), m)).collect();
    let matches = |d: &Daemon| {
        let got = items(d);
        got.len() == expected.len() && got.keys().all(|t| expected.contains_key(t.as_str()))
    };
    daemon.wait_for(matches, "the feeds to match the files on disk");
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().expect("reader");
    }
    assert!(fetched.load(Ordering::Relaxed) > 0);

    // Each article's id is that of one of the paths its file had (a rename keeps the id
    // when the move is seen as one; a move merged with an edit may be a new article).
    let got = items(&daemon);
    for (title, item) in &got {
        let model = expected[title.as_str()];
        let allowed: Vec<String> = model.paths.iter().map(|p| urn(p)).collect();
        assert!(
            allowed.contains(&item.id),
            "{title}: {} not in {allowed:?}",
            item.id
        );
        assert!(
            item.content.contains(&format!("End of {title}.")),
            "{title} truncated"
        );
    }
    // Nothing is read differently after a restart.
    let daemon = Arc::try_unwrap(daemon).ok().expect("readers are done");
    drop(daemon);
    let restarted = ws.serve_with(&[], &[ALL_ITEMS]);
    assert_eq!(items(&restarted), got);
}
