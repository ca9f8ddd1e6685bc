//! The exit codes `--help` promises, at the edges an operator meets: a folder that does not
//! exist and a base URL that cannot be one are bad arguments (2) before anything is called;
//! `status` on a journal a live run holds says so and names no `upgrade` that would be
//! refused.

mod common;

use std::time::Duration;

use common::{Files, customer, in_process, run_args, words};
use pc_upgrade_mock::{Customer, Fleet, MockServer};

async fn serve(count: u128, takes: Duration) -> MockServer {
    let fleet = (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(takes);
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

/// Every command that writes a file at its end refuses a folder that does not exist with
/// exit 2 and the option's name, before any call.
#[tokio::test(start_paused = true)]
async fn a_folder_that_does_not_exist_is_a_bad_argument_for_every_command() {
    let server = serve(3, Duration::ZERO).await;
    let files = Files::new("edges-folder", 3);
    let ran = in_process(&server, &files.args(&[])).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let calls = server.requests().len();
    let missing = files
        .customers
        .with_file_name("no-such-folder")
        .join("out.csv");
    let (missing, customers, journal) = (
        missing.to_str().unwrap(),
        files.customers.to_str().unwrap(),
        files.journal.to_str().unwrap(),
    );
    let other_journal = files.customers.with_file_name("other.journal");
    let other_journal = other_journal.to_str().unwrap();
    let commands: [(&str, &[&str]); 6] = [
        (
            "--report",
            &["eligibility", "--customers", customers, "--report", missing],
        ),
        (
            "--line-items",
            &[
                "upgrade",
                "--customers",
                customers,
                "--journal",
                other_journal,
                "--yes",
                "--line-items",
                missing,
            ],
        ),
        (
            "--report",
            &["status", "--journal", journal, "--report", missing],
        ),
        (
            "--line-items",
            &["status", "--journal", journal, "--line-items", missing],
        ),
        (
            "--report",
            &[
                "status",
                "--journal",
                journal,
                "--refresh",
                "--report",
                missing,
            ],
        ),
        (
            "--report",
            &["verify", "--journal", journal, "--report", missing],
        ),
    ];
    for (option, args) in commands {
        let ran = in_process(&server, args).await;
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.both());
        assert!(
            ran.err.contains(option) && ran.err.contains("does not exist"),
            "{}",
            ran.err
        );
    }
    assert_eq!(server.requests().len(), calls, "a call was made");
}

/// A base URL that is not http(s), or plain http to a host that is not this machine, is a
/// bad argument: exit 2, no call.
#[tokio::test(start_paused = true)]
async fn a_base_url_that_cannot_be_one_is_a_bad_argument() {
    let files = Files::new("edges-base-url", 2);
    for base_url in ["ftp://example.com", "http://example.com", "not a url"] {
        let ran = run_args(words(&[
            "pc-upgrade",
            "--base-url",
            base_url,
            "eligibility",
            "--customers",
            files.customers.to_str().unwrap(),
        ]))
        .await;
        assert_eq!(ran.code, 2, "{base_url}: {}", ran.both());
        assert!(ran.err.contains("--base-url"), "{}", ran.err);
    }
}

/// `status` on a journal a run holds: where it stood, that a run holds it, and as the next
/// step `status` again, never an `upgrade` the lock would refuse.
#[tokio::test(start_paused = true)]
async fn status_on_a_journal_a_run_holds_says_so() {
    let server = serve(3, Duration::from_secs(3600)).await;
    let files = Files::new("edges-held", 3);
    let ran = in_process(&server, &files.args(&["--wait", "60"])).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    let journal = files.journal.to_str().unwrap();
    let status = ["status", "--journal", journal];
    let free = in_process(&server, &status).await;
    assert!(free.out.contains(" upgrade "), "{}", free.both());
    let held = std::fs::File::open(&files.journal).unwrap();
    held.lock().unwrap();
    let ran = in_process(&server, &status).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    assert!(ran.err.contains("holds the journal"), "{}", ran.err);
    assert!(!ran.out.contains(" upgrade "), "{}", ran.out);
    assert!(ran.out.contains("status --journal"), "{}", ran.out);
}
