//! A fixed number of status or create calls, through `pc-upgrade-client` or through plain
//! `reqwest` with the same headers, body and per-request timeout, against the fake service on
//! 127.0.0.1. `cargo xtask bench --instructions` runs it under callgrind for each mode and
//! reports instructions per call: unlike wall time on a shared two-core machine, they do not
//! drift between runs.
//!
//! ```text
//! call_instructions <none|plain|client> <status|create> <calls>
//! ```

use std::time::Duration;

use pc_upgrade_client::{PartnerCenterClient, ProductUpgradeRequest, RetryPolicy, UpgradeId};
use pc_upgrade_types::ProductUpgradesStatus;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, operation) = (args[0].as_str(), args[1].as_str());
    let calls: usize = args[2].parse().expect("a number of calls");

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
    let request = ProductUpgradeRequest::new(
        "4c721420-72ad-4708-a0a7-371a2f7b0969".parse().unwrap(),
        "Azure",
    );
    let upgrade: UpgradeId = pc_upgrade_mock::documented::UPGRADE_ID.parse().unwrap();
    let url = match operation {
        "status" => format!("{base}/v1/productUpgrades/{upgrade}/status"),
        _ => format!("{base}/v1/productupgrades"),
    };
    let correlation = uuid::Uuid::new_v4().to_string();
    runtime.block_on(async {
        for _ in 0..calls {
            match (mode, operation) {
                ("client", "status") => {
                    client
                        .get_product_upgrade_status(upgrade, &request)
                        .await
                        .unwrap();
                }
                ("client", _) => {
                    client.create_product_upgrade(&request).await.unwrap();
                }
                ("plain", _) => {
                    let response = http
                        .post(&url)
                        .bearer_auth("benchmark-token")
                        .header("accept", "application/json")
                        .header("ms-requestid", uuid::Uuid::new_v4().to_string())
                        .header("ms-correlationid", &correlation)
                        .header("x-locale", "en-US")
                        .header("ms-contract-version", "v1")
                        .timeout(Duration::from_secs(30))
                        .json(&request)
                        .send()
                        .await
                        .unwrap();
                    if operation == "status" {
                        let body = response.bytes().await.unwrap();
                        serde_json::from_slice::<ProductUpgradesStatus>(&body).unwrap();
                    } else {
                        let location = response.headers()["location"].to_str().unwrap();
                        UpgradeId::from_location(location).unwrap();
                        // The 202 carries the new upgrade's status: read, so that the
                        // connection serves the next call, as the client reads it.
                        response.bytes().await.unwrap();
                    }
                }
                _ => {}
            }
        }
    });
}
