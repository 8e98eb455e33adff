//! One change, four ways to write it down — the model behind chapter 3's "Replication log methods compared".
//!
//! A leader holds one small table, `users(id INT PK, name TEXT, email TEXT, updated_at TIMESTAMP)`. Each
//! [`Operation`] the reader sends is executed once on the leader and then described in the four replication log
//! formats the chapter teaches, as plain data *and* as the text the figure prints ([`render`]):
//!
//! 1. **statement-based** — the SQL text itself ([`StatementRecord`]), with the non-deterministic functions it
//!    calls (`NOW()`, `RAND()`, the `AUTO_INCREMENT` id) and what they return on the leader and on a follower;
//! 2. **physical WAL** — the heap record at a block and offset with an LSN, the raw tuple bytes, and one record per
//!    index it touches ([`WalRecord`]);
//! 3. **logical (row-based)** — table, primary key, before and after values of the changed columns
//!    ([`LogicalRecord`]);
//! 4. **trigger-based** — the `audit_log` row a trigger writes ([`AuditRow`]).
//!
//! [`Comparison`] drives a sequence of operations through all four at once: the leader and one follower per format,
//! plus a change-data-capture consumer ([`SearchIndex`]) fed by the logical records. Followers are compared with
//! the leader after every operation, and differences are reported as [`Divergence`]s with one-line descriptions.
//! The statement follower replays each statement with its own clock (the course's example: 2 s later) and its own
//! `RAND()` seed, so its rows drift unless the leader ships literal values ([`StatementMode::LiteralValues`]);
//! two concurrent inserts that commit in the opposite order to their id assignment swap ids on it. The physical
//! follower stops as soon as it runs a different storage format than the one the WAL was written in.
//!
//! What it simplifies, and why:
//! - One table with a fixed schema and four kinds of operation: enough to show every hazard the chapter lists,
//!   small enough to print each record whole.
//! - The WAL is "in the spirit of" PostgreSQL, not byte-exact: an update rewrites the tuple in place at the same
//!   block and offset (the course's picture; PostgreSQL writes a new tuple version), a tuple is encoded without
//!   header, null bitmap or alignment padding ([`encode_tuple`]), and record sizes are a 24-byte header plus the
//!   payload rounded up to 8 bytes. Deleted tuples' slots are not reused (no VACUUM).
//! - Relations are printed `16384/1663/users` as the course prints them (PostgreSQL's own tools print
//!   tablespace/database/relfilenode).
//! - Timestamps are milliseconds since 1970 in UTC; `NOW()` on a follower is the leader's value plus one signed
//!   offset that stands for replication delay and clock skew together, since both have the same effect.
//! - The trigger records the changed business columns only; `updated_at` always equals the audit row's `ts`
//!   (both are the transaction's `now()`), so the applier takes it from there.
//! - Nothing here is time-driven: every reader action runs to completion, so [`Comparison`] is driven directly
//!   rather than through [`crate::replay::Model`]. Going back means re-running the action list, which gives the
//!   same result every time.
//!
//! ```
//! use sim::log_formats::{format_lsn, render, Context, Operation, Table};
//!
//! let table = Table::course_example();
//! let reps = render(&Operation::course_update(), &table, &Context::default())?;
//! assert_eq!(reps.statement.sql, "UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42");
//! let wal = reps.wal.as_ref().expect("row 42 exists");
//! assert_eq!((format_lsn(wal.lsn).as_str(), wal.block, wal.offset), ("0/16B3A40", 231, 148));
//! // Replayed 2 s later, NOW() gives the follower a different updated_at.
//! assert_eq!(reps.statement.divergence.len(), 1);
//! # Ok::<(), sim::log_formats::OpError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::ids::Lsn;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

/// Rows a table may hold; an insert beyond it is rejected with [`OpError::TableFull`].
pub const ROWS_MAX: usize = 1_000;
/// Longest `name` or `email`, in bytes (UTF-8). Longer text is rejected with [`OpError::TextTooLong`].
pub const TEXT_BYTES_MAX: usize = 64;
/// The largest id an `INT` primary key holds.
pub const ID_MAX: u32 = i32::MAX as u32;
/// Tuples per heap page: PostgreSQL's `MaxHeapTuplesPerPage` for 8 KiB pages.
pub const TUPLES_PER_BLOCK: u16 = 291;
/// Highest block number a table layout may start at (a table of 8 GB).
pub const BLOCK_MAX: u32 = 1_000_000;
/// Largest follower clock offset accepted, either way: one day. Larger values are clamped.
pub const FOLLOWER_OFFSET_MS_MAX: i64 = 86_400_000;
/// Longest pause between two operations of a [`Comparison`]: one day. Larger values are clamped.
pub const OP_INTERVAL_MS_MAX: u64 = 86_400_000;
/// `RAND()` is used as `FLOOR(RAND()*10000)`: a value in `0..RAND_RANGE`.
pub const RAND_RANGE: u32 = 10_000;
/// Size of a WAL record header in bytes, as in PostgreSQL's `XLogRecord`.
pub const WAL_RECORD_HEADER_BYTES: u32 = 24;
/// Entries of shipped representations a [`Comparison`] keeps for the widgets; older ones are dropped.
pub const HISTORY_MAX: usize = 256;

// ---------------------------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------------------------

/// A wall-clock instant as a database stores it: milliseconds since 1970-01-01 00:00:00 UTC, up to the end of
/// year 9999. Printed the way SQL prints it: `2024-01-15 09:30:01` (with `.250` when there are milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// Why a calendar date and time could not become a [`Timestamp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Years before 1970 or after 9999.
    YearOutOfRange(i64),
    /// A month, day, hour, minute or second that does not exist (e.g. 2023-02-29 or 24:00).
    NoSuchDateTime,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampError::YearOutOfRange(y) => write!(f, "year {y} is outside 1970-9999"),
            TimestampError::NoSuchDateTime => f.write_str("no such date or time"),
        }
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// 1970-01-01 00:00:00.
    pub const EPOCH: Timestamp = Timestamp(0);
    /// 9999-12-31 23:59:59.999.
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999);

    /// A UTC calendar date and time, validated.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<Timestamp, TimestampError> {
        if !(1970..=9999).contains(&year) {
            return Err(TimestampError::YearOutOfRange(year));
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(TimestampError::NoSuchDateTime);
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError::NoSuchDateTime);
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
        Ok(Timestamp(u64::try_from(seconds).unwrap_or(0) * 1_000))
    }

    /// Milliseconds since 1970, clamped to [`Timestamp::MAX`].
    pub const fn from_unix_ms(ms: u64) -> Timestamp {
        if ms > Timestamp::MAX.0 {
            Timestamp::MAX
        } else {
            Timestamp(ms)
        }
    }

    pub const fn as_unix_ms(self) -> u64 {
        self.0
    }

    /// This instant moved by `delta_ms` (negative: earlier), clamped to [`Timestamp::EPOCH`]..=[`Timestamp::MAX`].
    pub fn offset_ms(self, delta_ms: i64) -> Timestamp {
        let moved = if delta_ms >= 0 {
            self.0.saturating_add(delta_ms.unsigned_abs())
        } else {
            self.0.saturating_sub(delta_ms.unsigned_abs())
        };
        Timestamp::from_unix_ms(moved)
    }

    /// `self - earlier` in milliseconds, negative when `earlier` is later.
    pub fn ms_since(self, earlier: Timestamp) -> i64 {
        // Both are below 2^48, so the difference always fits.
        self.0 as i64 - earlier.0 as i64
    }

    /// Microseconds since 2000-01-01, PostgreSQL's on-disk representation of a timestamp.
    pub fn postgres_micros(self) -> i64 {
        const PG_EPOCH_MS: i64 = 946_684_800_000;
        (self.0 as i64 - PG_EPOCH_MS) * 1_000
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 % 1_000;
        let secs = self.0 / 1_000;
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        let (year, month, day) = civil_from_days(days);
        write!(f, "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rem / 3_600, rem % 3_600 / 60, rem % 60)?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The course's `NOW()` on the leader: 2024-01-15 09:30:01.
pub fn course_now() -> Timestamp {
    Timestamp::from_civil(2024, 1, 15, 9, 30, 1).unwrap_or_default()
}

/// PostgreSQL's way of printing an LSN: the high and low 32 bits in hex, `0/16B3A40`.
pub fn format_lsn(lsn: Lsn) -> String {
    format!("{:X}/{:X}", lsn.0 >> 32, lsn.0 & 0xFFFF_FFFF)
}

// ---------------------------------------------------------------------------------------------------------------
// Rows and values
// ---------------------------------------------------------------------------------------------------------------

/// A `users.id`: the table's primary key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowId(pub u32);

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The columns of `users`, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Id,
    Name,
    Email,
    UpdatedAt,
}

impl Column {
    pub const ALL: [Column; 4] = [Column::Id, Column::Name, Column::Email, Column::UpdatedAt];

    /// The column's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Name => "name",
            Column::Email => "email",
            Column::UpdatedAt => "updated_at",
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Timestamp(Timestamp),
}

impl Value {
    /// As a SQL literal: `42`, `'O''Brien'`, `'2024-01-15 09:30:01'`.
    pub fn sql(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Text(s) => sql_quote(s),
            Value::Timestamp(t) => format!("'{t}'"),
        }
    }

    /// As a JSON value: `42`, `"Alice"`, `"2024-01-15 09:30:01"`.
    pub fn json(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Text(s) => json_quote(s),
            Value::Timestamp(t) => json_quote(&t.to_string()),
        }
    }
}

impl fmt::Display for Value {
    /// The SQL literal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// A column together with its value, as the logical and trigger records list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnValue {
    pub column: Column,
    pub value: Value,
}

/// One row of `users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: RowId,
    pub name: String,
    pub email: String,
    pub updated_at: Timestamp,
}

