//! A fleet customer's subscriptions, and what they are at a given moment: before its upgrade completes, as scripted; after, each legacy Azure subscription
//! the upgrade moved is suspended and an Azure plan subscription is active, as Partner
//! Center's transition page says. Eligibility and the create answer from them too.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::fleet::{Customer, ScriptedError, ScriptedLineItem};
use crate::subscription::{AZURE_PLAN, ScriptedSubscription};

/// The documentation's one subscription, when a fleet scripts none.
pub(crate) fn documented_line() -> ScriptedLineItem {
    let id = Uuid::from_u128(0xb1be_b621_3cad_4d7a_b360_62db_33ce_028e);
    ScriptedLineItem::new(id, "AzureSubscription")
}

impl Customer {
    /// The customer holds these subscriptions (instead of one legacy Azure subscription per
    /// line item).
    pub fn holding(
        mut self,
        subscriptions: impl IntoIterator<Item = ScriptedSubscription>,
    ) -> Self {
        self.holds = Some(subscriptions.into_iter().collect());
        self
    }

    /// The customer has no Azure subscription (a Microsoft 365 customer): eligibility and
    /// the create answer `403` with 900108.
    pub fn no_azure_subscription(self) -> Self {
        let id = Uuid::from_u128(self.customer_id.as_u128() ^ (0x365 << 64));
        self.holding([ScriptedSubscription::other(id, "CFQ7TTC0LH18:0001")])
    }

    /// Eligibility answers `status` with the Partner Center error `code` (900119, Azure
    /// Partner Shared Services, say).
    pub fn eligibility_fails(mut self, status: u16, code: i64) -> Self {
        self.eligibility_error = Some(ScriptedError {
            status,
            code,
            description: None,
        });
        self
    }

    /// The subscriptions the upgrade moves, a line item each: as scripted, else one per
    /// active legacy Azure subscription it holds (empty: the documentation's one).
    pub(crate) fn lines(&self) -> Vec<ScriptedLineItem> {
        if !self.line_items.is_empty() {
            return self.line_items.clone();
        }
        let held = self.holds.iter().flatten();
        held.filter(|s| s.is_legacy_azure() && s.is_active())
            .map(|s| {
                let name = s.friendly_name.as_deref().unwrap_or("Microsoft Azure");
                ScriptedLineItem::new(s.id, name)
            })
            .collect()
    }

    /// Why eligibility and the create refuse the customer, from what it holds: no legacy
    /// Azure subscription (900108), or every one suspended (900105); or the scripted error.
    pub(crate) fn refusal(&self) -> Option<ScriptedError> {
        if let Some(error) = &self.eligibility_error {
            return Some(error.clone());
        }
        let held = self.holds.as_ref()?;
        let legacy: Vec<_> = held.iter().filter(|s| s.is_legacy_azure()).collect();
        let code = match legacy.is_empty() {
            true => 900_108,
            false if legacy.iter().all(|s| !s.is_active()) => 900_105,
            false => return None,
        };
        Some(ScriptedError {
            status: 403,
            code,
            description: None,
        })
    }

    /// The customer's subscriptions now: `completed` names the upgrade when it has
    /// completed, whose moved legacy subscriptions are then suspended, with an Azure plan
    /// subscription active beside them.
    pub(crate) fn subscriptions_now(&self, completed: Option<Uuid>) -> Vec<ScriptedSubscription> {
        let mut held = self.holds.clone().unwrap_or_else(|| {
            let lines = self.lines();
            let lines = match lines.is_empty() {
                true => vec![documented_line()],
                false => lines,
            };
            lines
                .iter()
                .map(|l| ScriptedSubscription::legacy(l.source_product_id))
                .collect()
        });
        let Some(upgrade) = completed else {
            return held;
        };
        let not_moved: Vec<Uuid> = (self.lines().iter())
            .filter(|l| l.failure.is_some())
            .map(|l| l.source_product_id)
            .collect();
        for subscription in &mut held {
            let moved = subscription.is_legacy_azure()
                && subscription.is_active()
                && !subscription.stays_active
                && !not_moved.contains(&subscription.id);
            if moved {
                subscription.status = "suspended".to_owned();
            }
        }
        let mut plan = ScriptedSubscription::other(plan_subscription(upgrade), AZURE_PLAN);
        plan.friendly_name = Some("Azure plan".to_owned());
        held.push(plan);
        held
    }
}

/// The Azure plan subscription an upgrade made: its id follows from the upgrade's.
pub fn plan_subscription(upgrade: Uuid) -> Uuid {
    Uuid::from_u128(upgrade.as_u128() ^ 0x00a2_u128 << 100)
}

/// The subscriptions collection a customer's listing answers.
pub(crate) fn collection(customer: Uuid, subscriptions: &[ScriptedSubscription]) -> Value {
    let items: Vec<Value> = subscriptions
        .iter()
        .map(ScriptedSubscription::json)
        .collect();
    json!({
        "totalCount": items.len(),
        "items": items,
        "links": {"self": {"uri": format!("/customers/{customer}/subscriptions"),
                           "method": "GET", "headers": []}},
        "attributes": {"objectType": "Collection"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_upgrade_suspends_what_it_moved_and_adds_an_azure_plan() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let customer = Customer::new(Uuid::from_u128(9)).holding([
            ScriptedSubscription::legacy(a),
            ScriptedSubscription::legacy(b).stays_active(),
            ScriptedSubscription::other(c, "CFQ7TTC0LH18:0001"),
        ]);
        assert_eq!(customer.lines().len(), 2);
        assert_eq!(customer.refusal(), None);
        let before = customer.subscriptions_now(None);
        assert!(before.iter().all(ScriptedSubscription::is_active));
        let upgrade = Uuid::from_u128(7);
        let after = customer.subscriptions_now(Some(upgrade));
        let status = |id: Uuid| after.iter().find(|s| s.id == id).map(|s| s.status.clone());
        assert_eq!(status(a).as_deref(), Some("suspended"));
        assert_eq!(status(b).as_deref(), Some("active"));
        assert_eq!(status(c).as_deref(), Some("active"));
        let plan = after.last().unwrap();
        assert_eq!(
            (plan.id, plan.offer_id.as_str()),
            (plan_subscription(upgrade), AZURE_PLAN)
        );
    }

    #[test]
    fn eligibility_refuses_from_what_the_customer_holds() {
        let id = Uuid::from_u128(1);
        let none = Customer::new(id).no_azure_subscription();
        assert_eq!(none.refusal().map(|e| e.code), Some(900_108));
        let suspended = Customer::new(id)
            .holding([ScriptedSubscription::legacy(Uuid::from_u128(2)).suspended()]);
        assert_eq!(suspended.refusal().map(|e| e.code), Some(900_105));
        let shared = Customer::new(id).eligibility_fails(403, 900_119);
        assert_eq!(shared.refusal().map(|e| e.code), Some(900_119));
        assert_eq!(Customer::new(id).refusal(), None);
    }
}
