//! Shareable simulation state: a link that opens a simulation exactly as the reader left it.
//!
//! A link is the hash route of the heading above the simulation plus a query:
//! `#/<chapter>/<section>?sim=<name>&<settings>&seed=<n>&do=<entry>.<ms>.<action>&…&at=<entry>.<ms>[.step]`.
//! The settings are the widget's own (each widget implements [`Shareable`]); `do` repeats once per reader action
//! in the order taken, naming the entry of the run it was taken at, the simulated time and a short token for
//! the action ([`ActionToken`]); `at` is the position (entry and time, and `.step` when the reader got there by
//! one step, which the narration follows). The run is rebuilt from these alone by
//! `sim::Replay::restore`, so the reader who opens the link sees the same run, event for event.
//!
//! A link is text anyone can edit. Nothing in it is trusted: a number out of range is clamped, an unknown
//! choice falls back to the default, an action that is not understood or could not have happened ends the run
//! there; and every such change is said in a notice above the simulation. No link can blank the page.

use std::ops::RangeInclusive;

use sim::{Model, Replay, Restored, Time};

/// Query pairs read from a link at most: an address can be very long, the page stays fast.
pub const PAIRS_MAX: usize = 400;
/// Reader actions a link carries at most.
pub const ACTIONS_MAX: usize = 200;
/// Characters of a value repeated in a notice at most: the text comes from the address.
const SHOWN_CHARS_MAX: usize = 40;

/// The query of a link, as key–value pairs in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The pairs of a query string (`a=1&b=2`, percent-encoded as forms are).
    pub fn parse(query: &str) -> Params {
        let pairs = form_urlencoded::parse(query.as_bytes())
            .take(PAIRS_MAX)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { pairs }
    }

    /// The query of a hash route (`#/chapter/section?…`); empty when it has none.
    pub fn from_hash(hash: &str) -> Params {
        hash.split_once('?').map_or_else(Params::default, |(_, query)| Params::parse(query))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The simulation the link is for, if it names one.
    pub fn simulation(&self) -> Option<&str> {
        self.get("sim")
    }
}

