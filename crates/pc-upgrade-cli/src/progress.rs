//! Progress while a run goes. On a terminal (the console's `err`, where the bar draws): a bar that ticks every second, with the customers done, the upgrades being
//! waited for, the rate in force (per second, or per minute when the operator gave it so)
//! and an estimate of the time left (`eta.rs`), in 80 columns; while Partner Center has
//! asked every call to wait (a `429`), the bar says so and for how long instead. Log lines
//! print above it, never through it. Elsewhere: one line per customer as it ends, with a UTC
//! timestamp, through the console. Quiet: nothing. The bar is in the console's [`Screen`]
//! while it is drawn, for the log to write above it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use pc_upgrade_client::RateLimit;

use crate::console::Console;
use crate::eta::Eta;
use crate::report::{Row, Tally};

/// The most of a customer's detail a progress line shows.
const DETAIL: usize = 300;

/// A lock, even one a panicking thread held (what it guards stays usable).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the run tells the bar between customers.
#[derive(Default)]
struct Live {
    /// Upgrades being waited for.
    waiting: AtomicUsize,
    /// Calls sent.
    calls: AtomicU64,
    /// The client's rate limit (its rate, its pause), and whether the operator gave the
    /// rate per minute.
    limit: Mutex<Option<(Arc<RateLimit>, bool)>>,
    /// The estimate of the time left.
    eta: Mutex<Eta>,
}

/// Progress over a run's customers, shown on `console`.
pub struct Progress<'a> {
    bar: Option<ProgressBar>,
    counts: Mutex<Tally>,
    live: Arc<Live>,
    quiet: bool,
    console: &'a Console,
}

impl<'a> Progress<'a> {
    /// Progress over `total` customers on `console` (a bar when its `err` is a terminal);
    /// `quiet` shows none.
    pub fn new(total: usize, quiet: bool, console: &'a Console) -> Self {
        let live = Arc::new(Live::default());
        let bar = (!quiet && console.is_terminal()).then(|| bar(total, &live));
        if bar.is_some() {
            console.screen().set(bar.clone());
        }
        Self {
            bar,
            counts: Mutex::new(Tally::default()),
            live,
            quiet,
            console,
        }
    }

    /// `count` upgrades are being waited for.
    pub fn waiting(&self, count: usize) {
        self.live.waiting.store(count, Ordering::Relaxed);
    }

    /// A call is sent.
    pub fn call(&self) {
        self.live.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// The bar shows `limit`'s rate (per minute when `per_minute`) and its pauses.
    pub fn watch(&self, limit: Option<Arc<RateLimit>>, per_minute: bool) {
        *lock(&self.live.limit) = limit.map(|limit| (limit, per_minute));
    }

    /// A customer is done.
    pub fn done(&self, row: &Row) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.add(row.outcome);
        // The pace is of customers this run worked on, not of those the journal had done.
        if row.started.is_some() {
            lock(&self.live.eta).done(Instant::now());
        }
        match &self.bar {
            Some(bar) => bar.inc(1),
            None if self.quiet => {}
            None => {
                let customer = row.customer_id.map(|c| c.to_string()).unwrap_or_default();
                // Server text: escaped as everywhere on the terminal (no bidi override or
                // escape sequence reaches it).
                let detail = row
                    .detail
                    .as_deref()
                    .map(|d| format!(": {}", pc_upgrade_client::shown(d, DETAIL)))
                    .unwrap_or_default();
                self.console.err(&format!(
                    "{} {customer} {}{detail} [{}]\n",
                    crate::utc::now(),
                    row.outcome,
                    *counts
                ));
            }
        }
    }

    /// The run is over: the bar is cleared, and log lines go straight to stderr again.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            self.console.screen().set(None);
        }
    }
}

/// `1h 05m`, `2m 03s`, `9s`: at most 7 characters below 100 hours.
fn short_duration(seconds: f64) -> String {
    let seconds = seconds.clamp(0.0, 1e9) as u64;
    match (seconds / 3600, seconds / 60 % 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// What the bar says after the count.
#[derive(Clone, Copy, Debug, Default)]
struct Shown {
    /// Upgrades being waited for.
    waiting: usize,
    /// Calls a second: the rate in force, or else the pace so far.
    rate: f64,
    /// Say the rate per minute.
    per_minute: bool,
    /// What is left of a pause Partner Center asked for.
    paused: Duration,
    /// The time left, once worth reading.
    eta: Option<Duration>,
}

/// `· 37 waiting · 19.6/s · ETA 2m 03s`, or `· Partner Center asked to wait 17 s`.
fn state_text(shown: Shown) -> String {
    if !shown.paused.is_zero() {
        let seconds = shown.paused.as_secs_f64().ceil();
        return format!("· Partner Center asked to wait {seconds} s");
    }
    let rate = match shown.per_minute {
        true => format!("{:.0}/min", shown.rate * 60.0),
        false => format!("{:.1}/s", shown.rate),
    };
    let eta = shown
        .eta
        .map(|left| format!(" · ETA {}", short_duration(left.as_secs_f64())))
        .unwrap_or_default();
    format!("· {} waiting · {rate}{eta}", shown.waiting)
}

/// The bar, in 80 columns even for 10,000 customers:
/// `⠋ 00:01:02 [####>-------] 120/400 · 37 waiting · 19.6/s · ETA 2m 03s`.
fn bar(total: usize, live: &Arc<Live>) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let live = Arc::clone(live);
    let state = move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
        let calls = live.calls.load(Ordering::Relaxed) as f64;
        let seconds = state.elapsed().as_secs_f64().max(1.0);
        let mut shown = Shown {
            waiting: live.waiting.load(Ordering::Relaxed),
            rate: calls / seconds,
            ..Shown::default()
        };
        if let Some((limit, per_minute)) = lock(&live.limit).as_ref() {
            (shown.rate, shown.per_minute) = (limit.rate(), *per_minute);
            shown.paused = limit.paused_for();
        }
        let left = state.len().unwrap_or(0).saturating_sub(state.pos());
        shown.eta = lock(&live.eta).estimate(left, Instant::now());
        let _ = out.write_str(&state_text(shown));
    };
    let style =
        ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:12}] {pos}/{len} {state}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("state", state)
            .progress_chars("#>-");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_secs(1));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_bar_fits_80_columns() {
        let most = Shown {
            waiting: 10_000,
            rate: 9999.9,
            eta: Some(Duration::from_secs(99 * 3600 + 59 * 60)),
            ..Shown::default()
        };
        let forms = [
            most,
            Shown {
                rate: 9999.9 / 60.0,
                per_minute: true,
                ..most
            },
            Shown {
                paused: Duration::from_secs(3599),
                ..most
            },
        ];
        for shown in forms {
            let widest = format!(
                "⠋ 99:59:59 [{}] 10000/10000 {}",
                "#".repeat(12),
                state_text(shown)
            );
            let columns = widest.chars().count();
            assert!(columns <= 80, "{columns} columns: {widest}");
        }
        let paused = Shown {
            paused: Duration::from_millis(16_200),
            ..most
        };
        assert_eq!(state_text(paused), "· Partner Center asked to wait 17 s");
        let per_minute = Shown {
            rate: 5.0,
            per_minute: true,
            eta: None,
            ..most
        };
        assert_eq!(state_text(per_minute), "· 10000 waiting · 300/min");
        assert_eq!(short_duration(123.0), "2m 03s");
        assert_eq!(short_duration(9.4), "9s");
    }
}