impl Row {
    pub fn get(&self, column: Column) -> Value {
        match column {
            Column::Id => Value::Int(i64::from(self.id.0)),
            Column::Name => Value::Text(self.name.clone()),
            Column::Email => Value::Text(self.email.clone()),
            Column::UpdatedAt => Value::Timestamp(self.updated_at),
        }
    }

    /// Every column in table order.
    pub fn values(&self) -> Vec<Value> {
        Column::ALL.iter().map(|c| self.get(*c)).collect()
    }

    /// Sets a non-key column. The key cannot change, and the value must have the column's type.
    fn set(&mut self, cv: &ColumnValue) -> Result<(), ApplyError> {
        match (cv.column, &cv.value) {
            (Column::Name, Value::Text(s)) => self.name = s.clone(),
            (Column::Email, Value::Text(s)) => self.email = s.clone(),
            (Column::UpdatedAt, Value::Timestamp(t)) => self.updated_at = *t,
            _ => return Err(ApplyError::Malformed),
        }
        Ok(())
    }

    /// A whole row from a list that names every column once.
    fn from_columns(values: &[ColumnValue]) -> Result<Row, ApplyError> {
        let id = values.iter().find(|cv| cv.column == Column::Id).ok_or(ApplyError::Malformed)?;
        let id = match id.value {
            Value::Int(n) if (1..=i64::from(ID_MAX)).contains(&n) => RowId(n as u32),
            _ => return Err(ApplyError::Malformed),
        };
        let mut row = Row { id, name: String::new(), email: String::new(), updated_at: Timestamp::EPOCH };
        for column in [Column::Name, Column::Email, Column::UpdatedAt] {
            let cv = values.iter().find(|cv| cv.column == column).ok_or(ApplyError::Malformed)?;
            row.set(cv)?;
        }
        Ok(row)
    }

    /// The columns whose values differ between two versions of a row, in table order.
    pub fn changed_columns(before: &Row, after: &Row) -> Vec<Column> {
        Column::ALL.iter().copied().filter(|c| before.get(*c) != after.get(*c)).collect()
    }

    fn tuple_text(&self) -> String {
        let values: Vec<String> = self.values().iter().map(Value::sql).collect();
        format!("[{}]", values.join(", "))
    }
}

/// The bytes of a row as this model stores it on a page — a simplified PostgreSQL heap tuple: `id` as a 4-byte
/// little-endian integer, `name` and `email` each as a one-byte varlena header (`(length + 1) << 1 | 1`) and their
/// UTF-8 bytes, `updated_at` as 8 bytes of microseconds since 2000-01-01.
pub fn encode_tuple(row: &Row) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 2 + row.name.len() + row.email.len() + 8);
    out.extend_from_slice(&i32::try_from(row.id.0).unwrap_or(i32::MAX).to_le_bytes());
    push_text(&mut out, &row.name);
    push_text(&mut out, &row.email);
    out.extend_from_slice(&row.updated_at.postgres_micros().to_le_bytes());
    out
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    let bytes = &text.as_bytes()[..text.len().min(TEXT_BYTES_MAX)];
    out.push((((bytes.len() + 1) << 1) | 1) as u8);
    out.extend_from_slice(bytes);
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn json_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{name: "Alice", updated_at: "2024-01-15 08:00:00"}`, the logical record's style.
fn fields_text(values: &[ColumnValue]) -> String {
    let parts: Vec<String> = values.iter().map(|cv| format!("{}: {}", cv.column, cv.value.json())).collect();
    format!("{{{}}}", parts.join(", "))
}

/// `{"name":"Alice"}`, compact JSON as a trigger's `to_jsonb` would write it.
fn json_object(values: &[ColumnValue]) -> String {
    let parts: Vec<String> = values.iter().map(|cv| format!("\"{}\":{}", cv.column, cv.value.json())).collect();
    format!("{{{}}}", parts.join(","))
}

// ---------------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------------

/// Where a tuple lives on disk: a heap page (block) and its position within the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TupleLocation {
    pub block: u32,
    /// 1-based position on the page, at most [`TUPLES_PER_BLOCK`].
    pub offset: u16,
}

impl TupleLocation {
    /// The next slot: the following offset, or the first one of the next page.
    fn next(self) -> TupleLocation {
        if self.offset >= TUPLES_PER_BLOCK {
            TupleLocation { block: self.block.saturating_add(1), offset: 1 }
        } else {
            TupleLocation { block: self.block, offset: self.offset + 1 }
        }
    }

    fn clamped(self) -> TupleLocation {
        TupleLocation { block: self.block.min(BLOCK_MAX), offset: self.offset.clamp(1, TUPLES_PER_BLOCK) }
    }
}

/// The version of the storage format a node's binaries read and write (the course's "PostgreSQL 15").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineVersion(pub u16);

impl fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "format {}", self.0)
    }
}

/// Where a new table's counters start. Out-of-range values are clamped by [`Table::empty`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableLayout {
    /// The next `AUTO_INCREMENT` id, from 1.
    pub next_id: u32,
    /// Where the next inserted tuple goes.
    pub next_location: TupleLocation,
    /// The LSN of the next WAL record.
    pub next_lsn: Lsn,
    /// The next transaction id.
    pub next_xid: u32,
    pub engine: EngineVersion,
}

impl Default for TableLayout {
    fn default() -> Self {
        TableLayout {
            next_id: 1,
            next_location: TupleLocation { block: 0, offset: 1 },
            next_lsn: Lsn(0x0100_0000),
            next_xid: 1_000,
            engine: EngineVersion(15),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Stored {
    row: Row,
    location: TupleLocation,
}

/// A row with where it lives, for the widgets' page view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowView {
    pub row: Row,
    pub location: TupleLocation,
}

/// The `users` table of one node: rows by id, where each tuple sits, and the node's counters (next
/// `AUTO_INCREMENT` id, next free slot, next LSN and transaction id, storage format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    rows: BTreeMap<RowId, Stored>,
    next_id: u32,
    next_location: TupleLocation,
    next_lsn: Lsn,
    next_xid: u32,
    engine: EngineVersion,
}

impl Default for Table {
    fn default() -> Self {
        Table::empty(TableLayout::default())
    }
}

impl Table {
    /// An empty table whose counters start at `layout` (clamped into range).
    pub fn empty(layout: TableLayout) -> Table {
        Table {
            rows: BTreeMap::new(),
            next_id: layout.next_id.clamp(1, ID_MAX),
            next_location: layout.next_location.clamped(),
            next_lsn: layout.next_lsn,
            next_xid: layout.next_xid,
            engine: layout.engine,
        }
    }

    /// The table of the chapter's worked example: row 42 is `(42, 'Alice', 'alice@example.com',
    /// '2024-01-15 08:00:00')` at block 231, offset 148, with two neighbours before it; the next WAL record
    /// goes at `0/16B3A40` in transaction 1042 and the next `AUTO_INCREMENT` id is 43.
    pub fn course_example() -> Table {
        let at = |d, h, m| Timestamp::from_civil(2024, 1, d, h, m, 0).unwrap_or_default();
        let rows = [
            (40, "Ada", "ada@example.com", at(14, 17, 5), 146),
            (41, "Bob", "bob@example.com", at(15, 7, 45), 147),
            (42, "Alice", "alice@example.com", at(15, 8, 0), 148),
        ];
        let mut table = Table::empty(TableLayout {
            next_id: 43,
            next_location: TupleLocation { block: 231, offset: 149 },
            next_lsn: Lsn(0x16B_3A40),
            next_xid: 1042,
            engine: EngineVersion(15),
        });
        for (id, name, email, updated_at, offset) in rows {
            let row = Row { id: RowId(id), name: name.to_owned(), email: email.to_owned(), updated_at };
            table.rows.insert(RowId(id), Stored { row, location: TupleLocation { block: 231, offset } });
        }
        table
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: RowId) -> Option<&Row> {
        self.rows.get(&id).map(|s| &s.row)
    }

    pub fn location(&self, id: RowId) -> Option<TupleLocation> {
        self.rows.get(&id).map(|s| s.location)
    }

    /// Rows in id order.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values().map(|s| &s.row)
    }

    /// Rows in id order with their locations, for drawing.
    pub fn row_views(&self) -> Vec<RowView> {
        self.rows.values().map(|s| RowView { row: s.row.clone(), location: s.location }).collect()
    }

    /// The id the next `INSERT` without an explicit id receives.
    pub fn next_auto_id(&self) -> u32 {
        self.next_id
    }

    pub fn next_location(&self) -> TupleLocation {
        self.next_location
    }

    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    pub fn next_xid(&self) -> u32 {
        self.next_xid
    }

    pub fn engine(&self) -> EngineVersion {
        self.engine
    }

    /// Every difference between this table (the leader's) and `follower`, row by row in id order. Only
    /// contents count: where tuples sit on disk and the counters are each node's own business.
    pub fn diff(&self, follower: &Table) -> Vec<Divergence> {
        let ids: BTreeSet<RowId> = self.rows.keys().chain(follower.rows.keys()).copied().collect();
        let mut out = Vec::new();
        for id in ids {
            diff_rows(id, self.get(id), follower.get(id), &mut out);
        }
        out
    }

    /// Replays one physical WAL record, exactly as a streaming replica does: the record must follow the last one
    /// applied, be written in this node's storage format, and find the page laid out as the leader's was.
    pub fn apply_wal(&mut self, record: &WalRecord) -> Result<(), ApplyError> {
        if record.engine != self.engine {
            return Err(ApplyError::FormatVersion { record: record.engine, replica: self.engine });
        }
        if record.lsn != self.next_lsn {
            return Err(ApplyError::LsnGap { expected: self.next_lsn, got: record.lsn });
        }
        let at = TupleLocation { block: record.block, offset: record.offset };
        let mismatch = ApplyError::LayoutMismatch { block: record.block, offset: record.offset };
        match (record.kind, &record.old_tuple, &record.new_tuple) {
            (ChangeKind::Insert, None, Some(new)) => {
                if self.rows.contains_key(&new.id) {
                    return Err(ApplyError::DuplicateKey(new.id));
                }
                if at != self.next_location {
                    return Err(mismatch);
                }
                if self.rows.len() >= ROWS_MAX {
                    return Err(ApplyError::TableFull);
                }
                self.rows.insert(new.id, Stored { row: new.clone(), location: at });
                self.next_location = at.next();
                self.next_id = self.next_id.max(new.id.0.saturating_add(1));
            }
            (ChangeKind::Update, Some(old), Some(new)) if old.id == new.id => {
                let stored = self.rows.get_mut(&old.id).ok_or(ApplyError::NoSuchRow(old.id))?;
                if stored.location != at || stored.row != *old {
                    return Err(mismatch);
                }
                stored.row = new.clone();
            }
            (ChangeKind::Delete, Some(old), None) => {
                let stored = self.rows.get(&old.id).ok_or(ApplyError::NoSuchRow(old.id))?;
                if stored.location != at || stored.row != *old {
                    return Err(mismatch);
                }
                self.rows.remove(&old.id);
            }
            _ => return Err(ApplyError::Malformed),
        }
        self.next_lsn = record.end_lsn();
        self.next_xid = record.xid.saturating_add(1);
        Ok(())
    }

    /// Applies one logical (row-based) record, as a logical replica or a CDC sink does: by primary key, with its
    /// own physical layout.
    pub fn apply_logical(&mut self, record: &LogicalRecord) -> Result<(), ApplyError> {
        let change = match record.kind {
            ChangeKind::Insert => RowChange::Insert { after: Row::from_columns(&record.after)? },
            ChangeKind::Update => {
                let before = self.get(record.key).ok_or(ApplyError::NoSuchRow(record.key))?.clone();
                let mut after = before.clone();
                for cv in &record.after {
                    after.set(cv)?;
                }
                RowChange::Update { before, after }
            }
            ChangeKind::Delete => {
                let before = self.get(record.key).ok_or(ApplyError::NoSuchRow(record.key))?.clone();
                RowChange::Delete { before }
            }
        };
        self.apply_change(&change)
    }

    /// Applies one `audit_log` row, as the external process of trigger-based replication does. `updated_at` is
    /// taken from the audit row's `ts`, which is the same transaction's `now()`.
    pub fn apply_audit(&mut self, audit: &AuditRow) -> Result<(), ApplyError> {
        let stamp = ColumnValue { column: Column::UpdatedAt, value: Value::Timestamp(audit.ts) };
        let change = match (&audit.old_data, &audit.new_data) {
            (None, Some(new)) => {
                let mut values = vec![ColumnValue { column: Column::Id, value: Value::Int(i64::from(audit.pk.0)) }];
                values.extend(new.iter().cloned());
                values.push(stamp);
                RowChange::Insert { after: Row::from_columns(&values)? }
            }
            (Some(_), Some(new)) => {
                let before = self.get(audit.pk).ok_or(ApplyError::NoSuchRow(audit.pk))?.clone();
                let mut after = before.clone();
                for cv in new.iter().chain(std::iter::once(&stamp)) {
                    after.set(cv)?;
                }
                RowChange::Update { before, after }
            }
            (Some(_), None) => {
                let before = self.get(audit.pk).ok_or(ApplyError::NoSuchRow(audit.pk))?.clone();
                RowChange::Delete { before }
            }
            (None, None) => return Err(ApplyError::Malformed),
        };
        self.apply_change(&change)
    }

    /// Applies a row change by key, placing new tuples in this node's own next free slot.
    fn apply_change(&mut self, change: &RowChange) -> Result<(), ApplyError> {
        match change {
            RowChange::Insert { after } => {
                if self.rows.contains_key(&after.id) {
                    return Err(ApplyError::DuplicateKey(after.id));
                }
                if self.rows.len() >= ROWS_MAX {
                    return Err(ApplyError::TableFull);
                }
                let location = self.next_location;
                self.rows.insert(after.id, Stored { row: after.clone(), location });
                self.next_location = location.next();
                self.next_id = self.next_id.max(after.id.0.saturating_add(1));
            }
            RowChange::Update { after, .. } => {
                let stored = self.rows.get_mut(&after.id).ok_or(ApplyError::NoSuchRow(after.id))?;
                stored.row = after.clone();
            }
            RowChange::Delete { before } => {
                self.rows.remove(&before.id).ok_or(ApplyError::NoSuchRow(before.id))?;
            }
        }
        Ok(())
    }
}

