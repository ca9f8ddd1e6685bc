//! The real `pc-upgrade` binary against the fake Partner Center on 127.0.0.1 (the same server
//! `pc-upgrade-mock` runs as a program, here in the test process so that it outlives the
//! runs it serves): a fleet of 1,000 customers, a run killed five times, sign-in, the
//! command line's help, checks and values, and a dry run. What hangs on time (throttles,
//! upgrades that take minutes, the demo) runs in-process on a paused clock: `engine.rs`.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BINARY, customer, customers_csv, pc_upgrade, report, run, scratch};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation, Throttle};
use serde_json::Value;
use uuid::Uuid;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Ineligible,
    AlreadyUpgrading,
    CreateFails,
    Completes,
    Fails,
}

fn kind(n: u128) -> Kind {
    [
        Kind::Ineligible,
        Kind::AlreadyUpgrading,
        Kind::CreateFails,
        Kind::Completes,
        Kind::Fails,
    ][(n % 5) as usize]
}

fn mixed_fleet(count: u128) -> Fleet {
    (0..count).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n));
        fleet.customer(match kind(n) {
            Kind::Ineligible => script.ineligible(format!("No Azure subscription ({n}).")),
            Kind::AlreadyUpgrading => script
                .already_upgrading(Uuid::from_u128(0x9000_0000 | n))
                .statuses(["InProgress", "Completed"]),
            Kind::CreateFails => {
                script.create_fails(403, [900108, 900105, 900130][(n / 5 % 3) as usize])
            }
            Kind::Completes => script.statuses(["Pending", "InProgress", "Completed"]),
            Kind::Fails => script
                .statuses(["InProgress"])
                .fails_with(900120, format!("Upgrade {n} failed.")),
        })
    })
}

