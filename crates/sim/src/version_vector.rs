//! Version vectors, siblings and tombstones — the model behind chapter 7, "Detecting Concurrent Writes", and its
//! "Version vector simulation" (a Next Step walk through a shopping cart).
//!
//! What it simulates:
//! - [`VersionVector`]: one counter per replica. It is a [`PartialOrd`] whose `None` means *concurrent* (as the
//!   `crdts` crate's `VClock`); [`VersionVector::compare`] also says *why*, one sentence per entry
//!   ("X: 3 > 2, so A has seen a write B has not."). Readers type vectors in the course's notation,
//!   `{X:3, Y:2, Z:1}`; the parser's errors name the byte column and what is wrong.
//! - [`Replica`]: one replica of a Dynamo-style store (Riak's pattern). `put(key, value, context)` returns the new
//!   version; `get(key)` returns every sibling and their merged context; anti-entropy ([`Replica::sync_from`])
//!   keeps concurrent versions side by side as siblings and drops versions something newer has already seen.
//! - [`Cart`]: the shopping cart value, with tombstones for removed items, and [`merge_carts`], the client-side
//!   merge (union of items, minus anything tombstoned in any sibling). [`DeleteMode::Erase`] removes items
//!   without a tombstone, which shows the resurrection bug.
//! - [`CartWorld`]: the course's walk-through as a list of [`Step`]s — replicas A and B, clients X and Y, milk and
//!   eggs, then the butter case — each with a description and the full state after it, for Next/Previous Step.
//! - [`History`]: events on a few nodes with messages between them; [`History::happened_before`] decides
//!   causality with vector clocks.
//!
//! What it simplifies, and why:
//! - A stored sibling remembers the increment that created it (its [`Dot`], e.g. `B:2`) apart from the context
//!   the client sent. The version shown to the reader is the two joined (`{A:1, B:2}`), exactly the course's
//!   vectors. Keeping the dot apart is what Riak's *dotted* version vectors do: a write with an old or empty
//!   context becomes a sibling instead of silently replacing a write the client never saw (the course's short
//!   Python stores two siblings with the same vector in that case).
//! - The step-through has no clock and no network: a step is one reader-visible operation (a read, a write,
//!   one anti-entropy pass). The shared [`Trace`] stamps each line with its step number as a logical
//!   millisecond, so lines keep their order.
//! - Tombstones are never collected, and a tombstone in any sibling wins over a concurrent add (the course's
//!   rule). Adding an item again *after* seeing its removal brings it back.
//!
//! ```
//! use sim::version_vector::{Order, Replica, ReplicaId, VersionVector};
//!
//! let a: VersionVector = "{X:3, Y:2}".parse()?;
//! let b: VersionVector = "{X:2, Y:4}".parse()?;
//! let comparison = a.compare(&b);
//! assert_eq!(comparison.order, Order::Concurrent);
//! assert_eq!(a.partial_cmp(&b), None);
//! assert_eq!(comparison.explain("A", "B")[0], "X: 3 > 2, so A has seen a write B has not.");
//!
//! let mut store: Replica<&str> = Replica::new(ReplicaId::new("A")?);
//! let first = store.put("cart", "milk", &VersionVector::new())?;
//! assert_eq!(first.version.to_string(), "{A:1}");
//! let read = store.get("cart");
//! assert_eq!(read.values, vec!["milk"]);
//! assert_eq!(read.context.to_string(), "{A:1}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::time::Time;
use crate::trace::{Salience, Trace};

// ---------------------------------------------------------------------------------------------------------------
// Replica ids and the parser's errors
// ---------------------------------------------------------------------------------------------------------------

/// Longest replica name, in bytes.
pub const NAME_LEN_MAX: usize = 16;
/// Most entries (distinct replicas) a vector takes from the parser or from [`VersionVector::increment`].
pub const ENTRIES_MAX: usize = 64;
/// Longest text the parser reads, in bytes.
pub const INPUT_LEN_MAX: usize = 4096;

/// The name of a replica (or node): 1 to [`NAME_LEN_MAX`] ASCII letters, digits, `_` or `-`, like `A`, `VA`, `n1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId(String);

impl ReplicaId {
    /// Checks and wraps a name. `ReplicaId::new("A")` is fine; `ReplicaId::new("A B")` is an error at column 2.
    pub fn new(name: &str) -> Result<ReplicaId, ParseError> {
        name.parse()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ReplicaId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ReplicaId {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<ReplicaId, ParseError> {
        let mut cursor = Cursor::new(s)?;
        let id = cursor.name()?;
        cursor.end()?;
        Ok(id)
    }
}

/// What the parser met where it expected something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Char(char),
    End,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Char(c) => write!(f, "'{c}'"),
            Found::End => f.write_str("the end of the input"),
        }
    }
}

/// Everything that can be wrong with typed-in notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    InputTooLong { len_bytes: usize },
    ExpectedOpenBrace { found: Found },
    ExpectedReplicaName { found: Found },
    ReplicaNameTooLong { len_bytes: usize },
    ExpectedColon { replica: String, found: Found },
    ExpectedCount { replica: String, found: Found },
    CountTooLarge { replica: String },
    DuplicateReplica { replica: String },
    ExpectedCommaOrCloseBrace { found: Found },
    TooManyEntries { max: usize },
    TrailingInput { found: Found },
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::InputTooLong { len_bytes } => {
                write!(f, "the input is {len_bytes} bytes long; at most {INPUT_LEN_MAX} are read")
            }
            ParseErrorKind::ExpectedOpenBrace { found } => {
                write!(f, "expected '{{' to start the vector, found {found}")
            }
            ParseErrorKind::ExpectedReplicaName { found } => {
                write!(f, "expected a replica name (letters, digits, '_' or '-'), found {found}")
            }
            ParseErrorKind::ReplicaNameTooLong { len_bytes } => {
                write!(f, "the replica name is {len_bytes} bytes long; at most {NAME_LEN_MAX} are allowed")
            }
            ParseErrorKind::ExpectedColon { replica, found } => {
                write!(f, "expected ':' after the replica name {replica}, found {found}")
            }
            ParseErrorKind::ExpectedCount { replica, found } => {
                write!(f, "expected a count (a whole number) after '{replica}:', found {found}")
            }
            ParseErrorKind::CountTooLarge { replica } => write!(f, "the count for {replica} does not fit in 64 bits"),
            ParseErrorKind::DuplicateReplica { replica } => {
                write!(f, "{replica} appears twice; a vector has one entry per replica")
            }
            ParseErrorKind::ExpectedCommaOrCloseBrace { found } => {
                write!(f, "expected ',' or '}}' after an entry, found {found}")
            }
            ParseErrorKind::TooManyEntries { max } => write!(f, "a vector holds at most {max} replicas"),
            ParseErrorKind::TrailingInput { found } => write!(f, "unexpected {found} where the input should end"),
        }
    }
}

/// A parse error: where (1-based byte column) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.kind)
    }
}

impl std::error::Error for ParseError {}

/// A position in the text being parsed. Every loop that moves it advances by at least one byte, and the text is
/// at most [`INPUT_LEN_MAX`] bytes, so parsing is bounded.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

