//! Word counts of each chapter next to its part of the course source, and the source coverage map.
//! Usage: `content-report [--source PATH] [--chapters DIR] [--write-map docs/source-map.md]`.

use std::path::PathBuf;
use std::process::ExitCode;

use content::source_map;

include!("../../../../src/widgets/names.rs");

fn main() -> ExitCode {
    let mut source = None;
    let mut chapters = PathBuf::from("chapters");
    let mut write_map = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--source", Some(v)) => source = Some(PathBuf::from(v)),
            ("--chapters", Some(v)) => chapters = PathBuf::from(v),
            ("--write-map", Some(v)) => write_map = Some(PathBuf::from(v)),
            _ => {
                eprintln!("usage: content-report [--source PATH] [--chapters DIR] [--write-map FILE]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(source_path) = source.or_else(source_map::default_source) else {
        eprintln!("no course source found: pass --source PATH or set BOOK_SOURCE");
        return ExitCode::FAILURE;
    };
    let source_text = match std::fs::read_to_string(&source_path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {}: {e}", source_path.display());
            return ExitCode::FAILURE;
        }
    };
    let book = match content::load_book(&chapters, SIMULATIONS) {
        Ok(book) => book,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let source_words = source_map::source_words_by_chapter(&source_text);
    println!(
        "{:>2}  {:<30} {:>11} {:>11} {:>12} {:>6}",
        "ch", "chapter", "prose words", "all words", "source words", "ratio"
    );
    let (mut ours, mut theirs) = (0, 0);
    for chapter in &book.chapters {
        let markdown = std::fs::read_to_string(chapters.join(format!("{}.md", chapter.slug))).unwrap_or_default();
        let prose = source_map::prose_words(&markdown);
        let all = markdown.split_whitespace().count();
        let src = source_words.get(chapter.number).copied().unwrap_or(0);
        ours += prose;
        theirs += src;
        println!(
            "{:>2}  {:<30} {prose:>11} {all:>11} {src:>12} {:>6.2}",
            chapter.number,
            chapter.title,
            prose as f64 / src.max(1) as f64
        );
    }
    println!("    {:<30} {ours:>11} {:>11} {theirs:>12} {:>6.2}", "total", "", ours as f64 / theirs.max(1) as f64);
    println!("glossary terms: {}", book.glossary.len());
    let problems = source_map::check(&book, &source_text);
    println!("source items mapped: {} ({} problems)", source_map::ITEMS.len(), problems.len());
    for p in &problems {
        println!("  {p}");
    }
    if let Some(path) = write_map {
        if let Err(e) = std::fs::write(&path, source_map::render_markdown(&book, &source_text)) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
