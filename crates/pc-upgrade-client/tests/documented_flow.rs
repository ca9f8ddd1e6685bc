//! The client against a real HTTP server on 127.0.0.1 that answers with the documented
//! examples: it returns the documented values and sends the Partner Center headers.

use pc_upgrade_client::{PartnerCenterClient, ProductUpgradeRequest, RetryPolicy};
use pc_upgrade_mock::{MockServer, Operation};
use uuid::Uuid;

const TOKEN: &str = "test-token-5f1c";
const CUSTOMER: &str = "4c721420-72ad-4708-a0a7-371a2f7b0969";

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(CUSTOMER.parse().unwrap(), "azure")
}

async fn setup() -> (MockServer, PartnerCenterClient) {
    let server = MockServer::start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .application_name("pc-upgrade tests")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn check_eligibility_returns_the_documented_answer() {
    let (server, client) = setup().await;
    let eligibility = client.check_eligibility(&request()).await.unwrap();
    assert!(eligibility.is_eligible);
    assert_eq!(
        eligibility.customer_id.to_string(),
        "c1958bc7-3284-4952-a257-de594ee64743"
    );
    assert_eq!(eligibility.product_family.as_deref(), Some("azure"));
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].operation, Some(Operation::CheckEligibility));
    assert_eq!(sent[0].path, "/v1/productUpgrades/eligibility");
    assert_eq!(
        sent[0].json().unwrap(),
        serde_json::json!({"customerId": CUSTOMER, "productFamily": "azure"})
    );
}

#[tokio::test]
async fn create_returns_the_documented_upgrade_id() {
    let (server, client) = setup().await;
    let id = client.create_product_upgrade(&request()).await.unwrap();
    assert_eq!(id.to_string(), "42d075a4-bfe7-43e7-af6d-7c68a57edcb4");
    assert_eq!(server.requests()[0].path, "/v1/productupgrades");
}

#[tokio::test]
async fn status_returns_the_documented_status() {
    let (server, client) = setup().await;
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let status = client
        .get_product_upgrade_status(id, &request())
        .await
        .unwrap();
    assert_eq!(status.id, *id.as_uuid());
    assert!(status.is_completed());
    assert_eq!(status.line_items.len(), 1);
    let item = &status.line_items[0];
    assert_eq!(
        item.target_product.as_ref().unwrap().name.as_deref(),
        Some("Microsoft Azure plan")
    );
    assert_eq!(
        server.requests()[0].path,
        "/v1/productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4/status"
    );
}

#[tokio::test]
async fn every_request_carries_the_partner_center_headers() {
    let (server, client) = setup().await;
    let request = request();
    client.check_eligibility(&request).await.unwrap();
    let id = client.create_product_upgrade(&request).await.unwrap();
    client
        .get_product_upgrade_status(id, &request)
        .await
        .unwrap();

    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    let mut request_ids = Vec::new();
    for r in &sent {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("accept"), Some("application/json"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("x-locale"), Some("en-US"));
        assert_eq!(r.header("ms-contract-version"), Some("v1"));
        assert_eq!(
            r.header("ms-partnercenter-application"),
            Some("pc-upgrade tests")
        );
        assert_eq!(
            r.header("ms-correlationid")
                .map(|v| v.parse::<Uuid>().unwrap()),
            Some(client.correlation_id())
        );
        let id: Uuid = r.header("ms-requestid").unwrap().parse().unwrap();
        request_ids.push(id);
        // progenitor adds `api-version`; Partner Center does not define it.
        assert_eq!(r.header("api-version"), None);
    }
    let distinct: std::collections::HashSet<Uuid> = request_ids.into_iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "each logical call gets a new MS-RequestId"
    );
}

#[tokio::test]
async fn the_correlation_id_can_be_chosen() {
    let (server, client) = setup().await;
    let flow = Uuid::new_v4();
    client
        .with_correlation_id(flow)
        .check_eligibility(&request())
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].header("ms-correlationid"),
        Some(flow.to_string().as_str())
    );
}

#[tokio::test]
async fn calls_can_run_on_spawned_tasks() {
    let (_server, client) = setup().await;
    // The futures must be Send for a multi-threaded service to use them.
    let task = tokio::spawn(async move { client.check_eligibility(&request()).await });
    assert!(task.await.unwrap().unwrap().is_eligible);
}
