//! [`Fleet`]: customers with scripted answers, and the state the fake keeps for them (their
//! upgrades, where each upgrade's status stands, which `MS-RequestId` created it).
//!
//! A fleet is built in code or loaded from JSON ([`Fleet::from_json`], [`Fleet::load`]):
//!
//! ```json
//! {
//!   "throttle": {"limit": 100, "windowMs": 1000},
//!   "upgradeTakesMs": 20000,
//!   "customers": [
//!     {"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969"},
//!     {"customerId": "…", "eligible": false, "reason": "No Azure subscription."},
//!     {"customerId": "…", "upgradeId": "…", "statuses": ["InProgress", "Completed"]},
//!     {"customerId": "…", "createError": {"status": 403, "code": 900108}},
//!     {"customerId": "…", "statuses": ["InProgress", "Failed"], "takesMs": 5000,
//!      "failure": {"code": 900120, "message": "The upgrade could not be processed."}}
//!   ]
//! }
//! ```
//!
//! Every field but `customerId` may be left out: a customer is eligible, has no upgrade yet,
//! its create is accepted, and its upgrade takes the fleet's `upgradeTakesMs` (default 0).
//!
//! An upgrade's status follows the time since its create, as the service's does, never the
//! number of status calls: a client that polls more does not finish sooner. Until the
//! upgrade's time (`takesMs`, else the fleet's `upgradeTakesMs`) has passed, it shows the
//! states of `statuses` before the last, each for an equal share of that time (`InProgress`
//! when `statuses` names only its end); from then on it shows the last state (`Completed`
//! by default). An upgrade that already exists (`upgradeId`) counts from the fake's start.
//! Customers the fleet does not name are treated as a default customer.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::response::MockResponse;

/// Customers with scripted answers, and optionally a throttle.
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
    /// The error code.
    pub code: i64,
    /// The message.
    pub message: String,
}

/// At most `limit` calls per partner tenant (bearer token) in each window of `window_ms`;
/// past that, `429` with `Retry-After`.
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

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
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
        }
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
    pub fn fails_with(mut self, code: i64, message: impl Into<String>) -> Self {
        if self.statuses.last().is_none_or(|s| !is_failed(s)) {
            self.statuses
                .retain(|s| !s.eq_ignore_ascii_case("Completed"));
            self.statuses.push("Failed".to_owned());
        }
        self.failure = Some(ScriptedFailure {
            code,
            message: message.into(),
        });
        self
    }
}

/// Why a fleet file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The JSON is not a fleet (the message says where).
    Json(serde_json::Error),
    /// A customer appears twice, or two customers share an upgrade id.
    Duplicate(String),
}

impl std::fmt::Display for FleetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(_) => f.write_str("the fleet file could not be read"),
            Self::Json(error) => write!(f, "the fleet is not valid: {error}"),
            Self::Duplicate(what) => write!(f, "the fleet names {what} twice"),
        }
    }
}

impl std::error::Error for FleetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            _ => None,
        }
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

    /// Reads a fleet from JSON (see the module documentation for the format).
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

fn is_failed(state: &str) -> bool {
    state.eq_ignore_ascii_case("Failed")
}

/// One upgrade the fake knows.
struct Upgrade {
    id: Uuid,
    customer: Uuid,
    /// The `MS-RequestId` of the create that made it (none for a scripted, existing one).
    created_by: Option<String>,
    /// When it was created (the fake's start for a scripted, existing one).
    created: Instant,
}

/// The fleet's state while the fake runs.
pub(crate) struct FleetState {
    scripts: HashMap<Uuid, Customer>,
    /// How long upgrades take when their customer does not say.
    takes: Duration,
    upgrades: HashMap<Uuid, Upgrade>,
    /// Customer → its upgrade.
    by_customer: HashMap<Uuid, Uuid>,
}

impl FleetState {
    pub(crate) fn new(fleet: &Fleet) -> Self {
        let mut state = Self {
            scripts: HashMap::with_capacity(fleet.customers.len()),
            takes: Duration::from_millis(fleet.upgrade_takes_ms),
            upgrades: HashMap::new(),
            by_customer: HashMap::new(),
        };
        for customer in &fleet.customers {
            if let Some(id) = customer.upgrade_id {
                state.add_upgrade(id, customer.customer_id, None);
            }
            state.scripts.insert(customer.customer_id, customer.clone());
        }
        state
    }

