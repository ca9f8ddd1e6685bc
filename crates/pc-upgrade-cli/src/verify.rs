//! What `pc-upgrade verify` makes of a customer's subscriptions ([`verdict`]), and its
//! report: a row per customer checked, with `customerId`, `verified`, `legacyActive` (the
//! legacy subscriptions still active, `;`-separated), `planSubscriptionId` and the
//! customer's own columns, as CSV (or JSON for a `.json` name).

use std::path::Path;

use anyhow::Result;
use pc_upgrade_client::types::Subscription;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What `pc-upgrade verify` found of a customer's subscriptions after its upgrade.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// No legacy Azure subscription is still active, and an Azure plan subscription is.
    pub verified: bool,
    /// The legacy Azure subscriptions still active.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legacy_active: Vec<String>,
    /// The active Azure plan subscription, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_subscription: Option<String>,
}

/// The Azure plan's product id, which begins its offer id (`DZH318Z0BPS6:0001`).
const AZURE_PLAN: &str = "DZH318Z0BPS6";

/// Whether an offer is the legacy Azure one, in any cloud (`MS-AZR-0145P`,
/// `MS-AZR-USGOV-0145P`, `MS-AZR-DE-0145P`).
fn is_legacy_azure(offer: &str) -> bool {
    let offer = offer.to_ascii_uppercase();
    offer.starts_with("MS-AZR-") && offer.ends_with("0145P")
}

fn is_active(subscription: &Subscription) -> bool {
    subscription.status.eq_ignore_ascii_case("active")
}

/// What a customer's subscriptions say of its upgrade: verified when no legacy Azure
/// subscription is still active and an Azure plan subscription is.
pub fn verdict(subscriptions: &[Subscription]) -> Verification {
    let legacy_active: Vec<String> = (subscriptions.iter())
        .filter(|s| is_legacy_azure(&s.offer_id) && is_active(s))
        .map(|s| crate::text::cell(&s.id))
        .collect();
    let plan_subscription = (subscriptions.iter())
        .find(|s| s.offer_id.to_ascii_uppercase().starts_with(AZURE_PLAN) && is_active(s))
        .map(|s| crate::text::cell(&s.id));
    Verification {
        verified: legacy_active.is_empty() && plan_subscription.is_some(),
        legacy_active,
        plan_subscription,
    }
}

/// One customer checked, or not checked, by this `verify`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    /// The customer.
    pub customer_id: Uuid,
    /// What was found (none: its subscriptions could not be read; `error` says why).
    #[serde(flatten)]
    pub found: Option<Verification>,
    /// Why its subscriptions could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The customers file's other columns.
    #[serde(skip)]
    pub extra: Vec<(String, String)>,
}

/// Writes the report of `checked`: JSON when the name ends in `.json`, else CSV.
///
/// # Errors
/// When the file cannot be written.
pub fn write(path: &Path, checked: &[Checked]) -> Result<()> {
    let json = (path.extension()).is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let out = match json {
        true => {
            let mut out = serde_json::to_vec_pretty(&JsonRows { rows: checked })?;
            out.push(b'\n');
            out
        }
        false => csv_of(checked)?,
    };
    crate::files::replace(path, &out)
}

#[derive(Serialize)]
struct JsonRows<'a> {
    rows: &'a [Checked],
}

fn csv_of(checked: &[Checked]) -> Result<Vec<u8>> {
    let extra: Vec<String> = (checked.iter())
        .flat_map(|c| c.extra.iter().map(|(k, _)| k.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header: Vec<String> = [
        "customerId",
        "verified",
        "legacyActive",
        "planSubscriptionId",
        "error",
    ]
    .map(str::to_owned)
    .to_vec();
    header.extend(extra.iter().cloned());
    let mut sheet = crate::text::Sheet::new(&header)?;
    for row in checked {
        let found = row.found.as_ref();
        let mut record = vec![
            row.customer_id.to_string(),
            found.map_or_else(String::new, |f| f.verified.to_string()),
            found.map_or_else(String::new, |f| f.legacy_active.join(";")),
            found
                .and_then(|f| f.plan_subscription.clone())
                .unwrap_or_default(),
            row.error.clone().unwrap_or_default(),
        ];
        let value = |key: &String| {
            let found = row.extra.iter().find(|(k, _)| k == key);
            found.map(|(_, v)| v.clone()).unwrap_or_default()
        };
        record.extend(extra.iter().map(value));
        sheet.row(&record)?;
    }
    sheet.bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(id: &str, offer: &str, status: &str) -> Subscription {
        Subscription::builder()
            .id(id)
            .offer_id(offer)
            .status(status)
            .try_into()
            .unwrap()
    }

    #[test]
    fn verified_when_no_legacy_subscription_is_active_and_a_plan_is() {
        let moved = [
            subscription("a", "MS-AZR-0145P", "suspended"),
            subscription("p", "DZH318Z0BPS6:0001", "active"),
            subscription("o", "CFQ7TTC0LH18:0001", "active"),
        ];
        let found = verdict(&moved);
        assert!(found.verified);
        assert_eq!(found.plan_subscription.as_deref(), Some("p"));
        let left = [
            subscription("a", "MS-AZR-0145P", "active"),
            subscription("b", "ms-azr-usgov-0145p", "Active"),
            subscription("p", "DZH318Z0BPS6:0001", "active"),
        ];
        let found = verdict(&left);
        assert!(!found.verified);
        assert_eq!(found.legacy_active, ["a", "b"]);
        let no_plan = [subscription("a", "MS-AZR-0145P", "suspended")];
        assert!(!verdict(&no_plan).verified);
    }

    /// A subscription id from the service is a cell of a spreadsheet: no formula.
    #[test]
    fn a_hostile_id_is_no_formula_in_the_report() {
        let found = verdict(&[subscription("=HYPERLINK(1)", "MS-AZR-0145P", "active")]);
        let rows = [Checked {
            customer_id: Uuid::nil(),
            found: Some(found),
            error: None,
            extra: vec![("name".into(), "@SUM(A1)".into())],
        }];
        let csv = String::from_utf8(csv_of(&rows).unwrap()).unwrap();
        assert!(!csv.contains(",=") && !csv.contains(",@"), "{csv}");
    }
}
