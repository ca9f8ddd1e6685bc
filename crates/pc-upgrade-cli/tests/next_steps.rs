//! Every "next" the tool prints is a command that works: each test takes the command a run
//! printed, runs it as printed (in-process, on a paused clock), and checks that it moves the
//! customers on. `status` names the `upgrade` that goes on, `eligibility` the dry run, the
//! demo its folder; `--only X` with nobody to take says so.

mod common;

use std::ffi::OsString;
use std::time::Duration;

use common::{Ran, customer, customers_csv, in_process, scratch};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation};

/// The command on the line after `next: …` in `text`, split and unquoted as a shell would
/// (the tests' words have no spaces; a quoted one is in single quotes).
fn next_command(text: &str, after: &str) -> Vec<OsString> {
    // A step: prose from a `next:` line (wrapped over lines), then the command, indented.
    let mut prose: Option<String> = None;
    let mut found = None;
    for line in text.lines() {
        match (&mut prose, line.strip_prefix("  ")) {
            (Some(words), Some(command)) => {
                if words.contains(after) {
                    found = Some(command.to_owned());
                    break;
                }
                prose = None;
            }
            (Some(words), None) => {
                words.push(' ');
                words.push_str(line);
            }
            (None, _) if line.starts_with("next:") => prose = Some(line.to_owned()),
            (None, _) => {}
        }
    }
    let line = found.unwrap_or_else(|| panic!("no next step {after:?} in:\n{text}"));
    line.split_whitespace()
        .map(
            |word| match word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
                Some(unquoted) => unquoted.into(),
                None => word.into(),
            },
        )
        .collect()
}

/// `args` as printed, run in this process.
async fn run_printed(args: Vec<OsString>) -> Ran {
    common::run_args(args).await
}

/// `status` of a run whose upgrades were not done yet names the upgrade that goes on (with
/// the run's customers file, its `;` delimiter and its API); that command completes them.
#[tokio::test(start_paused = true)]
async fn status_names_the_upgrade_that_goes_on_and_it_does() {
    let fleet = (0..4).fold(Fleet::new(), |f, n| f.customer(Customer::new(customer(n))));
    let server = MockServer::builder()
        .fleet(fleet.upgrades_take(Duration::from_secs(3600)))
        .start()
        .await
        .unwrap();
    let dir = scratch("next-status");
    let customers = dir.join("customers.csv");
    let text: String = (0..4).map(|n| format!("{};x\n", customer(n))).collect();
    std::fs::write(&customers, format!("customerId;name\n{text}")).unwrap();
    let journal = dir.join("run.journal");
    let (customers, journal) = (customers.to_str().unwrap(), journal.to_str().unwrap());
    let upgrade = [
        "upgrade",
        "--customers",
        customers,
        "--delimiter",
        ";",
        "--journal",
        journal,
        "--yes",
        "--wait",
        "60",
    ];
    assert_eq!(in_process(&server, &upgrade).await.code, 3);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let status = run_printed(
        ["pc-upgrade", "status", "--journal", journal]
            .map(Into::into)
            .to_vec(),
    )
    .await;
    assert_eq!(status.code, 3, "{}", status.out);
    let next = next_command(&status.out, "not done yet");
    let words: Vec<String> = next
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    assert!(
        words.contains(&"upgrade".to_owned()) && words.contains(&"--yes".to_owned()),
        "{words:?}"
    );
    assert!(
        words.contains(&server.base_url()),
        "the run's API: {words:?}"
    );
    let ran = run_printed(next).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.out.contains("completed") && !ran.out.contains("in-progress"),
        "{}",
        ran.out
    );
}

/// `eligibility` names a dry run of the upgrade; that command parses, runs, creates nothing.
#[tokio::test(start_paused = true)]
async fn eligibility_names_a_dry_run_that_works() {
    let server = MockServer::builder()
        .fleet((0..3).fold(Fleet::new(), |f, n| f.customer(Customer::new(customer(n)))))
        .start()
        .await
        .unwrap();
    let dir = scratch("next-eligibility");
    let customers = customers_csv(&dir, 3);
    let ran = in_process(
        &server,
        &["eligibility", "--customers", customers.to_str().unwrap()],
    )
    .await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let next = next_command(&ran.out, "can be upgraded");
    assert!(
        next.iter().any(|w| *w == *server.base_url()),
        "the API given: {next:?}"
    );
    let dry = run_printed(next).await;
    assert_eq!(dry.code, 0, "{}", dry.both());
    assert!(dry.out.contains("would-create"), "{}", dry.out);
    let creates = server
        .requests()
        .iter()
        .filter(|r| r.operation == Some(Operation::CreateProductUpgrade))
        .count();
    assert_eq!(creates, 0, "a dry run created");
}

