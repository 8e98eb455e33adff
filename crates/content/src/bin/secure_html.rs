//! Puts the built book under its Content-Security-Policy (see `content::csp`). Usage: `secure-html [DIR]`, where DIR
//! holds Trunk's `index.html` (by default Trunk's staging folder, `$TRUNK_STAGING_DIR`, as the post-build hook in
//! Trunk.toml runs it: hook arguments are not expanded by a shell). Only release builds are changed. Development builds
//! (`trunk serve`) are left alone, since Trunk's live reload injects a script of its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

include!("../../../../src/widgets/names.rs");
include!("../../../../src/pages/home_opening.rs");

/// Where the book's sources are, from the project folder Trunk runs its hooks in.
const CHAPTERS_DIR: &str = "chapters";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.as_slice() {
        [dir] => dir.clone(),
        [] => match std::env::var("TRUNK_STAGING_DIR") {
            Ok(dir) => dir,
            Err(_) => {
                eprintln!("usage: secure-html DIR (or run from a Trunk hook, which sets TRUNK_STAGING_DIR)");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: secure-html [DIR]");
            return ExitCode::from(2);
        }
    };
    if std::env::var("TRUNK_PROFILE").is_ok_and(|p| p != "release") {
        return ExitCode::SUCCESS;
    }
    let dir = PathBuf::from(dir);
    let index = dir.join("index.html");
    let html = match std::fs::read_to_string(&index) {
        Ok(html) => html,
        Err(e) => {
            eprintln!("cannot read {}: {e}", index.display());
            return ExitCode::FAILURE;
        }
    };
    // The chapter bodies the page may open at, so the start-up script can fetch the opened one at once.
    let chapters: Vec<String> = std::fs::read_dir(dir.join("chapters"))
        .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    // What the start-up script shows of each chapter while the app loads: from the same sources as the app.
    let book = match content::load_book(Path::new(CHAPTERS_DIR), SIMULATIONS) {
        Ok(book) => book,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let home = content::csp::HomeOpening { title: HOME_TITLE, lede: HOME_LEDE };
    let prelude = content::csp::chapter_prelude(&chapters, &book.chapters, home);
    let page = match content::csp::secure_index_with(&html, &prelude) {
        Ok(page) => page,
        Err(e) => {
            eprintln!("{}: {e}", index.display());
            return ExitCode::FAILURE;
        }
    };
    for (name, text) in &page.scripts {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            eprintln!("cannot write {name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = std::fs::write(&index, page.html) {
        eprintln!("cannot write {}: {e}", index.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
