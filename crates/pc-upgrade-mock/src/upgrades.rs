//! The fleet's upgrades while the fake runs ([`FleetState`]): which customer has which
//! upgrade, when it was created and by which `MS-RequestId`, and so what the service would
//! answer each call; `answers` renders it.

use std::collections::HashMap;
use std::time::Duration;

// Tokio's clock: a test on a paused clock sees upgrades take their time in no time.
use tokio::time::Instant;

use serde_json::Value;
use uuid::Uuid;

use crate::answers::{self, Eligibility};
use crate::fleet::{Customer, FailureShare, Fleet, ScriptedError, ScriptedFailure};
use crate::profile::Listing;
use crate::response::MockResponse;

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
    /// The customers in the fleet's order: the partner's list.
    order: Vec<Uuid>,
    /// How that list is paged, and how often a call fails.
    listing: Listing,
    /// Valid calls answered, for `listing.server_error_every`.
    calls: u64,
    /// How long upgrades take when their customer does not say.
    takes: Duration,
    /// The share of upgrades that fail, for customers whose script does not say.
    failing: Option<FailureShare>,
    upgrades: HashMap<Uuid, Upgrade>,
    /// Customer → its upgrade.
    by_customer: HashMap<Uuid, Uuid>,
}

impl FleetState {
    pub(crate) fn new(fleet: &Fleet) -> Self {
        let mut state = Self {
            scripts: HashMap::with_capacity(fleet.customers.len()),
            order: fleet.customers.iter().map(|c| c.customer_id).collect(),
            listing: fleet.listing.clone(),
            calls: 0,
            takes: Duration::from_millis(fleet.upgrade_takes_ms),
            failing: fleet.upgrades_fail.clone(),
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
        let script = self
            .scripts
            .get(&customer)
            .cloned()
            .unwrap_or_else(|| Customer::new(customer));
        match &self.failing {
            // Only an upgrade whose end the script leaves as the default, Completed.
            Some(share)
                if script.failure.is_none()
                    && script.statuses.last().is_none_or(|s| s == "Completed")
                    && share.picks(customer) =>
            {
                script.fails_with(share.code.clone(), share.message.clone())
            }
            _ => script,
        }
    }

    /// The state an upgrade shows now: it follows the time since the create alone.
    fn current_state(&self, upgrade: &Upgrade) -> String {
        let script = self.script(upgrade.customer);
        let takes = script.takes_ms.map_or(self.takes, Duration::from_millis);
        state_at(&script.statuses, upgrade.created.elapsed(), takes)
    }

    pub(crate) fn eligibility(&self, body: &Value) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return answers::invalid_customer();
        };
        let script = self.script(customer);
        if let (Some(error), None) = (script.refusal(), self.by_customer.get(&customer)) {
            return scripted_error(&error);
        }
        let said = match self.by_customer.get(&customer) {
            Some(upgrade) => Eligibility::Upgrading(*upgrade),
            None if !script.eligible => Eligibility::No(
                script
                    .reason
                    .as_deref()
                    .unwrap_or("The customer is not eligible."),
            ),
            None => Eligibility::Yes,
        };
        answers::eligibility(customer, &body["productFamily"], said)
    }

    pub(crate) fn create(&mut self, body: &Value, request_id: &str) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return answers::invalid_customer();
        };
        let script = self.script(customer);
        if let Some(error) = script.create_error.as_ref().or(script.refusal().as_ref()) {
            return scripted_error(error);
        }
        if let Some(id) = self.by_customer.get(&customer).copied() {
            let Some(upgrade) = self.upgrades.get(&id) else {
                return answers::partner_center_error(500, 800003, "The fake lost an upgrade.");
            };
            // The same MS-RequestId is the same call: answer it as the first time.
            if upgrade.created_by.as_deref() == Some(request_id) {
                let status = self.status(&id.to_string(), body);
                return answers::accepted_with(id, status);
            }
            return if self
                .current_state(upgrade)
                .eq_ignore_ascii_case("Completed")
            {
                answers::partner_center_error(
                    400,
                    900110,
                    &answers::documented_message(900110, Some(id)),
                )
            } else {
                answers::partner_center_error(
                    409,
                    900109,
                    &answers::documented_message(900109, Some(id)),
                )
            };
        }
        let id = Uuid::new_v4();
        self.add_upgrade(id, customer, Some(request_id.to_owned()));
        let status = self.status(&id.to_string(), body);
        answers::accepted_with(id, status)
    }

    pub(crate) fn status(&mut self, upgrade_id: &str, body: &Value) -> MockResponse {
        let Some(customer) = customer_of(body) else {
            return answers::invalid_customer();
        };
        let upgrade = Uuid::try_parse(upgrade_id)
            .ok()
            .and_then(|id| self.upgrades.get(&id));
        let Some(upgrade) = upgrade else {
            return answers::partner_center_error(
                404,
                900106,
                &answers::documented_message(900106, None),
            );
        };
        if upgrade.customer != customer {
            let theirs = self
                .by_customer
                .get(&customer)
                .map(ToString::to_string)
                .unwrap_or_else(|| "none".to_owned());
            return answers::partner_center_error(
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
        let failure = is_failed(&state).then(|| {
            self.script(owner).failure.unwrap_or(ScriptedFailure {
                code: 900114.into(),
                message: answers::documented_message(900114, Some(id)),
            })
        });
        let failure = failure.as_ref().map(|f| (&f.code, f.message.as_str()));
        let lines = self.script(owner).lines();
        answers::status(id, &state, &body["productFamily"], failure, &lines)
    }

    /// Whether this valid call is one of those the fleet fails with a `500`.
    pub(crate) fn server_error(&mut self) -> bool {
        self.calls += 1;
        (self.listing.server_error_every)
            .is_some_and(|every| self.calls.is_multiple_of(every.max(1)))
    }

    /// A page of the partner's customers.
    pub(crate) fn customers(&self, query: Option<&str>, token: Option<&str>) -> MockResponse {
        let customers: Vec<&Customer> = (self.order.iter())
            .filter_map(|id| self.scripts.get(id))
            .collect();
        crate::partner::page(&self.listing, &customers, query, token)
    }

    /// A customer's agreements.
    pub(crate) fn agreements(&self, customer: &str, query: Option<&str>) -> MockResponse {
        match Uuid::try_parse(customer) {
            Ok(id) => crate::partner::agreements(&self.script(id), query),
            Err(_) => answers::invalid_customer(),
        }
    }

    /// The customer's subscriptions, as they are now: once its upgrade completed, those it
    /// moved are suspended and an Azure plan subscription is active.
    pub(crate) fn subscriptions(&self, customer: &str) -> MockResponse {
        let Ok(customer) = Uuid::try_parse(customer) else {
            return answers::invalid_customer();
        };
        let completed = self
            .by_customer
            .get(&customer)
            .and_then(|id| self.upgrades.get(id))
            .filter(|u| self.current_state(u).eq_ignore_ascii_case("Completed"))
            .map(|u| u.id);
        let held = self.script(customer).subscriptions_now(completed);
        let body = crate::subscriptions::collection(customer, &held);
        MockResponse::json(200, body.to_string())
    }
}

/// A scripted Partner Center error, with the code's documented text unless it has its own.
fn scripted_error(error: &ScriptedError) -> MockResponse {
    let description = error
        .description
        .clone()
        .unwrap_or_else(|| answers::documented_message(error.code, None));
    answers::partner_center_error(error.status, error.code, &description)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

#[cfg(test)]
mod failure_share_tests {
    use super::*;

    /// About the share of a thousand upgrades fail, the same customers every time, and a
    /// customer whose script says how its upgrade ends is left to it.
    #[test]
    fn a_share_of_upgrades_fails_the_same_every_time() {
        let scripted = Uuid::from_u128(7);
        let fleet = Fleet::new()
            .customer(Customer::new(scripted).statuses(["InProgress"]))
            .upgrades_fail(60, 900120, "The Azure upgrade cannot be processed.");
        let (first, second) = (FleetState::new(&fleet), FleetState::new(&fleet));
        let failing = |state: &FleetState| -> Vec<u128> {
            (0..1000u128)
                .filter(|n| {
                    state
                        .script(Uuid::from_u128(0x4000_8000 << 64 | n))
                        .failure
                        .is_some()
                })
                .collect()
        };
        let failed = failing(&first);
        assert!((540..=660).contains(&failed.len()), "{}", failed.len());
        assert_eq!(failed, failing(&second));
        assert!(first.script(scripted).failure.is_none());
        let script = first.script(Uuid::from_u128(0x4000_8000 << 64 | failed[0]));
        assert_eq!(script.statuses.last().map(String::as_str), Some("Failed"));
    }
}
