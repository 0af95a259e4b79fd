//! End-to-end tests of the aggregator features through the real binary: per-source and
//! per-tag feeds, JSON Feed, OPML, query filters, archive pages (RFC 5005), WebSub pings to a
//! stand-in hub, related stories, discovery `Link` headers and `/metrics`.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

use common::hub::Hub;
use common::*;

/// The ids (`urn:uuid:…`) of a feed's entries, as an independent parser reads them.
fn ids(daemon: &Daemon, path: &str) -> Vec<String> {
    let response = daemon.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    feed_rs(&response.body)
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect()
}

fn id_of(key: &str) -> String {
    format!("urn:uuid:{}", documented_id(key))
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

#[test]
fn source_and_tag_feeds_hold_exactly_their_articles_in_every_format() {
    let ws = Workspace::mixed();
    let daemon = ws.serve(&[]);
    let samples: Vec<String> = std::fs::read_dir(sample_seeds())
        .expect("samples")
        .map(|e| {
            id_of(&format!(
                "lemonde/{}",
                e.expect("entry").file_name().to_string_lossy()
            ))
        })
        .collect();
    let expected = [
        ("/sources/lemonde/feed", set(&samples)),
        (
            "/sources/rfi/feed",
            set(&[id_of("rfi/ecb.txt"), id_of("rfi/gold.md")]),
        ),
        (
            "/tags/mali/feed",
            set(&[id_of("rfi/gold.md"), id_of("root.txt")]),
        ),
        ("/tags/politique/feed", set(&[id_of("root.txt")])),
        ("/tags/%C3%A9conomie/feed", set(&[id_of("rfi/gold.md")])),
    ];
    for (prefix, want) in &expected {
        for ext in ["rss", "atom", "json"] {
            let got = ids(&daemon, &format!("{prefix}.{ext}"));
            assert_eq!(got.len(), want.len(), "{prefix}.{ext} repeats an item");
            assert_eq!(&set(&got), want, "{prefix}.{ext}");
        }
    }
    // The JSON feed has the same items, ids and dates as the RSS and Atom feeds.
    let json = feed_rs(&daemon.get("/feed.json").body);
    let atom = feed_rs(&daemon.get("/feed.atom").body);
    let dated = |f: &feed_rs::model::Feed| -> Vec<(String, Option<String>)> {
        f.entries
            .iter()
            .map(|e| (e.id.clone(), e.published.map(|d| d.to_rfc3339())))
            .collect()
    };
    assert_eq!(dated(&json), dated(&atom));
    assert_eq!(ids(&daemon, "/feed.rss"), ids(&daemon, "/feed.json"));
    assert_eq!(json.entries.len(), 5);
    let content_type = daemon.get("/feed.json");
    assert_eq!(
        content_type.header("content-type"),
        Some("application/feed+json; charset=utf-8")
    );
    // No such source or tag; a name not written the way links write it.
    for path in [
        "/sources/nope/feed.rss",
        "/tags/nope/feed.atom",
        "/tags/économie/feed.rss",
    ] {
        assert_eq!(daemon.get(path).status, 404, "{path}");
    }
    // OPML lists every feed, each of which answers.
    let opml = daemon.get("/opml.xml");
    assert_eq!(opml.status, 200);
    let doc = opml.text();
    let xml = strict_xml(&doc);
    let feeds: Vec<String> = xml
        .descendants()
        .filter_map(|n| n.attribute("xmlUrl").map(site_path))
        .collect();
    let mut want: Vec<String> = ["/feed.rss"]
        .into_iter()
        .map(String::from)
        .chain(expected.iter().map(|(p, _)| format!("{p}.rss")))
        .collect();
    want.sort();
    let mut listed = feeds.clone();
    listed.sort();
    assert_eq!(listed, want);
    for feed in feeds {
        assert_eq!(daemon.get(&feed).status, 200, "{feed}");
    }
    // The index page links every source's and tag's feeds.
    let index = daemon.get("/").text();
    for (prefix, _) in &expected {
        for ext in ["rss", "atom", "json"] {
            assert!(
                index.contains(&format!("{prefix}.{ext}\"")),
                "{prefix}.{ext}"
            );
        }
    }
}

#[test]
fn filters_return_the_right_subsets_and_refuse_bad_values() {
    let ws = Workspace::mixed();
    let daemon = ws.serve(&[]);
    let sample_b = id_of("lemonde/004_69041eb86f7197d0.txt");
    let sample_a = id_of("lemonde/000_5f06b2f05f265a12.txt");
    let cases: [(&str, Vec<String>); 7] = [
        (
            "/feed.rss?lang=en",
            vec![id_of("rfi/ecb.txt"), id_of("rfi/gold.md")],
        ),
        ("/feed.atom?author=pierre", vec![sample_a.clone()]),
        (
            "/feed.atom?author=Awa+Traor%C3%A9",
            vec![id_of("rfi/gold.md")],
        ),
        // "Kidal" is in sample B's body only, not in any title.
        ("/feed.json?q=kidal", vec![sample_b.clone()]),
        (
            "/feed.rss?q=Mali+Moscou",
            vec![sample_a.clone(), sample_b.clone()],
        ),
        (
            "/feed.rss?since=2025-04-10",
            vec![
                id_of("rfi/gold.md"),
                id_of("root.txt"),
                id_of("rfi/ecb.txt"),
            ],
        ),
        (
            "/sources/lemonde/feed.rss?lang=fr&limit=1",
            vec![sample_b.clone()],
        ),
    ];
    for (path, want) in &cases {
        let got = ids(&daemon, path);
        assert_eq!(set(&got), set(want), "{path}");
        assert_eq!(got.len(), want.len(), "{path}");
    }
    // The newest first, cut at the limit.
    let all = ids(&daemon, "/feed.rss");
    assert_eq!(ids(&daemon, "/feed.rss?limit=2"), all[..2].to_vec());
    for (query, names) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("lang=fr_FR", "lang"),
        ("since=last+week", "since"),
        ("q=", "q"),
        ("colour=red", "colour"),
        ("lang=fr&lang=en", "lang"),
    ] {
        let response = daemon.get(&format!("/feed.atom?{query}"));
        assert_eq!(response.status, 400, "{query}");
        assert!(
            response.text().contains(names),
            "{query}: {}",
            response.text()
        );
    }
    let archive = daemon.get("/archive/1.rss?lang=fr");
    assert_eq!(archive.status, 400);
    assert!(archive.text().contains("archive pages take no filters"));
    // A filtered feed validates and compresses like any other.
    let first = daemon.get("/feed.rss?lang=fr");
    let etag = first.header("etag").expect("etag").to_string();
    let again = daemon.request("GET", "/feed.rss?lang=fr", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    // The same filter written another way is the same document.
    let same = daemon.request("GET", "/feed.rss?lang=FR", &[("If-None-Match", &etag)]);
    assert_eq!(same.status, 304);
    let gzip = daemon.request("GET", "/feed.rss?lang=fr", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
}

/// Writes `n` dated articles `a00.txt`… (a00 the oldest).
fn dated_articles(seeds: &Path, n: usize) {
    for i in 0..n {
        std::fs::write(
            seeds.join(format!("a{i:02}.txt")),
            format!(
                "Article number {i}\n2025-01-{:02}\nThe body of article {i}, dated day {}.\n",
                i + 1,
                i + 1
            ),
        )
        .expect("write");
    }
}

/// The href of the Atom link with `rel`, as a site path.
fn atom_link(doc: &roxmltree::Document<'_>, rel: &str) -> Option<String> {
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name("link") && n.attribute("rel") == Some(rel))
        .and_then(|n| n.attribute("href"))
        .map(site_path)
}

#[test]
fn archive_pages_chain_back_to_the_oldest_article_with_none_lost_or_repeated() {
    let ws = Workspace::empty();
    dated_articles(&ws.seeds(), 11);
    let daemon = ws.serve_with(&[], &[("SEEDFEED__FEED__ITEMS", "3")]);
    let every: BTreeSet<String> = (0..11).map(|i| id_of(&format!("a{i:02}.txt"))).collect();

    let current = daemon.get("/feed.atom").text();
    let current_doc = strict_xml(&current);
    let current_ids = set(&ids(&daemon, "/feed.atom"));
    assert_eq!(current_ids.len(), 3);
    let mut seen_in_archives = Vec::new();
    let mut next = atom_link(&current_doc, "prev-archive");
    assert_eq!(next.as_deref(), Some("/archive/3.atom"));
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        let response = daemon.get(&path);
        assert_eq!(response.status, 200, "{path}");
        assert!(
            response
                .header("cache-control")
                .is_some_and(|c| c.contains("max-age=86400")),
            "{path}"
        );
        let text = response.text();
        let doc = strict_xml(&text);
        let fh = "http://purl.org/syndication/history/1.0";
        assert!(
            doc.descendants()
                .any(|n| n.tag_name().namespace() == Some(fh) && n.tag_name().name() == "archive"),
            "{path} lacks fh:archive"
        );
        assert_eq!(atom_link(&doc, "current").as_deref(), Some("/feed.atom"));
        seen_in_archives.extend(ids(&daemon, &path));
        next = atom_link(&doc, "prev-archive");
    }
    assert_eq!(pages, 3);
    // Each archived article once; the feed and the archives together hold every article.
    assert_eq!(seen_in_archives.len(), 9);
    let archived = set(&seen_in_archives);
    assert_eq!(archived.len(), 9, "an article is on two archive pages");
    let union: BTreeSet<String> = archived.union(&current_ids).cloned().collect();
    assert_eq!(union, every);
    // Page 1 holds the oldest articles.
    assert_eq!(
        set(&ids(&daemon, "/archive/1.atom")),
        (0..3).map(|i| id_of(&format!("a{i:02}.txt"))).collect()
    );
    // RSS and JSON Feed page the same way (JSON Feed with next_url).
    assert_eq!(
        set(&ids(&daemon, "/archive/2.rss")),
        set(&ids(&daemon, "/archive/2.atom"))
    );
    let json: serde_json::Value =
        serde_json::from_slice(&daemon.get("/feed.json").body).expect("json");
    assert_eq!(
        json["next_url"].as_str().map(site_path).as_deref(),
        Some("/archive/3.json")
    );
    assert_eq!(daemon.get("/archive/4.atom").status, 404);

    // A new article leaves full archive pages byte for byte as they were.
    let before = daemon.get("/archive/1.atom");
    std::fs::write(
        ws.seeds().join("a11.txt"),
        "Article number 11\n2025-01-12\nThe body of article 11.\n",
    )
    .expect("write");
    daemon.wait_for(
        |d| ids(d, "/feed.atom").contains(&id_of("a11.txt")),
        "new article",
    );
    let after = daemon.get("/archive/1.atom");
    assert_eq!(before.header("etag"), after.header("etag"));
    assert_eq!(before.body, after.body);
}

