//! [`RateLimit`]: one rate for every call of a client and its clones, which a `429` pauses
//! for all of them at once; fixed, or adapting to the limit the service turns out to have.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The rate an adaptive limit starts at when it knows nothing: two calls a second.
const START_RATE: f64 = 2.0;
/// The rate an adaptive limit never goes below, however often it is throttled.
const FLOOR_RATE: f64 = 0.1;
/// What a `429` leaves of the rate it came at, while searching or climbing back.
const BACKOFF: f64 = 0.7;
/// What a `429` leaves of the rate it came at while probing just above the last throttled
/// rate: the limit is known to be near, so a small step back is enough.
const PROBE_BACKOFF: f64 = 0.9;
/// The share of the rate of the last `429` that the rate climbs back to after it.
const TARGET: f64 = 0.95;
/// How long the climb back to that target takes, in seconds of saturated use.
const RECOVERY_SECS: f64 = 3.0;
/// Past the target, the rate grows by this share of the throttled rate per second, probing
/// whether the service now allows more.
const PROBE_PER_SEC: f64 = 0.002;
/// A rate this far above the last throttled one without a `429` means the service's limit
/// has grown: the limit starts searching from there again.
const REOPEN: f64 = 1.1;
/// Spacing 2% wider than `1 / rate`: see [`RateLimit`].
const SPACING: f64 = 1.02;
/// The widest spacing kept (an absurd setting is one call a year, not an overflow).
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);

/// At most a number of calls per second, spaced evenly, shared by every clone of the client
/// it is given to ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)): many
/// workers on one client make one stream of calls. Each attempt waits for its slot; a `429`
/// pushes every slot not yet begun past its `Retry-After`, so that one throttled call slows
/// all workers instead of each finding out for itself.
///
/// - [`RateLimit::new`]: a fixed rate, `calls` per `per`.
/// - [`RateLimit::adaptive`]: for a service that publishes no limit (Partner Center adjusts
///   its limits per partner as it goes). It starts at two calls a second and doubles the rate
///   every second that calls wait for their slots, until the first `429`. A `429` cuts the
///   rate to 70% of the rate it came at; the rate then climbs back, in about five seconds of
///   use, to 95% of that rate, and from there probes upwards slowly (0.2% of it a second), so
///   that the run settles just under the service's limit and is throttled seldom. A rate
///   10% past the last throttled one means the limit has grown, and the search starts again.
///   The rate grows only while calls queue for it, never while the client is idle.
/// - [`RateLimit::adaptive_up_to`]: the same, never above `calls` per `per`, and starting
///   there.
///
/// Calls are spaced 2% wider than `1 / rate`: then no window, fixed or sliding, holds more
/// calls than the rate allows even when they reach the service a little early or late, so
/// the limit is kept however the service counts, at 98% of its rate. (Spaced exactly, the
/// call after the last of a window lands on the window's edge, and any jitter puts it
/// inside.)
#[derive(Debug)]
pub struct RateLimit {
    slots: Mutex<Slots>,
    /// Whose turn it is to wait for the next slot.
    turn: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Slots {
    next: Instant,
    paused_until: Instant,
    interval: Duration,
    adaptive: Option<Adaptive>,
    /// `429`s seen.
    throttled: u64,
}

/// The state of an adaptive rate.
#[derive(Debug)]
struct Adaptive {
    /// Calls per second now.
    rate: f64,
    /// Never more than this (infinite without a ceiling).
    ceiling: f64,
    /// The rate the last `429` came at; `None` while searching (doubling).
    throttled_at: Option<f64>,
    /// How fast the rate climbs back after a `429`, in calls per second per second.
    slope: f64,
    /// How long the last `429` paused every call, in seconds (at least one).
    pause_secs: f64,
    /// When the rate was last brought up to date.
    updated: Instant,
    /// `429`s before this are of the burst already answered: they cut the rate once.
    hold_until: Instant,
    /// When the calls of the last second were sent (at most [`MAX_KEPT`] of them).
    sent: VecDeque<Instant>,
}

/// How many send times an adaptive limit keeps at most.
const MAX_KEPT: usize = 100_000;

impl Adaptive {
    /// Grows the rate for the time since the last update, if calls were waiting for it (not
    /// for a pause: a paused limit learns nothing). While searching, the rate never grows
    /// past twice what is really sent, so that it cannot run away from the calls.
    fn grow(&mut self, now: Instant, saturated: bool, paused: bool) {
        let seconds = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = now;
        if !saturated || paused || seconds == 0.0 {
            return;
        }
        match self.throttled_at {
            None => {
                let sending = self.sending(now);
                let grown = self.rate * 2f64.powf(seconds.min(60.0));
                self.rate = self.rate.max(grown.min(2.0 * sending + 1.0));
            }
            Some(bad) => {
                let target = TARGET * bad;
                if self.rate < target {
                    self.rate = (self.rate + self.slope * seconds).min(target);
                } else {
                    // The dearer a 429 (its pause), the slower the probe: one in about every
                    // 25 pauses' time, whatever the pause.
                    self.rate += PROBE_PER_SEC * bad * seconds / self.pause_secs;
                }
                if self.rate > REOPEN * bad {
                    self.throttled_at = None;
                }
            }
        }
        self.rate = self.rate.min(self.ceiling);
    }

