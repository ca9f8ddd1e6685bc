//! [`Fleet`]: customers with scripted answers, built in code or loaded from JSON. What the
//! fake keeps of them as it runs is in `upgrades`.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::fleet_error::FleetError;
use crate::profile::{Listing, ScriptedProfile};
pub use crate::scripted_code::ScriptedCode;
use crate::subscription::ScriptedSubscription;
use crate::throttle::{Throttle, millis};

/// Customers with scripted answers, and optionally a throttle: built in code
/// ([`Fleet::customer`] and [`Customer`]'s methods) or read from JSON ([`Fleet::from_json`],
/// [`Fleet::load`], and the `pc-upgrade-mock` program's `--fleet FILE`), in this form:
///
/// ```json
/// {
///   "throttle": {"limit": 100, "windowMs": 1000},
///   "upgradeTakesMs": 20000,
///   "customers": [
///     {"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969"},
///     {"customerId": "…", "eligible": false, "reason": "No Azure subscription."},
///     {"customerId": "…", "upgradeId": "…", "statuses": ["InProgress", "Completed"]},
///     {"customerId": "…", "createError": {"status": 403, "code": 900108}},
///     {"customerId": "…", "statuses": ["InProgress", "Failed"], "takesMs": 5000,
///      "failure": {"code": 900120, "message": "The upgrade could not be processed."}},
///     {"customerId": "…", "subscriptions": [
///       {"id": "…", "offerId": "MS-AZR-0145P", "status": "active", "partnerId": "…"},
///       {"id": "…", "staysActive": true}
///     ]},
///     {"customerId": "…", "eligibilityError": {"status": 403, "code": 900119}},
///     {"customerId": "…", "lineItems": [
///       {"sourceProductId": "…", "sourceProductName": "Production"},
///       {"sourceProductId": "…", "sourceProductName": "Test", "failure":
///         {"code": 900105, "message": "The subscription is suspended and was not moved."}}
///     ]}
///   ]
/// }
/// ```
///
/// `"upgradesFail": {"percent": 60, "code": 900120, "message": "…"}` beside `customers` makes
/// about that share of the upgrades end `Failed` (a systemic failure), the same customers on
/// every run.
///
/// `lineItems` are the subscriptions an upgrade moves (default: one); one with a `failure`
/// is not moved: its line item says `Failed`, while the upgrade as a whole ends as its
/// `statuses` say.
///
/// `subscriptions` are what the customer's listing shows (default: an active `MS-AZR-0145P`
/// per line item). Eligibility and the create answer from them, as the service does: no
/// legacy Azure subscription, `403` 900108 (a Microsoft 365 customer); every one
/// suspended, `403` 900105. Once the upgrade completes, each one it moved is `suspended`
/// and an Azure plan subscription is `active`; one with `"staysActive": true` is left
/// active while the status says it moved.
///
/// Every field but `customerId` may be left out: a customer is eligible, has no upgrade yet,
/// its create is accepted, and its upgrade takes the fleet's `upgradeTakesMs` (default 0).
///
/// An upgrade's status follows the time since its create, as the service's does, never the
/// number of status calls: a client that polls more does not finish sooner. Until the
/// upgrade's time (`takesMs`, else the fleet's `upgradeTakesMs`) has passed, it shows the
/// states of `statuses` before the last, each for an equal share of that time (`InProgress`
/// when `statuses` names only its end); from then on it shows the last state (`Completed`
/// by default). An upgrade that already exists (`upgradeId`) counts from the fake's start.
/// Customers the fleet does not name are treated as a default customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Fleet {
    /// The customers, in any order.
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Per-tenant throttling, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    /// How long an upgrade takes, in milliseconds, for customers that do not say
    /// (`takesMs`); default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub upgrade_takes_ms: u64,
    /// A share of the upgrades that end `Failed` (a systemic failure), for customers whose
    /// script does not say how their upgrade ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrades_fail: Option<FailureShare>,
    /// How the partner's customer list is paged, and how often a call answers `500`.
    #[serde(default)]
    pub listing: Listing,
}

/// A share of a fleet's upgrades that fail: `{"percent": 60, "code": 900120, "message": "…"}`.
/// Which customers is decided by their id alone, so the same ones fail on every run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct FailureShare {
    /// Out of a hundred customers, about how many.
    pub percent: u8,
    /// The error details' code: a number, or a string (the spec allows both).
    pub code: ScriptedCode,
    /// Their text.
    pub message: String,
}

