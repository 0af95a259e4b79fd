//! The feeds served from the sample seeds pass checks by software nobody here wrote:
//! `../shared/tools/feedcheck` (feedparser with bozo=0, jing against the RFC 4287 schema, and
//! the newsboat reader loading every item).
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

#[test]
fn sample_feeds_pass_feedcheck_and_newsboat() {
    let tool = feedcheck();
    let missing = missing_checkers(&tool);
    if !missing.is_empty() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        let advice =
            "install them with: apt-get install -y jing newsboat && pip install feedparser";
        assert!(!in_ci, "feed checkers missing in CI: {missing:?}; {advice}");
        eprintln!("NOT CHECKED: feed checkers missing ({missing:?}); {advice}");
        return;
    }
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&[]);
    let rss = format!("http://{}/feed.rss", daemon.addr);
    let atom = format!("http://{}/feed.atom", daemon.addr);
    let out = Command::new(&tool)
        .args([&rss, &atom])
        .output()
        .expect("run feedcheck");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "feedcheck failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    assert!(stdout.contains("feedcheck: 2 feeds, 0 failed checks"));
}