    /// The calls sent in the last second.
    fn sending(&self, now: Instant) -> f64 {
        let from = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        self.sent.iter().rev().take_while(|at| **at > from).count() as f64
    }

    /// One more call sent at `now`.
    fn sent(&mut self, now: Instant) {
        let from = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        while self
            .sent
            .front()
            .is_some_and(|at| *at <= from || self.sent.len() >= MAX_KEPT)
        {
            self.sent.pop_front();
        }
        self.sent.push_back(now);
    }

    /// A `429` at `now`, whose pause ends at `until`. One that comes while this client sends
    /// far below its rate says that something else used the partner's budget: the pause is
    /// enough, and the rate stays.
    fn throttled(&mut self, now: Instant, until: Instant) {
        let sending = self.sending(now);
        if now < self.hold_until || sending < 0.25 * self.rate {
            return;
        }
        let probing = self
            .throttled_at
            .is_some_and(|bad| self.rate >= TARGET * bad);
        // What was really sent, when that is less than the rate (while it rose).
        let bad = self.rate.min(sending.max(FLOOR_RATE));
        let backoff = if probing { PROBE_BACKOFF } else { BACKOFF };
        self.rate = (bad * backoff).max(FLOOR_RATE).min(self.ceiling);
        self.slope = ((TARGET * bad - self.rate) / RECOVERY_SECS).max(0.0);
        self.throttled_at = Some(bad);
        self.pause_secs = until.saturating_duration_since(now).as_secs_f64().max(1.0);
        // Calls sent before the pause may still come back throttled: one cut per burst.
        self.hold_until = until + Duration::from_secs(1);
        self.updated = until.max(now);
    }
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

impl RateLimit {
    fn with(rate: f64, adaptive: Option<Adaptive>) -> Self {
        let now = Instant::now();
        Self {
            slots: Mutex::new(Slots {
                next: now,
                paused_until: now,
                interval: interval(rate),
                adaptive,
                throttled: 0,
            }),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// A fixed rate: `calls` per `per` (`calls` of 0 is taken as 1).
    pub fn new(calls: u32, per: Duration) -> Self {
        Self::with(per_second(calls, per), None)
    }

    /// A rate that finds the service's limit: see [`RateLimit`].
    pub fn adaptive() -> Self {
        Self::adaptive_from(START_RATE, f64::INFINITY)
    }

    /// A rate that finds the service's limit, never above `calls` per `per`, and starting at
    /// that ceiling: see [`RateLimit`].
    pub fn adaptive_up_to(calls: u32, per: Duration) -> Self {
        let ceiling = per_second(calls, per);
        Self::adaptive_from(ceiling, ceiling)
    }

    fn adaptive_from(rate: f64, ceiling: f64) -> Self {
        let now = Instant::now();
        Self::with(
            rate,
            Some(Adaptive {
                rate,
                ceiling,
                throttled_at: None,
                slope: 0.0,
                pause_secs: 1.0,
                updated: now,
                hold_until: now,
                sent: VecDeque::new(),
            }),
        )
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The rate now, in calls per second.
    pub fn rate(&self) -> f64 {
        let slots = self.slots();
        match &slots.adaptive {
            Some(adaptive) => adaptive.rate,
            None => SPACING / slots.interval.as_secs_f64(),
        }
    }

    /// How many `429`s the calls under this limit have met.
    pub fn throttled(&self) -> u64 {
        self.slots().throttled
    }

    /// How long every call still waits because Partner Center asked to (a `429`'s
    /// `Retry-After`); zero when no pause is on. For a screen that says why nothing moves.
    pub fn paused_for(&self) -> Duration {
        let until = self.slots().paused_until;
        until.saturating_duration_since(Instant::now())
    }

    /// Waits for the next free slot.
    pub(crate) async fn acquire(&self) {
        // One call at a time waits for the next slot, in the order they came, and its slot
        // is settled only when it is next: a rate changed or a pause begun meanwhile applies
        // to every call not yet sent, not only to those that come later.
        let _turn = self.turn.lock().await;
        loop {
            let slot = {
                let mut slots = self.slots();
                let now = Instant::now();
                let saturated = slots.next > now;
                let paused = slots.paused_until > now;
                if let Some(adaptive) = slots.adaptive.as_mut() {
                    adaptive.grow(now, saturated, paused);
                    let rate = adaptive.rate;
                    slots.interval = interval(rate);
                }
                now.max(slots.next).max(slots.paused_until)
            };
            tokio::time::sleep_until(slot).await;
            let mut slots = self.slots();
            // A 429 while this call waited moves it after the pause.
            if slots.paused_until > Instant::now() {
                continue;
            }
            slots.next = slot + slots.interval;
            if let Some(adaptive) = slots.adaptive.as_mut() {
                adaptive.sent(slot);
            }
            return;
        }
    }

    /// A call was throttled: pauses every call not yet begun for `wait`, and (adaptive)
    /// lowers the rate.
    pub(crate) fn pause(&self, wait: Duration) {
        let now = Instant::now();
        let until = now.checked_add(wait.min(MAX_INTERVAL)).unwrap_or(now);
        let mut slots = self.slots();
        slots.throttled += 1;
        slots.paused_until = slots.paused_until.max(until);
        slots.next = slots.next.max(until);
        if let Some(adaptive) = slots.adaptive.as_mut() {
            adaptive.throttled(now, until);
            let rate = adaptive.rate;
            slots.interval = interval(rate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `429`'s pause is there to be read (a screen says how long), counting down.
    #[tokio::test(start_paused = true)]
    async fn a_pause_says_how_long_it_has_left() {
        let limit = RateLimit::new(10, Duration::from_secs(1));
        assert_eq!(limit.paused_for(), Duration::ZERO);
        limit.pause(Duration::from_secs(17));
        assert_eq!(limit.paused_for(), Duration::from_secs(17));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(limit.paused_for(), Duration::from_secs(7));
        tokio::time::sleep(Duration::from_secs(8)).await;
        assert_eq!(limit.paused_for(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_and_a_pause_moves_them_all() {
        let limit = std::sync::Arc::new(RateLimit::new(10, Duration::from_secs(1)));
        let start = Instant::now();
        for _ in 0..3 {
            limit.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(204));
        limit.pause(Duration::from_secs(5));
        limit.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_millis(5204));
        assert_eq!(limit.throttled(), 1);
    }

    #[test]
    fn absurd_settings_neither_panic_nor_stop_the_clock() {
        for limit in [
            RateLimit::new(0, Duration::MAX),
            RateLimit::new(u32::MAX, Duration::ZERO),
            RateLimit::adaptive_up_to(1, Duration::MAX),
        ] {
            limit.pause(Duration::MAX);
            assert!(limit.rate() > 0.0);
        }
    }

    /// `workers` callers making calls back to back on one adaptive limit, against a service
    /// allowing `limit` calls a second in fixed one-second windows that answers a `429` with
    /// the rest of its window (as the fake does): calls answered and throttled.
    async fn against_fixed_windows(
        rate: &std::sync::Arc<RateLimit>,
        limit: u32,
        seconds: u64,
        workers: usize,
    ) -> (u32, u32) {
        #[derive(Default)]
        struct Service {
            window: Option<Instant>,
            used: u32,
            answered: u32,
            throttled: u32,
        }
        let service = std::sync::Arc::new(Mutex::new(Service::default()));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let (rate, service) = (std::sync::Arc::clone(rate), std::sync::Arc::clone(&service));
            tasks.spawn(async move {
                while start.elapsed() < Duration::from_secs(seconds) {
                    rate.acquire().await;
                    // A millisecond on the way to the service.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let now = Instant::now();
                    let rest = {
                        let mut s = service.lock().unwrap();
                        let window = *s.window.get_or_insert(now);
                        if now - window >= Duration::from_secs(1) {
                            (s.window, s.used) = (Some(now), 0);
                        }
                        if s.used < limit {
                            s.used += 1;
                            s.answered += 1;
                            None
                        } else {
                            s.throttled += 1;
                            let window = s.window.unwrap_or(now);
                            Some(Duration::from_secs(1).saturating_sub(now - window))
                        }
                    };
                    // The answer takes another millisecond back.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    if let Some(rest) = rest {
                        rate.pause(rest.max(Duration::from_secs(1)));
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let s = service.lock().unwrap();
        (s.answered, s.throttled)
    }

    #[tokio::test(start_paused = true)]
    async fn an_adaptive_rate_finds_the_limit_and_stays_under_it() {
        let rate = std::sync::Arc::new(RateLimit::adaptive());
        let (answered, throttled) = against_fixed_windows(&rate, 20, 120, 16).await;
        eprintln!(
            "adaptive, limit 20/s, 120 s: {answered} answered ({:.1} % of 2,400), {throttled} throttled, rate now {:.2}/s",
            f64::from(answered) / 24.0,
            rate.rate()
        );
        // 120 s at 20 calls a second allow 2,400 calls.
        assert!(
            answered >= 2_100,
            "{answered} answered, {throttled} throttled"
        );
        assert!(
            throttled * 100 <= answered,
            "{throttled} throttled of {answered}"
        );
        assert!((17.0..=21.5).contains(&rate.rate()), "{}", rate.rate());
    }

    #[tokio::test(start_paused = true)]
    async fn under_a_ceiling_the_rate_starts_there_and_never_passes_it() {
        let rate = std::sync::Arc::new(RateLimit::adaptive_up_to(20, Duration::from_secs(1)));
        let (answered, throttled) = against_fixed_windows(&rate, 20, 60, 16).await;
        assert_eq!(throttled, 0);
        assert!(answered >= 1_160, "{answered}");
        assert!(rate.rate() <= 20.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_while_sending_little_pauses_without_cutting_the_rate() {
        let rate = RateLimit::adaptive_up_to(40, Duration::from_secs(1));
        rate.acquire().await;
        rate.pause(Duration::from_secs(1));
        assert_eq!(rate.rate(), 40.0);
        assert_eq!(rate.throttled(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_does_not_raise_its_rate() {
        let rate = RateLimit::adaptive();
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_secs(5)).await;
            rate.acquire().await;
        }
        assert_eq!(rate.rate(), START_RATE);
    }
}