fn diff_rows(id: RowId, leader: Option<&Row>, follower: Option<&Row>, out: &mut Vec<Divergence>) {
    match (leader, follower) {
        (Some(l), Some(f)) => {
            for column in Row::changed_columns(l, f) {
                out.push(Divergence::Column { id, column, leader: l.get(column), follower: f.get(column) });
            }
        }
        (Some(_), None) => out.push(Divergence::MissingOnFollower { id }),
        (None, Some(_)) => out.push(Divergence::OnlyOnFollower { id }),
        (None, None) => {}
    }
}

/// How a follower's copy differs from the leader's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// Both hold the row, with different values in one column.
    Column {
        id: RowId,
        column: Column,
        leader: Value,
        follower: Value,
    },
    MissingOnFollower {
        id: RowId,
    },
    OnlyOnFollower {
        id: RowId,
    },
}

impl Divergence {
    pub fn id(&self) -> RowId {
        match self {
            Divergence::Column { id, .. }
            | Divergence::MissingOnFollower { id }
            | Divergence::OnlyOnFollower { id } => *id,
        }
    }

    /// One line for the narration: "row 42: updated_at is '…' on the follower but '…' on the leader".
    pub fn describe(&self) -> String {
        match self {
            Divergence::Column { id, column, leader, follower } => {
                format!("row {id}: {column} is {follower} on the follower but {leader} on the leader")
            }
            Divergence::MissingOnFollower { id } => format!("row {id} exists on the leader but not on the follower"),
            Divergence::OnlyOnFollower { id } => format!("row {id} exists on the follower but not on the leader"),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Operations and their execution
// ---------------------------------------------------------------------------------------------------------------

/// The values of a new user; the id comes from `AUTO_INCREMENT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    pub email: String,
}

impl NewUser {
    pub fn new(name: &str, email: &str) -> NewUser {
        NewUser { name: name.to_owned(), email: email.to_owned() }
    }
}

/// What a client asks the leader to do. Every operation stamps `updated_at` with `NOW()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `UPDATE users SET name='…', updated_at=NOW() WHERE id=…` — the chapter's worked example.
    Rename { id: RowId, name: String },
    /// `INSERT INTO users (name, email, updated_at) VALUES ('…', '…', NOW())`, the id from `AUTO_INCREMENT`.
    Insert(NewUser),
    /// `DELETE FROM users WHERE id=…`.
    Delete { id: RowId },
    /// `UPDATE users SET name=CONCAT('user-', FLOOR(RAND()*10000)), email='redacted', updated_at=NOW()
    /// WHERE id=…` — anonymising a user with a random handle.
    Anonymize { id: RowId },
}

impl Operation {
    /// `UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42`.
    pub fn course_update() -> Operation {
        Operation::Rename { id: RowId(42), name: "Alice Smith".to_owned() }
    }

    /// The statement as the client wrote it.
    pub fn sql(&self) -> String {
        statement_sql(self, &Literals::default())
    }

    /// Rejects text longer than [`TEXT_BYTES_MAX`].
    pub fn validate(&self) -> Result<(), OpError> {
        let check = |column: Column, text: &str| {
            if text.len() > TEXT_BYTES_MAX {
                Err(OpError::TextTooLong { column, bytes: text.len() })
            } else {
                Ok(())
            }
        };
        match self {
            Operation::Rename { name, .. } => check(Column::Name, name),
            Operation::Insert(user) => check(Column::Name, &user.name).and(check(Column::Email, &user.email)),
            Operation::Delete { .. } | Operation::Anonymize { .. } => Ok(()),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// Why the leader refuses an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpError {
    TextTooLong {
        column: Column,
        bytes: usize,
    },
    /// The table already holds [`ROWS_MAX`] rows.
    TableFull,
    /// `AUTO_INCREMENT` has passed [`ID_MAX`].
    IdsExhausted,
    /// An insert with an explicit id that is already taken.
    DuplicateKey(RowId),
    /// An explicit id outside `1..=ID_MAX`.
    IdOutOfRange(u32),
    /// A bug: the leader could not apply its own WAL record. Reported instead of panicking.
    Inconsistent,
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpError::TextTooLong { column, bytes } => {
                write!(f, "{column} is {bytes} bytes long; at most {TEXT_BYTES_MAX} fit")
            }
            OpError::TableFull => write!(f, "the table already holds {ROWS_MAX} rows"),
            OpError::IdsExhausted => write!(f, "AUTO_INCREMENT has no ids left below {ID_MAX}"),
            OpError::DuplicateKey(id) => write!(f, "duplicate key: id {id} already exists"),
            OpError::IdOutOfRange(id) => write!(f, "id {id} does not fit an INT key"),
            OpError::Inconsistent => f.write_str("the leader could not apply its own log record"),
        }
    }
}

impl std::error::Error for OpError {}

/// Why a node could not apply a record it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyError {
    /// The WAL was written in another storage format than the replica reads.
    FormatVersion {
        record: EngineVersion,
        replica: EngineVersion,
    },
    /// The WAL record does not follow the last one applied.
    LsnGap {
        expected: Lsn,
        got: Lsn,
    },
    /// The page does not hold what the WAL record expects at this block and offset.
    LayoutMismatch {
        block: u32,
        offset: u16,
    },
    NoSuchRow(RowId),
    DuplicateKey(RowId),
    TableFull,
    /// A record that names no row, lacks a column, or gives a value of the wrong type.
    Malformed,
    /// Replaying a statement failed on the follower, as it would make a MySQL replica's SQL thread stop.
    Rejected(OpError),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::FormatVersion { record, replica } => {
                write!(f, "the record is in storage {record} but the replica reads {replica}")
            }
            ApplyError::LsnGap { expected, got } => {
                write!(f, "expected WAL at {} but got {}", format_lsn(*expected), format_lsn(*got))
            }
            ApplyError::LayoutMismatch { block, offset } => {
                write!(f, "block {block} offset {offset} does not hold the tuple the record expects")
            }
            ApplyError::NoSuchRow(id) => write!(f, "row {id} does not exist"),
            ApplyError::DuplicateKey(id) => write!(f, "duplicate key: id {id} already exists"),
            ApplyError::TableFull => write!(f, "the table already holds {ROWS_MAX} rows"),
            ApplyError::Malformed => f.write_str("the record is malformed"),
            ApplyError::Rejected(e) => write!(f, "the statement fails: {e}"),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Insert, update or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Insert => "INSERT",
            ChangeKind::Update => "UPDATE",
            ChangeKind::Delete => "DELETE",
        })
    }
}