fn is_name_byte(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Result<Cursor<'a>, ParseError> {
        if text.len() > INPUT_LEN_MAX {
            let kind = ParseErrorKind::InputTooLong { len_bytes: text.len() };
            return Err(ParseError { column: INPUT_LEN_MAX + 1, kind });
        }
        Ok(Cursor { text, pos: 0 })
    }

    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn found(&self) -> Found {
        self.peek().map_or(Found::End, Found::Char)
    }

    fn column(&self) -> usize {
        self.pos + 1
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError { column: self.column(), kind }
    }

    fn skip_whitespace(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<ReplicaId, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_name_byte) {
            self.pos += 1;
        }
        let name = &self.text[start..self.pos];
        if name.is_empty() {
            return Err(self.error(ParseErrorKind::ExpectedReplicaName { found: self.found() }));
        }
        if name.len() > NAME_LEN_MAX {
            let kind = ParseErrorKind::ReplicaNameTooLong { len_bytes: name.len() };
            return Err(ParseError { column: start + 1, kind });
        }
        Ok(ReplicaId(name.to_owned()))
    }

    fn count(&mut self, replica: &ReplicaId) -> Result<u64, ParseError> {
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(digit))).ok_or(ParseError {
                column: start + 1,
                kind: ParseErrorKind::CountTooLarge { replica: replica.to_string() },
            })?;
            self.pos += 1;
        }
        if self.pos == start {
            let kind = ParseErrorKind::ExpectedCount { replica: replica.to_string(), found: self.found() };
            return Err(self.error(kind));
        }
        Ok(value)
    }

    fn end(&mut self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(self.error(ParseErrorKind::TrailingInput { found: Found::Char(c) })),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Version vectors
// ---------------------------------------------------------------------------------------------------------------

/// Why a counter could not be incremented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// The counter is already `u64::MAX`.
    CounterOverflow { replica: ReplicaId },
    /// The vector already has [`ENTRIES_MAX`] replicas and this would add another.
    TooManyReplicas { max: usize },
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockError::CounterOverflow { replica } => write!(f, "the counter for {replica} cannot grow any further"),
            ClockError::TooManyReplicas { max } => write!(f, "a vector holds at most {max} replicas"),
        }
    }
}

impl std::error::Error for ClockError {}

/// One counter per replica: how many writes accepted by each replica this version has seen. A missing entry
/// counts as 0 and zeros are never stored, so `{A:1, B:0}` and `{A:1}` are the same vector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionVector {
    entries: BTreeMap<ReplicaId, u64>,
}

/// How one version relates to another. `a.compare(&b).order == Order::Before` means a happened before b.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Every entry is ≤ and at least one is <: the other version has seen everything this one has, and more.
    Before,
    /// Every entry is ≥ and at least one is >: this version dominates the other.
    After,
    /// Every entry is equal: the same version.
    Equal,
    /// Each has an entry greater than the other's: neither saw the other's write.
    Concurrent,
}

impl Order {
    /// The same relation seen from the other side.
    pub fn reverse(self) -> Order {
        match self {
            Order::Before => Order::After,
            Order::After => Order::Before,
            other => other,
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Order::Before => "happened before",
            Order::After => "happened after",
            Order::Equal => "is the same version as",
            Order::Concurrent => "is concurrent with",
        })
    }
}

impl VersionVector {
    pub fn new() -> VersionVector {
        VersionVector::default()
    }

    /// Builds a vector from `(replica, count)` pairs; zeros are dropped and a repeated replica keeps its largest
    /// count. More than [`ENTRIES_MAX`] distinct replicas is an error.
    pub fn from_entries(entries: &[(ReplicaId, u64)]) -> Result<VersionVector, ClockError> {
        let mut vector = VersionVector::new();
        for (replica, count) in entries {
            let (replica, count) = (replica, *count);
            if count > 0 && !vector.entries.contains_key(replica) && vector.entries.len() >= ENTRIES_MAX {
                return Err(ClockError::TooManyReplicas { max: ENTRIES_MAX });
            }
            vector.raise(replica, count);
        }
        Ok(vector)
    }

    /// The count for `replica` (0 when absent).
    pub fn get(&self, replica: &str) -> u64 {
        self.entries.get(replica).copied().unwrap_or(0)
    }

    /// The non-zero entries, in replica order.
    pub fn entries(&self) -> impl Iterator<Item = (&ReplicaId, u64)> + '_ {
        self.entries.iter().map(|(r, n)| (r, *n))
    }

    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The replica accepted one more write: its entry goes up by one. Returns the new count.
    pub fn increment(&mut self, replica: &ReplicaId) -> Result<u64, ClockError> {
        self.increment_by(replica, 1)
    }

    /// `replica`'s entry goes up by `n`. Returns the new count; on error nothing changes.
    pub fn increment_by(&mut self, replica: &ReplicaId, n: u64) -> Result<u64, ClockError> {
        let current = self.get(replica.as_str());
        if n == 0 {
            return Ok(current);
        }
        if current == 0 && self.entries.len() >= ENTRIES_MAX {
            return Err(ClockError::TooManyReplicas { max: ENTRIES_MAX });
        }
        let next = current.checked_add(n).ok_or_else(|| ClockError::CounterOverflow { replica: replica.clone() })?;
        self.entries.insert(replica.clone(), next);
        Ok(next)
    }

    /// Raises `replica`'s entry to at least `count`. The vector's size stays bounded by its inputs.
    fn raise(&mut self, replica: &ReplicaId, count: u64) {
        if count > self.get(replica.as_str()) {
            self.entries.insert(replica.clone(), count);
        }
    }

    /// Pointwise maximum, in place: afterwards this version has seen everything either had seen.
    pub fn merge(&mut self, other: &VersionVector) {
        for (replica, count) in &other.entries {
            self.raise(replica, *count);
        }
    }

    /// Pointwise maximum as a new vector (the course's `merge`, which returns a fresh vector).
    pub fn merged(&self, other: &VersionVector) -> VersionVector {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// Strictly after: no entry lower and at least one higher (the course's `dominates`). Equal vectors do not
    /// dominate each other.
    pub fn dominates(&self, other: &VersionVector) -> bool {
        self.order(other) == Order::After
    }

    /// At or after: no entry lower (`self >= other`).
    pub fn descends(&self, other: &VersionVector) -> bool {
        matches!(self.order(other), Order::After | Order::Equal)
    }

    /// Neither dominates and they differ. (The course's Python also calls equal vectors concurrent; its own
    /// Exercise 4 says they are not, and neither does this.)
    pub fn concurrent_with(&self, other: &VersionVector) -> bool {
        self.order(other) == Order::Concurrent
    }

    /// Whether this version has seen the write identified by `dot`.
    pub fn covers(&self, dot: &Dot) -> bool {
        self.get(dot.replica.as_str()) >= dot.counter
    }

    /// How this version relates to `other`, without the explanation.
    pub fn order(&self, other: &VersionVector) -> Order {
        let (mut ahead, mut behind) = (false, false);
        for replica in self.entries.keys().chain(other.entries.keys()) {
            match self.get(replica.as_str()).cmp(&other.get(replica.as_str())) {
                Ordering::Greater => ahead = true,
                Ordering::Less => behind = true,
                Ordering::Equal => {}
            }
        }
        match (ahead, behind) {
            (true, true) => Order::Concurrent,
            (true, false) => Order::After,
            (false, true) => Order::Before,
            (false, false) => Order::Equal,
        }
    }

    /// The relation to `other`, entry by entry, so a widget can show *why*.
    pub fn compare(&self, other: &VersionVector) -> Comparison {
        let replicas: BTreeSet<&ReplicaId> = self.entries.keys().chain(other.entries.keys()).collect();
        let entries = replicas
            .into_iter()
            .map(|replica| {
                let (left, right) = (self.get(replica.as_str()), other.get(replica.as_str()));
                EntryComparison { replica: replica.clone(), left, right, ordering: left.cmp(&right) }
            })
            .collect();
        Comparison { order: self.order(other), entries }
    }

    /// The course's long form over a fixed set of replicas, zeros included: `{A:1, B:0}`. Entries for replicas
    /// not listed follow, so nothing is hidden.
    pub fn render_over(&self, replicas: &[ReplicaId]) -> String {
        let listed = replicas.iter().map(|r| (r, self.get(r.as_str())));
        let rest = self.entries.iter().filter(|(r, _)| !replicas.contains(r)).map(|(r, n)| (r, *n));
        let parts: Vec<String> = listed.chain(rest).map(|(r, n)| format!("{r}:{n}")).collect();
        format!("{{{}}}", parts.join(", "))
    }
}

