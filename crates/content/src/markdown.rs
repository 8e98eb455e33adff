//! One chapter's Markdown to blocks: headings get ids and anchors, links are checked and rewritten to the
//! book's routes, callouts become notes, tables get a scrolling wrapper, figures are inlined, code is
//! highlighted, and `{{#sim}}` and checkpoint blocks become blocks of their own.

use std::collections::BTreeSet;
use std::path::Path;

use pulldown_cmark::{
    html, BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, TextMergeWithOffset,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::checkpoint::{self, Checkpoint};
use crate::glossary::TermLinker;
use crate::{slugify, Block, ContentError, Heading};

pub(crate) struct Context<'a> {
    pub dir: &'a Path,
    pub file: &'a Path,
    pub slug: &'a str,
    pub simulations: &'a [&'a str],
    pub highlighter: &'a Highlighter,
    pub terms: &'a TermLinker,
}

/// A link to another place in the book, checked once every chapter is known.
pub(crate) struct LinkRef {
    pub slug: String,
    pub heading: Option<String>,
    pub line: usize,
}

pub(crate) struct Rendered {
    pub title: String,
    pub headings: Vec<Heading>,
    pub blocks: Vec<Block>,
    pub links: Vec<LinkRef>,
}

pub(crate) struct Highlighter {
    syntaxes: SyntaxSet,
}

impl Highlighter {
    pub fn new() -> Highlighter {
        Highlighter { syntaxes: SyntaxSet::load_defaults_newlines() }
    }

    /// Code as HTML in which each token that matters gets one short class (`k` keyword, `s` string, `c` comment,
    /// `n` number or constant, `f` function, `t` type). Colours come from the stylesheet, so they follow the theme;
    /// keeping only these six classes keeps the book small (syntect's full scope spans are ten times larger).
    pub(crate) fn highlight(&self, code: &str, lang: &str) -> String {
        let token = match lang {
            "ini" | "conf" | "toml" | "text" => "",
            "bash" | "shell" | "sh" => "sh",
            other => other,
        };
        let Some(syntax) = (!token.is_empty()).then(|| self.syntaxes.find_syntax_by_token(token)).flatten() else {
            return html_escape(code);
        };
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut out = String::with_capacity(code.len() * 2);
        for line in LinesWithEndings::from(code) {
            let Ok(ops) = state.parse_line(line, &self.syntaxes) else {
                return html_escape(code);
            };
            let mut start = 0;
            for (end, op) in ops.iter().map(|(i, op)| (*i, Some(op))).chain(std::iter::once((line.len(), None))) {
                if end > start {
                    push_token(&mut out, &line[start..end], classify(&stack));
                    start = end;
                }
                if let Some(op) = op {
                    if stack.apply(op).is_err() {
                        return html_escape(code);
                    }
                }
            }
        }
        out
    }
}

/// The one class a token gets, from the innermost scope that means something to a reader.
fn classify(stack: &ScopeStack) -> Option<char> {
    for scope in stack.as_slice().iter().rev() {
        let name = scope.build_string();
        let class = if name.starts_with("comment") {
            'c'
        } else if name.starts_with("string") {
            's'
        } else if name.starts_with("constant.numeric") || name.starts_with("constant.language") {
            'n'
        } else if name.starts_with("storage.type.") && name.matches('.').count() >= 3 {
            // `storage.type.function.rust` (fn), `storage.type.struct.rust`: declaration keywords, not types.
            'k'
        } else if name.starts_with("storage.type")
            || name.starts_with("entity.name.type")
            || name.starts_with("support.type")
        {
            't'
        } else if name.starts_with("keyword") || name.starts_with("storage") {
            'k'
        } else if name.starts_with("entity.name.function") || name.starts_with("support.function") {
            'f'
        } else {
            continue;
        };
        return Some(class);
    }
    None
}

fn push_token(out: &mut String, text: &str, class: Option<char>) {
    match class {
        Some(c) if !text.trim().is_empty() => {
            out.push_str("<span class=\"");
            out.push(c);
            out.push_str("\">");
            out.push_str(&html_escape(text));
            out.push_str("</span>");
        }
        _ => out.push_str(&html_escape(text)),
    }
}

const CODE_LANGUAGES: &[&str] =
    &["rust", "sql", "text", "ini", "conf", "toml", "bash", "sh", "shell", "json", "yaml", "python", "java", "go"];