/// What an operation did to one row: the ground truth every log format describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowChange {
    Insert { after: Row },
    Update { before: Row, after: Row },
    Delete { before: Row },
}

impl RowChange {
    pub fn kind(&self) -> ChangeKind {
        match self {
            RowChange::Insert { .. } => ChangeKind::Insert,
            RowChange::Update { .. } => ChangeKind::Update,
            RowChange::Delete { .. } => ChangeKind::Delete,
        }
    }

    pub fn id(&self) -> RowId {
        match self {
            RowChange::Insert { after: row }
            | RowChange::Update { after: row, .. }
            | RowChange::Delete { before: row } => row.id,
        }
    }

    pub fn before(&self) -> Option<&Row> {
        match self {
            RowChange::Insert { .. } => None,
            RowChange::Update { before, .. } | RowChange::Delete { before } => Some(before),
        }
    }

    pub fn after(&self) -> Option<&Row> {
        match self {
            RowChange::Delete { .. } => None,
            RowChange::Insert { after } | RowChange::Update { after, .. } => Some(after),
        }
    }
}

/// Values a statement-based leader substitutes for non-deterministic functions before shipping the statement.
/// Empty when it ships the statement verbatim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Literals {
    /// Replaces `NOW()`.
    pub now: Option<Timestamp>,
    /// Replaces `FLOOR(RAND()*10000)`.
    pub random: Option<u32>,
    /// The id `AUTO_INCREMENT` gave the row, written into the `INSERT` (MySQL ships it as `SET INSERT_ID`).
    pub insert_id: Option<RowId>,
}

impl Literals {
    pub fn is_empty(&self) -> bool {
        self.now.is_none() && self.random.is_none() && self.insert_id.is_none()
    }
}

struct Execution {
    change: Option<RowChange>,
    /// The values the non-deterministic parts took, whether computed here or bound.
    used: Literals,
}

/// Runs `op` against `table` as one node would, with that node's `NOW()` and random source, unless the statement
/// carries literal values.
fn execute(
    op: &Operation,
    table: &Table,
    now: Timestamp,
    rng: &mut Rng,
    bound: &Literals,
) -> Result<Execution, OpError> {
    op.validate()?;
    let now = bound.now.unwrap_or(now);
    let mut used = Literals::default();
    let change = match op {
        Operation::Insert(user) => {
            if table.len() >= ROWS_MAX {
                return Err(OpError::TableFull);
            }
            let id = match bound.insert_id {
                Some(id) if id.0 == 0 || id.0 > ID_MAX => return Err(OpError::IdOutOfRange(id.0)),
                Some(id) => id,
                None if table.next_id > ID_MAX => return Err(OpError::IdsExhausted),
                None => RowId(table.next_id),
            };
            if table.rows.contains_key(&id) {
                return Err(OpError::DuplicateKey(id));
            }
            used.now = Some(now);
            used.insert_id = Some(id);
            let after = Row { id, name: user.name.clone(), email: user.email.clone(), updated_at: now };
            Some(RowChange::Insert { after })
        }
        Operation::Rename { id, name } => table.get(*id).map(|before| {
            used.now = Some(now);
            let after = Row { name: name.clone(), updated_at: now, ..before.clone() };
            RowChange::Update { before: before.clone(), after }
        }),
        Operation::Delete { id } => table.get(*id).map(|before| RowChange::Delete { before: before.clone() }),
        Operation::Anonymize { id } => table.get(*id).map(|before| {
            // RAND() runs once per matching row, so a statement that matches nothing draws nothing.
            let n = bound.random.unwrap_or_else(|| rng.range_inclusive(0, u64::from(RAND_RANGE - 1)) as u32);
            used.now = Some(now);
            used.random = Some(n.min(RAND_RANGE - 1));
            let after = Row {
                name: format!("user-{}", n.min(RAND_RANGE - 1)),
                email: "redacted".to_owned(),
                updated_at: now,
                ..before.clone()
            };
            RowChange::Update { before: before.clone(), after }
        }),
    };
    Ok(Execution { change, used })
}

/// The statement's text, with the leader's values in place of the functions that `literals` binds.
fn statement_sql(op: &Operation, literals: &Literals) -> String {
    let now = literals.now.map_or_else(|| "NOW()".to_owned(), |t| format!("'{t}'"));
    match op {
        Operation::Rename { id, name } => {
            format!("UPDATE users SET name={}, updated_at={now} WHERE id={id}", sql_quote(name))
        }
        Operation::Insert(user) => {
            let (name, email) = (sql_quote(&user.name), sql_quote(&user.email));
            match literals.insert_id {
                Some(id) => {
                    format!("INSERT INTO users (id, name, email, updated_at) VALUES ({id}, {name}, {email}, {now})")
                }
                None => format!("INSERT INTO users (name, email, updated_at) VALUES ({name}, {email}, {now})"),
            }
        }
        Operation::Delete { id } => format!("DELETE FROM users WHERE id={id}"),
        Operation::Anonymize { id } => {
            let name = literals
                .random
                .map_or_else(|| "CONCAT('user-', FLOOR(RAND()*10000))".to_owned(), |n| format!("'user-{n}'"));
            format!("UPDATE users SET name={name}, email='redacted', updated_at={now} WHERE id={id}")
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The four representations
// ---------------------------------------------------------------------------------------------------------------

/// Whether a statement-based leader ships the statement as written or with its own values filled in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatementMode {
    /// The SQL text exactly as the client sent it: followers evaluate `NOW()`, `RAND()` and `AUTO_INCREMENT`
    /// themselves.
    #[default]
    Verbatim,
    /// The fix: the leader replaces each non-deterministic call with the value it computed.
    LiteralValues,
}

/// The circumstances of one execution: the leader's clock and random seed, the follower's, and how statements
/// are shipped. Out-of-range offsets are clamped to ±[`FOLLOWER_OFFSET_MS_MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// What `NOW()` returns on the leader.
    pub leader_now: Timestamp,
    /// What `NOW()` returns on the follower replaying the statement, minus the leader's value, in ms: the replay
    /// delay plus any clock skew. The course's example: +2000 (the follower replays it 2 s later).
    pub follower_now_offset_ms: i64,
    pub leader_rand_seed: u64,
    pub follower_rand_seed: u64,
    pub statement_mode: StatementMode,
}

impl Default for Context {
    /// The course's worked example: the leader at 2024-01-15 09:30:01, the follower 2 s later, different seeds,
    /// statements shipped verbatim.
    fn default() -> Self {
        Context {
            leader_now: course_now(),
            follower_now_offset_ms: 2_000,
            leader_rand_seed: 1,
            follower_rand_seed: 2,
            statement_mode: StatementMode::Verbatim,
        }
    }
}

impl Context {
    /// What `NOW()` returns on the follower.
    pub fn follower_now(&self) -> Timestamp {
        self.leader_now.offset_ms(self.follower_now_offset_ms.clamp(-FOLLOWER_OFFSET_MS_MAX, FOLLOWER_OFFSET_MS_MAX))
    }
}

/// A non-deterministic part of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Now,
    Rand,
    AutoIncrement,
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Function::Now => "NOW()",
            Function::Rand => "FLOOR(RAND()*10000)",
            Function::AutoIncrement => "AUTO_INCREMENT",
        })
    }
}

/// A non-deterministic call in a statement: what it returns on the leader and what it would return on a follower
/// that evaluates it itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub function: Function,
    pub leader: Value,
    pub follower: Value,
    /// Whether the leader shipped its own value, so the follower's is never used.
    pub shipped_as_literal: bool,
}

impl Hazard {
    /// Whether the follower ends up with a different value than the leader.
    pub fn diverges(&self) -> bool {
        !self.shipped_as_literal && self.leader != self.follower
    }

    /// The literal that fixes it: `updated_at='2024-01-15 09:30:01'`.
    pub fn literal_fix(&self) -> String {
        match (self.function, &self.leader) {
            (Function::Now, v) => format!("updated_at={v}"),
            (Function::Rand, Value::Int(n)) => format!("name='user-{n}'"),
            (_, v) => format!("id={v}"),
        }
    }
}

/// Statement-based replication: the SQL text that is shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRecord {
    pub mode: StatementMode,
    /// The statement a follower re-executes.
    pub operation: Operation,
    /// Values the leader filled in (empty in [`StatementMode::Verbatim`]).
    pub literals: Literals,
    /// The text shipped.
    pub sql: String,
    /// Non-deterministic calls, with each side's value.
    pub hazards: Vec<Hazard>,
    /// How a follower that held the same rows as the leader differs after replaying the statement.
    pub divergence: Vec<Divergence>,
}

