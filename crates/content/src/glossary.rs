//! The glossary (`chapters/glossary.md`): parsed and checked at build time, and the term linker that turns the
//! first use of each term in every chapter into a link to its entry.
//!
//! An entry is a `## Term` heading, field lines right under it (`taught:` required, `also:` and `see:`
//! optional), a blank line, and a definition in Markdown. Duplicate terms (or spellings shared by two entries),
//! missing definitions, unknown fields, links in definitions and `see:` names that are not terms are reported
//! here with their line; `taught:` links are checked against the chapters once those are known (`lib.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use pulldown_cmark::{html, Event, Options, Parser, Tag};

use crate::markdown::html_escape;
use crate::{slugify, ContentError};

/// One entry, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlossaryEntry {
    pub term: String,
    /// The id in `#/glossary/<slug>`.
    pub slug: String,
    /// Spellings linked in chapters: the term without any parenthetical, then the `also:` forms. Lower-case,
    /// except acronyms (`CAP`, `RF`), which match only in capitals so "cap the lag" stays plain text.
    pub forms: Vec<String>,
    pub taught: Vec<Taught>,
    /// Slugs of related entries.
    pub see: Vec<String>,
    pub definition_html: String,
    /// Line of the `## Term` heading.
    pub line: usize,
}

/// A `taught:` link: a chapter and optionally a heading in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taught {
    pub chapter: String,
    pub heading: Option<String>,
    pub line: usize,
}

/// Parses `source` (the text of `file`). Returns every problem found, each with its line.
#[cfg(test)]
fn parse(file: &Path, source: &str) -> Result<Vec<GlossaryEntry>, Vec<ContentError>> {
    let (entries, errors) = parse_all(file, source);
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// The entries that parsed, and every problem found (each with its line): the book checks the `taught:` links
/// of the good entries even when others are broken, so one build reports everything.
pub fn parse_all(file: &Path, source: &str) -> (Vec<GlossaryEntry>, Vec<ContentError>) {
    let mut errors = Vec::new();
    let mut error =
        |line: usize, message: String| errors.push(ContentError { file: file.to_path_buf(), line, message });
    let lines: Vec<&str> = source.lines().collect();
    let mut entries: Vec<GlossaryEntry> = Vec::new();
    // `see:` names are resolved once every term is known: (entry index, names, line).
    let mut see_names: Vec<(usize, Vec<String>, usize)> = Vec::new();
    let mut i = 0;
    let mut in_comment = false;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        if in_comment || line.trim_start().starts_with("<!--") {
            in_comment = !line.contains("-->");
            i += 1;
            continue;
        }
        if i == 0 {
            if line.trim() != "# Glossary" {
                error(number, "the glossary starts with `# Glossary`".into());
            }
            i += 1;
            continue;
        }
        let Some(term) = line.strip_prefix("## ").map(str::trim) else {
            if !line.trim().is_empty() {
                error(number, format!("expected a `## Term` heading, found {:?}", truncate(line)));
            }
            i += 1;
            continue;
        };
        i += 1;
        let mut taught = Vec::new();
        let mut also = Vec::new();
        let mut see = Vec::new();
        let mut saw_taught = false;
        let mut see_line = number;
        while i < lines.len() && !lines[i].trim().is_empty() && !lines[i].starts_with("## ") {
            let field_line = i + 1;
            match lines[i].split_once(':') {
                Some(("taught", value)) => {
                    saw_taught = true;
                    for link in list(value) {
                        match parse_taught(&link, field_line) {
                            Ok(t) => taught.push(t),
                            Err(message) => error(field_line, message),
                        }
                    }
                }
                Some(("also", value)) => also.extend(list(value)),
                Some(("see", value)) => {
                    see_line = field_line;
                    see.extend(list(value));
                }
                _ => error(
                    field_line,
                    format!(
                        "unknown field {:?} under {term:?} (fields are `taught:`, `also:`, `see:`; a blank line \
                         comes before the definition)",
                        truncate(lines[i])
                    ),
                ),
            }
            i += 1;
        }
        if !saw_taught || taught.is_empty() {
            error(number, format!("{term:?} needs a `taught:` line naming where the book teaches it"));
        }
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let start = i;
        while i < lines.len() && !lines[i].starts_with("## ") {
            i += 1;
        }
        let definition = lines[start..i].join("\n");
        let definition_html = match render_definition(&definition) {
            Ok(html) => html,
            Err(message) => {
                error(start + 1, format!("{term:?}: {message}"));
                String::new()
            }
        };
        if definition.trim().is_empty() {
            error(number, format!("{term:?} has no definition"));
        }
        let slug = slugify(term);
        if term.is_empty() || slug.is_empty() {
            error(number, "a glossary heading needs a term".into());
            continue;
        }
        if let Some(other) = entries.iter().find(|e| e.slug == slug) {
            error(number, format!("duplicate term {term:?} (also at line {})", other.line));
            continue;
        }
        let mut forms: Vec<String> = Vec::new();
        for form in std::iter::once(without_parentheses(term)).chain(also) {
            let form = if is_acronym(&form) { form } else { form.to_ascii_lowercase() };
            if form.is_empty() || forms.contains(&form) {
                continue;
            }
            if let Some(other) = entries.iter().find(|e| e.forms.contains(&form)) {
                error(
                    number,
                    format!("{form:?} would link to both {term:?} and {:?} (line {})", other.term, other.line),
                );
                continue;
            }
            forms.push(form);
        }
        if !see.is_empty() {
            see_names.push((entries.len(), see, see_line));
        }
        entries.push(GlossaryEntry {
            term: term.to_owned(),
            slug,
            forms,
            taught,
            see: Vec::new(),
            definition_html,
            line: number,
        });
    }
    for (index, names, line) in see_names {
        for name in names {
            match entries.iter().find(|e| e.term == name) {
                Some(target) if target.slug == entries[index].slug => {
                    error(line, format!("{name:?} refers to itself in `see:`"));
                }
                Some(target) => {
                    let slug = target.slug.clone();
                    entries[index].see.push(slug);
                }
                None => error(line, format!("`see:` names {name:?}, which is not a term in the glossary")),
            }
        }
    }
    (entries, errors)
}

