//! [`Throttle`]: Partner Center's limits as the fake models them, per partner tenant (bearer
//! token): one budget over all three operations, or one per operation; counted in fixed
//! windows of any length (a minute included) or as a token bucket; with a limit that may
//! change at given times after the fake started. Past the budget, `429` with `Retry-After`.
//! [`Windows`] counts the calls.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

// Tokio's clock: a test on a paused clock sees upgrades take their time in no time.
use tokio::time::Instant;

use serde::{Deserialize, Serialize};

use crate::operation::Operation;

/// At most `limit` calls per partner tenant in each window of `window_ms`; past that, `429`
/// with `Retry-After`. In a fleet file: `{"limit": 100, "windowMs": 1000}`, and optionally
/// `"scope": "perOperation"` with `"operationLimits": {"create_product_upgrade": 3}`,
/// `"shape": "tokenBucket"`, and `"changes": [{"atMs": 20000, "limit": 5}]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Throttle {
    /// Calls allowed per window (per operation with a per-operation scope, unless
    /// `operation_limits` names the operation).
    pub limit: u32,
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// Whose budget the calls spend.
    #[serde(default, skip_serializing_if = "is_default")]
    pub scope: Scope,
    /// With a per-operation scope: the limit of these operations (by `operationId`), instead
    /// of `limit`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operation_limits: BTreeMap<String, u32>,
    /// How the budget is counted.
    #[serde(default, skip_serializing_if = "is_default")]
    pub shape: Shape,
    /// `limit` from a given time on, in order: Partner Center says its limits are adjusted
    /// as it goes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// Whose budget a call spends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Scope {
    /// One budget over all operations (as the fake always modelled it).
    #[default]
    Shared,
    /// A budget per operation (as the throttling page lists limits, per API).
    PerOperation,
}

/// How a budget is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Shape {
    /// `limit` calls in each window, counted from the window's first call.
    #[default]
    FixedWindow,
    /// A bucket of `limit` calls refilled evenly over a window: bursts up to `limit`, then
    /// `limit` per window.
    TokenBucket,
}

/// A change of the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Change {
    /// When, in milliseconds after the fake started.
    pub at_ms: u64,
    /// The limit from then on (`limit` of the shared budget, or of the operations
    /// `operation_limits` does not name).
    pub limit: u32,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl Throttle {
    /// `limit` calls per `window`, over all operations, in fixed windows.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window_ms: millis(window),
            scope: Scope::Shared,
            operation_limits: BTreeMap::new(),
            shape: Shape::FixedWindow,
            changes: Vec::new(),
        }
    }

    /// A budget per operation: `limit` each, and `operation`'s own limit when set with
    /// [`Throttle::operation_limit`].
    #[must_use]
    pub fn per_operation(mut self) -> Self {
        self.scope = Scope::PerOperation;
        self
    }

    /// `operation`'s own limit per window (a per-operation scope).
    #[must_use]
    pub fn operation_limit(mut self, operation: Operation, limit: u32) -> Self {
        self.scope = Scope::PerOperation;
        self.operation_limits
            .insert(operation.operation_id().to_owned(), limit);
        self
    }

    /// Counted as a token bucket.
    #[must_use]
    pub fn token_bucket(mut self) -> Self {
        self.shape = Shape::TokenBucket;
        self
    }

    /// From `after` the fake started, `limit` calls per window.
    #[must_use]
    pub fn changes_to(mut self, after: Duration, limit: u32) -> Self {
        self.changes.push(Change {
            at_ms: millis(after),
            limit,
        });
        self.changes.sort_by_key(|c| c.at_ms);
        self
    }

    /// The budget `operation` spends from, and its limit `since` the fake started.
    fn budget(&self, operation: Operation, since: Duration) -> (Option<Operation>, u32) {
        let since = millis(since);
        let limit = self
            .changes
            .iter()
            .take_while(|c| c.at_ms <= since)
            .last()
            .map_or(self.limit, |c| c.limit);
        match self.scope {
            Scope::Shared => (None, limit),
            Scope::PerOperation => {
                let own = self.operation_limits.get(operation.operation_id());
                (Some(operation), own.copied().unwrap_or(limit))
            }
        }
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What one budget has spent.
enum Spent {
    /// The start of its window and the calls made in it.
    Window(Instant, u32),
    /// The calls left in the bucket, and when it was last filled.
    Bucket(f64, Instant),
}

/// Per tenant and budget: what it has spent, since the fake started.
pub(crate) struct Windows {
    started: Instant,
    spent: HashMap<(String, Option<Operation>), Spent>,
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            spent: HashMap::new(),
        }
    }
}

