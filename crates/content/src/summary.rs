//! `SUMMARY.md`: the table of contents, the single source of truth for chapter order, titles and slugs.

use std::path::Path;

use crate::ContentError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub line: usize,
}

/// Reads lines of the form `- [Title](slug.md) — description`; anything else that is not blank, a heading or
/// a comment is an error, so a typo cannot silently drop a chapter.
pub(crate) fn read(dir: &Path) -> Result<Vec<Entry>, Vec<ContentError>> {
    let file = dir.join("SUMMARY.md");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        vec![ContentError { file: file.clone(), line: 0, message: format!("cannot read the table of contents: {e}") }]
    })?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut errors = Vec::new();
    let mut in_comment = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let number = index + 1;
        if in_comment {
            in_comment = !line.contains("-->");
            continue;
        }
        if line.starts_with("<!--") {
            in_comment = !line.contains("-->");
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_entry(line) {
            Some((title, slug, description)) => {
                if entries.iter().any(|e| e.slug == slug) {
                    errors.push(error(&file, number, format!("chapter {slug:?} is listed twice")));
                }
                entries.push(Entry { slug, title, description, line: number });
            }
            None => errors.push(error(
                &file,
                number,
                format!("expected `- [Title](slug.md) — description`, found {line:?}"),
            )),
        }
    }
    if entries.is_empty() {
        errors.push(error(&file, 0, "the table of contents lists no chapters".to_owned()));
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn parse_entry(line: &str) -> Option<(String, String, String)> {
    let rest = line.strip_prefix("- [")?;
    let (title, rest) = rest.split_once("](")?;
    let (file, rest) = rest.split_once(')')?;
    let slug = file.strip_suffix(".md")?;
    let valid = !slug.is_empty() && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid || title.trim().is_empty() {
        return None;
    }
    let description = rest.trim().trim_start_matches('—').trim_start_matches("--").trim();
    Some((title.trim().to_owned(), slug.to_owned(), description.to_owned()))
}

fn error(file: &Path, line: usize, message: String) -> ContentError {
    ContentError { file: file.to_path_buf(), line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_with_and_without_descriptions() {
        assert_eq!(
            parse_entry("- [The Problem](the-problem.md) — why one server is not enough"),
            Some(("The Problem".into(), "the-problem".into(), "why one server is not enough".into()))
        );
        assert_eq!(parse_entry("- [A](a.md)"), Some(("A".into(), "a".into(), String::new())));
        assert_eq!(parse_entry("- [A](A B.md)"), None);
        assert_eq!(parse_entry("* [A](a.md)"), None);
    }
}
