//! End-to-end: the real daemon, real files, real filesystem events, real HTTP.

mod common;

use std::io::Write;

use chrono::DateTime;
use common::*;

const LAVROV_TITLE: &str =
    "Russie : Sergueï Lavrov promet une coopération militaire renforcée avec le Mali";
const MALI_TITLE: &str =
    "Mali–Russie : Une convergence stratégique autour de la sécurité et de la souveraineté";

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, ns: Option<&str>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| {
            c.tag_name().name() == name && ns.is_none_or(|ns| c.tag_name().namespace() == Some(ns))
        })
        .and_then(|c| c.text())
}

const DC: &str = "http://purl.org/dc/elements/1.1/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const ATOM: &str = "http://www.w3.org/2005/Atom";

#[test]
fn sample_seeds_appear_in_rss_with_every_field() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&["--base-url", "http://feeds.example.test"]);
    let res = daemon.get("/feed.rss");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    let text = res.text();
    let doc = strict_xml(&text);
    let channel = doc
        .descendants()
        .find(|n| n.has_tag_name("channel"))
        .expect("channel");
    assert_eq!(child_text(channel, None, "title"), Some("seedfeed"));
    assert_eq!(
        child_text(channel, None, "link"),
        Some("http://feeds.example.test/")
    );
    assert!(child_text(channel, None, "description").is_some_and(|d| !d.is_empty()));
    assert_eq!(child_text(channel, None, "language"), Some("en"));
    assert_eq!(child_text(channel, None, "generator"), Some("seedfeed"));
    let self_link = channel
        .children()
        .find(|c| c.tag_name().namespace() == Some(ATOM) && c.tag_name().name() == "link")
        .expect("atom:link");
    assert_eq!(self_link.attribute("rel"), Some("self"));
    assert_eq!(
        self_link.attribute("href"),
        Some("http://feeds.example.test/feed.rss")
    );
    // lastBuildDate is the newest item's date, not the wall clock.
    assert_eq!(
        child_text(channel, None, "lastBuildDate")
            .map(|d| DateTime::parse_from_rfc2822(d).expect("RFC 822 date")),
        Some(DateTime::parse_from_rfc3339("2025-04-04T00:00:00Z").expect("date"))
    );

    let items: Vec<_> = channel
        .children()
        .filter(|c| c.has_tag_name("item"))
        .collect();
    assert_eq!(items.len(), 2);
    // Newest first: the dateline gives the second article 2025-04-04.
    let (mali, lavrov) = (items[0], items[1]);
    assert_eq!(child_text(mali, None, "title"), Some(MALI_TITLE));
    assert_eq!(child_text(lavrov, None, "title"), Some(LAVROV_TITLE));
    for (item, date, author) in [
        (lavrov, "2025-04-03T00:00:00Z", Some("Pierre")),
        // The Mali article names no author: none is invented for it.
        (mali, "2025-04-04T00:00:00Z", None),
    ] {
        let pub_date = child_text(item, None, "pubDate").expect("pubDate");
        assert_eq!(
            DateTime::parse_from_rfc2822(pub_date).expect("RFC 822 pubDate"),
            DateTime::parse_from_rfc3339(date).expect("date")
        );
        assert_eq!(child_text(item, Some(DC), "creator"), author);
        let guid = item
            .children()
            .find(|c| c.has_tag_name("guid"))
            .expect("guid");
        assert_eq!(guid.attribute("isPermaLink"), Some("false"));
        assert!(guid.text().is_some_and(|g| g.starts_with("urn:uuid:")));
        let link = child_text(item, None, "link").expect("link");
        let path = link
            .strip_prefix("http://feeds.example.test")
            .expect("absolute link on the base URL");
        let page = daemon.get(path);
        assert_eq!(page.status, 200, "{link} must open");
        assert!(page.text().contains("<h1>"));
        assert!(child_text(item, None, "description").is_some_and(|d| !d.is_empty()));
    }

    let lavrov_html = child_text(lavrov, Some(CONTENT), "encoded").expect("content:encoded");
    assert_eq!(lavrov_html.matches("<p>").count(), 5);
    assert!(lavrov_html.starts_with("<p>Ce jeudi, la Russie a annoncé"));
    assert!(
        lavrov_html
            .trim_end()
            .ends_with("est en pleine mutation.</p>")
    );
    assert!(!lavrov_html.contains("Auteur"));
    assert!(!lavrov_html.contains("2025-04-03"));

    let mali_html = child_text(mali, Some(CONTENT), "encoded").expect("content:encoded");
    assert_eq!(mali_html.matches("<h2>").count(), 4);
    assert!(mali_html.contains("<h2>Un repositionnement régional assumé</h2>"));
    assert!(
        mali_html
            .trim_end()
            .ends_with("la stabilité et le développement concerté.</p>")
    );
    for nav in [
        "Lire La Précédente",
        "Lire La Suite",
        "Les Plus Populaires",
        "Stade Brestois",
    ] {
        assert!(
            !mali_html.contains(nav),
            "navigation {nav:?} must be stripped"
        );
    }
    assert!(!text.contains("Stade Brestois"));
}