    fn add_upgrade(&mut self, id: Uuid, customer: Uuid, created_by: Option<String>) {
        self.upgrades.insert(
            id,
            Upgrade {
                id,
                customer,
                created_by,
                created: Instant::now(),
            },
        );
        self.by_customer.insert(customer, id);
    }

    fn script(&self, customer: Uuid) -> Customer {
        self.scripts
            .get(&customer)
            .cloned()
            .unwrap_or_else(|| Customer::new(customer))
    }

    /// The state an upgrade shows now: it follows the time since the create alone.
    fn current_state(&self, upgrade: &Upgrade) -> String {
        let script = self.script(upgrade.customer);
        let takes = script.takes_ms.map_or(self.takes, Duration::from_millis);
        state_at(&script.statuses, upgrade.created.elapsed(), takes)
    }

    pub(crate) fn eligibility(&self, body: &Value) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return invalid_customer();
        };
        let family = &body["productFamily"];
        let script = self.script(customer);
        let answer = match self.by_customer.get(&customer) {
            Some(upgrade) => json!({
                "customerId": customer,
                "productFamily": family,
                "isEligible": false,
                "upgradeId": upgrade,
                "reason": "An upgrade to this product family already exists for the customer.",
            }),
            None if !script.eligible => json!({
                "customerId": customer,
                "productFamily": family,
                "isEligible": false,
                "reason": script.reason.as_deref().unwrap_or("The customer is not eligible."),
            }),
            None => json!({
                "customerId": customer,
                "productFamily": family,
                "isEligible": true,
            }),
        };
        MockResponse::json(200, answer.to_string())
    }

    pub(crate) fn create(&mut self, body: &Value, request_id: &str) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return invalid_customer();
        };
        let script = self.script(customer);
        if let Some(error) = &script.create_error {
            let description = error
                .description
                .clone()
                .unwrap_or_else(|| documented_message(error.code, None));
            return partner_center_error(error.status, error.code, &description);
        }
        if let Some(id) = self.by_customer.get(&customer).copied() {
            let Some(upgrade) = self.upgrades.get(&id) else {
                return partner_center_error(500, 800003, "The fake lost an upgrade.");
            };
            // The same MS-RequestId is the same call: answer it as the first time.
            if upgrade.created_by.as_deref() == Some(request_id) {
                return accepted(id);
            }
            return if self
                .current_state(upgrade)
                .eq_ignore_ascii_case("Completed")
            {
                partner_center_error(400, 900110, &documented_message(900110, Some(id)))
            } else {
                partner_center_error(409, 900109, &documented_message(900109, Some(id)))
            };
        }
        let id = Uuid::new_v4();
        self.add_upgrade(id, customer, Some(request_id.to_owned()));
        accepted(id)
    }

    pub(crate) fn status(&mut self, upgrade_id: &str, body: &Value) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return invalid_customer();
        };
        let upgrade = Uuid::try_parse(upgrade_id)
            .ok()
            .and_then(|id| self.upgrades.get(&id));
        let Some(upgrade) = upgrade else {
            return partner_center_error(404, 900106, &documented_message(900106, None));
        };
        if upgrade.customer != customer {
            let theirs = self
                .by_customer
                .get(&customer)
                .map(ToString::to_string)
                .unwrap_or_else(|| "none".to_owned());
            return partner_center_error(
                400,
                900111,
                &format!(
                    "The upgrade id does not belong to customer {customer}. The customer is \
                     mapped to upgrade id {theirs}."
                ),
            );
        }
        let (id, owner) = (upgrade.id, upgrade.customer);
        let state = self.current_state(upgrade);
        let script = self.script(owner);
        let mut line_item = json!({
            "sourceProduct": {"id": "b1beb621-3cad-4d7a-b360-62db33ce028e", "name": "AzureSubscription"},
            "targetProduct": {"id": "d231908e-31c1-de0e-027b-bc5ce11f09d9", "name": "Microsoft Azure plan"},
            "status": state,
        });
        let mut answer = json!({
            "id": id,
            "status": state,
            "productFamily": body["productFamily"],
        });
        if state.eq_ignore_ascii_case("Completed") {
            line_item["upgradedDate"] = json!("2019-08-29T23:47:28.8524555Z");
        }
        if is_failed(&state) {
            let failure = script.failure.unwrap_or(ScriptedFailure {
                code: 900114,
                message: documented_message(900114, Some(id)),
            });
            let details = json!({"code": failure.code, "message": failure.message});
            line_item["errorDetails"] = details.clone();
            answer["errorDetails"] = details;
        }
        answer["lineItems"] = json!([line_item]);
        MockResponse::json(200, answer.to_string())
    }
}

