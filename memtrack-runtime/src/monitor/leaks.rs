//! Leak suspects: operation names whose held heap grows interval after interval.
//!
//! A transient spike grows and falls back; a leak keeps growing. A name whose
//! retained bytes grew in each of the last [`leak_intervals`](crate::Config::leak_intervals)
//! intervals, by more than [`leak_growth_mb`](crate::Config::leak_growth_mb) over
//! them, is reported as a suspect, with its growth in each of them. The window
//! slides one interval at a time, so growth that speeds up late in a streak is
//! caught as soon as it passes the threshold; once reported, a name that goes on
//! growing is reported again after `leak_intervals` more intervals.
//!
//! Growth in a row is not enough on its own: the heap an operation holds while it
//! runs rises and falls with the work in flight, and three rises in a row happen
//! by chance. So the name must also hold more than it ever held in the
//! [`RECENT`] intervals before its streak, by more than the threshold: memory in
//! flight keeps coming back to the same highs, a leak leaves them behind. A streak
//! that starts with the name's first figures has no highs to pass (the first
//! climb of the work in flight looks like one), so it must last twice as long.

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
    /// The most the name held in the [`RECENT`] intervals before the streak.
    high_before: u64,
    /// Whether the name had figures before the streak.
    known_before: bool,
}

/// Intervals of held bytes remembered per name, to know its recent highs.
pub(crate) const RECENT: usize = 16;

/// The streaks of growth per name, across intervals.
#[derive(Debug, Default)]
pub(crate) struct LeakWatch {
    streaks: HashMap<&'static str, Streak>,
    /// What each name held at the end of its last [`RECENT`] listed intervals.
    held: HashMap<&'static str, VecDeque<u64>>,
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
            let streak = self.streaks.entry(name).or_insert_with(|| {
                let before = self
                    .held
                    .get(name)
                    .and_then(|held| held.iter().copied().max());
                Streak {
                    high_before: before.unwrap_or(0),
                    known_before: before.is_some(),
                    ..Streak::default()
                }
            });
            streak.length = streak.length.saturating_add(1);
            streak.recent.push_back(op.retained_growth);
            while streak.recent.len() > intervals {
                streak.recent.pop_front();
            }
            let total: i64 = streak.recent.iter().sum();
            let needed = if streak.known_before {
                intervals
            } else {
                intervals.saturating_mul(2)
            };
            let window_full = streak.length >= needed;
            let quiet_since_report =
                streak.reported_at == 0 || streak.length - streak.reported_at >= intervals;
            let above_recent_highs =
                op.retained_bytes.saturating_sub(streak.high_before) > min_growth;
            if window_full
                && quiet_since_report
                && above_recent_highs
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
        for op in ops {
            let held = self.held.entry(op.name).or_default();
            held.push_back(op.retained_bytes);
            if held.len() > RECENT {
                held.pop_front();
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
        // Figures of the name before its streak: nothing held.
        watch.observe(&[op("leak", 0, 0)], 3, 10 << 20);
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
        let mut held = 0;
        watch.observe(&[op("late", 0, 0)], 3, 10 << 20);
        for (interval, growth) in [1, 1, 1, 20, 20, 20, 20, 20].into_iter().enumerate() {
            held += growth * mb;
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
    fn memory_in_flight_rising_back_to_its_highs_is_not_a_leak() {
        let mut watch = LeakWatch::default();
        let mb = 1 << 20;
        let mut reported = Vec::new();
        // Work in flight: up to 30 MB, down to 0, up again in three rises of 10.
        let held = [10, 20, 30, 0, 10, 20, 30, 5, 15, 25, 30, 0, 12, 24, 30];
        let mut before = 0;
        for (i, now) in held.into_iter().enumerate() {
            let growth = (now - before) * mb;
            before = now;
            for s in watch.observe(&[op("in-flight", growth, now * mb)], 3, 10 << 20) {
                reported.push((i + 1, s.retained_bytes >> 20));
            }
        }
        // The first climb has no highs to pass: it would need six intervals.
        assert_eq!(reported, vec![]);
        // A leak that leaves its highs behind is reported.
        let mut leak = Vec::new();
        for (i, now) in [35, 44, 53, 62].into_iter().enumerate() {
            let growth = (now - before) * mb;
            before = now;
            for s in watch.observe(&[op("in-flight", growth, now * mb)], 3, 10 << 20) {
                leak.push((i + 1, s.retained_bytes >> 20));
            }
        }
        // At 44 MB it has grown three intervals in a row and is 14 MB above its
        // highest before the streak (30).
        assert_eq!(leak, vec![(2, 44)]);
    }

    #[test]
    fn a_streak_from_a_names_first_figures_must_last_twice_as_long() {
        let mut watch = LeakWatch::default();
        let mb = 1 << 20;
        let mut reported = Vec::new();
        for i in 1..=7 {
            for s in watch.observe(&[op("new", 5 * mb, i * 5 * mb)], 3, 10 << 20) {
                reported.push((i, s.streak));
            }
        }
        assert_eq!(reported, vec![(6, 6)]);
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