impl PartialOrd for VersionVector {
    /// `Some(Less)` when this version happened before `other`, `None` when they are concurrent.
    fn partial_cmp(&self, other: &VersionVector) -> Option<Ordering> {
        match self.order(other) {
            Order::Before => Some(Ordering::Less),
            Order::After => Some(Ordering::Greater),
            Order::Equal => Some(Ordering::Equal),
            Order::Concurrent => None,
        }
    }
}

impl fmt::Display for VersionVector {
    /// The course's notation: `{X:3, Y:2, Z:1}`, and `{}` for the empty vector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (replica, count)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{replica}:{count}")?;
        }
        f.write_str("}")
    }
}

impl FromStr for VersionVector {
    type Err = ParseError;

    /// Reads `{X:3, Y:2, Z:1}`: spaces anywhere between tokens, a trailing comma, and explicit zeros (`B:0`) are
    /// accepted; a replica named twice is not.
    fn from_str(s: &str) -> Result<VersionVector, ParseError> {
        let mut cursor = Cursor::new(s)?;
        cursor.skip_whitespace();
        if !cursor.eat('{') {
            return Err(cursor.error(ParseErrorKind::ExpectedOpenBrace { found: cursor.found() }));
        }
        let mut seen: BTreeMap<ReplicaId, u64> = BTreeMap::new();
        cursor.skip_whitespace();
        let mut closed = cursor.eat('}');
        // Each round reads one entry; the round after ENTRIES_MAX entries reports TooManyEntries.
        for _ in 0..=ENTRIES_MAX {
            if closed {
                break;
            }
            let name_column = cursor.column();
            let replica = cursor.name()?;
            cursor.skip_whitespace();
            if !cursor.eat(':') {
                let kind = ParseErrorKind::ExpectedColon { replica: replica.to_string(), found: cursor.found() };
                return Err(cursor.error(kind));
            }
            cursor.skip_whitespace();
            let count = cursor.count(&replica)?;
            if seen.contains_key(&replica) {
                let kind = ParseErrorKind::DuplicateReplica { replica: replica.to_string() };
                return Err(ParseError { column: name_column, kind });
            }
            if seen.len() >= ENTRIES_MAX {
                return Err(ParseError {
                    column: name_column,
                    kind: ParseErrorKind::TooManyEntries { max: ENTRIES_MAX },
                });
            }
            seen.insert(replica, count);
            cursor.skip_whitespace();
            if cursor.eat(',') {
                cursor.skip_whitespace();
                closed = cursor.eat('}');
            } else if cursor.eat('}') {
                closed = true;
            } else {
                return Err(cursor.error(ParseErrorKind::ExpectedCommaOrCloseBrace { found: cursor.found() }));
            }
        }
        cursor.skip_whitespace();
        cursor.end()?;
        seen.retain(|_, count| *count > 0);
        Ok(VersionVector { entries: seen })
    }
}

/// One entry of a comparison: the two counts for one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryComparison {
    pub replica: ReplicaId,
    pub left: u64,
    pub right: u64,
    pub ordering: Ordering,
}

impl EntryComparison {
    /// One sentence: "X: 3 > 2, so A has seen a write B has not."
    pub fn explain(&self, left_name: &str, right_name: &str) -> String {
        let (r, l, rt) = (&self.replica, self.left, self.right);
        let writes = |n: u64| if n == 1 { "a write".to_owned() } else { format!("{n} writes") };
        let absent = |name: &str| format!(" ({name} has no {r} entry, which counts as 0)");
        match self.ordering {
            Ordering::Greater => {
                let note = if rt == 0 { absent(right_name) } else { String::new() };
                format!("{r}: {l} > {rt}{note}, so {left_name} has seen {} {right_name} has not.", writes(l - rt))
            }
            Ordering::Less => {
                let note = if l == 0 { absent(left_name) } else { String::new() };
                format!("{r}: {l} < {rt}{note}, so {right_name} has seen {} {left_name} has not.", writes(rt - l))
            }
            Ordering::Equal => format!("{r}: {l} = {rt}, so both have seen the same writes through {r}."),
        }
    }
}

/// The result of [`VersionVector::compare`]: the relation and every entry that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    pub order: Order,
    /// One per replica named in either vector, in replica order.
    pub entries: Vec<EntryComparison>,
}

fn join_names(names: &[&ReplicaId]) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

impl Comparison {
    /// One sentence per entry, naming the two versions `left_name` and `right_name`.
    pub fn explain(&self, left_name: &str, right_name: &str) -> Vec<String> {
        self.entries.iter().map(|e| e.explain(left_name, right_name)).collect()
    }

    /// The verdict in one sentence: "A dominates B: no entry of A is lower and X is higher, so A happened after B."
    pub fn summary(&self, left_name: &str, right_name: &str) -> String {
        let with = |ordering: Ordering| -> Vec<&ReplicaId> {
            self.entries.iter().filter(|e| e.ordering == ordering).map(|e| &e.replica).collect()
        };
        let (higher, lower) = (with(Ordering::Greater), with(Ordering::Less));
        let verb = |names: &[&ReplicaId]| if names.len() == 1 { "is" } else { "are" };
        match self.order {
            Order::After => format!(
                "{left_name} dominates {right_name}: no entry of {left_name} is lower and {} {} higher, so \
                 {left_name} happened after {right_name}.",
                join_names(&higher),
                verb(&higher)
            ),
            Order::Before => format!(
                "{right_name} dominates {left_name}: no entry of {right_name} is lower and {} {} higher, so \
                 {left_name} happened before {right_name}.",
                join_names(&lower),
                verb(&lower)
            ),
            Order::Concurrent => format!(
                "{left_name} and {right_name} are concurrent: {left_name} is ahead on {} and {right_name} on {}, \
                 so neither saw the other's write and the conflict must be resolved.",
                join_names(&higher),
                join_names(&lower)
            ),
            Order::Equal => format!(
                "{left_name} and {right_name} are the same version: every entry is equal, so there is no conflict."
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// A Dynamo-style replica with siblings
// ---------------------------------------------------------------------------------------------------------------

/// Keys one replica holds at most.
pub const KEYS_MAX: usize = 64;
/// Longest key, in bytes.
pub const KEY_LEN_MAX: usize = 64;
/// Siblings one key may hold at most. Riak's `max_siblings` plays the same role: past it, writes are refused
/// until a client merges.
pub const SIBLINGS_MAX: usize = 16;

/// The write that created a version: the replica that accepted it and that replica's counter after it (`B:2`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    pub replica: ReplicaId,
    pub counter: u64,
}

impl fmt::Display for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.replica, self.counter)
    }
}

/// One stored version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sibling<V> {
    pub value: V,
    /// The write that created this version.
    pub dot: Dot,
    /// What the writing client had seen (the context it sent).
    pub context: VersionVector,
}

impl<V> Sibling<V> {
    /// The version vector the course shows: the context with the write's own increment, e.g. `{A:1, B:2}`.
    pub fn version(&self) -> VersionVector {
        let mut version = self.context.clone();
        version.raise(&self.dot.replica, self.dot.counter);
        version
    }
}

