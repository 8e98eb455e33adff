//! Builds the book's content: checks every chapter in `chapters/` and writes it as Rust data to `OUT_DIR`.
//! A broken chapter (unknown directive, dead link, malformed checkpoint) stops the build here.

use std::path::Path;

include!("src/widgets/names.rs");

fn main() {
    println!("cargo::rerun-if-changed=chapters");
    println!("cargo::rerun-if-changed=src/widgets/names.rs");
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
    // Flashcards and the learn path are checked against the book (chapters, headings) and compiled in.
    let study = content::load_study(Path::new("chapters"), &book).unwrap_or_else(|errors| {
        for e in &errors {
            println!("cargo::error={e}");
            eprintln!("  {e}");
        }
        std::process::exit(1);
    });
    std::fs::write(out.with_file_name("study.rs"), content::study_to_rust(&study)).expect("OUT_DIR is writable");
}
