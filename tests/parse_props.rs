//! Property: whatever bytes a file holds, parsing never panics, and every rendered document
//! is well-formed (strict XML parser) and readable by an independent feed parser.

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use seedfeed::article::{self, Markup, ParseOptions};
use seedfeed::config::Settings;
use seedfeed::feed::{self, FeedContext};
use seedfeed::model::{Entry, FileRecord};

/// Fragments that reach the parser's deeper paths: metadata, dates, markers, markup, controls.
const FRAGMENTS: &[&str] = &[
    "Auteur: Pierre",
    "By Jane Doe",
    "2025-04-03",
    "Thu, 03 Apr 2025 10:15:00 +0000",
    "le 1er mai 2025 à 14h30",
    "0000-01-01T00:00:00+01:00",
    "9999-12-31T23:30:00-05:00",
    "date: 0001-01-01T00:00:00+14:00",
    "Lire la suite",
    "Les Plus Populaires",
    "© 2025 All rights reserved",
    "Tags: a, b",
    "<script>alert(1)</script>",
    "]]>",
    "<![CDATA[",
    "&amp; &#0; &#x1;",
    "\u{0}\u{1}\u{b}\u{1b}[0m\u{7f}\u{85}",
    "\u{feff}\u{200f}مرحبا بالعالم",
    "e\u{301}",
    "",
    "   ",
    "A heading without a stop",
    "A sentence that ends properly.",
    "---",
    "+++",
    "title: [x",
    "draft: true",
    "title: \"\\x01\\u0007\"",
    "title = \"\\u0001\"",
    "# Heading",
    "- item",
    "[link](javascript:alert(1))",
    "<iframe src=x>",
    "| a | b |\n|---|---|",
];

fn texty() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        prop::sample::select(FRAGMENTS).prop_map(str::to_string),
        "\\PC{0,80}",
    ];
    (
        prop::collection::vec(line, 0..30),
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
    )
        .prop_map(|(lines, eol)| lines.join(eol).into_bytes())
}

fn render_checked(bytes: &[u8]) {
    let mut settings = Settings::default();
    settings.feed.language = "en".into();
    settings.dates.timezone = chrono_tz::Europe::Paris;
    let options = ParseOptions::new(&settings).expect("parse options");
    for format in [Markup::Text, Markup::Markdown] {
        if let Ok(parsed) = article::parse(bytes, format, &options) {
            render_one(parsed, bytes.len());
        }
    }
}

fn render_one(parsed: article::ParsedArticle, size: usize) {
    let entry = Entry {
        key: "prop.txt".into(),
        record: FileRecord {
            id: seedfeed::model::article_id("prop.txt"),
            first_seen_ms: 1_700_000_000_000,
            changed_ms: Some(1_700_000_100_000),
            hash: Some(1),
            size: size as u64,
            mtime_ns: 0,
            racily_clean: false,
        },
        meta: Arc::new(parsed.meta.clone()),
    };
    let ctx = FeedContext::new(&Settings::default(), "http://127.0.0.1:8080".into());
    let entry = Arc::new(entry);
    let items = [(Arc::clone(&entry), Arc::new(parsed))];
    let facets = seedfeed::model::Facets::default();
    // Rendering checks each feed against its format's rules; a failure is an error here.
    let rendered = feed::render(&items, &[&entry], 1, &facets, &ctx).expect("renders");
    for (target, doc) in &rendered.feeds {
        if target.format != feed::target::Format::Json {
            common::strict_xml(doc);
        }
        let parsed = common::feed_rs(doc.as_bytes());
        assert_eq!(parsed.entries.len(), 1, "{}", target.path());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_render_well_formed(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        render_checked(&bytes);
    }

    #[test]
    fn texty_files_never_panic_and_render_well_formed(bytes in texty()) {
        render_checked(&bytes);
    }
}