#[test]
fn sample_seeds_appear_in_atom_with_every_field() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&[]);
    let res = daemon.get("/feed.atom");
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    strict_xml(&res.text());
    let feed = feed_rs(&res.body);
    assert!(feed.id.starts_with("urn:uuid:"));
    assert_eq!(
        feed.title.as_ref().map(|t| t.content.as_str()),
        Some("seedfeed")
    );
    assert_eq!(
        feed.updated.map(|u| u.to_rfc3339()),
        Some("2025-04-04T00:00:00+00:00".into())
    );
    assert_eq!(feed.authors[0].name, "seedfeed");
    let base = format!("http://{}", daemon.addr);
    let rels: Vec<(&str, &str)> = feed
        .links
        .iter()
        .map(|l| (l.rel.as_deref().unwrap_or(""), l.href.as_str()))
        .collect();
    assert!(
        rels.contains(&("self", &format!("{base}/feed.atom"))),
        "{rels:?}"
    );
    assert!(
        rels.contains(&("alternate", &format!("{base}/"))),
        "{rels:?}"
    );

    assert_eq!(feed.entries.len(), 2);
    let titles: Vec<&str> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().map_or("", |t| t.content.as_str()))
        .collect();
    assert_eq!(titles, [MALI_TITLE, LAVROV_TITLE]);
    let lavrov = &feed.entries[1];
    assert!(lavrov.id.starts_with("urn:uuid:"));
    assert_eq!(lavrov.authors[0].name, "Pierre");
    // No author of its own: the entry has no <author>, and RFC 4287 gives it the feed's.
    assert!(feed.entries[0].authors.is_empty());
    let mali_entry = res.text();
    let mali_entry = &mali_entry[mali_entry.find("<entry>").expect("first entry")..];
    let mali_entry = &mali_entry[..mali_entry.find("</entry>").expect("its end")];
    assert!(!mali_entry.contains("<author>"), "{mali_entry}");
    assert_eq!(
        lavrov.published.map(|d| d.to_rfc3339()),
        Some("2025-04-03T00:00:00+00:00".into())
    );
    assert!(lavrov.updated.is_some());
    assert!(
        lavrov
            .summary
            .as_ref()
            .is_some_and(|s| s.content.starts_with("Ce jeudi"))
    );
    let content = lavrov.content.as_ref().expect("content");
    assert_eq!(content.content_type.essence().to_string(), "text/html");
    assert!(
        content
            .body
            .as_deref()
            .is_some_and(|b| b.contains("<p>Ce jeudi"))
    );
    assert_eq!(lavrov.links[0].rel.as_deref(), Some("alternate"));
    assert_eq!(
        daemon
            .get(lavrov.links[0].href.strip_prefix(&base).expect("base"))
            .status,
        200
    );

    // RSS and Atom name the same articles with the same ids.
    let rss = daemon.get("/feed.rss").text();
    let atom_ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(rss_guids(&rss), atom_ids);
}

