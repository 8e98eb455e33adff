//! Conflict-free replicated data types: the G-Counter (chapters 5 and 7), with a PN-Counter and a last-write-wins
//! register for comparison.
//!
//! What it simulates: replicas that update their own copy without coordinating and later exchange whole states.
//! A merge that is idempotent, commutative and associative makes every replica that has seen the same updates
//! hold the same state, whatever order and however often states arrive — the tests check exactly that.
//!
//! - [`GCounter`]: one count per replica; `increment` touches only the local entry, `value` is the sum, `merge`
//!   takes each entry's maximum. It *is* a version vector read as a sum, so it is built on [`VersionVector`].
//! - [`PnCounter`]: two G-Counters, increments and decrements; the value is their difference.
//! - [`LwwRegister`]: keeps the write with the highest `(timestamp, replica)` and silently drops the other — it
//!   converges, but loses data, which [`LwwMerge`] reports.
//!
//! What it simplifies: states are exchanged whole (state-based CRDTs), with no network model; the widget or test
//! decides who sends what to whom and when. Timestamps are logical milliseconds the caller supplies, so clock skew
//! is whatever the caller makes it.
//!
//! ```
//! use sim::crdt::GCounter;
//! use sim::version_vector::ReplicaId;
//!
//! let (va_id, eu_id) = (ReplicaId::new("VA")?, ReplicaId::new("EU")?);
//! let (mut va, mut eu) = (GCounter::new(), GCounter::new());
//! va.increment_by(&va_id, 5)?;
//! eu.increment_by(&eu_id, 3)?;
//! va.merge(&eu);
//! eu.merge(&va);
//! assert_eq!((va.value(), eu.value()), (8, 8));
//! assert_eq!(va, eu);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use crate::time::Time;
use crate::version_vector::{ClockError, ReplicaId, VersionVector};

/// A grow-only counter: one count per replica, merged by taking each entry's maximum, so no increment is ever
/// lost or counted twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GCounter {
    counts: VersionVector,
}

impl GCounter {
    pub fn new() -> GCounter {
        GCounter::default()
    }

    /// One more event counted at `replica`. Returns that replica's count.
    pub fn increment(&mut self, replica: &ReplicaId) -> Result<u64, ClockError> {
        self.counts.increment(replica)
    }

    /// `n` more events at `replica` (the course's loop of `increment()` calls, in one go).
    pub fn increment_by(&mut self, replica: &ReplicaId, n: u64) -> Result<u64, ClockError> {
        self.counts.increment_by(replica, n)
    }

    /// The count: the sum of every replica's entry (saturating at `u64::MAX`).
    pub fn value(&self) -> u64 {
        self.counts.entries().fold(0u64, |sum, (_, n)| sum.saturating_add(n))
    }

    /// The count contributed by `replica` (0 if it has counted nothing).
    pub fn count_of(&self, replica: &str) -> u64 {
        self.counts.get(replica)
    }

    /// Per-replica counts, as a version vector (`{EU:3, VA:5}`).
    pub fn counts(&self) -> &VersionVector {
        &self.counts
    }

    /// Takes each entry's maximum, in place.
    pub fn merge(&mut self, other: &GCounter) {
        self.counts.merge(&other.counts);
    }

    pub fn merged(&self, other: &GCounter) -> GCounter {
        let mut out = self.clone();
        out.merge(other);
        out
    }

    /// What merging `other` into this counter does, one sentence per replica: "VA: max(5, 0) = 5."
    pub fn explain_merge(&self, other: &GCounter) -> Vec<String> {
        let comparison = self.counts.compare(&other.counts);
        let mut lines: Vec<String> = comparison
            .entries
            .iter()
            .map(|e| format!("{}: max({}, {}) = {}.", e.replica, e.left, e.right, e.left.max(e.right)))
            .collect();
        let merged = self.merged(other);
        lines.push(format!(
            "The merged count is {}, where adding the two totals ({} + {}) would have said {}.",
            merged.value(),
            self.value(),
            other.value(),
            self.value().saturating_add(other.value())
        ));
        lines
    }
}

