//! How stale can a leaderless read be? Probabilistically Bounded Staleness (Bailis et al., VLDB 2012) for
//! chapter 6: the closed form for partial quorums, and the WARS Monte Carlo for staleness in time.
//!
//! **The closed form.** With N replicas, a write that reaches exactly W of them, and a read that asks R replicas
//! picked uniformly at random, the read misses the write when all R replicas come from the N − W that lack it:
//! `p_stale = C(N−W, R) / C(N, R)`, which is 0 when W + R > N (every read set meets every write set). A read that
//! may return any of the last k versions is stale only if it misses all k write sets: `p_stale^k`. The binomials
//! are exact integers (`u128`) for every N up to [`REPLICAS_MAX`]; the only rounding is one final division.
//!
//! **WARS.** Real writes keep spreading after they commit, so the closed form is pessimistic. The WARS model
//! draws, for each replica i, four message delays: W (the write reaching it), A (its acknowledgement coming
//! back), R (a read request reaching it) and S (its response coming back). The write commits when the W-th
//! acknowledgement arrives; a read issued t ms later keeps the first R responses (ordered by R + S) and is
//! consistent if one of those replicas had the write when the read request reached it: `W_i ≤ commit + t + R_i`.
//! Repeating this gives the probability of a consistent read as a function of t, and the latency percentiles of
//! reads and writes, from the production latency fits the paper published ([`Preset`]). When every replica's
//! delays follow the same laws, spreading after the commit only helps and the closed form is a lower bound on
//! consistency. Across data centres it is not: the first acknowledgements come from the writer's data centre and
//! the first answers from the reader's, so the two quorums are anything but independent random sets.
//!
//! What it simplifies, and why: every replica receives every write (the coordinator sends to all N and waits for
//! W), there is one write and no concurrent writers, no replica fails, and message delays are independent draws —
//! exactly the paper's assumptions, which is what lets the book put its numbers next to the paper's. Delays are
//! real numbers of milliseconds (the fits are sub-millisecond), capped at [`LATENCY_MS_MAX`] so a heavy Pareto tail
//! cannot produce an absurd draw. The model is a pure function of its seed: there is no clock and no event queue.
//!
//! ```
//! use sim::staleness::{Preset, Quorum, Wars};
//!
//! // N=3, W=1, R=1: a read misses the write with probability C(2,1)/C(3,1) = 2/3...
//! let quorum = Quorum::new(3, 1, 1)?;
//! assert_eq!(quorum.p_stale_exact().to_string(), "2/3");
//! // ...if nothing spreads after the commit. With LinkedIn's SSD latencies it mostly has, a few ms later.
//! let report = Wars::new(quorum, Preset::LnkdSsd.latencies(), 2_000, 7).run(&[0.0, 10.0])?;
//! assert!(report.points[0].p_consistent > 1.0 - quorum.p_stale());
//! assert!(report.points[1].p_consistent > 0.99);
//! # Ok::<(), sim::staleness::StalenessError>(())
//! ```

use std::fmt;

use crate::maths;
use crate::rng::Rng;
use crate::time::Time;
use crate::trace::{Salience, Trace};

/// The most replicas a quorum may have: a replica set is a 64-bit mask, and every binomial stays exact.
pub const REPLICAS_MAX: u32 = 64;
/// Replica sets are listed one by one up to this many; beyond it they are only counted.
pub const SETS_LISTED_MAX: u128 = 200;
/// The most versions `k` for k-staleness; past a thousand every probability here is 0 to double precision.
pub const K_VERSIONS_MAX: u32 = 1_000;
/// Monte Carlo trials per run at most: half a million take well under a second natively.
pub const TRIALS_MAX: u32 = 500_000;
/// Points of the staleness curve (values of t) per run at most.
pub const TIME_POINTS_MAX: usize = 1_024;
/// No single message delay exceeds a minute; heavier draws of a Pareto tail are cut here.
pub const LATENCY_MS_MAX: f64 = 60_000.0;
/// Data centres in a WAN layout at most.
pub const DATA_CENTRES_MAX: u32 = 16;

/// Input the model refuses, with what was wrong.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StalenessError {
    NoReplicas,
    TooManyReplicas {
        n: u32,
    },
    WriteQuorumOutOfRange {
        w: u32,
        n: u32,
    },
    ReadQuorumOutOfRange {
        r: u32,
        n: u32,
    },
    /// A latency parameter that is not a finite number in its range (`what` names it, e.g. "Pareto alpha").
    BadLatency {
        what: &'static str,
        value: f64,
    },
    /// A WAN layout with no data centre, or more than [`DATA_CENTRES_MAX`].
    BadDataCentres {
        count: u32,
    },
    /// A time after commit that is not a finite number.
    BadTime {
        t_ms: f64,
    },
    TooManyTimePoints {
        points: usize,
    },
    /// A replica set that names a replica outside `0..N`, or has the wrong size for its role.
    BadReplicaSet {
        members: u32,
        expected: u32,
    },
}

impl fmt::Display for StalenessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StalenessError::NoReplicas => f.write_str("a quorum needs at least one replica"),
            StalenessError::TooManyReplicas { n } => {
                write!(f, "N={n} is more than the {REPLICAS_MAX} replicas allowed")
            }
            StalenessError::WriteQuorumOutOfRange { w, n } => write!(f, "W={w} is not between 1 and N={n}"),
            StalenessError::ReadQuorumOutOfRange { r, n } => write!(f, "R={r} is not between 1 and N={n}"),
            StalenessError::BadLatency { what, value } => {
                write!(f, "{what} = {value} is not a usable latency parameter")
            }
            StalenessError::BadDataCentres { count } => {
                write!(f, "{count} data centres is not between 1 and {DATA_CENTRES_MAX}")
            }
            StalenessError::BadTime { t_ms } => write!(f, "t = {t_ms} ms is not a finite time"),
            StalenessError::TooManyTimePoints { points } => {
                write!(f, "{points} time points is more than the {TIME_POINTS_MAX} allowed")
            }
            StalenessError::BadReplicaSet { members, expected } => {
                write!(f, "a replica set of {members} valid replicas where {expected} were expected")
            }
        }
    }
}

impl std::error::Error for StalenessError {}

/// `C(n, k)`, exactly, or `None` if it does not fit in a `u128` (every n ≤ 131 fits).
pub fn binomial(n: u32, k: u32) -> Option<u128> {
    if k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut acc: u128 = 1;
    for i in 0..k {
        // C(n, i + 1) = C(n, i) · (n − i) / (i + 1), exactly. Cancelling the common factor g first means the
        // product never exceeds the result, so nothing overflows unless C(n, i + 1) itself does: (i + 1) / g
        // shares nothing with acc / g, so it divides n − i.
        let (top, bottom) = (u128::from(n - i), u128::from(i + 1));
        let g = gcd(acc, bottom);
        acc = (acc / g).checked_mul(top / (bottom / g))?;
    }
    Some(acc)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    // Euclid on u128 takes at most ~185 steps (Lamé's bound); the loop ends because b strictly decreases.
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// An exact probability, in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    pub numerator: u128,
    pub denominator: u128,
}