/// The demo ends with exit 0 when it ran as designed, and its next step names its folder:
/// that command goes on with the same demo, following the upgrades it created.
#[tokio::test(start_paused = true)]
async fn the_demo_goes_on_in_its_folder() {
    let dir = scratch("next-demo");
    let first = run_printed(
        ["pc-upgrade", "-q", "demo", "--dir", dir.to_str().unwrap()]
            .map(Into::into)
            .to_vec(),
    )
    .await;
    assert_eq!(first.code, 0, "{}", first.both());
    let next = next_command(&first.out, "not done yet");
    assert!(next.iter().any(|w| w == "--dir"), "{next:?}");
    let again = run_printed(next).await;
    assert_eq!(again.code, 0, "{}", again.both());
    let completed = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("completed"))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    assert!(
        completed(&again.out) >= completed(&first.out),
        "{}\n{}",
        first.out,
        again.out
    );
    assert!(
        !again.out.contains("900106"),
        "upgrades of the first run were not found: {}",
        again.out
    );
}

/// `--only failed` when nobody failed: it says there is nothing to do, and exits 0.
#[tokio::test(start_paused = true)]
async fn only_with_nobody_to_take_says_nothing_to_do() {
    let server = MockServer::builder()
        .fleet((0..2).fold(Fleet::new(), |f, n| f.customer(Customer::new(customer(n)))))
        .start()
        .await
        .unwrap();
    let dir = scratch("next-only");
    let customers = customers_csv(&dir, 2);
    let journal = dir.join("run.journal");
    let upgrade = [
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
    ];
    assert_eq!(in_process(&server, &upgrade).await.code, 0);
    let calls = server.requests().len();
    let mut only = upgrade.to_vec();
    only.extend(["--only", "failed"]);
    let ran = in_process(&server, &only).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.out.contains("nothing to do: no customer is failed"),
        "{}",
        ran.out
    );
    assert_eq!(server.requests().len(), calls);
}

/// A demo stopped part-way (Ctrl-C) says how to go on; that command, with a new fake, follows
/// the upgrades the first one created and left in progress: none is lost or refused as
/// unknown (the new fake learns them from the folder's journal).
#[tokio::test(start_paused = true)]
async fn a_demo_stopped_part_way_goes_on_with_its_upgrades() {
    let dir = scratch("next-demo-stopped");
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let args = common::words(&["pc-upgrade", "-q", "demo", "--dir", dir.to_str().unwrap()]);
    // Pressed once upgrades are under way (the demo discovers its fleet first).
    let journal = dir.join("run.journal");
    let press = async {
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let text = std::fs::read_to_string(&journal).unwrap_or_default();
            if text.matches(r#""event":"started""#).count() >= 20 {
                break;
            }
        }
        ctrl_c.send(true).unwrap();
    };
    let (first, ()) = tokio::join!(common::run_args_interrupted(args, interrupt), press);
    assert_eq!(first.code, 130, "{}", first.both());
    let journal = std::fs::read_to_string(&journal).unwrap();
    let started = journal.matches(r#""event":"started""#).count();
    let ended = journal.matches(r#""event":"completed""#).count()
        + journal.matches(r#""event":"failed""#).count();
    assert!(
        started > ended,
        "nothing was left in progress: {started} started, {ended} ended"
    );
    let line = first
        .err
        .lines()
        .skip_while(|line| !line.contains("To go on"))
        .nth(1)
        .unwrap_or_else(|| panic!("no command to go on: {}", first.err));
    let again = run_printed(line.split_whitespace().map(Into::into).collect()).await;
    assert_eq!(again.code, 0, "{}", again.both());
    // The demo's scripted create refusals (900108) say the customer has nothing to
    // upgrade (those without any Azure subscription are not in what discover wrote): none
    // is refused, least of all as an unknown upgrade.
    let count = |outcome: &str| {
        again
            .out
            .lines()
            .find_map(|l| l.strip_prefix(outcome))
            .and_then(|n| n.trim().parse::<usize>().ok())
    };
    assert_eq!(count("refused"), None, "{}", again.out);
    assert_eq!(count("not-applicable"), Some(10), "{}", again.out);
}