impl fmt::Display for StatementRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\"{}\"", self.sql)?;
        for hazard in &self.hazards {
            if hazard.shipped_as_literal {
                writeln!(f, "The leader replaced {} with its value {}.", hazard.function, hazard.leader)?;
            } else if hazard.diverges() {
                let (leader, follower) = match (&hazard.leader, &hazard.follower) {
                    (Value::Timestamp(l), Value::Timestamp(r)) => {
                        let delta_ms = r.ms_since(*l);
                        (l.to_string(), format!("{r} on follower ({})", signed_seconds(delta_ms)))
                    }
                    (l, r) => (l.to_string(), format!("{r} on follower")),
                };
                writeln!(f, "Problem: {} returns {leader} on leader", hazard.function)?;
                writeln!(f, "but {follower}.")?;
                writeln!(f, "Fix: Replace {} with literal: {}", hazard.function, hazard.literal_fix())?;
            } else {
                writeln!(f, "{} happens to return {} on both.", hazard.function, hazard.leader)?;
            }
        }
        if self.divergence.is_empty() {
            f.write_str("A follower replaying it ends with the same rows as the leader.")
        } else {
            let lines: Vec<String> = self.divergence.iter().map(Divergence::describe).collect();
            write!(f, "A follower replaying it diverges: {}.", lines.join("; "))
        }
    }
}

fn signed_seconds(delta_ms: i64) -> String {
    let word = if delta_ms >= 0 { "later" } else { "earlier" };
    let (seconds, ms) = (delta_ms.unsigned_abs() / 1_000, delta_ms.unsigned_abs() % 1_000);
    if ms == 0 {
        format!("{seconds}s {word}")
    } else {
        format!("{seconds}.{ms:03}s {word}")
    }
}

/// The relation a WAL record names: printed `16384/1663/users` as in the course.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation {
    pub database_oid: u32,
    pub tablespace_oid: u32,
    pub name: &'static str,
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.database_oid, self.tablespace_oid, self.name)
    }
}

/// The `users` table's relation: database 16384, tablespace 1663 (`pg_default`).
pub const USERS_RELATION: Relation = Relation { database_oid: 16384, tablespace_oid: 1663, name: "users" };

/// One B-tree index of `users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub column: Column,
}

/// The table's indexes: the primary key and a B-tree on `name`.
pub const INDEXES: [Index; 2] =
    [Index { name: "users_pkey", column: Column::Id }, Index { name: "users_name_idx", column: Column::Name }];

/// A WAL record for one index whose key changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexRecord {
    pub lsn: Lsn,
    pub index: Index,
    /// The key that stops pointing at the tuple (`None` for inserts).
    pub old_key: Option<Value>,
    pub new_key: Value,
    pub len_bytes: u32,
}

/// Physical (WAL) replication: the page-level change, with the position in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalRecord {
    pub lsn: Lsn,
    /// Transaction id.
    pub xid: u32,
    /// The storage format the record is written in.
    pub engine: EngineVersion,
    pub relation: Relation,
    pub kind: ChangeKind,
    pub block: u32,
    pub offset: u16,
    pub old_tuple: Option<Row>,
    pub new_tuple: Option<Row>,
    /// The new tuple as bytes on the page ([`encode_tuple`]); empty for a delete.
    pub tuple_bytes: Vec<u8>,
    /// Size of the heap record, header included, rounded up to 8 bytes.
    pub len_bytes: u32,
    /// Records for the index entries the change adds, right after the heap record. Deletes leave index entries
    /// for VACUUM, so they have none.
    pub index_updates: Vec<IndexRecord>,
}

impl WalRecord {
    /// The LSN just past this record and its index records: where the next WAL record starts.
    pub fn end_lsn(&self) -> Lsn {
        match self.index_updates.last() {
            Some(ix) => Lsn(ix.lsn.0.saturating_add(u64::from(ix.len_bytes))),
            None => Lsn(self.lsn.0.saturating_add(u64::from(self.len_bytes))),
        }
    }

    /// Bytes this change adds to the WAL stream.
    pub fn total_bytes(&self) -> u64 {
        self.end_lsn().0.saturating_sub(self.lsn.0)
    }
}

/// How many tuple bytes the WAL text prints before eliding the rest.
const TUPLE_BYTES_SHOWN: usize = 12;

impl fmt::Display for WalRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "LSN={} | Relation: {} | Block: {}", format_lsn(self.lsn), self.relation, self.block)?;
        write!(f, "Offset: {}", self.offset)?;
        if let Some(old) = &self.old_tuple {
            write!(f, " | Old tuple: {}", old.tuple_text())?;
        }
        if let Some(new) = &self.new_tuple {
            if self.old_tuple.is_some() {
                writeln!(f)?;
                write!(f, "New tuple: {}", new.tuple_text())?;
            } else {
                write!(f, " | New tuple: {}", new.tuple_text())?;
            }
        }
        writeln!(f)?;
        for ix in &self.index_updates {
            let change = match &ix.old_key {
                Some(old) => format!("{old} -> {}", ix.new_key),
                None => format!("insert {}", ix.new_key),
            };
            writeln!(
                f,
                "+ index updates for {} column B-tree ({}, LSN={}): {change}",
                ix.index.column,
                ix.index.name,
                format_lsn(ix.lsn)
            )?;
        }
        write!(f, "Transaction: {} | Op: {} | {} | ", self.xid, self.kind, self.engine)?;
        if self.tuple_bytes.is_empty() {
            write!(f, "Data: none (the tuple is marked dead)")
        } else {
            let shown: Vec<String> =
                self.tuple_bytes.iter().take(TUPLE_BYTES_SHOWN).map(|b| format!("{b:02x}")).collect();
            let more = if self.tuple_bytes.len() > TUPLE_BYTES_SHOWN { " ..." } else { "" };
            write!(f, "Data: {} bytes [{}{more}]", self.tuple_bytes.len(), shown.join(" "))
        }
    }
}

fn align8(n: u32) -> u32 {
    n.saturating_add(7) & !7
}

fn index_key_bytes(value: &Value) -> u32 {
    match value {
        Value::Int(_) => 4,
        Value::Text(s) => 1 + s.len().min(TEXT_BYTES_MAX) as u32,
        Value::Timestamp(_) => 8,
    }
}

/// The WAL records for `change`, starting at the table's next LSN. Inserts go to the next free slot.
fn wal_record(change: &RowChange, table: &Table) -> WalRecord {
    let location = match change {
        RowChange::Insert { .. } => table.next_location,
        _ => table.location(change.id()).unwrap_or(table.next_location),
    };
    let tuple_bytes = change.after().map(encode_tuple).unwrap_or_default();
    // A delete logs only the tuple's 6-byte address.
    let payload = if tuple_bytes.is_empty() { 6 } else { tuple_bytes.len() as u32 };
    let len_bytes = align8(WAL_RECORD_HEADER_BYTES + payload);
    let mut next = table.next_lsn.0.saturating_add(u64::from(len_bytes));
    let mut index_updates = Vec::new();
    if let Some(after) = change.after() {
        for index in INDEXES {
            let new_key = after.get(index.column);
            let old_key = change.before().map(|b| b.get(index.column));
            if old_key.as_ref() == Some(&new_key) {
                continue;
            }
            let len = align8(WAL_RECORD_HEADER_BYTES + index_key_bytes(&new_key) + 6);
            index_updates.push(IndexRecord { lsn: Lsn(next), index, old_key, new_key, len_bytes: len });
            next = next.saturating_add(u64::from(len));
        }
    }
    WalRecord {
        lsn: table.next_lsn,
        xid: table.next_xid,
        engine: table.engine,
        relation: USERS_RELATION,
        kind: change.kind(),
        block: location.block,
        offset: location.offset,
        old_tuple: change.before().cloned(),
        new_tuple: change.after().cloned(),
        tuple_bytes,
        len_bytes,
        index_updates,
    }
}

/// Logical (row-based) replication: which row changed and how, independent of the storage layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicalRecord {
    /// The WAL position the change was decoded from (what a CDC consumer acknowledges).
    pub lsn: Lsn,
    /// Schema-qualified: `public.users`.
    pub table: &'static str,
    pub kind: ChangeKind,
    pub key: RowId,
    /// Old values of the changed columns (updates only).
    pub before: Vec<ColumnValue>,
    /// New values: every column for an insert, the changed ones for an update, none for a delete.
    pub after: Vec<ColumnValue>,
}

impl fmt::Display for LogicalRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{table: \"{}\", op: \"{}\",", self.table, self.kind)?;
        match self.kind {
            ChangeKind::Insert => write!(f, "\nnew_row: {}}}", fields_text(&self.after)),
            ChangeKind::Update => write!(
                f,
                "\nkey: {{id: {}}},\nbefore: {},\nafter: {}}}",
                self.key,
                fields_text(&self.before),
                fields_text(&self.after)
            ),
            ChangeKind::Delete => write!(f, "\nkey: {{id: {}}}}}", self.key),
        }
    }
}

fn logical_record(change: &RowChange, lsn: Lsn) -> LogicalRecord {
    let values = |row: &Row, columns: &[Column]| -> Vec<ColumnValue> {
        columns.iter().map(|c| ColumnValue { column: *c, value: row.get(*c) }).collect()
    };
    let (before, after) = match change {
        RowChange::Insert { after } => (Vec::new(), values(after, &Column::ALL)),
        RowChange::Update { before, after } => {
            let changed = Row::changed_columns(before, after);
            (values(before, &changed), values(after, &changed))
        }
        RowChange::Delete { .. } => (Vec::new(), Vec::new()),
    };
    LogicalRecord { lsn, table: "public.users", kind: change.kind(), key: change.id(), before, after }
}

/// Trigger-based replication: the row an `AFTER INSERT OR UPDATE OR DELETE` trigger writes into `audit_log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub table_name: &'static str,
    pub pk: RowId,
    /// The business columns before the change (`NULL` for an insert): for an update only those that changed.
    pub old_data: Option<Vec<ColumnValue>>,
    /// The business columns after the change (`NULL` for a delete).
    pub new_data: Option<Vec<ColumnValue>>,
    /// The trigger's `now()`: the transaction's start time, the same value `updated_at` receives.
    pub ts: Timestamp,
}

impl AuditRow {
    pub fn kind(&self) -> ChangeKind {
        match (&self.old_data, &self.new_data) {
            (None, _) => ChangeKind::Insert,
            (Some(_), Some(_)) => ChangeKind::Update,
            (Some(_), None) => ChangeKind::Delete,
        }
    }
}

