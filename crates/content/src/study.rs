//! The study material beside the chapters: the flashcard deck (`chapters/study/flashcards.md`) and the
//! learn-from-zero path (`chapters/study/learn.md`). Both are checked against the book at build time — a card
//! for a chapter that does not exist, a duplicate id, or a link to a missing heading fails the build — and
//! emitted as Rust data the app compiles in (`study_to_rust`).
//!
//! Flashcards, one per `##` heading (the heading is the card's id):
//!
//! ````text
//! ## why-replicate
//! chapter: the-problem
//!
//! The front, in Markdown.
//!
//! ???
//!
//! The back, in Markdown.
//! ````
//!
//! The learn path: `## question: ID` (a prompt, `???`, the reasoning) and `## problem: ID` (a statement followed
//! by `### Step title` steps). Each may carry `title:`, `level:` (problems) and any number of
//! `see: slug.md#heading` lines right under its heading, naming the chapter section that shows it.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

use crate::{Book, ContentError};

/// The checked study material.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Study {
    pub cards: Vec<Card>,
    pub learn: LearnPath,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Card {
    pub id: String,
    /// The slug of the chapter the card belongs to.
    pub chapter: String,
    pub front_html: String,
    pub back_html: String,
}

#[derive(Clone, Debug, PartialEq, Default, serde::Serialize)]
pub struct LearnPath {
    pub intro_html: String,
    pub questions: Vec<LearnQuestion>,
    pub problems: Vec<LearnProblem>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LearnQuestion {
    pub id: String,
    pub title: String,
    pub prompt_html: String,
    pub reasoning_html: String,
    pub see: Vec<SeeAlso>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LearnProblem {
    pub id: String,
    pub title: String,
    pub level: String,
    pub statement_html: String,
    pub steps: Vec<LearnStep>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LearnStep {
    pub title: String,
    pub html: String,
    pub see: Vec<SeeAlso>,
}

/// A link to the chapter section that shows a step, with a label built from the chapter and heading.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SeeAlso {
    pub href: String,
    pub label: String,
}

/// Loads and checks `dir/study/flashcards.md` and `dir/study/learn.md` against `book`.
pub fn load_study(dir: &Path, book: &Book) -> Result<Study, Vec<ContentError>> {
    let mut errors = Vec::new();
    let cards_file = dir.join("study").join("flashcards.md");
    let learn_file = dir.join("study").join("learn.md");
    let cards = match std::fs::read_to_string(&cards_file) {
        Ok(text) => parse_cards(&cards_file, &text, book).unwrap_or_else(|mut e| {
            errors.append(&mut e);
            Vec::new()
        }),
        Err(e) => {
            errors.push(ContentError {
                file: cards_file,
                line: 0,
                message: format!("cannot read the flashcards: {e}"),
            });
            Vec::new()
        }
    };
    let learn = match std::fs::read_to_string(&learn_file) {
        Ok(text) => parse_learn(&learn_file, &text, book).unwrap_or_else(|mut e| {
            errors.append(&mut e);
            LearnPath::default()
        }),
        Err(e) => {
            errors.push(ContentError {
                file: learn_file,
                line: 0,
                message: format!("cannot read the learn path: {e}"),
            });
            LearnPath::default()
        }
    };
    if errors.is_empty() {
        Ok(Study { cards, learn })
    } else {
        Err(errors)
    }
}

/// A line of a study file with its line number.
type Line<'a> = (usize, &'a str);

/// A `##` (or `###`) section of a study file: its heading text, `key: value` header lines, and body.
struct Section<'a> {
    heading: &'a str,
    line: usize,
    fields: Vec<(&'a str, &'a str, usize)>,
    /// Body lines with their line numbers.
    body: Vec<(usize, &'a str)>,
}

/// Splits `lines` at headings that start with `marker` (`## ` or `### `). Returns the text before the first one
/// and the sections. Header lines are the `key: value` lines directly under the heading.
fn split_sections<'a>(lines: &[(usize, &'a str)], marker: &str) -> (Vec<(usize, &'a str)>, Vec<Section<'a>>) {
    let mut before = Vec::new();
    let mut out: Vec<Section<'a>> = Vec::new();
    let mut in_fence = false;
    for &(number, line) in lines {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence {
            if let Some(heading) = line.strip_prefix(marker) {
                out.push(Section { heading: heading.trim(), line: number, fields: Vec::new(), body: Vec::new() });
                continue;
            }
        }
        match out.last_mut() {
            None => before.push((number, line)),
            Some(section) => {
                let is_field = section.body.is_empty()
                    && line.split_once(':').is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase()) && !line.starts_with(' ')
                    });
                if is_field {
                    let (key, value) = line.split_once(':').expect("checked above");
                    section.fields.push((key, value.trim(), number));
                } else if !(section.body.is_empty() && line.trim().is_empty()) {
                    section.body.push((number, line));
                }
            }
        }
    }
    (before, out)
}

