//! A fleet shaped like a real partner's, in this process on Tokio's paused clock: most
//! customers are not ones the upgrade applies to (no Azure subscription: eligibility answers
//! `403` 900108), some are not eligible (a reason, or every legacy subscription suspended:
//! 900105). What eligibility finds is the customer's outcome, never a failure of the run:
//! the default brakes let such a fleet run to its end, and still stop a systemic failure.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Files, Ran, assert_created_once, creates, customer, in_process, report_rows};
use pc_upgrade_mock::{Customer, Fleet, MockServer, ScriptedSubscription};

/// What customer `n` of the fleet is: a quarter have no Azure subscription, a tenth are not
/// eligible (half with eligibility's reason, half with every legacy subscription
/// suspended), the rest move.
fn script(n: u128) -> Customer {
    let id = customer(n);
    match (n % 4, n % 20) {
        (0, _) => Customer::new(id).no_azure_subscription(),
        (_, 1) => Customer::new(id).ineligible("The customer has not accepted the MCA."),
        (_, 11) => Customer::new(id)
            .holding([
                ScriptedSubscription::legacy(uuid::Uuid::from_u128(n << 16 | 1)).suspended(),
            ]),
        _ => Customer::new(id),
    }
}

/// The fleet of `count`, upgrades of 5 s (the brakes cannot reach the creates sent while
/// the first upgrades run: at 20 calls a second, 30 s upgrades would leave none of 300 to
/// spare), `failing` percent of them failing.
async fn fleet(count: u128, failing: u8) -> MockServer {
    let mut fleet = (0..count)
        .fold(Fleet::new(), |fleet, n| fleet.customer(script(n)))
        .upgrades_take(Duration::from_secs(5));
    if failing > 0 {
        fleet = fleet.upgrades_fail(failing, 900_114, "The upgrade failed: a regression.");
    }
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

fn outcomes(files: &Files) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in report_rows(&files.report) {
        let outcome = row["outcome"].as_str().unwrap_or_default().to_owned();
        *counts.entry(outcome).or_default() += 1;
    }
    counts
}

async fn upgrade(server: &MockServer, files: &Files) -> Ran {
    let mut args = vec!["--rate", "20/s"];
    args.extend(files.args(&[]));
    in_process(server, &args).await
}

#[tokio::test(start_paused = true)]
async fn a_real_fleet_runs_to_its_end_with_the_default_brakes() {
    let server = fleet(300, 0).await;
    let files = Files::new("real-fleet", 300);
    let ran = upgrade(&server, &files).await;
    // Not eligible customers call for the operator: 3, never the brake's 1.
    assert_eq!(ran.code, 3, "{}", ran.both());
    let counts = outcomes(&files);
    let expected: BTreeMap<String, usize> = [
        ("completed", 195),
        ("not-applicable", 75),
        ("not-eligible", 30),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, expected, "{}", ran.both());
    assert_eq!(creates(&server).len(), 195);
    assert_created_once(&server);
    let said = ran.both();
    assert!(!said.contains("stopped creating"), "{said}");
    assert!(!said.contains("contact Microsoft support"), "{said}");
    // The next step for the suspended ones is a command that takes them alone again.
    let flat = said.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("15 of them have suspended Azure subscriptions"),
        "{said}"
    );
    let next = said
        .lines()
        .find(|l| l.trim_start().starts_with("pc-upgrade ") && l.contains("--only"))
        .unwrap_or_else(|| panic!("no command with --only in:\n{said}"));
    assert!(next.trim_end().ends_with("--only not-eligible"), "{next}");
    // Each row's next step says what is true of it.
    for row in report_rows(&files.report) {
        let next = row["next"].as_str().unwrap_or_default();
        match (row["outcome"].as_str().unwrap(), row["errorCode"].as_i64()) {
            ("not-applicable", Some(900_108)) => assert!(next.starts_with("none"), "{row}"),
            ("not-eligible", Some(900_105)) => assert!(next.contains("reactivate"), "{row}"),
            ("not-eligible", None) => assert!(next.contains("--only not-eligible"), "{row}"),
            ("completed", None) => assert_eq!(next, "", "{row}"),
            other => panic!("{other:?}: {row}"),
        }
    }
}

/// A fleet whose customers are all completed or not applicable ends well.
#[tokio::test(start_paused = true)]
async fn completed_and_not_applicable_end_well() {
    let fleet = (0..40u128).fold(Fleet::new(), |fleet, n| {
        fleet.customer(match n % 2 {
            0 => Customer::new(customer(n)).no_azure_subscription(),
            _ => Customer::new(customer(n)),
        })
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let files = Files::new("real-fleet-well", 40);
    let ran = upgrade(&server, &files).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert_eq!(outcomes(&files).get("not-applicable"), Some(&20));
}

/// The same fleet with 60 % of its upgrades failing is still stopped early: the brakes
/// judge the upgrades, and not eligible customers dilute nothing.
#[tokio::test(start_paused = true)]
async fn the_same_fleet_failing_systemically_is_still_stopped() {
    let server = fleet(300, 60).await;
    let files = Files::new("real-fleet-failing", 300);
    let ran = upgrade(&server, &files).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    let said = ran.err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        said.contains("upgrades that ended in this run failed, past --max-failed 10%"),
        "{said}"
    );
    let made = creates(&server).len();
    assert!(made < 195 * 3 / 4, "{made} creates of 195 before the brake");
    assert!(outcomes(&files).get("pending").copied().unwrap_or(0) > 0);
    assert_created_once(&server);
}
