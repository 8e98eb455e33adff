//! The chapter pipeline against the real book and against broken inputs.

use std::fs;

use content::{load_book, Block};

use crate::root;

// The same list the app's build script uses.
include!("../../src/widgets/names.rs");

fn simulations() -> Vec<&'static str> {
    SIMULATIONS.to_vec()
}

#[test]
fn the_book_builds_and_matches_its_table_of_contents() {
    let dir = root().join("chapters");
    let book = load_book(&dir, &simulations()).unwrap_or_else(|errors| {
        panic!("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
    });
    let summary = fs::read_to_string(dir.join("SUMMARY.md")).unwrap();
    let listed = summary.lines().filter(|l| l.trim_start().starts_with("- [")).count();
    assert_eq!(book.chapters.len(), listed);
    assert_eq!(book.chapters.len(), 11, "chapters 0 to 10");
    // Every Markdown file in chapters/ is in the table of contents, and vice versa.
    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".md")
                .filter(|s| *s != "SUMMARY" && *s != "README" && *s != "glossary")
                .map(str::to_owned)
        })
        .collect();
    files.sort();
    let mut slugs: Vec<String> = book.chapters.iter().map(|c| c.slug.clone()).collect();
    slugs.sort();
    assert_eq!(files, slugs);
    // Every directive names a simulation the app can mount.
    for chapter in &book.chapters {
        for block in &chapter.blocks {
            if let Block::Sim(name) = block {
                assert!(simulations().contains(&name.as_str()), "{}: {name}", chapter.slug);
            }
        }
    }
    let first = &book.chapters[0];
    assert_eq!(first.slug, "the-problem");
    assert!(first.blocks.iter().any(|b| *b == Block::Sim("single-node".into())), "chapter 0 mounts its simulation");
    assert!(first
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Checkpoint(c) if c.id == "the-problem-warmup-read-throughput")));
}

/// Writes a tiny book into a temp dir and returns the errors it produces.
fn errors_for(chapter: &str) -> Vec<String> {
    errors_with_figures(chapter, &[])
}

/// As [`errors_for`], with `figures` (file name, SVG text) in the book's figures folder.
fn errors_with_figures(chapter: &str, figures: &[(&str, &str)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "book-test-{}-{}",
        std::process::id(),
        chapter.len() ^ chapter.as_bytes().iter().map(|b| *b as usize).sum::<usize>()
    ));
    fs::create_dir_all(dir.join("figures")).unwrap();
    for (name, svg) in figures {
        fs::write(dir.join("figures").join(name), svg).unwrap();
    }
    fs::write(dir.join("SUMMARY.md"), "- [One](one.md) — first\n- [Two](two.md) — second\n").unwrap();
    fs::write(dir.join("one.md"), chapter).unwrap();
    fs::write(dir.join("two.md"), "# Two\n\n## Target heading\n\nText.\n\n## Key points\n\n- A point.\n").unwrap();
    let result = load_book(&dir, &["single-node"]);
    fs::remove_dir_all(&dir).ok();
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| format!("{}: {}", e.line, e.message)).collect(),
    }
}

#[test]
fn a_valid_tiny_book_builds() {
    let ok = "# One\n\nSee [two](two.md#target-heading) and [here](#key-points).\n\n{{#sim single-node}}\n\n## Key points\n\n- A point.\n";
    assert_eq!(errors_for(ok), Vec::<String>::new());
}

#[test]
fn an_unknown_directive_fails_the_build() {
    let errors = errors_for("# One\n\n{{#sim quantum-foam}}\n\n## Key points\n\n- A point.\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("3: unknown simulation \"quantum-foam\""), "{errors:?}");
    let errors = errors_for("# One\n\n{{#include other.md}}\n\n## Key points\n\n- A point.\n");
    assert!(errors[0].contains("unknown directive"), "{errors:?}");
}

#[test]
fn a_broken_internal_link_fails_the_build() {
    let errors = errors_for("# One\n\nSee [three](three.md).\n\n## Key points\n\n- A point.\n");
    assert_eq!(errors, ["3: link to unknown chapter \"three\""]);
    let errors = errors_for("# One\n\nSee [two](two.md#no-such-heading).\n\n## Key points\n\n- A point.\n");
    assert_eq!(errors, ["3: link to unknown heading #no-such-heading in two"]);
}

#[test]
fn a_title_that_disagrees_with_the_summary_fails_the_build() {
    let errors = errors_for("# Uno\n\n## Key points\n\n- A point.\n");
    assert!(errors[0].contains("differs from SUMMARY.md"), "{errors:?}");
}

#[test]
fn a_missing_figure_and_raw_html_fail_the_build() {
    let errors =
        errors_for("# One\n\n![A diagram](figures/nope.svg)\n\n<div>raw</div>\n\n## Key points\n\n- A point.\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("cannot read figure"));
    assert!(errors[1].contains("raw HTML"));
}

#[test]
fn a_figure_styled_inline_fails_the_build() {
    // Style attributes and elements would be dropped under the book's Content-Security-Policy.
    let chapter = "# One\n\n![A box](figures/box.svg)\n\n## Key points\n\n- A point.\n";
    let styled = r#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:var(--fg)"/></svg>"#;
    let errors = errors_with_figures(chapter, &[("box.svg", styled)]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("box.svg uses a style attribute"), "{errors:?}");
    let with_element = r#"<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: red }</style><rect/></svg>"#;
    assert_eq!(errors_with_figures(chapter, &[("box.svg", with_element)]).len(), 1);
    let presentational = r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="var(--fg)"/></svg>"#;
    assert_eq!(errors_with_figures(chapter, &[("box.svg", presentational)]), Vec::<String>::new());
}

#[test]
fn headings_get_ids_and_anchor_links() {
    let dir = root().join("chapters");
    let book = load_book(&dir, &simulations()).expect("the book builds");
    let chapter = &book.chapters[0];
    let html: String =
        chapter.blocks.iter().filter_map(|b| if let Block::Html(h) = b { Some(h.as_str()) } else { None }).collect();
    for h in &chapter.headings {
        let anchor = format!("href=\"#/{}/{}\"", chapter.slug, h.id);
        assert!(
            html.contains(&format!("id=\"{}\"", h.id)) && html.contains(&anchor),
            "heading {} has id and anchor",
            h.id
        );
    }
    assert!(html.contains("<pre class=\"code\" data-lang=\"rust\""), "chapter 0 shows Rust code");
    assert!(html.contains("<span class=\"k\">fn</span>"), "Rust code is highlighted");
}
