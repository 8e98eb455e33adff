//! The built page under a Content-Security-Policy with no 'unsafe-inline' and no 'unsafe-eval'.
//!
//! Trunk writes the code that starts the book as an inline module script. [`secure_index`] moves every inline
//! script into a file of its own beside the page (named by a hash of its text, so it can be cached forever) and
//! puts the policy in a `<meta>` tag at the top of `<head>`, before anything it governs. Run on the release build by
//! the `secure-html` bin from a Trunk post-build hook.

use crate::codegen::fnv1a;

/// Everything comes from the book's own origin. WebAssembly compilation needs 'wasm-unsafe-eval' (which allows no
/// JavaScript eval); `data:` images are the empty favicon; forms, plugins and a changed base URL are refused.
pub const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'none'";

/// The page after [`secure_index`], and the script files it now refers to (file name, text).
#[derive(Debug, PartialEq)]
pub struct SecuredPage {
    pub html: String,
    pub scripts: Vec<(String, String)>,
}

/// Moves inline scripts out of `html` and adds the policy. Fails on what the policy would silently break: a style
/// attribute, a `<style>` element, an inline event handler, a page with no `<head>`, or a policy already present.
pub fn secure_index(html: &str) -> Result<SecuredPage, String> {
    secure_index_with(html, "")
}

/// As [`secure_index`], with `prelude` put before the code of the first inline module script (Trunk's start-up
/// script), so it runs as soon as the app's JavaScript has loaded, before the wasm is fetched. The file's name is
/// a digest of the whole, prelude included.
pub fn secure_index_with(html: &str, prelude: &str) -> Result<SecuredPage, String> {
    let mut prelude = Some(prelude).filter(|p| !p.is_empty());
    if html.contains("Content-Security-Policy") {
        return Err("the page already has a Content-Security-Policy".into());
    }
    for (needle, what) in [
        (" style=", "a style attribute"),
        ("<style", "a <style> element"),
        (" onload=", "an inline event handler"),
        (" onclick=", "an inline event handler"),
    ] {
        if html.contains(needle) {
            return Err(format!("the page has {what}, which the Content-Security-Policy would block"));
        }
    }
    let mut out = String::with_capacity(html.len() + POLICY.len() + 128);
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let (before, from_tag) = rest.split_at(start);
        out.push_str(before);
        let open_end = from_tag.find('>').ok_or("a <script> tag is not closed")? + 1;
        let open = &from_tag[..open_end];
        let body_and_rest = &from_tag[open_end..];
        let close = body_and_rest.find("</script>").ok_or("a <script> element has no </script>")?;
        let body = &body_and_rest[..close];
        if open.contains(" src=") || body.trim().is_empty() {
            out.push_str(&from_tag[..open_end + close + "</script>".len()]);
        } else {
            let body = match prelude.take().filter(|_| open.contains("type=\"module\"")) {
                Some(prelude) => format!("{prelude}\n{}", body.trim()),
                None => body.to_owned(),
            };
            let body = body.as_str();
            let name = format!("boot-{:016x}.js", fnv1a(body));
            out.push_str(&open[..open.len() - 1]);
            out.push_str(&format!(" src=\"./{name}\"></script>"));
            scripts.push((name, body.trim().to_owned() + "\n"));
        }
        rest = &body_and_rest[close + "</script>".len()..];
    }
    out.push_str(rest);
    let head = out.find("<head>").ok_or("the page has no <head>")? + "<head>".len();
    out.insert_str(head, &format!("\n  <meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\" />"));
    Ok(SecuredPage { html: out, scripts })
}

