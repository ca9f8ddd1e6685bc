//! The brakes, in this process on Tokio's paused clock, against fakes whose upgrades fail
//! systemically: a canary that fails stops the run with its creates alone made; the default
//! threshold stops a systemic failure before half the fleet has an upgrade, follows the
//! upgrades under way, and spares the rest, which the printed commands go on with; a run
//! that fails as healthy runs do is not stopped.

mod common;

use std::time::Duration;

use common::{Files, Ran, assert_created_once, creates, customer, report};
use common::{in_process, report_rows, run_args};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation};

/// The error-codes page's 900114, which a failed upgrade causes for later purchases.
const BLOCKED: i64 = 900_114;

/// A fake of `count` customers whose upgrades take `takes`, `percent` of them failing.
async fn failing(count: u128, takes: Duration, percent: u8) -> MockServer {
    let fleet = (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(takes)
        .upgrades_fail(
            percent,
            BLOCKED,
            "The upgrade failed: a regression of the service.",
        );
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

/// `--rate 20/s upgrade --yes` on `files`, then `extra`.
fn args<'a>(files: &'a Files, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--rate", "20/s"];
    args.extend(files.args(extra));
    args
}

/// `text` with its line breaks and runs of spaces as single spaces (the messages wrap).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many report rows have each outcome.
fn outcomes(files: &Files) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for row in report_rows(&files.report) {
        let outcome = row["outcome"].as_str().unwrap_or_default().to_owned();
        *counts.entry(outcome).or_default() += 1;
    }
    counts
}

/// The command lines a braked run prints, in order, as words.
fn printed_commands(ran: &Ran) -> Vec<Vec<String>> {
    ran.err
        .lines()
        .filter(|line| line.starts_with("    pc-upgrade "))
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// Runs a printed command line as it is printed.
async fn run_printed(words: &[String]) -> Ran {
    run_args(words.iter().map(Into::into).collect()).await
}

#[tokio::test(start_paused = true)]
async fn a_canary_that_fails_stops_the_run_with_its_creates_alone_made() {
    let server = failing(100, Duration::from_secs(60), 100).await;
    let files = Files::new("brakes-canary", 100);
    let ran = in_process(&server, &args(&files, &["--canary", "5"])).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    assert_eq!(creates(&server).len(), 5, "{}", ran.both());
    let counts = outcomes(&files);
    assert_eq!(counts.get("failed"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("pending"), Some(&95), "{counts:?}");
    let said = &flat(&ran.err);
    for words in [
        "5 of the 5 customers of the canary failed, past --canary 5",
        "900114 (×5): The upgrade failed: a regression of the service.",
        "95 customers were spared",
    ] {
        assert!(said.contains(words), "{words:?} not in:\n{said}");
    }
    let report = report(&files.report);
    assert_eq!(report.len(), 100);

    // The same command goes on with the customers spared, not the failed ones: its canary
    // fails too, and stops it again. Every upgrade judged failed: no raised threshold is
    // offered, only the advice to find the cause.
    let commands = printed_commands(&ran);
    assert_eq!(commands.len(), 1, "{said}");
    assert!(
        said.contains("Raising the threshold is no way on: 100%"),
        "{said}"
    );
    let again = run_printed(&commands[0]).await;
    assert_eq!(again.code, 1, "{}", again.both());
    assert_eq!(creates(&server).len(), 10);
    assert_created_once(&server);
    assert!(
        flat(&again.err).contains("90 customers were spared"),
        "{}",
        again.both()
    );
}

/// The threshold a braked run offers is past all it saw, the failures of the upgrades
/// followed after the brake included: run as printed on a fleet failing as before, it lets
/// the run end (exit 3), where a threshold at the share first seen braked again at once.
#[tokio::test(start_paused = true)]
async fn the_raised_threshold_offered_does_not_brake_again_on_what_was_seen() {
    let server = failing(400, Duration::from_secs(30), 60).await;
    let files = Files::new("brakes-raised", 400);
    let ran = in_process(&server, &args(&files, &[])).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    let commands = printed_commands(&ran);
    assert_eq!(commands.len(), 2, "{}", ran.both());
    let raised = &commands[1];
    let value = raised.last().unwrap().trim_end_matches('%');
    let value: usize = value.parse().unwrap();
    assert!((60..100).contains(&value), "{raised:?}");
    let last = run_printed(raised).await;
    assert_eq!(last.code, 3, "{}", last.both());
    assert!(!last.err.contains("stopped creating"), "{}", last.both());
    assert_eq!(creates(&server).len(), 400);
    assert_created_once(&server);
}

/// Upgrades of 30 s failing 60 % of the time, 1,000 customers at 20 calls a second: the
/// first failures are seen after some 35 s, past 5 % from the 20th ended; the run stops
/// creating well before half the fleet has an upgrade, and follows those under way.
#[tokio::test(start_paused = true)]
async fn the_default_threshold_stops_a_systemic_failure_before_half_the_fleet() {
    let server = failing(1_000, Duration::from_secs(30), 60).await;
    let files = Files::new("brakes-systemic", 1_000);
    let ran = in_process(&server, &args(&files, &[])).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    let created = creates(&server).len();
    eprintln!(
        "systemic failure: {created} creates of 1,000 before the brake\n{}",
        ran.both()
    );
    assert!(created < 500, "{created} creates");
    assert_created_once(&server);
    let counts = outcomes(&files);
    let pending = counts.get("pending").copied().unwrap_or_default();
    assert_eq!(pending, 1_000 - created, "{counts:?}");
    assert_eq!(counts.get("in-progress"), None, "{counts:?}");
    assert!(
        flat(&ran.err).contains("past --max-failed 10%"),
        "{}",
        ran.err
    );
    assert!(flat(&ran.err).contains(&format!("{pending} customers were spared")));
}

/// 2 % of upgrades failing, as in a healthy run: the default threshold lets the run end.
#[tokio::test(start_paused = true)]
async fn a_run_failing_as_healthy_runs_do_is_not_stopped() {
    let server = failing(300, Duration::from_secs(30), 2).await;
    let files = Files::new("brakes-healthy", 300);
    let ran = in_process(&server, &args(&files, &[])).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    assert_eq!(creates(&server).len(), 300);
    let failed = outcomes(&files).get("failed").copied().unwrap_or_default();
    assert!((1..=15).contains(&failed), "{failed} failed");
}

#[test]
fn an_absurd_threshold_or_canary_is_refused() {
    for bad in [
        ["--max-failed", "150%"],
        ["--max-failed", "-1"],
        ["--max-failed", "lots"],
        ["--max-failed", "NaN%"],
        ["--canary", "-5"],
    ] {
        let args = [
            "pc-upgrade",
            "upgrade",
            "--customers",
            "c.csv",
            "--journal",
            "j",
        ];
        let parsed = <pc_upgrade::Cli as clap::Parser>::try_parse_from(args.iter().chain(&bad));
        let error = parsed.expect_err(bad[1]).to_string();
        assert!(error.contains(bad[0]) || error.contains(bad[1]), "{error}");
    }
}

/// A failed upgrade's `errorDetails.code` may be a string (the spec's `ErrorCode`): it is
/// kept as the service sent it in the JSON report, the line-items file, the summary and the
/// brake's message, never dropped as "no code". The brake trips once every create of this
/// small fleet was sent: it says it held nothing back, offers no command that would do
/// nothing, and the run exits as its customers ended (3), not as one stopped (1).
#[tokio::test(start_paused = true)]
async fn a_text_error_code_is_kept_everywhere_it_is_shown() {
    const CODE: &str = "SubscriptionTransitionFailed";
    let fleet = (0..40)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)).subscriptions(1))
        })
        .upgrades_take(Duration::from_secs(30))
        .upgrades_fail(100, CODE, "The transition failed.");
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let files = Files::new("brakes-text-code", 40);
    let line_items = files.report.with_file_name("lines.csv");
    let extra = ["--line-items", line_items.to_str().unwrap()];
    let ran = in_process(&server, &args(&files, &extra)).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    let said = flat(&ran.err);
    assert!(said.contains("it held nothing back"), "{said}");
    assert!(printed_commands(&ran).is_empty(), "{said}");
    assert!(!said.contains("spared"), "{said}");
    assert!(said.contains(&format!("{CODE} (×")), "{said}");
    assert!(!said.contains("no code"), "{said}");
    assert!(ran.out.contains(CODE), "the summary's codes: {}", ran.out);
    let failed: Vec<_> = report_rows(&files.report)
        .into_iter()
        .filter(|row| row["outcome"] == "failed")
        .collect();
    assert!(!failed.is_empty());
    for row in &failed {
        assert_eq!(row["errorCode"], CODE, "{row}");
    }
    let mut reader = csv::Reader::from_path(&line_items).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "errorCode");
    let codes: Vec<String> = reader
        .records()
        .map(|record| record.unwrap()[column.unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), failed.len());
    assert!(codes.iter().all(|code| code == CODE), "{codes:?}");
}

