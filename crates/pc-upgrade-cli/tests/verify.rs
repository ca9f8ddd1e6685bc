//! `pc-upgrade verify`, in this process on Tokio's paused clock: after a run of 300 in which a
//! tenth of the completed upgrades left a legacy subscription active (their status says
//! nothing of it), exactly those customers are not verified, with that subscription's id,
//! exit 3; a second `verify` reads only them. Outcomes are counted per reseller.

mod common;

use std::time::Duration;

use common::{Files, customer, in_process, scratch};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation, ScriptedSubscription};
use uuid::Uuid;

/// Customer `n`'s legacy subscription.
fn legacy(n: u128) -> Uuid {
    Uuid::from_u128(0x5eb5_0000 << 64 | n)
}

/// Whether customer `n`'s upgrade leaves its subscription active: one in ten.
fn left_behind(n: u128) -> bool {
    n % 10 == 3
}

fn fleet(count: u128) -> Fleet {
    (0..count)
        .fold(Fleet::new(), |fleet, n| {
            let mut held = ScriptedSubscription::legacy(legacy(n)).reseller(reseller(n));
            if left_behind(n) {
                held = held.stays_active();
            }
            fleet.customer(Customer::new(customer(n)).holding([held]))
        })
        .upgrades_take(Duration::from_secs(10))
}

fn reseller(n: u128) -> String {
    format!("reseller-{}", n % 3)
}

/// How many subscription reads the fake answered.
fn reads(server: &MockServer) -> usize {
    let read = |r: &&pc_upgrade_mock::RecordedRequest| {
        r.operation == Some(Operation::GetCustomerSubscriptions)
    };
    server.requests().iter().filter(read).count()
}

#[tokio::test(start_paused = true)]
async fn verify_finds_exactly_the_subscriptions_left_active_and_reads_only_them_again() {
    let server = MockServer::builder()
        .fleet(fleet(300))
        .start()
        .await
        .unwrap();
    let files = Files::new("verify", 300);
    // The customers file names each customer's reseller, as `discover` writes it.
    let mut text = String::from("customerId,name,resellers\n");
    for n in 0..300 {
        text.push_str(&format!("{},Customer {n},{}\n", customer(n), reseller(n)));
    }
    std::fs::write(&files.customers, text).unwrap();
    let mut upgrade = vec!["--rate", "20/s"];
    upgrade.extend(files.args(&[]));
    let ran = in_process(&server, &upgrade).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert_eq!(reads(&server), 0, "an upgrade run reads no subscription");

    let dir = scratch("verify-report");
    let report = dir.join("verify.csv");
    let journal = files.journal.to_str().unwrap();
    let verify = [
        "verify",
        "--journal",
        journal,
        "--report",
        report.to_str().unwrap(),
    ];
    let first = in_process(&server, &verify).await;
    assert_eq!(first.code, 3, "{}", first.both());
    assert_eq!(reads(&server), 300);
    let mut reader = csv::Reader::from_path(&report).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 300);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, verified, active, plan) = (
        column("customerId"),
        column("verified"),
        column("legacyActive"),
        column("planSubscriptionId"),
    );
    assert!(header.iter().any(|h| h == "resellers"), "{header:?}");
    for row in &rows {
        let n = (0..300)
            .find(|n| customer(*n).to_string() == row[id])
            .unwrap();
        if left_behind(n) {
            assert_eq!(&row[verified], "false", "{row:?}");
            assert_eq!(row[active].to_lowercase(), legacy(n).to_string(), "{row:?}");
        } else {
            assert_eq!(&row[verified], "true", "{row:?}");
            assert_eq!(&row[active], "", "{row:?}");
        }
        assert!(!row[plan].is_empty(), "{row:?}");
    }
    let said = first.both();
    assert!(said.contains("not verified         30"), "{said}");
    assert!(said.contains("reseller-0"), "{said}");
    let next = said
        .lines()
        .find(|l| l.trim_start().starts_with("pc-upgrade ") && l.contains(" verify "))
        .unwrap_or_else(|| panic!("no next command in:\n{said}"));
    assert!(next.contains("--journal"), "{next}");

    // `status` shows what verify found.
    let status = in_process(&server, &["status", "--journal", journal]).await;
    assert!(
        status
            .out
            .contains("verified: 270 customers; not verified: 30"),
        "{}",
        status.both()
    );

    // A second verify reads only the 30 not verified; its report still has every row.
    let second = in_process(&server, &verify).await;
    assert_eq!(second.code, 3, "{}", second.both());
    assert_eq!(reads(&server), 330);
    let rows = csv::Reader::from_path(&report).unwrap().records().count();
    assert_eq!(rows, 300);
}

/// Nothing to verify: a journal with no completed upgrade exits 0 and reads nothing.
#[tokio::test(start_paused = true)]
async fn a_journal_with_nothing_completed_reads_nothing() {
    let fleet = (0..5u128).fold(Fleet::new(), |fleet, n| {
        fleet.customer(Customer::new(customer(n)).no_azure_subscription())
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let files = Files::new("verify-nothing", 5);
    let ran = in_process(&server, &files.args(&[])).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let journal = files.journal.to_str().unwrap();
    let verified = in_process(&server, &["verify", "--journal", journal]).await;
    assert_eq!(verified.code, 0, "{}", verified.both());
    assert_eq!(reads(&server), 0);
}

/// Ctrl-C part-way: exit 130, what was found is in the journal, and the printed command goes
/// on with the customers not read yet, reading none twice.
#[tokio::test(start_paused = true)]
async fn a_verify_interrupted_goes_on_where_it_stopped() {
    let server = MockServer::builder()
        .fleet(fleet(200))
        .start()
        .await
        .unwrap();
    let files = Files::new("verify-interrupted", 200);
    let mut upgrade = vec!["--rate", "20/s"];
    upgrade.extend(files.args(&[]));
    assert_eq!(in_process(&server, &upgrade).await.code, 0);
    let journal = files.journal.to_str().unwrap();
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let press = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        ctrl_c.send(true).unwrap();
    };
    let args = ["--rate", "20/s", "verify", "--journal", journal];
    let vars = common::vars("cli-test-token");
    let (first, ()) = tokio::join!(
        common::in_process_with(&server, &args, vars, interrupt),
        press
    );
    assert_eq!(first.code, 130, "{}", first.both());
    let read = reads(&server);
    assert!((1..200).contains(&read), "{read} reads before Ctrl-C");
    let written = std::fs::read_to_string(&files.journal).unwrap();
    assert_eq!(written.matches(r#""event":"verified""#).count(), read);
    let verified = written.matches(r#""verified":true"#).count();
    let line = (first.err.lines())
        .skip_while(|l| !l.contains("To go on"))
        .nth(1)
        .unwrap_or_else(|| panic!("no command to go on: {}", first.err));
    let words: Vec<std::ffi::OsString> = line.split_whitespace().map(Into::into).collect();
    let again = common::run_args(words).await;
    assert_eq!(again.code, 3, "{}", again.both());
    // Those verified are not read again: the rest are, once each.
    assert_eq!(reads(&server), read + 200 - verified, "{}", again.both());
}
