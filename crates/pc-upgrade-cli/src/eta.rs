//! The time left that the progress bar shows: customers left at the pace of the last 30
//! seconds, shown once it is worth reading (five customers done in this run, ten seconds
//! after the first), and never more than twice or less than half of what the last redraw
//! showed, less the time since (so that two redraws never differ tenfold).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The window the pace is measured over.
const WINDOW: Duration = Duration::from_secs(30);
/// Customers done in this run before an estimate is shown.
const FIRST_DONE: usize = 5;
/// Time after the first customer done before an estimate is shown.
const FIRST_WAIT: Duration = Duration::from_secs(10);

/// The estimate of the time left, as redraws ask for it.
#[derive(Debug, Default)]
pub struct Eta {
    /// When customers were done in this run, the last `WINDOW` of them.
    done: VecDeque<Instant>,
    /// How many in all, and when the first was.
    count: usize,
    first: Option<Instant>,
    /// What the last redraw showed, and when.
    shown: Option<(Duration, Instant)>,
}

impl Eta {
    /// A customer was done at `now` (not one the journal had final at the start).
    pub fn done(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.count += 1;
        self.done.push_back(now);
        while self
            .done
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > WINDOW)
        {
            self.done.pop_front();
        }
    }

    /// The time left for `left` customers at `now`, once it is worth reading.
    pub fn estimate(&mut self, left: u64, now: Instant) -> Option<Duration> {
        let first = self.first?;
        let since = now.saturating_duration_since(first);
        if self.count < FIRST_DONE || since < FIRST_WAIT {
            return None;
        }
        let window = since.min(WINDOW).as_secs_f64();
        let recent = self
            .done
            .iter()
            .filter(|at| now.saturating_duration_since(**at) <= WINDOW)
            .count() as f64;
        let raw = match (left, recent) {
            (0, _) => 0.0,
            // Nothing done lately: no faster than the last shown, counting down.
            (_, 0.0) => f64::INFINITY,
            _ => left as f64 * window / recent,
        };
        let estimate = match self.shown {
            Some((shown, at)) => {
                let expected = shown.saturating_sub(now.saturating_duration_since(at));
                let expected = expected.as_secs_f64().max(1.0);
                raw.clamp(expected / 2.0, expected * 2.0)
            }
            None if raw.is_finite() => raw,
            None => return None,
        };
        let estimate = Duration::try_from_secs_f64(estimate).unwrap_or(Duration::MAX);
        self.shown = Some((estimate, now));
        Some(estimate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing until five are done and ten seconds have passed; then customers left at the
    /// recent pace; a burst (a resume's customers done at once) or a stall never makes two
    /// redraws differ tenfold.
    #[test]
    fn an_estimate_is_shown_when_worth_reading_and_never_jumps() {
        let start = Instant::now();
        let at = |s: f64| start + Duration::from_secs_f64(s);
        let mut eta = Eta::default();
        for n in 0..4 {
            eta.done(at(f64::from(n)));
        }
        assert_eq!(eta.estimate(96, at(4.0)), None, "four done");
        eta.done(at(5.0));
        assert_eq!(eta.estimate(95, at(6.0)), None, "six seconds");
        // One customer a second, steadily: 95 left, 95 s or so.
        for n in 6..12 {
            eta.done(at(f64::from(n)));
        }
        let first = eta.estimate(88, at(12.0)).unwrap().as_secs_f64();
        assert!((80.0..100.0).contains(&first), "{first}");
        let mut last = first;
        // Fifty at once, then nothing for a minute, then steady again: redraw every second.
        for n in 0..50 {
            eta.done(at(12.5 + f64::from(n) * 0.001));
        }
        for second in 13u32..140 {
            if second > 75 {
                eta.done(at(f64::from(second)));
            }
            let left = 38u64.saturating_sub(u64::from(second.saturating_sub(75)));
            let shown = eta
                .estimate(left, at(f64::from(second)))
                .unwrap()
                .as_secs_f64();
            let ratio = (shown.max(1.0) / last.max(1.0)).max(last.max(1.0) / shown.max(1.0));
            assert!(ratio < 10.0, "{last} then {shown} at {second} s");
            last = shown;
        }
    }
}
