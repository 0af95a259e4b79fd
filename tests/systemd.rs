//! End-to-end: the real binary as systemd runs it. `sd_notify` messages arrive on a datagram
//! socket the test owns; SIGHUP reloads the configuration; a listening socket passed as fd 3
//! (socket activation) is served; the unit files pass `deploy/check-unit.sh`.

mod common;

use std::net::{SocketAddr, TcpListener};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// Watchdog timeout given to the daemon: pings every 100 ms.
const WATCHDOG_USEC: &str = "200000";
/// How long the test counts watchdog pings after READY=1.
const WATCHDOG_WINDOW: Duration = Duration::from_secs(1);
/// Fewest pings expected in that window (ten are due; the rest is slack for a loaded machine).
const MIN_PINGS: usize = 3;

/// True when running in CI, where a missing tool fails a test instead of skipping it.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn channel_title(rss: &str) -> String {
    let doc = strict_xml(rss);
    let channel = doc
        .descendants()
        .find(|n| n.has_tag_name("channel"))
        .expect("channel");
    channel
        .children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_string()
}

/// One `sd_notify` datagram and when it arrived.
struct Note {
    at: Instant,
    text: String,
}

/// What the feed looked like the moment READY=1 arrived.
struct AtReady {
    health: u16,
    items: usize,
}

/// Receives datagrams on `socket` until `done`; on the first READY=1 it fetches `/healthz`
/// and the RSS feed from `addr` at once.
fn listen_for_notes(
    socket: UnixDatagram,
    addr: SocketAddr,
    notes: Arc<Mutex<Vec<Note>>>,
    at_ready: Arc<Mutex<Option<AtReady>>>,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !done.load(Ordering::Acquire) {
            let Ok(n) = socket.recv(&mut buf) else {
                continue;
            };
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let ready = text.lines().any(|l| l == "READY=1");
            notes.lock().expect("notes").push(Note {
                at: Instant::now(),
                text,
            });
            let mut seen = at_ready.lock().expect("at ready");
            if ready && seen.is_none() {
                let health = request(addr, "GET", "/healthz", &[]).status;
                let items = rss_item_titles(&request(addr, "GET", "/feed.rss", &[]).text()).len();
                *seen = Some(AtReady { health, items });
            }
        }
    })
}

