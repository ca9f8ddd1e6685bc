//! [`RateLimit`]: the pace of every call of a client and its clones. Fixed, or adapting to
//! limits the service does not publish: one rate over all calls while the service's budget
//! may be one, a rate per operation once its budgets show to be one per API.
//!
//! How the two are told apart: until it is known, one rate paces every call (safe under one
//! shared budget), but a `429` pauses only the operation it came on, and the others go on.
//! A call of another operation sent in the first half of that `429`'s pause is a witness:
//! if the service lets it through, the budgets are separate; if it is throttled too, the
//! budget is one. Two witnesses of a shared budget more than of separate ones settle it
//! shared, and a `429` pauses every call from then on (for the client's life: a shared
//! pause leaves no witness to say otherwise); two witnesses of separate budgets more than of
//! a shared one, and each operation gets its own rate, starting where the shared one was and searching
//! upwards, so that a `429` on creates no longer slows the reads. Rates per operation that
//! meet `429`s on several operations at once were wrong: the budget is then found shared,
//! and one rate searches for it again from what they were sending between them. A client that only ever calls one operation needs no answer:
//! its one rate is the same either way. Each rate's rules are those of `adaptive.rs`.

mod adaptive;
mod budget;
mod pace;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use adaptive::{Adaptive, START_RATE};
use pace::Pace;

/// Spacing 2% wider than `1 / rate`: see [`RateLimit`].
const SPACING: f64 = 1.02;
/// The widest spacing kept (an absurd setting is one call a year, not an overflow).
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How far the witnesses of a shared budget must outnumber the others to settle it shared.
const SETTLED: i32 = 2;
/// How far the witnesses of separate budgets must outnumber the others to give each
/// operation its own rate. Two, not one: a call of another operation let through while one
/// operation waits out a `Retry-After` longer than the service's window may only have come
/// in the next window of one shared budget. A wrong guess still corrects itself (rates per
/// operation that overrun a shared budget meet `429`s on several operations at once, and the
/// budget is then found shared).
const SEPARATE: i32 = 2;
/// How many calls of other operations witness one `429` at most.
const WITNESSES: u32 = 2;

/// The pace of every call of a client and its clones
/// ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)): many workers on one
/// client make one stream of calls. Each attempt waits for its slot; a `429` pushes every
/// slot not yet begun (of its operation, or of all while the budget is shared) past its
/// `Retry-After`, so that one throttled call slows the others instead of each finding out
/// for itself.
///
/// - [`RateLimit::new`]: a fixed rate over all calls, `calls` per `per`.
/// - [`RateLimit::adaptive`]: for a service that publishes no limit (Partner Center adjusts
///   its limits per partner and per API as it goes). One rate paces every call until the
///   `429`s show how the budget is split ([`Budget`]): one shared budget keeps it, a budget
///   per operation gives each operation a rate of its own. Each rate starts at
///   two calls a second and doubles every second that calls wait for their slots, until its
///   first `429`. A `429` cuts the rate to 70% of the rate it came at; the rate then climbs
///   back, in about three seconds of use, to 95% of that rate, and from there probes
///   upwards, by a step that starts small (0.5% of it a second) and doubles every two
///   seconds without a `429` (every two pauses, when a `429`'s pause is longer): a limit
///   that stayed costs one `429` every seven seconds or so, and one that rose is found
///   again within seconds. A rate 10% past the last throttled one means the limit has
///   grown, and the search (doubling) starts again. A rate grows only while calls queue
///   for it, never while the client is idle.
/// - [`RateLimit::adaptive_up_to`]: the same, each rate starting at `calls` per `per`, and
///   all calls together never above it (the rate a caller gives is the whole client's).
/// - [`RateLimit::resuming`], [`RateLimit::resuming_up_to`]: the rates an earlier run had
///   found ([`RateLimit::learned`]), probing upwards from there.
///
/// Calls are spaced 2% wider than `1 / rate`: then no window, fixed or sliding, holds more
/// calls than the rate allows even when they reach the service a little early or late, so
/// the limit is kept however the service counts, at 98% of its rate. (Spaced exactly, the
/// call after the last of a window lands on the window's edge, and any jitter puts it
/// inside.)
#[derive(Debug)]
pub struct RateLimit {
    state: Mutex<State>,
}