/// In this process on a paused clock (the kill test below drives the binary over 300): the
/// same code as the binary, without waiting on the wall clock for 3,000 calls.
#[tokio::test(start_paused = true)]
async fn a_thousand_customers_end_as_scripted_in_the_report() {
    let server = MockServer::builder()
        .fleet(mixed_fleet(1000))
        .throttle(Throttle::new(600, Duration::from_secs(1)))
        .start()
        .await
        .unwrap();
    // Whether the run outpaces the tenant's window depends on the machine: a few throttled
    // answers are scripted too, so that the scenario always has some.
    for operation in [
        Operation::CheckEligibility,
        Operation::GetProductUpgradeStatus,
    ] {
        for _ in 0..3 {
            let body = r#"{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}"#;
            server.enqueue(
                operation,
                pc_upgrade_mock::MockResponse::json(429, body).header("Retry-After", "1"),
            );
        }
    }
    let dir = scratch("fleet");
    let (customers, journal, report_path) = (
        customers_csv(&dir, 1000),
        dir.join("journal"),
        dir.join("report.json"),
    );
    let ran = common::in_process(
        &server,
        &[
            "--rate",
            "100000/s",
            "upgrade",
            "--customers",
            customers.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--yes",
            "--concurrency",
            "32",
            "--poll-interval",
            "0.01",
            "--report",
            report_path.to_str().unwrap(),
            // Two customers in five fail by script: no brake stops this run.
            "--max-failed",
            "100%",
        ],
    )
    .await;
    let stdout = &ran.out;
    assert_eq!(ran.code, 3, "some customers fail by script\n{stdout}");
    let throttled = server.requests().iter().filter(|r| r.status == 429).count();
    assert!(
        throttled > 0,
        "the fake throttled no call: the scenario needs some"
    );
    let rows = report(&report_path);
    assert_eq!(rows.len(), 1000);
    for n in 0..1000 {
        let row = &rows[&customer(n).to_string()];
        let outcome = row["outcome"].as_str().unwrap();
        match kind(n) {
            Kind::Ineligible => {
                assert_eq!(outcome, "not-eligible", "{row}");
                assert_eq!(row["detail"], format!("No Azure subscription ({n})."));
            }
            Kind::AlreadyUpgrading => {
                assert_eq!(outcome, "completed", "{row}");
                assert_eq!(
                    row["upgradeId"],
                    Uuid::from_u128(0x9000_0000 | n).to_string()
                );
                assert_eq!(row["origin"], "eligibility");
            }
            Kind::CreateFails => {
                // 900108 and 900105 are about the customer: final. 900130 is "try again
                // later": never written down as the customer's fate.
                let code = [900108, 900105, 900130][(n / 5 % 3) as usize];
                // A refusal names what it says of the customer, whichever call it answered.
                let (expected, advice) = match code {
                    900130 => ("retry-later", "retry later"),
                    900108 => ("not-applicable", "none: the customer has no Azure"),
                    _ => ("not-eligible", "reactivate"),
                };
                assert_eq!(outcome, expected, "{row}");
                assert_eq!(row["errorCode"], code);
                let next = row["next"].as_str().unwrap();
                assert!(next.contains(advice), "{row}");
            }
            Kind::Completes => {
                assert_eq!(outcome, "completed", "{row}");
                assert_eq!(row["origin"], "created");
                assert!(row["requestId"].is_string(), "{row}");
                assert_eq!(
                    row["eligible"], true,
                    "eligibility said yes this run: {row}"
                );
                assert!(
                    row["started"].is_string() && row["finished"].is_string(),
                    "{row}"
                );
                assert!(row["next"].is_null(), "{row}");
            }
            Kind::Fails => {
                assert_eq!(outcome, "failed", "{row}");
                assert!(
                    row["next"].as_str().unwrap().contains("MS-RequestId"),
                    "{row}"
                );
                assert_eq!(row["errorCode"], 900120);
                assert_eq!(row["detail"], format!("Upgrade {n} failed."));
            }
        }
        assert_eq!(
            row["name"],
            format!("Customer {n}"),
            "the CSV's columns are carried"
        );
    }
    assert!(
        stdout.contains("completed") && stdout.contains("total"),
        "{stdout}"
    );
    assert!(
        server.refusals().is_empty(),
        "{:?}",
        server.refusals().first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_five_times_the_run_never_creates_twice_and_loses_no_customer() {
    const COUNT: u128 = 300;
    let fleet = (0..COUNT)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)).statuses(["InProgress", "Completed"]))
        })
        // Upgrades take time, whatever the polling.
        .upgrades_take(Duration::from_millis(400));
    // Slow creates, so that kills land while creates are in flight: between the request id
    // being journaled and the upgrade being journaled.
    let server = MockServer::builder()
        .fleet(fleet)
        .latency(Operation::CreateProductUpgrade, Duration::from_millis(150))
        .start()
        .await
        .unwrap();
    let dir = scratch("kill");
    let (customers, journal, report_path) = (
        customers_csv(&dir, COUNT),
        dir.join("journal"),
        dir.join("report.json"),
    );
    let args = [
        "--rate",
        "100000/s",
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
        "--concurrency",
        "16",
        "--poll-interval",
        "0.02",
        "--report",
        report_path.to_str().unwrap(),
    ];
    // Kill moments spread over the run, different on every run of the test unless
    // PC_UPGRADE_TEST_SEED gives the seed a failed run printed.
    let mut seed = std::env::var("PC_UPGRADE_TEST_SEED")
        .ok()
        .and_then(|seed| seed.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            u64::from(std::process::id()) ^ now.map_or(1, |d| d.as_nanos() as u64)
        })
        | 1;
    eprintln!("kill moments from PC_UPGRADE_TEST_SEED={seed}");
    for kill in 0..5 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(150 + seed % 500);
        let mut child = pc_upgrade(&server, &args).spawn().unwrap();
        tokio::time::sleep(after).await;
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none() || kill > 0,
            "run {kill} ended before its kill"
        );
    }
    let finished = run(pc_upgrade(&server, &args)).await;
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&finished.stdout)
    );

    for request in server.requests() {
        assert_ne!(
            request.status, 409,
            "a second create for one customer: {request:?}"
        );
    }
    let creates = common::creates(&server);
    for (customer, calls) in &creates {
        let ids: HashSet<&String> = calls.iter().map(|(_, id)| id).collect();
        assert_eq!(
            ids.len(),
            1,
            "{customer} was created with {} request ids",
            ids.len()
        );
    }
    let rows = report(&report_path);
    assert_eq!(
        rows.len(),
        COUNT as usize,
        "a customer is missing from the report"
    );
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    // What each upgrade moved survived the kills: from the journal for those that ended
    // in a killed run.
    assert!(
        rows.values()
            .all(|r| r["moved"] == 1 && r["lineItems"][0]["upgradedDate"].is_string()),
        "{rows:?}"
    );
    eprintln!(
        "five kills: {} create requests for {} customers, each with one MS-RequestId",
        server
            .requests()
            .iter()
            .filter(|r| r.operation == Some(Operation::CreateProductUpgrade))
            .count(),
        creates.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_yes_nothing_is_created() {
    let server = MockServer::builder()
        .fleet(mixed_fleet(20))
        .start()
        .await
        .unwrap();
    let dir = scratch("dry");
    let (customers, journal, report_path) = (
        customers_csv(&dir, 20),
        dir.join("journal"),
        dir.join("report.csv"),
    );
    let output = run(pc_upgrade(
        &server,
        &[
            "--rate",
            "1000/s",
            "upgrade",
            "--customers",
            customers.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(String::from_utf8_lossy(&output.stderr).contains("dry run"));
    assert!(!journal.exists(), "a dry run wrote a journal");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.operation == Some(Operation::CheckEligibility)),
        "a dry run sent something other than eligibility"
    );
    let report = std::fs::read_to_string(&report_path).unwrap();
    assert_eq!(report.matches("would-create").count(), 12, "{report}");
    assert_eq!(report.matches("would-resume").count(), 4, "{report}");
    assert_eq!(report.matches(",not-eligible,").count(), 4, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_are_reported_with_their_number_and_the_exit_code_says_so() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("bad");
    let customers = dir.join("customers.txt");
    std::fs::write(
        &customers,
        format!("{}\nnot-a-guid\n{}\n", customer(1), customer(2)),
    )
    .unwrap();
    let report_path = dir.join("report.json");
    let output = run(pc_upgrade(
        &server,
        &[
            "eligibility",
            "--customers",
            customers.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3));
    let rows: Vec<Value> = common::report_rows(&report_path);
    let bad: Vec<&Value> = rows.iter().filter(|r| r["outcome"] == "bad-line").collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["line"], 2);
    assert!(bad[0]["detail"].as_str().unwrap().contains("not-a-guid"));
    assert_eq!(
        rows.iter().filter(|r| r["outcome"] == "eligible").count(),
        2
    );
}

#[test]
fn help_names_the_credentials_and_gives_examples() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "PC_UPGRADE_TOKEN",
        "PC_UPGRADE_REFRESH_TOKEN",
        "PC_UPGRADE_CLIENT_SECRET",
        "Exit codes",
    ] {
        assert!(
            help.contains(needle),
            "{needle} missing from --help:\n{help}"
        );
    }
    let output = Command::new(BINARY)
        .args(["upgrade", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("Examples:"));
}

/// Sign-in end to end: the real binary gets its access token from the fake's Entra ID
/// endpoint with the App+User refresh token from a file, the endpoint rotates it, and the
/// rotated token is written back to that file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_signs_in_with_a_refresh_token_that_rotates() {
    let server = MockServer::builder()
        .entra(
            pc_upgrade_mock::FakeEntra::new()
                .refresh_token("first-refresh-token")
                .client_secret("the-app-secret"),
        )
        .start()
        .await
        .unwrap();
    let dir = scratch("sign-in");
    let customers = customers_csv(&dir, 3);
    let refresh = dir.join("refresh-token.txt");
    std::fs::write(&refresh, "first-refresh-token\n").unwrap();
    let secret = dir.join("secret.txt");
    std::fs::write(&secret, "the-app-secret").unwrap();
    let mut command = pc_upgrade(
        &server,
        &["eligibility", "--customers", customers.to_str().unwrap()],
    );
    command
        .env_remove("PC_UPGRADE_TOKEN")
        .env("PC_UPGRADE_TENANT_ID", "partner-tenant")
        .env("PC_UPGRADE_CLIENT_ID", "app-id")
        .env("PC_UPGRADE_CLIENT_SECRET_FILE", &secret)
        .env("PC_UPGRADE_REFRESH_TOKEN_FILE", &refresh)
        .env("PC_UPGRADE_AUTHORITY", server.base_url());
    let output = run(command).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(server.token_requests() >= 1);
    let rotated = std::fs::read_to_string(&refresh).unwrap();
    assert_ne!(
        rotated.trim(),
        "first-refresh-token",
        "the rotated token was not kept"
    );
    assert!(!rotated.trim().is_empty());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.operation == Some(Operation::CheckEligibility) && r.status == 200),
        "{:?}",
        server.requests()
    );
}

