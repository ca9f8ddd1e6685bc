//! What `pc-upgrade discover` makes of the partner's customers: what each holds
//! ([`Holding`], from its subscriptions), the customers file it writes (a row per customer
//! the partner is reseller for that holds a legacy Azure subscription, which `eligibility`
//! and `upgrade` read as it is), and its summary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Result;
use pc_upgrade_client::types::{Customer, Subscription};
use serde::Serialize;
use uuid::Uuid;

/// The columns of the customers file, in order.
pub const COLUMNS: [&str; 7] = [
    "customerId",
    "companyName",
    "domain",
    "legacySubscriptions",
    "suspendedSubscriptions",
    "resellers",
    "mcaAccepted",
];

/// What a customer holds of legacy Azure, from its subscriptions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    /// Its legacy Azure subscriptions.
    pub legacy: usize,
    /// Of them, those suspended (not active).
    pub suspended: usize,
    /// The indirect resellers that sold them.
    pub resellers: BTreeSet<String>,
}

/// Whether an offer is the legacy Azure one, in any cloud.
pub fn is_legacy_azure(offer: &str) -> bool {
    let offer = offer.to_ascii_uppercase();
    offer.starts_with("MS-AZR-") && offer.ends_with("0145P")
}

impl Holding {
    /// What `subscriptions` hold of legacy Azure.
    pub fn of(subscriptions: &[Subscription]) -> Self {
        let mut holding = Self::default();
        for subscription in subscriptions
            .iter()
            .filter(|s| is_legacy_azure(&s.offer_id))
        {
            holding.legacy += 1;
            if !subscription.status.eq_ignore_ascii_case("active") {
                holding.suspended += 1;
            }
            if let Some(partner) = subscription.partner_id.as_deref().filter(|p| !p.is_empty()) {
                holding
                    .resellers
                    .insert(pc_upgrade_client::shown(partner, 64));
            }
        }
        holding
    }
}

/// Whether the partner is the customer's reseller (an advisor cannot upgrade it).
pub fn is_reseller(customer: &Customer) -> bool {
    (customer.relationship_to_partner.as_deref()).is_none_or(|r| r.eq_ignore_ascii_case("reseller"))
}

/// One customer found: who it is, what it holds, when it accepted the MCA.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// The customer.
    pub customer_id: Uuid,
    /// Its company's name.
    pub company_name: String,
    /// Its domain.
    pub domain: String,
    /// Its legacy Azure subscriptions.
    pub legacy_subscriptions: usize,
    /// Of them, those suspended.
    pub suspended_subscriptions: usize,
    /// The resellers that sold them.
    pub resellers: Vec<String>,
    /// When it accepted the Microsoft Customer Agreement (none: never).
    pub mca_accepted: Option<String>,
}

impl Found {
    /// The customer, what it holds and its MCA acceptance.
    pub fn new(customer: &Customer, holding: Holding, mca: Option<String>) -> Self {
        let profile = customer.company_profile.as_ref();
        let text = |v: Option<&String>| v.map(|v| pc_upgrade_client::shown(v, 256));
        Self {
            customer_id: customer.id,
            company_name: text(profile.and_then(|p| p.company_name.as_ref())).unwrap_or_default(),
            domain: text(profile.and_then(|p| p.domain.as_ref())).unwrap_or_default(),
            legacy_subscriptions: holding.legacy,
            suspended_subscriptions: holding.suspended,
            resellers: holding.resellers.into_iter().collect(),
            mca_accepted: mca.map(|m| pc_upgrade_client::shown(&m, 64)),
        }
    }
}

/// The customers file: a header, then a row per customer found, in the list's order.
///
/// # Errors
/// Never in practice (writing CSV to memory).
pub fn csv_of(found: &[Found]) -> Result<Vec<u8>> {
    let mut sheet = crate::text::Sheet::new(COLUMNS)?;
    for row in found {
        let record = [
            row.customer_id.to_string(),
            row.company_name.clone(),
            row.domain.clone(),
            row.legacy_subscriptions.to_string(),
            row.suspended_subscriptions.to_string(),
            row.resellers.join(";"),
            row.mca_accepted.clone().unwrap_or_default(),
        ];
        sheet.row(&record)?;
    }
    sheet.bytes()
}

