//! What Microsoft's generated REST reference adds to the pages, through the client against
//! the fake: the fourth operation (the upgrade at its create's `Location`), the body a `202`
//! may carry (kept when it is a status, never required), and an `MS-CV` the caller sets.

use pc_upgrade_client::{
    BuildError, CallOptions, Origin, PartnerCenterClient, ProductUpgradeRequest, RetryPolicy,
    UpgradeStart,
};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};

const CUSTOMER: &str = "4c721420-72ad-4708-a0a7-371a2f7b0969";
const UPGRADE: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(CUSTOMER.parse().unwrap(), "Azure")
}

async fn setup() -> (MockServer, PartnerCenterClient) {
    let server = MockServer::start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("reference-test-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

/// A `202` whose body is the new upgrade's status, as the REST reference types it.
fn accepted_with(body: &str) -> MockResponse {
    MockResponse::new(202)
        .header("Location", &format!("productUpgrades/{UPGRADE}"))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
}

#[tokio::test]
async fn the_upgrade_at_its_location_answers_as_its_status() {
    let (server, client) = setup().await;
    let upgrade = client.create_product_upgrade(&request()).await.unwrap();
    let at_location = client
        .get_product_upgrade(upgrade, &request())
        .await
        .unwrap();
    let status = client
        .get_product_upgrade_status(upgrade, &request())
        .await
        .unwrap();
    assert_eq!(at_location, status);
    let sent = server.requests();
    assert_eq!(sent[1].operation, Some(Operation::GetProductUpgrade));
    assert_eq!(sent[1].path, format!("/v1/productUpgrades/{upgrade}"));
}

#[tokio::test]
async fn a_202_body_is_kept_when_it_is_a_status_and_left_out_otherwise() {
    let (server, client) = setup().await;
    let status =
        format!(r#"{{"id": "{UPGRADE}", "status": "InProgress", "productFamily": "Azure"}}"#);
    for (body, kept) in [
        (status.as_str(), true),
        ("", false),
        ("   ", false),
        (r#"{"id": "not a guid"}"#, false),
        ("<ProductUpgradesStatus/>", false),
    ] {
        server.enqueue(Operation::CreateProductUpgrade, accepted_with(body));
        let created = client
            .create_product_upgrade_entity(&request(), CallOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{body:?}: {e}"));
        assert_eq!(created.value.upgrade.to_string(), UPGRADE, "{body:?}");
        match created.value.status {
            Some(status) => {
                assert!(kept, "{body:?} kept");
                assert_eq!(status.status, "InProgress");
            }
            None => assert!(!kept, "{body:?} left out"),
        }
    }
    // `start_upgrade` hands the status on.
    server.enqueue(Operation::CreateProductUpgrade, accepted_with(&status));
    let started = client
        .start_upgrade(&request(), CallOptions::default())
        .await
        .unwrap();
    let UpgradeStart::Started {
        origin: Origin::Created { .. },
        status: Some(status),
        ..
    } = started
    else {
        panic!("{started:?}");
    };
    assert_eq!(status.id.to_string(), UPGRADE);
}

#[tokio::test]
async fn an_ms_cv_is_sent_only_when_set_and_a_bad_one_is_refused() {
    let (server, client) = setup().await;
    client.check_eligibility(&request()).await.unwrap();
    let traced = client
        .with_correlation_vector("Gyx2F3Q0bUyOBOJ0XSlG7w.2")
        .unwrap();
    assert_eq!(
        traced.correlation_vector(),
        Some("Gyx2F3Q0bUyOBOJ0XSlG7w.2")
    );
    traced.check_eligibility(&request()).await.unwrap();
    let sent = server.requests();
    assert_eq!(sent[0].header("ms-cv"), None);
    assert_eq!(sent[1].header("ms-cv"), Some("Gyx2F3Q0bUyOBOJ0XSlG7w.2"));
    for bad in ["", "two words", "line\nbreak", "é"] {
        let refused = client.with_correlation_vector(bad).unwrap_err();
        assert!(
            matches!(&refused, BuildError::InvalidHeader { header } if header == "MS-CV"),
            "{bad:?}: {refused:?}"
        );
    }
}