/// `CAP`, `LSN`, `RF`: two or more letters, all capitals (digits allowed).
fn is_acronym(form: &str) -> bool {
    form.chars().filter(char::is_ascii_alphabetic).count() >= 2
        && form.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn truncate(line: &str) -> String {
    line.chars().take(60).collect()
}

/// `slug.md` or `slug.md#heading`.
fn parse_taught(link: &str, line: usize) -> Result<Taught, String> {
    let (file, heading) = match link.split_once('#') {
        Some((file, heading)) => (file, Some(heading.to_owned())),
        None => (link, None),
    };
    match file.strip_suffix(".md").filter(|s| !s.is_empty() && !s.contains('/')) {
        Some(chapter) => Ok(Taught { chapter: chapter.to_owned(), heading, line }),
        None => Err(format!("`taught:` links are `slug.md` or `slug.md#heading`, found {link:?}")),
    }
}

/// "Logical (row-based) replication" → "Logical replication": the words a chapter actually uses.
fn without_parentheses(term: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in term.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A definition is plain Markdown prose: no raw HTML, and no links (entries link through `taught:` and `see:`,
/// which are checked).
fn render_definition(markdown: &str) -> Result<String, String> {
    let events: Vec<Event<'_>> =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION).collect();
    for event in &events {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => return Err("raw HTML is not allowed in a definition".into()),
            Event::Start(Tag::Link { .. }) | Event::Start(Tag::Image { .. }) => {
                return Err("definitions have no links or images; use `see:` and `taught:`".into())
            }
            Event::Start(Tag::Heading { .. }) => return Err("a definition cannot contain a heading".into()),
            _ => {}
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    Ok(out)
}

/// Finds glossary terms in chapter text. One per book; each chapter keeps its own set of terms already linked.
pub(crate) struct TermLinker {
    /// (lower-case form, entry slug, entry term), longest form first so "sloppy quorum" wins over "quorum".
    forms: Vec<(String, String, String)>,
}

impl TermLinker {
    pub fn new(entries: &[GlossaryEntry]) -> TermLinker {
        let mut forms: Vec<(String, String, String)> =
            entries.iter().flat_map(|e| e.forms.iter().map(|f| (f.clone(), e.slug.clone(), e.term.clone()))).collect();
        forms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        TermLinker { forms }
    }

    /// `text` as HTML with the first use of each term not yet in `linked` turned into a link, or `None` if
    /// nothing was linked (so the caller keeps the plain text event).
    pub fn link(&self, text: &str, linked: &mut BTreeSet<String>) -> Option<String> {
        if self.forms.is_empty() {
            return None;
        }
        // ASCII lower-casing keeps byte offsets identical to `text`'s.
        let lower = text.to_ascii_lowercase();
        let mut out = String::new();
        let mut copied = 0;
        let mut i = 0;
        while i < text.len() {
            let at_boundary = text[..i].chars().next_back().is_none_or(|c| !is_word_char(c));
            if !at_boundary {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let found = self.forms.iter().find_map(|(form, slug, term)| {
                let haystack = if is_acronym(form) { &text[i..] } else { &lower[i..] };
                matched_len(haystack, form).map(|len| (len, slug, term))
            });
            match found {
                Some((len, slug, term)) => {
                    if linked.insert(slug.clone()) {
                        out.push_str(&html_escape(&text[copied..i]));
                        out.push_str(&term_link(slug, term, &text[i..i + len], &html_escape(&text[i..i + len])));
                        copied = i + len;
                    }
                    i += len;
                }
                None => i += text[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        if copied == 0 {
            return None;
        }
        out.push_str(&html_escape(&text[copied..]));
        Some(out)
    }

    /// Inline code that is exactly a term (`acks=all`), or a term set to a value (`min.insync.replicas=2`), as
    /// a link around the code, if that term is not linked yet in this chapter.
    pub fn link_code(&self, code: &str, linked: &mut BTreeSet<String>) -> Option<String> {
        let lower = code.trim().to_ascii_lowercase();
        let (_, slug, term) = self.forms.iter().find(|(form, _, _)| {
            form.contains(['=', '.'])
                && (lower == *form || lower.strip_prefix(form.as_str()).is_some_and(|r| r.starts_with('=')))
        })?;
        linked.insert(slug.clone()).then(|| term_link(slug, term, code, &format!("<code>{}</code>", html_escape(code))))
    }
}

/// A link to a glossary entry. Its accessible name starts with the words on screen (so speech input can say
/// them) and adds where it goes.
fn term_link(slug: &str, term: &str, shown: &str, inner_html: &str) -> String {
    format!(
        "<a class=\"term\" href=\"#/glossary/{slug}\" aria-label=\"{label}: see the glossary\" \
         title=\"Glossary: {term}\">{inner_html}</a>",
        label = html_escape(shown),
        term = html_escape(term),
    )
}

/// Letters, digits, `-` and `_` continue a word: "leader" is not linked inside "multi-leader".
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// Length of `form` (or a simple plural of it) at the start of `text`, if it ends at a word boundary.
fn matched_len(text: &str, form: &str) -> Option<usize> {
    let ends_word = |len: usize| text[len..].chars().next().is_none_or(|c| !is_word_char(c));
    // "primary" → "primaries": the final y becomes "ies".
    if let Some(stem) = form.strip_suffix('y') {
        if text.starts_with(stem) && text[stem.len()..].starts_with("ies") && ends_word(stem.len() + 3) {
            return Some(stem.len() + 3);
        }
    }
    if !text.starts_with(form) {
        return None;
    }
    for plural in ["s", "es"] {
        if text[form.len()..].starts_with(plural) && ends_word(form.len() + plural.len()) {
            return Some(form.len() + plural.len());
        }
    }
    ends_word(form.len()).then_some(form.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(source: &str) -> Vec<GlossaryEntry> {
        parse(Path::new("glossary.md"), source).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const SMALL: &str = "# Glossary\n\n## Quorum\ntaught: leaderless.md\n\nOverlap.\n\n## Sloppy quorum\n\
                         taught: leaderless.md#sloppy\nsee: Quorum\n\nAny nodes.\n\n## Leader\nalso: primary\n\
                         taught: leaders.md\n\nTakes writes.\n\n## Replica\ntaught: the-problem.md\n\nA copy.\n";

    #[test]
    fn entries_have_forms_links_and_definitions() {
        let e = entries(SMALL);
        assert_eq!(e.len(), 4);
        assert_eq!(e[1].slug, "sloppy-quorum");
        assert_eq!(e[1].see, vec!["quorum".to_owned()]);
        assert_eq!(e[1].taught[0], Taught { chapter: "leaderless".into(), heading: Some("sloppy".into()), line: 9 });
        assert_eq!(e[2].forms, vec!["leader".to_owned(), "primary".to_owned()]);
        assert_eq!(e[3].definition_html, "<p>A copy.</p>\n");
        assert_eq!(without_parentheses("Logical (row-based) replication"), "Logical replication");
    }

    #[test]
    fn the_first_use_is_linked_longest_form_first_and_whole_words_only() {
        let linker = TermLinker::new(&entries(SMALL));
        let mut linked = BTreeSet::new();
        let html =
            linker.link("A sloppy quorum is not a quorum. Multi-leader, not leader-based; primaries", &mut linked);
        let html = html.unwrap();
        assert!(html.contains(">sloppy quorum</a> is not a <a"), "{html}");
        assert!(html.contains("href=\"#/glossary/quorum\""));
        assert!(!html.contains(">leader</a>"), "inside hyphenated words nothing is linked: {html}");
        assert!(html.contains(">primaries</a>"), "plural of a -y form: {html}");
        // Second use in the same chapter: not linked again.
        assert_eq!(linker.link("Quorum again, and a Replicas test.", &mut linked).unwrap().matches("<a ").count(), 1);
        assert!(linked.contains("replica"));
        assert_eq!(linker.link("Nothing here & there", &mut linked), None);
    }

    #[test]
    fn errors_carry_their_line() {
        let bad = "# Glossary\n\n## Quorum\ntaught: leaderless.md\n\nOverlap.\n\n## Quorum\ntaught: x.md\n\nAgain.\n\n\
                   ## Lonely\ntaught: x.md\n\n## Odd\ncolour: blue\ntaught: x.md\n\nText with [a link](x.md).\n\n\
                   ## Untaught\n\nDefined.\n\n## Pointer\ntaught: x.md\nsee: Nowhere\n\nPoints.\n";
        let errors = parse(Path::new("glossary.md"), bad).unwrap_err();
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert!(found.iter().any(|(l, m)| *l == 8 && m.contains("duplicate term")), "{found:?}");
        assert!(found.iter().any(|(l, m)| *l == 13 && m.contains("no definition")), "{found:?}");
        assert!(found.iter().any(|(l, m)| *l == 17 && m.contains("unknown field")), "{found:?}");
        assert!(found.iter().any(|(l, m)| *l == 20 && m.contains("no links")), "{found:?}");
        assert!(found.iter().any(|(l, m)| *l == 22 && m.contains("needs a `taught:`")), "{found:?}");
        assert!(found.iter().any(|(l, m)| *l == 28 && m.contains("not a term")), "{found:?}");
    }

    #[test]
    fn a_spelling_shared_by_two_entries_is_an_error() {
        let bad = "# Glossary\n\n## Leader\nalso: primary\ntaught: a.md\n\nOne.\n\n## Primary\ntaught: a.md\n\nTwo.\n";
        let errors = parse(Path::new("glossary.md"), bad).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 9);
        assert!(errors[0].message.contains("would link to both"));
    }
}
