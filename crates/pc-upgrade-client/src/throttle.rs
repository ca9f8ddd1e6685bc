//! [`RateLimit`]: one rate for every call of a client and its clones, which a `429` pauses
//! for all of them at once.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// At most `calls` calls per `per`, spaced evenly, shared by every clone of the client it is
/// given to ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)): many workers on
/// one client make one stream of calls. Each attempt waits for its slot; a `429` pushes every
/// slot not yet begun past its `Retry-After`, so that one throttled call slows all workers
/// instead of each finding out for itself.
///
/// Calls are spaced 2% wider than `per / calls`: then no window of `per`, fixed or sliding,
/// holds more than `calls` of them even when they reach the service a little early or late,
/// so the limit is kept however the service counts, at 98% of its rate. (Spaced exactly
/// `per / calls`, the call after the `calls`-th lands on the window's edge, and any jitter
/// puts it inside.)
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    slots: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    next: Instant,
    paused_until: Instant,
}

impl RateLimit {
    /// `calls` per `per` (`calls` of 0 is taken as 1).
    pub fn new(calls: u32, per: Duration) -> Self {
        let now = Instant::now();
        Self {
            interval: (per / calls.max(1)).mul_f64(1.02),
            slots: Mutex::new(Slots {
                next: now,
                paused_until: now,
            }),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the next free slot.
    pub(crate) async fn acquire(&self) {
        loop {
            let slot = {
                let mut slots = self.slots();
                let slot = Instant::now().max(slots.next).max(slots.paused_until);
                slots.next = slot + self.interval;
                slot
            };
            tokio::time::sleep_until(slot).await;
            // A 429 while this call waited moves it after the pause.
            if self.slots().paused_until <= Instant::now() {
                return;
            }
        }
    }

    /// Pauses every call not yet begun for `wait`.
    pub(crate) fn pause(&self, wait: Duration) {
        let Some(until) = Instant::now().checked_add(wait) else {
            return;
        };
        let mut slots = self.slots();
        slots.paused_until = slots.paused_until.max(until);
        slots.next = slots.next.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