impl Windows {
    /// Counts a call of `operation` by `tenant`; the wait when its budget is used up.
    pub(crate) fn throttled(
        &mut self,
        throttle: &Throttle,
        tenant: &str,
        operation: Operation,
    ) -> Option<Duration> {
        let window = Duration::from_millis(throttle.window_ms.max(1));
        let now = Instant::now();
        let (budget, limit) = throttle.budget(operation, now.duration_since(self.started));
        let key = (tenant.to_owned(), budget);
        match throttle.shape {
            Shape::FixedWindow => {
                let spent = self.spent.entry(key).or_insert(Spent::Window(now, 0));
                let Spent::Window(start, count) = spent else {
                    *spent = Spent::Window(now, 0);
                    return None;
                };
                if now.duration_since(*start) >= window {
                    (*start, *count) = (now, 0);
                }
                if *count >= limit {
                    return Some(window.saturating_sub(now.duration_since(*start)));
                }
                *count += 1;
                None
            }
            Shape::TokenBucket => {
                let capacity = f64::from(limit.max(1));
                let per_second = capacity / window.as_secs_f64();
                let spent = self
                    .spent
                    .entry(key)
                    .or_insert(Spent::Bucket(capacity, now));
                let Spent::Bucket(tokens, filled) = spent else {
                    *spent = Spent::Bucket(capacity, now);
                    return None;
                };
                let refill = now.duration_since(*filled).as_secs_f64() * per_second;
                (*tokens, *filled) = ((*tokens + refill).min(capacity), now);
                if limit == 0 || *tokens < 1.0 {
                    let wait = (1.0 - *tokens).max(0.0) / per_second;
                    return Some(Duration::try_from_secs_f64(wait).unwrap_or(window));
                }
                *tokens -= 1.0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "partner";

    /// How many of `calls` of `operation`, one every `every`, are let through.
    async fn allowed(
        windows: &mut Windows,
        throttle: &Throttle,
        operation: Operation,
        calls: u32,
        every: Duration,
    ) -> u32 {
        let mut allowed = 0;
        for _ in 0..calls {
            if windows.throttled(throttle, TENANT, operation).is_none() {
                allowed += 1;
            }
            tokio::time::sleep(every).await;
        }
        allowed
    }

    #[tokio::test(start_paused = true)]
    async fn a_budget_per_operation_leaves_the_others_alone() {
        let throttle = Throttle::new(20, Duration::from_secs(1))
            .operation_limit(Operation::CreateProductUpgrade, 3);
        let mut windows = Windows::default();
        let creates = allowed(
            &mut windows,
            &throttle,
            Operation::CreateProductUpgrade,
            10,
            Duration::ZERO,
        )
        .await;
        assert_eq!(creates, 3);
        let status = Operation::GetProductUpgradeStatus;
        assert_eq!(
            allowed(&mut windows, &throttle, status, 20, Duration::ZERO).await,
            20
        );
        // One budget over all: the creates spent the statuses' share.
        let shared = Throttle::new(20, Duration::from_secs(1));
        let mut windows = Windows::default();
        let create = Operation::CreateProductUpgrade;
        assert_eq!(
            allowed(&mut windows, &shared, create, 15, Duration::ZERO).await,
            15
        );
        assert_eq!(
            allowed(&mut windows, &shared, status, 20, Duration::ZERO).await,
            5
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_bucket_allows_a_burst_then_its_rate() {
        let throttle = Throttle::new(10, Duration::from_secs(1)).token_bucket();
        let mut windows = Windows::default();
        let status = Operation::GetProductUpgradeStatus;
        assert_eq!(
            allowed(&mut windows, &throttle, status, 30, Duration::ZERO).await,
            10
        );
        // Then 10 a second, evenly: 50 calls at 20 a second over 2.5 s let about 25 through.
        let steady = allowed(
            &mut windows,
            &throttle,
            status,
            50,
            Duration::from_millis(50),
        )
        .await;
        assert!((24..=26).contains(&steady), "{steady}");
        // Ten idle seconds fill the bucket to its size, no more: a burst of 10 again.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            allowed(&mut windows, &throttle, status, 30, Duration::ZERO).await,
            10
        );
        // Once refused, the wait is until the next call's worth has refilled: 100 ms at most.
        let wait = (0..3).find_map(|_| windows.throttled(&throttle, TENANT, status));
        assert!(
            wait.is_some_and(|w| w <= Duration::from_millis(100)),
            "{wait:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_changes_at_its_times() {
        let throttle = Throttle::new(20, Duration::from_secs(1))
            .changes_to(Duration::from_secs(10), 5)
            .changes_to(Duration::from_secs(20), 15);
        let mut windows = Windows::default();
        let op = Operation::CheckEligibility;
        let mut per_window = Vec::new();
        for _ in 0..30 {
            per_window.push(allowed(&mut windows, &throttle, op, 40, Duration::ZERO).await);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert_eq!(per_window[..10], [20; 10]);
        assert_eq!(per_window[10..20], [5; 10]);
        assert_eq!(per_window[20..], [15; 10]);
    }

    #[test]
    fn a_fleet_file_names_the_shapes() {
        let json = r#"{"limit": 20, "windowMs": 60000, "scope": "perOperation",
            "operationLimits": {"create_product_upgrade": 3}, "shape": "tokenBucket",
            "changes": [{"atMs": 1000, "limit": 5}]}"#;
        let throttle: Throttle = serde_json::from_str(json).unwrap();
        assert_eq!(throttle.scope, Scope::PerOperation);
        assert_eq!(throttle.shape, Shape::TokenBucket);
        let old: Throttle = serde_json::from_str(r#"{"limit": 100, "windowMs": 1000}"#).unwrap();
        assert_eq!(old, Throttle::new(100, Duration::from_secs(1)));
    }
}
