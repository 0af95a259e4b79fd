//! Fuzz target: any bytes, read as plain text and as Markdown, must parse or be skipped
//! without panicking, and every article that parses must render to RSS, Atom and JSON Feed
//! that pass seedfeed's own checks of their format's rules (which include well-formed XML).
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use seedfeed::article::{self, Markup, ParseOptions};
use seedfeed::config::Settings;
use seedfeed::feed::{self, FeedContext};
use seedfeed::model::{Entry, FileRecord};

struct Fixture {
    options: ParseOptions,
    ctx: FeedContext,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        options: {
            let mut settings = Settings::default();
            settings.feed.language = "en".into();
            settings.dates.timezone = chrono_tz::Europe::Paris;
            ParseOptions::new(&settings).expect("parse options")
        },
        ctx: FeedContext::new(&Settings::default(), "http://127.0.0.1:8080".into()),
    })
}

fuzz_target!(|bytes: &[u8]| {
    let fixture = fixture();
    for format in [Markup::Text, Markup::Markdown] {
        let Ok(parsed) = article::parse(bytes, format, &fixture.options) else {
            continue;
        };
        let entry = Entry {
            key: "fuzz.txt".into(),
            record: FileRecord {
                id: seedfeed::model::article_id("fuzz.txt"),
                first_seen_ms: 1_700_000_000_000,
                changed_ms: Some(1_700_000_100_000),
                hash: Some(1),
                size: bytes.len() as u64,
                mtime_ns: 0,
                racily_clean: false,
            },
            meta: Arc::new(parsed.meta.clone()),
        };
        let entry = Arc::new(entry);
        let items = [(Arc::clone(&entry), Arc::new(parsed))];
        let facets = seedfeed::model::Facets::default();
        if let Err(e) = feed::render(&items, &[&entry], 1, &facets, &fixture.ctx) {
            panic!("render refused: {e}");
        }
    }
});