#[test]
fn completions_and_the_man_page_name_every_subcommand() {
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["man"],
    ] {
        let output = Command::new(BINARY).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        for subcommand in ["eligibility", "upgrade", "status", "completions", "man"] {
            assert!(
                text.contains(subcommand),
                "{args:?} does not name {subcommand}"
            );
        }
    }
}

/// Mistakes that would only show at the end, or silently, are refused before any call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_customers_file_and_an_unwritable_report_stop_before_any_call() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("before-any-call");
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let output = run(pc_upgrade(
        &server,
        &["eligibility", "--customers", empty.to_str().unwrap()],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("names no customer"));
    let customers = customers_csv(&dir, 2);
    let output = run(pc_upgrade(
        &server,
        &[
            "eligibility",
            "--customers",
            customers.to_str().unwrap(),
            "--report",
            "/nonexistent/folder/report.csv",
        ],
    ))
    .await;
    // A folder that does not exist is a bad argument, as `--help` says.
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/nonexistent/folder/report.csv") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(server.requests().is_empty(), "a call was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_base_url_can_come_from_the_environment() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("base-url-env");
    let customers = customers_csv(&dir, 1);
    let mut command = Command::new(BINARY);
    command
        .env("PC_UPGRADE_TOKEN", "cli-test-token")
        .env("PC_UPGRADE_BASE_URL", server.base_url())
        .args(["eligibility", "--customers", customers.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = run(command).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.requests().len(), 1);
}

/// Each absurd setting is refused with exit 2, in clap's words, before any call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_exit_2_before_any_call() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("bad-values");
    let customers = customers_csv(&dir, 2);
    let journal = dir.join("journal");
    let (customers, journal) = (customers.to_str().unwrap(), journal.to_str().unwrap());
    let upgrade = [
        "upgrade",
        "--customers",
        customers,
        "--journal",
        journal,
        "--yes",
    ];
    for bad in [
        &["--rate", "0/s"][..],
        &["--rate", "20/0s"],
        &["--rate", "20/1e9s"],
        &["--rate", "20/nans"],
        &["--rate", "20/fortnight"],
        &["--per", "1"],
        &["--concurrency", "0"],
        &["--poll-interval", "0"],
        &["--poll-interval", "nan"],
        &["--wait=-1"],
        &["--delimiter", ";;"],
    ] {
        let args: Vec<&str> = upgrade.iter().copied().chain(bad.iter().copied()).collect();
        let output = run(pc_upgrade(&server, &args)).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(stderr.contains("invalid value"), "{bad:?}: {stderr}");
    }
    // The old form, a bare number (per --per seconds, a minute unless said), says what to
    // write instead.
    let args: Vec<&str> = upgrade.iter().copied().chain(["--rate", "20"]).collect();
    let output = run(pc_upgrade(&server, &args)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("5/s") && stderr.contains("300/min"),
        "{stderr}"
    );
    assert!(server.requests().is_empty(), "a bad value sent a call");
    assert!(
        !std::path::Path::new(journal).exists(),
        "a bad value began a journal"
    );
}