// Issue 18: an article that names no author is published without one (feed readers showed
// "seedfeed" as its writer); the feed-level author stays.
#[test]
fn an_article_without_an_author_names_none_in_json_feed_or_on_its_page() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&["--base-url", "http://feeds.example.test"]);
    let json: serde_json::Value =
        serde_json::from_slice(&daemon.get("/feed.json").body).expect("JSON Feed");
    assert_eq!(
        json["authors"][0]["name"], "seedfeed",
        "the feed's own author"
    );
    let items = json["items"].as_array().expect("items");
    let by_title = |title: &str| {
        items
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {json}"))
    };
    let (mali, lavrov) = (by_title(MALI_TITLE), by_title(LAVROV_TITLE));
    assert!(mali.get("authors").is_none(), "{mali}");
    assert_eq!(lavrov["authors"][0]["name"], "Pierre");
    for (item, author) in [(mali, None), (lavrov, Some("Pierre"))] {
        let url = item["url"].as_str().expect("url");
        let page = daemon.get(&site_path(url)).text();
        let meta = &page[page.find("<time").expect("dateline")..];
        let meta = &meta[..meta.find("</p>").expect("end of the dateline")];
        match author {
            Some(name) => assert!(meta.contains(&format!(" · <bdi>{name}</bdi>")), "{meta}"),
            None => assert!(!meta.contains('·') && !meta.contains("seedfeed"), "{meta}"),
        }
    }
}

#[test]
fn index_page_lists_articles_and_advertises_the_feeds() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&[]);
    let res = daemon.get("/");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let html = res.text();
    assert!(html.contains("type=\"application/rss+xml\""));
    assert!(html.contains("type=\"application/atom+xml\""));
    let mali = html.find("Mali–Russie").expect("newest listed");
    let lavrov = html.find("Sergueï Lavrov promet").expect("older listed");
    assert!(mali < lavrov, "newest first");
}

