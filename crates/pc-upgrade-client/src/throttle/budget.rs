//! How the budget is told shared or per operation: the witnesses of a `429`, and what each
//! finding does to the paces (see the module above for the rule).

use tokio::time::Instant;

use super::adaptive::Adaptive;
use super::{Budget, Pace, SEPARATE, SETTLED, State, WITNESSES, interval};

impl State {
    /// A call of `operation` let go at `sent` and answered (`through` the budget, or not):
    /// if another operation was paused by a `429` then, it witnesses how the budget is
    /// split. Enough witnesses settle it.
    ///
    /// Only a call sent in the first half of the `429`'s pause counts, and at most
    /// [`WITNESSES`] per pause: a `Retry-After` in whole seconds outlasts the window it
    /// speaks of, and a call sent after that window's end gets through a shared budget too.
    pub(super) fn witness(
        &mut self,
        operation: &'static str,
        sent: Instant,
        through: bool,
        now: Instant,
    ) {
        let during = |lane: &&mut Pace| {
            lane.operation != operation
                && lane.last_pause.is_some_and(|(from, until, seen)| {
                    seen < WITNESSES && from < sent && sent < until
                })
        };
        let Some(paused) = self.lanes.iter_mut().find(during) else {
            return;
        };
        if let Some((_, _, seen)) = paused.last_pause.as_mut() {
            *seen += 1;
        }
        self.witnesses = (self.witnesses + if through { -1 } else { 1 }).clamp(-4, 4);
        if self.witnesses >= SETTLED {
            self.share(now);
        } else if self.witnesses <= -SEPARATE && self.budget == Budget::Unknown {
            self.separate();
        }
    }

    /// The operations share one budget: from now on a `429` pauses every call. Found while
    /// each operation had its own rate, one pace takes over, searching upwards from what
    /// they were sending between them, paused as long as any of them was.
    pub(super) fn share(&mut self, now: Instant) {
        let until = self
            .lanes
            .iter()
            .map(|lane| lane.paused_until)
            .fold(now, Instant::max);
        if self.budget == Budget::PerOperation {
            let sending = self
                .lanes
                .iter()
                .filter_map(|lane| lane.adaptive.as_ref())
                .map(|adaptive| adaptive.sending(now))
                .sum();
            let adaptive = Adaptive::new(sending, self.ceiling.0);
            self.whole.interval = interval(adaptive.rate);
            self.whole.adaptive = Some(adaptive);
        }
        self.whole.paused_until = self.whole.paused_until.max(until);
        self.whole.next = self.whole.next.max(until);
        self.budget = Budget::Shared;
        tracing::info!(
            "the operations' 429s show one budget shared by all: a 429 pauses every call"
        );
    }

    /// The operations have budgets of their own: each gets its own rate, starting where the
    /// one rate was before its last cut and searching upwards from there.
    pub(super) fn separate(&mut self) {
        let start = self.whole.rate_before_cut();
        self.lane_start = Some(start);
        // The budget found shared later needs witnesses of its own.
        self.witnesses = 0;
        let ceiling = self.ceiling.0;
        for lane in &mut self.lanes {
            let adaptive = Adaptive::new(start, ceiling);
            lane.interval = interval(adaptive.rate);
            lane.adaptive = Some(adaptive);
            lane.next = lane.next.max(self.whole.next);
        }
        self.budget = Budget::PerOperation;
        tracing::info!(
            calls_per_second = start,
            "a 429 on one operation lets the others through: a rate per operation"
        );
    }
}