#[test]
fn the_hub_gets_one_ping_per_change_and_feeds_advertise_it() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _inside = runtime.enter();
    let hub = Hub::start(Vec::new());
    let ws = Workspace::with_samples();
    let daemon = ws.serve_with(&[], &[("SEEDFEED__WEBSUB__HUB", &hub.url())]);
    let base = format!("http://{}", daemon.addr);

    // Discovery: in the documents and in Link headers.
    let atom = daemon.get("/feed.atom");
    let link = atom.header("link").expect("Link header").to_string();
    for rel in [
        format!("<{base}/feed.atom>; rel=\"self\""),
        format!("<{}>; rel=\"hub\"", hub.url()),
        format!("<{base}/>; rel=\"alternate\"; type=\"text/html\""),
    ] {
        assert!(link.contains(&rel), "{rel} not in {link}");
    }
    let atom_text = atom.text();
    assert_eq!(
        atom_link(&strict_xml(&atom_text), "hub"),
        Some(site_path(&hub.url()))
    );
    let rss = daemon.get("/feed.rss").text();
    let atom_ns = "http://www.w3.org/2005/Atom";
    let rss_hub = strict_xml(&rss)
        .descendants()
        .find(|n| n.tag_name() == (atom_ns, "link").into() && n.attribute("rel") == Some("hub"))
        .and_then(|n| n.attribute("href").map(str::to_string));
    assert_eq!(rss_hub, Some(hub.url()), "{rss}");
    let json: serde_json::Value =
        serde_json::from_slice(&daemon.get("/feed.json").body).expect("json");
    assert_eq!(json["hubs"][0]["url"], hub.url());
    assert!(daemon.get("/sources/x/feed.rss").header("link").is_none());
    let filtered = daemon.get("/feed.rss?lang=fr");
    assert!(
        filtered
            .header("link")
            .is_some_and(|l| l.contains(&format!("<{base}/feed.rss?lang=fr>; rel=\"self\""))),
        "{:?}",
        filtered.header("link")
    );

    // Starting up is not a change: no ping.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(hub.pings().len(), 0);

    let agency = ws.seeds().join("agency");
    std::fs::create_dir(&agency).expect("mkdir");
    std::fs::write(
        agency.join("new.txt"),
        "A new story\n2025-06-01\nTags: breaking\nIts body.\n",
    )
    .expect("write");
    assert!(runtime.block_on(hub.wait_for(1, SETTLE)), "no ping");
    let ping = &hub.pings()[0];
    assert_eq!(ping.mode, "publish");
    let topics: HashSet<&str> = ping.topics.iter().map(String::as_str).collect();
    for path in [
        "/feed.rss",
        "/feed.atom",
        "/feed.json",
        "/sources/agency/feed.atom",
        "/tags/breaking/feed.json",
    ] {
        assert!(
            topics.contains(format!("{base}{path}").as_str()),
            "{path} not in {topics:?}"
        );
    }
    // One change, one ping: nothing more arrives.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(hub.pings().len(), 1);

    std::fs::remove_file(agency.join("new.txt")).expect("remove");
    assert!(runtime.block_on(hub.wait_for(2, SETTLE)), "no second ping");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(hub.pings().len(), 2);
}

