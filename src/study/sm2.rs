//! Spaced repetition with SM-2, the SuperMemo 2 algorithm (Piotr Woźniak, 1987), as plain functions of a card's
//! state, a grade and today's date. There is no clock in here: the caller passes the day, so the schedule is
//! the same in a test as in the browser.
//!
//! Each card keeps
//! - `repetitions`: how many times in a row it was recalled (grade 3 or more);
//! - `interval_days`: the gap until its next review;
//! - `ease`: the *E-factor*, how fast the interval grows; it starts at 2.5 and never falls below 1.3.
//!
//! After a review with grade `q` (0–5):
//! - if `q < 3` the card was forgotten: `repetitions` restarts at 0 and the interval at 1 day; the ease is kept,
//!   as in the original algorithm ("start repetitions from the beginning without changing the E-factor");
//! - otherwise the interval is 1 day after the first success, 6 days after the second, and then the previous
//!   interval × ease (rounded, and never shorter than before); then
//!   `ease' = ease + (0.1 − (5 − q) × (0.08 + (5 − q) × 0.02))`, at least 1.3. So 5 adds 0.1, 4 keeps it, 3 takes
//!   0.14 off.
//!
//! The review page offers four buttons, mapped onto SM-2's grades: **Again** = 1 (forgotten), **Hard** = 3
//! (recalled with serious difficulty), **Good** = 4 (recalled after some hesitation), **Easy** = 5 (perfect).

use serde::{Deserialize, Serialize};

/// A calendar day, counted from 1970-01-01 (day 0), in the reader's time zone. Stored as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(pub i32);

impl Day {
    /// The day of a calendar date (proleptic Gregorian), by Howard Hinnant's `days_from_civil`.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Day {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// The calendar date of this day: (year, month 1–12, day 1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    pub fn plus_days(self, days: u32) -> Day {
        Day(self.0.saturating_add(i32::try_from(days).unwrap_or(i32::MAX)))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl std::str::FromStr for Day {
    type Err = String;

    fn from_str(text: &str) -> Result<Day, String> {
        let bad = || format!("{text:?} is not a date (YYYY-MM-DD)");
        let mut parts = text.splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad());
        }
        let parsed = Day::from_ymd(year, month, day);
        // Rejects 2026-02-30 and the like: a real date survives the round trip.
        if parsed.ymd() != (year, month, day) {
            return Err(bad());
        }
        Ok(parsed)
    }
}

impl TryFrom<String> for Day {
    type Error = String;
    fn try_from(text: String) -> Result<Day, String> {
        text.parse()
    }
}

impl From<Day> for String {
    fn from(day: Day) -> String {
        day.to_string()
    }
}

/// The four answers the review page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Again,
    Hard,
    Good,
    Easy,
}

impl Answer {
    pub const ALL: [Answer; 4] = [Answer::Again, Answer::Hard, Answer::Good, Answer::Easy];

    /// SM-2's quality of response, 0–5.
    pub fn grade(self) -> u8 {
        match self {
            Answer::Again => 1,
            Answer::Hard => 3,
            Answer::Good => 4,
            Answer::Easy => 5,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Answer::Again => "Again",
            Answer::Hard => "Hard",
            Answer::Good => "Good",
            Answer::Easy => "Easy",
        }
    }
}

pub const EASE_START: f64 = 2.5;
pub const EASE_MIN: f64 = 1.3;
/// A card whose interval has reached three weeks counts as mastered (the usual "mature" threshold).
pub const MASTERED_DAYS: u32 = 21;
/// Intervals are capped at ten years, so a long run of Easy cannot overflow a date.
pub const INTERVAL_MAX_DAYS: u32 = 3650;

/// What the reader has done with one card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardState {
    pub repetitions: u32,
    pub interval_days: u32,
    pub ease: f64,
    /// The day the card is next shown.
    pub due: Day,
    /// The day it was last reviewed.
    pub reviewed: Day,
}

impl CardState {
    pub fn mastered(&self) -> bool {
        self.interval_days >= MASTERED_DAYS
    }

    /// Plausible values only: what an imported file must satisfy.
    pub fn is_valid(&self) -> bool {
        self.ease.is_finite()
            && (EASE_MIN..=10.0).contains(&self.ease)
            && self.interval_days <= INTERVAL_MAX_DAYS
            && self.due >= self.reviewed
    }
}

