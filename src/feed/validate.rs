//! Checks a rendered feed against the MUSTs of its spec before it is served.
//!
//! A render that fails keeps the last good feed, so these checks are the
//! last line of defence against publishing something readers will reject.
//! Only spec requirements (and a few cheap invariants of ours) are checked;
//! this is not a full schema validator. Written by hand, since no crate checks a document
//! against these formats' MUSTs; the tests also run real parsers and validators on the output.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::DateTime;
use roxmltree::{Document, Node};
use serde_json::{Map, Value};

/// Most problems reported per document, so a broken 10,000-item feed stays one readable log line.
pub(crate) const MAX_PROBLEMS: usize = 20;

/// Namespace of Atom 1.0 elements (also used for `atom:link` inside RSS).
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

// The only `version` value a JSON Feed 1.1 document may carry: the one written.
use super::json::JSON_FEED_VERSION;

/// A rendered feed that breaks its spec; `problems` says what and where.
#[derive(Debug, thiserror::Error)]
#[error("{format}: {}", problems.join("; "))]
pub(crate) struct Invalid {
    /// Which format was checked: "RSS 2.0", "Atom 1.0" or "JSON Feed 1.1".
    pub format: &'static str,
    /// One message per problem, at most `MAX_PROBLEMS` plus a final "N more" note.
    pub problems: Vec<String>,
}

/// Collects problems up to the cap and counts the rest.
struct Problems {
    format: &'static str,
    list: Vec<String>,
    dropped: usize,
}

impl Problems {
    fn new(format: &'static str) -> Self {
        Self {
            format,
            list: Vec::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, msg: String) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(msg);
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Result<(), Invalid> {
        if self.list.is_empty() {
            return Ok(());
        }
        if self.dropped > 0 {
            self.list.push(format!("... and {} more", self.dropped));
        }
        Err(Invalid {
            format: self.format,
            problems: self.list,
        })
    }
}

/// Validates an RSS 2.0 document.
pub(crate) fn rss(doc: &str) -> Result<(), Invalid> {
    let mut p = Problems::new("RSS 2.0");
    if let Some(xml) = parse_xml(doc, &mut p) {
        check_rss(xml.root_element(), &mut p);
    }
    p.finish()
}

/// Validates an Atom 1.0 (RFC 4287) document.
pub(crate) fn atom(doc: &str) -> Result<(), Invalid> {
    let mut p = Problems::new("Atom 1.0");
    if let Some(xml) = parse_xml(doc, &mut p) {
        check_atom(xml.root_element(), &mut p);
    }
    p.finish()
}

/// Validates a JSON Feed 1.1 document.
pub(crate) fn json_feed(doc: &str) -> Result<(), Invalid> {
    let mut p = Problems::new("JSON Feed 1.1");
    match serde_json::from_str::<Value>(doc) {
        Ok(Value::Object(feed)) => check_json(&feed, &mut p),
        Ok(_) => p.push("top level is not an object".into()),
        Err(e) => p.push(format!("not JSON: {e}")),
    }
    p.finish()
}

// ---- XML shared ----

/// Parses XML after checking characters, since an illegal character is the
/// likeliest breakage (pasted article text) and deserves a clear message.
fn parse_xml<'a>(doc: &'a str, p: &mut Problems) -> Option<Document<'a>> {
    if let Some((line, c)) = illegal_char(doc) {
        p.push(format!(
            "line {line}: illegal XML character U+{:04X}",
            c as u32
        ));
        return None;
    }
    match Document::parse(doc) {
        Ok(xml) => {
            check_decoded_chars(&xml, p);
            Some(xml)
        }
        Err(e) => {
            p.push(format!("not well-formed XML: {e}"));
            None
        }
    }
}

/// True for characters outside XML 1.0's `Char` production (surrogates cannot occur in `str`).
fn is_illegal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// First illegal character with its 1-based line number.
fn illegal_char(s: &str) -> Option<(usize, char)> {
    let (i, c) = s.char_indices().find(|&(_, c)| is_illegal(c))?;
    Some((s[..i].matches('\n').count() + 1, c))
}