fn join(lines: &[(usize, &str)]) -> String {
    lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
}

/// Splits a body at its `???` line.
fn split_reveal<'a, 'b>(body: &'b [Line<'a>]) -> Option<(&'b [Line<'a>], &'b [Line<'a>])> {
    let at = body.iter().position(|(_, l)| l.trim() == "???")?;
    Some((&body[..at], &body[at + 1..]))
}

struct Checker<'a> {
    file: PathBuf,
    book: &'a Book,
    errors: Vec<ContentError>,
}

impl Checker<'_> {
    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(ContentError { file: self.file.clone(), line, message: message.into() });
    }

    fn valid_id(&mut self, id: &str, line: usize) -> bool {
        let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            self.error(line, format!("id {id:?} must be lower-case letters, digits and `-`"));
        }
        ok
    }

    /// Renders Markdown to HTML with the chapters' rules: links go to chapters (checked) or http(s); no raw HTML.
    fn markdown(&mut self, lines: &[(usize, &str)]) -> String {
        let line = lines.first().map_or(0, |(n, _)| *n);
        let text = join(lines);
        if text.trim().is_empty() {
            self.error(line, "this part is empty");
            return String::new();
        }
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_GFM
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_SMART_PUNCTUATION;
        let mut events = Vec::new();
        for event in Parser::new_ext(&text, options) {
            match event {
                Event::Html(_) | Event::InlineHtml(_) => {
                    self.error(line, "raw HTML is not allowed in study material (HTML comments are)");
                }
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    let href = self.link(&dest_url, line);
                    events.push(Event::Start(Tag::Link { link_type, dest_url: CowStr::from(href), title, id }));
                }
                other => events.push(other),
            }
        }
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    }

    /// Checks `slug.md#heading` against the book and returns the book's route for it.
    fn link(&mut self, dest: &str, line: usize) -> String {
        if dest.starts_with("https://") || dest.starts_with("http://") {
            return dest.to_owned();
        }
        match self.resolve(dest) {
            Ok((href, _)) => href,
            Err(message) => {
                self.error(line, message);
                "#/".to_owned()
            }
        }
    }

    /// `slug.md` or `slug.md#heading` → (route, "Chapter N · Heading").
    fn resolve(&self, dest: &str) -> Result<(String, String), String> {
        let (file, heading) = match dest.split_once('#') {
            Some((file, heading)) => (file, Some(heading)),
            None => (dest, None),
        };
        let slug = file
            .strip_suffix(".md")
            .ok_or_else(|| format!("links go to chapters (`slug.md`, `slug.md#heading`), found {dest:?}"))?;
        let chapter = self
            .book
            .chapters
            .iter()
            .find(|c| c.slug == slug)
            .ok_or_else(|| format!("link to unknown chapter {slug:?}"))?;
        match heading {
            None => Ok((format!("#/{slug}"), format!("Chapter {} · {}", chapter.number, chapter.title))),
            Some(id) => {
                let h = chapter
                    .headings
                    .iter()
                    .find(|h| h.id == id)
                    .ok_or_else(|| format!("link to unknown heading #{id} in {slug}"))?;
                Ok((format!("#/{slug}/{id}"), format!("Chapter {} · {}", chapter.number, h.text)))
            }
        }
    }

    /// The `see:` fields of a section, resolved.
    fn see(&mut self, fields: &[(&str, &str, usize)]) -> Vec<SeeAlso> {
        let mut out = Vec::new();
        for &(key, value, line) in fields {
            if key == "see" {
                match self.resolve(value) {
                    Ok((href, label)) => out.push(SeeAlso { href, label }),
                    Err(message) => self.error(line, message),
                }
            }
        }
        out
    }

    fn fields_known(&mut self, fields: &[(&str, &str, usize)], known: &[&str]) {
        for &(key, _, line) in fields {
            if !known.contains(&key) {
                self.error(line, format!("unknown field {key:?} (expected one of {})", known.join(", ")));
            }
        }
    }
}

fn field<'a>(fields: &[(&str, &'a str, usize)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _, _)| *k == key).map(|(_, v, _)| *v)
}

fn numbered(text: &str) -> Vec<(usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect()
}

/// Removes HTML comments, keeping their line breaks so that line numbers in errors stay right.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("-->").map_or(rest.len(), |e| start + e + 3);
        out.extend(rest[start..end].chars().filter(|&c| c == '\n'));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Parses the flashcard deck. Every card needs a unique id, a known chapter, a front and a back.
