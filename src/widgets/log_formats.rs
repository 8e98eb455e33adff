//! S3 "Replication log methods compared" (chapter 3): one operation on the leader, seen as the four things a
//! leader can ship — the statement, the physical WAL record, the logical row change, the trigger's audit row —
//! and four followers, one per method, replaying them. A follower whose clock is offset shows statement replay
//! diverging; shipping literal values fixes it. A search index fed by the logical stream stays in sync.
//!
//! Nothing here is time-driven, so instead of the timeline player the widget keeps the reader's actions and
//! steps back by replaying all but the last one on a fresh comparison: still exact, never approximated.

use sim::log_formats::{
    format_lsn, Action, Comparison, Config, LogFormat, NewUser, Operation, ReplicaStatus, Representations, RowId,
    StatementMode, Table,
};
use std::rc::Rc;

use yew::prelude::*;

use crate::player::{link_notices, settings_pairs, use_link, Choice, CopyLink, Narration, Slider, TableToggle};
use crate::progress::{use_progress, ProgressAction};
use crate::share::{shown, NoAction, Pairs, Params, Reader, Shareable};

const TITLE: &str = "Replication log methods compared";
/// A bound on the reader's history: each step back replays it.
const ACTIONS_MAX: usize = 200;

/// The operations the reader can pick, by value of the select.
/// Each insert gets a different user, so repeated runs read naturally.
const PEOPLE: [(&str, &str); 4] = [
    ("Bob", "bob@example.com"),
    ("Carol", "carol@example.com"),
    ("Dan", "dan@example.com"),
    ("Erin", "erin@example.com"),
];

pub(crate) fn operation(choice: &str, step: usize) -> Action {
    let (name, email) = PEOPLE[step % PEOPLE.len()];
    match choice {
        "insert" => Action::Run(Operation::Insert(NewUser::new(name, email))),
        "delete" => Action::Run(Operation::Delete { id: RowId(42) }),
        "anonymize" => Action::Run(Operation::Anonymize { id: RowId(42) }),
        "concurrent" => Action::ConcurrentInserts {
            first: NewUser::new(name, email),
            second: NewUser::new(PEOPLE[(step + 1) % PEOPLE.len()].0, PEOPLE[(step + 1) % PEOPLE.len()].1),
        },
        _ => Action::Run(Operation::course_update()),
    }
}

/// Replays the reader's actions on a fresh comparison built with the follower clock offset.
pub fn replay(offset_ms: i64, actions: &[Action]) -> (Comparison, Option<String>) {
    let config = Config { follower_now_offset_ms: offset_ms, ..Config::default() };
    let mut comparison = Comparison::new(Table::course_example(), config);
    let mut problem = None;
    for action in actions {
        if let Err(e) = comparison.apply(action) {
            problem = Some(e.to_string());
        }
    }
    (comparison, problem)
}

fn status_text(status: &ReplicaStatus) -> String {
    match status {
        ReplicaStatus::InSync => "in sync with the leader".to_owned(),
        ReplicaStatus::Diverged { differences } => format!("DIVERGED: {differences} difference(s)"),
        ReplicaStatus::Stopped { error } => format!("STOPPED: {error}"),
    }
}

fn method_title(format: LogFormat) -> &'static str {
    match format {
        LogFormat::Statement => "1. Statement-based",
        LogFormat::Physical => "2. Physical (write-ahead log)",
        LogFormat::Logical => "3. Logical (row-based)",
        LogFormat::Trigger => "4. Trigger-based",
    }
}

fn pane(format: LogFormat, r: &Representations) -> String {
    let none = "(no row matched: nothing to ship)".to_owned();
    match format {
        LogFormat::Statement => r.statement.to_string(),
        LogFormat::Physical => r.wal.as_ref().map_or(none, |w| w.to_string()),
        LogFormat::Logical => r.logical.as_ref().map_or(none, |l| l.to_string()),
        LogFormat::Trigger => r.trigger.as_ref().map_or(none, |t| t.to_string()),
    }
}

#[derive(Properties, PartialEq)]
pub struct LogFormatsProps {
    pub chapter: &'static str,
    /// A shared link's state for this simulation.
    #[prop_or_default]
    pub link: Option<Rc<Params>>,
}