/// Why a replica refused an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    KeyTooLong {
        len_bytes: usize,
    },
    TooManyKeys {
        max: usize,
    },
    /// The key would hold more than [`SIBLINGS_MAX`] siblings; a client must read and merge first.
    TooManySiblings {
        key: String,
        max: usize,
    },
    Clock(ClockError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::KeyTooLong { len_bytes } => {
                write!(f, "the key is {len_bytes} bytes long; at most {KEY_LEN_MAX} are allowed")
            }
            StoreError::TooManyKeys { max } => write!(f, "a replica holds at most {max} keys"),
            StoreError::TooManySiblings { key, max } => {
                write!(f, "{key} would have more than {max} siblings; read and merge them first")
            }
            StoreError::Clock(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<ClockError> for StoreError {
    fn from(e: ClockError) -> StoreError {
        StoreError::Clock(e)
    }
}

/// What a write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Put {
    pub dot: Dot,
    /// The new version: the client's context with this replica's entry raised by the write.
    pub version: VersionVector,
    /// Versions of stored siblings the client had seen, which this write replaces.
    pub superseded: Vec<VersionVector>,
    /// Versions of stored siblings the client had not seen, kept beside the new one.
    pub concurrent: Vec<VersionVector>,
}

/// What a read returns: every sibling's value, and the merged context to send with the next write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Get<V> {
    pub values: Vec<V>,
    pub context: VersionVector,
    /// The siblings' versions, in the same order as `values`.
    pub versions: Vec<VersionVector>,
}

/// What anti-entropy found for one incoming version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncEvent {
    /// The receiver already holds this very version.
    AlreadyHeld { version: VersionVector },
    /// Nothing was stored for the key; the version is simply added.
    Added { version: VersionVector },
    /// The incoming version has seen a stored one, which it replaces.
    Replaces { incoming: VersionVector, stored: VersionVector },
    /// A stored version has already seen the incoming one, which is dropped.
    Obsolete { incoming: VersionVector, newer: VersionVector },
    /// Neither saw the other: both are kept as siblings. `order` compares the two vectors; it is `Concurrent`
    /// except when a client wrote with an old context (then the vectors look ordered but the writes are not).
    Sibling { incoming: VersionVector, stored: VersionVector, order: Order },
}

impl SyncEvent {
    /// One sentence, naming the receiving replica and drawing vectors with `render`.
    pub fn describe(&self, at: &ReplicaId, render: &dyn Fn(&VersionVector) -> String) -> String {
        match self {
            SyncEvent::AlreadyHeld { version } => format!("{at} already holds {}.", render(version)),
            SyncEvent::Added { version } => format!("{at} had no copy, so it stores {}.", render(version)),
            SyncEvent::Replaces { incoming, stored } => {
                format!("{} has seen {at}'s {}, so it replaces it.", render(incoming), render(stored))
            }
            SyncEvent::Obsolete { incoming, newer } => {
                format!(
                    "{at}'s {} has already seen {}, so the incoming copy is dropped.",
                    render(newer),
                    render(incoming)
                )
            }
            SyncEvent::Sibling { incoming, stored, order: Order::Concurrent } => format!(
                "{} vs {}: neither dominates, so they are concurrent and {at} keeps both as siblings.",
                render(incoming),
                render(stored)
            ),
            SyncEvent::Sibling { incoming, stored, .. } => format!(
                "{} was written without having seen {}, so {at} keeps both as siblings.",
                render(incoming),
                render(stored)
            ),
        }
    }
}

/// What one anti-entropy pass did to one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub key: String,
    pub from: ReplicaId,
    pub to: ReplicaId,
    pub events: Vec<SyncEvent>,
    pub siblings_after: usize,
}

impl SyncReport {
    /// One sentence per event, with vectors in the compact notation.
    pub fn lines(&self) -> Vec<String> {
        self.lines_with(&|v| v.to_string())
    }

    /// One sentence per event, with vectors drawn by `render` (e.g. [`VersionVector::render_over`]).
    pub fn lines_with(&self, render: &dyn Fn(&VersionVector) -> String) -> Vec<String> {
        self.events.iter().map(|e| e.describe(&self.to, render)).collect()
    }
}

/// One replica of a Dynamo-style store: each key holds one or more siblings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica<V> {
    id: ReplicaId,
    keys: BTreeMap<String, Vec<Sibling<V>>>,
    /// Per key, the highest counter this replica has given a write, so no dot is ever reused.
    counters: BTreeMap<String, u64>,
}

impl<V: Clone> Replica<V> {
    pub fn new(id: ReplicaId) -> Replica<V> {
        Replica { id, keys: BTreeMap::new(), counters: BTreeMap::new() }
    }

    pub fn id(&self) -> &ReplicaId {
        &self.id
    }

