//! [`Call`]: which of the three calls of an upgrade an event answers.

use serde::{Deserialize, Serialize};

/// Which call a refusal answered: eligibility's refusals say what the customer is (no
/// Azure subscription, suspended subscriptions), a create's refusal is the upgrade's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Call {
    /// `check_eligibility`.
    Eligibility,
    /// `create_product_upgrade`.
    Create,
    /// `get_product_upgrade_status`.
    Status,
}