impl Fraction {
    /// `numerator / denominator` in lowest terms; a zero denominator is read as 0 (an empty sample space).
    pub fn new(numerator: u128, denominator: u128) -> Fraction {
        if denominator == 0 || numerator == 0 {
            return Fraction { numerator: 0, denominator: 1 };
        }
        let g = gcd(numerator, denominator);
        Fraction { numerator: numerator / g, denominator: denominator / g }
    }

    pub fn to_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.numerator == 0 {
            f.write_str("0")
        } else if self.denominator == 1 {
            write!(f, "{}", self.numerator)
        } else {
            write!(f, "{}/{}", self.numerator, self.denominator)
        }
    }
}

/// Whether every read set must meet every write set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumKind {
    /// W + R > N: by pigeonhole, at least W + R − N replicas are in both sets.
    Strict,
    /// W + R ≤ N: a read can miss the write entirely.
    Partial,
}

/// The replica names of the figures: A, B, … Z, then AA, AB, … as in a spreadsheet.
pub fn replica_name(index: u32) -> String {
    let mut name = Vec::new();
    let mut i = index;
    // At most 2 letters below 702; u32 needs at most 7. The bound makes termination obvious.
    for _ in 0..8 {
        name.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// A set of replicas, numbered from 0 (replica 0 is "A"), as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaSet(pub u64);

impl ReplicaSet {
    pub fn from_members(members: &[u32]) -> ReplicaSet {
        ReplicaSet(members.iter().filter(|&&i| i < REPLICAS_MAX).fold(0, |mask, &i| mask | 1 << i))
    }

    /// The replicas `0..n` (all of them, for a quorum of N = n).
    pub fn all(n: u32) -> ReplicaSet {
        if n >= 64 {
            ReplicaSet(u64::MAX)
        } else {
            ReplicaSet((1u64 << n) - 1)
        }
    }

    pub fn contains(self, replica: u32) -> bool {
        replica < REPLICAS_MAX && self.0 & (1 << replica) != 0
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Replica numbers in increasing order.
    pub fn members(self) -> Vec<u32> {
        (0..REPLICAS_MAX).filter(|&i| self.contains(i)).collect()
    }

    pub fn intersection(self, other: ReplicaSet) -> ReplicaSet {
        ReplicaSet(self.0 & other.0)
    }

    pub fn overlaps(self, other: ReplicaSet) -> bool {
        !self.intersection(other).is_empty()
    }
}

impl fmt::Display for ReplicaSet {
    /// `{A, C}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.members().into_iter().map(replica_name).collect();
        write!(f, "{{{}}}", names.join(", "))
    }
}

/// Replica sets of one size: listed when there are at most [`SETS_LISTED_MAX`], otherwise only counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaSets {
    /// In lexicographic order of their members: {A, B}, {A, C}, {B, C}.
    Listed(Vec<ReplicaSet>),
    Counted(u128),
}

impl ReplicaSets {
    pub fn count(&self) -> u128 {
        match self {
            ReplicaSets::Listed(sets) => sets.len() as u128,
            ReplicaSets::Counted(count) => *count,
        }
    }
}

/// Every `k`-subset of `universe`, listed if there are few enough.
fn subsets(universe: ReplicaSet, k: u32) -> ReplicaSets {
    let pool = universe.members();
    let n = pool.len() as u32;
    let count = binomial(n, k).unwrap_or(u128::MAX);
    if count > SETS_LISTED_MAX {
        return ReplicaSets::Counted(count);
    }
    if k > n {
        return ReplicaSets::Listed(Vec::new());
    }
    let k = k as usize;
    let mut picks: Vec<usize> = (0..k).collect();
    let mut sets = Vec::new();
    // Lexicographic combinations; `count` is at most SETS_LISTED_MAX, which bounds the loop.
    for _ in 0..count {
        sets.push(ReplicaSet(picks.iter().fold(0, |mask, &p| mask | 1 << pool[p])));
        let Some(i) = (0..k).rev().find(|&i| picks[i] < pool.len() - k + i) else { break };
        picks[i] += 1;
        for j in i + 1..k {
            picks[j] = picks[j - 1] + 1;
        }
    }
    ReplicaSets::Listed(sets)
}

/// A validated quorum configuration: N replicas, writes wait for W, reads for R.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quorum {
    n: u32,
    w: u32,
    r: u32,
}

impl Quorum {
    pub fn new(n: u32, w: u32, r: u32) -> Result<Quorum, StalenessError> {
        if n == 0 {
            return Err(StalenessError::NoReplicas);
        }
        if n > REPLICAS_MAX {
            return Err(StalenessError::TooManyReplicas { n });
        }
        if !(1..=n).contains(&w) {
            return Err(StalenessError::WriteQuorumOutOfRange { w, n });
        }
        if !(1..=n).contains(&r) {
            return Err(StalenessError::ReadQuorumOutOfRange { r, n });
        }
        Ok(Quorum { n, w, r })
    }

    /// The nearest valid quorum, for sliders: N into 1..=64, then W and R into 1..=N.
    pub fn clamped(n: u32, w: u32, r: u32) -> Quorum {
        let n = n.clamp(1, REPLICAS_MAX);
        Quorum { n, w: w.clamp(1, n), r: r.clamp(1, n) }
    }

    pub fn n(self) -> u32 {
        self.n
    }

    pub fn w(self) -> u32 {
        self.w
    }

    pub fn r(self) -> u32 {
        self.r
    }

    pub fn kind(self) -> QuorumKind {
        if self.w + self.r > self.n {
            QuorumKind::Strict
        } else {
            QuorumKind::Partial
        }
    }

    /// The fewest replicas any read set shares with any write set: W + R − N, or 0.
    pub fn overlap_min(self) -> u32 {
        (self.w + self.r).saturating_sub(self.n)
    }

    /// The smallest R that makes every read meet every write: N − W + 1.
    pub fn min_strict_read_quorum(self) -> u32 {
        self.n - self.w + 1
    }

    /// The smallest W that makes every read meet every write: N − R + 1.
    pub fn min_strict_write_quorum(self) -> u32 {
        self.n - self.r + 1
    }

    /// Replicas that can be down while reads still gather R answers: N − R.
    pub fn read_failures_tolerated(self) -> u32 {
        self.n - self.r
    }

    /// Replicas that can be down while writes still gather W acknowledgements: N − W.
    pub fn write_failures_tolerated(self) -> u32 {
        self.n - self.w
    }

    /// Probability that a read set chosen uniformly misses a given write set: C(N−W, R) / C(N, R), exactly.
    pub fn p_stale_exact(self) -> Fraction {
        // N ≤ 64, and C(64, 32) < 2^61: both fit with room to spare.
        let missing = binomial(self.n - self.w, self.r).unwrap_or(0);
        let all = binomial(self.n, self.r).unwrap_or(1);
        Fraction::new(missing, all)
    }

    pub fn p_stale(self) -> f64 {
        self.p_stale_exact().to_f64()
    }

    /// Probability that a read returns something older than the last `k` versions (k-staleness): every one of
    /// the k most recent write sets is missed, `p_stale^k`. `k` is clamped to 1..=[`K_VERSIONS_MAX`].
    pub fn p_older_than_versions(self, k: u32) -> f64 {
        let k = k.clamp(1, K_VERSIONS_MAX);
        self.p_stale().powi(k as i32)
    }