    /// Keys held, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.keys().map(String::as_str)
    }

    /// The siblings stored for `key`, ordered by dot (empty when the key is unknown).
    pub fn siblings(&self, key: &str) -> &[Sibling<V>] {
        self.keys.get(key).map_or(&[], Vec::as_slice)
    }

    fn check_key(&self, key: &str) -> Result<(), StoreError> {
        if key.len() > KEY_LEN_MAX {
            return Err(StoreError::KeyTooLong { len_bytes: key.len() });
        }
        if !self.keys.contains_key(key) && self.keys.len() >= KEYS_MAX {
            return Err(StoreError::TooManyKeys { max: KEYS_MAX });
        }
        Ok(())
    }

    /// Writes `value` with the `context` the client last read (empty for a blind write). The replica raises its
    /// own entry past any counter it has used for this key; stored siblings the context covers are replaced, the
    /// others stay as siblings. Returns the new version, which the client keeps as its next context.
    pub fn put(&mut self, key: &str, value: V, context: &VersionVector) -> Result<Put, StoreError> {
        self.check_key(key)?;
        let stored = self.siblings(key);
        let used = stored.iter().map(|s| s.version().get(self.id.as_str())).max().unwrap_or(0);
        let highest = used.max(self.counters.get(key).copied().unwrap_or(0)).max(context.get(self.id.as_str()));
        let counter = highest.checked_add(1).ok_or_else(|| ClockError::CounterOverflow { replica: self.id.clone() })?;
        if context.get(self.id.as_str()) == 0 && context.len() >= ENTRIES_MAX {
            return Err(ClockError::TooManyReplicas { max: ENTRIES_MAX }.into());
        }
        let (replaced, kept): (Vec<&Sibling<V>>, Vec<&Sibling<V>>) =
            stored.iter().partition(|s| context.covers(&s.dot));
        if kept.len() >= SIBLINGS_MAX {
            return Err(StoreError::TooManySiblings { key: key.to_owned(), max: SIBLINGS_MAX });
        }
        let superseded = replaced.iter().map(|s| s.version()).collect();
        let concurrent = kept.iter().map(|s| s.version()).collect();
        let mut siblings: Vec<Sibling<V>> = kept.into_iter().cloned().collect();
        let dot = Dot { replica: self.id.clone(), counter };
        let sibling = Sibling { value, dot: dot.clone(), context: context.clone() };
        let version = sibling.version();
        siblings.push(sibling);
        siblings.sort_by(|a, b| a.dot.cmp(&b.dot));
        self.keys.insert(key.to_owned(), siblings);
        self.counters.insert(key.to_owned(), counter);
        Ok(Put { dot, version, superseded, concurrent })
    }

    /// Every sibling's value and their merged context.
    pub fn get(&self, key: &str) -> Get<V> {
        let siblings = self.siblings(key);
        let mut context = VersionVector::new();
        for sibling in siblings {
            context.merge(&sibling.version());
        }
        Get {
            values: siblings.iter().map(|s| s.value.clone()).collect(),
            context,
            versions: siblings.iter().map(Sibling::version).collect(),
        }
    }

    /// The merged version of everything stored for `key` (what a read would return as context).
    pub fn version(&self, key: &str) -> VersionVector {
        self.get(key).context
    }

    /// Anti-entropy for one key: takes `incoming` siblings (another replica's) and keeps, of the union, every
    /// version that no other version has seen. Leaves the key unchanged if the result would exceed
    /// [`SIBLINGS_MAX`].
    pub fn receive(&mut self, from: &ReplicaId, key: &str, incoming: &[Sibling<V>]) -> Result<SyncReport, StoreError> {
        self.check_key(key)?;
        if incoming.len() > SIBLINGS_MAX {
            return Err(StoreError::TooManySiblings { key: key.to_owned(), max: SIBLINGS_MAX });
        }
        let stored = self.siblings(key).to_vec();
        let mut union = stored.clone();
        let mut events = Vec::new();
        let mut newcomers = Vec::new();
        for sibling in incoming {
            if union.iter().any(|s| s.dot == sibling.dot) {
                events.push(SyncEvent::AlreadyHeld { version: sibling.version() });
            } else {
                union.push(sibling.clone());
                newcomers.push(sibling.clone());
            }
        }
        let seen_by_another = |s: &Sibling<V>, all: &[Sibling<V>]| -> Option<VersionVector> {
            all.iter().find(|t| t.dot != s.dot && t.context.covers(&s.dot)).map(Sibling::version)
        };
        let mut survivors: Vec<Sibling<V>> =
            union.iter().filter(|s| seen_by_another(s, &union).is_none()).cloned().collect();
        if survivors.len() > SIBLINGS_MAX {
            return Err(StoreError::TooManySiblings { key: key.to_owned(), max: SIBLINGS_MAX });
        }
        for new in &newcomers {
            let incoming = new.version();
            if let Some(newer) = seen_by_another(new, &union) {
                events.push(SyncEvent::Obsolete { incoming, newer });
                continue;
            }
            if stored.is_empty() {
                events.push(SyncEvent::Added { version: incoming.clone() });
            }
            for old in &stored {
                let stored_version = old.version();
                if new.context.covers(&old.dot) {
                    events.push(SyncEvent::Replaces { incoming: incoming.clone(), stored: stored_version });
                } else if survivors.iter().any(|s| s.dot == old.dot) {
                    let order = incoming.order(&stored_version);
                    events.push(SyncEvent::Sibling { incoming: incoming.clone(), stored: stored_version, order });
                }
            }
        }
        survivors.sort_by(|a, b| a.dot.cmp(&b.dot));
        let siblings_after = survivors.len();
        if !survivors.is_empty() {
            self.keys.insert(key.to_owned(), survivors);
        }
        Ok(SyncReport { key: key.to_owned(), from: from.clone(), to: self.id.clone(), events, siblings_after })
    }

    /// One anti-entropy pass: every key `other` holds is offered to this replica. One result per key.
    pub fn sync_from(&mut self, other: &Replica<V>) -> Vec<Result<SyncReport, StoreError>> {
        other.keys.iter().take(KEYS_MAX).map(|(key, siblings)| self.receive(&other.id, key, siblings)).collect()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The shopping cart value, tombstones and the client-side merge
// ---------------------------------------------------------------------------------------------------------------

/// Items (live or tombstoned) a cart holds at most before further adds are refused.
pub const CART_ITEMS_MAX: usize = 32;
/// Longest item name, in bytes.
pub const ITEM_LEN_MAX: usize = 24;

/// Whether an item is in the cart or marked deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemState {
    Present,
    /// Deleted, but remembered so that a merge does not bring it back.
    Tombstone,
}

/// How a removal is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMode {
    /// The item stays in the cart as a tombstone (the course's fix).
    Tombstone,
    /// The item is erased; nothing records the removal (shows the resurrection bug).
    Erase,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartItem {
    pub name: String,
    pub state: ItemState,
}

/// Why an item could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CartError {
    EmptyItem,
    ItemTooLong { len_bytes: usize },
    CartFull { max: usize },
}

impl fmt::Display for CartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CartError::EmptyItem => f.write_str("an item needs a name"),
            CartError::ItemTooLong { len_bytes } => {
                write!(f, "the item name is {len_bytes} bytes long; at most {ITEM_LEN_MAX} are allowed")
            }
            CartError::CartFull { max } => write!(f, "a cart holds at most {max} items, tombstones included"),
        }
    }
}

impl std::error::Error for CartError {}

/// What an edit did to a cart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartChange {
    Added,
    /// The item had a tombstone; adding it again (having seen the removal) brings it back.
    Revived,
    AlreadyThere,
    Erased,
    Tombstoned,
    NotThere,
}

/// A shopping cart: items in the order they were first added, each present or tombstoned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cart {
    items: Vec<CartItem>,
}

impl Cart {
    pub fn new() -> Cart {
        Cart::default()
    }

    /// A cart from `(name, state)` pairs, e.g. the course's `{"milk": True, "butter": False}`.
    pub fn with(items: &[(&str, ItemState)]) -> Result<Cart, CartError> {
        let mut cart = Cart::new();
        for (name, state) in items {
            cart.add(name)?;
            if *state == ItemState::Tombstone {
                cart.remove(name, DeleteMode::Tombstone);
            }
        }
        Ok(cart)
    }

    /// Every item, tombstones included.
    pub fn items(&self) -> &[CartItem] {
        &self.items
    }

    /// The names of the items actually in the cart.
    pub fn live_items(&self) -> Vec<&str> {
        self.items.iter().filter(|i| i.state == ItemState::Present).map(|i| i.name.as_str()).collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.items.iter().any(|i| i.name == name && i.state == ItemState::Present)
    }

    pub fn add(&mut self, name: &str) -> Result<CartChange, CartError> {
        if name.trim().is_empty() {
            return Err(CartError::EmptyItem);
        }
        if name.len() > ITEM_LEN_MAX {
            return Err(CartError::ItemTooLong { len_bytes: name.len() });
        }
        let full = self.items.len() >= CART_ITEMS_MAX;
        match self.items.iter_mut().find(|i| i.name == name) {
            Some(item) if item.state == ItemState::Present => Ok(CartChange::AlreadyThere),
            Some(item) => {
                item.state = ItemState::Present;
                Ok(CartChange::Revived)
            }
            None if full => Err(CartError::CartFull { max: CART_ITEMS_MAX }),
            None => {
                self.items.push(CartItem { name: name.to_owned(), state: ItemState::Present });
                Ok(CartChange::Added)
            }
        }
    }

    pub fn remove(&mut self, name: &str, mode: DeleteMode) -> CartChange {
        let Some(index) = self.items.iter().position(|i| i.name == name && i.state == ItemState::Present) else {
            return CartChange::NotThere;
        };
        match mode {
            DeleteMode::Tombstone => {
                self.items[index].state = ItemState::Tombstone;
                CartChange::Tombstoned
            }
            DeleteMode::Erase => {
                self.items.remove(index);
                CartChange::Erased
            }
        }
    }
}

impl fmt::Display for Cart {
    /// `[milk, eggs, butter:tombstone]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&item.name)?;
            if item.state == ItemState::Tombstone {
                f.write_str(":tombstone")?;
            }
        }
        f.write_str("]")
    }
}

/// The client-side merge of sibling carts: the union of all items, minus any item tombstoned in *any* sibling.
/// Tombstones are kept in the result so the removal keeps winning against older copies still around.
pub fn merge_carts(siblings: &[Cart]) -> Cart {
    let mut merged = Cart::new();
    for sibling in siblings {
        for item in &sibling.items {
            match merged.items.iter_mut().find(|m| m.name == item.name) {
                Some(m) if item.state == ItemState::Tombstone => m.state = ItemState::Tombstone,
                Some(_) => {}
                None => merged.items.push(item.clone()),
            }
        }
    }
    merged
}