struct Renderer<'c> {
    cx: &'c Context<'c>,
    line_starts: Vec<usize>,
    title: Option<String>,
    headings: Vec<Heading>,
    blocks: Vec<Block>,
    links: Vec<LinkRef>,
    errors: Vec<ContentError>,
    /// Events of the HTML block being built.
    pending: Vec<Event<'static>>,
    last_heading: String,
    tables: usize,
    /// Glossary terms already linked in this chapter: only the first use of each is.
    linked_terms: BTreeSet<String>,
    /// Depth of links being rendered: text already inside a link is never linked again.
    links_open: usize,
}

pub(crate) fn render_chapter(cx: &Context<'_>, source: &str) -> Result<Rendered, Vec<ContentError>> {
    let mut r = Renderer {
        cx,
        line_starts: std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect(),
        title: None,
        headings: Vec::new(),
        blocks: Vec::new(),
        links: Vec::new(),
        errors: Vec::new(),
        pending: Vec::new(),
        last_heading: String::new(),
        tables: 0,
        linked_terms: BTreeSet::new(),
        links_open: 0,
    };
    let events: Vec<(Event<'_>, std::ops::Range<usize>)> =
        TextMergeWithOffset::new(Parser::new_ext(source, options()).into_offset_iter()).collect();
    r.walk(&events, true);
    r.flush();
    if !r.headings.iter().any(|h| h.id == "key-points") {
        r.error(source.len(), "every chapter ends with a `## Key points` section");
    }
    let title = r.title.clone();
    match (title, r.errors.is_empty()) {
        (Some(title), true) => Ok(Rendered { title, headings: r.headings, blocks: r.blocks, links: r.links }),
        (None, _) => {
            r.error(0, "a chapter starts with `# Title`");
            Err(r.errors)
        }
        (_, false) => Err(r.errors),
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_GFM | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

impl Renderer<'_> {
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        self.errors.push(ContentError {
            file: self.cx.file.to_path_buf(),
            line: self.line(offset),
            message: message.into(),
        });
    }

    fn push_html(&mut self, html: String) {
        self.pending.push(Event::Html(CowStr::from(html)));
    }

    /// Ends the current HTML block (before a simulation or checkpoint).
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut out = String::new();
        html::push_html(&mut out, std::mem::take(&mut self.pending).into_iter());
        self.blocks.push(Block::Html(out));
    }

    /// Walks a run of events. `top` is true for the chapter body (headings and directives are allowed there),
    /// false for the inside of a checkpoint's question or answer.
    fn walk(&mut self, events: &[(Event<'_>, std::ops::Range<usize>)], top: bool) {
        let mut i = 0;
        while i < events.len() {
            let (event, range) = &events[i];
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    let end = find_end(events, i);
                    let inner = &events[i + 1..end];
                    let text = plain_text(inner);
                    if *level == HeadingLevel::H1 {
                        if !top || self.title.is_some() {
                            self.error(range.start, "only one `# Title`, at the top of the chapter");
                        }
                        self.title = Some(text);
                    } else if !top {
                        self.error(range.start, "headings cannot appear inside a checkpoint");
                    } else {
                        self.heading(*level, &text, inner);
                    }
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::Paragraph) => {
                    let end = find_end(events, i);
                    self.paragraph(&events[i + 1..end], range.start, top);
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let end = find_end(events, i);
                    let code = plain_text(&events[i + 1..end]);
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_owned(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    if lang == "checkpoint" {
                        if top {
                            self.checkpoint(&code, range.start);
                        } else {
                            self.error(range.start, "checkpoints cannot nest");
                        }
                    } else {
                        if lang.is_empty() {
                            self.error(
                                range.start,
                                "code blocks are fenced with a language (use `text` for plain text)",
                            );
                        } else if !CODE_LANGUAGES.contains(&lang.as_str()) {
                            self.error(range.start, format!("unknown code language {lang:?}"));
                        }
                        let body = self.cx.highlighter.highlight(&code, &lang);
                        let label = html_escape(&lang);
                        self.push_html(format!(
                            "<pre class=\"code\" data-lang=\"{label}\" tabindex=\"0\"><code>{body}</code></pre>\n"
                        ));
                    }
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::BlockQuote(Some(kind))) => {
                    let (class, label) = callout(*kind);
                    // role=note, not an <aside>: callouts are part of the text, not page landmarks.
                    self.push_html(format!(
                        "<div class=\"callout callout-{class}\" role=\"note\"><p class=\"callout-label\">{label}</p>\n"
                    ));
                }
                Event::End(TagEnd::BlockQuote(Some(_))) => self.push_html("</div>\n".into()),
                Event::Start(Tag::Table(_)) => {
                    // Numbered, so two tables under one heading are still distinct regions.
                    self.tables += 1;
                    let label = html_escape(&format!("Table {}: {}", self.tables, self.last_heading));
                    self.push_html(format!(
                        "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"{label}\">"
                    ));
                    self.pending.push(event.clone().into_static());
                }
                Event::End(TagEnd::Table) => {
                    self.pending.push(event.clone().into_static());
                    self.push_html("</div>\n".into());
                }
                Event::Html(raw) | Event::InlineHtml(raw) => {
                    if !raw.trim().starts_with("<!--") {
                        self.error(range.start, "raw HTML is not allowed in chapters (HTML comments are)");
                    }
                }
                Event::Start(Tag::Link { dest_url, .. }) => {
                    let href = self.link(dest_url, range.start);
                    self.links_open += 1;
                    self.push_html(format!("<a href=\"{}\">", html_escape(&href)));
                }
                Event::End(TagEnd::Link) => {
                    self.links_open = self.links_open.saturating_sub(1);
                    self.push_html("</a>".into());
                }
                Event::Start(Tag::Image { .. }) => {
                    self.error(range.start, "a figure must be alone in its paragraph");
                    i = find_end(events, i) + 1;
                    continue;
                }
                Event::Text(text) if text.contains("{{#") => {
                    self.error(range.start, "a `{{#…}}` directive must be alone in its paragraph");
                }
                // The first use of a glossary term in the chapter's own text (not in checkpoints, whose answers
                // start hidden) links to its entry.
                Event::Text(text) if top && self.links_open == 0 => {
                    match self.cx.terms.link(text, &mut self.linked_terms) {
                        Some(html) => self.push_html(html),
                        None => self.pending.push(Event::Text(text.clone().into_static())),
                    }
                }
                Event::Code(code) if top && self.links_open == 0 => {
                    match self.cx.terms.link_code(code, &mut self.linked_terms) {
                        Some(html) => self.push_html(html),
                        None => self.pending.push(Event::Code(code.clone().into_static())),
                    }
                }
                other => self.pending.push(other.clone().into_static()),
            }
            i += 1;
        }
    }

    fn heading(&mut self, level: HeadingLevel, text: &str, inner: &[(Event<'_>, std::ops::Range<usize>)]) {
        let base = slugify(text);
        let mut id = base.clone();
        let mut n = 2;
        while self.headings.iter().any(|h| h.id == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let level_number = level as u8;
        self.headings.push(Heading { level: level_number, id: id.clone(), text: text.to_owned() });
        self.last_heading = text.to_owned();
        let mut inner_html = String::new();
        html::push_html(&mut inner_html, inner.iter().map(|(e, _)| e.clone()));
        let href = format!("#/{}/{}", self.cx.slug, id);
        self.push_html(format!(
            "<h{level_number} id=\"{id}\"><a class=\"anchor\" href=\"{href}\" aria-label=\"Link to this section: {label}\">#</a>{inner_html}</h{level_number}>\n",
            label = html_escape(text)
        ));
    }

    fn paragraph(&mut self, inner: &[(Event<'_>, std::ops::Range<usize>)], offset: usize, top: bool) {
        // A directive: the paragraph is exactly `{{#name args}}`.
        if let [(Event::Text(text), _)] = inner {
            let text = text.trim();
            if let Some(body) = text.strip_prefix("{{#").and_then(|t| t.strip_suffix("}}")) {
                let mut words = body.split_whitespace();
                match (words.next(), words.next(), words.next()) {
                    (Some("sim"), Some(name), None) if top => {
                        if self.cx.simulations.contains(&name) {
                            self.flush();
                            self.blocks.push(Block::Sim(name.to_owned()));
                        } else {
                            self.error(
                                offset,
                                format!("unknown simulation {name:?} (known: {})", self.cx.simulations.join(", ")),
                            );
                        }
                    }
                    _ => self.error(offset, format!("unknown directive {{{{#{body}}}}}")),
                }
                return;
            }
        }
        // A figure: the paragraph is exactly one image.
        if let Some((Event::Start(Tag::Image { dest_url, title, .. }), _)) = inner.first() {
            if matches!(inner.last(), Some((Event::End(TagEnd::Image), _))) && find_end(inner, 0) == inner.len() - 1 {
                let alt = plain_text(&inner[1..inner.len() - 1]);
                self.figure(dest_url, title, &alt, offset);
                return;
            }
        }
        self.pending.push(Event::Start(Tag::Paragraph));
        self.walk(inner, top);
        self.pending.push(Event::End(TagEnd::Paragraph));
    }

    fn figure(&mut self, src: &str, caption: &str, alt: &str, offset: usize) {
        if alt.trim().is_empty() {
            self.error(offset, "a figure needs alt text describing what it shows");
        }
        let Some(name) = src.strip_prefix("figures/").filter(|n| n.ends_with(".svg") && !n.contains('/')) else {
            self.error(offset, format!("figures are SVG files in figures/, found {src:?}"));
            return;
        };
        let path = self.cx.dir.join("figures").join(name);
        let svg = match std::fs::read_to_string(&path) {
            Ok(svg) => svg,
            Err(e) => {
                self.error(offset, format!("cannot read figure {}: {e}", path.display()));
                return;
            }
        };
        let Some(start) = svg.find("<svg") else {
            self.error(offset, format!("{name} has no <svg> element"));
            return;
        };
        let svg = &svg[start..];
        if svg.contains("<script") || svg.contains("javascript:") {
            self.error(offset, format!("{name} contains script"));
            return;
        }
        // The book runs under a Content-Security-Policy without 'unsafe-inline', which drops style attributes and
        // <style> elements; presentation attributes (fill="var(--fg)") style a figure just as well.
        if svg.contains(" style=") || svg.contains("<style") {
            self.error(
                offset,
                format!(
                    "{name} uses a style attribute or element: use presentation attributes (fill=, stroke=) instead"
                ),
            );
            return;
        }
        // Indentation is for people editing the file; the page gets one line.
        let svg: String = svg.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
        let svg = svg.replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{}\"", html_escape(alt)), 1);
        let caption_html = if caption.is_empty() {
            String::new()
        } else {
            format!("<figcaption>{}</figcaption>", html_escape(caption))
        };
        self.push_html(format!("<figure class=\"figure\">{svg}{caption_html}</figure>\n"));
    }

    fn checkpoint(&mut self, text: &str, offset: usize) {
        let parsed = match checkpoint::parse(text) {
            Ok(p) => p,
            Err(message) => {
                self.error(offset, message);
                return;
            }
        };
        let question_html = self.nested(parsed.question, offset);
        let answer_html = self.nested(parsed.answer, offset);
        self.flush();
        self.blocks.push(Block::Checkpoint(Checkpoint {
            id: parsed.id,
            title: parsed.title,
            kind: parsed.kind,
            question_html,
            answer_html,
            show: parsed.show,
        }));
    }

    /// Renders Markdown inside a checkpoint with the same rules (links, code, figures), as one HTML string.
    fn nested(&mut self, markdown: &str, offset: usize) -> String {
        let saved = std::mem::take(&mut self.pending);
        let events: Vec<(Event<'_>, std::ops::Range<usize>)> =
            TextMergeWithOffset::new(Parser::new_ext(markdown, options()).into_offset_iter())
                .map(|(e, _)| (e, offset..offset))
                .collect();
        self.walk(&events, false);
        let mut out = String::new();
        html::push_html(&mut out, std::mem::replace(&mut self.pending, saved).into_iter());
        out
    }

    /// Checks a link and returns the `href` the book uses for it.
    fn link(&mut self, dest: &str, offset: usize) -> String {
        if dest.starts_with("https://") || dest.starts_with("http://") {
            return dest.to_owned();
        }
        let (file, heading) = match dest.split_once('#') {
            Some((file, heading)) => (file, Some(heading.to_owned())),
            None => (dest, None),
        };
        let slug = if file.is_empty() {
            self.cx.slug.to_owned()
        } else if let Some(slug) = file.strip_suffix(".md").filter(|s| !s.contains('/')) {
            slug.to_owned()
        } else {
            self.error(
                offset,
                format!(
                    "links go to chapters (`slug.md`, `slug.md#heading`, `#heading`) or http(s) URLs, found {dest:?}"
                ),
            );
            return "#/".to_owned();
        };
        let href = match &heading {
            Some(h) => format!("#/{slug}/{h}"),
            None => format!("#/{slug}"),
        };
        self.links.push(LinkRef { slug, heading, line: self.line(offset) });
        href
    }
}

/// Index of the event that closes the one opened at `start` (nesting counted).
fn find_end(events: &[(Event<'_>, std::ops::Range<usize>)], start: usize) -> usize {
    let mut depth = 0usize;
    for (i, (event, _)) in events.iter().enumerate().skip(start) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    events.len() - 1
}

fn plain_text(events: &[(Event<'_>, std::ops::Range<usize>)]) -> String {
    let mut out = String::new();
    for (event, _) in events {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
