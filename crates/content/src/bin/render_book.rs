//! Writes each chapter's body, the study material and the search index, to `OUT_DIR/chapters/*.json` for Trunk to copy into `dist/`.
//! Usage: `render-book CHAPTERS_DIR OUT_DIR`. Run by Trunk's pre-build hook (see Trunk.toml).

use std::path::PathBuf;
use std::process::ExitCode;

include!("../../../../src/widgets/names.rs");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [chapters, out] = args.as_slice() else {
        eprintln!("usage: render-book CHAPTERS_DIR OUT_DIR");
        return ExitCode::from(2);
    };
    let book = match content::load_book(&PathBuf::from(chapters), SIMULATIONS) {
        Ok(book) => book,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let dir = PathBuf::from(out).join("chapters");
    if let Err(e) = content::write_chapter_files(&book, &dir) {
        eprintln!("cannot write {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    // The flashcards and the learn path are fetched beside the chapter bodies.
    let study = match content::load_study(&PathBuf::from(chapters), &book) {
        Ok(study) => study,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = content::write_study_file(&study, &dir) {
        eprintln!("cannot write {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    // The search index, fetched the first time the reader opens the search.
    if let Err(e) = content::write_search_file(&content::search_entries(&book, &study), &dir) {
        eprintln!("cannot write {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
