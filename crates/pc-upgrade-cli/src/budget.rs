//! [`RateBudget`]: how the service's budget is split, as the journal's `rate` event says it.

use serde::{Deserialize, Serialize};

/// How the service's budget is split, as the journal writes it: `shared`, `per-operation`
/// or `unknown` (also what a later version's word reads as).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateBudget {
    /// One budget over every call.
    Shared,
    /// A budget per operation.
    PerOperation,
    /// Not known yet.
    #[serde(other)]
    Unknown,
}
