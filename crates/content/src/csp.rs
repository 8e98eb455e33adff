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
    // Behind a prelude, the start-up script decides when the wasm is fetched: Trunk's preload of it leaves the
    // page, and the prelude gets the tag, to add on a page that has no chapter opening to show first.
    let (html, wasm_preload) = match prelude {
        Some(_) => take_wasm_preload(html),
        None => (html.to_owned(), String::new()),
    };
    let mut out = String::with_capacity(html.len() + POLICY.len() + 128);
    let mut scripts = Vec::new();
    let mut rest = html.as_str();
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
                Some(prelude) => {
                    let tag = serde_json::to_string(&wasm_preload).map_err(|e| e.to_string())?;
                    format!("{}\n{}", prelude.replace(WASM_PRELOAD_MARKER, &tag), import_after_prelude(body.trim())?)
                }
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

/// Trunk's start-up script imports the app's JavaScript with a static `import`, which runs before any code of
/// the script, prelude included. Behind a prelude it becomes a dynamic import, so the prelude decides when the
/// app (and its wasm) is fetched.
fn import_after_prelude(body: &str) -> Result<String, String> {
    const STATIC_IMPORT: &str = "import init, * as bindings from ";
    let start = body.find(STATIC_IMPORT).ok_or("Trunk's start-up script no longer imports `init, * as bindings`")?;
    let rest = &body[start + STATIC_IMPORT.len()..];
    let end = rest.find(';').ok_or("Trunk's start-up import has no `;`")?;
    let specifier = rest[..end].trim();
    Ok(format!(
        "{}const bindings = await import({specifier});\nconst init = bindings.default;{}",
        &body[..start],
        &rest[end + 1..]
    ))
}

/// Where a prelude wants Trunk's wasm preload tag, as a JavaScript string.
const WASM_PRELOAD_MARKER: &str = "\"__WASM_PRELOAD__\"";