#[test]
fn folder_changes_show_up_in_the_feeds() {
    let ws = Workspace::empty();
    let daemon = ws.serve(&[]);
    let titles = |d: &Daemon| rss_item_titles(&d.get("/feed.rss").text());
    assert!(titles(&daemon).is_empty());

    // A file copied in appears.
    std::fs::copy(
        sample_seeds().join("000_5f06b2f05f265a12.txt"),
        ws.seeds().join("lavrov.txt"),
    )
    .expect("copy");
    daemon.wait_for(|d| titles(d) == [LAVROV_TITLE], "copied file");
    let id_before = rss_guids(&daemon.get("/feed.rss").text());

    // An edit changes the title but not the id.
    let edited = std::fs::read_to_string(ws.seeds().join("lavrov.txt"))
        .expect("read")
        .replace("Sergueï Lavrov promet", "Lavrov annonce");
    std::fs::write(ws.seeds().join("lavrov.txt"), edited).expect("edit");
    daemon.wait_for(
        |d| {
            titles(d)
                .first()
                .is_some_and(|t| t.contains("Lavrov annonce"))
        },
        "edited title",
    );
    assert_eq!(rss_guids(&daemon.get("/feed.rss").text()), id_before);

    // Editor swap files, partial downloads and hidden files never appear; a sentinel written
    // after them proves the watcher has seen them.
    std::fs::create_dir(ws.seeds().join("sub")).expect("mkdir");
    for name in [
        ".lavrov.txt.swp",
        "draft.txt~",
        ".#draft.txt",
        "draft.txt.part",
        "draft.tmp",
        ".hidden.txt",
    ] {
        std::fs::write(
            ws.seeds().join("sub").join(name),
            "Swap title\nSwap body.\n",
        )
        .expect("write");
    }
    std::fs::write(ws.seeds().join("sub/sentinel.txt"), "Sentinel\nBody.\n").expect("write");
    daemon.wait_for(|d| titles(d).contains(&"Sentinel".to_string()), "sentinel");
    assert!(!titles(&daemon).contains(&"Swap title".to_string()));

    // Written under a temp name then renamed into place: shows once.
    write_atomically(
        &ws.seeds().join("sub/renamed.txt"),
        "Renamed in\nIts body.\n",
    );
    daemon.wait_for(
        |d| titles(d).contains(&"Renamed in".to_string()),
        "renamed file",
    );
    let all = titles(&daemon);
    assert_eq!(
        all.iter().filter(|t| *t == "Renamed in").count(),
        1,
        "{all:?}"
    );

    // A deleted file leaves; a moved-away folder takes its articles along.
    std::fs::remove_file(ws.seeds().join("lavrov.txt")).expect("delete");
    daemon.wait_for(
        |d| !titles(d).iter().any(|t| t.contains("Lavrov")),
        "deletion",
    );
    std::fs::rename(ws.seeds().join("sub"), ws.dir.path().join("elsewhere")).expect("move out");
    daemon.wait_for(|d| titles(d).is_empty(), "folder moved out");
    daemon.wait_for(|d| d.log().contains("removed"), "the removal's log line");

    // Moved back in under another name, a folder inside it: its articles are back, and an
    // edit deep inside it afterwards is seen (each folder is watched on its own, from the
    // moment the indexer takes the event that names it).
    let elsewhere = ws.dir.path().join("elsewhere");
    std::fs::create_dir(elsewhere.join("deeper")).expect("mkdir");
    std::fs::write(elsewhere.join("deeper/inner.txt"), "Inner\nBody.\n").expect("write");
    std::fs::rename(&elsewhere, ws.seeds().join("back")).expect("move in");
    daemon.wait_for(
        |d| {
            ["Sentinel", "Inner"]
                .iter()
                .all(|t| titles(d).contains(&t.to_string()))
        },
        "folder moved in",
    );
    std::fs::write(
        ws.seeds().join("back/deeper/inner.txt"),
        "Inner edited\nBody.\n",
    )
    .expect("edit");
    daemon.wait_for(
        |d| titles(d).contains(&"Inner edited".to_string()),
        "an edit in a folder moved in",
    );
}

#[test]
fn conditional_get_head_gzip_and_methods() {
    let ws = Workspace::with_samples();
    let daemon = ws.serve(&[]);
    let full = daemon.get("/feed.atom");
    let etag = full.header("etag").expect("etag").to_string();
    assert!(
        etag.starts_with('"') && !etag.starts_with("W/"),
        "strong ETag {etag}"
    );
    let last_modified = full
        .header("last-modified")
        .expect("last-modified")
        .to_string();
    assert_eq!(full.header("cache-control"), Some("public, max-age=60"));

    let res = daemon.request("GET", "/feed.atom", &[("If-None-Match", &etag)]);
    assert_eq!(res.status, 304);
    assert!(res.body.is_empty());
    assert_eq!(res.header("etag"), Some(etag.as_str()));
    let res = daemon.request("GET", "/feed.atom", &[("If-None-Match", "\"stale\"")]);
    assert_eq!(res.status, 200);
    let res = daemon.request(
        "GET",
        "/feed.atom",
        &[("If-Modified-Since", &last_modified)],
    );
    assert_eq!(res.status, 304);

    let head = daemon.request("HEAD", "/feed.atom", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), full.header("content-length"));
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    let gz = daemon.request("GET", "/feed.atom", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    // Browsers get the same bytes as application/xml (the preview): the type varies too.
    assert_eq!(gz.header("vary"), Some("Accept, Accept-Encoding"));
    // Decoded by the system's gzip, not by the library that encoded it.
    let mut gunzip = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run gzip");
    gunzip
        .stdin
        .take()
        .expect("stdin")
        .write_all(&gz.body)
        .expect("feed gzip");
    let decoded = gunzip.wait_with_output().expect("gzip output");
    assert!(decoded.status.success(), "gzip rejects the body");
    assert_eq!(decoded.stdout, full.body);
    let gz_etag = gz.header("etag").expect("etag").to_string();
    assert_ne!(gz_etag, etag);
    let res = daemon.request(
        "GET",
        "/feed.atom",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_etag)],
    );
    assert_eq!(res.status, 304);
    let refused = daemon.request("GET", "/feed.atom", &[("Accept-Encoding", "gzip;q=0")]);
    assert_eq!(refused.header("content-encoding"), None);

    let post = daemon.request("POST", "/feed.atom", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(daemon.request("DELETE", "/", &[]).status, 405);
    assert_eq!(daemon.get("/nope").status, 404);
    assert_eq!(daemon.get("/articles/not-an-id.html").status, 404);
    assert_eq!(daemon.get("/healthz").status, 200);
}

