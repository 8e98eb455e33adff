//! The arithmetic of uptime that chapter 0 teaches, as functions the widgets and tests share.

/// Seconds in a (365-day) year, the unit SLAs are budgeted in.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;

/// Probability that at least one of `copies` independent copies is up, when each is up with `p_up`.
/// Independence is the big assumption: the book always pairs this with the correlated-failure caveat.
pub fn at_least_one_up(p_up: f64, copies: u32) -> f64 {
    let p_down = 1.0 - p_up.clamp(0.0, 1.0);
    1.0 - p_down.powi(copies as i32)
}

/// Expected downtime per year, in seconds, of something available with probability `availability`.
pub fn downtime_s_per_year(availability: f64) -> f64 {
    (1.0 - availability.clamp(0.0, 1.0)) * SECONDS_PER_YEAR
}

/// Share of a yearly downtime budget consumed by one outage of `outage_minutes`, for an SLA of
/// `sla` (e.g. 0.9999). Returns a fraction: 0.65 means 65 % of the year's budget.
pub fn share_of_budget(sla: f64, outage_minutes: f64) -> f64 {
    let budget_minutes = downtime_s_per_year(sla) / 60.0;
    outage_minutes / budget_minutes
}

/// Read capacity of a leader plus `replicas` read replicas, each serving `per_node` reads per second,
/// under the ideal assumptions of the chapter 0 warm-up (no replication overhead, perfect balancing).
pub fn ideal_read_capacity(per_node: f64, replicas: u32) -> f64 {
    per_node * f64::from(replicas + 1)
}

/// Renders an availability as "99.9999 %" with as many decimals as it takes to show its nines.
pub fn format_percent(availability: f64) -> String {
    let percent = availability.clamp(0.0, 1.0) * 100.0;
    if percent >= 100.0 - 1e-12 {
        return "100 %".to_owned();
    }
    let nines = -(1.0 - availability).log10();
    // The nudge keeps 0.999 (log10 = 2.9999…) at one decimal and 1 - 1e-9 (9.0000…1) at seven.
    let decimals = ((nines - 1e-6).floor() as i32 - 1).clamp(0, 12) as usize;
    format!("{percent:.decimals$} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chapter 0's worked numbers, reproduced exactly.
    #[test]
    fn chapter_0_availability_math() {
        // One node at 99.9 %: 8.76 hours of downtime a year.
        assert!((downtime_s_per_year(0.999) / 3600.0 - 8.76).abs() < 0.005);
        // Two independent copies: 99.9999 %, 31.5 s a year.
        let two = at_least_one_up(0.999, 2);
        assert!((two - 0.999_999).abs() < 1e-12);
        assert!((downtime_s_per_year(two) - 31.5).abs() < 0.05);
        // Three: nine nines, 0.03 s a year.
        let three = at_least_one_up(0.999, 3);
        assert!((three - 0.999_999_999).abs() < 1e-15);
        assert!((downtime_s_per_year(three) - 0.03).abs() < 0.005);
    }

    #[test]
    fn chapter_0_sla_budget() {
        // 99.99 % allows about 52 minutes a year; a 34-minute outage burns about 65 % of it.
        assert!((downtime_s_per_year(0.9999) / 60.0 - 52.56).abs() < 0.01);
        assert_eq!((share_of_budget(0.9999, 34.0) * 100.0).round(), 65.0);
    }

    #[test]
    fn chapter_0_warm_up_read_capacity() {
        assert_eq!(ideal_read_capacity(50_000.0, 2), 150_000.0);
    }

    #[test]
    fn percent_shows_the_nines() {
        assert_eq!(format_percent(0.999), "99.9 %");
        assert_eq!(format_percent(0.999_999), "99.9999 %");
        assert_eq!(format_percent(1.0), "100 %");
        assert_eq!(format_percent(at_least_one_up(0.999, 3)), "99.9999999 %");
        assert_eq!(format_percent(0.5), "50 %");
    }
}
