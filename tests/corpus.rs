//! The labelled corpus (`tests/fixtures/articles/`): articles written for this project in many
//! languages and layouts, each with what a careful reader takes from it in `expected.json`.
//! The real binary's `inspect --json` is scored field by field; the test prints a table
//! (language × field) and fails below [`MIN_SCORE`].
//!
//! `cargo test --test corpus -- --nocapture` prints the table on success too. Two variables
//! score something else: `SEEDFEED_CORPUS_DIR` another labelled folder (a held-out set),
//! `SEEDFEED_CORPUS_BIN` another build of seedfeed (an older release, for a before/after).

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// Share of fields the reader must get right over the whole corpus.
const MIN_SCORE: f64 = 0.97;

/// The fields scored, in table order.
const FIELDS: &[&str] = &["title", "date", "author", "language", "first", "last"];

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/articles");

fn corpus_dir() -> String {
    std::env::var("SEEDFEED_CORPUS_DIR").unwrap_or_else(|_| CORPUS.to_string())
}

/// Equal once white space is collapsed.
fn same(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Whether the report gets `field` right, and what it gave when not.
fn score(field: &str, want: &Value, got: &Value) -> Result<(), String> {
    let shown = |v: Option<&str>| v.unwrap_or("(none)").to_string();
    match field {
        "title" | "author" | "language" => {
            let (w, g) = (text(want, field), text(got, field));
            match (w, g) {
                (Some(w), Some(g)) if same(w, g) => Ok(()),
                (None, None) => Ok(()),
                _ => Err(shown(g)),
            }
        }
        "date" => {
            let source = text(got, "date_source").unwrap_or("");
            let date = text(got, "date").unwrap_or("");
            match text(want, "date") {
                None if source == "first_seen" => Ok(()),
                None => Err(format!("{date} from {source}")),
                Some(day) => {
                    let time_ok = text(want, "time").is_none_or(|t| date.get(11..16) == Some(t));
                    if source != "first_seen" && date.get(..10) == Some(day) && time_ok {
                        Ok(())
                    } else {
                        Err(format!("{date} from {source}"))
                    }
                }
            }
        }
        "first" | "last" => {
            let key = if field == "first" {
                "first_paragraph"
            } else {
                "last_paragraph"
            };
            let paragraphs = got.get("paragraphs").and_then(Value::as_array);
            let got = paragraphs.and_then(|p| {
                let p = if field == "first" {
                    p.first()
                } else {
                    p.last()
                };
                p.and_then(Value::as_str)
            });
            match (text(want, key), got) {
                (Some(w), Some(g)) if same(w, g) => Ok(()),
                _ => Err(shown(got)),
            }
        }
        _ => Err(format!("unknown field {field}")),
    }
}

#[test]
fn the_reader_reads_the_labelled_corpus() {
    let corpus = corpus_dir();
    let expected: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(format!("{corpus}/expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let mut files: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        expected.keys().cloned().collect::<Vec<_>>(),
        "every file has an entry in expected.json and every entry a file"
    );

    let ws = common::Workspace::empty();
    let mut command = match std::env::var("SEEDFEED_CORPUS_BIN") {
        Ok(bin) => common::command(&bin, ws.dir.path()),
        Err(_) => common::seedfeed(ws.dir.path()),
    };
    let output = command
        .arg("inspect")
        .arg("--json")
        .args(files.iter().map(|f| format!("{corpus}/{f}")))
        .output()
        .expect("run seedfeed inspect");
    let reports: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "inspect --json: {e}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(reports.len(), files.len());

    // language -> field -> (right, total)
    let mut table: BTreeMap<String, BTreeMap<&str, (usize, usize)>> = BTreeMap::new();
    let mut misses = Vec::new();
    for (file, got) in files.iter().zip(&reports) {
        let want = &expected[file];
        let language = text(want, "language").unwrap_or("?").to_string();
        for field in FIELDS {
            let cell = table
                .entry(language.clone())
                .or_default()
                .entry(field)
                .or_default();
            cell.1 += 1;
            match score(field, want, got) {
                Ok(()) => cell.0 += 1,
                Err(gave) => misses.push(format!("{file}: {field}: got {gave:?}")),
            }
        }
    }

    let percent = |(right, total): (usize, usize)| 100.0 * right as f64 / total.max(1) as f64;
    let mut out = format!(
        "| language | files | {} | all |\n|---|---|{}---|\n",
        FIELDS.join(" | "),
        "---|".repeat(FIELDS.len())
    );
    let mut by_field: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (language, fields) in &table {
        let mut all = (0, 0);
        let mut row = format!("| {language} | {} |", fields[FIELDS[0]].1);
        for field in FIELDS {
            let cell = fields[field];
            row.push_str(&format!(" {:.0} |", percent(cell)));
            all = (all.0 + cell.0, all.1 + cell.1);
            let total = by_field.entry(field).or_default();
            *total = (total.0 + cell.0, total.1 + cell.1);
        }
        out.push_str(&format!("{row} {:.0} |\n", percent(all)));
    }
    let overall = by_field
        .values()
        .fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    let mut row = format!("| **all** | {} |", files.len());
    for field in FIELDS {
        row.push_str(&format!(" {:.1} |", percent(by_field[field])));
    }
    out.push_str(&format!("{row} **{:.1}** |\n", percent(overall)));
    eprintln!("{out}");
    for miss in &misses {
        eprintln!("miss: {miss}");
    }
    let share = overall.0 as f64 / overall.1 as f64;
    assert!(
        share >= MIN_SCORE,
        "the reader got {:.1}% of the corpus's fields right, under {:.0}%",
        100.0 * share,
        100.0 * MIN_SCORE
    );
}