impl fmt::Display for AuditRow {
    /// The `INSERT` the trigger runs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = |data: &Option<Vec<ColumnValue>>| match data {
            Some(values) => format!("{}::jsonb", sql_quote(&json_object(values))),
            None => "NULL".to_owned(),
        };
        writeln!(f, "INSERT INTO audit_log (table_name, pk, old_data, new_data, ts)")?;
        writeln!(f, "VALUES ({}, {}, {},", sql_quote(self.table_name), self.pk, json(&self.old_data))?;
        write!(f, "{}, now());", json(&self.new_data))
    }
}

/// Columns a trigger copies: `id` is the `pk` and `updated_at` is the `ts`, so neither is repeated.
const BUSINESS_COLUMNS: [Column; 2] = [Column::Name, Column::Email];

fn audit_row(change: &RowChange, ts: Timestamp) -> AuditRow {
    let values = |row: &Row, columns: &[Column]| -> Vec<ColumnValue> {
        columns.iter().map(|c| ColumnValue { column: *c, value: row.get(*c) }).collect()
    };
    let (old_data, new_data) = match change {
        RowChange::Insert { after } => (None, Some(values(after, &BUSINESS_COLUMNS))),
        RowChange::Update { before, after } => {
            let changed: Vec<Column> =
                Row::changed_columns(before, after).into_iter().filter(|c| BUSINESS_COLUMNS.contains(c)).collect();
            (Some(values(before, &changed)), Some(values(after, &changed)))
        }
        RowChange::Delete { before } => (Some(values(before, &BUSINESS_COLUMNS)), None),
    };
    AuditRow { table_name: "users", pk: change.id(), old_data, new_data, ts }
}

/// One operation described four ways. `wal`, `logical` and `trigger` are `None` when the operation matched no row:
/// only the statement log records a statement that changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Representations {
    /// The statement as the client sent it.
    pub sql: String,
    /// `NOW()` on the leader.
    pub leader_now: Timestamp,
    /// What the leader did.
    pub change: Option<RowChange>,
    pub statement: StatementRecord,
    pub wal: Option<WalRecord>,
    pub logical: Option<LogicalRecord>,
    pub trigger: Option<AuditRow>,
}

impl fmt::Display for Representations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NOTHING: &str = "(no row matches: nothing to log)";
        writeln!(f, "// The SQL statement:")?;
        writeln!(f, "{}", self.sql)?;
        writeln!(f)?;
        writeln!(f, "// 1. STATEMENT-BASED")?;
        writeln!(f, "{}", self.statement)?;
        writeln!(f)?;
        writeln!(f, "// 2. WAL (PHYSICAL)")?;
        match &self.wal {
            Some(wal) => writeln!(f, "{wal}")?,
            None => writeln!(f, "{NOTHING}")?,
        }
        writeln!(f)?;
        writeln!(f, "// 3. LOGICAL (ROW-BASED)")?;
        match &self.logical {
            Some(logical) => writeln!(f, "{logical}")?,
            None => writeln!(f, "{NOTHING}")?,
        }
        writeln!(f)?;
        writeln!(f, "// 4. TRIGGER-BASED")?;
        match &self.trigger {
            Some(audit) => write!(f, "{audit}"),
            None => write!(f, "{NOTHING}"),
        }
    }
}

/// The state of one row after a change, as seen from the table before it.
fn row_after<'a>(table: &'a Table, change: Option<&'a RowChange>, id: RowId) -> Option<&'a Row> {
    match change {
        Some(c) if c.id() == id => c.after(),
        _ => table.get(id),
    }
}

/// Executes `op` on the leader holding `table` and describes the change in the four log formats. Pure: the
/// table is not modified (see [`Table::apply_wal`] and [`Comparison`] for that). The statement record also
/// replays the statement on a follower that holds the same rows, with the follower's clock and seed, and reports
/// where the two would differ.
pub fn render(op: &Operation, table: &Table, ctx: &Context) -> Result<Representations, OpError> {
    let mut leader_rng = Rng::new(ctx.leader_rand_seed);
    let leader = execute(op, table, ctx.leader_now, &mut leader_rng, &Literals::default())?;
    let literals = match ctx.statement_mode {
        StatementMode::Verbatim => Literals::default(),
        StatementMode::LiteralValues => leader.used,
    };

    let follower_now = ctx.follower_now();
    let mut follower_rng = Rng::new(ctx.follower_rand_seed);
    let follower = execute(op, table, follower_now, &mut follower_rng, &literals);
    let follower_change = follower.as_ref().ok().and_then(|e| e.change.as_ref());

    // What each function returns where it runs, whether or not the shipped statement lets it run.
    let mut hazards = Vec::new();
    let mut own_draw = Rng::new(ctx.follower_rand_seed);
    if let Some(now) = leader.used.now {
        let follower = Value::Timestamp(follower_now);
        hazards.push(Hazard {
            function: Function::Now,
            leader: Value::Timestamp(now),
            follower,
            shipped_as_literal: literals.now.is_some(),
        });
    }
    if let Some(n) = leader.used.random {
        let theirs = own_draw.range_inclusive(0, u64::from(RAND_RANGE - 1)) as i64;
        hazards.push(Hazard {
            function: Function::Rand,
            leader: Value::Int(i64::from(n)),
            follower: Value::Int(theirs),
            shipped_as_literal: literals.random.is_some(),
        });
    }
    if let Some(id) = leader.used.insert_id {
        hazards.push(Hazard {
            function: Function::AutoIncrement,
            leader: Value::Int(i64::from(id.0)),
            follower: Value::Int(i64::from(table.next_id)),
            shipped_as_literal: literals.insert_id.is_some(),
        });
    }

    let mut divergence = Vec::new();
    let ids: BTreeSet<RowId> = leader.change.iter().chain(follower_change).map(RowChange::id).collect();
    for id in ids {
        diff_rows(
            id,
            row_after(table, leader.change.as_ref(), id),
            row_after(table, follower_change, id),
            &mut divergence,
        );
    }

    let statement = StatementRecord {
        mode: ctx.statement_mode,
        operation: op.clone(),
        literals,
        sql: statement_sql(op, &literals),
        hazards,
        divergence,
    };
    let wal = leader.change.as_ref().map(|c| wal_record(c, table));
    let logical = leader.change.as_ref().zip(wal.as_ref()).map(|(c, w)| logical_record(c, w.lsn));
    let trigger = leader.change.as_ref().map(|c| audit_row(c, ctx.leader_now));
    Ok(Representations {
        sql: op.sql(),
        leader_now: ctx.leader_now,
        change: leader.change,
        statement,
        wal,
        logical,
        trigger,
    })
}

/// Re-executes a shipped statement on a follower with its own clock and random source, and applies the result.
fn replay_statement(
    record: &StatementRecord,
    table: &mut Table,
    now: Timestamp,
    rng: &mut Rng,
) -> Result<Option<RowChange>, ApplyError> {
    let execution = execute(&record.operation, table, now, rng, &record.literals).map_err(ApplyError::Rejected)?;
    if let Some(change) = &execution.change {
        table.apply_change(change)?;
    }
    Ok(execution.change)
}

// ---------------------------------------------------------------------------------------------------------------
// Change data capture
// ---------------------------------------------------------------------------------------------------------------

/// A change-data-capture consumer: a search index fed by the logical records, the way Debezium feeds
/// Elasticsearch. It keeps one document per user and an inverted index from lower-cased name words to ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchIndex {
    docs: BTreeMap<RowId, Row>,
    terms: BTreeMap<String, BTreeSet<RowId>>,
    position: Lsn,
    applied: u64,
}

impl SearchIndex {
    /// An index built from a snapshot of `table`, as a CDC pipeline starts before it follows the stream.
    pub fn from_table(table: &Table) -> SearchIndex {
        let mut index = SearchIndex::default();
        for row in table.rows() {
            index.put(row.clone());
        }
        index
    }

    /// Applies one logical record. Inserts and updates replace the document (an upsert, as a search index
    /// does); an update of a document the index never saw is an error, since the record lists changed columns
    /// only.
    pub fn apply(&mut self, record: &LogicalRecord) -> Result<(), ApplyError> {
        match record.kind {
            ChangeKind::Insert => {
                let row = Row::from_columns(&record.after)?;
                if !self.docs.contains_key(&row.id) && self.docs.len() >= ROWS_MAX {
                    return Err(ApplyError::TableFull);
                }
                self.put(row);
            }
            ChangeKind::Update => {
                let mut row = self.docs.get(&record.key).ok_or(ApplyError::NoSuchRow(record.key))?.clone();
                for cv in &record.after {
                    row.set(cv)?;
                }
                self.put(row);
            }
            ChangeKind::Delete => self.remove(record.key),
        }
        self.position = self.position.max(record.lsn);
        self.applied += 1;
        Ok(())
    }

    /// Ids of documents whose name contains `word` (case-insensitive, whole words).
    pub fn search(&self, word: &str) -> Vec<RowId> {
        self.terms.get(&word.to_lowercase()).map(|ids| ids.iter().copied().collect()).unwrap_or_default()
    }

