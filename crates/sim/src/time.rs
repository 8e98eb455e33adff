//! Logical time. The model never reads a clock: time is a number the caller advances.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in whole milliseconds since the run began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    pub const ZERO: Time = Time(0);

    pub const fn from_ms(ms: u64) -> Time {
        Time(ms)
    }

    pub const fn as_ms(self) -> u64 {
        self.0
    }

    /// Milliseconds from `earlier` to `self`, or 0 if `earlier` is later.
    pub fn ms_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for Time {
    type Output = Time;
    fn add(self, ms: u64) -> Time {
        Time(self.0.saturating_add(ms))
    }
}

impl Sub<u64> for Time {
    type Output = Time;
    fn sub(self, ms: u64) -> Time {
        Time(self.0.saturating_sub(ms))
    }
}

impl fmt::Display for Time {
    /// Seconds with millisecond precision, the way the narration reads times aloud: `t=1.250 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:03} s", self.0 / 1000, self.0 % 1000)
    }
}
