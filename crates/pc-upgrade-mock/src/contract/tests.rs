//! The contract's own checks: what it refuses and why, and that it covers every operation.

use super::*;

const ID: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

fn route(method: Method, path: &str) -> Option<Operation> {
    match contract().route(&method, path) {
        Route::Operation(operation, _) => Some(operation.operation),
        _ => None,
    }
}

#[test]
fn an_answer_the_spec_does_not_allow_is_caught() {
    let contract = contract();
    let status = Operation::GetProductUpgradeStatus;
    let good = MockResponse::json(200, format!(r#"{{"id": "{ID}", "status": "Completed"}}"#));
    assert_eq!(contract.check_answer(status, &good), Ok(()));
    // Broken on purpose: an upgrade id that is no GUID.
    let broken = MockResponse::json(200, r#"{"id": "not-a-guid", "status": "Completed"}"#);
    let error = contract.check_answer(status, &broken).unwrap_err();
    assert!(error.contains("/id"), "{error}");
    // Only a body the spec marks `x-body-optional` (the create's 202) may be absent.
    let empty = contract.check_answer(status, &MockResponse::new(200));
    assert!(empty.unwrap_err().contains("not JSON"));
    let create = Operation::CreateProductUpgrade;
    let accepted = MockResponse::new(202).header("Location", &format!("productUpgrades/{ID}"));
    assert_eq!(contract.check_answer(create, &accepted), Ok(()));
    let no_location = MockResponse::new(202);
    assert!(
        contract
            .check_answer(create, &no_location)
            .unwrap_err()
            .contains("Location")
    );
    let undocumented = MockResponse::new(418);
    assert!(
        contract
            .check_answer(create, &undocumented)
            .unwrap_err()
            .contains("418")
    );
}

#[test]
fn the_contract_covers_every_operation_of_the_fake() {
    let mut found: Vec<Operation> = contract().operations().collect();
    found.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        found,
        [
            Operation::CheckEligibility,
            Operation::CreateProductUpgrade,
            Operation::GetCustomerAgreements,
            Operation::GetCustomerSubscriptions,
            Operation::GetProductUpgrade,
            Operation::GetProductUpgradeStatus,
            Operation::ListCustomers
        ]
    );
}

#[test]
fn operations_are_routed_case_insensitively_and_literals_win() {
    let post = Method::POST;
    assert_eq!(
        route(post.clone(), "/v1/productUpgrades/eligibility"),
        Some(Operation::CheckEligibility)
    );
    assert_eq!(
        route(post.clone(), "/V1/PRODUCTUPGRADES"),
        Some(Operation::CreateProductUpgrade)
    );
    assert_eq!(
        route(post.clone(), &format!("/v1/productupgrades/{ID}/status")),
        Some(Operation::GetProductUpgradeStatus)
    );
    assert_eq!(route(post.clone(), "/v1/productupgrades/x/y/status"), None);
    assert!(matches!(
        contract().route(&Method::GET, "/v1/productupgrades"),
        Route::WrongMethod { allow } if allow == "POST"
    ));
    assert!(matches!(
        contract().route(&post, "/v1/customers"),
        Route::WrongMethod { allow } if allow == "GET"
    ));
    assert!(matches!(
        contract().route(&Method::GET, "/v1/partners"),
        Route::NotFound
    ));
}

#[test]
fn a_non_guid_upgrade_id_is_refused() {
    let Route::Operation(operation, parameters) =
        contract().route(&Method::POST, "/v1/productUpgrades/not-a-guid/status")
    else {
        panic!("not routed");
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    let body =
        br#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "productFamily": "Azure"}"#;
    let refusal = operation.check(&headers, &parameters, body).unwrap_err();
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert!(refusal.reason.contains("upgrade-id"), "{}", refusal.reason);
}

#[test]
fn an_escaped_upgrade_id_is_decoded_before_it_is_checked() {
    let Route::Operation(operation, parameters) = contract().route(
        &Method::POST,
        "/v1/productUpgrades/42d075a4%2Dbfe7-43e7-af6d-7c68a57edcb4/status",
    ) else {
        panic!("not routed");
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    let body =
        br#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "productFamily": "Azure"}"#;
    assert!(operation.check(&headers, &parameters, body).is_ok());
}