/// Character references (`&#1;`) are decoded by the parser, so re-check the decoded text.
fn check_decoded_chars(xml: &Document, p: &mut Problems) {
    for node in xml.descendants() {
        let texts = node
            .text()
            .into_iter()
            .chain(node.attributes().map(|a| a.value()));
        if let Some(c) = texts.flat_map(str::chars).find(|&c| is_illegal(c)) {
            let line = xml.text_pos_at(node.range().start).row;
            p.push(format!(
                "line {line}: illegal XML character U+{:04X}",
                c as u32
            ));
        }
    }
}

/// Child elements with the given namespace (None = no namespace) and local name.
fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: Option<&'static str>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == ns && c.tag_name().name() == name
    })
}

/// Trimmed text content of an element ("" when it has none).
fn text<'a>(node: Node<'a, '_>) -> &'a str {
    node.text().unwrap_or("").trim()
}

/// Absolute http(s) URL with a host and no whitespace; enough to catch relative or broken links.
fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with(['/', '?', '#'])
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Records `key` as seen at position `n`; if it was already seen, returns that first position.
fn repeat_of<'a>(seen: &mut HashMap<&'a str, usize>, key: &'a str, n: usize) -> Option<usize> {
    match seen.entry(key) {
        Entry::Occupied(first) => Some(*first.get()),
        Entry::Vacant(slot) => {
            slot.insert(n);
            None
        }
    }
}

// ---- RSS 2.0 ----

fn check_rss(root: Node, p: &mut Problems) {
    if root.tag_name().name() != "rss" || root.tag_name().namespace().is_some() {
        p.push(format!(
            "root element is <{}>, not <rss>",
            root.tag_name().name()
        ));
        return;
    }
    if root.attribute("version") != Some("2.0") {
        p.push("<rss> lacks version=\"2.0\"".into());
    }
    let channels: Vec<_> = children(root, None, "channel").collect();
    let [channel] = channels[..] else {
        p.push(format!(
            "expected exactly one <channel>, found {}",
            channels.len()
        ));
        return;
    };
    for name in ["title", "link", "description"] {
        if children(channel, None, name).all(|n| text(n).is_empty()) {
            p.push(format!("channel: missing or empty <{name}>"));
        }
    }
    check_rss_common(channel, "channel", p);
    check_rss_date(channel, "lastBuildDate", "channel", p);
    for link in children(channel, Some(ATOM_NS), "link") {
        if link.attribute("rel") == Some("self") && link.attribute("href").is_none_or(str::is_empty)
        {
            p.push("channel: <atom:link rel=\"self\"> has no href".into());
        }
    }
    let mut guids: HashMap<&str, usize> = HashMap::new();
    for (i, item) in children(channel, None, "item").enumerate() {
        let at = format!("item {}", i + 1);
        if ["title", "description"]
            .iter()
            .all(|&n| children(item, None, n).all(|e| text(e).is_empty()))
        {
            p.push(format!("{at}: needs a <title> or <description>"));
        }
        check_rss_common(item, &at, p);
        for guid in children(item, None, "guid").map(text) {
            if guid.is_empty() {
                p.push(format!("{at}: empty <guid>"));
            } else if let Some(first) = repeat_of(&mut guids, guid, i + 1) {
                p.push(format!("{at}: guid repeats item {first}"));
            }
        }
    }
}

/// Rules shared by channel and item: `link` is absolute, `pubDate` parses.
fn check_rss_common(node: Node, at: &str, p: &mut Problems) {
    for link in children(node, None, "link").map(text) {
        if !is_http_url(link) {
            p.push(format!(
                "{at}: <link> {link:?} is not an absolute http(s) URL"
            ));
        }
    }
    check_rss_date(node, "pubDate", at, p);
}