// ---------------------------------------------------------------------------------------------------------------
// The step-through: the course's shopping cart
// ---------------------------------------------------------------------------------------------------------------

/// The key the cart is stored under.
pub const CART_KEY: &str = "cart";
/// Steps one walk-through may take; further actions are refused.
pub const STEPS_MAX: usize = 256;

/// The two replicas of the walk-through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CartReplica {
    A,
    B,
}

impl CartReplica {
    pub const ALL: [CartReplica; 2] = [CartReplica::A, CartReplica::B];

    pub fn id(self) -> ReplicaId {
        ReplicaId(self.to_string())
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CartReplica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CartReplica::A => "A",
            CartReplica::B => "B",
        })
    }
}

/// The two clients of the walk-through (say, a phone and a laptop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CartClient {
    X,
    Y,
}

impl CartClient {
    pub const ALL: [CartClient; 2] = [CartClient::X, CartClient::Y];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for CartClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CartClient::X => "X",
            CartClient::Y => "Y",
        })
    }
}

/// What a client changes in its copy of the cart before writing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    Add(String),
    Remove(String),
    /// Writes the client's copy back unchanged: after merging siblings, or when an app saves the whole cart again.
    Keep,
}

/// One step of the walk-through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CartAction {
    /// The client reads the cart from a replica, merges any siblings, and keeps the merged context.
    Read { client: CartClient, replica: CartReplica },
    /// The client edits its copy and writes it to a replica with the context it last received.
    Write { client: CartClient, replica: CartReplica, edit: Edit },
    /// One anti-entropy pass: `to` receives every version `from` holds.
    Sync { from: CartReplica, to: CartReplica },
}

/// Something the reader should notice, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CartAnomaly {
    /// Concurrent writes: a replica holds several siblings that a client must merge.
    Siblings { replica: CartReplica, count: usize },
    /// A removed item is back although nobody added it after the removal.
    Resurrected { item: String, merged_by: CartClient, removed_by: CartClient, removed_at: VersionVector },
    /// An operation was refused (a bound was reached).
    Refused { reason: String },
}

/// A sibling as a widget draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiblingView {
    pub cart: Cart,
    pub version: VersionVector,
    pub dot: Dot,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub replica: CartReplica,
    pub siblings: Vec<SiblingView>,
    /// The merged version a read here would return.
    pub version: VersionVector,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub client: CartClient,
    /// The context the client sends with its next write.
    pub context: VersionVector,
    /// The client's copy of the cart (merged on read, edited before a write).
    pub cart: Cart,
}

/// The whole world after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartState {
    pub replicas: Vec<ReplicaView>,
    pub clients: Vec<ClientView>,
}

impl CartState {
    /// Every vector in the course's long form over A and B: `{A:1, B:0}`.
    pub fn render_vector(vector: &VersionVector) -> String {
        vector.render_over(&[CartReplica::A.id(), CartReplica::B.id()])
    }

    /// One line per replica and client, for snapshots and the table view.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for r in &self.replicas {
            let siblings: Vec<String> =
                r.siblings.iter().map(|s| format!("{} {}", s.cart, Self::render_vector(&s.version))).collect();
            let shown = if siblings.is_empty() { "empty".to_owned() } else { siblings.join(" | ") };
            out.push_str(&format!("{}: {shown}\n", r.replica));
        }
        for c in &self.clients {
            out.push_str(&format!("{}: context {} cart {}\n", c.client, Self::render_vector(&c.context), c.cart));
        }
        out
    }

    pub fn replica(&self, replica: CartReplica) -> &ReplicaView {
        &self.replicas[replica.index()]
    }

    pub fn client(&self, client: CartClient) -> &ClientView {
        &self.clients[client.index()]
    }
}

/// One step for Next/Previous Step: what was done, what it means, and the full state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 0 is the initial state.
    pub number: usize,
    pub action: Option<CartAction>,
    /// One or two sentences, present tense, with the vectors.
    pub description: String,
    /// The comparisons behind the step, one sentence each.
    pub details: Vec<String>,
    pub anomalies: Vec<CartAnomaly>,
    pub state: CartState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientCart {
    context: VersionVector,
    cart: Cart,
}

/// The record of an explicit add or removal, for spotting resurrections.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ItemEdit {
    item: String,
    client: CartClient,
    version: VersionVector,
}

/// Two replicas, two clients and one cart, stepped by [`CartAction`]s. Every step is kept with its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartWorld {
    mode: DeleteMode,
    replicas: [Replica<Cart>; 2],
    clients: [ClientCart; 2],
    adds: Vec<ItemEdit>,
    removals: Vec<ItemEdit>,
    steps: Vec<Step>,
    trace: Trace,
}

impl CartWorld {
    /// Empty replicas, clients with empty contexts, and step 0.
    pub fn new(mode: DeleteMode) -> CartWorld {
        let client = ClientCart { context: VersionVector::new(), cart: Cart::new() };
        let mut world = CartWorld {
            mode,
            replicas: [Replica::new(CartReplica::A.id()), Replica::new(CartReplica::B.id())],
            clients: [client.clone(), client],
            adds: Vec::new(),
            removals: Vec::new(),
            steps: Vec::new(),
            trace: Trace::default(),
        };
        let how = match mode {
            DeleteMode::Tombstone => "removals leave tombstones",
            DeleteMode::Erase => "removals erase items without a trace",
        };
        let description =
            format!("Replicas A and B hold no cart yet; clients X and Y have empty contexts {{A:0, B:0}}, and {how}.");
        world.record(None, description, Vec::new(), Vec::new());
        world
    }

    /// The course's walk-through, in full: milk and eggs, then the butter case.
    pub fn shopping_cart(mode: DeleteMode) -> CartWorld {
        let mut world = CartWorld::new(mode);
        for action in course_script() {
            world.apply(action);
        }
        world
    }

