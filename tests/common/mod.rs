//! Test harness: runs the real `seedfeed` binary on a free port against temp folders and
//! talks plain HTTP/1.1 to it over a TCP socket.

#![allow(dead_code)]

pub(crate) mod hub;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bound for anything the daemon should do "within a fraction of a second"; generous
/// because CI machines are slow and shared. Not a performance target.
pub(crate) const SETTLE: Duration = Duration::from_secs(15);

/// The sample articles shipped in `seeds/`.
pub(crate) fn sample_seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// A temp folder with `seeds/` (optionally a copy of the samples) and `state/`.
pub(crate) struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub(crate) fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("seeds")).expect("mkdir seeds");
        Self { dir }
    }

    pub(crate) fn with_samples() -> Self {
        let ws = Self::empty();
        for entry in std::fs::read_dir(sample_seeds()).expect("read seeds") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), ws.seeds().join(entry.file_name())).expect("copy");
        }
        ws
    }

    /// A folder mixing sources, tags, languages and formats:
    /// - `lemonde/` holds the two French sample articles (one story, by Pierre and unsigned);
    /// - `rfi/` holds an English ECB story and a Markdown article tagged `Mali` and `Économie`;
    /// - the root holds a plain-text article tagged `mali, politique`.
    pub(crate) fn mixed() -> Self {
        let ws = Self::empty();
        let seeds = ws.seeds();
        for dir in ["lemonde", "rfi"] {
            std::fs::create_dir(seeds.join(dir)).expect("mkdir");
        }
        for entry in std::fs::read_dir(sample_seeds()).expect("samples") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), seeds.join("lemonde").join(entry.file_name()))
                .expect("copy");
        }
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/related");
        std::fs::copy(fixtures.join("en_ecb_cut_a.txt"), seeds.join("rfi/ecb.txt")).expect("copy");
        std::fs::write(
            seeds.join("rfi/gold.md"),
            "---\ntitle: Gold output in Mali\ndate: 2025-05-02\nauthor: Awa Traoré\n\
             tags: [Mali, Économie]\n---\n\nIndustrial gold output in Mali fell in the first \
             quarter, the mines ministry said.\n\n## Outlook\n\nOfficials expect a rebound once \
             the Loulo-Gounkoto complex restarts.\n",
        )
        .expect("write");
        std::fs::write(
            seeds.join("root.txt"),
            "Le gouvernement de transition publie son bilan\n2025-04-10\nTags: mali, politique\n\
             Le gouvernement de transition a publié jeudi un bilan de son action à Bamako.\n",
        )
        .expect("write");
        ws
    }

    pub(crate) fn seeds(&self) -> PathBuf {
        self.dir.path().join("seeds")
    }

    pub(crate) fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Starts `seedfeed serve` on this workspace with extra arguments.
    pub(crate) fn serve(&self, extra: &[&str]) -> Daemon {
        self.serve_with(extra, &[])
    }

    /// Starts `seedfeed serve` with extra arguments and environment variables.
    pub(crate) fn serve_with(&self, extra: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut cmd = seedfeed(self.dir.path());
        cmd.args(self.serve_args(extra));
        cmd.envs(env.iter().copied());
        Daemon::spawn(cmd)
    }

    /// The arguments of `seedfeed serve` on this workspace plus `extra`; on port 0 unless
    /// `extra` has a `--listen`.
    pub(crate) fn serve_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--seeds".into(),
            self.seeds().display().to_string(),
            "--state-dir".into(),
            self.state().display().to_string(),
        ];
        if !extra.contains(&"--listen") {
            args.extend(["--listen".into(), "127.0.0.1:0".into()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

/// Variables of the service manager that must not leak from the environment the tests run in
/// (say, a CI job under systemd) into the daemon.
pub(crate) const SERVICE_MANAGER_VARS: &[&str] = &[
    "JOURNAL_STREAM",
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
    "STATE_DIRECTORY",
];

/// A `Command` for the binary, run in `cwd`, with no `SEEDFEED__*` variables inherited.
pub(crate) fn seedfeed(cwd: &Path) -> Command {
    command(env!("CARGO_BIN_EXE_seedfeed"), cwd)
}

/// A `Command` for `program` (the binary, or a wrapper that execs it), run in `cwd`, with
/// no `SEEDFEED__*` or service-manager variables inherited.
pub(crate) fn command(program: &str, cwd: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(cwd);
    for (key, _) in std::env::vars() {
        if key.starts_with("SEEDFEED__") {
            cmd.env_remove(key);
        }
    }
    for key in SERVICE_MANAGER_VARS {
        cmd.env_remove(key);
    }
    cmd
}

/// A running daemon; killed on drop.
pub(crate) struct Daemon {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    pub(crate) fn start(cwd: &Path, args: &[String]) -> Self {
        let mut cmd = seedfeed(cwd);
        cmd.args(args);
        Self::spawn(cmd)
    }

    /// Runs `cmd` (program, arguments and environment set; see [`command`]) and waits until
    /// it listens and has indexed.
    pub(crate) fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .env("SEEDFEED__LOG__LEVEL", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn seedfeed");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = addr_tx.send(addr);
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let addr = match addr_rx.recv_timeout(SETTLE) {
            Ok(addr) => addr.parse().expect("listening address"),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "daemon did not start listening; log:\n{}",
                    log.lock().expect("log").join("\n")
                );
            }
        };
        let daemon = Self { child, addr, log };
        daemon.wait_for(|d| d.get("/healthz").status == 200, "first index");
        daemon
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    /// The address the metrics listener got (started with `metrics.listen` on port 0), from
    /// the log.
    pub(crate) fn metrics_address(&self) -> SocketAddr {
        self.log()
            .split("serving metrics at http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|addr| addr.parse().ok())
            .expect("metrics address in the log")
    }

    pub(crate) fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[])
    }

    pub(crate) fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.addr, method, path, headers)
    }

    /// Polls `cond` until it holds, failing the test with the log after [`SETTLE`].
    pub(crate) fn wait_for(&self, mut cond: impl FnMut(&Self) -> bool, what: &str) {
        let start = Instant::now();
        while start.elapsed() < SETTLE {
            if cond(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("timed out waiting for {what}; log:\n{}", self.log());
    }

    /// Kills the process with SIGKILL (a crash: no shutdown code runs) and waits for it.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }

    /// The daemon's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`HUP`, `TERM`) with the `kill` command.
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// True while the process has not exited.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub(crate) fn terminate(mut self) -> ExitStatus {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(start.elapsed() < SETTLE, "daemon ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// One request on a fresh connection (`Connection: close`), read to the end.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(SETTLE)).expect("read timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body,
    }
}

