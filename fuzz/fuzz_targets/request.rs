//! Fuzz target: the parts of a request that are parsed before anything is served. Any path
//! names at most one document, and the path of that document names it again; any query is
//! refused or canonical, and its canonical form reads back to itself; any Host value is
//! accepted or refused without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seedfeed::feed::filter::Filters;
use seedfeed::feed::target::Target;
use seedfeed::http::host;
use seedfeed::views::page_id;

/// `feed.items` in the default configuration: the largest `limit` accepted.
const MAX_LIMIT: usize = 50;

fuzz_target!(|input: (&str, &str, &[u8])| {
    let (path, query, host_value) = input;
    if let Some(target) = Target::parse(path) {
        assert_eq!(Target::parse(&target.path()), Some(target));
    }
    let _ = page_id(path);
    if let Ok(filters) = Filters::parse(query, MAX_LIMIT) {
        let canonical = filters.canonical();
        let again = Filters::parse(&canonical, MAX_LIMIT).expect("a canonical query parses");
        assert_eq!(again.canonical(), canonical);
    }
    if let Ok(value) = hyper::header::HeaderValue::from_bytes(host_value) {
        let request = hyper::Request::builder()
            .uri("/")
            .header(hyper::header::HOST, value)
            .body(())
            .expect("request");
        let _ = host::problem(&request);
    }
});
