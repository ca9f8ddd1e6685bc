//! The run loop of the real `pc-upgrade` binary against fakes whose upgrades take time and
//! whose service changes under the run: waiting costs no worker; a refused token, a "try
//! again later" and an unreachable service are never written down as a customer's fate, and
//! the same command resumes; one run per journal; Ctrl-C ends a run well.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{
    Scratch, assert_created_once, creates, customer, customers_csv, pc_upgrade, report, run,
    scratch, text,
};
use pc_upgrade_mock::{Customer, Fault, Fleet, MockResponse, MockServer, Operation};

fn fleet(count: u128, takes: Duration) -> Fleet {
    (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(takes)
}

/// A fake serving `fleet`.
async fn serve(fleet: Fleet) -> MockServer {
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

/// The files of an upgrade run, in a scratch folder of its own: its customers, journal and
/// report.
struct Files {
    customers: PathBuf,
    journal: PathBuf,
    report: PathBuf,
    /// Their folder, removed with them.
    _dir: Scratch,
}

impl Files {
    fn new(name: &str, count: u128) -> Self {
        let dir = scratch(name);
        Self {
            customers: customers_csv(&dir, count),
            journal: dir.join("journal"),
            report: dir.join("report.json"),
            _dir: dir,
        }
    }

    /// `upgrade --yes` on these files, without a rate to wait for and with quick status
    /// reads, then `extra`.
    fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--rate",
            "100000",
            "--per",
            "1",
            "upgrade",
            "--customers",
            self.customers.to_str().unwrap(),
            "--journal",
            self.journal.to_str().unwrap(),
            "--yes",
            "--poll-interval",
            "0.05",
            "--report",
            self.report.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args
    }
}

/// Upgrades being waited for hold no place among the calls in flight: with two calls in
/// flight at most, all 40 upgrades are under way at once. (One worker per customer, as
/// before, has at most two under way: throughput is concurrency over the upgrade's time.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_being_waited_for_take_no_place_among_the_calls_in_flight() {
    const COUNT: u128 = 40;
    let server = serve(fleet(COUNT, Duration::from_secs(2))).await;
    let files = Files::new("waiting", COUNT);
    let args = files.args(&["--concurrency", "2"]);
    let journal = &files.journal;
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Upgrades under way at once, in the journal's order: started, and not yet seen ended.
    let (mut under_way, mut most) = (0, 0);
    for line in std::fs::read_to_string(journal).unwrap().lines() {
        if line.contains(r#""event":"started""#) {
            under_way += 1;
        } else if line.contains(r#""event":"completed""#) || line.contains(r#""event":"done""#) {
            under_way -= 1;
        }
        most = most.max(under_way);
    }
    assert_eq!(
        most, COUNT,
        "at most {most} upgrades were under way at once"
    );
    assert_created_once(&server);
}

/// From the 61st call on, every call is refused 401: the run stops (exit 1) after at most
/// `--concurrency` + 8 refused calls, names the cause and the command that resumes, and
/// writes nothing final. Once the token works again, the same command completes everyone,
/// following the upgrades created before, creating none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_part_way_stops_the_run_and_the_same_command_resumes() {
    const COUNT: u128 = 100;
    let server = serve(fleet(COUNT, Duration::from_millis(500))).await;
    server.fault_after(60, Fault::RefuseTokens);
    let files = Files::new("token", COUNT);
    let args = files.args(&["--concurrency", "32"]);
    let (journal, report_path) = (&files.journal, &files.report);
    let output = run(pc_upgrade(&server, &args)).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let refused = server.requests().iter().filter(|r| r.status == 401).count();
    assert!((1..=32 + 8).contains(&refused), "{refused} refused calls");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert!(
        stderr.contains(journal.to_str().unwrap()),
        "the command is printed: {stderr}"
    );
    let first = report(report_path);
    assert!(
        first
            .values()
            .all(|r| r["outcome"] != "refused" && r["outcome"] != "failed"),
        "a refused token was written down as a customer's fate: {first:?}"
    );
    let created_before: Vec<String> = creates(&server)
        .into_iter()
        .filter(|(_, calls)| calls.iter().any(|(status, _)| *status == 202))
        .map(|(customer, _)| customer)
        .collect();
    assert!(
        !created_before.is_empty(),
        "no upgrade was created before the outage"
    );

    server.clear_faults();
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rows = report(report_path);
    assert_eq!(rows.len(), COUNT as usize);
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    assert_created_once(&server);
    for customer in &created_before {
        assert_eq!(
            rows[customer]["origin"], "created",
            "{customer} was not followed"
        );
    }
}