pub fn parse_cards(file: &Path, text: &str, book: &Book) -> Result<Vec<Card>, Vec<ContentError>> {
    let mut checker = Checker { file: file.to_path_buf(), book, errors: Vec::new() };
    let text = strip_comments(text);
    let lines = numbered(&text);
    let (_, sections) = split_sections(&lines, "## ");
    let mut ids = BTreeSet::new();
    let mut cards = Vec::new();
    for section in &sections {
        let id = section.heading.to_owned();
        if !checker.valid_id(&id, section.line) {
            continue;
        }
        if !ids.insert(id.clone()) {
            checker.error(section.line, format!("card id {id:?} is used twice"));
        }
        checker.fields_known(&section.fields, &["chapter"]);
        let Some(chapter) = field(&section.fields, "chapter") else {
            checker.error(section.line, format!("card {id:?} needs a `chapter: slug` line"));
            continue;
        };
        if !book.chapters.iter().any(|c| c.slug == chapter) {
            checker.error(section.line, format!("card {id:?} names unknown chapter {chapter:?}"));
            continue;
        }
        let Some((front, back)) = split_reveal(&section.body) else {
            checker.error(section.line, format!("card {id:?} needs a `???` line between its front and back"));
            continue;
        };
        let front_html = checker.markdown(front);
        let back_html = checker.markdown(back);
        cards.push(Card { id, chapter: chapter.to_owned(), front_html, back_html });
    }
    if cards.is_empty() && checker.errors.is_empty() {
        checker.error(0, "the deck has no cards");
    }
    if checker.errors.is_empty() {
        Ok(cards)
    } else {
        Err(checker.errors)
    }
}

/// Parses the learn-from-zero path.
pub fn parse_learn(file: &Path, text: &str, book: &Book) -> Result<LearnPath, Vec<ContentError>> {
    let mut checker = Checker { file: file.to_path_buf(), book, errors: Vec::new() };
    let text = strip_comments(text);
    let lines = numbered(&text);
    let (before, sections) = split_sections(&lines, "## ");
    let intro: Vec<(usize, &str)> = before.into_iter().filter(|(_, l)| !l.starts_with("# ")).collect();
    let intro_html =
        if intro.iter().all(|(_, l)| l.trim().is_empty()) { String::new() } else { checker.markdown(&intro) };
    let mut path = LearnPath { intro_html, ..LearnPath::default() };
    let mut ids = BTreeSet::new();
    for section in &sections {
        let Some((kind, id)) = section.heading.split_once(':').map(|(k, i)| (k.trim(), i.trim())) else {
            checker.error(section.line, "learn sections are `## question: id` or `## problem: id`");
            continue;
        };
        if !checker.valid_id(id, section.line) {
            continue;
        }
        if !ids.insert(id.to_owned()) {
            checker.error(section.line, format!("id {id:?} is used twice"));
        }
        let Some(title) = field(&section.fields, "title") else {
            checker.error(section.line, format!("{id:?} needs a `title:` line"));
            continue;
        };
        match kind {
            "question" => {
                checker.fields_known(&section.fields, &["title", "see"]);
                let see = checker.see(&section.fields);
                let Some((prompt, reasoning)) = split_reveal(&section.body) else {
                    checker.error(section.line, format!("question {id:?} needs a `???` line before its reasoning"));
                    continue;
                };
                let prompt_html = checker.markdown(prompt);
                let reasoning_html = checker.markdown(reasoning);
                path.questions.push(LearnQuestion {
                    id: id.to_owned(),
                    title: title.to_owned(),
                    prompt_html,
                    reasoning_html,
                    see,
                });
            }
            "problem" => {
                checker.fields_known(&section.fields, &["title", "level"]);
                let (statement, steps) = split_sections(&section.body, "### ");
                let statement_html = checker.markdown(&statement);
                let mut problem = LearnProblem {
                    id: id.to_owned(),
                    title: title.to_owned(),
                    level: field(&section.fields, "level").unwrap_or("").to_owned(),
                    statement_html,
                    steps: Vec::new(),
                };
                for step in &steps {
                    checker.fields_known(&step.fields, &["see"]);
                    let see = checker.see(&step.fields);
                    let html = checker.markdown(&step.body);
                    problem.steps.push(LearnStep { title: step.heading.to_owned(), html, see });
                }
                if problem.steps.is_empty() {
                    checker.error(section.line, format!("problem {id:?} needs `### Step` sections"));
                }
                path.problems.push(problem);
            }
            other => checker.error(section.line, format!("unknown learn section kind {other:?}")),
        }
    }
    if checker.errors.is_empty() {
        Ok(path)
    } else {
        Err(checker.errors)
    }
}

/// The study material as JSON: the body the app fetches when the reader opens the review or learn page.
pub fn study_json(study: &Study) -> String {
    serde_json::to_string(study).expect("study material is plain data")
}