#[test]
fn notifies_ready_after_the_first_index_then_watchdog_status_and_stopping() {
    let ws = Workspace::with_samples();
    let sockets = tempfile::tempdir().expect("temp dir");
    let notify_path = sockets.path().join("notify");
    let socket = UnixDatagram::bind(&notify_path).expect("bind notify socket");
    // A fixed port, so that the receiving thread can ask the daemon the moment READY comes.
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let notes = Arc::new(Mutex::new(Vec::new()));
    let at_ready = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    let receiver = listen_for_notes(
        socket,
        addr,
        Arc::clone(&notes),
        Arc::clone(&at_ready),
        Arc::clone(&done),
    );

    let mut cmd = seedfeed(ws.dir.path());
    cmd.args(ws.serve_args(&["--listen", &addr.to_string()]))
        .env("NOTIFY_SOCKET", &notify_path)
        .env("WATCHDOG_USEC", WATCHDOG_USEC);
    let daemon = Daemon::spawn(cmd);
    daemon.wait_for(|_| at_ready.lock().expect("at ready").is_some(), "READY=1");
    {
        let seen = at_ready.lock().expect("at ready");
        let seen = seen.as_ref().expect("READY=1 seen");
        assert_eq!(
            seen.health, 200,
            "READY=1 came before /healthz answered 200"
        );
        assert_eq!(seen.items, 2, "READY=1 came before the feed was complete");
    }
    let ready_at = {
        let notes = notes.lock().expect("notes");
        let ready = notes
            .iter()
            .find(|n| n.text.contains("READY=1"))
            .expect("READY=1");
        assert!(
            ready.text.contains("STATUS=serving 2 articles, 0 skipped"),
            "{}",
            ready.text
        );
        ready.at
    };

    std::thread::sleep((ready_at + WATCHDOG_WINDOW).saturating_duration_since(Instant::now()));
    let pings = notes
        .lock()
        .expect("notes")
        .iter()
        .filter(|n| n.text == "WATCHDOG=1" && n.at <= ready_at + WATCHDOG_WINDOW)
        .count();
    assert!(
        pings >= MIN_PINGS,
        "{pings} WATCHDOG=1 in {WATCHDOG_WINDOW:?}; log:\n{}",
        daemon.log()
    );

    // A publish sends the new counts.
    write_atomically(
        &ws.seeds().join("third.txt"),
        "A third article\n2025-05-01\nIts body.\n",
    );
    daemon.wait_for(
        |_| {
            notes
                .lock()
                .expect("notes")
                .iter()
                .any(|n| n.text == "STATUS=serving 3 articles, 0 skipped")
        },
        "STATUS= after a publish",
    );

    let status = daemon.terminate();
    assert!(status.success(), "exit status {status:?}");
    let deadline = Instant::now() + SETTLE;
    while !notes
        .lock()
        .expect("notes")
        .iter()
        .any(|n| n.text == "STOPPING=1")
    {
        assert!(Instant::now() < deadline, "no STOPPING=1 after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    done.store(true, Ordering::Release);
    receiver.join().expect("receiver thread");
    let notes = notes.lock().expect("notes");
    assert_eq!(
        notes.iter().filter(|n| n.text.contains("READY=1")).count(),
        1,
        "READY=1 is sent once"
    );
}

#[test]
fn sighup_reloads_the_configuration_and_keeps_it_when_the_file_is_broken() {
    let ws = Workspace::empty();
    std::fs::write(
        ws.seeds().join("a.txt"),
        "First article\n2025-04-03\nBody of the first article.\n",
    )
    .expect("write a.txt");
    std::fs::write(
        ws.seeds().join("b.md"),
        "---\ntitle: Second article\ndate: 2025-04-04\n---\nBody of the second one.\n",
    )
    .expect("write b.md");
    let config = ws.dir.path().join("seedfeed.toml");
    std::fs::write(&config, "[feed]\ntitle = \"Title A\"\n").expect("write config");
    let config_arg = config.display().to_string();
    let mut daemon = ws.serve(&["--config", &config_arg]);
    let rss = daemon.get("/feed.rss").text();
    assert_eq!(channel_title(&rss), "Title A");
    assert_eq!(rss_item_titles(&rss).len(), 2);

    // Feed metadata, file rules (only .txt now) and Cache-Control change live;
    // watch.debounce_ms needs a restart and keeps its value.
    std::fs::write(
        &config,
        "[feed]\ntitle = \"Title B\"\n[seeds]\nextensions = [\"txt\"]\n\
         [server]\ncache_max_age = 7\n[watch]\ndebounce_ms = 500\n",
    )
    .expect("rewrite config");
    daemon.signal("HUP");
    daemon.wait_for(
        |d| {
            let rss = d.get("/feed.rss").text();
            channel_title(&rss) == "Title B" && rss_item_titles(&rss) == ["First article"]
        },
        "title B and only the .txt article after SIGHUP",
    );
    assert_eq!(
        daemon.get("/feed.atom").header("cache-control"),
        Some("public, max-age=7")
    );
    assert!(
        daemon
            .log()
            .contains("watch.debounce_ms needs a restart; keeping 50"),
        "{}",
        daemon.log()
    );

    // A broken file: the error names the key, and everything stays as it was.
    std::fs::write(&config, "[feed]\ntitel = \"Title C\"\n").expect("break config");
    daemon.signal("HUP");
    daemon.wait_for(
        |d| d.log().contains("configuration not reloaded"),
        "the reload error",
    );
    let log = daemon.log();
    let error_line = log
        .lines()
        .find(|l| l.contains("configuration not reloaded"))
        .expect("error line");
    assert!(error_line.contains("ERROR"), "{error_line}");
    assert!(error_line.contains("titel"), "{error_line}");
    assert!(daemon.is_running());
    assert_eq!(daemon.get("/healthz").status, 200);
    let rss = daemon.get("/feed.rss").text();
    assert_eq!(channel_title(&rss), "Title B");
    assert_eq!(rss_item_titles(&rss), ["First article"]);
    let status = daemon.terminate();
    assert!(status.success(), "exit status {status:?}");
}

// Issue 17: after a reload every file is parsed again, chunk by chunk; a change made
// meanwhile is published before the reparse is done, not after it.
#[test]
fn changes_are_published_while_a_reload_parses_every_file_again() {
    let ws = Workspace::empty();
    const FILES: usize = 1500;
    for i in 0..FILES {
        std::fs::write(
            ws.seeds().join(format!("{i:04}.txt")),
            format!(
                "Article number {i} of the batch\n2025-01-02\nThe body of article {i} \
                 says something about the city council and its budget for the year.\n"
            ),
        )
        .expect("write");
    }
    let config = ws.dir.path().join("seedfeed.toml");
    std::fs::write(&config, "[feed]\ntitle = \"Title A\"\n").expect("write config");
    let config_arg = config.display().to_string();
    let daemon = ws.serve(&["--config", &config_arg]);
    std::fs::write(&config, "[feed]\ntitle = \"Title B\"\n").expect("rewrite config");
    daemon.signal("HUP");
    daemon.wait_for(
        |d| channel_title(&d.get("/feed.rss").text()) == "Title B",
        "the reloaded title, at once",
    );
    std::fs::write(
        ws.seeds().join("late.txt"),
        "Written during the reparse\n2026-01-01\nThis one arrives while the reload parses.\n",
    )
    .expect("write late.txt");
    daemon.wait_for(
        |d| {
            rss_item_titles(&d.get("/feed.rss").text())
                .contains(&"Written during the reparse".to_string())
        },
        "the file written during the reparse",
    );
    daemon.wait_for(
        |d| d.log().contains("every file parsed again"),
        "the end of the reparse",
    );
    let log = daemon.log();
    let published = log
        .find("Written during the reparse")
        .expect("publication logged");
    let reparsed = log.find("every file parsed again").expect("end logged");
    assert!(
        published < reparsed,
        "the change waited for the whole reparse:\n{log}"
    );
    assert_eq!(rss_item_titles(&daemon.get("/feed.rss").text()).len(), 50);
    let status = daemon.terminate();
    assert!(status.success(), "exit status {status:?}");
}

/// Execs the binary with stdin moved to fd 3 and `LISTEN_PID` = its own pid, as systemd does
/// for a socket unit: `$$` is the shell's pid, which `exec` keeps.
const SOCKET_ACTIVATE: &str = r#"exec 3<&0 0</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#;

#[test]
fn serves_the_socket_passed_by_the_service_manager() {
    let ws = Workspace::with_samples();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let passed = listener.local_addr().expect("addr");
    // server.listen names a port that is taken: binding it would fail the start.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let configured = taken.local_addr().expect("addr").to_string();

    let mut cmd = command("sh", ws.dir.path());
    cmd.arg("-c")
        .arg(SOCKET_ACTIVATE)
        .arg(env!("CARGO_BIN_EXE_seedfeed"))
        .args(ws.serve_args(&["--listen", &configured]))
        .stdin(Stdio::from(OwnedFd::from(listener)));
    let daemon = Daemon::spawn(cmd);
    assert_eq!(daemon.addr, passed);
    let rss = daemon.get("/feed.rss");
    assert_eq!(rss.status, 200);
    assert_eq!(rss_item_titles(&rss.text()).len(), 2);
    assert!(
        daemon.log().contains(&format!(
            "serving the socket passed by the service manager; server.listen ({configured}) is ignored"
        )),
        "{}",
        daemon.log()
    );
    let status = daemon.terminate();
    assert!(status.success(), "exit status {status:?}");
    drop(taken);
}

#[test]
fn deploy_units_pass_check_unit_sh() {
    let found = Command::new("sh")
        .args(["-c", "command -v systemd-analyze"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !in_ci(),
            "systemd-analyze missing in CI; install it with: apt-get install -y systemd"
        );
        eprintln!(
            "NOT CHECKED: systemd-analyze missing; install it with: apt-get install -y systemd"
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/check-unit.sh");
    let out = Command::new("sh")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_seedfeed"))
        .output()
        .expect("run check-unit.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check-unit.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("check-unit: all passed"), "{stdout}");
}
