//! [`ScriptedSubscription`]: one subscription of a fleet customer's, as the customer's
//! subscriptions listing shows it (`subscriptions` says what they are before and after an
//! upgrade).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// The legacy Azure offer (Microsoft Azure, MS-AZR-0145P) in the public cloud.
pub const LEGACY_AZURE: &str = "MS-AZR-0145P";
/// The Azure plan's offer id, as the fake writes it (the product id `DZH318Z0BPS6` and a
/// SKU).
pub const AZURE_PLAN: &str = "DZH318Z0BPS6:0001";

/// One subscription of a customer's, as `GET /v1/customers/{id}/subscriptions` lists it:
/// `{"id": "…", "offerId": "MS-AZR-0145P", "status": "active", "partnerId": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedSubscription {
    /// The subscription's id.
    pub id: Uuid,
    /// Its offer (default: the legacy Azure offer, `MS-AZR-0145P`).
    #[serde(default = "legacy")]
    pub offer_id: String,
    /// Its status (default `active`; `suspended`, …).
    #[serde(default = "active")]
    pub status: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The indirect reseller that sold it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// The upgrade leaves it active while its status says it moved: what checking the
    /// result after a run (`pc-upgrade verify`) exists to catch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stays_active: bool,
}

fn legacy() -> String {
    LEGACY_AZURE.to_owned()
}

fn active() -> String {
    "active".to_owned()
}

impl ScriptedSubscription {
    /// An active legacy Azure subscription (`MS-AZR-0145P`).
    pub fn legacy(id: Uuid) -> Self {
        Self {
            id,
            offer_id: legacy(),
            status: active(),
            friendly_name: None,
            partner_id: None,
            stays_active: false,
        }
    }

    /// An active subscription of another offer (Microsoft 365, say): nothing to upgrade.
    pub fn other(id: Uuid, offer_id: impl Into<String>) -> Self {
        Self {
            offer_id: offer_id.into(),
            ..Self::legacy(id)
        }
    }

    /// Its status is `suspended`.
    pub fn suspended(mut self) -> Self {
        self.status = "suspended".to_owned();
        self
    }

    /// Sold by this indirect reseller.
    pub fn reseller(mut self, partner_id: impl Into<String>) -> Self {
        self.partner_id = Some(partner_id.into());
        self
    }

    /// The upgrade leaves it active while its status says it moved.
    pub fn stays_active(mut self) -> Self {
        self.stays_active = true;
        self
    }

    /// Whether it is a legacy Azure subscription (in any cloud: `MS-AZR-0145P`,
    /// `MS-AZR-USGOV-0145P`, `MS-AZR-DE-0145P`).
    pub fn is_legacy_azure(&self) -> bool {
        let offer = self.offer_id.to_ascii_uppercase();
        offer.starts_with("MS-AZR-") && offer.ends_with("0145P")
    }

    pub(crate) fn is_active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }

    pub(crate) fn json(&self) -> Value {
        let name = self
            .friendly_name
            .as_deref()
            .unwrap_or(if self.is_legacy_azure() {
                "Microsoft Azure"
            } else {
                "Subscription"
            });
        let mut item = json!({
            "id": self.id, "offerId": self.offer_id, "friendlyName": name,
            "status": self.status, "attributes": {"objectType": "Subscription"},
        });
        if let Some(partner) = &self.partner_id {
            item["partnerId"] = json!(partner);
        }
        item
    }
}