/// The state of a walk of `statuses` that takes `takes`, `elapsed` after it began: the states
/// before the last share the time equally (`InProgress` when there are none), then the last
/// holds.
fn state_at(statuses: &[String], elapsed: Duration, takes: Duration) -> String {
    let Some((last, before)) = statuses.split_last() else {
        return "Completed".to_owned();
    };
    if elapsed >= takes {
        return last.clone();
    }
    if before.is_empty() {
        return "InProgress".to_owned();
    }
    let share = elapsed.as_secs_f64() / takes.as_secs_f64() * before.len() as f64;
    // `share` is below `before.len()` since `elapsed < takes`; the cast floors it.
    before[(share as usize).min(before.len() - 1)].clone()
}

fn customer_of(body: &Value) -> Option<Uuid> {
    body["customerId"]
        .as_str()
        .and_then(|c| Uuid::try_parse(c).ok())
}

fn invalid_customer() -> MockResponse {
    partner_center_error(400, 900118, &documented_message(900118, None))
}

fn accepted(id: Uuid) -> MockResponse {
    MockResponse::new(202).header("Location", &format!("productUpgrades/{id}"))
}

/// A Partner Center error answer.
pub(crate) fn partner_center_error(status: u16, code: i64, description: &str) -> MockResponse {
    let body = json!({
        "code": code,
        "description": description,
        "data": [],
        "source": "pc-upgrade-mock",
    });
    MockResponse::json(status, body.to_string())
}

/// The fake's wording of a documented product-upgrade error code (the error codes page
/// gives the meaning; `{0}` is the upgrade id where the code carries one).
pub(crate) fn documented_message(code: i64, upgrade: Option<Uuid>) -> String {
    let id = upgrade.map(|u| u.to_string()).unwrap_or_default();
    match code {
        900105 => "One or more Azure subscriptions of the customer are suspended; suspended \
                   subscriptions cannot be transitioned."
            .to_owned(),
        900106 => "No upgrade request was found.".to_owned(),
        900107 => "The Azure catalog item was not found.".to_owned(),
        900108 => "The customer has no Azure subscription to upgrade.".to_owned(),
        900109 => format!("Not allowed: the original upgrade {id} is in progress."),
        900110 => format!("The request cannot be processed for the completed upgrade {id}."),
        900112 => format!("The upgrade request {id} is pending."),
        900113 => format!("The upgrade request {id} is in progress."),
        900114 => format!("The upgrade request {id} failed."),
        900118 => "The customer id is not valid.".to_owned(),
        900119 => "Azure Partner Shared Services cannot be upgraded.".to_owned(),
        900120 => "The Azure upgrade cannot be processed.".to_owned(),
        900130 => "Azure subscriptions purchased recently cannot be transitioned yet; try \
                   again later."
            .to_owned(),
        other => format!("Error {other}."),
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
    fn the_state_follows_the_time_since_the_create() {
        let walk = |states: &[&str], ms: u64| {
            let states: Vec<String> = states.iter().map(|s| (*s).to_owned()).collect();
            state_at(&states, Duration::from_millis(ms), Duration::from_secs(20))
        };
        assert_eq!(walk(&["Completed"], 0), "InProgress");
        assert_eq!(walk(&["Completed"], 19_999), "InProgress");
        assert_eq!(walk(&["Completed"], 20_000), "Completed");
        let three = ["Pending", "InProgress", "Failed"];
        assert_eq!(walk(&three, 9_999), "Pending");
        assert_eq!(walk(&three, 10_000), "InProgress");
        assert_eq!(walk(&three, 86_400_000), "Failed");
        let instant = state_at(&["Completed".to_owned()], Duration::ZERO, Duration::ZERO);
        assert_eq!(instant, "Completed");
    }

    #[test]
    fn fails_with_ends_the_walk_in_failed() {
        let customer = Customer::new(Uuid::nil())
            .statuses(["InProgress", "Completed"])
            .fails_with(900120, "no");
        assert_eq!(customer.statuses, ["InProgress", "Failed"]);
    }
}
