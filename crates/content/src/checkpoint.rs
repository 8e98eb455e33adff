//! Checkpoint blocks: a question the reader answers before revealing a model answer.
//!
//! ````text
//! ```checkpoint
//! id: the-problem-warmup-read-throughput
//! title: Interview warm-up
//! kind: numeric
//! answer: 150000
//! unit: reads/sec
//! ---
//! The question, in Markdown.
//! ===
//! The model answer, in Markdown.
//! ```
//! ````
//!
//! An optional `show: SIM; Label = value; …` line names a simulation of the same chapter and the settings (by
//! their labels) that show the answer; the reader gets a "Show me" button that applies them.

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Checkpoint {
    pub id: String,
    pub title: String,
    pub kind: CheckpointKind,
    pub question_html: String,
    pub answer_html: String,
    /// The simulation that shows the answer, and how to set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show: Option<Show>,
}

/// `show: quorum; N (replicas) = 5; W (write quorum) = 2`: a simulation and its settings, applied in order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Show {
    pub sim: String,
    /// (control label, value) pairs.
    pub settings: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum CheckpointKind {
    /// Free text; the reader grades themselves against the model answer.
    Free,
    /// Checked exactly (within `tolerance`).
    Numeric { answer: f64, tolerance: f64, unit: String },
    /// One right option among several.
    Choice { options: Vec<String>, answer: usize },
}

/// The parts of a checkpoint before its Markdown is rendered.
pub(crate) struct Parsed<'a> {
    pub id: String,
    pub title: String,
    pub kind: CheckpointKind,
    pub question: &'a str,
    pub answer: &'a str,
    pub show: Option<Show>,
}

/// Parses the text of a ```checkpoint block. Errors are messages; the caller adds the location.
pub(crate) fn parse(text: &str) -> Result<Parsed<'_>, String> {
    let (header, rest) = split_at_line(text, "---").ok_or("a checkpoint needs a `---` line after its header")?;
    let (question, answer) = split_at_line(rest, "===").ok_or("a checkpoint needs a `===` line before its answer")?;
    let mut fields = std::collections::BTreeMap::new();
    for line in header.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line.split_once(':').ok_or_else(|| format!("expected `key: value`, found {line:?}"))?;
        let key = key.trim();
        if !["id", "title", "kind", "answer", "unit", "tolerance", "options", "show"].contains(&key) {
            return Err(format!("unknown checkpoint field {key:?}"));
        }
        fields.insert(key, value.trim());
    }
    let id = fields.get("id").ok_or("a checkpoint needs an `id`")?.to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(format!("checkpoint id {id:?} must be lower-case letters, digits and `-`"));
    }
    let title = fields.get("title").map_or("Checkpoint", |t| t).to_owned();
    let number = |key: &str| -> Result<f64, String> {
        let raw = fields.get(key).ok_or_else(|| format!("a numeric checkpoint needs `{key}`"))?;
        raw.replace(['_', ','], "").parse::<f64>().map_err(|_| format!("`{key}: {raw}` is not a number"))
    };
    let kind = match fields.get("kind").copied().unwrap_or("free") {
        "free" => CheckpointKind::Free,
        "numeric" => CheckpointKind::Numeric {
            answer: number("answer")?,
            tolerance: if fields.contains_key("tolerance") { number("tolerance")? } else { 0.0 },
            unit: fields.get("unit").unwrap_or(&"").to_string(),
        },
        "choice" => {
            let options: Vec<String> = fields
                .get("options")
                .ok_or("a choice checkpoint needs `options: a | b | c`")?
                .split('|')
                .map(|o| o.trim().to_owned())
                .collect();
            if options.len() < 2 || options.iter().any(String::is_empty) {
                return Err("a choice checkpoint needs at least two non-empty options".into());
            }
            let right = fields.get("answer").ok_or("a choice checkpoint needs `answer`")?;
            let answer = options
                .iter()
                .position(|o| o == right)
                .ok_or_else(|| format!("answer {right:?} is not one of the options"))?;
            CheckpointKind::Choice { options, answer }
        }
        other => return Err(format!("unknown checkpoint kind {other:?} (free, numeric or choice)")),
    };
    if question.trim().is_empty() || answer.trim().is_empty() {
        return Err("a checkpoint needs both a question and an answer".into());
    }
    let show = fields.get("show").map(|text| parse_show(text)).transpose()?;
    Ok(Parsed { id, title, kind, question, answer, show })
}

/// `SIM; Label = value; …`
fn parse_show(text: &str) -> Result<Show, String> {
    let mut parts = text.split(';').map(str::trim);
    let sim = parts.next().unwrap_or("").to_owned();
    if sim.is_empty() {
        return Err("`show:` needs a simulation name".into());
    }
    let settings = parts
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((label, value)) if !label.trim().is_empty() => Ok((label.trim().to_owned(), value.trim().to_owned())),
            _ => Err(format!("`show:` settings are `Label = value`, found {p:?}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Show { sim, settings })
}

/// Splits at the first line that is exactly `marker`.
fn split_at_line<'a>(text: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == marker {
            return Some((&text[..offset], &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_checkpoints_parse() {
        let p = parse("id: q1\nkind: numeric\nanswer: 150,000\nunit: reads/sec\n---\nHow many?\n===\nThis many.\n")
            .unwrap();
        assert_eq!(p.id, "q1");
        assert_eq!(p.kind, CheckpointKind::Numeric { answer: 150_000.0, tolerance: 0.0, unit: "reads/sec".into() });
        assert_eq!(p.question.trim(), "How many?");
        assert_eq!(p.answer.trim(), "This many.");
    }

    #[test]
    fn choice_answer_must_be_an_option() {
        let ok = parse("id: q\nkind: choice\noptions: a | b\nanswer: b\n---\nQ\n===\nA\n").unwrap();
        assert_eq!(ok.kind, CheckpointKind::Choice { options: vec!["a".into(), "b".into()], answer: 1 });
        let err = parse("id: q\nkind: choice\noptions: a | b\nanswer: c\n---\nQ\n===\nA\n").err().unwrap();
        assert!(err.contains("not one of the options"));
    }

    #[test]
    fn show_names_a_simulation_and_its_settings() {
        let p = parse("id: q\nshow: quorum; N (replicas) = 5; W (write quorum)=2\n---\nQ\n===\nA\n").unwrap();
        let expected =
            vec![("N (replicas)".to_owned(), "5".to_owned()), ("W (write quorum)".to_owned(), "2".to_owned())];
        assert_eq!(p.show, Some(Show { sim: "quorum".into(), settings: expected }));
        assert!(parse("id: q\nshow: quorum; N\n---\nQ\n===\nA\n").err().unwrap().contains("Label = value"));
    }

    #[test]
    fn malformed_checkpoints_say_what_is_wrong() {
        assert!(parse("id: q\n").err().unwrap().contains("---"));
        assert!(parse("id: Q!\n---\nQ\n===\nA").err().unwrap().contains("lower-case"));
        assert!(parse("id: q\ncolour: red\n---\nQ\n===\nA").err().unwrap().contains("unknown checkpoint field"));
        assert!(parse("id: q\nkind: numeric\nanswer: many\n---\nQ\n===\nA").err().unwrap().contains("not a number"));
    }
}