/// A create answered 900130 ("purchased recently, try again later") is not the customer's
/// fate: the run ends with it to retry later (exit 3), and the next run creates it, with a
/// new request id, once the service allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_again_later_is_retried_by_the_next_run_with_a_new_request_id() {
    const COUNT: u128 = 30;
    let server = serve(fleet(COUNT, Duration::ZERO)).await;
    for _ in 0..10 {
        let body = r#"{"code": 900130, "description": "Azure subscriptions purchased recently cannot be transitioned yet.", "data": [], "source": "PartnerFD"}"#;
        server.enqueue(
            Operation::CreateProductUpgrade,
            MockResponse::json(403, body),
        );
    }
    let files = Files::new("later", COUNT);
    let args = files.args(&[]);
    let report_path = &files.report;
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let first = report(report_path);
    let later: Vec<_> = first
        .values()
        .filter(|r| r["outcome"] == "retry-later")
        .collect();
    assert_eq!(later.len(), 10, "{first:?}");
    assert!(later.iter().all(|r| r["errorCode"] == 900130));

    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rows = report(report_path);
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    assert_created_once(&server);
    // The refused creates' request ids were spent: the second create of those customers
    // carries another one.
    for request in server.requests() {
        if request.operation == Some(Operation::CreateProductUpgrade) && request.status == 202 {
            let id = request.header("ms-requestid").unwrap();
            let refused_before = server
                .requests()
                .iter()
                .any(|r| r.status == 403 && r.header("ms-requestid") == Some(id));
            assert!(
                !refused_before,
                "a refused create's request id was sent again"
            );
        }
    }
}

/// The service stops listening part-way: the run stops with exit 1 within a minute, naming
/// the base URL and the cause, and writes nothing final for the customers it was on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_stops_the_run_naming_the_url_and_the_cause() {
    const COUNT: u128 = 60;
    let server = serve(fleet(COUNT, Duration::from_millis(300))).await;
    server.fault_after(40, Fault::StopListening);
    let files = Files::new("down", COUNT);
    let args = files.args(&[]);
    let report_path = &files.report;
    let started = Instant::now();
    let output = run(pc_upgrade(&server, &args)).await;
    let elapsed = started.elapsed();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(60),
        "stopped after {elapsed:?}"
    );
    assert!(stderr.contains(&server.base_url()), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "{stderr}"
    );
    let rows = report(report_path);
    assert!(
        rows.values()
            .all(|r| r["outcome"] != "refused" && r["outcome"] != "failed"),
        "{rows:?}"
    );

    server.listen_again().await.unwrap();
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        report(report_path)
            .values()
            .all(|r| r["outcome"] == "completed")
    );
    assert_created_once(&server);
}