#[test]
fn hostile_bytes_still_give_well_formed_feeds() {
    let ws = Workspace::empty();
    let daemon = ws.serve(&[]);
    let hostile = "Bad \u{1}title <script>alert(1)</script> ]]> & \u{7}co\n\
                   Auteur: <b>Eve</b> & \u{b}Mallory\n\
                   Body with ]]> and <![CDATA[ nested ]]> and \u{0c}form feed \u{1b}[31m and </content>.\n\
                   <script>document.write('x')</script>\n";
    std::fs::write(ws.seeds().join("hostile.txt"), hostile).expect("write");
    daemon.wait_for(
        |d| !rss_guids(&d.get("/feed.rss").text()).is_empty(),
        "hostile article",
    );
    for path in ["/feed.rss", "/feed.atom"] {
        let res = daemon.get(path);
        let text = res.text();
        let doc = strict_xml(&text);
        let feed = feed_rs(&res.body);
        assert_eq!(feed.entries.len(), 1);
        let title = feed.entries[0]
            .title
            .as_ref()
            .expect("title")
            .content
            .clone();
        assert_eq!(title, "Bad title <script>alert(1)</script> ]]> & co");
        assert!(!text.contains('\u{1}') && !text.contains('\u{1b}'));
        // The markup in the text arrives as text, never as elements.
        assert!(
            doc.descendants()
                .all(|n| !n.has_tag_name("script") && !n.has_tag_name("b"))
        );
    }
    let feed = feed_rs(&daemon.get("/feed.atom").body);
    let page = daemon
        .get(&site_path(&feed.entries[0].links[0].href))
        .text();
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
}

#[test]
fn ids_and_first_seen_dates_survive_restart_and_touch() {
    let ws = Workspace::empty();
    std::fs::write(
        ws.seeds().join("undated.txt"),
        "No date here\nJust a body line.\n",
    )
    .expect("write");
    // Restarts get another port: a fixed base URL keeps links (and so bytes) comparable.
    let base = ["--base-url", "http://feeds.example.test"];
    let daemon = ws.serve(&base);
    let first = daemon.get("/feed.atom");
    let feed = feed_rs(&first.body);
    let (id, published) = (feed.entries[0].id.clone(), feed.entries[0].published);
    assert!(published.is_some());
    let page = site_path(&feed.entries[0].links[0].href);
    // Issue 18: the same bytes keep their validators, Last-Modified included, across a
    // restart: the main feeds, the index, the style sheets and a page rendered on request.
    let documents = [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/",
        "/feed.xsl",
        &page,
    ];
    let validators = |daemon: &Daemon| -> Vec<(String, Option<String>, Option<String>)> {
        documents
            .iter()
            .map(|path| {
                let res = daemon.get(path);
                assert_eq!(res.status, 200, "{path}");
                let header = |name| res.header(name).map(str::to_string);
                (path.to_string(), header("etag"), header("last-modified"))
            })
            .collect()
    };
    let before = validators(&daemon);
    assert_eq!(daemon.terminate().code(), Some(0), "SIGTERM exits cleanly");

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let file = std::fs::File::options()
        .append(true)
        .open(ws.seeds().join("undated.txt"))
        .expect("open");
    file.set_modified(std::time::SystemTime::now())
        .expect("touch");
    drop(file);

    let daemon = ws.serve(&base);
    let again = daemon.get("/feed.atom");
    let feed = feed_rs(&again.body);
    assert_eq!(feed.entries[0].id, id);
    assert_eq!(feed.entries[0].published, published);
    assert_eq!(again.text(), first.text(), "same articles, same bytes");
    assert_eq!(
        validators(&daemon),
        before,
        "same bytes, same ETag and Last-Modified"
    );
}