impl PartialOrd for GCounter {
    /// `None` when each has counted something the other has not (concurrent states).
    fn partial_cmp(&self, other: &GCounter) -> Option<Ordering> {
        self.counts.partial_cmp(&other.counts)
    }
}

impl fmt::Display for GCounter {
    /// `{EU:3, VA:5} = 8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.counts, self.value())
    }
}

/// A counter that can go down: increments and decrements are two G-Counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnCounter {
    pub increments: GCounter,
    pub decrements: GCounter,
}

impl PnCounter {
    pub fn new() -> PnCounter {
        PnCounter::default()
    }

    pub fn increment(&mut self, replica: &ReplicaId) -> Result<(), ClockError> {
        self.increments.increment(replica).map(|_| ())
    }

    pub fn decrement(&mut self, replica: &ReplicaId) -> Result<(), ClockError> {
        self.decrements.increment(replica).map(|_| ())
    }

    /// Increments minus decrements; `i128` holds any difference of two `u64`s.
    pub fn value(&self) -> i128 {
        i128::from(self.increments.value()) - i128::from(self.decrements.value())
    }

    pub fn merge(&mut self, other: &PnCounter) {
        self.increments.merge(&other.increments);
        self.decrements.merge(&other.decrements);
    }
}

/// When a write happened and where: later timestamps win, and the replica id breaks ties so every replica picks
/// the same winner.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub at: Time,
    pub replica: ReplicaId,
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.replica, self.at)
    }
}

/// What a last-write-wins merge did. Every variant but `Same` means one write was silently thrown away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LwwMerge<V> {
    /// Both held the same write.
    Same,
    /// This register's write was later; the other one is discarded.
    KeptOurs { discarded: V, discarded_stamp: Stamp },
    /// The other write was later and replaces this one.
    TookTheirs { discarded: V, discarded_stamp: Stamp },
}

/// A last-write-wins register: one value, the one with the highest stamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LwwRegister<V> {
    pub value: V,
    pub stamp: Stamp,
}

impl<V: Clone + Ord + fmt::Debug> LwwRegister<V> {
    pub fn new(value: V, at: Time, replica: ReplicaId) -> LwwRegister<V> {
        LwwRegister { value, stamp: Stamp { at, replica } }
    }

    /// A local write; it replaces the value only if its stamp is higher, exactly like a merge.
    pub fn set(&mut self, value: V, at: Time, replica: ReplicaId) -> LwwMerge<V> {
        self.merge(&LwwRegister::new(value, at, replica))
    }

    /// Keeps the higher stamp. Equal stamps with different values (a replica reusing a stamp) keep the larger
    /// value, so replicas still agree.
    pub fn merge(&mut self, other: &LwwRegister<V>) -> LwwMerge<V> {
        let ordering = self.stamp.cmp(&other.stamp).then_with(|| self.value.cmp(&other.value));
        match ordering {
            Ordering::Equal => LwwMerge::Same,
            Ordering::Greater => {
                LwwMerge::KeptOurs { discarded: other.value.clone(), discarded_stamp: other.stamp.clone() }
            }
            Ordering::Less => {
                let discarded = std::mem::replace(&mut self.value, other.value.clone());
                let discarded_stamp = std::mem::replace(&mut self.stamp, other.stamp.clone());
                LwwMerge::TookTheirs { discarded, discarded_stamp }
            }
        }
    }
}

impl<V: fmt::Debug> LwwMerge<V> {
    /// One sentence for the narration: "LWW silently discards "laptop" (Y at t=0.900 s)."
    pub fn describe(&self) -> String {
        match self {
            LwwMerge::Same => "Both copies hold the same write; nothing is lost.".to_owned(),
            LwwMerge::KeptOurs { discarded, discarded_stamp } | LwwMerge::TookTheirs { discarded, discarded_stamp } => {
                format!("LWW silently discards {discarded:?} ({discarded_stamp}).")
            }
        }
    }
}