/// A prelude for the start-up script that fetches the body of the chapter the address opens at once, beside the
/// app's wasm, instead of after the app has started and asked for it (the chapter pages' largest paint waited for
/// that second round trip). A `<link rel="preload" as="fetch" crossorigin>` makes the request exactly as the app's
/// own `fetch` will (same URL, CORS mode, same-origin credentials), so the browser hands it the preloaded answer.
/// `files` are the names in `chapters/`, `<slug>-<hash>.json`; names outside `[a-z0-9.-]` are left out.
pub fn chapter_preloader(files: &[String]) -> String {
    let mut entries: Vec<String> = files
        .iter()
        .filter(|f| {
            f.ends_with(".json")
                && f.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        })
        .filter_map(|f| {
            let (slug, _hash) = f.trim_end_matches(".json").rsplit_once('-')?;
            Some(format!("\"{slug}\":\"{f}\""))
        })
        .collect();
    entries.sort();
    format!(
        "// Written by secure-html (crates/content/src/csp.rs): fetch the opened chapter's body beside the app.\n\
         {{\n  const files = {{{}}};\n  const slug = /^#\\/([a-z0-9-]+)/.exec(location.hash)?.[1];\n  \
         if (slug && Object.hasOwn(files, slug)) {{\n    const link = document.createElement('link');\n    \
         link.rel = 'preload'; link.as = 'fetch'; link.crossOrigin = 'anonymous';\n    \
         link.href = 'chapters/' + files[slug];\n    document.head.append(link);\n  }}\n}}",
        entries.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\" />\n  \
<link rel=\"stylesheet\" href=\"./book-1.css\"/>\n<script type=\"module\">\nimport init from './book-1.js';\n\
await init({ module_or_path: './book-1_bg.wasm' });\n</script>\n<link rel=\"modulepreload\" href=\"./book-1.js\">\
</head>\n<body><p id=\"boot\">Loading</p></body>\n</html>\n";

    #[test]
    fn the_chapter_preloader_maps_each_slug_to_its_file_and_runs_before_the_app() {
        let files = ["the-problem-12ab.json", "leaderless-9f.json", "glossary-77.json", "notes.txt", "Evil\"-1.json"]
            .map(String::from);
        let prelude = chapter_preloader(&files);
        assert!(prelude.contains(
            "const files = {\"glossary\":\"glossary-77.json\",\"leaderless\":\"leaderless-9f.json\",\"the-problem\":\"the-problem-12ab.json\"};"
        ), "{prelude}");
        assert!(!prelude.contains("notes") && !prelude.contains("Evil"));
        let page = secure_index_with(TRUNK_PAGE, &prelude).unwrap();
        let (name, text) = &page.scripts[0];
        assert!(text.starts_with("// Written by secure-html"), "{text}");
        assert!(text.trim_end().ends_with("await init({ module_or_path: './book-1_bg.wasm' });"), "{text}");
        assert_ne!(name, &secure_index(TRUNK_PAGE).unwrap().scripts[0].0, "the name follows the content");
    }

    #[test]
    fn the_inline_starter_moves_to_a_file_and_the_policy_comes_first() {
        let page = secure_index(TRUNK_PAGE).unwrap();
        assert_eq!(page.scripts.len(), 1);
        let (name, text) = &page.scripts[0];
        assert!(name.starts_with("boot-") && name.ends_with(".js"), "{name}");
        assert_eq!(text, "import init from './book-1.js';\nawait init({ module_or_path: './book-1_bg.wasm' });\n");
        assert!(page.html.contains(&format!("<script type=\"module\" src=\"./{name}\"></script>")), "{}", page.html);
        assert!(!page.html.contains("import init"), "no inline code is left");
        // The policy precedes every resource in <head>.
        let policy = page.html.find("Content-Security-Policy").unwrap();
        assert!(policy < page.html.find("<meta charset").unwrap());
        assert!(policy < page.html.find("stylesheet").unwrap());
        assert!(!POLICY.contains("unsafe-inline") && !POLICY.contains("'unsafe-eval'"));
    }

    #[test]
    fn the_same_script_gets_the_same_name_and_another_another() {
        let first = secure_index(TRUNK_PAGE).unwrap();
        assert_eq!(secure_index(TRUNK_PAGE).unwrap(), first);
        let other = secure_index(&TRUNK_PAGE.replace("book-1", "book-2")).unwrap();
        assert_ne!(other.scripts[0].0, first.scripts[0].0);
    }

    #[test]
    fn scripts_with_a_source_stay_as_they_are() {
        let html = "<html><head><script type=\"module\" src=\"./a.js\"></script></head><body></body></html>";
        let page = secure_index(html).unwrap();
        assert!(page.scripts.is_empty());
        assert!(page.html.contains("<script type=\"module\" src=\"./a.js\"></script>"));
    }

    #[test]
    fn what_the_policy_would_break_is_an_error() {
        for bad in [
            "<html><head></head><body><p style=\"color:red\">x</p></body></html>",
            "<html><head><style>p{}</style></head></html>",
            "<html><head></head><body onload=\"go()\"></body></html>",
            "<html><body><script>go()</script></body></html>",
            "<html><head><script>unclosed",
        ] {
            assert!(secure_index(bad).is_err(), "{bad}");
        }
        let secured = secure_index(TRUNK_PAGE).unwrap().html;
        assert!(secure_index(&secured).is_err(), "securing twice is refused");
    }
}