/// Once the answer that trips the brake is read, no create reaches the service: those
/// waiting their turn under the rate limit are called off, and their customers spared.
#[tokio::test(start_paused = true)]
async fn no_create_reaches_the_service_after_the_answer_that_trips_the_brake() {
    const COUNT: u128 = 300;
    let server = failing(COUNT, Duration::from_secs(2), 100).await;
    let files = Files::new("brakes-no-create-after", COUNT);
    let ran = in_process(&server, &args(&files, &[])).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    // Every upgrade fails: the 11th status read that finds one ended trips the default
    // brake (more than 10, and more than 10%).
    let requests = server.requests();
    let mut ended = std::collections::HashSet::new();
    let mut tripped = None;
    for (at, request) in requests.iter().enumerate() {
        if request.operation == Some(Operation::GetProductUpgradeStatus)
            && request.status == 200
            && ended.insert(request.path.clone())
            && ended.len() == 11
        {
            tripped = Some(at);
        }
    }
    let tripped = tripped.expect("the brake never saw 11 upgrades end");
    let late = requests[tripped..]
        .iter()
        .filter(|r| r.operation == Some(Operation::CreateProductUpgrade))
        .count();
    assert_eq!(late, 0, "creates after the brake's answer: {}", ran.both());
    assert_created_once(&server);
    let counts = outcomes(&files);
    let created = creates(&server).len();
    assert_eq!(counts.get("failed"), Some(&created), "{counts:?}");
    assert_eq!(
        counts.get("pending"),
        Some(&(COUNT as usize - created)),
        "{counts:?}"
    );
}