    /// Documents in id order.
    pub fn documents(&self) -> impl Iterator<Item = &Row> {
        self.docs.values()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Distinct words indexed.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The highest LSN applied: what the consumer would acknowledge to its replication slot.
    pub fn position(&self) -> Lsn {
        self.position
    }

    /// Records applied since the snapshot.
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// How the documents differ from `table` (the leader's), as for a follower.
    pub fn diff(&self, table: &Table) -> Vec<Divergence> {
        let ids: BTreeSet<RowId> = self.docs.keys().chain(table.rows.keys()).copied().collect();
        let mut out = Vec::new();
        for id in ids {
            diff_rows(id, table.get(id), self.docs.get(&id), &mut out);
        }
        out
    }

    /// Whether the inverted index is exactly what the documents imply (no stale words left behind).
    pub fn terms_consistent(&self) -> bool {
        let mut expected: BTreeMap<String, BTreeSet<RowId>> = BTreeMap::new();
        for doc in self.docs.values() {
            for word in words(&doc.name) {
                expected.entry(word).or_default().insert(doc.id);
            }
        }
        expected == self.terms
    }

    fn put(&mut self, row: Row) {
        self.remove(row.id);
        for word in words(&row.name) {
            self.terms.entry(word).or_default().insert(row.id);
        }
        self.docs.insert(row.id, row);
    }

    fn remove(&mut self, id: RowId) {
        if let Some(old) = self.docs.remove(&id) {
            for word in words(&old.name) {
                if let Some(ids) = self.terms.get_mut(&word) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.terms.remove(&word);
                    }
                }
            }
        }
    }
}

/// Lower-cased alphanumeric words of a name: "Alice Smith" → alice, smith. Names are at most
/// [`TEXT_BYTES_MAX`] bytes, which bounds the words.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// All four at once
// ---------------------------------------------------------------------------------------------------------------

/// The four log formats, one follower each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogFormat {
    Statement,
    Physical,
    Logical,
    Trigger,
}

impl LogFormat {
    pub const ALL: [LogFormat; 4] = [LogFormat::Statement, LogFormat::Physical, LogFormat::Logical, LogFormat::Trigger];

    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Statement => "statement",
            LogFormat::Physical => "physical",
            LogFormat::Logical => "logical",
            LogFormat::Trigger => "trigger",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fixed settings of a [`Comparison`]. Out-of-range values are clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The leader's clock at the first operation.
    pub start: Timestamp,
    /// How far the leader's clock moves between operations.
    pub op_interval_ms: u64,
    /// See [`Context::follower_now_offset_ms`].
    pub follower_now_offset_ms: i64,
    /// Seeds of the leader's and the statement follower's `RAND()`.
    pub leader_seed: u64,
    pub follower_seed: u64,
    pub statement_mode: StatementMode,
    /// The storage format the physical follower's binaries read; the leader writes format 15.
    pub physical_follower_engine: EngineVersion,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            start: course_now(),
            op_interval_ms: 1_000,
            follower_now_offset_ms: 2_000,
            leader_seed: 1,
            follower_seed: 2,
            statement_mode: StatementMode::Verbatim,
            physical_follower_engine: EngineVersion(15),
        }
    }
}

/// The reader's buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Run(Operation),
    /// Two sessions insert at once: `first` is assigned its id first, but `second` commits first, so every log
    /// written in commit order carries `second` before `first`.
    ConcurrentInserts {
        first: NewUser,
        second: NewUser,
    },
    /// Switches the leader between shipping statements verbatim and with literal values, from now on.
    SetStatementMode(StatementMode),
    /// Rebuilds the statement follower from a fresh snapshot of the leader.
    ResyncStatementFollower,
}

/// Whether a follower matches the leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaStatus {
    InSync,
    Diverged {
        differences: usize,
    },
    /// It hit a record it could not apply and stopped there, as a real replica does.
    Stopped {
        error: ApplyError,
    },
}

/// A follower as the widgets draw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub format: LogFormat,
    pub rows: Vec<RowView>,
    pub status: ReplicaStatus,
    pub divergences: Vec<Divergence>,
    /// Records (or statements) applied.
    pub applied: u64,
}

/// One operation's representations, in the order the statement log shipped them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipped {
    pub at: Time,
    pub representations: Representations,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Follower {
    table: Table,
    stopped: Option<ApplyError>,
    applied: u64,
}

impl Follower {
    fn new(table: Table) -> Follower {
        Follower { table, stopped: None, applied: 0 }
    }
}

/// A leader and one follower per log format, plus a search index fed by change data capture, driven by the
/// reader's operations. Every follower is compared with the leader after each action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    config: Config,
    now: Time,
    leader_rng: Rng,
    follower_rng: Rng,
    leader: Table,
    statement: Follower,
    physical: Follower,
    logical: Follower,
    trigger: Follower,
    search: SearchIndex,
    search_stopped: Option<ApplyError>,
    history: Vec<Shipped>,
    history_dropped: u64,
    trace: Trace,
}

impl Comparison {
    /// Starts every follower, and the search index, from a snapshot of `table`.
    pub fn new(table: Table, config: Config) -> Comparison {
        let config = Config {
            op_interval_ms: config.op_interval_ms.min(OP_INTERVAL_MS_MAX),
            follower_now_offset_ms: config
                .follower_now_offset_ms
                .clamp(-FOLLOWER_OFFSET_MS_MAX, FOLLOWER_OFFSET_MS_MAX),
            ..config
        };
        let mut physical = table.clone();
        physical.engine = config.physical_follower_engine;
        let mut comparison = Comparison {
            now: Time::ZERO,
            leader_rng: Rng::new(config.leader_seed),
            follower_rng: Rng::new(config.follower_seed),
            statement: Follower::new(table.clone()),
            physical: Follower::new(physical),
            logical: Follower::new(table.clone()),
            trigger: Follower::new(table.clone()),
            search: SearchIndex::from_table(&table),
            search_stopped: None,
            history: Vec::new(),
            history_dropped: 0,
            trace: Trace::default(),
            leader: table,
            config,
        };
        let rows = comparison.leader.len();
        comparison.note(
            Salience::Key,
            format!(
                "The leader and four followers start from the same {rows} rows; each follower is fed by one log \
                 format: statements, physical WAL, logical row changes, trigger audit rows."
            ),
        );
        if config.physical_follower_engine != comparison.leader.engine {
            let (leader, follower) = (comparison.leader.engine, config.physical_follower_engine);
            comparison.note(
                Salience::Key,
                format!("The physical follower runs storage {follower} while the leader writes {leader}."),
            );
        }
        comparison
    }