// Issue 18: files copied in at once, or unpacked with one modification time, were all dated
// by the batch that read them (W3C's validator warns of entries sharing atom:updated). An
// undated file is dated by its modification time when that is past, each one apart.
#[test]
fn undated_files_are_dated_by_their_modification_time_each_apart() {
    let ws = Workspace::empty();
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    for n in 0..5 {
        let path = ws.seeds().join(format!("undated-{n}.txt"));
        std::fs::write(
            &path,
            format!("Undated article number {n}\nIts only line.\n"),
        )
        .expect("write");
        std::fs::File::options()
            .append(true)
            .open(&path)
            .and_then(|f| f.set_modified(past))
            .expect("set mtime");
    }
    let daemon = ws.serve(&[]);
    let feed = feed_rs(&daemon.get("/feed.atom").body);
    let mut updated: Vec<i64> = feed
        .entries
        .iter()
        .map(|e| e.updated.expect("updated").timestamp_millis())
        .collect();
    assert_eq!(updated.len(), 5);
    updated.sort_unstable();
    // The shared modification time, then the next free milliseconds.
    let first = 1_700_000_000_000;
    assert_eq!(updated, (first..first + 5).collect::<Vec<_>>());
    for entry in &feed.entries {
        assert_eq!(entry.published, entry.updated, "published at first sight");
    }
}

#[test]
fn same_articles_render_byte_identical_feeds() {
    let a = Workspace::with_samples();
    let b = Workspace::with_samples();
    let base = ["--base-url", "http://feeds.example.test"];
    let (da, db) = (a.serve(&base), b.serve(&base));
    for path in ["/feed.rss", "/feed.atom"] {
        let (ra, rb) = (da.get(path), db.get(path));
        assert_eq!(ra.text(), rb.text(), "{path}");
        assert_eq!(ra.header("etag"), rb.header("etag"));
    }
}