/// The follower clock slider's range and step.
const OFFSET_MS: std::ops::RangeInclusive<i64> = -5_000..=5_000;
const OFFSET_STEP_MS: i64 = 100;
const CHOICES: &[&str] = &["update", "insert", "concurrent", "anonymize", "delete"];

/// Everything the reader has set and done here: the operation picked, the follower's clock, the steps taken
/// (and those undone, which Redo brings back), and the search box.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub choice: &'static str,
    pub offset_ms: i64,
    pub actions: Vec<Action>,
    pub undone: Vec<Action>,
    pub query: String,
}

impl Default for Shared {
    fn default() -> Self {
        Shared { choice: "update", offset_ms: 2_000, actions: Vec::new(), undone: Vec::new(), query: "alice".into() }
    }
}

/// The number of a person [`operation`] inserts, from their name.
fn person(user: &NewUser) -> Option<usize> {
    PEOPLE.iter().position(|(name, _)| *name == user.name)
}

/// A step as a link writes it: `update`, `insert-1` (the person), `concurrent-2`, `anonymize`, `delete`,
/// `literal`, `verbatim`, `resync`. Only the steps the buttons take have one.
fn step_token(action: &Action) -> Option<String> {
    Some(match action {
        Action::Run(op) if *op == Operation::course_update() => "update".to_owned(),
        Action::Run(Operation::Insert(user)) => format!("insert-{}", person(user)?),
        Action::Run(Operation::Delete { id: RowId(42) }) => "delete".to_owned(),
        Action::Run(Operation::Anonymize { id: RowId(42) }) => "anonymize".to_owned(),
        Action::ConcurrentInserts { first, second } => {
            let k = person(first)?;
            (person(second)? == (k + 1) % PEOPLE.len()).then(|| format!("concurrent-{k}"))?
        }
        Action::SetStatementMode(StatementMode::LiteralValues) => "literal".to_owned(),
        Action::SetStatementMode(StatementMode::Verbatim) => "verbatim".to_owned(),
        Action::ResyncStatementFollower => "resync".to_owned(),
        Action::Run(_) => return None,
    })
}

fn step_from_token(token: &str) -> Option<Action> {
    let (kind, k) = match token.split_once('-') {
        Some((kind, k)) => (kind, Some(k.parse::<usize>().ok().filter(|k| *k < PEOPLE.len())?)),
        None => (token, None),
    };
    match (kind, k) {
        ("update" | "delete" | "anonymize", None) => Some(operation(kind, 0)),
        ("insert" | "concurrent", Some(k)) => Some(operation(kind, k)),
        ("literal", None) => Some(Action::SetStatementMode(StatementMode::LiteralValues)),
        ("verbatim", None) => Some(Action::SetStatementMode(StatementMode::Verbatim)),
        ("resync", None) => Some(Action::ResyncStatementFollower),
        _ => None,
    }
}

/// Reads a list of steps; the first one not understood ends it, with a notice.
fn read_steps(reader: &mut Reader<'_>, key: &str, label: &str) -> Vec<Action> {
    let mut steps = Vec::new();
    for token in reader.list(key).into_iter().take(ACTIONS_MAX) {
        match step_from_token(&token) {
            Some(step) => steps.push(step),
            None => {
                reader
                    .notices
                    .push(format!("The {label} '{}' is not understood; the list stops before it.", shown(&token)));
                break;
            }
        }
    }
    steps
}

impl Shareable for Shared {
    fn write(&self, out: &mut Pairs) {
        let tokens = |steps: &[Action]| steps.iter().filter_map(step_token).collect::<Vec<_>>().join(".");
        out.push(("op", self.choice.to_owned()));
        out.push(("offset", self.offset_ms.to_string()));
        out.push(("steps", tokens(&self.actions)));
        out.push(("undone", tokens(&self.undone)));
        out.push(("search", self.query.clone()));
    }

