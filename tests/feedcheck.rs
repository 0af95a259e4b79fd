//! The feeds served from the sample seeds and from a mixed folder (sources, tags, Markdown,
//! two languages) pass checks by software nobody here wrote: `../shared/tools/feedcheck`
//! (feedparser with bozo=0, jing against the RFC 4287 schema, and the newsboat reader loading
//! every item) for every RSS and Atom feed: main, per source, per tag, filtered, archive.
//! Neither feedparser 6 nor newsboat 2.21 reads JSON Feed, so the JSON feeds are read by
//! feed-rs (another independent parser) and must hold the same items as their Atom twins.
//!
//! The checkers (jing, newsboat, Python feedparser) are installed by `.ci/run`. In CI
//! (`CI` set) a missing checker fails the test; on a developer's machine without them the
//! test says what to install and passes without checking.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn feedcheck() -> PathBuf {
    std::env::var_os("SEEDFEED_FEEDCHECK").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/feedcheck"),
        PathBuf::from,
    )
}

/// What is missing for the external checks, if anything.
fn missing_checkers(tool: &std::path::Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !tool.is_file() {
        missing.push(tool.display().to_string());
    }
    for program in ["jing", "newsboat"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            missing.push(program.to_string());
        }
    }
    let feedparser = Command::new("python3")
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !feedparser {
        missing.push("python3 feedparser".to_string());
    }
    missing
}

/// Runs feedcheck on `paths` of `daemon`; false (with a note) when the checkers are missing
/// outside CI.
fn run_feedcheck(daemon: &Daemon, paths: &[String]) -> Option<String> {
    let tool = feedcheck();
    let missing = missing_checkers(&tool);
    if !missing.is_empty() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        let advice =
            "install them with: apt-get install -y jing newsboat && pip install feedparser";
        assert!(!in_ci, "feed checkers missing in CI: {missing:?}; {advice}");
        eprintln!("NOT CHECKED: feed checkers missing ({missing:?}); {advice}");
        return None;
    }
    let urls: Vec<String> = paths
        .iter()
        .map(|p| format!("http://{}{p}", daemon.addr))
        .collect();
    let out = Command::new(&tool)
        .args(&urls)
        .output()
        .expect("run feedcheck");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success(),
        "feedcheck failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "feedcheck: {} feeds, 0 failed checks",
            paths.len()
        )),
        "{stdout}"
    );
    Some(stdout)
}

/// Every JSON feed parses with feed-rs and has the same entries as the Atom feed beside it.
fn check_json_twins(daemon: &Daemon, atom_paths: &[String]) {
    for atom in atom_paths {
        let json = atom.replacen(".atom", ".json", 1);
        let ids = |path: &str| -> Vec<String> {
            let response = daemon.get(path);
            assert_eq!(response.status, 200, "{path}");
            feed_rs(&response.body)
                .entries
                .into_iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(ids(&json), ids(atom), "{json}");
    }
}

#[test]
fn sample_feeds_pass_feedcheck_and_newsboat() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&[]);
    let paths = ["/feed.rss", "/feed.atom"].map(String::from);
    check_json_twins(&daemon, &["/feed.atom".to_string()]);
    let Some(stdout) = run_feedcheck(&daemon, &paths) else {
        return;
    };
    // Each check really ran: jing on Atom, newsboat on both, two items each.
    assert!(
        stdout.contains("valid against"),
        "jing did not run:\n{stdout}"
    );
    assert_eq!(
        stdout.matches("newsboat-check: OK, 2 items").count(),
        2,
        "{stdout}"
    );
}

#[test]
fn every_feed_of_a_mixed_folder_passes_feedcheck() {
    let ws = Workspace::mixed();
    // Three items per page, so that the main feed has archive pages.
    let daemon = ws.serve_with(&[], &[("SEEDFEED__FEED__ITEMS", "3")]);
    let mut atom_paths = Vec::new();
    let mut paths = Vec::new();
    for prefix in [
        "",
        "/sources/lemonde",
        "/sources/rfi",
        "/tags/mali",
        "/tags/%C3%A9conomie",
    ] {
        for ext in ["rss", "atom"] {
            paths.push(format!("{prefix}/feed.{ext}"));
        }
        atom_paths.push(format!("{prefix}/feed.atom"));
    }
    for extra in [
        "/archive/1.rss",
        "/archive/1.atom",
        "/feed.atom?lang=fr&q=mali",
    ] {
        paths.push(extra.to_string());
    }
    atom_paths.push("/archive/1.atom".to_string());
    check_json_twins(&daemon, &atom_paths);
    run_feedcheck(&daemon, &paths);
}