fn check_rss_date(node: Node, name: &'static str, at: &str, p: &mut Problems) {
    for date in children(node, None, name).map(text) {
        if DateTime::parse_from_rfc2822(date).is_err() {
            p.push(format!("{at}: <{name}> {date:?} is not an RFC 822 date"));
        }
    }
}

// ---- Atom 1.0 ----

fn check_atom(feed: Node, p: &mut Problems) {
    if feed.tag_name().name() != "feed" || feed.tag_name().namespace() != Some(ATOM_NS) {
        p.push(format!(
            "root element is <{}>, not Atom <feed>",
            feed.tag_name().name()
        ));
        return;
    }
    check_atom_common(feed, "feed", p);
    let feed_has_author = children(feed, Some(ATOM_NS), "author").next().is_some();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in children(feed, Some(ATOM_NS), "entry").enumerate() {
        let at = format!("entry {}", i + 1);
        let id = check_atom_common(entry, &at, p);
        check_atom_date(entry, "published", &at, p);
        if !feed_has_author && children(entry, Some(ATOM_NS), "author").next().is_none() {
            p.push(format!("{at}: missing <author> (feed has none)"));
        }
        let has_content = children(entry, Some(ATOM_NS), "content").next().is_some();
        let has_alternate = children(entry, Some(ATOM_NS), "link")
            .any(|l| matches!(l.attribute("rel"), None | Some("alternate")));
        if !has_content && !has_alternate {
            p.push(format!("{at}: no <content> and no alternate <link>"));
        }
        if let Some(first) = id.and_then(|id| repeat_of(&mut ids, id, i + 1)) {
            p.push(format!("{at}: id repeats entry {first}"));
        }
    }
    for link in feed
        .descendants()
        .filter(|n| n.tag_name().namespace() == Some(ATOM_NS))
    {
        if link.tag_name().name() == "link" && link.attribute("href").is_none_or(str::is_empty) {
            let line = link.document().text_pos_at(link.range().start).row;
            p.push(format!("line {line}: <link> has no href"));
        }
    }
}

/// Rules shared by feed and entry: one id/title/updated, valid id and date,
/// named persons. Returns the id for the uniqueness check.
fn check_atom_common<'a>(node: Node<'a, '_>, at: &str, p: &mut Problems) -> Option<&'a str> {
    let mut id = None;
    for name in ["id", "title", "updated"] {
        let found: Vec<_> = children(node, Some(ATOM_NS), name).collect();
        match found[..] {
            [one] if name == "id" => id = Some(text(one)),
            [_] => {}
            [] => p.push(format!("{at}: missing <{name}>")),
            _ => p.push(format!(
                "{at}: {} <{name}> elements, expected one",
                found.len()
            )),
        }
    }
    if let Some(id) = id.filter(|id| !id.contains(':')) {
        p.push(format!("{at}: <id> {id:?} is not an IRI"));
    }
    check_atom_date(node, "updated", at, p);
    for person in ["author", "contributor"]
        .into_iter()
        .flat_map(|n| children(node, Some(ATOM_NS), n))
    {
        if children(person, Some(ATOM_NS), "name").all(|n| text(n).is_empty()) {
            p.push(format!(
                "{at}: <{}> without a <name>",
                person.tag_name().name()
            ));
        }
    }
    id
}

fn check_atom_date(node: Node, name: &'static str, at: &str, p: &mut Problems) {
    for date in children(node, Some(ATOM_NS), name).map(text) {
        if DateTime::parse_from_rfc3339(date).is_err() {
            p.push(format!("{at}: <{name}> {date:?} is not an RFC 3339 date"));
        }
    }
}

// ---- JSON Feed 1.1 ----

