//! `--output json` (`-o json`) on `status` and `eligibility`: stdout is one JSON document,
//! the report's (run, counts, rows), and nothing else; the summary goes to stderr.

mod common;

use common::{customer, customers_csv, in_process, scratch};
use pc_upgrade_mock::{Customer, Fleet, MockServer};
use serde_json::Value;

#[tokio::test(start_paused = true)]
async fn status_and_eligibility_write_one_json_document_to_stdout() {
    let fleet = (0..3).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n));
        fleet.customer(match n {
            0 => script.ineligible("No Azure subscription."),
            _ => script,
        })
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let dir = scratch("output-json");
    let customers = customers_csv(&dir, 3);
    let journal = dir.join("run.journal");
    let (customers, journal) = (customers.to_str().unwrap(), journal.to_str().unwrap());

    let ran = in_process(
        &server,
        &["eligibility", "--customers", customers, "-o", "json"],
    )
    .await;
    // A customer not eligible calls for the operator: 3.
    assert_eq!(ran.code, 3, "{}", ran.both());
    let document: Value = serde_json::from_str(&ran.out).expect("stdout is one JSON document");
    assert_eq!(document["command"], "eligibility");
    assert_eq!(document["counts"]["eligible"], 2, "{document}");
    assert_eq!(document["counts"]["not-eligible"], 1, "{document}");
    assert_eq!(document["rows"].as_array().unwrap().len(), 3);
    assert!(
        ran.err.contains("total"),
        "the summary on stderr: {}",
        ran.err
    );

    let upgrade = [
        "upgrade",
        "--customers",
        customers,
        "--journal",
        journal,
        "--yes",
    ];
    assert_eq!(in_process(&server, &upgrade).await.code, 3);
    let ran = in_process(
        &server,
        &["status", "--journal", journal, "--output", "json"],
    )
    .await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    let document: Value = serde_json::from_str(&ran.out).expect("stdout is one JSON document");
    assert_eq!(document["command"], "status");
    assert_eq!(document["counts"]["completed"], 2, "{document}");
    let rows = document["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["lineItems"].is_array()), "{document}");
    assert!(!ran.err.is_empty());
}