/// The eligibility command tells customers already upgrading from those not eligible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eligibility_names_customers_already_upgrading() {
    let server = MockServer::builder()
        .fleet(mixed_fleet(10))
        .start()
        .await
        .unwrap();
    let dir = scratch("already-upgrading");
    let (customers, report_path) = (customers_csv(&dir, 10), dir.join("report.json"));
    let output = run(pc_upgrade(
        &server,
        &[
            "eligibility",
            "--customers",
            customers.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
    ))
    .await;
    // Customers not eligible call for the operator: 3.
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = report(&report_path);
    for n in 0..10 {
        let row = &rows[&customer(n).to_string()];
        match kind(n) {
            Kind::AlreadyUpgrading => {
                assert_eq!(row["outcome"], "upgrading", "{row}");
                assert_eq!(
                    row["upgradeId"],
                    Uuid::from_u128(0x9000_0000 | n).to_string()
                );
            }
            Kind::Ineligible => assert_eq!(row["outcome"], "not-eligible", "{row}"),
            _ => assert_eq!(row["outcome"], "eligible", "{row}"),
        }
    }
}

/// `status` reports the customers file's bad lines too, as the run that wrote the journal did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_keeps_the_bad_lines() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("status-bad-lines");
    let customers = dir.join("customers.csv");
    std::fs::write(
        &customers,
        format!("customerId\n{}\nnot-a-guid\n", customer(1)),
    )
    .unwrap();
    let (journal, report_path) = (dir.join("journal"), dir.join("status.json"));
    let upgrade = [
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
    ];
    assert_eq!(
        run(pc_upgrade(&server, &upgrade)).await.status.code(),
        Some(3)
    );
    let status = [
        "status",
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        report_path.to_str().unwrap(),
    ];
    let output = run(pc_upgrade(&server, &status)).await;
    assert_eq!(output.status.code(), Some(3));
    let rows = common::report_rows(&report_path);
    let bad: Vec<&Value> = rows.iter().filter(|r| r["outcome"] == "bad-line").collect();
    assert_eq!(bad.len(), 1, "{rows:?}");
    assert_eq!(bad[0]["line"], 3);
    assert!(String::from_utf8_lossy(&output.stdout).contains("line 3"));
}