#[test]
fn the_sample_seeds_are_related_and_an_unrelated_article_is_not() {
    let ws = Workspace::with_samples();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/related");
    std::fs::copy(
        fixtures.join("en_ecb_cut_a.txt"),
        ws.seeds().join("ecb.txt"),
    )
    .expect("copy");
    let daemon = ws.serve(&[]);
    let page = |key: &str| {
        daemon
            .get(&format!("/articles/{}.html", documented_id(key)))
            .text()
    };
    let a = "000_5f06b2f05f265a12.txt";
    let b = "004_69041eb86f7197d0.txt";
    // The ids linked from the page's Related section.
    let related_links = |html: &str| -> Vec<String> {
        let Some((_, section)) = html.split_once("id=\"related\"") else {
            return Vec::new();
        };
        let section = section.split("</aside>").next().unwrap_or_default();
        section
            .split("/articles/")
            .skip(1)
            .filter_map(|rest| rest.split_once(".html"))
            .map(|(id, _)| id.to_string())
            .collect()
    };
    // Signatures are computed after the feeds are served (issue 17): until they all are, a
    // page lists no related stories, never a partial or wrong list.
    let mut answers = Vec::new();
    daemon.wait_for(
        |_| {
            let links = related_links(&page(a));
            answers.push(links.clone());
            !links.is_empty()
        },
        "related stories after the signatures are computed",
    );
    assert!(
        answers
            .iter()
            .all(|links| links.is_empty() || *links == [documented_id(b)]),
        "{answers:?}"
    );
    assert_eq!(related_links(&page(a)), vec![documented_id(b)]);
    assert_eq!(related_links(&page(b)), vec![documented_id(a)]);
    let ecb = page("ecb.txt");
    assert!(!ecb.contains("id=\"related\""), "{ecb}");
    // Pages name their language for screen readers and hyphenation.
    assert!(page(a).contains("<html lang=\"fr\">"));
    assert!(ecb.contains("<html lang=\"en\">"));
}