    /// The course's table with the default settings.
    pub fn course_example() -> Comparison {
        Comparison::new(Table::course_example(), Config::default())
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Time since the first operation.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The leader's `NOW()` for the next operation.
    pub fn leader_now(&self) -> Timestamp {
        self.config.start.offset_ms(i64::try_from(self.now.as_ms()).unwrap_or(i64::MAX))
    }

    pub fn leader(&self) -> &Table {
        &self.leader
    }

    pub fn follower(&self, format: LogFormat) -> &Table {
        &self.follower_ref(format).table
    }

    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    /// The search index's differences from the leader, and whether it stopped on a record.
    pub fn search_status(&self) -> ReplicaStatus {
        status(self.search_stopped, &self.search.diff(&self.leader))
    }

    pub fn status(&self, format: LogFormat) -> ReplicaStatus {
        let follower = self.follower_ref(format);
        status(follower.stopped, &self.leader.diff(&follower.table))
    }

    /// The four followers, in [`LogFormat::ALL`] order.
    pub fn replicas(&self) -> Vec<ReplicaView> {
        LogFormat::ALL
            .iter()
            .map(|&format| {
                let follower = self.follower_ref(format);
                let divergences = self.leader.diff(&follower.table);
                ReplicaView {
                    format,
                    rows: follower.table.row_views(),
                    status: status(follower.stopped, &divergences),
                    divergences,
                    applied: follower.applied,
                }
            })
            .collect()
    }

    /// The last [`HISTORY_MAX`] operations' representations, oldest first.
    pub fn history(&self) -> &[Shipped] {
        &self.history
    }

    /// Entries of the history dropped to stay within [`HISTORY_MAX`].
    pub fn history_dropped(&self) -> u64 {
        self.history_dropped
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// What `op` would produce if it ran next, without running it.
    pub fn preview(&self, op: &Operation) -> Result<Representations, OpError> {
        let ctx = Context {
            leader_rand_seed: self.leader_rng.clone().next_u64(),
            follower_rand_seed: self.follower_rng.clone().next_u64(),
            ..self.context_without_seeds()
        };
        render(op, &self.leader, &ctx)
    }

    /// Applies one reader action. A rejected operation changes nothing but the trace, which says why. The
    /// leader's clock moves on by [`Config::op_interval_ms`] after every action that ran something.
    pub fn apply(&mut self, action: &Action) -> Result<(), OpError> {
        let shipped_before = self.shipped();
        let result = match action {
            Action::Run(op) => self.run(op),
            Action::ConcurrentInserts { first, second } => self.concurrent_inserts(first, second),
            Action::SetStatementMode(mode) => {
                self.set_statement_mode(*mode);
                return Ok(());
            }
            Action::ResyncStatementFollower => {
                self.statement = Follower::new(self.leader.clone());
                let rows = self.leader.len();
                self.note(
                    Salience::Key,
                    format!("The statement follower is rebuilt from a snapshot of the leader's {rows} rows."),
                );
                return Ok(());
            }
        };
        if self.shipped() > shipped_before {
            self.now = self.now + self.config.op_interval_ms;
        }
        result
    }

    /// Operations shipped so far.
    pub fn shipped(&self) -> u64 {
        self.history_dropped + self.history.len() as u64
    }

    /// One line per node, for snapshot tests and debugging.
    pub fn render_state(&self) -> String {
        let mut out = format!(
            "leader     {} rows, next id {}, next LSN {}, xid {}\n",
            self.leader.len(),
            self.leader.next_id,
            format_lsn(self.leader.next_lsn),
            self.leader.next_xid
        );
        for format in LogFormat::ALL {
            let follower = self.follower_ref(format);
            let line = status_line(&self.status(format), &self.leader.diff(&follower.table));
            out.push_str(&format!("{:<10} {} rows, {line}\n", format.name(), follower.table.len()));
        }
        let line = status_line(&self.search_status(), &self.search.diff(&self.leader));
        out.push_str(&format!(
            "{:<10} {} docs, {} terms, {line}\n",
            "search",
            self.search.len(),
            self.search.term_count()
        ));
        out
    }

    fn follower_ref(&self, format: LogFormat) -> &Follower {
        match format {
            LogFormat::Statement => &self.statement,
            LogFormat::Physical => &self.physical,
            LogFormat::Logical => &self.logical,
            LogFormat::Trigger => &self.trigger,
        }
    }

    fn note(&mut self, salience: Salience, text: impl Into<String>) {
        self.trace.push(self.now, salience, text);
    }

    /// The context for the next statement: each node's `RAND()` gets a fresh seed from its own generator.
    fn next_context(&mut self) -> Context {
        Context {
            leader_rand_seed: self.leader_rng.next_u64(),
            follower_rand_seed: self.follower_rng.next_u64(),
            ..self.context_without_seeds()
        }
    }

    fn context_without_seeds(&self) -> Context {
        Context {
            leader_now: self.leader_now(),
            follower_now_offset_ms: self.config.follower_now_offset_ms,
            leader_rand_seed: 0,
            follower_rand_seed: 0,
            statement_mode: self.config.statement_mode,
        }
    }

    fn set_statement_mode(&mut self, mode: StatementMode) {
        self.config.statement_mode = mode;
        let text = match mode {
            StatementMode::Verbatim => "From now on the leader ships statements exactly as the client wrote them.",
            StatementMode::LiteralValues => {
                "From now on the leader ships statements with its own values in place of NOW(), RAND() and \
                 AUTO_INCREMENT."
            }
        };
        self.note(Salience::Key, text);
    }

    /// Executes on the leader: render, then apply its own WAL record (write-ahead: log first, then the page).
    fn execute_on_leader(&mut self, op: &Operation) -> Result<(Representations, u64), OpError> {
        let generators = (self.leader_rng.clone(), self.follower_rng.clone());
        let ctx = self.next_context();
        let reps = match render(op, &self.leader, &ctx) {
            Ok(reps) => reps,
            Err(e) => {
                // A rejected statement draws nothing: the next one sees the same seeds.
                (self.leader_rng, self.follower_rng) = generators;
                self.note(Salience::Key, format!("The leader rejects {}: {e}.", op.sql()));
                return Err(e);
            }
        };
        if let Some(wal) = &reps.wal {
            if self.leader.apply_wal(wal).is_err() {
                self.note(Salience::Key, "The leader cannot apply its own WAL record; nothing changes.");
                return Err(OpError::Inconsistent);
            }
        }
        let what = match &reps.change {
            None => "no row matches, so only the statement log records it".to_owned(),
            Some(RowChange::Insert { after }) => format!("row {} is inserted", after.id),
            Some(RowChange::Delete { before }) => format!("row {} is deleted", before.id),
            Some(RowChange::Update { before, after }) => {
                let columns: Vec<&str> = Row::changed_columns(before, after).iter().map(|c| c.name()).collect();
                format!("row {} changes {}", after.id, columns.join(", "))
            }
        };
        let wal = reps.wal.as_ref().map_or(String::new(), |w| format!(" (WAL {})", format_lsn(w.lsn)));
        self.note(Salience::Key, format!("The leader runs {} at {}: {what}{wal}.", reps.sql, reps.leader_now));
        Ok((reps, ctx.follower_rand_seed))
    }

    fn run(&mut self, op: &Operation) -> Result<(), OpError> {
        let before = self.leader.diff(&self.statement.table);
        let (reps, seed) = self.execute_on_leader(op)?;
        self.ship_wal(&reps);
        self.ship_in_commit_order(&reps, seed);
        self.narrate_statement_follower(&before);
        self.record(reps);
        Ok(())
    }

    fn concurrent_inserts(&mut self, first: &NewUser, second: &NewUser) -> Result<(), OpError> {
        let before = self.leader.diff(&self.statement.table);
        let (a, seed_a) = self.execute_on_leader(&Operation::Insert(first.clone()))?;
        let b = self.execute_on_leader(&Operation::Insert(second.clone()));
        let (b, seed_b) = match b {
            Ok(b) => b,
            Err(e) => {
                // Only the first insert happened; ship it alone.
                self.ship_wal(&a);
                self.ship_in_commit_order(&a, seed_a);
                self.narrate_statement_follower(&before);
                self.record(a);
                return Err(e);
            }
        };
        let id = |r: &Representations| r.change.as_ref().map_or(RowId(0), RowChange::id);
        self.note(
            Salience::Key,
            format!(
                "The two inserts ran concurrently: {} got id {} and {} got id {}, but {}'s transaction commits \
                 first, so the statement, logical and trigger logs carry it first.",
                first.name,
                id(&a),
                second.name,
                id(&b),
                second.name
            ),
        );
        // The WAL is written as changes happen; everything else is ordered by commit.
        self.ship_wal(&a);
        self.ship_wal(&b);
        self.ship_in_commit_order(&b, seed_b);
        self.ship_in_commit_order(&a, seed_a);
        self.narrate_statement_follower(&before);
        self.record(b);
        self.record(a);
        Ok(())
    }

    fn ship_wal(&mut self, reps: &Representations) {
        let Some(wal) = &reps.wal else {
            return;
        };
        if self.physical.stopped.is_some() {
            return;
        }
        match self.physical.table.apply_wal(wal) {
            Ok(()) => {
                self.physical.applied += 1;
                let text = format!(
                    "The physical follower replays WAL {} ({} bytes) at block {} offset {}.",
                    format_lsn(wal.lsn),
                    wal.total_bytes(),
                    wal.block,
                    wal.offset
                );
                self.note(Salience::Routine, text);
            }
            Err(e) => {
                self.physical.stopped = Some(e);
                let text = format!("The physical follower cannot replay WAL {}: {e}; it stops.", format_lsn(wal.lsn));
                self.note(Salience::Key, text);
            }
        }
    }

    /// Ships to every follower whose log is ordered by commit: statement, logical (and the search index), trigger.
    fn ship_in_commit_order(&mut self, reps: &Representations, follower_seed: u64) {
        if self.statement.stopped.is_none() {
            let follower_now = self.leader_now().offset_ms(self.config.follower_now_offset_ms);
            let mut rng = Rng::new(follower_seed);
            match replay_statement(&reps.statement, &mut self.statement.table, follower_now, &mut rng) {
                Ok(_) => {
                    self.statement.applied += 1;
                    let text = format!("The statement follower replays \"{}\" at {follower_now}.", reps.statement.sql);
                    self.note(Salience::Routine, text);
                }
                Err(e) => {
                    self.statement.stopped = Some(e);
                    let text =
                        format!("The statement follower fails to replay \"{}\": {e}; it stops.", reps.statement.sql);
                    self.note(Salience::Key, text);
                }
            }
        }
        if let Some(record) = &reps.logical {
            if self.logical.stopped.is_none() {
                match self.logical.table.apply_logical(record) {
                    Ok(()) => {
                        self.logical.applied += 1;
                        let text =
                            format!("The logical follower applies the {} of row {} by key.", record.kind, record.key);
                        self.note(Salience::Routine, text);
                    }
                    Err(e) => {
                        self.logical.stopped = Some(e);
                        self.note(Salience::Key, format!("The logical follower cannot apply a change: {e}; it stops."));
                    }
                }
            }
            if self.search_stopped.is_none() {
                match self.search.apply(record) {
                    Ok(()) => {
                        let text = format!(
                            "The search index applies the {} of row {} from LSN {}; it holds {} documents.",
                            record.kind,
                            record.key,
                            format_lsn(record.lsn),
                            self.search.len()
                        );
                        self.note(Salience::Routine, text);
                    }
                    Err(e) => {
                        self.search_stopped = Some(e);
                        self.note(Salience::Key, format!("The search index cannot apply a change: {e}; it stops."));
                    }
                }
            }
        }
        if let Some(audit) = &reps.trigger {
            if self.trigger.stopped.is_none() {
                match self.trigger.table.apply_audit(audit) {
                    Ok(()) => {
                        self.trigger.applied += 1;
                        let text = format!("The trigger follower applies the audit row for row {}.", audit.pk);
                        self.note(Salience::Routine, text);
                    }
                    Err(e) => {
                        self.trigger.stopped = Some(e);
                        self.note(
                            Salience::Key,
                            format!("The trigger follower cannot apply an audit row: {e}; it stops."),
                        );
                    }
                }
            }
        }
    }

    /// Narrates what the last operation did to the statement follower, given its differences before it.
    fn narrate_statement_follower(&mut self, before: &[Divergence]) {
        if self.statement.stopped.is_some() {
            return;
        }
        let divergences = self.leader.diff(&self.statement.table);
        let new: Vec<&Divergence> = divergences.iter().filter(|d| !before.contains(d)).collect();
        if let Some(first) = new.first() {
            let text = format!(
                "The statement follower diverges: {}; {} new difference(s), {} in all.",
                first.describe(),
                new.len(),
                divergences.len()
            );
            self.note(Salience::Key, text);
        } else if divergences.is_empty() {
            self.note(Salience::Routine, "The statement follower matches the leader.");
        } else {
            let text =
                format!("The statement follower still differs from the leader in {} value(s).", divergences.len());
            self.note(Salience::Routine, text);
        }
    }

    fn record(&mut self, representations: Representations) {
        if self.history.len() >= HISTORY_MAX {
            self.history.remove(0);
            self.history_dropped += 1;
        }
        self.history.push(Shipped { at: self.now, representations });
    }
}

fn status(stopped: Option<ApplyError>, divergences: &[Divergence]) -> ReplicaStatus {
    match stopped {
        Some(error) => ReplicaStatus::Stopped { error },
        None if divergences.is_empty() => ReplicaStatus::InSync,
        None => ReplicaStatus::Diverged { differences: divergences.len() },
    }
}

fn status_line(status: &ReplicaStatus, divergences: &[Divergence]) -> String {
    match status {
        ReplicaStatus::InSync => "in sync".to_owned(),
        ReplicaStatus::Diverged { differences } => {
            let first = divergences.first().map(Divergence::describe).unwrap_or_default();
            format!("{differences} difference(s), first: {first}")
        }
        ReplicaStatus::Stopped { error } => format!("stopped: {error}"),
    }
}
