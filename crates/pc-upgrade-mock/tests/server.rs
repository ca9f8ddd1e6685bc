//! The fake as a client sees it over HTTP: scripted answers, refusals with their reasons,
//! throttling per tenant, the threaded server.

use std::time::Duration;

use pc_upgrade_mock::{
    MockResponse, MockServer, Operation, ThreadedMockServer, Throttle, Verdict, documented,
};
use serde_json::Value;

/// The largest request body the fake reads (a larger one is answered `413`).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

const REQUEST: &str =
    r#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "productFamily": "Azure"}"#;

fn post(http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    http.post(url)
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body(REQUEST)
}

#[test]
fn a_threaded_server_answers_and_stops_when_dropped() {
    let server = ThreadedMockServer::start().unwrap();
    let url = format!("{}/v1/productupgrades", server.base_url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new().post(&url).send().await.unwrap();
        assert_eq!(response.status(), 202);
    });
    drop(server);
    runtime.block_on(async {
        assert!(reqwest::Client::new().post(&url).send().await.is_err());
    });
}

#[tokio::test]
async fn scripted_answers_come_first_then_the_documented_one() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CreateProductUpgrade, MockResponse::new(503));
    let http = reqwest::Client::new();
    let url = format!("{}/v1/productupgrades", server.base_url());
    let first = post(&http, &url).send().await.unwrap();
    assert_eq!(first.status(), 503);
    let second = post(&http, &url).send().await.unwrap();
    assert_eq!(second.status(), 202);
    assert_eq!(second.headers()["location"], documented::CREATE_LOCATION);
    assert_eq!(server.requests().len(), 2);
    assert!(server.refusals().is_empty());

    server.set_recording(false);
    post(&http, &url).send().await.unwrap();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn invalid_requests_are_refused_and_recorded_with_the_reason() {
    let server = MockServer::start().await.unwrap();
    let http = reqwest::Client::new();
    let base = server.base_url();
    let create = format!("{base}/v1/productupgrades");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            http.post(&create)
                .header("content-type", "application/json")
                .body(REQUEST),
            401,
            "bearer",
        ),
        (
            post(&http, &create).body(r#"{"customerId": "x", "productFamily": "Azure"}"#),
            400,
            "/customerId",
        ),
        (
            post(&http, &create).body(r#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969""#),
            400,
            "not JSON",
        ),
        (
            post(&http, &create).header("content-type", "text/plain"),
            415,
            "application/json",
        ),
        (
            post(&http, &create).header("ms-requestid", "not-a-guid"),
            400,
            "MS-RequestId",
        ),
        (
            post(&http, &create).body(vec![b' '; MAX_REQUEST_BYTES + 1]),
            413,
            "larger",
        ),
        (
            post(&http, &format!("{base}/v1/productUpgrades/42/status")),
            400,
            "upgrade-id",
        ),
        (http.get(&create).bearer_auth("t"), 405, "POST"),
        (post(&http, &format!("{base}/v1/partners")), 404, "No such"),
    ];
    let expected = cases.len();
    for (request, status, reason) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{reason}");
        // Like the service: every answer names the instance, a 401 carries the challenge.
        assert_eq!(response.headers()["ms-serverid"], "pc-upgrade-mock");
        assert_eq!(
            response.headers().get("www-authenticate").is_some(),
            status == 401,
            "{reason}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["code"].is_i64(), "{body}");
        let refused = server.refusals().pop().unwrap();
        let Verdict::Refused {
            status: recorded,
            reason: why,
        } = &refused.verdict
        else {
            panic!("{refused:?}");
        };
        assert_eq!(*recorded, status);
        assert!(why.contains(reason), "{why:?} does not say {reason:?}");
    }
    assert_eq!(server.refusals().len(), expected);
}

#[tokio::test]
async fn a_throttled_tenant_gets_429_with_retry_after_and_others_do_not() {
    let server = MockServer::builder()
        .throttle(Throttle::new(2, Duration::from_secs(60)))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/productUpgrades/eligibility", server.base_url());
    for _ in 0..2 {
        assert_eq!(post(&http, &url).send().await.unwrap().status(), 200);
    }
    let third = post(&http, &url).send().await.unwrap();
    assert_eq!(third.status(), 429);
    let wait: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let other = http
        .post(&url)
        .bearer_auth("another tenant")
        .header("content-type", "application/json")
        .body(REQUEST);
    assert_eq!(other.send().await.unwrap().status(), 200);
}