    fn read(reader: &mut Reader<'_>) -> Self {
        let d = Shared::default();
        let options: Vec<(&str, &'static str)> = CHOICES.iter().map(|c| (*c, *c)).collect();
        let choice = reader.choice("op", "operation", &options, d.choice);
        let asked = reader.number("offset", "Follower clock offset (ms)", OFFSET_MS, d.offset_ms);
        // On the slider's steps, as the slider would show it.
        let offset_ms = (asked as f64 / OFFSET_STEP_MS as f64).round() as i64 * OFFSET_STEP_MS;
        if offset_ms != asked {
            reader.notices.push(format!("Offset {asked} ms is between the slider's steps; using {offset_ms} ms."));
        }
        let actions = read_steps(reader, "steps", "step");
        let undone = read_steps(reader, "undone", "undone step");
        let query = reader.text("search", QUERY_CHARS_MAX).unwrap_or(d.query);
        Shared { choice, offset_ms, actions, undone, query }
    }
}

/// Characters of the search box a link carries at most.
const QUERY_CHARS_MAX: usize = 100;

#[function_component(LogFormatsSim)]
pub fn log_formats_sim(props: &LogFormatsProps) -> Html {
    let progress = use_progress();
    let linked = use_link::<Shared, NoAction, _>(&props.link, 0, Shared::default);
    let shared = &linked.settings;
    let actions = use_state(|| shared.actions.clone());
    let undone = use_state(|| shared.undone.clone());
    let offset_ms = use_state(|| shared.offset_ms);
    let choice = use_state(|| AttrValue::from(shared.choice));
    let query = use_state(|| shared.query.clone());
    let pairs = settings_pairs(Shared {
        choice: CHOICES.iter().find(|c| **c == choice.as_str()).copied().unwrap_or(CHOICES[0]),
        offset_ms: *offset_ms,
        actions: (*actions).clone(),
        undone: (*undone).clone(),
        query: (*query).clone(),
    });

    let (comparison, problem) = replay(*offset_ms, &actions);
    let mode = comparison.config().statement_mode;
    let literal = actions.iter().rev().find_map(|a| match a {
        Action::SetStatementMode(m) => Some(*m),
        _ => None,
    });
    let fixed = literal.unwrap_or(mode) == StatementMode::LiteralValues;

    let tried = {
        let progress = progress.clone();
        let chapter = props.chapter.to_owned();
        move || {
            progress.dispatch(ProgressAction::TriedSimulation { chapter: chapter.clone(), name: "log-formats".into() })
        }
    };
    let push = {
        let actions = actions.clone();
        let undone = undone.clone();
        let tried = tried.clone();
        move |action: Action| {
            tried();
            let mut next = (*actions).clone();
            if next.len() >= ACTIONS_MAX {
                next.remove(0);
            }
            next.push(action);
            actions.set(next);
            undone.set(Vec::new());
        }
    };
    let on_run = {
        let push = push.clone();
        let choice = choice.clone();
        let count = actions.len();
        Callback::from(move |_: MouseEvent| push(operation(&choice, count)))
    };
    let on_fix = {
        let push = push.clone();
        Callback::from(move |_: Event| {
            push(Action::SetStatementMode(if fixed { StatementMode::Verbatim } else { StatementMode::LiteralValues }))
        })
    };
    let on_resync = {
        let push = push.clone();
        Callback::from(move |_: MouseEvent| push(Action::ResyncStatementFollower))
    };
    let on_back = {
        let actions = actions.clone();
        let undone = undone.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*actions).clone();
            if let Some(last) = next.pop() {
                let mut redo = (*undone).clone();
                redo.push(last);
                undone.set(redo);
                actions.set(next);
            }
        })
    };
    let on_forward = {
        let actions = actions.clone();
        let undone = undone.clone();
        Callback::from(move |_: MouseEvent| {
            let mut redo = (*undone).clone();
            if let Some(action) = redo.pop() {
                let mut next = (*actions).clone();
                next.push(action);
                actions.set(next);
                undone.set(redo);
            }
        })
    };
    let on_reset = {
        let actions = actions.clone();
        let undone = undone.clone();
        Callback::from(move |_: MouseEvent| {
            actions.set(Vec::new());
            undone.set(Vec::new());
        })
    };
    let on_offset = {
        let offset_ms = offset_ms.clone();
        let tried = tried.clone();
        Callback::from(move |v: i64| {
            tried();
            offset_ms.set(v)
        })
    };
    let on_choice = {
        let choice = choice.clone();
        Callback::from(move |v: AttrValue| choice.set(v))
    };
    let on_query = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                query.set(input.value());
            }
        })
    };

    // The four panes show the last operation that ran, or a preview of the chosen one before anything has.
    let shown = comparison.history().last().map(|s| (s.representations.clone(), false)).or_else(|| {
        match operation(&choice, actions.len()) {
            Action::Run(op) => comparison.preview(&op).ok().map(|r| (r, true)),
            _ => None,
        }
    });
    let narration = match (&problem, comparison.trace().events().last()) {
        (Some(p), _) => format!("The last operation was refused: {p}"),
        (None, Some(e)) => format!("Step {}: {}", actions.len(), e.text),
        (None, None) => {
            "Pick an operation and run it on the leader; each follower replays it from its own log.".to_owned()
        }
    };
    let replicas = comparison.replicas();
    let search = comparison.search_index();
    let hits = search.search(query.trim());
    let search_status = status_text(&comparison.search_status());
    let on_key = {
        let on_back = on_back.clone();
        let on_forward = on_forward.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_control = e
                .target_dyn_into::<web_sys::Element>()
                .map(|t| matches!(t.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"))
                .unwrap_or(false);
            if in_control {
                return;
            }
            let click = web_sys::MouseEvent::new("click").expect("a click event");
            match e.key().as_str() {
                "ArrowLeft" => {
                    e.prevent_default();
                    on_back.emit(click);
                }
                "ArrowRight" => {
                    e.prevent_default();
                    on_forward.emit(click);
                }
                _ => {}
            }
        })
    };
    let leader_rows = comparison.leader().row_views();

    html! {
        <figure class="sim" aria-label={TITLE} tabindex="0" onkeydown={on_key}>
            <figcaption>
                <span class="sim-kicker">{ "Simulation" }</span>
                <span class="sim-title">{ TITLE }</span>
                <span class="sim-keys">{ "With the figure focused: ← and → undo and redo the last step." }</span>
            </figcaption>
            { link_notices(&linked.notices) }
            <div class="sim-settings">
                <Choice label="Operation" value={(*choice).clone()} onchange={on_choice}
                    options={vec![
                        ("update".into(), "UPDATE name, updated_at=NOW() (the worked example)".into()),
                        ("insert".into(), "INSERT a user (AUTO_INCREMENT id)".into()),
                        ("concurrent".into(), "Two concurrent INSERTs".into()),
                        ("anonymize".into(), "UPDATE with RAND()".into()),
                        ("delete".into(), "DELETE user 42".into()),
                    ]} />
                <Slider label="Follower's clock, relative to the leader" min={*OFFSET_MS.start()} max={*OFFSET_MS.end()} step={OFFSET_STEP_MS} value={*offset_ms} unit="ms" onchange={on_offset} />
                <div class="checkbox">
                    <input id="log-formats-fix" type="checkbox" checked={fixed} onchange={on_fix} />
                    <label for="log-formats-fix">{ "Ship literal values instead of NOW() and RAND() (the fix)" }</label>
                </div>
            </div>
            <div class="sim-actions" role="group" aria-label="Steps">
                <button type="button" class="primary" onclick={on_run}>{ "Run on the leader" }</button>
                <button type="button" onclick={on_back} disabled={actions.is_empty()}>{ "Undo step" }</button>
                <button type="button" onclick={on_forward} disabled={undone.is_empty()}>{ "Redo step" }</button>
                <button type="button" onclick={on_resync}>{ "Rebuild the statement follower" }</button>
                <button type="button" onclick={on_reset}>{ "Reset" }</button>
            </div>
            <CopyLink sim="log-formats" chapter={props.chapter} {pairs} />
            <Narration text={narration} />
            { shown.map(|(r, preview)| html! {
                <div class="log-panes">
                    <p class="sim-note">{ if preview { "What the leader would ship for: " } else { "What the leader shipped for: " } }<code>{ r.sql.clone() }</code></p>
                    { for LogFormat::ALL.iter().map(|f| {
                        let replica = replicas.iter().find(|x| x.format == *f);
                        let status = replica.map(|x| status_text(&x.status)).unwrap_or_default();
                        let bad = replica.is_some_and(|x| x.status != ReplicaStatus::InSync);
                        html! {
                            <section class={classes!("log-pane", bad.then_some("diverged"))} aria-label={method_title(*f)}>
                                <h3>{ method_title(*f) }</h3>
                                <pre>{ pane(*f, &r) }</pre>
                                <p class="replica-status">{ format!("{} follower: {status}", f.name()) }</p>
                                { for replica.into_iter().flat_map(|x| x.divergences.iter()).take(3).map(|d| html! { <p class="divergence">{ d.describe() }</p> }) }
                            </section>
                        }
                    }) }
                </div>
            }) }
            <div class="sim-panel">
                <h3>{ "Change data capture: a search index fed by the logical log" }</h3>
                <p>{ format!(
                    "{} documents; {} change(s) applied; caught up to LSN {}; {search_status}.",
                    search.len(),
                    search.applied(),
                    format_lsn(search.position())
                ) }</p>
                <div class="answer-input">
                    <label for="log-formats-search">{ "Search the index for a name word" }</label>
                    <input id="log-formats-search" type="text" value={(*query).clone()} oninput={on_query} />
                </div>
                <p aria-live="polite">{ if hits.is_empty() { "No matching users.".to_owned() } else {
                    format!("Found user(s) {}.", hits.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", "))
                } }</p>
            </div>
            <TableToggle>
                <table class="state-table">
                    <caption>{ "Leader's users table" }</caption>
                    <thead><tr><th scope="col">{ "id" }</th><th scope="col">{ "name" }</th><th scope="col">{ "email" }</th><th scope="col">{ "updated_at" }</th></tr></thead>
                    <tbody>
                        { for leader_rows.iter().map(|v| html! {
                            <tr><th scope="row">{ v.row.id.to_string() }</th><td>{ v.row.name.clone() }</td><td>{ v.row.email.clone() }</td><td>{ v.row.updated_at.to_string() }</td></tr>
                        }) }
                    </tbody>
                </table>
                { for replicas.iter().map(|x| html! {
                    <table class="state-table">
                        <caption>{ format!("{} follower — {}", method_title(x.format), status_text(&x.status)) }</caption>
                        <thead><tr><th scope="col">{ "id" }</th><th scope="col">{ "name" }</th><th scope="col">{ "email" }</th><th scope="col">{ "updated_at" }</th></tr></thead>
                        <tbody>
                            { for x.rows.iter().map(|v| html! {
                                <tr><th scope="row">{ v.row.id.to_string() }</th><td>{ v.row.name.clone() }</td><td>{ v.row.email.clone() }</td><td>{ v.row.updated_at.to_string() }</td></tr>
                            }) }
                        </tbody>
                    </table>
                }) }
            </TableToggle>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_diverges_by_two_seconds_and_the_fix_prevents_it() {
        let (c, problem) = replay(2_000, &[operation("update", 0)]);
        assert!(problem.is_none());
        let statement = c.replicas().into_iter().find(|r| r.format == LogFormat::Statement).unwrap();
        assert!(matches!(statement.status, ReplicaStatus::Diverged { .. }), "{:?}", statement.status);
        let (fixed, _) =
            replay(2_000, &[Action::SetStatementMode(StatementMode::LiteralValues), operation("update", 0)]);
        assert!(fixed.replicas().iter().all(|r| r.status == ReplicaStatus::InSync));
    }

    #[test]
    fn every_choice_runs() {
        for choice in ["update", "insert", "concurrent", "anonymize", "delete"] {
            let (c, problem) = replay(2_000, &[operation(choice, 0)]);
            assert!(problem.is_none(), "{choice}: {problem:?}");
            // Two concurrent inserts ship two operations; everything else ships one.
            let expected = if choice == "concurrent" { 2 } else { 1 };
            assert_eq!(c.history().len(), expected, "{choice}");
        }
    }
}