    /// Every write set of W replicas (in lexicographic order), or their number C(N, W) if above 200.
    pub fn write_sets(self) -> ReplicaSets {
        subsets(ReplicaSet::all(self.n), self.w)
    }

    /// Every read set of R replicas, or their number C(N, R) if above 200.
    pub fn read_sets(self) -> ReplicaSets {
        subsets(ReplicaSet::all(self.n), self.r)
    }

    /// The read sets that miss `write` entirely (C(N−W, R) of them), for the calculator to highlight.
    pub fn read_sets_missing(self, write: ReplicaSet) -> Result<ReplicaSets, StalenessError> {
        let valid = write.intersection(ReplicaSet::all(self.n));
        if valid != write || write.len() != self.w {
            return Err(StalenessError::BadReplicaSet { members: valid.len(), expected: self.w });
        }
        let outside = ReplicaSet(ReplicaSet::all(self.n).0 & !write.0);
        Ok(subsets(outside, self.r))
    }

    /// One sentence for the narration: whether reads meet writes, and what failures each side survives.
    pub fn describe(self) -> String {
        let Quorum { n, w, r } = self;
        let failures = format!(
            "writes survive {} down, reads survive {} down",
            plural(self.write_failures_tolerated(), "replica"),
            plural(self.read_failures_tolerated(), "replica")
        );
        match self.kind() {
            QuorumKind::Strict => format!(
                "N={n}, W={w}, R={r}: {w} + {r} = {} > {n}, so every read set shares at least {} with every \
                 write set; {failures}.",
                w + r,
                plural(self.overlap_min(), "replica")
            ),
            QuorumKind::Partial => format!(
                "N={n}, W={w}, R={r}: {w} + {r} = {} ≤ {n}, so a read misses the latest write with probability \
                 {} ({}); {failures}.",
                w + r,
                self.p_stale_exact(),
                percent(self.p_stale())
            ),
        }
    }
}

impl fmt::Display for Quorum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N={}, W={}, R={}", self.n, self.w, self.r)
    }
}

fn plural(count: u32, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A probability as a percentage with enough decimals to show small values: "66.7 %", "0.0042 %".
pub fn percent(p: f64) -> String {
    let pct = if p.is_finite() { p.clamp(0.0, 1.0) * 100.0 } else { 0.0 };
    if pct == 0.0 || pct == 100.0 {
        return format!("{pct:.0} %");
    }
    let shown = pct.min(100.0 - pct);
    // One decimal for ordinary values; for tiny values (or values a hair from 100 %) two significant digits.
    let decimals = if shown >= 0.1 { 1 } else { ((-shown.log10() - 1e-9).ceil() as usize + 1).min(12) };
    format!("{pct:.decimals$} %")
}

/// One of the two laws the paper fits to measured latencies, or a fixed delay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Constant {
        ms: f64,
    },
    /// Mean 1/λ ms.
    Exponential {
        lambda_per_ms: f64,
    },
    /// `x_m · U^(−1/α)`: never below `x_m`, with a tail that is heavier the smaller α is.
    Pareto {
        x_m_ms: f64,
        alpha: f64,
    },
}

/// Keeps a draw a finite number of milliseconds in [0, LATENCY_MS_MAX], whatever the parameters were. Never −0
/// either (adding +0 turns it into +0), so plain comparisons of draws order them as `total_cmp` does.
fn sane_ms(ms: f64) -> f64 {
    if ms.is_nan() {
        0.0
    } else {
        ms.clamp(0.0, LATENCY_MS_MAX) + 0.0
    }
}

fn positive(what: &'static str, value: f64) -> Result<(), StalenessError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(StalenessError::BadLatency { what, value })
    }
}

impl Shape {
    /// One delay in ms. Invalid parameters give 0 or [`LATENCY_MS_MAX`], never a panic or a NaN. See [`Law`].
    pub fn sample(self, rng: &mut Rng) -> f64 {
        Law::of(self).sample(maths::Maths::get(), rng)
    }

    pub fn validate(self) -> Result<(), StalenessError> {
        match self {
            Shape::Constant { ms } if ms.is_finite() && (0.0..=LATENCY_MS_MAX).contains(&ms) => Ok(()),
            Shape::Constant { ms } => Err(StalenessError::BadLatency { what: "constant delay", value: ms }),
            Shape::Exponential { lambda_per_ms } => positive("exponential lambda", lambda_per_ms),
            Shape::Pareto { x_m_ms, alpha } => {
                positive("Pareto x_m", x_m_ms)?;
                positive("Pareto alpha", alpha)
            }
        }
    }

    /// The median in ms: ln 2 / λ for the exponential, x_m · 2^(1/α) for the Pareto.
    pub fn median_ms(self) -> f64 {
        match self {
            Shape::Constant { ms } => sane_ms(ms),
            Shape::Exponential { lambda_per_ms } => sane_ms(std::f64::consts::LN_2 / lambda_per_ms),
            Shape::Pareto { x_m_ms, alpha } => sane_ms(x_m_ms * 2f64.powf(1.0 / alpha)),
        }
    }
}

/// The delay of one kind of message: a single law, or a mixture of two as the paper fits them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LatencyDist {
    Single(Shape),
    /// `first_share` of the draws (in [0, 1]) come from `first`, the rest from `second`.
    Mixture {
        first_share: f64,
        first: Shape,
        second: Shape,
    },
}

impl LatencyDist {
    pub const fn exponential(lambda_per_ms: f64) -> LatencyDist {
        LatencyDist::Single(Shape::Exponential { lambda_per_ms })
    }

    pub const fn constant(ms: f64) -> LatencyDist {
        LatencyDist::Single(Shape::Constant { ms })
    }

    pub fn sample(self, rng: &mut Rng) -> f64 {
        Sampler::of(self).sample(maths::Maths::get(), rng)
    }

    pub fn validate(self) -> Result<(), StalenessError> {
        match self {
            LatencyDist::Single(shape) => shape.validate(),
            LatencyDist::Mixture { first_share, first, second } => {
                if !(first_share.is_finite() && (0.0..=1.0).contains(&first_share)) {
                    return Err(StalenessError::BadLatency { what: "mixture share", value: first_share });
                }
                first.validate()?;
                second.validate()
            }
        }
    }
}

/// A [`Shape`] made ready for the inner loop, where the WARS run draws millions of delays: the divisions by λ
/// and α are turned into multiplications by their reciprocals, worked out once.
///
/// Both laws are drawn from a standard exponential E (by [`maths::Maths::standard_exponential`], a ziggurat):
/// the exponential as E · (1/λ), the Pareto as `x_m · e^(E/α)`, which is `x_m · U^(−1/α)` for U = e^−E uniform.
/// [`maths::Maths::exp`] rather than `f64::exp`, which calls the platform's maths library natively and a port of
/// musl's in wasm; the two may differ in the last bit, and a seed must give the same run in both.
#[derive(Clone, Copy, Debug)]
enum Law {
    Constant { ms: f64 },
    Exponential { mean_ms: f64 },
    Pareto { x_m_ms: f64, inverse_alpha: f64 },
}

