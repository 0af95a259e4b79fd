//! The one-shot commands through the real binary: inspect, build, config, and start-up errors.

mod common;

use common::*;
use serde_json::Value;

fn run(ws: &Workspace, args: &[&str]) -> std::process::Output {
    seedfeed(ws.dir.path())
        .args(args)
        .output()
        .expect("run seedfeed")
}

/// Runs a command that must exit by itself (start-up errors); kills it and fails if it is
/// still running after [`SETTLE`], so a daemon that wrongly starts cannot hang the suite.
fn run_to_exit(mut cmd: std::process::Command) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > SETTLE {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running: it should have refused to start\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn inspect_explain_names_each_lines_role_and_signal() {
    let ws = Workspace::empty();
    let file = ws.seeds().join("combined.txt");
    std::fs::write(
        &file,
        "Accueil › Monde › Afrique\nLe festival dévoile sa programmation\n\
         Par Claire Dubois et Léa Roux · 17 juin 2025, 12h30\n\n\
         Le festival a dévoilé mardi la programmation de sa prochaine édition, très attendue.\n",
    )
    .expect("write");
    let out = run(&ws, &["inspect", "--explain", file.to_str().expect("path")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "breadcrumb",
        "best headline score",
        "author + date",
        "byline word",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let json = run(
        &ws,
        &[
            "inspect",
            "--json",
            "--explain",
            file.to_str().expect("path"),
        ],
    );
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report["author"], "Claire Dubois et Léa Roux");
    assert_eq!(report["date"], "2025-06-17T12:30:00Z");
    assert!(report["explained"].as_array().is_some_and(|a| a.len() >= 4));
}

#[test]
fn inspect_json_reads_both_sample_shapes() {
    let ws = Workspace::with_samples();
    let lavrov = ws.seeds().join("000_5f06b2f05f265a12.txt");
    let mali = ws.seeds().join("004_69041eb86f7197d0.txt");
    let out = run(
        &ws,
        &[
            "inspect",
            "--json",
            "--seeds",
            "seeds",
            &lavrov.display().to_string(),
            &mali.display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let [lavrov, mali] = json.as_array().expect("array for several files").as_slice() else {
        panic!("two reports expected: {json}");
    };

    assert_eq!(
        lavrov["title"],
        "Russie : Sergueï Lavrov promet une coopération militaire renforcée avec le Mali"
    );
    assert_eq!(lavrov["date"], "2025-04-03T00:00:00Z");
    assert_eq!(lavrov["date_source"], "metadata");
    assert_eq!(lavrov["author"], "Pierre");
    assert_eq!(lavrov["language"], "fr");
    assert_eq!(lavrov["skipped"], Value::Null);
    let paragraphs = lavrov["paragraphs"].as_array().expect("paragraphs");
    assert_eq!(paragraphs.len(), 5);
    assert!(
        paragraphs[0]
            .as_str()
            .expect("text")
            .starts_with("Ce jeudi, la Russie a annoncé")
    );
    assert!(
        paragraphs[4]
            .as_str()
            .expect("text")
            .ends_with("est en pleine mutation.")
    );
    assert_eq!(lavrov["headings"].as_array().map(Vec::len), Some(0));
    assert!(
        lavrov["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Ce jeudi"))
    );

    assert_eq!(
        mali["title"],
        "Mali–Russie : Une convergence stratégique autour de la sécurité et de la souveraineté"
    );
    assert_eq!(mali["date"], "2025-04-04T00:00:00Z");
    assert_eq!(mali["date_source"], "text");
    assert_eq!(mali["author"], Value::Null);
    assert_eq!(mali["language"], "fr");
    let headings: Vec<&str> = mali["headings"]
        .as_array()
        .expect("headings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        headings,
        [
            "Soutien russe constant et amélioration sécuritaire sur le terrain",
            "Huit mois de l’AES : vers une force militaire commune et une voix unifiée",
            "Vision partagée avec la Russie : souveraineté, intégrité et multipolarité",
            "Un repositionnement régional assumé",
        ]
    );
    let paragraphs = mali["paragraphs"].as_array().expect("paragraphs");
    assert!(
        paragraphs
            .last()
            .and_then(Value::as_str)
            .is_some_and(|p| p.ends_with("la stabilité et le développement concerté."))
    );
    assert!(
        paragraphs
            .iter()
            .all(|p| !p.as_str().unwrap_or("").contains("Lire La"))
    );
    let stripped: Vec<&str> = mali["stripped"]
        .as_array()
        .expect("stripped")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        stripped,
        [
            "Lire La Précédente",
            "Un joueur du Stade Brestois bientôt en sélection malienne ?",
            "Lire La Suite",
            "Près de Deux Tonnes de Poulet Non Comestible Saisies et Détruites à Diéma",
            "Les Plus Populaires",
        ]
    );
    // The id is the one the daemon gives the same file.
    assert_eq!(lavrov["id"], "f5574169-dd9c-5fb6-a824-6a26fa1ebc49");
    assert_eq!(
        lavrov["path"],
        ws.seeds()
            .join("000_5f06b2f05f265a12.txt")
            .display()
            .to_string()
    );
}

#[test]
fn inspect_a_skipped_file_exits_non_zero_with_the_reason() {
    let ws = Workspace::empty();
    let bad = ws.seeds().join("bad.txt");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n\0\0").expect("write");
    let out = run(&ws, &["inspect", "--json", &bad.display().to_string()]);
    assert!(!out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert!(
        json["skipped"].as_str().is_some_and(|s| s.contains("PNG")),
        "{json}"
    );
    let out = run(&ws, &["inspect", &bad.display().to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("SKIPPED"));
}

#[test]
fn build_writes_feeds_and_pages() {
    let ws = Workspace::with_samples();
    let out_dir = ws.dir.path().join("out");
    let out = run(
        &ws,
        &[
            "build",
            "--out",
            "out",
            "--seeds",
            "seeds",
            "--state-dir",
            "state",
            "--base-url",
            "https://news.example.test",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = std::fs::read(out_dir.join("feed.rss")).expect("feed.rss");
    let atom = std::fs::read(out_dir.join("feed.atom")).expect("feed.atom");
    assert_eq!(feed_rs(&rss).entries.len(), 2);
    let atom = feed_rs(&atom);
    assert_eq!(atom.entries.len(), 2);
    for entry in &atom.entries {
        let href = &entry.links[0].href;
        let relative = href
            .strip_prefix("https://news.example.test/")
            .expect("link on the base URL");
        assert!(out_dir.join(relative).is_file(), "{href} has a page");
    }
    assert!(out_dir.join("index.html").is_file());
}

#[test]
fn config_prints_the_merged_layers() {
    let ws = Workspace::empty();
    std::fs::write(
        ws.dir.path().join("my.toml"),
        "[feed]\ntitle = \"From file\"\nitems = 9\n",
    )
    .expect("write");
    let out = seedfeed(ws.dir.path())
        .args([
            "config",
            "--config",
            "my.toml",
            "--listen",
            "127.0.0.1:9999",
        ])
        .env("SEEDFEED__FEED__ITEMS", "12")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: toml::Table = String::from_utf8_lossy(&out.stdout).parse().expect("TOML");
    assert_eq!(printed["feed"]["title"].as_str(), Some("From file"));
    assert_eq!(printed["feed"]["items"].as_integer(), Some(12));
    assert_eq!(printed["server"]["listen"].as_str(), Some("127.0.0.1:9999"));
}

#[test]
fn bad_configuration_fails_at_start_naming_the_key() {
    let ws = Workspace::empty();
    for (toml, key) in [
        ("[feed]\nitems = \"lots\"\n", "feed.items"),
        ("[feed]\ntitel = \"x\"\n", "titel"),
        ("[server]\nlisten = \"nowhere\"\n", "server.listen"),
        ("[server]\nbase_url = \"not a url\"\n", "server.base_url"),
    ] {
        std::fs::write(ws.dir.path().join("bad.toml"), toml).expect("write");
        let mut cmd = seedfeed(ws.dir.path());
        cmd.args(["serve", "--config", "bad.toml"]);
        let out = run_to_exit(cmd);
        assert!(!out.status.success(), "{toml} must be refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(key), "{toml}: {stderr}");
    }
    let mut cmd = seedfeed(ws.dir.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("SEEDFEED__SERVER__PORTT", "1");
    let out = run_to_exit(cmd);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("portt"));
}

#[test]
fn seeds_path_that_is_a_file_fails_at_start_naming_it() {
    let ws = Workspace::empty();
    std::fs::write(ws.dir.path().join("not-a-folder"), "x").expect("write");
    let mut cmd = seedfeed(ws.dir.path());
    cmd.args([
        "serve",
        "--seeds",
        "not-a-folder",
        "--listen",
        "127.0.0.1:0",
    ]);
    let out = run_to_exit(cmd);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not-a-folder") && stderr.contains("seeds.dir"),
        "{stderr}"
    );
}

// Issue 16, item 4: one ignore policy. `inspect` said an editor backup (`name~`) was
// publishable though the daemon ignores it; office lock files and Vim's write probe were
// published. Both now apply `seeds.ignore` and `seeds.extensions` the same way.
#[test]
fn inspect_and_the_daemon_ignore_the_same_names() {
    let ws = Workspace::empty();
    let article = "A title\n2025-04-03\n\nA paragraph of ordinary text.\n";
    let ignored = [
        "notes.txt~",
        "~$report.txt",
        ".~lock.report.txt#",
        "#draft.txt#",
        "4913",
        ".nfs000000001",
        "page.txt.crdownload",
        "photo.jpg",
    ];
    for name in ignored.iter().chain(&["kept.txt"]) {
        std::fs::write(ws.seeds().join(name), article).expect("write");
    }
    for name in ignored {
        let path = ws.seeds().join(name).display().to_string();
        let out = run(&ws, &["inspect", "--json", &path]);
        assert!(!out.status.success(), "{name}");
        let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert!(
            json["skipped"]
                .as_str()
                .is_some_and(|s| s.starts_with("ignored: ")),
            "{name}: {json}"
        );
    }
    let kept = ws.seeds().join("kept.txt").display().to_string();
    assert!(run(&ws, &["inspect", &kept]).status.success());

    let daemon = ws.serve(&[]);
    let feed: Value = serde_json::from_slice(&daemon.get("/feed.json").body).expect("JSON Feed");
    let items = feed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{feed}");
    let status = daemon.get("/status").text();
    assert!(status.contains("\"skipped_total\": 0"), "{status}");
}