/// How the service's budget for the calls of a client turned out to be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Budget {
    /// Not known yet: one rate over every call, a `429` pausing its operation only.
    Unknown,
    /// A budget per operation (per API): each operation has its own rate.
    PerOperation,
    /// One budget over every call: one rate paces them all.
    Shared,
}

/// What a [`RateLimit`] has found, for a later one to start from ([`RateLimit::resuming`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    /// How the budget is split.
    pub budget: Budget,
    /// Calls per second over all calls, when the budget is shared.
    pub shared: Option<f64>,
    /// Calls per second of each operation (by its name, as in the client's logs), when
    /// each has its own.
    pub operations: Vec<(String, f64)>,
}

/// Which pace a call waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    /// The one over all calls, while the budget is shared.
    Whole,
    /// Its operation's own, while it is not.
    Lane,
    /// Then the caller's ceiling over all calls, if one was given.
    Ceiling,
}

/// What came of one attempt sent under the limit.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer {
    /// The service answered, not with a `429`: its budget let the call through.
    Through,
    /// A `429`: every call it applies to waits this long.
    Throttled(Duration),
}

#[derive(Debug)]
struct State {
    budget: Budget,
    /// The pace over all calls: a fixed rate, or the rate of a budget that is shared or not
    /// known yet.
    whole: Pace,
    /// A pace per operation: its rate once the budgets are found per operation; before,
    /// only the pause of its last `429`.
    lanes: Vec<Pace>,
    /// The most calls a second over all calls that the caller allows (infinite if no
    /// ceiling was given), and while the operations have their own paces, the fixed pace
    /// that keeps them under it together.
    ceiling: (f64, Option<Pace>),
    /// Witnesses of separate budgets count down, of a shared one up.
    witnesses: i32,
    /// Rates an earlier run found, by operation, for the lanes not yet made.
    resumed: Vec<(String, f64)>,
    /// Where the rate of a lane made once the budgets were found per operation starts.
    lane_start: Option<f64>,
    /// `429`s met.
    throttled: u64,
}

/// The spacing of calls at `rate` calls per second.
fn interval(rate: f64) -> Duration {
    Duration::try_from_secs_f64(SPACING / rate)
        .unwrap_or(MAX_INTERVAL)
        .min(MAX_INTERVAL)
}