/// A second run on a journal in use refuses at once, naming the first run's process, and
/// sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_a_journal_in_use_refuses_and_sends_nothing() {
    const COUNT: u128 = 20;
    let server = serve(fleet(COUNT, Duration::from_secs(3))).await;
    let files = Files::new("twice", COUNT);
    let args = files.args(&[]);
    let journal = &files.journal;
    let mut first = pc_upgrade(&server, &args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(journal).is_ok_and(|j| j.contains("\"queued\"")) {
        assert!(Instant::now() < deadline, "the first run did not begin");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut second = pc_upgrade(&server, &args);
    second.env("PC_UPGRADE_TOKEN", "second-run-token");
    let output = run(second).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert!(
        stderr.contains(&format!("process {}", first.id())),
        "{stderr}"
    );
    let status = tokio::task::spawn_blocking(move || first.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") != Some("Bearer second-run-token")),
        "the second run sent a call"
    );
    assert_created_once(&server);
}

/// Ctrl-C part-way: the calls in flight end, the summary and the report are written, the
/// command that resumes is printed; the same command then completes everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_reports_and_the_same_command_resumes() {
    const COUNT: u128 = 50;
    let server = serve(fleet(COUNT, Duration::from_secs(2))).await;
    let files = Files::new("interrupt", COUNT);
    let args = files.args(&[]);
    let (journal, report_path) = (&files.journal, &files.report);
    let child = pc_upgrade(&server, &args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests().len() < 40 {
        assert!(Instant::now() < deadline, "the run did not get going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("total"), "no summary: {stdout}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stderr.contains(journal.to_str().unwrap()),
        "no resume command: {stderr}"
    );
    assert_eq!(report(report_path).len(), COUNT as usize);

    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        report(report_path)
            .values()
            .all(|r| r["outcome"] == "completed")
    );
    assert_created_once(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_a_journal_that_does_not_exist_is_an_error() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("no-journal");
    let journal = dir.join("missing.journal");
    let output = run(pc_upgrade(
        &server,
        &["status", "--journal", journal.to_str().unwrap()],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("missing.journal"),
        "{}",
        text(&output.stderr)
    );
}

/// An upgrade that completes after the run ended is in progress in the journal; `status
/// --refresh` asks Partner Center, writes the end down, and reports it completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_refresh_turns_an_upgrade_completed_since_into_completed() {
    const COUNT: u128 = 10;
    let server = serve(fleet(COUNT, Duration::from_secs(3))).await;
    let files = Files::new("refresh", COUNT);
    let args = files.args(&["--wait", "0.5"]);
    let (journal, report_path) = (&files.journal, &files.report);
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(
        report(report_path)
            .values()
            .all(|r| r["outcome"] == "in-progress")
    );
    let status = |refresh: bool| {
        let mut args = vec!["status", "--journal", journal.to_str().unwrap()];
        args.extend(["--report", report_path.to_str().unwrap()]);
        if refresh {
            args.push("--refresh");
        }
        pc_upgrade(&server, &args)
    };
    let output = run(status(false)).await;
    assert_eq!(output.status.code(), Some(3));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = server.requests().len();
    let output = run(status(true)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rows = report(report_path);
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    let calls = &server.requests()[before..];
    assert_eq!(calls.len(), COUNT as usize, "one status read each");
    assert!(
        calls
            .iter()
            .all(|r| r.operation == Some(Operation::GetProductUpgradeStatus))
    );
    // Written down: a plain status now says so too, with no call.
    let output = run(status(false)).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.requests().len(), before + COUNT as usize);
}

/// `--only failed` runs the failed customers again, and no one else; what the service
/// answered them is in the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_failed_sends_calls_for_the_failed_customers_alone() {
    const COUNT: u128 = 12;
    let fleet = (0..COUNT).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n));
        fleet.customer(match n % 3 {
            0 => script.fails_with(900120, "The Azure upgrade cannot be processed."),
            _ => script,
        })
    });
    let server = serve(fleet).await;
    let files = Files::new("only-failed", COUNT);
    let args = files.args(&[]);
    let (journal, report_path) = (&files.journal, &files.report);
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let failed: Vec<String> = (0..COUNT)
        .filter(|n| n % 3 == 0)
        .map(|n| customer(n).to_string())
        .collect();
    let first = report(report_path);
    for id in &failed {
        assert_eq!(first[id]["outcome"], "failed");
    }
    let before = server.requests().len();
    let mut again = args.clone();
    again.extend(["--only", "failed"]);
    let output = run(pc_upgrade(&server, &again)).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let calls = &server.requests()[before..];
    assert!(!calls.is_empty(), "no call for the failed customers");
    for call in calls {
        let customer = call.json().unwrap()["customerId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            failed.contains(&customer),
            "a call for {customer}, who did not fail"
        );
    }
    let rows = report(report_path);
    assert_eq!(
        rows.len(),
        COUNT as usize,
        "every customer is in the report"
    );
    for (id, row) in &rows {
        let expected = if failed.contains(id) {
            "failed"
        } else {
            "completed"
        };
        assert_eq!(row["outcome"], expected, "{row}");
    }
    let journal_text = std::fs::read_to_string(journal).unwrap();
    assert_eq!(
        journal_text.matches(r#""event":"rerun""#).count(),
        failed.len()
    );
}