/// A value from the address, cut short enough to repeat in a notice.
pub fn shown(value: &str) -> String {
    let cut: String = value.chars().take(SHOWN_CHARS_MAX).collect();
    if cut.len() < value.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Reads settings from a link, clamping what is out of range and noting every change it had to make.
pub struct Reader<'a> {
    params: &'a Params,
    pub notices: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(params: &'a Params) -> Reader<'a> {
        Reader { params, notices: Vec::new() }
    }

    /// A whole number in `range`. Missing: the default, silently. Not a number: the default, with a notice.
    /// Out of range: the nearest end, with a notice.
    pub fn number<T: Number>(&mut self, key: &str, label: &str, range: RangeInclusive<T>, default: T) -> T {
        let Some(text) = self.params.get(key) else { return default };
        match text.trim().parse::<T>() {
            Ok(v) if range.contains(&v) => v,
            Ok(v) => {
                let clamped = v.clamp(*range.start(), *range.end());
                self.notices.push(format!(
                    "{label} {v} is outside {} to {}; using {clamped}.",
                    range.start(),
                    range.end()
                ));
                clamped
            }
            Err(_) => {
                self.notices.push(format!("{label} '{}' is not a number; using {default}.", shown(text)));
                default
            }
        }
    }

    /// Free text of at most `chars_max` characters (cut with a notice); `None` when missing.
    pub fn text(&mut self, key: &str, chars_max: usize) -> Option<String> {
        let text = self.params.get(key)?;
        if text.chars().count() > chars_max {
            self.notices.push(format!("The link's {key} text was cut to {chars_max} characters."));
        }
        Some(text.chars().take(chars_max).collect())
    }

    /// Names written `a.b.c`; none when missing or empty.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.params.get(key).map_or_else(Vec::new, |text| {
            text.split('.').filter(|v| !v.is_empty()).take(PAIRS_MAX).map(str::to_owned).collect()
        })
    }

    /// One of `options` by its name in the link; anything else gives the default, with a notice.
    pub fn choice<T: Copy>(&mut self, key: &str, label: &str, options: &[(&str, T)], default: T) -> T {
        let Some(text) = self.params.get(key) else { return default };
        match options.iter().find(|(name, _)| *name == text) {
            Some((_, value)) => *value,
            None => {
                self.notices.push(format!("Unknown {label} '{}'; showing the default.", shown(text)));
                default
            }
        }
    }

    /// On or off, written `1` or `0`.
    pub fn flag(&mut self, key: &str, label: &str, default: bool) -> bool {
        match self.params.get(key) {
            None => default,
            Some("1") => true,
            Some("0") => false,
            Some(other) => {
                let word = if default { "on" } else { "off" };
                self.notices.push(format!("{label} '{}' is neither 1 nor 0; leaving it {word}.", shown(other)));
                default
            }
        }
    }

    /// A list of whole numbers written `a.b.c`, of a length in `len` and each in `each`. A bad length gives the default list; bad numbers are
    /// clamped; both with a notice.
    pub fn numbers<T: Number>(
        &mut self,
        key: &str,
        label: &str,
        len: RangeInclusive<usize>,
        each: RangeInclusive<T>,
        default: &[T],
    ) -> Vec<T> {
        let Some(text) = self.params.get(key) else { return default.to_vec() };
        let parsed: Option<Vec<T>> = text.split('.').map(|v| v.trim().parse::<T>().ok()).collect();
        match parsed {
            Some(values) if len.contains(&values.len()) => {
                let clamped: Vec<T> = values.iter().map(|v| (*v).clamp(*each.start(), *each.end())).collect();
                if clamped != values {
                    self.notices.push(format!(
                        "Some {label} were outside {} to {} and were clamped.",
                        each.start(),
                        each.end()
                    ));
                }
                clamped
            }
            _ => {
                self.notices.push(format!(
                    "{label} '{}' should be {} to {} numbers separated by dots; using the default.",
                    shown(text),
                    len.start(),
                    len.end()
                ));
                default.to_vec()
            }
        }
    }
}

/// A number a link can carry.
pub trait Number: std::str::FromStr + Ord + Copy + std::fmt::Display {}
impl Number for u64 {}
impl Number for i64 {}
impl Number for u8 {}

/// A list of numbers as [`Reader::numbers`] reads it.
pub fn numbers_value<T: Number>(values: &[T]) -> String {
    values.iter().map(T::to_string).collect::<Vec<_>>().join(".")
}