impl FailureShare {
    /// Whether `customer`'s upgrade is among those that fail.
    pub(crate) fn picks(&self, customer: Uuid) -> bool {
        // splitmix64 of the id's halves: consecutive test ids spread evenly.
        let id = customer.as_u128();
        let mut x = (id as u64) ^ ((id >> 64) as u64);
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        x % 100 < u64::from(self.percent)
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// One customer's script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Customer {
    /// The customer's tenant id.
    pub customer_id: Uuid,
    /// Whether eligibility says yes (when no upgrade exists).
    #[serde(default = "yes")]
    pub eligible: bool,
    /// The reason eligibility gives for a no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An upgrade that already exists for this customer (already upgrading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_id: Option<Uuid>,
    /// The error every create for this customer gets, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_error: Option<ScriptedError>,
    /// The states the upgrade's status shows, spread over the time it takes; the last one
    /// holds from then on.
    #[serde(default = "completed")]
    pub statuses: Vec<String>,
    /// How long the upgrade takes, in milliseconds (default: the fleet's `upgradeTakesMs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takes_ms: Option<u64>,
    /// The error details of a `Failed` state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ScriptedFailure>,
    /// The subscriptions the upgrade moves, a line item each (default: one per active
    /// legacy Azure subscription in `subscriptions`, else one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_items: Vec<ScriptedLineItem>,
    /// The customer's subscriptions, as its listing gives them (default: an active legacy
    /// Azure subscription per line item). Eligibility and the create answer from them: none
    /// of the legacy Azure offer is `403` 900108, every one suspended `403` 900105.
    #[serde(
        default,
        rename = "subscriptions",
        skip_serializing_if = "Option::is_none"
    )]
    pub holds: Option<Vec<ScriptedSubscription>>,
    /// The error eligibility and the create answer for this customer, if any (900119,
    /// Azure Partner Shared Services, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility_error: Option<ScriptedError>,
    /// Who the customer is in the partner's list (default: a reseller relationship, the
    /// Microsoft Customer Agreement accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ScriptedProfile>,
}

/// One subscription an upgrade moves: a line item of its status, from the subscription's
/// product to the Azure plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedLineItem {
    /// The subscription's product id (the line's `sourceProduct.id`).
    pub source_product_id: Uuid,
    /// Its name (`sourceProduct.name`).
    pub source_product_name: String,
    /// Set when this subscription is not moved: the line says `Failed` with these error
    /// details, while the upgrade as a whole may still say `Completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ScriptedFailure>,
}

