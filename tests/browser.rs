//! In a real browser (headless Chromium): the RSS and Atom feeds show as a styled page through
//! `/feed.xsl`, and the index and article pages render with their style sheet, all under the
//! Content-Security-Policy they are served with (a policy that blocked the XSLT or the style
//! sheet would leave Chromium's log with a violation and the style sheet unrequested).
//!
//! Chromium is installed by `.ci/run`. In CI (`CI` set) a missing Chromium fails the test;
//! elsewhere the test says what to install and passes without checking.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MALI_TITLE: &str =
    "Mali–Russie : Une convergence stratégique autour de la sécurité et de la souveraineté";

/// Longest a page load may take (Chromium's start included) before the test fails.
const LOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Chromium's path, or `None` (with a note) outside CI when it is not installed.
fn chromium() -> Option<String> {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if found.is_some() {
            return found;
        }
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !in_ci,
        "chromium missing in CI; apt-get install -y chromium"
    );
    eprintln!("NOT CHECKED: chromium missing; apt-get install -y chromium");
    None
}

/// The DOM Chromium builds for `url`, and what it logged.
fn dump_dom(chromium: &str, url: &str) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    while child.try_wait().expect("chromium status").is_none() {
        if started.elapsed() > LOAD_TIMEOUT {
            let _ = child.kill();
            panic!("chromium took over {LOAD_TIMEOUT:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// How many times the style sheets (`/style.css`, `/feed.xsl`) were served, from `/metrics`.
fn stylesheets_served(metrics: std::net::SocketAddr) -> u64 {
    request(metrics, "GET", "/metrics", &[])
        .text()
        .lines()
        .find(|l| {
            l.starts_with("seedfeed_http_requests_total{route=\"stylesheet\",status=\"200\"}")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// No line of Chromium's log reports a Content-Security-Policy violation.
fn assert_no_violation(log: &str, url: &str) {
    let violations: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Content Security Policy") || l.contains("Refused to"))
        .collect();
    assert!(violations.is_empty(), "{url}: {violations:#?}");
}

#[test]
fn feeds_show_as_a_styled_page_in_a_browser_under_their_csp() {
    let Some(chromium) = chromium() else { return };
    let ws = Workspace::with_samples();
    let daemon = ws.serve_with(&[], &[("SEEDFEED__METRICS__LISTEN", "127.0.0.1:0")]);
    let metrics = daemon.metrics_address();
    for path in ["/feed.atom", "/feed.rss"] {
        let url = format!("http://{}{path}", daemon.addr);
        let before = stylesheets_served(metrics);
        let (dom, log) = dump_dom(&chromium, &url);
        assert!(dom.contains("This is a web feed"), "{url}: {dom}\n{log}");
        assert!(dom.contains("<h1>seedfeed</h1>"), "{url}: {dom}");
        assert!(dom.contains(MALI_TITLE), "{url}: {dom}");
        assert!(
            dom.contains(&format!("<code class=\"feed-url\">{url}</code>")),
            "{dom}"
        );
        assert!(!dom.contains("<script"), "{dom}");
        assert_no_violation(&log, &url);
        // feed.xsl, then style.css for the page it made.
        assert_eq!(stylesheets_served(metrics) - before, 2, "{url}: {log}");
    }
    // A feed reader gets the feed's own type; the preview changes no byte.
    let reader = daemon.get("/feed.atom");
    let browser = daemon.request("GET", "/feed.atom", &[("Accept", "text/html,*/*;q=0.8")]);
    assert_eq!(
        reader.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert_eq!(
        browser.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    assert_eq!(reader.body, browser.body);
}

#[test]
fn pages_render_with_their_style_sheet_under_their_csp() {
    let Some(chromium) = chromium() else { return };
    let ws = Workspace::with_samples();
    let daemon = ws.serve_with(&[], &[("SEEDFEED__METRICS__LISTEN", "127.0.0.1:0")]);
    let metrics = daemon.metrics_address();
    let index = daemon.get("/");
    assert!(
        index
            .header("content-security-policy")
            .is_some_and(|csp| csp.starts_with("default-src 'none'") && !csp.contains("script")),
        "{:?}",
        index.header("content-security-policy")
    );
    let text = index.text();
    let page = text
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.contains("/articles/"))
        .map(site_path)
        .expect("an article link on the index");
    for path in ["/", page.as_str()] {
        let url = format!("http://{}{path}", daemon.addr);
        let before = stylesheets_served(metrics);
        let (dom, log) = dump_dom(&chromium, &url);
        assert!(dom.contains("<h1>"), "{url}: {dom}\n{log}");
        assert!(!dom.contains("<style"), "{url}: no inline style");
        assert_no_violation(&log, &url);
        assert_eq!(stylesheets_served(metrics) - before, 1, "{url}: {log}");
    }
}