/// The state after reviewing a card (`None`: never seen) on `today` with `grade` (0–5; above 5 counts as 5).
pub fn review(card: Option<&CardState>, grade: u8, today: Day) -> CardState {
    let grade = grade.min(5);
    let (repetitions, interval_days, ease) =
        card.map_or((0, 0, EASE_START), |c| (c.repetitions, c.interval_days, c.ease.max(EASE_MIN)));
    if grade < 3 {
        return CardState { repetitions: 0, interval_days: 1, ease, due: today.plus_days(1), reviewed: today };
    }
    let next_interval = match repetitions {
        0 => 1,
        1 => 6,
        _ => {
            let grown = (f64::from(interval_days) * ease).round();
            // `as` saturates; the cap keeps dates in range however long the run of successes.
            (grown as u32).max(interval_days)
        }
    }
    .min(INTERVAL_MAX_DAYS);
    let miss = f64::from(5 - grade);
    let ease = (ease + (0.1 - miss * (0.08 + miss * 0.02))).max(EASE_MIN);
    CardState {
        repetitions: repetitions.saturating_add(1),
        interval_days: next_interval,
        ease,
        due: today.plus_days(next_interval),
        reviewed: today,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Day = Day(20_000);

    fn run(grades: &[u8]) -> CardState {
        let mut card: Option<CardState> = None;
        for &g in grades {
            let day = card.as_ref().map_or(TODAY, |c| c.due);
            card = Some(review(card.as_ref(), g, day));
        }
        card.expect("at least one grade")
    }

    #[test]
    fn intervals_go_one_six_then_times_the_ease() {
        let first = review(None, 4, TODAY);
        assert_eq!((first.repetitions, first.interval_days, first.due), (1, 1, Day(20_001)));
        assert_eq!(first.ease, 2.5);
        let second = review(Some(&first), 4, first.due);
        assert_eq!((second.interval_days, second.due), (6, Day(20_007)));
        let third = review(Some(&second), 4, second.due);
        assert_eq!(third.interval_days, 15); // 6 × 2.5
        let fourth = review(Some(&third), 4, third.due);
        assert_eq!(fourth.interval_days, 38); // 15 × 2.5 = 37.5, rounded
        assert!(fourth.mastered());
    }

    #[test]
    fn the_ease_moves_by_the_sm2_formula() {
        assert!((review(None, 5, TODAY).ease - 2.6).abs() < 1e-9);
        assert!((review(None, 4, TODAY).ease - 2.5).abs() < 1e-9);
        assert!((review(None, 3, TODAY).ease - 2.36).abs() < 1e-9);
        // Hard over and over bottoms out at 1.3.
        assert_eq!(run(&[3; 20]).ease, EASE_MIN);
    }

    #[test]
    fn forgetting_restarts_the_intervals_but_keeps_the_ease() {
        let learned = run(&[5, 5, 5]);
        let forgot = review(Some(&learned), Answer::Again.grade(), learned.due);
        assert_eq!((forgot.repetitions, forgot.interval_days), (0, 1));
        assert_eq!(forgot.ease, learned.ease);
        assert_eq!(forgot.due, learned.due.plus_days(1));
        let again = review(Some(&forgot), 4, forgot.due);
        assert_eq!(again.interval_days, 1);
    }

    #[test]
    fn the_four_buttons_map_onto_sm2_grades() {
        assert_eq!(Answer::ALL.map(Answer::grade), [1, 3, 4, 5]);
    }

    #[test]
    fn days_are_calendar_dates() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Day(0));
        assert_eq!(Day::from_ymd(2026, 12, 4).to_string(), "2026-12-04");
        assert_eq!("2024-02-29".parse::<Day>().unwrap().plus_days(1).to_string(), "2024-03-01");
        assert!("2026-02-30".parse::<Day>().is_err());
        assert!("yesterday".parse::<Day>().is_err());
        let json = serde_json::to_string(&Day::from_ymd(2026, 12, 31)).unwrap();
        assert_eq!(json, "\"2026-12-31\"");
        assert_eq!(serde_json::from_str::<Day>(&json).unwrap(), Day::from_ymd(2026, 12, 31));
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the reader answers, the ease stays at or above 1.3, the card is due after the day it was
            /// reviewed, and Good or Easy never shortens the interval.
            #[test]
            fn ease_stays_above_the_floor_and_good_never_shortens(grades in prop::collection::vec(0u8..=5, 1..60)) {
                let mut card: Option<CardState> = None;
                let mut day = TODAY;
                for g in grades {
                    let before = card.as_ref().map_or(0, |c| c.interval_days);
                    let next = review(card.as_ref(), g, day);
                    prop_assert!(next.ease >= EASE_MIN);
                    prop_assert!(next.due > day);
                    prop_assert!(next.is_valid());
                    if g >= Answer::Good.grade() {
                        prop_assert!(next.interval_days >= before, "{} < {before}", next.interval_days);
                    }
                    day = next.due;
                    card = Some(next);
                }
            }

            #[test]
            fn dates_survive_the_text_round_trip(days in 0i32..2_900_000) {
                let day = Day(days);
                prop_assert_eq!(day.to_string().parse::<Day>(), Ok(day));
            }
        }
    }
}
