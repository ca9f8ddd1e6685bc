//! The fleets `cargo xtask bench --fleet` runs: how many customers, how long an upgrade
//! takes, how the fake limits the tenant ([`Limits`]) with each shape's bound, and whether
//! the rate is given.

/// One fleet run.
pub(super) struct Scenario {
    pub(super) customers: usize,
    /// How long each upgrade takes, in seconds.
    pub(super) takes: f64,
    /// The fake's limit, calls per second per tenant.
    pub(super) limit: u32,
    /// Whether the run is told the limit (`--rate LIMIT/s`) or finds it.
    pub(super) told: bool,
    /// The target ratio the issue sets, if any.
    pub(super) target: Option<f64>,
    /// How the fake counts its limit.
    pub(super) limits: Limits,
    /// `--canary`, if given (0: not).
    pub(super) canary: u32,
}

/// How the fake limits the tenant (`limit` is calls a second).
#[derive(Clone, Copy, Debug)]
pub(super) enum Limits {
    /// One budget over all calls, in windows of this many seconds.
    Shared { window: u64 },
    /// A budget per operation: creates at `create` a second, the others at `limit`.
    PerApi { create: u32 },
    /// One budget that falls to `low` a second at `at.0` seconds and rises to `high` at
    /// `at.1`.
    Moving { low: u32, high: u32, at: (u64, u64) },
    /// One budget counted as a token bucket.
    Bucket,
}

impl Limits {
    /// The fake's `throttle`, for `limit` calls a second.
    pub(super) fn throttle(self, limit: u32) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::Shared { window } => json!({
                "limit": u64::from(limit) * window, "windowMs": window * 1000,
            }),
            Self::PerApi { create } => json!({
                "limit": limit, "windowMs": 1000, "scope": "perOperation",
                "operationLimits": {"create_product_upgrade": create},
            }),
            Self::Moving { low, high, at } => json!({
                "limit": limit, "windowMs": 1000,
                "changes": [
                    {"atMs": at.0 * 1000, "limit": low}, {"atMs": at.1 * 1000, "limit": high},
                ],
            }),
            Self::Bucket => json!({"limit": limit, "windowMs": 1000, "shape": "tokenBucket"}),
        }
    }

    /// No run ends before this, in seconds, for `n` customers whose upgrades take `takes`:
    /// with one budget of `limit` a second, max(3N/R, 2N/R + D); in windows longer than a
    /// second, whose budget may be spent at once, the later of D and the start of the last
    /// window the 3N calls need; with a budget per API, the slowest API's calls over its
    /// rate, plus D; with a moving limit, the time its capacity takes to cover 3N calls.
    fn bound(self, n: f64, limit: u32, takes: f64) -> f64 {
        let r = f64::from(limit);
        match self {
            Self::Shared { window } if window > 1 => {
                let per_window = r * window as f64;
                let windows = (3.0 * n / per_window).ceil();
                ((windows - 1.0) * window as f64).max(takes)
            }
            Self::Shared { .. } | Self::Bucket => (3.0 * n / r).max(2.0 * n / r + takes),
            Self::PerApi { create } => (n / f64::from(create)).max(n / r) + takes,
            Self::Moving { low, high, at } => {
                let (a, b) = (at.0 as f64, at.1 as f64);
                let (before, during) = (r * a, f64::from(low) * (b - a));
                match 3.0 * n {
                    calls if calls <= before => calls / r,
                    calls if calls <= before + during => a + (calls - before) / f64::from(low),
                    calls => b + (calls - before - during) / f64::from(high),
                }
            }
        }
    }

    /// Its name in the table.
    pub(super) fn name(self) -> String {
        match self {
            Self::Shared { window: 1 } => "1 s windows".to_owned(),
            Self::Shared { window } => format!("{window} s windows"),
            Self::PerApi { create } => format!("per API, creates {create}/s"),
            Self::Moving { low, high, at } => {
                format!("falls to {low}/s at {} s, {high}/s at {} s", at.0, at.1)
            }
            Self::Bucket => "token bucket".to_owned(),
        }
    }
}

pub(super) const SCENARIOS: &[Scenario] = &[
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: true,
        target: Some(1.3),
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 0.0,
        limit: 20,
        told: true,
        target: Some(1.15),
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: false,
        target: Some(1.6),
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 1_000,
        takes: 0.0,
        limit: 200,
        told: true,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 1_000,
        takes: 3.0,
        limit: 200,
        told: true,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 10_000,
        takes: 0.0,
        limit: 200,
        told: true,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 10_000,
        takes: 3.0,
        limit: 200,
        told: true,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    Scenario {
        customers: 10_000,
        takes: 3.0,
        limit: 200,
        told: false,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    },
    // Shaped as Microsoft describes its limits (issue 30), each found (no --rate).
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: false,
        target: Some(1.25),
        limits: Limits::Shared { window: 60 },
        canary: 0,
    },
    Scenario {
        customers: 300,
        takes: 5.0,
        limit: 20,
        told: false,
        target: Some(1.25),
        limits: Limits::PerApi { create: 3 },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: false,
        target: Some(1.25),
        limits: Limits::Moving {
            low: 5,
            high: 15,
            at: (20, 40),
        },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: false,
        target: Some(1.25),
        limits: Limits::Bucket,
        canary: 0,
    },
    // The same shapes with the rate given (`--rate 20/s`, a ceiling over all calls).
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: true,
        target: Some(1.05),
        limits: Limits::Shared { window: 60 },
        canary: 0,
    },
    Scenario {
        customers: 300,
        takes: 5.0,
        limit: 20,
        told: true,
        target: Some(1.05),
        limits: Limits::PerApi { create: 3 },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: true,
        target: Some(1.25),
        limits: Limits::Moving {
            low: 5,
            high: 15,
            at: (20, 40),
        },
        canary: 0,
    },
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: true,
        target: Some(1.05),
        limits: Limits::Bucket,
        canary: 0,
    },
    // A canary of 10: its target is one upgrade's duration over the bound.
    Scenario {
        customers: 400,
        takes: 30.0,
        limit: 20,
        told: true,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 10,
    },
];

impl Scenario {
    /// No run ends before this: the shape's bound, and with the rate given, the bound of
    /// that rate too (the operator's ceiling over all calls), whichever is later.
    pub(super) fn bound(&self) -> f64 {
        let n = self.customers as f64;
        let shape = self.limits.bound(n, self.limit, self.takes);
        if self.told {
            let given = Limits::Shared { window: 1 }.bound(n, self.limit, self.takes);
            shape.max(given)
        } else {
            shape
        }
    }

    /// The `--rate` column: given or found, and the canary if any.
    pub(super) fn rate_column(&self) -> String {
        let rate = if self.told { "given" } else { "found" };
        match self.canary {
            0 => rate.to_owned(),
            canary => format!("{rate}, --canary {canary}"),
        }
    }
}