impl Law {
    fn of(shape: Shape) -> Law {
        match shape {
            Shape::Constant { ms } => Law::Constant { ms: sane_ms(ms) },
            Shape::Exponential { lambda_per_ms } => Law::Exponential { mean_ms: 1.0 / lambda_per_ms },
            Shape::Pareto { x_m_ms, alpha } => Law::Pareto { x_m_ms, inverse_alpha: 1.0 / alpha },
        }
    }

    #[inline(always)]
    fn sample(&self, maths: maths::Maths, rng: &mut Rng) -> f64 {
        sane_ms(self.sample_unclamped(maths, rng))
    }

    /// A draw that may still be infinite or NaN (from extreme parameters): for callers that add to it and
    /// then clamp once, with the same result as clamping twice.
    #[inline(always)]
    fn sample_unclamped(&self, maths: maths::Maths, rng: &mut Rng) -> f64 {
        match *self {
            Law::Constant { ms } => ms,
            Law::Exponential { mean_ms } => maths.standard_exponential(rng) * mean_ms,
            Law::Pareto { x_m_ms, inverse_alpha } => {
                x_m_ms * maths.exp(maths.standard_exponential(rng) * inverse_alpha)
            }
        }
    }
}

/// A [`LatencyDist`] made ready for the inner loop. A mixture's choice compares the top 53 bits of one random
/// number, as an integer, with the share scaled to 2^53 and rounded up: exactly `Rng::chance`, which compares
/// them as a float in [0, 1), without the conversion.
#[derive(Clone, Copy, Debug)]
struct Sampler {
    /// `None` for a single law, which draws no random number for the choice.
    first_below: Option<u64>,
    first: Law,
    second: Law,
}

impl Sampler {
    fn of(dist: LatencyDist) -> Sampler {
        match dist {
            LatencyDist::Single(shape) => Sampler { first_below: None, first: Law::of(shape), second: Law::of(shape) },
            LatencyDist::Mixture { first_share, first, second } => Sampler {
                // A NaN share picks the second law, as `Rng::chance` would.
                first_below: Some(if first_share.is_nan() {
                    0
                } else {
                    (first_share.clamp(0.0, 1.0) * (1u64 << 53) as f64).ceil() as u64
                }),
                first: Law::of(first),
                second: Law::of(second),
            },
        }
    }

    #[inline(always)]
    fn sample(&self, maths: maths::Maths, rng: &mut Rng) -> f64 {
        sane_ms(self.sample_unclamped(maths, rng))
    }

    #[inline(always)]
    fn sample_unclamped(&self, maths: maths::Maths, rng: &mut Rng) -> f64 {
        match self.first_below {
            Some(below) if rng.next_u64() >> 11 >= below => self.second.sample_unclamped(maths, rng),
            _ => self.first.sample_unclamped(maths, rng),
        }
    }
}

/// Replicas spread over data centres: replica i lives in data centre `i mod data_centres`, each operation starts
/// in a data centre drawn uniformly, and every one-way message to or from a replica elsewhere takes `one_way_ms`
/// longer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wan {
    pub data_centres: u32,
    pub one_way_ms: f64,
}

/// The four delay laws of the WARS model, and the WAN layout if any.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latencies {
    /// Coordinator → replica, carrying the write.
    pub w: LatencyDist,
    /// Replica → coordinator, acknowledging the write.
    pub a: LatencyDist,
    /// Coordinator → replica, carrying a read request.
    pub r: LatencyDist,
    /// Replica → coordinator, carrying the read response.
    pub s: LatencyDist,
    pub wan: Option<Wan>,
}

impl Latencies {
    /// Exponential delays with the given rates (per ms) for W, A, R and S: the calculator's "custom" setting.
    pub fn exponential(w: f64, a: f64, r: f64, s: f64) -> Result<Latencies, StalenessError> {
        let latencies = Latencies {
            w: LatencyDist::exponential(w),
            a: LatencyDist::exponential(a),
            r: LatencyDist::exponential(r),
            s: LatencyDist::exponential(s),
            wan: None,
        };
        latencies.validate()?;
        Ok(latencies)
    }

    /// The same law for all four kinds of message.
    pub fn same(dist: LatencyDist) -> Latencies {
        Latencies { w: dist, a: dist, r: dist, s: dist, wan: None }
    }

    pub fn validate(&self) -> Result<(), StalenessError> {
        for dist in [self.w, self.a, self.r, self.s] {
            dist.validate()?;
        }
        if let Some(wan) = self.wan {
            if !(1..=DATA_CENTRES_MAX).contains(&wan.data_centres) {
                return Err(StalenessError::BadDataCentres { count: wan.data_centres });
            }
            if !(wan.one_way_ms.is_finite() && (0.0..=LATENCY_MS_MAX).contains(&wan.one_way_ms)) {
                return Err(StalenessError::BadLatency { what: "WAN one-way delay", value: wan.one_way_ms });
            }
        }
        Ok(())
    }
}

/// The latency fits published with the paper (in ms), from LinkedIn's and Yammer's production clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// LinkedIn's Voldemort on SSDs: every message 91.22 % Pareto(0.235, 10) + 8.78 % Exponential(1.66).
    LnkdSsd,
    /// LinkedIn on spinning disks: writes 38 % Pareto(1.05, 1.51) + 62 % Exponential(0.183); A, R, S as SSD.
    LnkdDisk,
    /// Yammer's Riak: writes 93.9 % Pareto(3, 3.35) + 6.1 % Exponential(0.0028); A, R, S 98.2 % Pareto(1.5, 3.8)
    /// + 1.8 % Exponential(0.0217).
    Ymmr,
    /// LNKD-DISK across 3 data centres, 75 ms one way between them.
    Wan,
}

const LNKD_SSD: LatencyDist = LatencyDist::Mixture {
    first_share: 0.9122,
    first: Shape::Pareto { x_m_ms: 0.235, alpha: 10.0 },
    second: Shape::Exponential { lambda_per_ms: 1.66 },
};
const LNKD_DISK_WRITE: LatencyDist = LatencyDist::Mixture {
    first_share: 0.38,
    first: Shape::Pareto { x_m_ms: 1.05, alpha: 1.51 },
    second: Shape::Exponential { lambda_per_ms: 0.183 },
};
const YMMR_WRITE: LatencyDist = LatencyDist::Mixture {
    first_share: 0.939,
    first: Shape::Pareto { x_m_ms: 3.0, alpha: 3.35 },
    second: Shape::Exponential { lambda_per_ms: 0.0028 },
};
const YMMR_OTHER: LatencyDist = LatencyDist::Mixture {
    first_share: 0.982,
    first: Shape::Pareto { x_m_ms: 1.5, alpha: 3.8 },
    second: Shape::Exponential { lambda_per_ms: 0.0217 },
};

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::LnkdSsd, Preset::LnkdDisk, Preset::Ymmr, Preset::Wan];

    /// The label the paper uses.
    pub fn name(self) -> &'static str {
        match self {
            Preset::LnkdSsd => "LNKD-SSD",
            Preset::LnkdDisk => "LNKD-DISK",
            Preset::Ymmr => "YMMR",
            Preset::Wan => "WAN",
        }
    }

    pub fn latencies(self) -> Latencies {
        match self {
            Preset::LnkdSsd => Latencies::same(LNKD_SSD),
            Preset::LnkdDisk => Latencies { w: LNKD_DISK_WRITE, ..Latencies::same(LNKD_SSD) },
            Preset::Ymmr => Latencies { w: YMMR_WRITE, ..Latencies::same(YMMR_OTHER) },
            Preset::Wan => {
                Latencies { wan: Some(Wan { data_centres: 3, one_way_ms: 75.0 }), ..Preset::LnkdDisk.latencies() }
            }
        }
    }
}