fn check_json(feed: &Map<String, Value>, p: &mut Problems) {
    if feed.get("version").and_then(Value::as_str) != Some(JSON_FEED_VERSION) {
        p.push(format!("version is not {JSON_FEED_VERSION:?}"));
    }
    if feed
        .get("title")
        .and_then(Value::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        p.push("missing or empty title".into());
    }
    let top = [
        "home_page_url",
        "feed_url",
        "next_url",
        "description",
        "icon",
        "favicon",
    ];
    check_strings(feed, &top, "feed", p);
    check_objects(feed, "authors", &[], "feed", p);
    check_objects(feed, "hubs", &["type", "url"], "feed", p);
    let Some(items) = feed.get("items").and_then(Value::as_array) else {
        p.push("items is missing or not an array".into());
        return;
    };
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("item {}", i + 1);
        let Some(item) = item.as_object() else {
            p.push(format!("{at}: not an object"));
            continue;
        };
        match item.get("id").and_then(Value::as_str) {
            None => p.push(format!("{at}: id missing or not a string")),
            Some(id) => {
                if let Some(first) = repeat_of(&mut ids, id, i + 1) {
                    p.push(format!("{at}: id repeats item {first}"));
                }
            }
        }
        if !item.contains_key("content_html") && !item.contains_key("content_text") {
            p.push(format!("{at}: needs content_html or content_text"));
        }
        let fields = [
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "image",
        ];
        check_strings(item, &fields, &at, p);
        for key in ["date_published", "date_modified"] {
            match item.get(key).map(Value::as_str) {
                Some(Some(d)) if DateTime::parse_from_rfc3339(d).is_ok() => {}
                Some(d) => p.push(format!(
                    "{at}: {key} {:?} is not an RFC 3339 date",
                    d.unwrap_or("(non-string)")
                )),
                None => {}
            }
        }
        check_objects(item, "authors", &[], &at, p);
        check_objects(item, "attachments", &["url", "mime_type"], &at, p);
    }
}

/// Each listed key, when present, must be a string.
fn check_strings(obj: &Map<String, Value>, keys: &[&str], at: &str, p: &mut Problems) {
    for key in keys {
        if obj.get(*key).is_some_and(|v| !v.is_string()) {
            p.push(format!("{at}: {key} is not a string"));
        }
    }
}