#[test]
fn metrics_are_served_on_their_own_address_only() {
    let ws = Workspace::with_samples();
    std::fs::write(ws.seeds().join("empty.txt"), "").expect("write");
    let daemon = ws.serve_with(&[], &[("SEEDFEED__METRICS__LISTEN", "127.0.0.1:0")]);
    let listen = daemon.metrics_address();
    assert_eq!(
        daemon.get("/metrics").status,
        404,
        "not on the feeds' address"
    );
    daemon.get("/feed.rss");
    daemon.get("/feed.rss?limit=0");
    let metrics = request(listen, "GET", "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4"))
    );
    let text = metrics.text();
    for line in [
        "seedfeed_articles 2",
        "seedfeed_skipped_files{reason=\"empty\"} 1",
        "seedfeed_http_requests_total{route=\"feed\",status=\"200\"} 1",
        "seedfeed_http_requests_total{route=\"feed\",status=\"400\"} 1",
        "seedfeed_render_failures_total 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    assert!(text.contains("seedfeed_renders_total "));
    assert!(text.contains("seedfeed_watcher_events_total "));
    assert_eq!(request(listen, "GET", "/", &[]).status, 404);
}

// Issue 14, finding 8: `/status` names every skipped file, drafts included, on the public
// port. With `server.status = "metrics"` it is served on the metrics address only.
#[test]
fn status_can_be_kept_to_the_metrics_address() {
    let ws = Workspace::with_samples();
    std::fs::write(
        ws.seeds().join("secret-draft.md"),
        "---\ndraft: true\n---\nx\n",
    )
    .expect("write");
    let daemon = ws.serve_with(
        &[],
        &[
            ("SEEDFEED__METRICS__LISTEN", "127.0.0.1:0"),
            ("SEEDFEED__SERVER__STATUS", "metrics"),
        ],
    );
    let listen = daemon.metrics_address();
    assert_eq!(
        daemon.get("/status").status,
        404,
        "not on the feeds' address"
    );
    let status = request(listen, "GET", "/status", &[]);
    assert_eq!(status.status, 200);
    assert_eq!(status.header("content-type"), Some("application/json"));
    assert!(
        status.text().contains("secret-draft.md"),
        "{}",
        status.text()
    );

    // "off": nowhere.
    drop(daemon);
    let daemon = ws.serve_with(&[], &[("SEEDFEED__SERVER__STATUS", "off")]);
    assert_eq!(daemon.get("/status").status, 404);
}

#[test]
fn a_bad_metrics_address_or_hub_stops_start_up_naming_the_key() {
    let ws = Workspace::with_samples();
    for (var, value, key) in [
        ("SEEDFEED__METRICS__LISTEN", "nowhere", "metrics.listen"),
        (
            "SEEDFEED__WEBSUB__HUB",
            "https://hub.example/",
            "websub.hub",
        ),
        ("SEEDFEED__RELATED__THRESHOLD", "1.5", "related.threshold"),
        ("SEEDFEED__SERVER__STATUS", "metrics", "server.status"),
        ("SEEDFEED__SERVER__STATUS", "private", "server.status"),
    ] {
        let out = seedfeed(ws.dir.path())
            .args(ws.serve_args(&[]))
            .env(var, value)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{var}={value} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(key), "{var}: {stderr}");
    }
}
