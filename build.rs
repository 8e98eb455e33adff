//! Builds the book's content: checks every chapter in `chapters/` and writes it as Rust data to `OUT_DIR`.
//! A broken chapter (unknown directive, dead link, malformed checkpoint) stops the build here.

use std::path::Path;

include!("src/widgets/names.rs");

fn main() {
    println!("cargo::rerun-if-changed=chapters");
    println!("cargo::rerun-if-changed=src/widgets/names.rs");
    println!("cargo::rerun-if-changed=crates/sim/src/drills.rs");
    let book = match content::load_book(Path::new("chapters"), SIMULATIONS) {
        Ok(book) => book,
        Err(errors) => {
            for e in &errors {
                println!("cargo::error={e}");
            }
            eprintln!("{} problem(s) in chapters/:", errors.len());
            for e in &errors {
                eprintln!("  {e}");
            }
            std::process::exit(1);
        }
    };
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("book.rs");
    std::fs::write(&out, content::to_rust(&book)).expect("OUT_DIR is writable");
    std::fs::write(out.with_file_name("glossary.rs"), content::glossary_rust(&book)).expect("OUT_DIR is writable");
    // The code drills widget shows the drills' own source, highlighted like the chapters' code.
    let drills = std::fs::read_to_string("crates/sim/src/drills.rs").expect("crates/sim/src/drills.rs is readable");
    let mut code = String::from("pub static DRILL_CODE: &[(&str, &str)] = &[\n");
    for (name, source) in content::drill_sections(&drills) {
        code.push_str(&format!("    ({name:?}, {:?}),\n", content::highlight(&source, "rust")));
    }
    code.push_str("];\n");
    std::fs::write(out.with_file_name("drills.rs"), code).expect("OUT_DIR is writable");
    // Flashcards and the learn path are checked against the book (chapters, headings) and compiled in.
    let study = content::load_study(Path::new("chapters"), &book).unwrap_or_else(|errors| {
        for e in &errors {
            println!("cargo::error={e}");
            eprintln!("  {e}");
        }
        std::process::exit(1);
    });
    std::fs::write(out.with_file_name("study.rs"), content::study_to_rust(&study)).expect("OUT_DIR is writable");
    // The search index's file name; the index itself is written beside the chapter bodies by `render-book`.
    let search = content::search_entries(&book, &study);
    std::fs::write(out.with_file_name("search.rs"), content::search_rust(&search)).expect("OUT_DIR is writable");
}
