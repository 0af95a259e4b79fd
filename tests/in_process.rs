//! The daemon started from the library, as tokio-rs/mini-redis's `tests/server.rs` starts its
//! server: on a `127.0.0.1:0` listener bound here, with a shutdown future, in this process.
//! The binary-level tests cover the command line, signals and systemd; this one shows that
//! `seedfeed::run` is a complete daemon on its own.

use std::time::Duration;

use seedfeed::Reloads;
use seedfeed::config::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest wait for the first index or a change to show.
const SETTLE: Duration = Duration::from_secs(15);

/// `GET path` over a new connection; the status code and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Polls `path` until `done` holds for its body, or fails after [`SETTLE`].
async fn wait_for(addr: std::net::SocketAddr, path: &str, done: impl Fn(&str) -> bool) {
    let started = tokio::time::Instant::now();
    loop {
        let (status, body) = get(addr, path).await;
        if status == 200 && done(&body) {
            return;
        }
        assert!(started.elapsed() < SETTLE, "{path}: {status}\n{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_runs_from_the_library_on_port_zero_and_shuts_down() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeds = dir.path().join("seeds");
    std::fs::create_dir(&seeds).expect("mkdir");
    std::fs::write(
        seeds.join("first.txt"),
        "First in-process article\n2025-04-03\n\nA body of ordinary text.\n",
    )
    .expect("write");
    let mut settings = Settings::default();
    settings.seeds.dir = seeds.clone();
    settings.state.dir = dir.path().join("state");
    settings.watch.debounce_ms = 20;

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let daemon = tokio::spawn(seedfeed::run(
        settings,
        listener,
        shutdown,
        Reloads::disabled(),
    ));

    wait_for(addr, "/feed.atom", |feed| {
        feed.contains("First in-process article")
    })
    .await;
    // The watcher runs too: a new file shows in the feed.
    std::fs::write(
        seeds.join("second.txt"),
        "Second in-process article\n2025-04-04\n\nAnother body of text.\n",
    )
    .expect("write");
    wait_for(addr, "/feed.json", |feed| {
        feed.contains("Second in-process article")
    })
    .await;

    stop.send(()).expect("the daemon is running");
    let outcome = tokio::time::timeout(SETTLE, daemon)
        .await
        .expect("shuts down in time")
        .expect("the task did not panic");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}