#[test]
fn bad_files_are_skipped_with_a_logged_reason() {
    let ws = Workspace::with_samples();
    std::fs::write(
        ws.seeds().join("image.txt"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .expect("write");
    std::fs::write(ws.seeds().join("empty.txt"), b"  \n").expect("write");
    let daemon = ws.serve(&[]);
    assert_eq!(rss_guids(&daemon.get("/feed.rss").text()).len(), 2);
    let log = daemon.log();
    assert!(
        log.lines()
            .any(|l| l.contains("skipped") && l.contains("image.txt") && l.contains("PNG")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("skipped") && l.contains("empty.txt") && l.contains("empty")),
        "{log}"
    );
}

// Regression: two changes within one second shared a Last-Modified, so If-Modified-Since
// answered 304 for the newer feed.
#[test]
fn if_modified_since_sees_two_changes_within_one_second() {
    let ws = Workspace::empty();
    let daemon = ws.serve(&[]);
    std::fs::write(ws.seeds().join("one.txt"), "One\nFirst body.\n").expect("write");
    daemon.wait_for(
        |d| rss_item_titles(&d.get("/feed.rss").text()).len() == 1,
        "first file",
    );
    let first = daemon.get("/feed.rss");
    let since = first
        .header("last-modified")
        .expect("last-modified")
        .to_string();
    std::fs::write(ws.seeds().join("two.txt"), "Two\nSecond body.\n").expect("write");
    daemon.wait_for(
        |d| rss_item_titles(&d.get("/feed.rss").text()).len() == 2,
        "second file",
    );
    let res = daemon.request("GET", "/feed.rss", &[("If-Modified-Since", &since)]);
    assert_eq!(res.status, 200, "the feed changed after {since}");
    assert_ne!(res.header("last-modified"), Some(since.as_str()));
}

#[test]
fn status_lists_skipped_files_and_folded_duplicates() {
    let ws = Workspace::with_samples();
    std::fs::write(
        ws.seeds().join("image.txt"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .expect("write");
    std::fs::copy(
        ws.seeds().join("000_5f06b2f05f265a12.txt"),
        ws.seeds().join("zz-copy.txt"),
    )
    .expect("copy");
    let daemon = ws.serve(&[]);
    let res = daemon.get("/status");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let status: serde_json::Value = serde_json::from_slice(&res.body).expect("JSON");
    assert_eq!(status["articles"], 2, "{status}");
    assert_eq!(status["skipped"][0]["path"], "image.txt");
    assert!(
        status["skipped"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("PNG")),
        "{status}"
    );
    assert_eq!(status["duplicates"][0]["path"], "zz-copy.txt");
    assert_eq!(
        status["duplicates"][0]["duplicate_of"],
        "000_5f06b2f05f265a12.txt"
    );
    assert_eq!(rss_guids(&daemon.get("/feed.rss").text()).len(), 2);
}

#[test]
fn an_over_long_title_is_cut_in_feeds_and_whole_on_its_page() {
    let ws = Workspace::empty();
    let title = "word ".repeat(80).trim_end().to_string();
    std::fs::write(
        ws.seeds().join("long.txt"),
        format!("{title}\nBody text.\n"),
    )
    .expect("write");
    let daemon = ws.serve(&[]);
    let rss = daemon.get("/feed.rss").text();
    let feed_title = rss_item_titles(&rss).pop().expect("one item");
    assert!(feed_title.ends_with("word…"), "{feed_title}");
    assert!(feed_title.chars().count() <= 201);
    let feed = feed_rs(daemon.get("/feed.atom").body.as_slice());
    let path = site_path(&feed.entries[0].links[0].href);
    assert!(
        daemon
            .get(&path)
            .text()
            .contains(&format!("<h1>{title}</h1>"))
    );
}

/// Article pages are rendered on request (not on every change): they must still follow the
/// file, validate, and disappear with it.
#[test]
fn article_pages_follow_edits_validate_and_leave_with_their_file() {
    let ws = Workspace::empty();
    std::fs::write(ws.seeds().join("a.txt"), "First title\nFirst body.\n").expect("write");
    std::fs::write(ws.seeds().join("copy.txt"), "First title\nFirst body.\n").expect("write");
    let daemon = ws.serve(&[]);
    let feed = feed_rs(daemon.get("/feed.atom").body.as_slice());
    assert_eq!(feed.entries.len(), 1, "the identical copy is folded");
    let path = site_path(&feed.entries[0].links[0].href);

    let page = daemon.get(&path);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<h1>First title</h1>"));
    let etag = page.header("etag").expect("etag").to_string();
    let again = daemon.request("GET", &path, &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304, "a cached page validates");
    let gz = daemon.request("GET", &path, &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));

    // The folded copy has no page of its own.
    let copy_id = urn_path("copy.txt");
    assert_eq!(daemon.get(&copy_id).status, 404);

    std::fs::write(ws.seeds().join("a.txt"), "Second title\nSecond body.\n").expect("edit");
    daemon.wait_for(
        |d| d.get(&path).text().contains("<h1>Second title</h1>"),
        "the edited page",
    );
    let edited = daemon.request("GET", &path, &[("If-None-Match", &etag)]);
    assert_eq!(edited.status, 200, "the old ETag no longer matches");
    // Now copy.txt is the only holder of the first content: it is published.
    daemon.wait_for(|d| d.get(&copy_id).status == 200, "the copy's own page");

    std::fs::remove_file(ws.seeds().join("a.txt")).expect("delete");
    daemon.wait_for(|d| d.get(&path).status == 404, "the deleted page");
}

/// The page path of the article at `key`.
fn urn_path(key: &str) -> String {
    format!("/articles/{}.html", documented_id(key))
}