/// Parses XML strictly (roxmltree rejects any well-formedness error, including illegal
/// characters), panicking with the document on failure.
pub(crate) fn strict_xml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{text}"))
}

/// Parses a feed with feed-rs (an independent parser).
pub(crate) fn feed_rs(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).unwrap_or_else(|e| {
        panic!(
            "feed-rs rejects the feed: {e}\n{}",
            String::from_utf8_lossy(body)
        )
    })
}

/// The RSS items' `guid`s, in document order.
pub(crate) fn rss_guids(rss: &str) -> Vec<String> {
    strict_xml(rss)
        .descendants()
        .filter(|n| n.has_tag_name("guid"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

/// The RSS items' titles, in document order.
pub(crate) fn rss_item_titles(rss: &str) -> Vec<String> {
    strict_xml(rss)
        .descendants()
        .filter(|n| n.has_tag_name("item"))
        .filter_map(|item| {
            item.children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text().map(str::to_string))
        })
        .collect()
}

/// The path part of an absolute link to this site (`http://host:port/articles/x.html`).
pub(crate) fn site_path(link: &str) -> String {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/".to_string(), |i| after_scheme[i..].to_string())
}

/// Writes a file the way most tools do: to a temp name, then renamed into place.
pub(crate) fn write_atomically(path: &Path, content: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content).expect("write temp");
    std::fs::rename(&tmp, path).expect("rename into place");
}

/// The id of a file first seen at `key`, derived here from the documented rule (RFC 4122
/// name-based v5 UUID of the path, in the namespace v5(URL, "https://seedfeed.invalid/article"))
/// rather than by calling seedfeed's own function.
pub(crate) fn documented_id(key: &str) -> String {
    let namespace = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        b"https://seedfeed.invalid/article",
    );
    uuid::Uuid::new_v5(&namespace, key.as_bytes()).to_string()
}

/// Settings under which only a read of a file can notice that it changed: the poll watcher
/// with a one-minute interval, no periodic reconcile, and one item per feed (so that a start
/// reads only the newest article's body).
pub(crate) const EVENTLESS: &[(&str, &str)] = &[
    ("SEEDFEED__FEED__ITEMS", "1"),
    ("SEEDFEED__WATCH__MODE", "poll"),
    ("SEEDFEED__WATCH__POLL_INTERVAL_MS", "60000"),
    ("SEEDFEED__WATCH__RECONCILE_SECS", "0"),
];

/// Starts the daemon under [`EVENTLESS`] on files last written an hour ago, twice: the
/// second start trusts the first one's cached metadata, so no body but the newest article's
/// is in memory, and the next read of any other goes to the disk.
pub(crate) fn serve_eventless_with_bodies_on_disk(ws: &Workspace, files: &[&Path]) -> Daemon {
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for path in files {
        std::fs::File::options()
            .append(true)
            .open(path)
            .and_then(|f| f.set_modified(long_ago))
            .expect("set mtime");
    }
    assert!(ws.serve_with(&[], EVENTLESS).terminate().success());
    ws.serve_with(&[], EVENTLESS)
}
