//! [`Adaptive`]: one rate that finds a limit nobody published, from the `429`s it meets.
//! The rules and their constants are explained on [`RateLimit`](super::RateLimit).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The rate an adaptive limit starts at when it knows nothing: two calls a second.
pub(super) const START_RATE: f64 = 2.0;
/// The rate an adaptive limit never goes below, however often it is throttled.
pub(super) const FLOOR_RATE: f64 = 0.1;
/// What a `429` leaves of the rate it came at, while searching or climbing back.
pub(super) const BACKOFF: f64 = 0.7;
/// What a `429` leaves of the rate it came at while probing just above the last throttled
/// rate: the limit is known to be near, so a small step back is enough.
const PROBE_BACKOFF: f64 = 0.9;
/// The share of the rate of the last `429` that the rate climbs back to after it.
pub(super) const TARGET: f64 = 0.95;
/// How long the climb back to that target takes, in seconds of saturated use.
const RECOVERY_SECS: f64 = 3.0;
/// Past the target, the rate grows by this share of the throttled rate per second (per
/// pause's length, when a `429` costs more than a second), probing whether the service now
/// allows more: slowly, since each `429` costs a pause.
const PROBE_PER_SEC: f64 = 0.002;
/// After the limit fell (the last `429` came below [`FALLEN`] of the highest rate a `429`
/// came at), the service may well raise it again: the probe then starts at this share a
/// second and doubles every [`PROBE_DOUBLING`] pauses' length without a `429`, so that a
/// limit that rises again is found within seconds.
const PROBE_FAST_PER_SEC: f64 = 0.005;
/// See [`PROBE_FAST_PER_SEC`].
const PROBE_DOUBLING: f64 = 2.0;
/// See [`PROBE_FAST_PER_SEC`].
const FALLEN: f64 = 0.8;
/// Each fast probe that meets the limit where it was lowers the highest rate remembered by
/// this share: a limit that stays low becomes the usual one in a minute or two.
const PEAK_DECAY: f64 = 0.9;
/// A rate this far above the last throttled one without a `429` means the service's limit
/// has grown: the limit starts searching from there again.
const REOPEN: f64 = 1.1;
/// How many send times an adaptive limit keeps at most.
const MAX_KEPT: usize = 100_000;

/// The state of an adaptive rate.
#[derive(Debug)]
pub(super) struct Adaptive {
    /// Calls per second now.
    pub(super) rate: f64,
    /// Never more than this (infinite without a ceiling).
    ceiling: f64,
    /// The rate the last `429` came at; `None` while searching (doubling).
    throttled_at: Option<f64>,
    /// How fast the rate climbs back after a `429`, in calls per second per second.
    slope: f64,
    /// How long the last `429` paused every call, in seconds (at least one).
    pause_secs: f64,
    /// The highest rate a `429` came at (lowered as a lower limit lasts).
    peak: f64,
    /// When the rate reached its target after the last `429`: the probe's start.
    probing_since: Option<Instant>,
    /// When the rate was last brought up to date.
    updated: Instant,
    /// `429`s before this are of the burst already answered: they cut the rate once.
    hold_until: Instant,
    /// When the calls of the last second were sent (at most [`MAX_KEPT`] of them).
    sent: VecDeque<Instant>,
}

impl Adaptive {
    /// A rate starting at `rate`, never above `ceiling`, searching.
    pub(super) fn new(rate: f64, ceiling: f64) -> Self {
        let now = Instant::now();
        Self {
            rate: rate.min(ceiling),
            ceiling,
            throttled_at: None,
            slope: 0.0,
            pause_secs: 1.0,
            peak: 0.0,
            probing_since: None,
            updated: now,
            hold_until: now,
            sent: VecDeque::new(),
        }
    }

    /// A rate that was found before (by an earlier run): it starts there, probing upwards as
    /// it would had it just climbed back to it.
    pub(super) fn resumed(rate: f64, ceiling: f64) -> Self {
        let rate = rate.clamp(FLOOR_RATE, ceiling);
        Self {
            throttled_at: Some(rate / TARGET),
            ..Self::new(rate, ceiling)
        }
    }

    /// Grows the rate for the time since the last update, if calls were waiting for it (not
    /// for a pause: a paused limit learns nothing). While searching, the rate never grows
    /// past twice what is really sent, so that it cannot run away from the calls.
    pub(super) fn grow(&mut self, now: Instant, saturated: bool, paused: bool) {
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
                    let since = *self.probing_since.get_or_insert(now);
                    let pauses =
                        now.saturating_duration_since(since).as_secs_f64() / self.pause_secs;
                    let step = if bad < FALLEN * self.peak {
                        PROBE_FAST_PER_SEC * 2f64.powf((pauses / PROBE_DOUBLING).min(30.0))
                    } else {
                        PROBE_PER_SEC
                    };
                    self.rate += step * bad * seconds / self.pause_secs;
                }
                if self.rate > REOPEN * bad {
                    self.throttled_at = None;
                    self.probing_since = None;
                }
            }
        }
        self.rate = self.rate.min(self.ceiling);
    }

    /// The rate the last `429` came at, while it is remembered.
    pub(super) fn throttled_at(&self) -> Option<f64> {
        self.throttled_at
    }

    /// The calls sent in the last second.
    pub(super) fn sending(&self, now: Instant) -> f64 {
        let from = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        self.sent.iter().rev().take_while(|at| **at > from).count() as f64
    }

    /// One more call sent at `now`.
    pub(super) fn sent(&mut self, now: Instant) {
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

    /// A `429` at `now`, whose pause ends at `until`. One that comes while this rate is used
    /// far below itself says that something else used the partner's budget: the pause is
    /// enough, and the rate stays.
    pub(super) fn throttled(&mut self, now: Instant, until: Instant) {
        let sending = self.sending(now);
        if now < self.hold_until || sending < 0.25 * self.rate {
            return;
        }
        let probing = self
            .throttled_at
            .is_some_and(|bad| self.rate >= TARGET * bad);
        // What was really sent, when that is less than the rate (while it rose).
        self.rate = self.rate.min(sending.max(FLOOR_RATE));
        if probing {
            self.peak *= PEAK_DECAY;
        }
        self.cut(now, until, if probing { PROBE_BACKOFF } else { BACKOFF });
    }

    /// The rate now is where the service said no: back off from it by `backoff`.
    fn cut(&mut self, now: Instant, until: Instant, backoff: f64) {
        let bad = self.rate;
        self.peak = self.peak.max(bad);
        self.rate = (bad * backoff).max(FLOOR_RATE).min(self.ceiling);
        self.slope = ((TARGET * bad - self.rate) / RECOVERY_SECS).max(0.0);
        self.throttled_at = Some(bad);
        self.probing_since = None;
        self.pause_secs = until.saturating_duration_since(now).as_secs_f64().max(1.0);
        // Calls sent before the pause may still come back throttled: one cut per burst.
        self.hold_until = until + Duration::from_secs(1);
        self.updated = until.max(now);
    }
}
