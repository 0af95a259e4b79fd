//! Parse throughput on a realistic mix of article files: the two bundled seeds (French, one
//! with metadata lines and one with a dateline, headings and trailing navigation), plus an
//! English news story with site chrome, a Windows-1252 file, a Markdown file with front
//! matter and a German story: the shapes scrapers drop. Reported as bytes/s by criterion.
//!
//! `cargo bench --bench parse`

// `criterion_group!` defines a public function it cannot document.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use seedfeed::article::{self, Markup, ParseOptions};

const ENGLISH: &str = "Council approves next year's budget after a long night\n\
By Jane Doe\n\
Published on April 3, 2025 at 14:30\n\
Tags: city, budget\n\n\
The city council approved the budget for next year on Tuesday night, after a debate that \
went on until well past midnight and touched on schools, transport and housing.\n\n\
Opposition members asked that the work on the central station be postponed until the \
spring, arguing that the tender had been rushed and that the costs were still unclear.\n\n\
What changes for residents\n\n\
Property taxes stay where they were, while the parking fees in the centre rise by ten per \
cent. The mayor said the extra revenue would pay for two new bus lines.\n\n\
- A new bus line to the hospital\n\
- Longer opening hours at the library\n\n\
Share this article\n\nRead more\nCity opens new cycle lanes\nLibrary extends its hours\n\
© 2025 Example News. All rights reserved.\n";

const GERMAN: &str = "Der Stadtrat beschließt den Haushalt\n\n\
Der Stadtrat hat am Dienstagabend den Haushalt der Stadt für das kommende Jahr \
beschlossen, nach einer langen Debatte über die Schulen und den Nahverkehr.\n\n\
Die Opposition verlangte, dass die Arbeiten am Bahnhof verschoben werden, weil die \
Ausschreibung zu schnell erfolgt sei und die Kosten noch unklar seien.\n\n\
Weiterlesen\n\nNeue Radwege in der Innenstadt\n";

const MARKDOWN: &str = "---\ntitle: \"Release notes\"\ndate: 2025-04-03T08:30:00+02:00\n\
author: Ann\ntags: [release, notes]\n---\n\n# What is new\n\n\
This release brings *faster* start-up and a [new index](https://example.org/index).\n\n\
## Changes\n\n- Feeds are rendered once per change\n- Pages are compressed once\n\n\
```\nseedfeed serve\n```\n\nThanks to everyone who reported bugs.\n";

/// The mix, each file as the bytes on disk.
fn corpus() -> Vec<(Vec<u8>, Markup)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir("seeds").expect("the bundled seeds/ folder") {
        let path = entry.expect("seeds entry").path();
        files.push((std::fs::read(&path).expect("seed"), Markup::of(&path)));
    }
    files.push((ENGLISH.as_bytes().to_vec(), Markup::Text));
    files.push((GERMAN.as_bytes().to_vec(), Markup::Text));
    files.push((MARKDOWN.as_bytes().to_vec(), Markup::Markdown));
    let seed = std::fs::read_to_string("seeds/000_5f06b2f05f265a12.txt").expect("seed 000");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&seed);
    files.push((latin1.into_owned(), Markup::Text));
    files
}

fn parse_mix(c: &mut Criterion) {
    let files = corpus();
    let options = ParseOptions::default();
    let bytes: usize = files.iter().map(|(b, _)| b.len()).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("article_mix", |b| {
        b.iter(|| {
            for (file, format) in &files {
                let parsed = article::parse(black_box(file), *format, &options);
                black_box(parsed.expect("every file in the mix parses"));
            }
        })
    });
    group.finish();
}

/// One file with no line breaks at all (a minified page): cost must stay linear in its size.
fn parse_long_line(c: &mut Criterion) {
    let options = ParseOptions::default();
    let mut group = c.benchmark_group("parse_long_line");
    for mib in [1usize, 4] {
        let text = format!("Title\n\n{}\n", "word ".repeat(mib * 1024 * 1024 / 5));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{mib}MiB"), |b| {
            b.iter(|| article::parse(black_box(text.as_bytes()), Markup::Text, &options))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_mix, parse_long_line);
criterion_main!(benches);
