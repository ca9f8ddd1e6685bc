//! [`Pace`]: the slots of one stream of calls (an operation's, or all of them), and its
//! adaptive rate if it has one.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::adaptive::Adaptive;
use super::{MAX_INTERVAL, SPACING, interval};

/// The slots of one stream of calls.
#[derive(Debug)]
pub(super) struct Pace {
    pub(super) operation: &'static str,
    /// Whose turn it is to wait for the next slot of this pace.
    pub(super) turn: Arc<tokio::sync::Mutex<()>>,
    pub(super) next: Instant,
    pub(super) paused_until: Instant,
    pub(super) interval: Duration,
    pub(super) adaptive: Option<Adaptive>,
    /// The last `429` of this pace: when it came, when its pause ends, and how many
    /// witnesses it has had.
    pub(super) last_pause: Option<(Instant, Instant, u32)>,
}

impl Pace {
    pub(super) fn new(operation: &'static str, rate: f64, adaptive: Option<Adaptive>) -> Self {
        let now = Instant::now();
        Self {
            operation,
            turn: Arc::new(tokio::sync::Mutex::new(())),
            next: now,
            paused_until: now,
            interval: interval(rate),
            adaptive,
            last_pause: None,
        }
    }

    pub(super) fn rate(&self) -> f64 {
        match &self.adaptive {
            Some(adaptive) => adaptive.rate,
            None => SPACING / self.interval.as_secs_f64(),
        }
    }

    /// The slot the next call may take, the rate brought up to date first.
    pub(super) fn slot(&mut self, now: Instant) -> Instant {
        let saturated = self.next > now;
        let paused = self.paused_until > now;
        if let Some(adaptive) = self.adaptive.as_mut() {
            adaptive.grow(now, saturated, paused);
            self.interval = interval(adaptive.rate);
        }
        now.max(self.next).max(self.paused_until)
    }

    /// Takes `slot`, unless a pause begun or a call sent meanwhile moved it.
    pub(super) fn take(&mut self, slot: Instant) -> bool {
        if self.paused_until > slot || self.next > slot {
            return false;
        }
        self.next = slot + self.interval;
        if let Some(adaptive) = self.adaptive.as_mut() {
            adaptive.sent(slot);
        }
        true
    }

    /// A `429` at `now`: every slot not yet taken waits `wait`, and the rate is cut.
    pub(super) fn pause(&mut self, now: Instant, wait: Duration) {
        self.hold(now, wait);
        self.cut(now, wait);
    }

    /// A `429` at `now` that this pace's calls wait out, its rate left as it is.
    pub(super) fn hold(&mut self, now: Instant, wait: Duration) {
        let until = until(now, wait);
        self.paused_until = self.paused_until.max(until);
        self.next = self.next.max(until);
        self.last_pause = Some((now, until, 0));
    }

    /// A `429` at `now` that cuts this pace's rate, its calls not paused.
    pub(super) fn cut(&mut self, now: Instant, wait: Duration) {
        if let Some(adaptive) = self.adaptive.as_mut() {
            adaptive.throttled(now, until(now, wait));
            self.interval = interval(adaptive.rate);
        }
    }

    /// The rate before the last `429` cut it (the rate now if none did).
    pub(super) fn rate_before_cut(&self) -> f64 {
        self.adaptive
            .as_ref()
            .and_then(Adaptive::throttled_at)
            .unwrap_or_else(|| self.rate())
    }
}

/// When a pause of `wait` from `now` ends (a wait too long to represent: a year).
fn until(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait.min(MAX_INTERVAL)).unwrap_or(now)
}