/// `calls` per `per`, in calls per second (`calls` of 0 is taken as 1).
fn per_second(calls: u32, per: Duration) -> f64 {
    f64::from(calls.max(1)) / per.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// The name of the pace over all calls.
const ALL: &str = "*";

/// Where a rate that knows nothing starts: at the caller's ceiling, if any.
fn start_rate(ceiling: f64) -> f64 {
    if ceiling.is_finite() {
        ceiling
    } else {
        START_RATE
    }
}

impl Learned {
    /// Nothing learned yet.
    fn nothing() -> Self {
        Self {
            budget: Budget::Unknown,
            shared: None,
            operations: Vec::new(),
        }
    }
}

impl RateLimit {
    fn with(budget: Budget, whole: Pace, ceiling: f64, resumed: Vec<(String, f64)>) -> Self {
        let fixed = ceiling.is_finite().then(|| Pace::new(ALL, ceiling, None));
        Self {
            state: Mutex::new(State {
                budget,
                whole,
                lanes: Vec::new(),
                ceiling: (ceiling, fixed),
                witnesses: 0,
                resumed,
                lane_start: None,
                throttled: 0,
            }),
        }
    }

    /// A fixed rate over all calls: `calls` per `per` (`calls` of 0 is taken as 1).
    pub fn new(calls: u32, per: Duration) -> Self {
        let rate = per_second(calls, per);
        let whole = Pace::new(ALL, rate, None);
        Self::with(Budget::Shared, whole, f64::INFINITY, Vec::new())
    }

    /// Rates that find the service's limits, per operation or shared: see [`RateLimit`].
    pub fn adaptive() -> Self {
        Self::resuming(&Learned::nothing())
    }

    /// Rates that find the service's limits, each starting at `calls` per `per`, all calls
    /// together never above it: see [`RateLimit`].
    pub fn adaptive_up_to(calls: u32, per: Duration) -> Self {
        Self::resuming_up_to(&Learned::nothing(), calls, per)
    }

    /// Adaptive rates starting from what an earlier limit had found: its budget, and its
    /// rates probing upwards from where they were. Operations it knew nothing of start at
    /// two calls a second.
    pub fn resuming(learned: &Learned) -> Self {
        Self::resuming_below(learned, f64::INFINITY)
    }

    /// [`RateLimit::resuming`], all calls together never above `calls` per `per`;
    /// operations it knew nothing of start there.
    pub fn resuming_up_to(learned: &Learned, calls: u32, per: Duration) -> Self {
        Self::resuming_below(learned, per_second(calls, per))
    }

    fn resuming_below(learned: &Learned, ceiling: f64) -> Self {
        let adaptive = match learned.shared {
            Some(rate) => Adaptive::resumed(rate, ceiling),
            None => Adaptive::new(start_rate(ceiling), ceiling),
        };
        let whole = Pace::new(ALL, adaptive.rate, Some(adaptive));
        Self::with(learned.budget, whole, ceiling, learned.operations.clone())
    }

    /// Starts over from what an earlier limit had found (an earlier run's
    /// [`RateLimit::learned`]), keeping this one's ceiling: as [`RateLimit::resuming`], for
    /// a client already built. A fixed rate stays as it is.
    pub fn resume(&self, learned: &Learned) {
        let mut state = self.state();
        if state.whole.adaptive.is_none() {
            return;
        }
        let fresh = Self::resuming_below(learned, state.ceiling.0);
        *state = fresh
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The rate now over all calls, in calls per second: the shared one, or the sum of the
    /// operations' own.
    pub fn rate(&self) -> f64 {
        let state = self.state();
        match state.budget {
            Budget::PerOperation => {
                let lanes = state.lanes.iter().map(Pace::rate).sum::<f64>();
                lanes.min(state.ceiling.0)
            }
            _ => state.whole.rate(),
        }
    }

    /// How the budget has turned out to be split.
    pub fn budget(&self) -> Budget {
        self.state().budget
    }

    /// What this limit has found, for a later one to start from.
    pub fn learned(&self) -> Learned {
        let state = self.state();
        let per_operation = state.budget == Budget::PerOperation;
        Learned {
            budget: state.budget,
            shared: (!per_operation).then(|| state.whole.rate()),
            operations: if per_operation {
                let lanes = state
                    .lanes
                    .iter()
                    .map(|l| (l.operation.to_owned(), l.rate()));
                lanes.collect()
            } else {
                Vec::new()
            },
        }
    }

    /// How many `429`s the calls under this limit have met.
    pub fn throttled(&self) -> u64 {
        self.state().throttled
    }

    /// How long a call still waits because Partner Center asked to (a `429`'s
    /// `Retry-After`); the longest such wait when each operation has its own, zero when no
    /// pause is on. For a screen that says why nothing moves.
    pub fn paused_for(&self) -> Duration {
        let state = self.state();
        let lanes = state.lanes.iter().map(|l| l.paused_until);
        let until = lanes.fold(state.whole.paused_until, Instant::max);
        until.saturating_duration_since(Instant::now())
    }

    /// Waits for the next free slot of `operation`; returns when the call was let go.
    pub(crate) async fn acquire(&self, operation: &'static str) -> Instant {
        loop {
            // While the budget is not known, a call waits out its own operation's pause
            // first, without holding up the others in the turn of the whole.
            let paused = self.state().lane_pause(operation);
            if let Some(until) = paused {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let (turn, which) = self.state().turn(operation);
            let Some(slot) = self.wait(turn, operation, which).await else {
                // Its pace changed, or its operation was throttled, while it waited: it
                // queues anew.
                continue;
            };
            if which == Which::Lane {
                let ceiling = self.state().ceiling.1.as_ref().map(|c| Arc::clone(&c.turn));
                if let Some(turn) = ceiling {
                    return self
                        .wait(turn, operation, Which::Ceiling)
                        .await
                        .unwrap_or(slot);
                }
            }
            return slot;
        }
    }

    /// Waits in `turn` for a slot of the pace `which` names; `None` when that pace no
    /// longer applies to `operation`.
    async fn wait(
        &self,
        turn: Arc<tokio::sync::Mutex<()>>,
        operation: &'static str,
        which: Which,
    ) -> Option<Instant> {
        // One call at a time waits for the next slot of its pace, in the order they came,
        // and its slot is settled only when it is next: a rate changed or a pause begun
        // meanwhile applies to every call not yet sent, not only to later ones.
        let _turn = turn.lock().await;
        loop {
            let slot = self.state().pace(operation, which)?.slot(Instant::now());
            tokio::time::sleep_until(slot).await;
            let mut state = self.state();
            // Its operation throttled while it waited: it waits that out first, anew.
            if which == Which::Whole && state.lane_pause(operation).is_some() {
                return None;
            }
            if state.pace(operation, which)?.take(slot) {
                return Some(slot);
            }
        }
    }

    /// What came of a call of `operation` let go at `sent`: a witness of how the budget is
    /// split, and (a `429`) a pause and a slower rate for the calls it applies to.
    pub(crate) fn answered(&self, operation: &'static str, sent: Instant, answer: Answer) {
        let now = Instant::now();
        let mut state = self.state();
        if state.budget != Budget::Shared {
            state.witness(operation, sent, matches!(answer, Answer::Through), now);
        }
        if let Answer::Throttled(wait) = answer {
            state.throttled += 1;
            match state.budget {
                Budget::Shared => state.whole.pause(now, wait),
                Budget::PerOperation => state.lane(operation).pause(now, wait),
                _ => {
                    // The one rate learns; only the operation throttled waits.
                    state.whole.cut(now, wait);
                    state.lane(operation).hold(now, wait);
                }
            }
        }
    }
}

impl State {
    /// The turn a call of `operation` waits in first, and which pace's it is.
    fn turn(&mut self, operation: &'static str) -> (Arc<tokio::sync::Mutex<()>>, Which) {
        match self.budget {
            Budget::PerOperation => (Arc::clone(&self.lane(operation).turn), Which::Lane),
            _ => (Arc::clone(&self.whole.turn), Which::Whole),
        }
    }

    /// While the budget is not known, when the pause of `operation`'s last `429` ends, if
    /// it has not.
    fn lane_pause(&mut self, operation: &'static str) -> Option<Instant> {
        if self.budget != Budget::Unknown {
            return None;
        }
        let until = self.lane(operation).paused_until;
        (until > Instant::now()).then_some(until)
    }

    /// The pace `which` for a call of `operation`; `None` when it no longer applies.
    fn pace(&mut self, operation: &'static str, which: Which) -> Option<&mut Pace> {
        match (self.budget, which) {
            (Budget::PerOperation, Which::Lane) => Some(self.lane(operation)),
            (Budget::PerOperation, Which::Whole) | (_, Which::Lane) => None,
            (_, Which::Whole) => Some(&mut self.whole),
            (_, Which::Ceiling) => self.ceiling.1.as_mut(),
        }
    }

    /// The pace of `operation`, made on its first call.
    fn lane(&mut self, operation: &'static str) -> &mut Pace {
        let index = match self.lanes.iter().position(|l| l.operation == operation) {
            Some(index) => index,
            None => {
                let resumed = self.resumed.iter().find(|(name, _)| name == operation);
                let ceiling = self.ceiling.0;
                let adaptive = match resumed {
                    Some((_, rate)) => Adaptive::resumed(*rate, ceiling),
                    None => Adaptive::new(self.lane_start.unwrap_or(start_rate(ceiling)), ceiling),
                };
                let rate = adaptive.rate;
                self.lanes.push(Pace::new(operation, rate, Some(adaptive)));
                self.lanes.len() - 1
            }
        };
        &mut self.lanes[index]
    }
}