/// The body's file name, `study-<FNV-1a 64 of the JSON>.json`, so it can be cached forever.
pub fn study_file(study: &Study) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in study_json(study).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("study-{hash:016x}.json")
}

/// Writes the study body into `dir` (beside the chapter bodies; run after `write_chapter_files`, which clears it).
pub fn write_study_file(study: &Study, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(study_file(study)), study_json(study))
}

/// Rust source for what the app compiles in (`OUT_DIR/study.rs`): the body's file name, and the outline the home
/// page's dashboard needs without fetching it — each card's id and chapter, each learn item's id and parts.
pub fn study_to_rust(study: &Study) -> String {
    let mut out = format!("pub static STUDY_FILE: &str = {:?};\npub static CARDS: &[Card] = &[\n", study_file(study));
    for c in &study.cards {
        let _ = writeln!(out, "Card {{ id: {:?}, chapter: {:?} }},", c.id, c.chapter);
    }
    out.push_str("];\n/// Learn-path items: (id, parts) — a question has one part, a problem one per step.\n");
    out.push_str("pub static LEARN_ITEMS: &[(&str, u32)] = &[");
    for q in &study.learn.questions {
        let _ = write!(out, "({:?}, 1), ", q.id);
    }
    for p in &study.learn.problems {
        let _ = write!(out, "({:?}, {}), ", p.id, p.steps.len());
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chapter, Heading};

    fn book() -> Book {
        Book {
            chapters: vec![Chapter {
                number: 0,
                slug: "the-problem".into(),
                title: "The Problem".into(),
                description: String::new(),
                headings: vec![Heading { level: 2, id: "why".into(), text: "Why".into() }],
                blocks: Vec::new(),
            }],
            glossary: Vec::new(),
        }
    }

    fn cards(text: &str) -> Result<Vec<Card>, Vec<String>> {
        parse_cards(Path::new("flashcards.md"), text, &book())
            .map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn a_card_has_an_id_a_chapter_a_front_and_a_back() {
        let deck = cards(
            "# Flashcards\n\n## why\nchapter: the-problem\n\nWhy *copy*?\n\n???\n\nSee [why](the-problem.md#why).\n",
        )
        .unwrap();
        assert_eq!(deck.len(), 1);
        assert_eq!(deck[0].id, "why");
        assert_eq!(deck[0].chapter, "the-problem");
        assert_eq!(deck[0].front_html, "<p>Why <em>copy</em>?</p>\n");
        assert_eq!(deck[0].back_html, "<p>See <a href=\"#/the-problem/why\">why</a>.</p>\n");
    }

    #[test]
    fn duplicate_ids_unknown_chapters_and_missing_backs_fail() {
        let twice = cards("## a\nchapter: the-problem\n\nQ\n???\nA\n\n## a\nchapter: the-problem\n\nQ\n???\nA\n");
        assert!(twice.unwrap_err()[0].contains("used twice"));
        let unknown = cards("## a\nchapter: nowhere\n\nQ\n???\nA\n");
        assert!(unknown.unwrap_err()[0].contains("unknown chapter"));
        let no_back = cards("## a\nchapter: the-problem\n\nQ\n");
        assert!(no_back.unwrap_err()[0].contains("???"));
        let dead_link = cards("## a\nchapter: the-problem\n\nQ\n???\n[x](the-problem.md#nope)\n");
        assert!(dead_link.unwrap_err()[0].contains("unknown heading"));
        let html = cards("## a\nchapter: the-problem\n\nQ <b>x</b>\n???\nA\n");
        assert!(html.unwrap_err()[0].contains("raw HTML"));
    }

    #[test]
    fn the_learn_path_has_questions_and_stepped_problems_with_checked_links() {
        let text = "# Learn\n\nIntro.\n\n## question: one\ntitle: One box\nsee: the-problem.md#why\n\nThink.\n\n???\n\nBecause.\n\n## problem: two\ntitle: Scale reads\nlevel: Easy\n\nStatement.\n\n### Spot the pattern\nsee: the-problem.md\n\nReads dominate.\n";
        let path = parse_learn(Path::new("learn.md"), text, &book()).unwrap();
        assert_eq!(path.intro_html, "<p>Intro.</p>\n");
        assert_eq!(
            path.questions[0].see,
            [SeeAlso { href: "#/the-problem/why".into(), label: "Chapter 0 · Why".into() }]
        );
        assert_eq!(path.problems[0].steps[0].title, "Spot the pattern");
        assert_eq!(path.problems[0].steps[0].see[0].href, "#/the-problem");
        let bad = parse_learn(Path::new("learn.md"), "## question: q\ntitle: T\nsee: nope.md\n\nQ\n???\nA\n", &book());
        assert!(bad.unwrap_err()[0].message.contains("unknown chapter"));
    }
}
