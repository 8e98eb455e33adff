//! Matching a query against the search index: pure functions of strings, so they run and are tested natively
//! (the integration tests run them over the real index too).
//!
//! Rules: case-insensitive; words are runs of letters and digits; every word of the query must occur in an
//! entry's title or text, the last one as a prefix (the reader is still typing it). Title hits rank above text
//! hits, more hits rank higher, an entry titled exactly as the query comes first, and ties keep book order.
//! Results carry their title and a snippet of the passage around the first hit as pieces, the matched words
//! marked, for the view to build as nodes (never as HTML).

/// A word of an entry: its lower-case form and where it sits in the original text (byte range).
#[derive(Clone, Debug, PartialEq)]
struct Word {
    lower: String,
    start: usize,
    end: usize,
}

/// Lower-case words of `text` with their byte ranges.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            current.get_or_insert_with(|| (i, String::new())).1.extend(c.to_lowercase());
        } else if let Some((start, lower)) = current.take() {
            out.push(Word { lower, start, end: i });
        }
    }
    if let Some((start, lower)) = current {
        out.push(Word { lower, start, end: text.len() });
    }
    out
}

/// An index entry, split into words once when the index loads.
#[derive(Clone, Debug, PartialEq)]
pub struct Searchable {
    title: String,
    text: String,
    title_words: Vec<Word>,
    text_words: Vec<Word>,
}

impl Searchable {
    pub fn new(title: &str, text: &str) -> Searchable {
        Searchable {
            title_words: words(title),
            text_words: words(text),
            title: title.to_owned(),
            text: text.to_owned(),
        }
    }
}

/// What the reader typed, as lower-case words (repeats dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    words: Vec<String>,
    /// Every word in order, repeats kept: an entry titled exactly this (the last word as a prefix) ranks first.
    phrase: Vec<String>,
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let mut list: Vec<String> = Vec::new();
        for word in words(input) {
            if !list.contains(&word.lower) {
                list.push(word.lower);
            }
        }
        let phrase = words(input).into_iter().map(|w| w.lower).collect();
        Query { words: list, phrase }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `word` (lower case) matches query word `i`: exactly, or as a prefix for the last query word.
    fn matches(&self, i: usize, word: &str) -> bool {
        let q = &self.words[i];
        if i + 1 == self.words.len() {
            word.starts_with(q.as_str())
        } else {
            word == q
        }
    }

    /// Whether `title` is the query itself: the same words in order, the last one possibly still being typed.
    fn is_title(&self, title: &[Word]) -> bool {
        title.len() == self.phrase.len()
            && title.iter().zip(&self.phrase).enumerate().all(|(i, (word, q))| {
                if i + 1 == self.phrase.len() {
                    word.lower.starts_with(q.as_str())
                } else {
                    word.lower == *q
                }
            })
    }

    fn matches_any(&self, word: &str) -> bool {
        (0..self.words.len()).any(|i| self.matches(i, word))
    }
}

/// A run of text in a result: plain, or a matched word to mark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Mark(String),
}

/// One result: the entry's position in the index, its score, and its title and snippet as pieces.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub score: u32,
    pub title: Vec<Piece>,
    pub snippet: Vec<Piece>,
}

/// The ranked results (at most `limit`) and how many entries matched in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub total: usize,
}

const TITLE_HIT: u32 = 10;
const EXACT_TITLE: u32 = 100;
/// Text hits counted per query word: a long passage repeating a word should not bury a heading about it.
const TEXT_HITS_MAX: u32 = 8;
/// Characters of context kept before the first hit, and the snippet's whole length (both approximate: cuts
/// fall between words).
const SNIPPET_BEFORE: usize = 60;
const SNIPPET_LENGTH: usize = 200;

