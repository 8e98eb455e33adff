//! The chapter pipeline: reads `chapters/` (the table of contents and one Markdown file per chapter), checks it,
//! and turns it into blocks — pre-rendered HTML, simulation mounts and checkpoints — that the app embeds.
//!
//! It runs at build time from the app's `build.rs`, so the reader's browser never parses Markdown and a broken
//! chapter never ships: every error names its file and line and fails the build.

mod checkpoint;
mod codegen;
pub mod csp;
mod glossary;
mod markdown;
mod search;
pub mod source_map;
mod study;
mod summary;

use std::fmt;
use std::path::{Path, PathBuf};

pub use checkpoint::{Checkpoint, CheckpointKind, Show};
pub use codegen::{
    chapter_file, chapter_json, glossary_file, glossary_json, glossary_rust, to_rust, write_chapter_files,
};
pub use glossary::{GlossaryEntry, Taught};
pub use search::{search_entries, search_file, search_json, search_rust, write_search_file, EntryKind, SearchEntry};
pub use study::{
    load_study, study_file, study_json, study_to_rust, write_study_file, Card, LearnPath, LearnProblem, LearnQuestion,
    LearnStep, SeeAlso, Study,
};

/// The glossary's file name in the chapters folder. Optional: a book without one links no terms.
pub const GLOSSARY: &str = "glossary.md";

/// The whole book, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Book {
    pub chapters: Vec<Chapter>,
    /// In the order of `glossary.md` (alphabetical).
    pub glossary: Vec<GlossaryEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    /// Position in the table of contents, from 0.
    pub number: usize,
    pub slug: String,
    pub title: String,
    /// The one-line description from the table of contents.
    pub description: String,
    pub headings: Vec<Heading>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Block {
    /// Prose, tables, callouts, figures and highlighted code, already rendered.
    Html(String),
    /// `{{#sim NAME}}`: mounts the simulation NAME here.
    Sim(String),
    Checkpoint(Checkpoint),
}

/// One problem in the chapters, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Loads and checks the book in `dir`. `simulations` lists the names a `{{#sim}}` directive may use.
/// Returns every error found, not just the first, so one build shows them all.
pub fn load_book(dir: &Path, simulations: &[&str]) -> Result<Book, Vec<ContentError>> {
    let entries = summary::read(dir)?;
    let mut chapters = Vec::new();
    let mut errors = Vec::new();
    let highlighter = markdown::Highlighter::new();
    let glossary_path = dir.join(GLOSSARY);
    let glossary = match std::fs::read_to_string(&glossary_path) {
        Ok(source) => {
            let (entries, mut problems) = glossary::parse_all(&glossary_path, &source);
            errors.append(&mut problems);
            entries
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            errors.push(ContentError { file: glossary_path.clone(), line: 1, message: format!("cannot read: {e}") });
            Vec::new()
        }
    };
    let terms = glossary::TermLinker::new(&glossary);
    for (number, entry) in entries.iter().enumerate() {
        let file = dir.join(format!("{}.md", entry.slug));
        let source = match std::fs::read_to_string(&file) {
            Ok(s) => s,
            Err(e) => {
                errors.push(ContentError {
                    file: dir.join("SUMMARY.md"),
                    line: entry.line,
                    message: format!("cannot read chapter {}: {e}", file.display()),
                });
                continue;
            }
        };
        let context = markdown::Context {
            dir,
            file: &file,
            slug: &entry.slug,
            simulations,
            highlighter: &highlighter,
            terms: &terms,
        };
        match markdown::render_chapter(&context, &source) {
            Ok(rendered) => {
                if rendered.title != entry.title {
                    errors.push(ContentError {
                        file: file.clone(),
                        line: 1,
                        message: format!("title {:?} differs from SUMMARY.md's {:?}", rendered.title, entry.title),
                    });
                }
                chapters.push((
                    Chapter {
                        number,
                        slug: entry.slug.clone(),
                        title: entry.title.clone(),
                        description: entry.description.clone(),
                        headings: rendered.headings,
                        blocks: rendered.blocks,
                    },
                    rendered.links,
                    file,
                ));
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    // Links can point forward, so they are checked once every chapter's headings are known.
    for (_, links, file) in &chapters {
        for link in links {
            let target = chapters.iter().find(|(c, _, _)| c.slug == link.slug);
            let problem = match (target, &link.heading) {
                (None, _) => Some(format!("link to unknown chapter {:?}", link.slug)),
                (Some((c, _, _)), Some(h)) if !c.headings.iter().any(|x| &x.id == h) => {
                    Some(format!("link to unknown heading #{h} in {}", c.slug))
                }
                _ => None,
            };
            if let Some(message) = problem {
                errors.push(ContentError { file: file.clone(), line: link.line, message });
            }
        }
    }
    for entry in &glossary {
        for taught in &entry.taught {
            let target = chapters.iter().find(|(c, _, _)| c.slug == taught.chapter);
            let problem = match (target, &taught.heading) {
                (None, _) => Some(format!("{:?} is taught in unknown chapter {:?}", entry.term, taught.chapter)),
                (Some((c, _, _)), Some(h)) if !c.headings.iter().any(|x| &x.id == h) => {
                    Some(format!("{:?} is taught at unknown heading #{h} in {}", entry.term, c.slug))
                }
                _ => None,
            };
            if let Some(message) = problem {
                errors.push(ContentError { file: glossary_path.clone(), line: taught.line, message });
            }
        }
    }
    let mut ids = std::collections::BTreeMap::new();
    for (chapter, _, file) in &chapters {
        for block in &chapter.blocks {
            if let Block::Checkpoint(c) = block {
                // "Show me" drives a simulation on the same page.
                if let Some(show) = &c.show {
                    if !chapter.blocks.iter().any(|b| matches!(b, Block::Sim(name) if *name == show.sim)) {
                        errors.push(ContentError {
                            file: file.clone(),
                            line: 1,
                            message: format!(
                                "checkpoint {:?} shows simulation {:?}, which this chapter does not mount",
                                c.id, show.sim
                            ),
                        });
                    }
                }
                if let Some(other) = ids.insert(c.id.clone(), chapter.slug.clone()) {
                    errors.push(ContentError {
                        file: file.clone(),
                        line: 1,
                        message: format!("checkpoint id {:?} is also used in {other}", c.id),
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(Book { chapters: chapters.into_iter().map(|(c, _, _)| c).collect(), glossary })
    } else {
        Err(errors)
    }
}

/// `code` in `lang` as the book highlights it: HTML with one short class per token (see `markdown.rs`).
pub fn highlight(code: &str, lang: &str) -> String {
    markdown::Highlighter::new().highlight(code, lang)
}

/// The sections of `source` between a `// drill: NAME` line and the next `// end drill` line, as (NAME, code).
/// The code drills widget shows `crates/sim/src/drills.rs` this way: the code on the page is the code that runs.
pub fn drill_sections(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in source.lines() {
        if let Some(name) = line.trim().strip_prefix("// drill: ") {
            current = Some((name.trim().to_owned(), Vec::new()));
        } else if line.trim() == "// end drill" {
            if let Some((name, lines)) = current.take() {
                out.push((name, lines.join("\n")));
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    out
}

/// Lower-case words joined by `-`: the id of a heading, as chapters link to it.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if (c == ' ' || c == '-' || c == '_') && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slugify("Replication vs. Backup: They're Not the Same"),
            "replication-vs-backup-theyre-not-the-same"
        );
        assert_eq!(slugify("The Numbers — Availability Math"), "the-numbers-availability-math");
        assert_eq!(slugify("W + R > N"), "w-r-n");
    }
}