/// `key`, when present, must be an array of objects each having string `required` fields.
fn check_objects(
    obj: &Map<String, Value>,
    key: &str,
    required: &[&str],
    at: &str,
    p: &mut Problems,
) {
    let Some(value) = obj.get(key) else { return };
    let Some(list) = value.as_array() else {
        p.push(format!("{at}: {key} is not an array"));
        return;
    };
    for (i, member) in list.iter().enumerate() {
        let Some(member) = member.as_object() else {
            p.push(format!("{at}: {key}[{i}] is not an object"));
            continue;
        };
        for field in required {
            if !member.get(*field).is_some_and(Value::is_string) {
                p.push(format!("{at}: {key}[{i}] lacks string {field}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss_doc(items: usize) -> String {
        let mut s = String::from(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>T</title><link>https://example.org/</link><description>D</description>
<lastBuildDate>Tue, 10 Jun 2003 04:00:00 GMT</lastBuildDate>
<atom:link href="https://example.org/rss.xml" rel="self" type="application/rss+xml"/>"#,
        );
        for i in 0..items {
            s += &format!(
                "<item><title>Post {i}</title><link>https://example.org/{i}</link><description>&lt;p&gt;Body {i} with some text&lt;/p&gt;</description><guid>https://example.org/{i}</guid><pubDate>Tue, 10 Jun 2003 04:00:00 +0000</pubDate></item>\n"
            );
        }
        s + "</channel></rss>"
    }

    fn atom_doc(items: usize) -> String {
        let mut s = String::from(
            r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>T</title><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id><updated>2003-12-13T18:30:02Z</updated>
<author><name>Ann</name></author><link href="https://example.org/" /><link rel="self" href="https://example.org/atom.xml"/>"#,
        );
        for i in 0..items {
            s += &format!(
                "<entry><title>Post {i}</title><id>https://example.org/{i}</id><updated>2003-12-13T18:30:02+01:00</updated><published>2003-12-13T18:30:02Z</published><link rel=\"alternate\" href=\"https://example.org/{i}\"/><content type=\"html\">&lt;p&gt;Body {i}&lt;/p&gt;</content></entry>\n"
            );
        }
        s + "</feed>"
    }

    fn json_doc(items: usize) -> String {
        let items: Vec<Value> = (0..items)
            .map(|i| {
                serde_json::json!({"id": format!("https://example.org/{i}"), "url": format!("https://example.org/{i}"),
                    "title": format!("Post {i}"), "content_html": format!("<p>Body {i}</p>"),
                    "date_published": "2003-12-13T18:30:02Z", "authors": [{"name": "Ann"}]})
            })
            .collect();
        serde_json::json!({"version": JSON_FEED_VERSION, "title": "T", "home_page_url": "https://example.org/",
            "feed_url": "https://example.org/feed.json", "hubs": [{"type": "WebSub", "url": "https://hub.example/"}],
            "items": items})
        .to_string()
    }

    /// Asserts the document fails and some problem mentions `needle`.
    fn fails(result: Result<(), Invalid>, needle: &str) {
        match result {
            Ok(()) => panic!("expected a problem mentioning {needle:?}"),
            Err(e) => assert!(
                e.to_string().contains(needle),
                "{e} does not mention {needle:?}"
            ),
        }
    }

    #[test]
    fn minimal_documents_pass() {
        rss(&rss_doc(2)).unwrap();
        atom(&atom_doc(2)).unwrap();
        json_feed(&json_doc(2)).unwrap();
        rss(&rss_doc(0)).unwrap();
        json_feed(&json_doc(0)).unwrap();
    }

    #[test]
    fn rss_rules() {
        let ok = rss_doc(3);
        fails(
            rss(&ok.replace("<title>T</title>", "")),
            "channel: missing or empty <title>",
        );
        fails(
            rss(&ok.replace("version=\"2.0\"", "version=\"0.91\"")),
            "version=\"2.0\"",
        );
        fails(
            rss(&ok.replace("/2</guid>", "/0</guid>")),
            "item 3: guid repeats item 1",
        );
        fails(
            rss(&ok.replacen("Tue, 10 Jun", "Tue 10 June", 1)),
            "channel: <lastBuildDate>",
        );
        fails(
            rss(&ok.replace("+0000", "yesterday")),
            "item 1: <pubDate> \"Tue, 10 Jun 2003 04:00:00 yesterday\"",
        );
        fails(
            rss(&ok.replace("<link>https://example.org/1</link>", "<link>/1</link>")),
            "item 2: <link> \"/1\"",
        );
        fails(
            rss(&ok
                .replace("<title>Post 0</title>", "")
                .replace("&lt;p&gt;Body 0 with some text&lt;/p&gt;", "")),
            "item 1: needs",
        );
        fails(
            rss(&ok.replace("href=\"https://example.org/rss.xml\"", "")),
            "rel=\"self\"> has no href",
        );
        fails(
            rss(&ok.replace("<channel>", "<channel><channel>")),
            "not well-formed",
        );
        fails(
            rss(&ok.replace("</channel>", "</channel><channel/>")),
            "exactly one <channel>, found 2",
        );
        fails(rss("<feed/>"), "not <rss>");
    }

    #[test]
    fn atom_rules() {
        let ok = atom_doc(3);
        fails(
            atom(&ok.replace("<title>T</title>", "")),
            "feed: missing <title>",
        );
        fails(
            atom(&ok.replace("<title>Post 1</title>", "<title>a</title><title>b</title>")),
            "entry 2: 2 <title>",
        );
        fails(atom(&ok.replace("<updated>2003-12-13T18:30:02+01:00</updated><published>2003-12-13T18:30:02Z</published><link rel=\"alternate\" href=\"https://example.org/1\"/>", "")), "entry 2: missing <updated>");
        fails(
            atom(&ok.replace("/2</id>", "/0</id>")),
            "entry 3: id repeats entry 1",
        );
        fails(
            atom(&ok.replacen("2003-12-13T18:30:02Z", "2003-12-13 18:30", 1)),
            "feed: <updated> \"2003-12-13 18:30\"",
        );
        fails(
            atom(&ok.replace("<author><name>Ann</name></author>", "")),
            "entry 1: missing <author>",
        );
        fails(
            atom(&ok.replace("<name>Ann</name>", "")),
            "feed: <author> without a <name>",
        );
        fails(
            atom(&ok.replace("<id>https://example.org/1</id>", "<id>post-1</id>")),
            "entry 2: <id> \"post-1\" is not an IRI",
        );
        fails(
            atom(
                &ok.replace(
                    "<content type=\"html\">&lt;p&gt;Body 0&lt;/p&gt;</content>",
                    "",
                )
                .replace(
                    "rel=\"alternate\" href=\"https://example.org/0\"",
                    "rel=\"related\" href=\"x\"",
                ),
            ),
            "entry 1: no <content>",
        );
        fails(
            atom(&ok.replace("<link href=\"https://example.org/\" />", "<link/>")),
            "line 3: <link> has no href",
        );
        fails(
            atom(&ok.replace("xmlns=\"http://www.w3.org/2005/Atom\"", "")),
            "not Atom <feed>",
        );
    }

    #[test]
    fn json_rules() {
        let ok = json_doc(3);
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut v: Value = serde_json::from_str(&ok).unwrap();
            f(&mut v);
            json_feed(&v.to_string())
        };
        fails(
            edit(&|v| v["version"] = "https://jsonfeed.org/version/1".into()),
            "version is not",
        );
        fails(edit(&|v| v["title"] = "".into()), "missing or empty title");
        fails(edit(&|v| v["items"] = Value::Null), "items is missing");
        fails(
            edit(&|v| {
                v["items"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("id")
                    .map(drop)
                    .unwrap()
            }),
            "item 2: id missing",
        );
        fails(
            edit(&|v| v["items"][2]["id"] = v["items"][0]["id"].clone()),
            "item 3: id repeats item 1",
        );
        fails(
            edit(&|v| {
                v["items"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("content_html")
                    .map(drop)
                    .unwrap()
            }),
            "item 1: needs content_html",
        );
        fails(
            edit(&|v| v["items"][0]["date_modified"] = "13 Dec 2003".into()),
            "item 1: date_modified \"13 Dec 2003\"",
        );
        fails(
            edit(&|v| v["items"][0]["url"] = 5.into()),
            "item 1: url is not a string",
        );
        fails(
            edit(&|v| v["feed_url"] = Value::Bool(true)),
            "feed: feed_url is not a string",
        );
        fails(
            edit(&|v| v["authors"] = "Ann".into()),
            "feed: authors is not an array",
        );
        fails(
            edit(&|v| {
                v["hubs"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("type")
                    .map(drop)
                    .unwrap()
            }),
            "hubs[0] lacks string type",
        );
        fails(json_feed("[]"), "not an object");
        fails(json_feed("{"), "not JSON");
    }

    #[test]
    fn illegal_characters() {
        fails(
            rss(&rss_doc(2).replace("Post 1", "Post\u{1}1")),
            "line 5: illegal XML character U+0001",
        );
        fails(
            atom(&atom_doc(2).replace("Post 1", "Post\u{FFFF}")),
            "illegal XML character U+FFFF",
        );
        // A character reference is caught by the parser or by our decoded-text check.
        assert!(rss(&rss_doc(1).replace("Post 0", "Post &#1;")).is_err());
        rss(&rss_doc(1).replace("Post 0", "Tab\tNL\nCR\r")).unwrap();
    }

    #[test]
    fn problems_are_capped() {
        // 100 relative item links plus the channel link: 101 problems.
        let err = rss(&rss_doc(100).replace("<link>https://example.org/", "<link>/")).unwrap_err();
        assert_eq!(err.problems.len(), MAX_PROBLEMS + 1);
        assert_eq!(
            err.problems[MAX_PROBLEMS],
            format!("... and {} more", 101 - MAX_PROBLEMS)
        );
    }
}