/// Takes Trunk's `<link rel="preload" … type="application/wasm">` tags out of the page: returns the page without
/// them, and them.
fn take_wasm_preload(html: &str) -> (String, String) {
    let (mut out, mut taken) = (String::with_capacity(html.len()), String::new());
    let mut rest = html;
    while let Some(start) = rest.find("<link rel=\"preload\"") {
        let Some(len) = rest[start..].find('>').map(|end| end + 1) else { break };
        let tag = &rest[start..start + len];
        out.push_str(&rest[..start]);
        if tag.contains("type=\"application/wasm\"") {
            taken.push_str(tag);
        } else {
            out.push_str(tag);
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    (out, taken)
}

/// A prelude for the start-up script, which runs once the app's JavaScript has loaded and before its wasm is
/// fetched. It does three things the app would otherwise do only after its wasm has started, more than a second
/// later on a slow phone:
///
/// - applies the reader's stored theme, so a dark-theme reader never sees a light page first;
/// - fetches the body of the chapter the address opens at and hands the answer to the app
///   (`window.bookPrefetch`, taken by `src/content.rs`) so the file is fetched once;
/// - shows that chapter's opening — the header the app renders (place, title, description, from `chapters`) and
///   the body's first block — in the app's own layout classes, so the reader can start reading at once, and only
///   then lets the app's wasm be fetched (Trunk's preload of it moves into the script, which adds it at once on a
///   page with no opening). `styles/book.css` hides the app's nodes while the opening is there, and the chapter
///   page removes it once the app's body is in place (`src/boot.rs`): the text stays where it was.
///
/// On the home page it shows the page's title and lede (`home`) the same way, with nothing to fetch first.
///
/// `files` are the names in `chapters/`, `<slug>-<hash>.json`; names outside `[a-z0-9.-]` are left out, and so
/// are files that are not a chapter's body (the glossary, the study file, the search index).
/// The home page's title and first paragraph, as the app shows them (`src/pages/home_opening.rs`).
#[derive(Clone, Copy, Debug)]
pub struct HomeOpening<'a> {
    pub title: &'a str,
    pub lede: &'a str,
}

pub fn chapter_prelude(files: &[String], chapters: &[crate::Chapter], home: HomeOpening) -> String {
    let mut entries: Vec<(String, serde_json::Value)> = files
        .iter()
        .filter(|f| {
            f.ends_with(".json")
                && f.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        })
        .filter_map(|f| {
            let (slug, _hash) = f.trim_end_matches(".json").rsplit_once('-')?;
            let chapter = chapters.iter().find(|c| c.slug == slug)?;
            Some((slug.to_owned(), serde_json::json!([f, chapter.number, chapter.title, chapter.description])))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let chapters = serde_json::Value::Object(entries.into_iter().collect());
    let home = serde_json::json!([home.title, home.lede]);
    format!("{PRELUDE_HEAD}\n  const chapters = {chapters};\n  const home = {home};\n{PRELUDE_BODY}")
}

const PRELUDE_HEAD: &str =
    "// Written by secure-html (crates/content/src/csp.rs): the reader's theme; the opening of the home page or\n\
// of the opened chapter (its body fetched first) shown; then the app.\nconst bookOpening = (() => {";

const PRELUDE_BODY: &str = r#"  try {
    const theme = localStorage.getItem('replication-book/theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  } catch { /* storage blocked: follow the system, as the app will */ }
  const slug = /^#\/([a-z0-9-]+)/.exec(location.hash)?.[1];
  const onHome = slug === undefined && /^(#\/?)?$/.test(location.hash);
  if (!onHome && (!slug || !Object.hasOwn(chapters, slug))) {
    // No opening to show first: fetch the wasm at once, as Trunk's preload would have.
    document.head.insertAdjacentHTML('beforeend', "__WASM_PRELOAD__");
    return null;
  }
  const element = (tag, className, content) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  };
  // Shows `article`, a page's opening, in the app's layout in place of the "Loading" line, and returns the copy.
  // Read, not used: the copy is inert (no focus, no clicks, nothing for a screen reader to land on that is about
  // to vanish) until the app's own page replaces it; assistive technology hears the loading status.
  const show = (article, opening) => {
    const boot = document.getElementById('boot');
    if (!boot || boot.dataset.opening) return null;
    const page = element('div', 'boot-opening');
    page.id = 'boot';
    page.dataset.opening = opening;
    if (opening !== 'home') page.dataset.chapter = opening;
    const status = element('p', 'visually-hidden', 'Loading the book…');
    status.setAttribute('role', 'status');
    const copy = element('div');
    copy.inert = true;
    copy.setAttribute('aria-hidden', 'true'); // the same, for tools that predate `inert`
    const bar = element('header', 'topbar');
    const name = element('span', 'book-title', 'Replication');
    name.append(element('span', 'book-subtitle', ' — an interactive course'));
    bar.append(name);
    const layout = element('div', 'layout');
    const main = element('main');
    main.append(article);
    layout.append(element('div', 'sidebar'), main);
    copy.append(bar, layout);
    page.append(status, copy);
    boot.replaceWith(page);
    return copy;
  };
  const showChapter = (text) => {
    const [, number, title, description] = chapters[slug];
    const first = JSON.parse(text).find((block) => typeof block.Html === 'string');
    const article = element('article', 'page chapter');
    const header = element('header', 'chapter-header');
    header.append(element('p', 'chapter-number', 'Chapter ' + number), element('h1', '', title), element('p', 'lede', description));
    article.append(header);
    if (first) article.insertAdjacentHTML('beforeend', first.Html);
    return show(article, slug);
  };
  const showHome = () => {
    const article = element('article', 'page home');
    article.append(element('h1', '', home[0]), element('p', 'lede', home[1]));
    return show(article, 'home');
  };
  // Settles once the browser reports the opening's largest text block painted, or once the body failed (the app
  // then fetches it again and says what went wrong). A largest-contentful-paint entry comes when the frame is on
  // screen, which can be a tenth of a second after it was drawn; without the API, a frame and a task.
  const painted = (copy) => new Promise((resolve) => {
    const frame = () => requestAnimationFrame(() => setTimeout(resolve, 0));
    if (!copy || !PerformanceObserver.supportedEntryTypes?.includes('largest-contentful-paint')) return frame();
    const area = (node) => {
      const r = node.getBoundingClientRect();
      return Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0))
        * Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
    };
    const blocks = [...copy.querySelectorAll('h1, p, li, pre, blockquote')];
    if (blocks.length === 0) return frame();
    const largest = Math.max(...blocks.map(area));
    const observer = new PerformanceObserver((list) => {
      // Chrome measures a text block by its text, a little inside the element's box.
      if (list.getEntries().some((entry) => copy.contains(entry.element) && entry.size >= 0.8 * largest)) {
        observer.disconnect();
        setTimeout(resolve, 0);
      }
    });
    observer.observe({ type: 'largest-contentful-paint', buffered: true });
  });
  if (onHome) return painted(showHome());
  const file = chapters[slug][0];
  const body = fetch('chapters/' + file).then((r) => (r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status))));
  window.bookPrefetch = { file, body };
  return body.then(showChapter).then(painted, () => {});
})();
// The app's wasm is fetched once the opening is on screen, so the reader's first paint is the chapter's text
// and not a race with the wasm. The app could not show the chapter before its body arrived anyway; a slow
// body (or a hidden tab, which paints no frames) holds it back for at most 1.5 s.
if (bookOpening) await Promise.race([bookOpening, new Promise((resolve) => setTimeout(resolve, 1500))]);"#;

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\" />\n  \
<link rel=\"stylesheet\" href=\"./book-1.css\"/>\n<script type=\"module\">\nimport init, * as bindings from './book-1.js';\n\
await init({ module_or_path: './book-1_bg.wasm' });\n</script>\n<link rel=\"modulepreload\" href=\"./book-1.js\">\
<link rel=\"preload\" href=\"./book-1_bg.wasm\" as=\"fetch\" type=\"application/wasm\"></head>\n<body><p id=\"boot\">Loading</p></body>\n</html>\n";

    #[test]
    fn the_chapter_prelude_maps_each_slug_to_its_file_and_opening_and_runs_before_the_app() {
        let files = ["the-problem-12ab.json", "leaderless-9f.json", "glossary-77.json", "notes.txt", "Evil\"-1.json"]
            .map(String::from);
        let chapter = |slug: &str, number, title: &str| crate::Chapter {
            number,
            slug: slug.into(),
            title: title.into(),
            description: format!("About \"{title}\"."),
            headings: Vec::new(),
            blocks: Vec::new(),
        };
        let chapters = [chapter("the-problem", 0, "The Problem"), chapter("leaderless", 6, "Leaderless")];
        let home = HomeOpening { title: "Replication", lede: "Copies, and \"what they cost\"." };
        let prelude = chapter_prelude(&files, &chapters, home);
        // The home page's opening, as JSON strings.
        assert!(prelude.contains(r#"const home = ["Replication","Copies, and \"what they cost\"."];"#), "{prelude}");
        assert!(
            prelude.contains(
                r#"const chapters = {"leaderless":["leaderless-9f.json",6,"Leaderless","About \"Leaderless\"."],"the-problem":["the-problem-12ab.json",0,"The Problem","About \"The Problem\"."]};"#
            ),
            "{prelude}"
        );
        // The glossary has no opening, and names outside [a-z0-9.-] never reach the script.
        assert!(!prelude.contains("glossary") && !prelude.contains("notes") && !prelude.contains("Evil"));
        let page = secure_index_with(TRUNK_PAGE, &prelude).unwrap();
        let (name, text) = &page.scripts[0];
        assert!(text.starts_with("// Written by secure-html"), "{text}");
        assert!(text.trim_end().ends_with("await init({ module_or_path: './book-1_bg.wasm' });"), "{text}");
        assert_ne!(name, &secure_index(TRUNK_PAGE).unwrap().scripts[0].0, "the name follows the content");
        // The app is imported after the prelude has run, and its wasm is no longer preloaded by the page.
        let prelude_ends = text.find("if (bookOpening) await").unwrap();
        let import =
            text.find("const bindings = await import('./book-1.js');\nconst init = bindings.default;").unwrap();
        assert!(prelude_ends < import && !text.contains("import init,"), "{text}");
        assert!(!page.html.contains("application/wasm") && page.html.contains("modulepreload"), "{}", page.html);
        // The preload moves into the script, for pages with no opening to show first.
        assert!(
            text.contains(r#"insertAdjacentHTML('beforeend', "<link rel=\"preload\" href=\"./book-1_bg.wasm\" as=\"fetch\" type=\"application/wasm\">");"#),
            "{text}"
        );
        assert!(!text.contains("__WASM_PRELOAD__"));
    }

    #[test]
    fn a_start_up_script_without_the_expected_import_is_refused_behind_a_prelude() {
        let changed = TRUNK_PAGE.replace("import init, * as bindings from", "import start from");
        assert!(secure_index_with(&changed, "// prelude").unwrap_err().contains("no longer imports"));
    }

    #[test]
    fn the_inline_starter_moves_to_a_file_and_the_policy_comes_first() {
        let page = secure_index(TRUNK_PAGE).unwrap();
        assert_eq!(page.scripts.len(), 1);
        let (name, text) = &page.scripts[0];
        assert!(name.starts_with("boot-") && name.ends_with(".js"), "{name}");
        assert_eq!(
            text,
            "import init, * as bindings from './book-1.js';\nawait init({ module_or_path: './book-1_bg.wasm' });\n"
        );
        assert!(page.html.contains("type=\"application/wasm\""), "without a prelude the wasm preload stays");
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
