//! Chapter 9's code drills: what each prints for the widget's default seed, pinned in a fixture that the browser
//! test compares the page's output with, so the page is shown to print exactly what the core computes.
//! Regenerate with `UPDATE_FIXTURES=1 cargo test -p book-tests code_drills`.

use std::fs;

use sim::drills::{run, Drill};

use crate::root;

/// The seed the widget starts with (`src/widgets/code_drills.rs`).
const DEFAULT_SEED: u64 = 42;

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn drill_output_for_the_default_seed_matches_the_browser_fixture() {
    let mut json = String::from("{\n");
    for (i, drill) in Drill::ALL.iter().enumerate() {
        let text = run(*drill, DEFAULT_SEED).join("\n");
        assert!(!text.is_empty(), "{drill:?} reports something");
        let comma = if i + 1 < Drill::ALL.len() { "," } else { "" };
        json.push_str(&format!("  {}: {}{comma}\n", json_string(drill.id()), json_string(&text)));
    }
    json.push_str("}\n");
    let path = root().join("tests/e2e/fixtures/code-drills.json");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::write(&path, &json).unwrap();
    }
    let pinned = fs::read_to_string(&path).unwrap_or_default();
    assert!(pinned == json, "{} is out of date; rerun with UPDATE_FIXTURES=1:\n{json}", path.display());
    // The numbers the chapter promises, independent of the fixture.
    let quorum = run(Drill::Quorum, DEFAULT_SEED);
    assert!(quorum.contains(&"repaired C".to_owned()) && quorum.contains(&"C now holds \"Alice\" (v2)".to_owned()));
}