/// What a discovery counted.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Customers listed.
    pub listed: usize,
    /// Of them, those the partner is advisor (not reseller) for: not read further.
    pub advisor: usize,
    /// Customers holding at least one legacy Azure subscription (the file's rows).
    pub with_legacy: usize,
    /// Of them, those whose every legacy subscription is suspended.
    pub all_suspended: usize,
    /// Of them, those without a Microsoft Customer Agreement.
    pub without_mca: usize,
    /// Of them, per reseller.
    pub per_reseller: BTreeMap<String, usize>,
}

impl Counts {
    /// The counts of a discovery that listed `listed` customers, `advisor` of them as an
    /// advisor, and found `found`.
    pub fn of(listed: usize, advisor: usize, found: &[Found]) -> Self {
        let mut counts = Self {
            listed,
            advisor,
            with_legacy: found.len(),
            ..Self::default()
        };
        for row in found {
            counts.all_suspended +=
                usize::from(row.suspended_subscriptions == row.legacy_subscriptions);
            counts.without_mca += usize::from(row.mca_accepted.is_none());
            for reseller in &row.resellers {
                *counts.per_reseller.entry(reseller.clone()).or_default() += 1;
            }
        }
        counts
    }

    /// The summary, at most 80 columns.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let lines = [
            ("customers listed", self.listed),
            ("  advisor relationship (not read)", self.advisor),
            ("  with legacy Azure subscriptions", self.with_legacy),
            ("    every one suspended", self.all_suspended),
            (
                "    without a Microsoft Customer Agreement",
                self.without_mca,
            ),
        ];
        for (what, count) in lines {
            let _ = writeln!(out, "{what:<60}{count:>9}");
        }
        if !self.per_reseller.is_empty() {
            let _ = writeln!(out, "\n{:<60}{:>9}", "reseller", "customers");
            for (reseller, count) in self.per_reseller.iter().take(10) {
                let name: String = reseller.chars().take(58).collect();
                let _ = writeln!(out, "{name:<60}{count:>9}");
            }
            if self.per_reseller.len() > 10 {
                let more = self.per_reseller.len() - 10;
                let _ = writeln!(
                    out,
                    "and {more} more resellers (in the file's resellers column)"
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(offer: &str, status: &str, partner: Option<&str>) -> Subscription {
        let builder = Subscription::builder()
            .id("s")
            .offer_id(offer)
            .status(status);
        let builder = match partner {
            Some(partner) => builder.partner_id(partner.to_owned()),
            None => builder,
        };
        builder.try_into().unwrap()
    }

    #[test]
    fn a_holding_counts_legacy_azure_alone_and_its_resellers() {
        let holding = Holding::of(&[
            subscription("MS-AZR-0145P", "active", Some("r1")),
            subscription("MS-AZR-USGOV-0145P", "suspended", Some("r2")),
            subscription("DZH318Z0BPS6:0001", "active", Some("r3")),
            subscription("CFQ7TTC0LH18:0001", "active", None),
        ]);
        assert_eq!((holding.legacy, holding.suspended), (2, 1));
        assert_eq!(
            holding.resellers.into_iter().collect::<Vec<_>>(),
            ["r1", "r2"]
        );
    }

    #[test]
    fn the_file_keeps_names_and_runs_no_formula() {
        let found = Found {
            customer_id: Uuid::nil(),
            company_name: "=Müller \u{202e}GmbH".into(),
            domain: "m.onmicrosoft.com".into(),
            legacy_subscriptions: 2,
            suspended_subscriptions: 0,
            resellers: vec!["r1".into(), "r2".into()],
            mca_accepted: None,
        };
        let text = String::from_utf8(csv_of(&[found]).unwrap()).unwrap();
        assert!(
            text.starts_with("\u{feff}customerId,companyName,domain,"),
            "{text}"
        );
        assert!(text.contains("'=Müller \\u{202e}GmbH"), "{text}");
        assert!(text.contains(",r1;r2,"), "{text}");
    }
}