/// A link's query pairs, in order, as the widgets write them.
pub type Pairs = Vec<(&'static str, String)>;

/// A widget's settings, written into a link and read back.
pub trait Shareable: Sized {
    /// Every setting, as (key, value). Keys are short and never `sim`, `seed`, `do` or `at`.
    fn write(&self, out: &mut Pairs);
    /// The settings a link asks for, clamped to what the widget allows.
    fn read(reader: &mut Reader<'_>) -> Self;
}

/// A reader action as a short, URL-friendly token, and back.
pub trait ActionToken: Sized {
    /// `None` for an action no widget lets the reader take: a run holding one cannot be shared.
    fn token(&self) -> Option<String>;
    fn from_token(token: &str) -> Option<Self>;
}

/// The run part of a link: the seed, the reader's actions where they were taken, and the position.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLink<A> {
    pub seed: u64,
    pub actions: Vec<(u64, Time, A)>,
    pub cursor: u64,
    pub at: Time,
    /// Whether the reader got here by a single step (the narration then reads that entry, not the latest key
    /// event).
    pub stepped: bool,
}

impl<A: ActionToken> RunLink<A> {
    /// The run a replay holds now; `None` if one of its actions has no token.
    pub fn of<M: Model<Action = A>>(seed: u64, replay: &Replay<M>, stepped: bool) -> Option<RunLink<A>>
    where
        A: Clone,
    {
        Some(RunLink {
            seed,
            actions: replay.actions().map(|(c, t, a)| (c, t, a.clone())).collect(),
            cursor: replay.cursor(),
            at: replay.now(),
            stepped,
        })
        .filter(|link| link.actions.iter().all(|(_, _, a)| a.token().is_some()))
    }

    pub fn write(&self, out: &mut Pairs) {
        out.push(("seed", self.seed.to_string()));
        for (cursor, at, action) in &self.actions {
            if let Some(token) = action.token() {
                out.push(("do", format!("{cursor}.{}.{token}", at.as_ms())));
            }
        }
        let step = if self.stepped { ".step" } else { "" };
        out.push(("at", format!("{}.{}{step}", self.cursor, self.at.as_ms())));
    }

    /// The run a link asks for. A missing seed is `default_seed`; the first action not understood ends the list
    /// there (the run stops making sense after it), with a notice.
    pub fn read(reader: &mut Reader<'_>, default_seed: u64) -> RunLink<A> {
        let seed = match reader.params.get("seed") {
            None => default_seed,
            Some(text) => text.trim().parse::<u64>().unwrap_or_else(|_| {
                reader.notices.push(format!("Seed '{}' is not a number; using {default_seed}.", shown(text)));
                default_seed
            }),
        };
        let mut actions = Vec::new();
        let total = reader.params.all("do").count();
        for (i, text) in reader.params.all("do").enumerate() {
            if i == ACTIONS_MAX {
                reader
                    .notices
                    .push(format!("The link holds {total} actions; only the first {ACTIONS_MAX} are replayed."));
                break;
            }
            let mut parts = text.splitn(3, '.');
            let parsed = match (parts.next(), parts.next(), parts.next()) {
                (Some(c), Some(t), Some(token)) => c
                    .parse::<u64>()
                    .ok()
                    .zip(t.parse::<u64>().ok())
                    .and_then(|(c, t)| A::from_token(token).map(|a| (c, Time::from_ms(t), a))),
                _ => None,
            };
            match parsed {
                Some(action) => actions.push(action),
                None => {
                    reader.notices.push(format!(
                        "Action {} of the link ('{}') is not understood; the run stops before it.",
                        i + 1,
                        shown(text)
                    ));
                    break;
                }
            }
        }
        let position = reader.params.get("at").and_then(|text| {
            let (text, stepped) = match text.strip_suffix(".step") {
                Some(rest) => (rest, true),
                None => (text, false),
            };
            let (c, t) = text.split_once('.')?;
            Some((c.parse::<u64>().ok()?, Time::from_ms(t.parse::<u64>().ok()?), stepped))
        });
        if position.is_none() && reader.params.get("at").is_some() {
            reader.notices.push("The position in the link is not understood; showing the start.".to_owned());
        }
        let (cursor, at, stepped) = position.unwrap_or((0, Time::ZERO, false));
        RunLink { seed, actions, cursor, at, stepped }
    }
}

/// What to tell the reader after rebuilding a run from a link, if anything went differently from the link.
pub fn restored_notice(restored: Restored) -> Option<String> {
    match (restored.dropped, restored.position_exact) {
        (0, true) => None,
        (0, false) => Some("The link's position is not in this run; showing the nearest moment.".to_owned()),
        (n, _) => Some(format!(
            "{n} of the link's actions could not have happened in this run and were left out (kept {}).",
            restored.kept
        )),
    }
}

/// The query of a link for simulation `sim` with `pairs`, percent-encoded.
pub fn query(sim: &str, pairs: &[(&'static str, String)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    out.append_pair("sim", sim);
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The heading each shareable simulation sits under, so the link lands on it.
pub fn section(sim: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(name, _)| *name == sim).map(|(_, section)| *section)
}

pub const SECTIONS: &[(&str, &str)] = &[
    ("single-node", "try-it-one-node-versus-a-replicated-system"),
    ("leader-follower", "watch-a-write-flow-through-the-cluster"),
    ("log-formats", "try-it-replication-log-methods-compared"),
    ("failover", "try-it-failover-simulation"),
    ("lag-anomalies", "try-it-replication-lag-anomalies"),
    ("multi-leader", "try-it-a-multi-leader-conflict"),
    ("version-vectors", "try-it-version-vectors-step-by-step"),
    ("quorum", "try-it-the-quorum-calculator"),
];

/// Everything a widget takes from a link: its settings, the run, and what had to be changed to fit.
pub struct FromLink<S, A> {
    pub settings: S,
    pub run: Option<RunLink<A>>,
    pub notices: Vec<String>,
}

/// Reads a widget's link, if it has one; `fallback` gives the settings when it does not (a preset, or the
/// default).
pub fn from_link<S: Shareable, A: ActionToken>(
    link: Option<&Params>,
    default_seed: u64,
    fallback: impl FnOnce() -> S,
) -> FromLink<S, A> {
    match link {
        None => FromLink { settings: fallback(), run: None, notices: Vec::new() },
        Some(params) => {
            let mut reader = Reader::new(params);
            let settings = S::read(&mut reader);
            let run = RunLink::read(&mut reader, default_seed);
            FromLink { settings, run: Some(run), notices: reader.notices }
        }
    }
}

/// The actions of a widget without a timeline: its link carries settings only.
#[derive(Clone, Debug, PartialEq)]
pub enum NoAction {}

impl ActionToken for NoAction {
    fn token(&self) -> Option<String> {
        match *self {}
    }

    fn from_token(_: &str) -> Option<Self> {
        None
    }
}

/// A widget with nothing to set beyond its run.
impl Shareable for () {
    fn write(&self, _: &mut Pairs) {}
    fn read(_: &mut Reader<'_>) -> Self {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Params {
        Params::parse(query)
    }

    #[test]
    fn a_query_is_read_as_a_form_and_written_back_percent_encoded() {
        let q = query(
            "multi-leader",
            &[("do", "3.40.write-1-set-10 Harbor Rd (V)".to_owned()), ("skews", "1.-250".to_owned())],
        );
        assert_eq!(q, "sim=multi-leader&do=3.40.write-1-set-10+Harbor+Rd+%28V%29&skews=1.-250");
        let p = params(&q);
        assert_eq!(p.simulation(), Some("multi-leader"));
        assert_eq!(p.get("do"), Some("3.40.write-1-set-10 Harbor Rd (V)"));
        assert_eq!(Params::from_hash(&format!("#/multi-leader/try-it?{q}")), p);
        assert_eq!(Params::from_hash("#/multi-leader/try-it"), Params::default());
    }

    #[test]
    fn numbers_out_of_range_are_clamped_and_said() {
        let p = params("n=12&w=abc&r=2");
        let mut r = Reader::new(&p);
        assert_eq!(r.number("n", "N", 1..=9u64, 3), 9);
        assert_eq!(r.number("w", "W", 1..=9u64, 2), 2);
        assert_eq!(r.number("r", "R", 1..=9u64, 1), 2);
        assert_eq!(r.number("missing", "M", 1..=9u64, 4), 4);
        assert_eq!(r.notices, ["N 12 is outside 1 to 9; using 9.", "W 'abc' is not a number; using 2."]);
    }

    #[test]
    fn lists_choices_and_flags_fall_back_with_a_notice() {
        let p = params("lat=1.99.8&bad=1..2&mode=fast&flag=yes&skews=-3000.5");
        let mut r = Reader::new(&p);
        assert_eq!(r.numbers("lat", "latencies", 2..=5, 0..=40u64, &[1, 8]), [1, 40, 8]);
        assert_eq!(r.numbers("bad", "list", 2..=5, 0..=40u64, &[1, 8]), [1, 8]);
        assert_eq!(r.numbers("skews", "skews", 2..=5, -2000..=2000i64, &[0, 0]), [-2000, 5]);
        assert_eq!(r.choice("mode", "mode", &[("sync", 1), ("async", 2)], 2), 2);
        assert!(r.flag("flag", "Fencing", true));
        assert_eq!(r.notices.len(), 5, "{:?}", r.notices);
        assert_eq!(r.notices[3], "Unknown mode 'fast'; showing the default.");
        assert_eq!(r.notices[4], "Fencing 'yes' is neither 1 nor 0; leaving it on.");
    }

    #[test]
    fn a_long_value_is_cut_in_a_notice() {
        let long = "x".repeat(5_000);
        let p = params(&format!("mode={long}"));
        let mut r = Reader::new(&p);
        r.choice("mode", "mode", &[("a", 1)], 1);
        assert!(r.notices[0].len() < 100, "an address cannot flood the page");
    }

    #[derive(Clone, Debug, PartialEq)]
    enum Press {
        Kill,
        Add(u8),
    }

    impl ActionToken for Press {
        fn token(&self) -> Option<String> {
            Some(match self {
                Press::Kill => "kill".to_owned(),
                Press::Add(n) => format!("add-{n}"),
            })
        }
        fn from_token(token: &str) -> Option<Self> {
            match token {
                "kill" => Some(Press::Kill),
                _ => token.strip_prefix("add-")?.parse().ok().map(Press::Add),
            }
        }
    }

    #[test]
    fn a_run_survives_the_trip_through_a_link() {
        let run = RunLink {
            seed: 77,
            actions: vec![(0, Time::from_ms(0), Press::Add(2)), (5, Time::from_ms(120), Press::Kill)],
            cursor: 9,
            at: Time::from_ms(300),
            stepped: true,
        };
        let mut pairs = Vec::new();
        run.write(&mut pairs);
        let p = params(&query("x", &pairs));
        let mut r = Reader::new(&p);
        assert_eq!(RunLink::<Press>::read(&mut r, 1), run);
        assert!(r.notices.is_empty());
    }

    #[test]
    fn a_run_stops_at_the_first_action_not_understood() {
        let p = params("seed=oops&do=0.0.kill&do=1.5.dance&do=2.9.kill&at=x");
        let mut r = Reader::new(&p);
        let run = RunLink::<Press>::read(&mut r, 4);
        assert_eq!(run.seed, 4);
        assert_eq!(run.actions, [(0, Time::ZERO, Press::Kill)]);
        assert_eq!((run.cursor, run.at, run.stepped), (0, Time::ZERO, false));
        assert_eq!(
            r.notices,
            [
                "Seed 'oops' is not a number; using 4.",
                "Action 2 of the link ('1.5.dance') is not understood; the run stops before it.",
                "The position in the link is not understood; showing the start.",
            ]
        );
    }

    #[test]
    fn a_link_carries_a_bounded_number_of_actions() {
        let query: String = (0..ACTIONS_MAX + 50).map(|i| format!("do={i}.{i}.kill&")).collect();
        let p = params(&query);
        let mut r = Reader::new(&p);
        assert_eq!(RunLink::<Press>::read(&mut r, 1).actions.len(), ACTIONS_MAX);
        assert_eq!(
            r.notices,
            [format!("The link holds {} actions; only the first {ACTIONS_MAX} are replayed.", ACTIONS_MAX + 50)]
        );
        let huge: String = (0..PAIRS_MAX * 3).map(|i| format!("k{i}=1&")).collect();
        assert_eq!(params(&huge).pairs.len(), PAIRS_MAX);
    }

    #[test]
    fn every_shareable_simulation_lands_on_a_heading_of_its_chapter() {
        for (sim, section) in SECTIONS {
            let chapter = crate::content::CHAPTERS
                .iter()
                .find(|c| c.simulations.contains(sim))
                .unwrap_or_else(|| panic!("no chapter mounts {sim}"));
            assert!(
                chapter.headings.iter().any(|h| h.id == *section),
                "{sim}: no heading {section} in {}",
                chapter.slug
            );
        }
    }
}
