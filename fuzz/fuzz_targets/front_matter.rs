//! Fuzz target: any text as Markdown front matter (YAML or TOML) must be read or refused
//! within its budgets (size, values once aliases are expanded, nesting), without a panic and
//! without using more memory than libFuzzer's limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seedfeed::article::markdown::split_front_matter;

fuzz_target!(|text: &str| {
    for fence in ["---", "+++"] {
        let _ = split_front_matter(&format!("{fence}\n{text}\n{fence}\nBody.\n"));
    }
    let _ = split_front_matter(text);
});
