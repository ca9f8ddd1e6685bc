//! What the generated code costs, each measurement beside its floor in the same run:
//!
//! - `generate`: both generated files from the spec, in-process, against parsing the spec
//!   alone;
//! - `status_deserialize` / `status_serialize`: the documented status answer with
//!   `pc-upgrade-types`, against a hand-written serde struct of the same shape;
//! - `status_call` / `create_call`: one call through `pc-upgrade-client` to an HTTP server on
//!   127.0.0.1, against the same request (same headers and body) made with a plain
//!   `reqwest::Client` and decoded by hand.
//!
//! `cargo xtask bench` runs this and prints the ratios (BENCHMARKS.md).

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pc_upgrade_client::{PartnerCenterClient, ProductUpgradeRequest, RetryPolicy, UpgradeId};
use pc_upgrade_mock::documented;
use pc_upgrade_types::ProductUpgradesStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The floor: the status resource written by hand, with the same field types and names.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandStatus {
    id: Uuid,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    line_items: Vec<HandLineItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_details: Option<HandErrorDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<HandAttributes>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandLineItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_product: Option<HandProduct>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_product: Option<HandProduct>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upgraded_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_details: Option<HandErrorDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<HandAttributes>,
}

#[derive(Serialize, Deserialize)]
struct HandProduct {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<HandAttributes>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum HandCode {
    Number(i64),
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct HandErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<HandCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<HandAttributes>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    object_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

fn generation(c: &mut Criterion) {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(xtask::codegen::SPEC)).unwrap();
    let spec = xtask::codegen::parse_spec(&text).unwrap();
    let mut group = c.benchmark_group("generate");
    group.bench_function("parse_spec", |b| {
        b.iter(|| xtask::codegen::parse_spec(black_box(&text)).unwrap())
    });
    group.bench_function("both_files", |b| {
        b.iter(|| xtask::codegen::generate(black_box(&spec)).unwrap())
    });
    group.finish();
}

fn serde_status(c: &mut Criterion) {
    let body = documented::STATUS_RESPONSE.as_bytes();
    let mut group = c.benchmark_group("status_deserialize");
    group.bench_function("hand_written", |b| {
        b.iter(|| serde_json::from_slice::<HandStatus>(black_box(body)).unwrap())
    });
    group.bench_function("pc_upgrade_types", |b| {
        b.iter(|| serde_json::from_slice::<ProductUpgradesStatus>(black_box(body)).unwrap())
    });
    group.finish();

    let hand: HandStatus = serde_json::from_slice(body).unwrap();
    let typed: ProductUpgradesStatus = serde_json::from_slice(body).unwrap();
    let mut group = c.benchmark_group("status_serialize");
    group.bench_function("hand_written", |b| {
        b.iter(|| serde_json::to_vec(black_box(&hand)).unwrap())
    });
    group.bench_function("pc_upgrade_types", |b| {
        b.iter(|| serde_json::to_vec(black_box(&typed)).unwrap())
    });
    group.finish();
}

/// The request a careful hand-written caller makes: the same headers and body the client
/// sends, a fresh MS-RequestId per call, and optionally the same per-request timeout.
fn plain(
    http: &reqwest::Client,
    url: &str,
    correlation: &str,
    body: &ProductUpgradeRequest,
    timeout: Option<Duration>,
) -> reqwest::RequestBuilder {
    let builder = http
        .post(url)
        .bearer_auth("benchmark-token")
        .header("accept", "application/json")
        .header("ms-requestid", Uuid::new_v4().to_string())
        .header("ms-correlationid", correlation)
        .header("x-locale", "en-US")
        .header("ms-contract-version", "v1")
        .json(body);
    match timeout {
        Some(timeout) => builder.timeout(timeout),
        None => builder,
    }
}

async fn plain_status(
    http: &reqwest::Client,
    url: &str,
    correlation: &str,
    body: &ProductUpgradeRequest,
    timeout: Option<Duration>,
) -> ProductUpgradesStatus {
    let response = plain(http, url, correlation, body, timeout)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn plain_create(
    http: &reqwest::Client,
    url: &str,
    correlation: &str,
    body: &ProductUpgradeRequest,
    timeout: Option<Duration>,
) -> UpgradeId {
    let response = plain(http, url, correlation, body, timeout)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    UpgradeId::from_location(&location).unwrap()
}

/// The client's default per-attempt limit, given to the like-for-like baseline too.
const TIMEOUT: Duration = Duration::from_secs(30);

fn calls(c: &mut Criterion) {
    let server = pc_upgrade_mock::ThreadedMockServer::start().unwrap();
    let base = server.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(base)
        .token("benchmark-token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let correlation = Uuid::new_v4().to_string();
    let request = ProductUpgradeRequest::new(
        "4c721420-72ad-4708-a0a7-371a2f7b0969".parse().unwrap(),
        "Azure",
    );
    let upgrade: UpgradeId = documented::UPGRADE_ID.parse().unwrap();
    let status_url = format!("{base}/v1/productUpgrades/{upgrade}/status");
    let create_url = format!("{base}/v1/productupgrades");

    let mut group = c.benchmark_group("status_call");
    group.bench_function("plain_reqwest", |b| {
        b.to_async(&runtime)
            .iter(|| plain_status(&http, &status_url, &correlation, &request, None))
    });
    group.bench_function("plain_reqwest_with_timeout", |b| {
        b.to_async(&runtime)
            .iter(|| plain_status(&http, &status_url, &correlation, &request, Some(TIMEOUT)))
    });
    group.bench_function("pc_upgrade_client", |b| {
        b.to_async(&runtime).iter(|| async {
            client
                .get_product_upgrade_status(upgrade, &request)
                .await
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("create_call");
    group.bench_function("plain_reqwest", |b| {
        b.to_async(&runtime)
            .iter(|| plain_create(&http, &create_url, &correlation, &request, None))
    });
    group.bench_function("plain_reqwest_with_timeout", |b| {
        b.to_async(&runtime)
            .iter(|| plain_create(&http, &create_url, &correlation, &request, Some(TIMEOUT)))
    });
    group.bench_function("pc_upgrade_client", |b| {
        b.to_async(&runtime)
            .iter(|| async { client.create_product_upgrade(&request).await.unwrap() })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6))
        .sample_size(100)
}

criterion_group! {
    name = benches;
    config = config();
    targets = generation, serde_status, calls
}
criterion_main!(benches);
