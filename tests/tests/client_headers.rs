//! The headers the client sends are the ones the spec declares: every declared header
//! parameter is sent, and nothing beyond them and HTTP's own. A header added to the spec and
//! not sent fails here, and so does a header sent that the spec does not declare.

use std::collections::BTreeSet;

use pc_upgrade_client::{PartnerCenterClient, ProductUpgradeRequest, RetryPolicy};
use pc_upgrade_conformance::spec::Spec;
use pc_upgrade_mock::{MockServer, Operation, RecordedRequest, Verdict};
use serde_json::Value;

/// Headers that belong to HTTP or to the security scheme, not to the spec's parameters.
const TRANSPORT: &[&str] = &[
    "accept",
    "authorization",
    "content-length",
    "content-type",
    "host",
];

/// The header parameters the spec declares for `operation_id`, lower-cased.
fn declared(spec: &Spec, operation_id: &str) -> BTreeSet<String> {
    let (_, operation) = spec.operation(operation_id);
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|parameter| spec.resolve(parameter))
        .filter(|parameter| parameter["in"] == "header")
        .filter_map(|parameter| parameter["name"].as_str())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Compares what was sent for an operation with what the spec declares.
fn compare(spec: &Spec, operation_id: &str, sent: &RecordedRequest) -> Result<(), String> {
    let declared = declared(spec, operation_id);
    let sent: BTreeSet<String> = sent.headers.keys().map(|k| k.as_str().to_owned()).collect();
    let missing: Vec<_> = declared.difference(&sent).collect();
    let undeclared: Vec<_> = sent
        .iter()
        .filter(|name| !declared.contains(*name) && !TRANSPORT.contains(&name.as_str()))
        .collect();
    if missing.is_empty() && undeclared.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{operation_id}: declared but not sent {missing:?}; sent but not declared {undeclared:?}"
        ))
    }
}

/// One call of each operation, with every optional setting on (application name, `MS-CV`).
async fn one_call_each() -> Vec<RecordedRequest> {
    let server = MockServer::start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .application_name("pc-upgrade conformance")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .with_correlation_vector("Gyx2F3Q0bUyOBOJ0XSlG7w.1")
        .unwrap();
    let request = ProductUpgradeRequest::new(uuid::Uuid::new_v4(), "Azure");
    client.check_eligibility(&request).await.unwrap();
    let upgrade = client.create_product_upgrade(&request).await.unwrap();
    client
        .get_product_upgrade_status(upgrade, &request)
        .await
        .unwrap();
    client.get_product_upgrade(upgrade, &request).await.unwrap();
    let sent = server.requests();
    assert_eq!(sent.len(), 4, "one call of each of the four operations");
    assert!(
        sent.iter()
            .all(|r| r.header("ms-cv") == Some("Gyx2F3Q0bUyOBOJ0XSlG7w.1")),
        "the MS-CV set is sent and recorded: {sent:?}"
    );
    assert!(sent.iter().all(|r| r.verdict == Verdict::Valid), "{sent:?}");
    sent
}

fn operation_id(operation: Option<Operation>) -> &'static str {
    operation.expect("a routed request").operation_id()
}

#[tokio::test]
async fn the_client_sends_exactly_the_declared_headers() {
    let spec = Spec::load();
    for sent in one_call_each().await {
        let id = operation_id(sent.operation);
        assert!(!declared(&spec, id).is_empty(), "{id} declares no header");
        compare(&spec, id, &sent).unwrap();
    }
}

#[tokio::test]
async fn a_header_declared_and_not_sent_fails_and_so_does_the_reverse() {
    let sent = one_call_each().await;
    let first = &sent[0];
    let id = operation_id(first.operation);

    let mut more = Spec::load();
    let (path, _) = more.operation(id);
    let pointer = format!("/paths/{}/post/parameters", path.replace('/', "~1"));
    more.pointer_mut(&pointer)
        .and_then(Value::as_array_mut)
        .unwrap()
        .push(serde_json::json!({"name": "MS-New-Header", "in": "header", "schema": {"type": "string"}}));
    let error = compare(&more, id, first).unwrap_err();
    assert!(error.contains("\"ms-new-header\""), "{error}");

    let mut fewer = Spec::load();
    fewer
        .pointer_mut(&pointer)
        .and_then(Value::as_array_mut)
        .unwrap()
        .retain(|p| p["$ref"] != "#/components/parameters/X-Locale");
    let error = compare(&fewer, id, first).unwrap_err();
    assert!(
        error.contains("sent but not declared [\"x-locale\"]"),
        "{error}"
    );
}
