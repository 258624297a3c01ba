//! Leak suspects: operation names whose held heap grows interval after interval.
//!
//! A transient spike grows and falls back; a leak keeps growing. A name whose
//! retained bytes grew in each of the last [`leak_intervals`](crate::Config::leak_intervals)
//! intervals, by more than [`leak_growth_mb`](crate::Config::leak_growth_mb) over
//! them, is reported as a suspect, with its growth in each of them. The window
//! slides one interval at a time, so growth that speeds up late in a streak is
//! caught as soon as it passes the threshold; once reported, a name that goes on
//! growing is reported again after `leak_intervals` more intervals.

use std::collections::{HashMap, VecDeque};

use super::top::IntervalOp;

/// A name reported as a leak suspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Suspect {
    pub(crate) name: &'static str,
    /// Its growth in each of the last `leak_intervals` intervals, oldest first.
    pub(crate) growth: Vec<i64>,
    /// How many intervals in a row it grew.
    pub(crate) streak: usize,
    /// What it holds now.
    pub(crate) retained_bytes: u64,
}

impl Suspect {
    /// Its growth over the reported intervals.
    pub(crate) fn total_growth(&self) -> i64 {
        self.growth.iter().sum()
    }
}

#[derive(Debug, Default)]
struct Streak {
    length: usize,
    recent: VecDeque<i64>,
    /// `length` when the name was last reported (0: not yet in this streak).
    reported_at: usize,
}

/// The streaks of growth per name, across intervals.
#[derive(Debug, Default)]
pub(crate) struct LeakWatch {
    streaks: HashMap<&'static str, Streak>,
}

impl LeakWatch {
    /// Takes one interval's figures; the names that are leak suspects now.
    pub(crate) fn observe(
        &mut self,
        ops: &[IntervalOp],
        intervals: usize,
        min_growth: u64,
    ) -> Vec<Suspect> {
        let intervals = intervals.max(1);
        let growing: HashMap<&'static str, &IntervalOp> = ops
            .iter()
            .filter(|op| op.retained_growth > 0)
            .map(|op| (op.name, op))
            .collect();
        // A name that did not grow this interval ends its streak.
        self.streaks.retain(|name, _| growing.contains_key(name));
        let mut suspects = Vec::new();
        for (name, op) in growing {
            let streak = self.streaks.entry(name).or_default();
            streak.length = streak.length.saturating_add(1);
            streak.recent.push_back(op.retained_growth);
            while streak.recent.len() > intervals {
                streak.recent.pop_front();
            }
            let total: i64 = streak.recent.iter().sum();
            let window_full = streak.length >= intervals;
            let quiet_since_report =
                streak.reported_at == 0 || streak.length - streak.reported_at >= intervals;
            if window_full
                && quiet_since_report
                && u64::try_from(total).is_ok_and(|t| t > min_growth)
            {
                streak.reported_at = streak.length;
                suspects.push(Suspect {
                    name,
                    growth: streak.recent.iter().copied().collect(),
                    streak: streak.length,
                    retained_bytes: op.retained_bytes,
                });
            }
        }
        suspects.sort_by(|a, b| {
            b.total_growth()
                .cmp(&a.total_growth())
                .then(a.name.cmp(b.name))
        });
        suspects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &'static str, growth: i64, held: i64) -> IntervalOp {
        IntervalOp {
            name,
            retained_bytes: held as u64,
            retained_growth: growth,
            ..IntervalOp::default()
        }
    }

    #[test]
    fn a_name_growing_n_intervals_in_a_row_is_a_suspect_every_n_intervals() {
        let mut watch = LeakWatch::default();
        let mb = 1 << 20;
        assert!(
            watch
                .observe(&[op("leak", 4 * mb, 4 * mb)], 3, 10 << 20)
                .is_empty()
        );
        assert!(
            watch
                .observe(&[op("leak", 4 * mb, 8 * mb)], 3, 10 << 20)
                .is_empty()
        );
        let third = watch.observe(&[op("leak", 4 * mb, 12 * mb)], 3, 10 << 20);
        assert_eq!(
            third,
            vec![Suspect {
                name: "leak",
                growth: vec![4 * mb, 4 * mb, 4 * mb],
                streak: 3,
                retained_bytes: 12 << 20,
            }]
        );
        assert!(
            watch
                .observe(&[op("leak", 4 * mb, 16 * mb)], 3, 10 << 20)
                .is_empty()
        );
        assert!(
            watch
                .observe(&[op("leak", 4 * mb, 20 * mb)], 3, 10 << 20)
                .is_empty()
        );
        let sixth = watch.observe(&[op("leak", 5 * mb, 25 * mb)], 3, 10 << 20);
        assert_eq!(sixth[0].growth, vec![4 * mb, 4 * mb, 5 * mb]);
        assert_eq!(sixth[0].streak, 6);
    }

    #[test]
    fn growth_that_speeds_up_late_in_a_streak_is_reported_as_soon_as_it_passes() {
        let mut watch = LeakWatch::default();
        let mb = 1 << 20;
        let mut reported = Vec::new();
        for (interval, growth) in [1, 1, 1, 20, 20, 20, 20, 20].into_iter().enumerate() {
            let held = 0; // not what is under test
            for suspect in watch.observe(&[op("late", growth * mb, held)], 3, 10 << 20) {
                reported.push((interval + 1, suspect.growth, suspect.streak));
            }
        }
        // Interval 4: 1 + 1 + 20 MB over the last three passes 10 MB; then again
        // three intervals later, with the window it then covers.
        assert_eq!(
            reported,
            vec![
                (4, vec![mb, mb, 20 * mb], 4),
                (7, vec![20 * mb, 20 * mb, 20 * mb], 7),
            ]
        );
    }

    #[test]
    fn a_pause_ends_the_streak_and_small_growth_is_not_a_leak() {
        let mut watch = LeakWatch::default();
        let mb = 1 << 20;
        watch.observe(&[op("a", 8 * mb, 8 * mb)], 3, 10 << 20);
        watch.observe(&[op("a", 8 * mb, 16 * mb)], 3, 10 << 20);
        // Freed some: the streak ends.
        watch.observe(&[op("a", -mb, 15 * mb)], 3, 10 << 20);
        assert!(
            watch
                .observe(&[op("a", 8 * mb, 23 * mb)], 3, 10 << 20)
                .is_empty()
        );
        // Steady but tiny growth stays under the threshold.
        for _ in 0..6 {
            assert!(
                watch
                    .observe(&[op("tiny", 1000, 0)], 3, 10 << 20)
                    .is_empty()
            );
        }
    }
}