impl ScriptedLineItem {
    /// A subscription that is moved.
    pub fn new(source_product_id: Uuid, source_product_name: impl Into<String>) -> Self {
        Self {
            source_product_id,
            source_product_name: source_product_name.into(),
            failure: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn completed() -> Vec<String> {
    vec!["Completed".to_owned()]
}

/// A Partner Center error answer: its status, code and (optionally) description. Without a
/// description, the documented message of the code is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedError {
    /// The HTTP status.
    pub status: u16,
    /// The Partner Center error code.
    pub code: i64,
    /// The description, if not the code's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `errorDetails` of a failed upgrade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct ScriptedFailure {
    /// The error code: a number, or a string (the spec allows both).
    pub code: ScriptedCode,
    /// The message.
    pub message: String,
}

impl Customer {
    /// An eligible customer whose upgrade completes in the fleet's time.
    pub fn new(customer_id: Uuid) -> Self {
        Self {
            customer_id,
            eligible: true,
            reason: None,
            upgrade_id: None,
            create_error: None,
            statuses: completed(),
            takes_ms: None,
            failure: None,
            line_items: Vec::new(),
            holds: None,
            eligibility_error: None,
            profile: None,
        }
    }

    /// The upgrade moves `count` subscriptions, a line item each (named `Azure subscription
    /// 1`, …; their product ids follow from the customer's).
    pub fn subscriptions(mut self, count: usize) -> Self {
        let base = self.customer_id.as_u128();
        self.line_items = (1..=count)
            .map(|n| ScriptedLineItem {
                source_product_id: Uuid::from_u128(base ^ (0x5eb5_u128 << 64) ^ n as u128),
                source_product_name: format!("Azure subscription {n}"),
                failure: None,
            })
            .collect();
        self
    }

    /// Subscription `number` (from 1; the line items grow to it) is not moved: its line item
    /// says `Failed` with this code and text, the upgrade itself as its statuses say.
    pub fn subscription_not_moved(
        mut self,
        number: usize,
        code: impl Into<ScriptedCode>,
        message: impl Into<String>,
    ) -> Self {
        if self.line_items.len() < number.max(1) {
            let failures: Vec<_> = self.line_items.iter().map(|l| l.failure.clone()).collect();
            self = self.subscriptions(number.max(1));
            for (line, failure) in self.line_items.iter_mut().zip(failures) {
                line.failure = failure;
            }
        }
        self.line_items[number.max(1) - 1].failure = Some(ScriptedFailure {
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// The upgrade takes this long from its create (default: the fleet's
    /// [`Fleet::upgrades_take`]).
    pub fn takes(mut self, duration: Duration) -> Self {
        self.takes_ms = Some(millis(duration));
        self
    }

    /// Eligibility says no, for `reason`.
    pub fn ineligible(mut self, reason: impl Into<String>) -> Self {
        self.eligible = false;
        self.reason = Some(reason.into());
        self
    }

    /// The customer already has the upgrade `upgrade_id`.
    pub fn already_upgrading(mut self, upgrade_id: Uuid) -> Self {
        self.upgrade_id = Some(upgrade_id);
        self
    }

    /// Every create answers `status` with the Partner Center error `code`.
    pub fn create_fails(mut self, status: u16, code: i64) -> Self {
        self.create_error = Some(ScriptedError {
            status,
            code,
            description: None,
        });
        self
    }

    /// The states the upgrade shows, spread over the time it takes (the last one holds).
    pub fn statuses<S: Into<String>>(mut self, states: impl IntoIterator<Item = S>) -> Self {
        self.statuses = states.into_iter().map(Into::into).collect();
        self
    }

    /// The upgrade ends `Failed`, with these error details.
    pub fn fails_with(mut self, code: impl Into<ScriptedCode>, message: impl Into<String>) -> Self {
        if self
            .statuses
            .last()
            .is_none_or(|s| !s.eq_ignore_ascii_case("Failed"))
        {
            self.statuses
                .retain(|s| !s.eq_ignore_ascii_case("Completed"));
            self.statuses.push("Failed".to_owned());
        }
        self.failure = Some(ScriptedFailure {
            code: code.into(),
            message: message.into(),
        });
        self
    }
}

impl Fleet {
    /// An empty fleet: every customer is a default one.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a customer.
    pub fn customer(mut self, customer: Customer) -> Self {
        self.customers.push(customer);
        self
    }

    /// Sets the throttle.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Every upgrade takes this long from its create, unless its customer says otherwise
    /// ([`Customer::takes`]).
    pub fn upgrades_take(mut self, duration: Duration) -> Self {
        self.upgrade_takes_ms = millis(duration);
        self
    }

    /// About `percent` of the upgrades end `Failed` with `code` and `message`: those of
    /// customers whose script does not say how their upgrade ends, chosen by their id.
    pub fn upgrades_fail(
        mut self,
        percent: u8,
        code: impl Into<ScriptedCode>,
        message: impl Into<String>,
    ) -> Self {
        self.upgrades_fail = Some(FailureShare {
            percent: percent.min(100),
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// Reads a fleet from JSON (its format is on [`Fleet`]).
    ///
    /// # Errors
    /// [`FleetError::Json`] when the text is not a fleet (the message says where),
    /// [`FleetError::Duplicate`] when a customer or an upgrade id appears twice.
    pub fn from_json(text: &str) -> Result<Self, FleetError> {
        let fleet: Self = serde_json::from_str(text).map_err(FleetError::Json)?;
        fleet.check()?;
        Ok(fleet)
    }

    /// Reads a fleet from a JSON file.
    ///
    /// # Errors
    /// [`FleetError::Io`] when the file cannot be read, and as [`Fleet::from_json`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, FleetError> {
        Self::from_json(&std::fs::read_to_string(path).map_err(FleetError::Io)?)
    }

    fn check(&self) -> Result<(), FleetError> {
        let mut customers = std::collections::HashSet::new();
        let mut upgrades = std::collections::HashSet::new();
        for customer in &self.customers {
            if !customers.insert(customer.customer_id) {
                return Err(FleetError::Duplicate(format!(
                    "customer {}",
                    customer.customer_id
                )));
            }
            if let Some(id) = customer.upgrade_id
                && !upgrades.insert(id)
            {
                return Err(FleetError::Duplicate(format!("upgrade {id}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_file_names_every_kind_of_customer() {
        let fleet = Fleet::from_json(
            r#"{"throttle": {"limit": 5, "windowMs": 1000}, "customers": [
                {"customerId": "00000000-0000-0000-0000-000000000001"},
                {"customerId": "00000000-0000-0000-0000-000000000002", "eligible": false, "reason": "No."},
                {"customerId": "00000000-0000-0000-0000-000000000003",
                 "upgradeId": "00000000-0000-0000-0000-0000000000a3"},
                {"customerId": "00000000-0000-0000-0000-000000000004",
                 "createError": {"status": 403, "code": 900108}},
                {"customerId": "00000000-0000-0000-0000-000000000005",
                 "statuses": ["InProgress", "Failed"], "failure": {"code": 900120, "message": "m"}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(fleet.customers.len(), 5);
        assert_eq!(
            fleet.throttle,
            Some(Throttle::new(5, Duration::from_secs(1)))
        );
        assert!(!fleet.customers[1].eligible);
        assert_eq!(fleet.customers[0].statuses, ["Completed"]);
    }

    #[test]
    fn a_bad_fleet_file_says_what_is_wrong() {
        let error = Fleet::from_json(r#"{"customers": [{"customerId": "x"}]}"#).unwrap_err();
        assert!(matches!(error, FleetError::Json(_)), "{error}");
        let twice = r#"{"customers": [{"customerId": "00000000-0000-0000-0000-000000000001"},
                                      {"customerId": "00000000-0000-0000-0000-000000000001"}]}"#;
        assert!(matches!(
            Fleet::from_json(twice),
            Err(FleetError::Duplicate(_))
        ));
        assert!(matches!(
            Fleet::from_json(r#"{"customer": []}"#),
            Err(FleetError::Json(_))
        ));
    }

    #[test]
    fn fails_with_ends_the_walk_in_failed() {
        let customer = Customer::new(Uuid::nil())
            .statuses(["InProgress", "Completed"])
            .fails_with(900120, "no");
        assert_eq!(customer.statuses, ["InProgress", "Failed"]);
    }
}