    pub fn mode(&self) -> DeleteMode {
        self.mode
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The state after the last step.
    pub fn state(&self) -> &CartState {
        &self.steps[self.steps.len() - 1].state
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Applies one action and returns the step it made, or `None` (changing nothing) once the walk-through
    /// already has [`STEPS_MAX`] steps after the initial one.
    pub fn apply(&mut self, action: CartAction) -> Option<&Step> {
        if self.steps.len() > STEPS_MAX {
            return None;
        }
        let (description, details, anomalies) = match &action {
            CartAction::Read { client, replica } => self.read(*client, *replica),
            CartAction::Write { client, replica, edit } => self.write(*client, *replica, edit),
            CartAction::Sync { from, to } => self.sync(*from, *to),
        };
        self.record(Some(action), description, details, anomalies);
        self.steps.last()
    }

    fn snapshot(&self) -> CartState {
        let replicas = CartReplica::ALL
            .iter()
            .map(|&r| {
                let store = &self.replicas[r.index()];
                let siblings = store
                    .siblings(CART_KEY)
                    .iter()
                    .map(|s| SiblingView { cart: s.value.clone(), version: s.version(), dot: s.dot.clone() })
                    .collect();
                ReplicaView { replica: r, siblings, version: store.version(CART_KEY) }
            })
            .collect();
        let clients = CartClient::ALL
            .iter()
            .map(|&c| {
                let state = &self.clients[c.index()];
                ClientView { client: c, context: state.context.clone(), cart: state.cart.clone() }
            })
            .collect();
        CartState { replicas, clients }
    }

    fn record(
        &mut self,
        action: Option<CartAction>,
        description: String,
        details: Vec<String>,
        anomalies: Vec<CartAnomaly>,
    ) {
        let number = self.steps.len();
        let at = Time::from_ms(number as u64);
        self.trace.push(at, Salience::Key, description.clone());
        // A sync's description already quotes its details; the trace says each thing once.
        for line in details.iter().filter(|line| !description.contains(line.as_str())) {
            self.trace.push(at, Salience::Routine, line.clone());
        }
        for anomaly in &anomalies {
            self.trace.push(at, Salience::Key, anomaly.describe());
        }
        let state = self.snapshot();
        self.steps.push(Step { number, action, description, details, anomalies, state });
    }

    fn read(&mut self, client: CartClient, replica: CartReplica) -> (String, Vec<String>, Vec<CartAnomaly>) {
        let v = CartState::render_vector;
        let got = self.replicas[replica.index()].get(CART_KEY);
        let merged = merge_carts(&got.values);
        let description = match got.values.len() {
            0 => format!("{client} reads the cart from {replica}: there is none yet, so its context is {{A:0, B:0}}."),
            1 => format!(
                "{client} reads {} from {replica} and keeps its version {} as the context.",
                merged,
                v(&got.context)
            ),
            n => {
                let listed: Vec<String> =
                    got.values.iter().zip(&got.versions).map(|(c, version)| format!("{c} at {}", v(version))).collect();
                format!(
                    "{client} reads {n} siblings from {replica} ({}), merges them into {merged}, and keeps the merged \
                     context {}.",
                    listed.join(" and "),
                    v(&got.context)
                )
            }
        };
        // Why they are siblings: each pair compared, entry by entry (at most SIBLINGS_MAX² / 2 pairs).
        let mut details = Vec::new();
        for (i, first) in got.versions.iter().enumerate() {
            for (j, second) in got.versions.iter().enumerate().skip(i + 1) {
                let (left, right) = (format!("sibling {}", i + 1), format!("sibling {}", j + 1));
                let comparison = first.compare(second);
                details.push(comparison.summary(&left, &right));
                details.extend(comparison.explain(&left, &right));
            }
        }
        let mut anomalies = Vec::new();
        for item in merged.live_items() {
            if let Some(removal) = self.resurrected(item, &got.context) {
                anomalies.push(CartAnomaly::Resurrected {
                    item: item.to_owned(),
                    merged_by: client,
                    removed_by: removal.client,
                    removed_at: removal.version.clone(),
                });
            }
        }
        self.clients[client.index()] = ClientCart { context: got.context, cart: merged };
        (description, details, anomalies)
    }

    /// A removal of `item` the reader has seen, with no add of it that the removal had not seen.
    fn resurrected(&self, item: &str, context: &VersionVector) -> Option<&ItemEdit> {
        self.removals.iter().find(|r| {
            r.item == item
                && context.descends(&r.version)
                && !self.adds.iter().any(|a| a.item == item && !r.version.descends(&a.version))
        })
    }

    fn write(
        &mut self,
        client: CartClient,
        replica: CartReplica,
        edit: &Edit,
    ) -> (String, Vec<String>, Vec<CartAnomaly>) {
        let v = CartState::render_vector;
        let mode = self.mode;
        let mut cart = self.clients[client.index()].cart.clone();
        let context = self.clients[client.index()].context.clone();
        let refused = |reason: String| {
            let description = format!("{replica} refuses {client}'s write: {reason}.");
            (description, Vec::new(), vec![CartAnomaly::Refused { reason }])
        };
        // The clause before "writes …".
        let change = match edit {
            Edit::Add(item) => match cart.add(item) {
                Ok(CartChange::Revived) => format!("{client} adds {item} back and"),
                Ok(CartChange::AlreadyThere) => format!("{client}'s cart already has {item}; {client}"),
                Ok(_) => format!("{client} adds {item} and"),
                Err(e) => return refused(e.to_string()),
            },
            Edit::Remove(item) => match cart.remove(item, mode) {
                CartChange::Tombstoned => {
                    format!("{client} removes {item}, leaving the tombstone {item}:tombstone, and")
                }
                CartChange::Erased => format!("{client} removes {item}, erasing it without a trace, and"),
                _ => format!("{client}'s cart has no {item} to remove; {client}"),
            },
            Edit::Keep => client.to_string(),
        };
        let put = match self.replicas[replica.index()].put(CART_KEY, cart.clone(), &context) {
            Ok(put) => put,
            Err(e) => return refused(e.to_string()),
        };
        let mut description = format!(
            "{change} writes {cart} to {replica} with context {}; {replica} stamps it {}.",
            v(&context),
            v(&put.version)
        );
        let list = |vs: &[VersionVector]| vs.iter().map(v).collect::<Vec<_>>().join(" and ");
        match put.superseded.len() {
            0 => {}
            1 => description.push_str(&format!(" It replaces {}.", list(&put.superseded))),
            _ => {
                description.push_str(&format!(" It dominates {}, so the siblings are resolved.", list(&put.superseded)))
            }
        }
        if let Some(unseen) = self.removals.iter().find(|r| !context.descends(&r.version) && cart.contains(&r.item)) {
            description.push_str(&format!(
                " {client} has not seen {}'s removal of {} at {}.",
                unseen.client,
                unseen.item,
                v(&unseen.version)
            ));
        }
        let mut anomalies = Vec::new();
        if !put.concurrent.is_empty() {
            let count = put.concurrent.len() + 1;
            description.push_str(&format!(
                " {client} had not seen {}, so {replica} now holds {count} siblings.",
                list(&put.concurrent)
            ));
            anomalies.push(CartAnomaly::Siblings { replica, count });
        }
        let details = put.superseded.iter().flat_map(|old| put.version.compare(old).explain("new", "old")).collect();
        match edit {
            Edit::Add(item) => self.adds.push(ItemEdit { item: item.clone(), client, version: put.version.clone() }),
            Edit::Remove(item) => {
                self.removals.push(ItemEdit { item: item.clone(), client, version: put.version.clone() })
            }
            Edit::Keep => {}
        }
        self.clients[client.index()] = ClientCart { context: put.version, cart };
        (description, details, anomalies)
    }

    fn sync(&mut self, from: CartReplica, to: CartReplica) -> (String, Vec<String>, Vec<CartAnomaly>) {
        let render = |x: &VersionVector| CartState::render_vector(x);
        if from == to {
            return (format!("{from} has nothing to copy to itself."), Vec::new(), Vec::new());
        }
        let source = self.replicas[from.index()].clone();
        let reports = self.replicas[to.index()].sync_from(&source);
        let mut details = Vec::new();
        let mut anomalies = Vec::new();
        let mut siblings = self.replicas[to.index()].siblings(CART_KEY).len();
        for report in reports {
            match report {
                Ok(report) => {
                    details.extend(report.lines_with(&render));
                    siblings = report.siblings_after;
                }
                Err(e) => anomalies.push(CartAnomaly::Refused { reason: e.to_string() }),
            }
        }
        let description = if details.is_empty() {
            format!("Anti-entropy from {from} to {to}: {from} holds no cart, so nothing changes.")
        } else {
            format!("Anti-entropy copies {from}'s cart to {to}: {}", details.join(" "))
        };
        if siblings > 1 {
            anomalies.push(CartAnomaly::Siblings { replica: to, count: siblings });
        }
        (description, details, anomalies)
    }
}

impl CartAnomaly {
    /// One sentence for the narration.
    pub fn describe(&self) -> String {
        match self {
            CartAnomaly::Siblings { replica, count } => {
                format!("Conflict: {replica} holds {count} concurrent versions of the cart that a client must merge.")
            }
            CartAnomaly::Resurrected { item, merged_by, removed_by, removed_at } => format!(
                "Resurrection: {item} is back in {merged_by}'s merged cart although {removed_by} removed it at {}.",
                CartState::render_vector(removed_at)
            ),
            CartAnomaly::Refused { reason } => format!("Refused: {reason}."),
        }
    }
}

/// The course's walk-through: X writes milk to A, Y writes eggs to B, anti-entropy makes siblings on B, X reads
/// and merges them and writes back (`{A:1, B:2}`), A catches up; then X adds butter, Y removes it while X's app
/// saves its old copy again, and Y merges the two concurrent carts.
pub fn course_script() -> Vec<CartAction> {
    use CartAction::{Read, Sync, Write};
    use CartClient::{X, Y};
    use CartReplica::{A, B};
    let add = |item: &str| Edit::Add(item.to_owned());
    vec![
        Write { client: X, replica: A, edit: add("milk") },
        Write { client: Y, replica: B, edit: add("eggs") },
        Sync { from: A, to: B },
        Read { client: X, replica: B },
        Write { client: X, replica: B, edit: Edit::Keep },
        Sync { from: B, to: A },
        Read { client: X, replica: A },
        Write { client: X, replica: A, edit: add("butter") },
        Sync { from: A, to: B },
        Read { client: Y, replica: B },
        Write { client: Y, replica: B, edit: Edit::Remove("butter".to_owned()) },
        Write { client: X, replica: A, edit: Edit::Keep },
        Sync { from: A, to: B },
        Read { client: Y, replica: B },
        Write { client: Y, replica: B, edit: Edit::Keep },
        Sync { from: B, to: A },
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// Happens-before with vector clocks
// ---------------------------------------------------------------------------------------------------------------

/// Events one history holds at most.
pub const EVENTS_MAX: usize = 256;
/// Longest event label, in bytes.
pub const LABEL_LEN_MAX: usize = 16;

/// An event's position in its [`History`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub usize);

/// One event on one node, with its vector clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEvent {
    pub id: EventId,
    pub node: ReplicaId,
    pub label: String,
    /// The node's clock after the event: its own entry counts its events, the others what it has heard of.
    pub clock: VersionVector,
    /// For a receive, the event that sent the message.
    pub received_from: Option<EventId>,
}

/// Why an event could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    TooManyEvents {
        max: usize,
    },
    LabelTooLong {
        len_bytes: usize,
    },
    UnknownEvent {
        id: EventId,
    },
    /// A message goes between two nodes; a node does not send to itself.
    SameNode {
        node: ReplicaId,
    },
    Clock(ClockError),
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::TooManyEvents { max } => write!(f, "a history holds at most {max} events"),
            HistoryError::LabelTooLong { len_bytes } => {
                write!(f, "the label is {len_bytes} bytes long; at most {LABEL_LEN_MAX} are allowed")
            }
            HistoryError::UnknownEvent { id } => write!(f, "there is no event #{}", id.0),
            HistoryError::SameNode { node } => write!(f, "{node} cannot receive its own message"),
            HistoryError::Clock(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for HistoryError {}

/// Events on several nodes and the messages between them. Sending is not a separate kind of event: a message is
/// sent *at* an event and carries that event's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    events: Vec<HistoryEvent>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    pub fn events(&self) -> &[HistoryEvent] {
        &self.events
    }

    pub fn event(&self, id: EventId) -> Option<&HistoryEvent> {
        self.events.get(id.0)
    }

    /// The first event with this label.
    pub fn find(&self, label: &str) -> Option<EventId> {
        self.events.iter().find(|e| e.label == label).map(|e| e.id)
    }

    /// A local event (or a send) on `node`.
    pub fn local(&mut self, node: &ReplicaId, label: &str) -> Result<EventId, HistoryError> {
        self.push(node, label, None)
    }

    /// `node` receives the message sent at event `sent_at` (on another node).
    pub fn receive(&mut self, node: &ReplicaId, label: &str, sent_at: EventId) -> Result<EventId, HistoryError> {
        self.push(node, label, Some(sent_at))
    }

    fn push(&mut self, node: &ReplicaId, label: &str, from: Option<EventId>) -> Result<EventId, HistoryError> {
        if self.events.len() >= EVENTS_MAX {
            return Err(HistoryError::TooManyEvents { max: EVENTS_MAX });
        }
        if label.len() > LABEL_LEN_MAX {
            return Err(HistoryError::LabelTooLong { len_bytes: label.len() });
        }
        let mut clock = self.events.iter().rev().find(|e| &e.node == node).map(|e| e.clock.clone()).unwrap_or_default();
        if let Some(id) = from {
            let sender = self.event(id).ok_or(HistoryError::UnknownEvent { id })?;
            if &sender.node == node {
                return Err(HistoryError::SameNode { node: node.clone() });
            }
            clock.merge(&sender.clock);
        }
        clock.increment(node).map_err(HistoryError::Clock)?;
        let id = EventId(self.events.len());
        self.events.push(HistoryEvent { id, node: node.clone(), label: label.to_owned(), clock, received_from: from });
        Ok(id)
    }

    /// Whether `e1` happened before `e2`: `e1`'s clock is below `e2`'s. False for unknown events.
    pub fn happened_before(&self, e1: EventId, e2: EventId) -> bool {
        self.relation(e1, e2) == Some(Order::Before)
    }

    /// Whether neither event could have influenced the other.
    pub fn concurrent(&self, e1: EventId, e2: EventId) -> bool {
        self.relation(e1, e2) == Some(Order::Concurrent)
    }

    /// How `e1` relates to `e2` (`Before` means `e1` happened before `e2`); `None` for unknown events.
    pub fn relation(&self, e1: EventId, e2: EventId) -> Option<Order> {
        Some(self.event(e1)?.clock.order(&self.event(e2)?.clock))
    }

    /// The verdict in one sentence, with both clocks.
    pub fn explain(&self, e1: EventId, e2: EventId) -> Option<String> {
        let (a, b) = (self.event(e1)?, self.event(e2)?);
        let verdict = a.clock.compare(&b.clock).summary(&a.label, &b.label);
        Some(format!("{} has clock {} and {} has {}. {verdict}", a.label, a.clock, b.label, b.clock))
    }

    /// The course's partial order across three nodes (chapter 7): A runs a1..a4, B runs b1..b5, C runs c1..c4.
    /// The text drawing loses the arrows' exact columns; we read its messages as a2→b2 and b2→a3 (the chain
    /// a1 → a2 → b2 → a3 it names) and c2→b4, c3→b5 (C's two messages to B, after b3, so that b3 and c2 stay
    /// concurrent as it says).
    pub fn course_example() -> History {
        let mut h = History::new();
        let node = |name: &str| ReplicaId(name.to_owned());
        let (a, b, c) = (node("A"), node("B"), node("C"));
        // Sixteen events on three named nodes: far inside every bound, so these pushes cannot fail.
        let mut add = |n: &ReplicaId, label: &str, from: Option<&str>| {
            let sent_at = from.and_then(|l| h.find(l));
            let _ = h.push(n, label, sent_at);
        };
        add(&a, "a1", None);
        add(&b, "b1", None);
        add(&c, "c1", None);
        add(&a, "a2", None);
        add(&b, "b2", Some("a2"));
        add(&a, "a3", Some("b2"));
        add(&a, "a4", None);
        add(&b, "b3", None);
        add(&c, "c2", None);
        add(&b, "b4", Some("c2"));
        add(&c, "c3", None);
        add(&b, "b5", Some("c3"));
        add(&c, "c4", None);
        h
    }
}