pub fn search(query: &Query, entries: &[Searchable], limit: usize) -> Results {
    if query.is_empty() {
        return Results { hits: Vec::new(), total: 0 };
    }
    let mut scored: Vec<(u32, usize)> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let mut score = 0;
        let mut all = true;
        for i in 0..query.words.len() {
            let title_hits = entry.title_words.iter().filter(|w| query.matches(i, &w.lower)).count() as u32;
            let text_hits = entry.text_words.iter().filter(|w| query.matches(i, &w.lower)).count() as u32;
            if title_hits + text_hits == 0 {
                all = false;
                break;
            }
            score += title_hits * TITLE_HIT + text_hits.min(TEXT_HITS_MAX);
        }
        if !all {
            continue;
        }
        if query.is_title(&entry.title_words) {
            score += EXACT_TITLE;
        }
        scored.push((score, index));
    }
    // Highest score first; equal scores keep book order.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let total = scored.len();
    let hits = scored
        .into_iter()
        .take(limit)
        .map(|(score, index)| {
            let entry = &entries[index];
            Hit {
                index,
                score,
                title: marked(&entry.title, &entry.title_words, 0, entry.title.len(), query),
                snippet: snippet(entry, query),
            }
        })
        .collect();
    Results { hits, total }
}

/// About `SNIPPET_LENGTH` characters of the text around its first hit (or its start, if only the title
/// matched), cut between words, with "…" where text was left out.
fn snippet(entry: &Searchable, query: &Query) -> Vec<Piece> {
    let words = &entry.text_words;
    if words.is_empty() {
        return Vec::new();
    }
    let first = words.iter().position(|w| query.matches_any(&w.lower)).unwrap_or(0);
    let hit_start = words[first].start;
    // Start at the first word that begins no more than SNIPPET_BEFORE bytes before the hit.
    let from = words[..=first].iter().find(|w| w.start + SNIPPET_BEFORE >= hit_start).map_or(hit_start, |w| w.start);
    let from = if first == 0 || words[0].start + SNIPPET_BEFORE >= hit_start { 0 } else { from };
    let to = words
        .iter()
        .rev()
        .find(|w| w.start >= from && w.end <= from + SNIPPET_LENGTH)
        .map_or(words[first].end, |w| w.end)
        .max(words[first].end);
    let to = if words.last().is_some_and(|w| w.end == to) { entry.text.len() } else { to };
    let mut pieces = Vec::new();
    if from > 0 {
        pieces.push(Piece::Text("…".to_owned()));
    }
    pieces.extend(marked(&entry.text, words, from, to, query));
    if to < entry.text.len() {
        push_text(&mut pieces, "…");
    }
    pieces
}

/// `text[from..to]` as pieces, each word that matches the query marked.
fn marked(text: &str, words: &[Word], from: usize, to: usize, query: &Query) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut at = from;
    for word in words.iter().filter(|w| w.start >= from && w.end <= to) {
        if query.matches_any(&word.lower) {
            push_text(&mut pieces, &text[at..word.start]);
            pieces.push(Piece::Mark(text[word.start..word.end].to_owned()));
            at = word.end;
        }
    }
    push_text(&mut pieces, &text[at..to]);
    pieces
}

