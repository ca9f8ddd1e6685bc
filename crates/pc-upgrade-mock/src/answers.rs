//! Every answer the fake can give, rendered in one place: the documented examples, the
//! fleet's eligibility, create and status answers, refusals of requests the spec does not
//! allow, throttling, and Partner Center's error bodies with the documented wording of each
//! product-upgrade code.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::documented;
use crate::fleet::{ScriptedCode, ScriptedLineItem};
use crate::operation::Operation;
use crate::record::Refusal;
use crate::response::MockResponse;
use crate::subscriptions::documented_line;

/// The documented example answer of `operation`, given when there is no fleet.
pub(crate) fn documented(operation: Operation) -> MockResponse {
    match operation {
        Operation::CheckEligibility => MockResponse::json(200, documented::ELIGIBILITY_RESPONSE),
        Operation::CreateProductUpgrade => MockResponse::json(202, documented::STATUS_RESPONSE)
            .header("Location", documented::CREATE_LOCATION),
        Operation::GetProductUpgradeStatus | Operation::GetProductUpgrade => {
            MockResponse::json(200, documented::STATUS_RESPONSE)
        }
        Operation::GetCustomerSubscriptions => {
            MockResponse::json(200, documented::SUBSCRIPTIONS_RESPONSE)
        }
        Operation::ListCustomers => MockResponse::json(200, documented::CUSTOMERS_RESPONSE),
        Operation::GetCustomerAgreements => {
            MockResponse::json(200, documented::AGREEMENTS_RESPONSE)
        }
    }
}

/// What eligibility says of a customer.
pub(crate) enum Eligibility<'a> {
    /// The customer has this upgrade already.
    Upgrading(Uuid),
    /// Not eligible, for this reason.
    No(&'a str),
    /// Eligible.
    Yes,
}

/// An eligibility answer.
pub(crate) fn eligibility(customer: Uuid, family: &Value, said: Eligibility<'_>) -> MockResponse {
    let mut answer = json!({"customerId": customer, "productFamily": family});
    match said {
        Eligibility::Upgrading(upgrade) => {
            answer["isEligible"] = json!(false);
            answer["upgradeId"] = json!(upgrade);
            answer["reason"] =
                json!("An upgrade to this product family already exists for the customer.");
        }
        Eligibility::No(reason) => {
            answer["isEligible"] = json!(false);
            answer["reason"] = json!(reason);
        }
        Eligibility::Yes => answer["isEligible"] = json!(true),
    }
    MockResponse::json(200, answer.to_string())
}

/// A create accepted: `202` naming the upgrade in `Location`.
pub(crate) fn accepted(id: Uuid) -> MockResponse {
    MockResponse::new(202).header("Location", &format!("productUpgrades/{id}"))
}

/// A create's `202`, carrying the new upgrade's `status` answer as its body, as the REST
/// reference types it (the pages show no body; the fake sends what the service's own
/// description says, and the client takes either).
pub(crate) fn accepted_with(id: Uuid, status: MockResponse) -> MockResponse {
    if status.status != 200 {
        return accepted(id);
    }
    let mut accepted = accepted(id).header("Content-Type", "application/json; charset=utf-8");
    accepted.body = status.body;
    accepted
}

/// A status answer: the upgrade in `state`, with error details when it failed, and a line
/// item for each subscription it moves (one that is not moved says `Failed`).
pub(crate) fn status(
    id: Uuid,
    state: &str,
    family: &Value,
    failure: Option<(&ScriptedCode, &str)>,
    lines: &[ScriptedLineItem],
) -> MockResponse {
    let mut answer = json!({"id": id, "status": state, "productFamily": family});
    // `description`, as Microsoft's clients read it: what the service most likely sends
    // (see the spec's ErrorDetails).
    let details = |code: &ScriptedCode, text: &str| json!({"code": code, "description": text});
    if let Some((code, text)) = failure {
        answer["errorDetails"] = details(code, text);
    }
    let documented = [documented_line()];
    let lines = if lines.is_empty() {
        &documented[..]
    } else {
        lines
    };
    let completed = state.eq_ignore_ascii_case("Completed");
    let items: Vec<Value> = lines
        .iter()
        .map(|line| {
            let mut item = json!({
                "sourceProduct": {"id": line.source_product_id, "name": line.source_product_name},
                "targetProduct": {"id": "d231908e-31c1-de0e-027b-bc5ce11f09d9", "name": "Microsoft Azure plan"},
                "status": state,
            });
            match (&line.failure, failure) {
                (Some(own), _) if completed || failure.is_some() => {
                    item["status"] = json!("Failed");
                    item["errorDetails"] = details(&own.code, &own.message);
                }
                (_, Some((code, text))) => item["errorDetails"] = details(code, text),
                _ if completed => item["upgradedDate"] = json!("2019-08-29T23:47:28.8524555Z"),
                _ => {}
            }
            item
        })
        .collect();
    answer["lineItems"] = Value::Array(items);
    MockResponse::json(200, answer.to_string())
}

/// How many characters of a reason go into an error description (the documented cap).
const MAX_DESCRIPTION: usize = 1024;

/// The answer to a request the spec does not allow.
pub(crate) fn refusal(refusal: &Refusal) -> MockResponse {
    let code = match refusal.status.as_u16() {
        401 => 800001,
        _ => 800002,
    };
    let description: String = refusal.reason.chars().take(MAX_DESCRIPTION).collect();
    partner_center_error(refusal.status.as_u16(), code, &description)
}

/// `429`: the tenant's window is used up for `wait`.
pub(crate) fn throttling(wait: Duration) -> MockResponse {
    MockResponse::throttled(wait)
}

/// A request that names no valid customer.
pub(crate) fn invalid_customer() -> MockResponse {
    partner_center_error(400, 900118, &documented_message(900118, None))
}

/// A request the fake routed to no operation: its own bug, answered as the service's.
pub(crate) fn operation_missing() -> MockResponse {
    partner_center_error(500, 800003, "The fake routed a request to no operation.")
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
