//! [`Throttle`]: at most so many calls per partner tenant in each window, over all three
//! operations; past that, `429` with `Retry-After`. [`Windows`] counts the calls.

use std::collections::HashMap;
use std::time::Duration;

// Tokio's clock: a test on a paused clock sees upgrades take their time in no time.
use tokio::time::Instant;

use serde::{Deserialize, Serialize};

/// At most `limit` calls per partner tenant (bearer token) in each window of `window_ms`;
/// past that, `429` with `Retry-After`. Every operation counts against the same window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Throttle {
    /// Calls allowed per window.
    pub limit: u32,
    /// The window, in milliseconds.
    pub window_ms: u64,
}

impl Throttle {
    /// `limit` calls per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window_ms: millis(window),
        }
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Per tenant: the start of its window and the calls made in it.
#[derive(Default)]
pub(crate) struct Windows(HashMap<String, (Instant, u32)>);

impl Windows {
    /// Counts a call of `tenant`; the wait when its window is used up.
    pub(crate) fn throttled(&mut self, throttle: &Throttle, tenant: &str) -> Option<Duration> {
        let window = Duration::from_millis(throttle.window_ms.max(1));
        let now = Instant::now();
        let (start, count) = self.0.entry(tenant.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= window {
            *start = now;
            *count = 0;
        }
        if *count >= throttle.limit {
            return Some(window.saturating_sub(now.duration_since(*start)));
        }
        *count += 1;
        None
    }
}