/// Appends plain text, joining it to plain text before it.
fn push_text(pieces: &mut Vec<Piece>, text: &str) {
    if text.is_empty() {
        return;
    }
    match pieces.last_mut() {
        Some(Piece::Text(last)) => last.push_str(text),
        _ => pieces.push(Piece::Text(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries as the index holds them (copied from `search-*.json`).
    fn book() -> Vec<Searchable> {
        [
            (
                "Why not buy a bigger machine?",
                "Scaling up, often called vertical scaling, has a hard ceiling. The largest single machines a cloud \
                 provider will rent you top out around 24 TB of RAM and 448 vCPUs.",
            ),
            (
                "Quorum",
                "A minimum number of nodes that must take part in an operation for it to count: with n replicas, a \
                 write waits for w acknowledgements and a read for r replies.",
            ),
            (
                "Quorum consistency",
                "If every write must be confirmed by w nodes and every read must query r nodes, then as long as \
                 w + r > n, at least one of the nodes we read from must have the latest write.",
            ),
            (
                "Sloppy quorums and hinted handoff",
                "When a partition cuts a client off from some of a key's home nodes, a sloppy quorum accepts the \
                 write on any w reachable nodes, even outside the key's home. The quorum is sloppy.",
            ),
        ]
        .iter()
        .map(|(title, text)| Searchable::new(title, text))
        .collect()
    }

    fn titles(results: &Results) -> Vec<usize> {
        results.hits.iter().map(|h| h.index).collect()
    }

    fn plain(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Mark(m) => format!("[{m}]"),
            })
            .collect()
    }

    #[test]
    fn words_are_lower_case_runs_of_letters_and_digits() {
        let found: Vec<String> = words("W + R > N: it's 99.99% Über-fast").into_iter().map(|w| w.lower).collect();
        assert_eq!(found, ["w", "r", "n", "it", "s", "99", "99", "über", "fast"]);
        assert_eq!(Query::parse("  Quorum,  QUORUM quorum ").words, ["quorum"]);
        assert!(Query::parse(" -- ").is_empty());
    }

    #[test]
    fn an_exact_title_ranks_first_then_title_hits_then_text_hits() {
        let results = search(&Query::parse("quorum"), &book(), 20);
        // "Quorum" (exact title), then the two headings with the word (more hits first), never the machine.
        assert_eq!(titles(&results), [1, 3, 2]);
        assert_eq!(results.total, 3);
        assert!(results.hits[0].score > results.hits[1].score && results.hits[1].score > results.hits[2].score);
    }

    #[test]
    fn every_word_must_match_and_the_last_is_a_prefix() {
        let entries = book();
        // "quor" is still being typed: a prefix matches.
        assert_eq!(search(&Query::parse("QUOR"), &entries, 20).total, 3);
        // Earlier words match whole words only: "quor" followed by another word finds nothing.
        assert_eq!(search(&Query::parse("quor sloppy"), &entries, 20).total, 0);
        // Every word must match somewhere in the entry (title or text).
        assert_eq!(titles(&search(&Query::parse("sloppy handoff quorum"), &entries, 20)), [3]);
        assert_eq!(search(&Query::parse("quorum vcpus"), &entries, 20).total, 0);
        assert_eq!(search(&Query::parse(""), &entries, 20).total, 0);
    }

    #[test]
    fn results_are_capped_but_counted() {
        let results = search(&Query::parse("a"), &book(), 2);
        assert_eq!(results.hits.len(), 2);
        assert_eq!(results.total, 4);
    }

    #[test]
    fn the_snippet_marks_matched_words_around_the_first_text_hit() {
        let entries = book();
        let results = search(&Query::parse("vcpu"), &entries, 20);
        assert_eq!(titles(&results), [0]);
        let snippet = plain(&results.hits[0].snippet);
        // Cut between words about SNIPPET_BEFORE characters before the hit, marked, ending with the text.
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.ends_with("24 TB of RAM and 448 [vCPUs]."), "{snippet}");
        assert!(!snippet.contains("Scaling up"), "{snippet}");
        // Titles are marked too, keeping the original case.
        let results = search(&Query::parse("sloppy quorum"), &entries, 20);
        assert_eq!(plain(&results.hits[0].title), "[Sloppy] [quorums] and hinted handoff");
    }

    #[test]
    fn a_hit_near_the_start_shows_the_start_and_a_long_text_is_cut() {
        let results = search(&Query::parse("minimum"), &book(), 20);
        let snippet = plain(&results.hits[0].snippet);
        assert!(snippet.starts_with("A [minimum] number of nodes"), "{snippet}");
        let long = Searchable::new("Long", &"lag ".repeat(200));
        let results = search(&Query::parse("lag"), &[long], 20);
        let snippet = plain(&results.hits[0].snippet);
        let shown = snippet.replace(['[', ']'], "");
        assert!(shown.ends_with('…') && shown.chars().count() <= SNIPPET_LENGTH + 1, "{snippet}");
    }
}