/// Read and write latencies at the percentiles the paper reports, in ms (nearest-rank).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// Sorts in the order of [`f64::total_cmp`], in linear time: a least-significant-digit radix sort of the bit
/// patterns, mapped so that unsigned order is that order (negative numbers have all bits flipped, the others
/// only the sign). A run sorts its 100,000 thresholds this way, where a comparison sort spent a tenth of the run;
/// values equal under `total_cmp` have the same bits, so the result is exactly the comparison sort's.
pub fn sort_total(values: &mut [f64]) {
    const DIGIT_BITS: u32 = 11;
    const DIGITS: usize = 64usize.div_ceil(DIGIT_BITS as usize);
    const BUCKETS: usize = 1 << DIGIT_BITS;
    let key = |v: f64| {
        let bits = v.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | 1 << 63
        }
    };
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    let mut spare = vec![0u64; keys.len()];
    let mut counts = vec![[0usize; BUCKETS]; DIGITS];
    for &k in &keys {
        for (d, count) in counts.iter_mut().enumerate() {
            count[((k >> (d as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    for (d, count) in counts.iter_mut().enumerate() {
        // A digit every key shares moves nothing: skip its pass (the high digits of similar numbers).
        if count.contains(&keys.len()) {
            continue;
        }
        let mut next = 0;
        for c in count.iter_mut() {
            let n = *c;
            *c = next;
            next += n;
        }
        for &k in &keys {
            let bucket = ((k >> (d as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1);
            spare[count[bucket]] = k;
            count[bucket] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    for (v, k) in values.iter_mut().zip(keys) {
        let bits = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
        *v = f64::from_bits(bits);
    }
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples` (reordered in place); all zeros when there are none.
    fn of(samples: &mut [f64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        let rank = |q: f64| ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        let (p50, p99, p999) = (rank(0.5), rank(0.99), rank(0.999));
        // Each selection leaves everything above its rank to its right, so the next one searches only there.
        let p50_ms = *samples.select_nth_unstable_by(p50, f64::total_cmp).1;
        let p99_ms = *samples[p50..].select_nth_unstable_by(p99 - p50, f64::total_cmp).1;
        let p999_ms = *samples[p99..].select_nth_unstable_by(p999 - p99, f64::total_cmp).1;
        let max_ms = samples[p999..].iter().copied().fold(p999_ms, f64::max);
        Percentiles { p50_ms, p99_ms, p999_ms, max_ms }
    }
}

/// The curve at `times`, read off sorted `thresholds` by binary search.
fn points_at(thresholds: &[f64], trials: u32, times: &[f64]) -> Vec<StalenessPoint> {
    times
        .iter()
        .map(|&t| {
            let consistent = thresholds.partition_point(|&x| x <= t) as u32;
            StalenessPoint {
                t_ms: t,
                consistent,
                stale: trials - consistent,
                p_consistent: f64::from(consistent) / f64::from(trials),
            }
        })
        .collect()
}

/// One point of the staleness curve: of the reads issued `t_ms` after commit, how many were consistent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StalenessPoint {
    pub t_ms: f64,
    pub consistent: u32,
    pub stale: u32,
    pub p_consistent: f64,
}

/// What a WARS run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct WarsReport {
    pub quorum: Quorum,
    pub trials: u32,
    /// In the order the times were given (negative times were read as 0).
    pub points: Vec<StalenessPoint>,
    /// Time from the start of the write to its W-th acknowledgement.
    pub write_latency: Percentiles,
    /// Time from the start of a read to its R-th response.
    pub read_latency: Percentiles,
    /// Per trial, the smallest t at which its read would have been consistent, sorted ascending.
    thresholds_ms: Vec<f64>,
}

impl WarsReport {
    /// The same report read off at other times after commit: exactly what [`Wars::run`] with those times gives,
    /// without drawing the trials again (the curve is a function of the sorted thresholds).
    pub fn at_times(&self, t_ms: &[f64]) -> Result<WarsReport, StalenessError> {
        let times = Wars::checked_times(t_ms)?;
        Ok(WarsReport { points: points_at(&self.thresholds_ms, self.trials, &times), ..self.clone() })
    }

    /// The probability of a consistent read at any `t_ms` after commit (negative and NaN are read as 0), from
    /// the same trials as `points`.
    pub fn p_consistent_at(&self, t_ms: f64) -> f64 {
        if self.thresholds_ms.is_empty() {
            return 0.0;
        }
        let t = if t_ms.is_nan() { 0.0 } else { t_ms.max(0.0) };
        self.thresholds_ms.partition_point(|&x| x <= t) as f64 / self.thresholds_ms.len() as f64
    }

    /// The smallest t (in ms, to 0.01 ms) after which at least `target` of reads are consistent: "t-visibility".
    /// `None` if not reached within [`LATENCY_MS_MAX`]; `target` is clamped to [0, 1].
    pub fn t_visibility_ms(&self, target: f64) -> Option<f64> {
        if self.thresholds_ms.is_empty() {
            return None;
        }
        let target = if target.is_nan() { 1.0 } else { target.clamp(0.0, 1.0) };
        let needed = ((target * self.thresholds_ms.len() as f64).ceil() as usize).max(1);
        let t = self.thresholds_ms[needed.min(self.thresholds_ms.len()) - 1].max(0.0);
        // Rounded up to a hundredth so that reads issued at the reported time are counted as well.
        let t = (t * 100.0).ceil() / 100.0;
        (t <= LATENCY_MS_MAX).then_some(t)
    }

    /// The run in words, one line per point of the curve and one per latency summary.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{} over {} trials: writes commit in {} ms at the median and {} ms at the 99.9th percentile.",
                self.quorum,
                count(self.trials),
                ms(self.write_latency.p50_ms),
                ms(self.write_latency.p999_ms)
            ),
            format!(
                "Reads return in {} ms at the median and {} ms at the 99.9th percentile.",
                ms(self.read_latency.p50_ms),
                ms(self.read_latency.p999_ms)
            ),
        ];
        for point in &self.points {
            lines.push(point_sentence(point, self.trials));
        }
        lines
    }

    /// The curve as a trace for the narration: one line per point, at t after the commit (rounded to the ms).
    /// Points with stale reads are key lines; points where every read was consistent are routine.
    pub fn trace(&self) -> Trace {
        let mut trace = Trace::default();
        for point in &self.points {
            let salience = if point.stale > 0 { Salience::Key } else { Salience::Routine };
            trace.push(Time::from_ms(point.t_ms.round() as u64), salience, point_sentence(point, self.trials));
        }
        trace
    }
}

/// A count with thousands separators, as the narration reads it: "10,000".
fn count(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "A", "A and C", "A, B and D".
fn name_list(replicas: &[usize]) -> String {
    let names: Vec<String> = replicas.iter().map(|&i| replica_name(i as u32)).collect();
    match names.split_last() {
        None => "no replica".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    }
}

fn point_sentence(point: &StalenessPoint, trials: u32) -> String {
    let trials = count(trials);
    if point.stale == 0 {
        format!("Every one of {trials} reads issued {} ms after the commit sees the new value.", ms(point.t_ms))
    } else {
        format!(
            "Of {trials} reads issued {} ms after the commit, {} {} the old value ({} consistent).",
            ms(point.t_ms),
            count(point.stale),
            if point.stale == 1 { "returns" } else { "return" },
            percent(point.p_consistent)
        )
    }
}

/// Whether a replica's acknowledgement was among the first W.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteRole {
    Acked,
    Late,
}

/// Whether a replica's response was among the first R the read kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRole {
    Answered,
    Ignored,
}

/// Which value a replica holds when the read request reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    New,
    Old,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    Consistent,
    Stale,
}

/// One replica in one drawn trial, for the timeline figure. Write times are from the start of the write, read
/// times from the start of the read.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaTiming {
    pub replica: u32,
    pub data_centre: u32,
    pub write_arrives_ms: f64,
    pub ack_arrives_ms: f64,
    pub read_arrives_ms: f64,
    pub response_arrives_ms: f64,
    pub write_role: WriteRole,
    pub read_role: ReadRole,
    pub version: Version,
}

/// One trial, drawn in full: what the figure animates.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialView {
    pub quorum: Quorum,
    pub replicas: Vec<ReplicaTiming>,
    pub write_data_centre: u32,
    pub read_data_centre: u32,
    /// The W-th acknowledgement, from the start of the write.
    pub commit_ms: f64,
    /// When the read starts, from the start of the write: commit + t.
    pub read_starts_ms: f64,
    /// The R-th response, from the start of the read.
    pub read_latency_ms: f64,
    pub outcome: ReadOutcome,
    /// The trial in words, one sentence per step.
    pub story: Vec<String>,
}

/// The four delay laws made ready for the inner loop, and where each replica lives.
#[derive(Clone, Debug)]
struct Samplers {
    maths: maths::Maths,
    w: Sampler,
    a: Sampler,
    r: Sampler,
    s: Sampler,
    wan: Option<Wan>,
    data_centres: u32,
    /// The data centre of replica i, worked out once rather than by a division per replica per trial.
    data_centre_of: Vec<u32>,
}

impl Samplers {
    fn new(latencies: &Latencies, n: usize) -> Samplers {
        Samplers {
            maths: maths::Maths::get(),
            w: Sampler::of(latencies.w),
            a: Sampler::of(latencies.a),
            r: Sampler::of(latencies.r),
            s: Sampler::of(latencies.s),
            wan: latencies.wan,
            data_centres: latencies.wan.map_or(1, |wan| wan.data_centres.clamp(1, DATA_CENTRES_MAX)),
            data_centre_of: (0..n).map(|i| data_centre_of(i, latencies.wan)).collect(),
        }
    }
}

/// The draws of one trial. Buffers are reused across trials so a run allocates once.
#[derive(Clone, Debug, Default)]
struct Draw {
    write_dc: u32,
    read_dc: u32,
    w: Vec<f64>,
    r: Vec<f64>,
    /// W + A per replica: when its acknowledgement reaches the coordinator.
    ack_at: Vec<f64>,
    /// R + S per replica: when its read response reaches the coordinator.
    response_at: Vec<f64>,
    /// Replica numbers, ordered by `ack_at` and by `response_at` (ties by replica number): fully by
    /// [`Draw::sort`] for the figure, or by [`Draw::outcome`] only as far as the quorum needs, in large clusters.
    by_ack: Vec<usize>,
    by_response: Vec<usize>,
}

/// The data centre replica `replica` lives in: round-robin over the WAN's data centres, or 0 without one.
fn data_centre_of(replica: usize, wan: Option<Wan>) -> u32 {
    wan.map_or(0, |wan| replica as u32 % wan.data_centres.clamp(1, DATA_CENTRES_MAX))
}

/// Orders replica numbers by time, then by number: a total order, so the first k are the same set whatever
/// algorithm picks them.
fn earlier(times: &[f64]) -> impl Fn(&usize, &usize) -> std::cmp::Ordering + '_ {
    |&x, &y| times[x].total_cmp(&times[y]).then(x.cmp(&y))
}

/// Up to this many replicas, [`Draw::outcome`] ranks every replica by counting instead of selecting.
const RANK_BY_COUNTING_MAX: usize = 16;

/// Where replica `i` stands in the order of [`earlier`]: how many replicas come before it. Counting costs n
/// comparisons without a branch, where sorting a handful of numbers mispredicts a branch at almost every step.
/// Draws are never NaN or −0 (see [`sane_ms`]), so `<` agrees with `total_cmp` here.
#[inline]
fn rank(times: &[f64], i: usize) -> usize {
    let t = times[i];
    times[..i].iter().filter(|&&x| x <= t).count() + times[i + 1..].iter().filter(|&&x| x < t).count()
}

/// The replica `k` places from the front in the order of [`earlier`] (k = 0 is the earliest). The search stops
/// at it, so on average it ranks half the replicas.
#[inline]
fn kth_earliest(times: &[f64], k: usize) -> usize {
    (0..times.len()).find(|&i| rank(times, i) == k).unwrap_or(0)
}

/// What a trial measured: when the write committed, how long the read took, and the smallest t after the
/// commit at which the read is consistent.
struct Outcome {
    commit_ms: f64,
    read_latency_ms: f64,
    threshold_ms: f64,
}

impl Draw {
    /// Draws a trial in a fixed order: the data centres, then W, A, R, S for replica 0, 1, …
    fn fill(&mut self, samplers: &Samplers, rng: &mut Rng) {
        let n = samplers.data_centre_of.len();
        let (write_dc, read_dc) = match samplers.wan {
            Some(_) => {
                let last = u64::from(samplers.data_centres - 1);
                let write_dc = rng.range_inclusive(0, last) as u32;
                (write_dc, rng.range_inclusive(0, last) as u32)
            }
            None => (0, 0),
        };
        self.write_dc = write_dc;
        self.read_dc = read_dc;
        for v in [&mut self.w, &mut self.r, &mut self.ack_at, &mut self.response_at] {
            v.resize(n, 0.0);
        }
        let one_way_ms = samplers.wan.map_or(0.0, |wan| wan.one_way_ms);
        let maths = samplers.maths;
        let replicas = samplers.data_centre_of.iter().zip(self.w.iter_mut().zip(self.r.iter_mut()));
        for ((&dc, (w_at, r_at)), (ack_at, response_at)) in
            replicas.zip(self.ack_at.iter_mut().zip(self.response_at.iter_mut()))
        {
            let write_extra = if dc == write_dc { 0.0 } else { one_way_ms };
            let read_extra = if dc == read_dc { 0.0 } else { one_way_ms };
            let w = sane_ms(samplers.w.sample_unclamped(maths, rng) + write_extra);
            let a = sane_ms(samplers.a.sample_unclamped(maths, rng) + write_extra);
            let r = sane_ms(samplers.r.sample_unclamped(maths, rng) + read_extra);
            let s = sane_ms(samplers.s.sample_unclamped(maths, rng) + read_extra);
            *w_at = w;
            *r_at = r;
            *ack_at = w + a;
            *response_at = r + s;
        }
    }

    /// Reads the trial's outcome off the W-th acknowledgement and the first R responses. Clusters of up to
    /// [`RANK_BY_COUNTING_MAX`] replicas rank each replica by counting; larger ones use a linear-time selection,
    /// which leaves the earlier ones in some order. Either way the first k are the same set as a full sort's.
    fn outcome(&mut self, quorum: Quorum) -> Outcome {
        let (w, r) = (quorum.w as usize, quorum.r as usize);
        let n = self.ack_at.len();
        if n > RANK_BY_COUNTING_MAX {
            for order in [&mut self.by_ack, &mut self.by_response] {
                order.clear();
                order.extend(0..n);
            }
            self.by_ack.select_nth_unstable_by(w - 1, earlier(&self.ack_at));
            self.by_response.select_nth_unstable_by(r - 1, earlier(&self.response_at));
            let commit_ms = self.ack_at[self.by_ack[w - 1]];
            return Outcome {
                commit_ms,
                read_latency_ms: self.response_at[self.by_response[r - 1]],
                threshold_ms: self.threshold_among(self.by_response[..r].iter().copied(), commit_ms),
            };
        }
        let commit_ms = self.ack_at[kth_earliest(&self.ack_at, w - 1)];
        // The R-th response, then the replicas that answered no later than it: the first R.
        let last = kth_earliest(&self.response_at, r - 1);
        let last_at = self.response_at[last];
        // Every replica is looked at and the ones that did not answer count as "never": whether a replica
        // answered is a coin toss, and a branch on it, mispredicted, cost N=9 runs 13 % (26.4 against 23.0 ms).
        let replicas = self.response_at.iter().zip(self.w.iter().zip(&self.r)).enumerate();
        let threshold_ms = replicas.fold(f64::INFINITY, |threshold, (j, (&at, (&w_at, &r_at)))| {
            let answered = (at < last_at) | ((at == last_at) & (j <= last));
            // Chosen with a bit mask, which the compiler cannot turn back into a branch.
            let keep = u64::from(answered).wrapping_neg();
            let t = ((w_at - commit_ms - r_at).to_bits() & keep) | (f64::INFINITY.to_bits() & !keep);
            let t = f64::from_bits(t);
            if t < threshold {
                t
            } else {
                threshold
            }
        });
        Outcome { commit_ms, read_latency_ms: last_at, threshold_ms }
    }

    /// The smallest t after commit at which a read answered by `answered` is consistent: replica j has the write
    /// when the read reaches it if W_j ≤ commit + t + R_j, i.e. t ≥ W_j − commit − R_j; the read needs one.
    fn threshold_among(&self, answered: impl Iterator<Item = usize>, commit_ms: f64) -> f64 {
        answered.map(|j| self.w[j] - commit_ms - self.r[j]).fold(f64::INFINITY, f64::min)
    }

    /// Orders fully, for a trial drawn in the figure.
    fn sort(&mut self) {
        let n = self.ack_at.len();
        for order in [&mut self.by_ack, &mut self.by_response] {
            order.clear();
            order.extend(0..n);
        }
        self.by_ack.sort_by(earlier(&self.ack_at));
        self.by_response.sort_by(earlier(&self.response_at));
    }
}

/// A [`Wars`] run in progress: the trials drawn so far, and the generator where the next one starts.
#[derive(Clone, Debug)]
pub struct WarsRun {
    quorum: Quorum,
    trials: u32,
    samplers: Samplers,
    rng: Rng,
    draw: Draw,
    thresholds: Vec<f64>,
    writes: Vec<f64>,
    reads: Vec<f64>,
}

impl WarsRun {
    /// Draws up to `trials` more trials (no more than the run has left) and says whether the run is complete.
    pub fn advance(&mut self, trials: u32) -> bool {
        let quorum = self.quorum;
        for _ in 0..trials.min(self.trials_left()) {
            self.draw.fill(&self.samplers, &mut self.rng);
            let outcome = self.draw.outcome(quorum);
            self.thresholds.push(outcome.threshold_ms);
            self.writes.push(outcome.commit_ms);
            self.reads.push(outcome.read_latency_ms);
        }
        self.is_complete()
    }

    pub fn trials_left(&self) -> u32 {
        self.trials - self.thresholds.len() as u32
    }

    pub fn is_complete(&self) -> bool {
        self.trials_left() == 0
    }

    /// Draws whatever trials are left, then reads the curve off at each of `t_ms`: the report [`Wars::run`] gives.
    pub fn finish(mut self, t_ms: &[f64]) -> Result<WarsReport, StalenessError> {
        let times = Wars::checked_times(t_ms)?;
        self.advance(self.trials_left());
        Ok(self.report_at(&times))
    }

    fn report_at(mut self, times: &[f64]) -> WarsReport {
        // The curve is read off the thresholds by binary search, so they are sorted; the latencies only need
        // four order statistics each.
        sort_total(&mut self.thresholds);
        WarsReport {
            quorum: self.quorum,
            trials: self.trials,
            points: points_at(&self.thresholds, self.trials, times),
            write_latency: Percentiles::of(&mut self.writes),
            read_latency: Percentiles::of(&mut self.reads),
            thresholds_ms: self.thresholds,
        }
    }
}

/// A WARS Monte Carlo run: a quorum, the delay laws, how many trials, and the seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wars {
    pub quorum: Quorum,
    pub latencies: Latencies,
    /// Clamped to 1..=[`TRIALS_MAX`] when run.
    pub trials: u32,
    pub seed: u64,
}

impl Wars {
    pub fn new(quorum: Quorum, latencies: Latencies, trials: u32, seed: u64) -> Wars {
        Wars { quorum, latencies, trials, seed }
    }

    fn checked_times(t_ms: &[f64]) -> Result<Vec<f64>, StalenessError> {
        if t_ms.len() > TIME_POINTS_MAX {
            return Err(StalenessError::TooManyTimePoints { points: t_ms.len() });
        }
        t_ms.iter()
            .map(|&t| if t.is_finite() { Ok(t.max(0.0)) } else { Err(StalenessError::BadTime { t_ms: t }) })
            .collect()
    }

    /// Runs every trial and reads the curve off at each of `t_ms` (ms after commit; negative means 0).
    /// The same `Wars` and times always give the same report.
    pub fn run(&self, t_ms: &[f64]) -> Result<WarsReport, StalenessError> {
        let mut run = self.start()?;
        let times = Self::checked_times(t_ms)?;
        run.advance(run.trials);
        Ok(run.report_at(&times))
    }

    /// A run to be done a slice of trials at a time ([`WarsRun::advance`]), so a page can spread it over short
    /// tasks. However it is sliced, it draws the same trials in the same order as [`Wars::run`].
    pub fn start(&self) -> Result<WarsRun, StalenessError> {
        self.latencies.validate()?;
        let trials = self.trials.clamp(1, TRIALS_MAX);
        Ok(WarsRun {
            quorum: self.quorum,
            trials,
            samplers: Samplers::new(&self.latencies, self.quorum.n as usize),
            rng: Rng::new(self.seed),
            draw: Draw::default(),
            thresholds: Vec::with_capacity(trials as usize),
            writes: Vec::with_capacity(trials as usize),
            reads: Vec::with_capacity(trials as usize),
        })
    }

    /// Draws one trial from `seed` and issues its read `t_ms` after commit, keeping every delay for the figure.
    pub fn trial(&self, seed: u64, t_ms: f64) -> Result<TrialView, StalenessError> {
        self.latencies.validate()?;
        let t = Self::checked_times(&[t_ms])?[0];
        let quorum = self.quorum;
        let mut draw = Draw::default();
        draw.fill(&Samplers::new(&self.latencies, quorum.n as usize), &mut Rng::new(seed));
        // The run's own reading of the trial, so a trial and a run never disagree; then the full order to draw.
        let measured = draw.outcome(quorum);
        draw.sort();
        let commit = measured.commit_ms;
        let acked = &draw.by_ack[..quorum.w as usize];
        let answered = &draw.by_response[..quorum.r as usize];
        let replicas: Vec<ReplicaTiming> = (0..quorum.n as usize)
            .map(|i| ReplicaTiming {
                replica: i as u32,
                data_centre: data_centre_of(i, self.latencies.wan),
                write_arrives_ms: draw.w[i],
                ack_arrives_ms: draw.ack_at[i],
                read_arrives_ms: draw.r[i],
                response_arrives_ms: draw.response_at[i],
                write_role: if acked.contains(&i) { WriteRole::Acked } else { WriteRole::Late },
                read_role: if answered.contains(&i) { ReadRole::Answered } else { ReadRole::Ignored },
                // The same comparison as the run's threshold, so a trial and a run never disagree.
                version: if draw.w[i] - commit - draw.r[i] <= t { Version::New } else { Version::Old },
            })
            .collect();
        let outcome = if measured.threshold_ms <= t { ReadOutcome::Consistent } else { ReadOutcome::Stale };
        let fresh: Vec<usize> = answered.iter().copied().filter(|&i| replicas[i].version == Version::New).collect();
        let (acks, answers) = if quorum.w == 1 {
            ("the first acknowledgement".to_owned(), "commits")
        } else {
            (format!("the first {} acknowledgements", quorum.w), "commit")
        };
        let kept =
            if quorum.r == 1 { "the first answer".to_owned() } else { format!("the first {} answers", quorum.r) };
        let story = vec![
            format!(
                "The write goes to all {}; {acks}, from {}, {answers} it (W={}) at {} ms.",
                plural(quorum.n, "replica"),
                name_list(acked),
                quorum.w,
                ms(commit)
            ),
            format!(
                "A read starts {} ms after the commit and keeps {kept} (R={}), from {}, {} ms later.",
                ms(t),
                quorum.r,
                name_list(answered),
                ms(measured.read_latency_ms)
            ),
            match outcome {
                ReadOutcome::Consistent => {
                    let verb = if fresh.len() == 1 { "holds" } else { "hold" };
                    format!("{} already {verb} the new value, so the read is consistent.", name_list(&fresh))
                }
                ReadOutcome::Stale if answered.len() == 1 => {
                    format!("{} does not have the new value yet: the read is stale.", name_list(answered))
                }
                ReadOutcome::Stale => {
                    let none = if answered.len() == 2 { "Neither" } else { "None" };
                    format!("{none} of {} has the new value yet: the read is stale.", name_list(answered))
                }
            },
        ];
        Ok(TrialView {
            quorum,
            write_data_centre: draw.write_dc,
            read_data_centre: draw.read_dc,
            commit_ms: commit,
            read_starts_ms: commit + t,
            read_latency_ms: measured.read_latency_ms,
            outcome,
            replicas,
            story,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_assert_eq, proptest, Strategy};

    /// The outcome by a full sort in the order of [`earlier`]: what [`Draw::outcome`]'s counting and selection
    /// must agree with.
    fn outcome_by_sorting(draw: &Draw, w: usize, r: usize) -> (f64, f64, f64) {
        let n = draw.ack_at.len();
        let mut by_ack: Vec<usize> = (0..n).collect();
        let mut by_response = by_ack.clone();
        by_ack.sort_by(earlier(&draw.ack_at));
        by_response.sort_by(earlier(&draw.response_at));
        let commit = draw.ack_at[by_ack[w - 1]];
        let threshold = by_response[..r].iter().map(|&j| draw.w[j] - commit - draw.r[j]).fold(f64::INFINITY, f64::min);
        (commit, draw.response_at[by_response[r - 1]], threshold)
    }

    proptest! {
        /// Both of `outcome`'s paths (counting up to 16 replicas, selection above) pick the replicas a full sort
        /// picks, ties included: delays from a handful of values make ties common.
        #[test]
        fn outcome_agrees_with_a_full_sort(
            delays in (1usize..=40).prop_flat_map(|n| proptest::collection::vec((0u8..4, 0u8..4, 0u8..4, 0u8..4), n)),
            w_pick in 0usize..40,
            r_pick in 0usize..40,
        ) {
            let n = delays.len();
            let (w, r) = (w_pick % n + 1, r_pick % n + 1);
            let mut draw = Draw::default();
            for &(wd, a, rd, s) in &delays {
                let (wd, a, rd, s) = (f64::from(wd), f64::from(a) * 0.5, f64::from(rd), f64::from(s) * 0.5);
                draw.w.push(wd);
                draw.r.push(rd);
                draw.ack_at.push(wd + a);
                draw.response_at.push(rd + s);
            }
            let expected = outcome_by_sorting(&draw, w, r);
            let quorum = Quorum::clamped(n as u32, w as u32, r as u32);
            let got = draw.outcome(quorum);
            prop_assert_eq!((got.commit_ms, got.read_latency_ms, got.threshold_ms), expected);
        }
    }

    #[test]
    fn sampler_choice_is_rng_chance() {
        // The integer comparison against the share scaled to 2^53 decides as `Rng::chance` does, share by share.
        for share in [0.0, 1e-17, 0.0178, 0.38, 0.9122, 0.939, 0.982, 1.0 - 1e-16, 1.0] {
            let Some(below) = Sampler::of(LatencyDist::Mixture {
                first_share: share,
                first: Shape::Constant { ms: 1.0 },
                second: Shape::Constant { ms: 2.0 },
            })
            .first_below
            else {
                panic!("a mixture has a choice");
            };
            let (mut a, mut b) = (Rng::new(9), Rng::new(9));
            for _ in 0..20_000 {
                assert_eq!(a.next_u64() >> 11 < below, b.chance(share), "share {share}");
            }
            // At the edge itself: the float test on the integers either side of it.
            for j in [below.saturating_sub(1), below].into_iter().filter(|&j| j < 1 << 53) {
                assert_eq!(j < below, (j as f64 / (1u64 << 53) as f64) < share, "share {share}, j {j}");
            }
        }
    }
}
