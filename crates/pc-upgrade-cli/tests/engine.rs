//! The run loop in this process, on Tokio's paused clock, against fakes whose upgrades take
//! minutes and whose service changes under the run: waiting costs no worker; a refused
//! token, a "try again later" and an unreachable service are never written down as a
//! customer's fate, and the same command resumes; one run per journal; Ctrl-C ends a run
//! well. Minutes of upgrades pass in milliseconds, and each run is the same every time.

mod common;

use std::time::Duration;

use common::{
    Files, assert_created_once, creates, customer, customers_csv, in_process, in_process_with,
    report, scratch, vars,
};
use pc_upgrade_mock::{Customer, Fault, Fleet, MockResponse, MockServer, Operation, Throttle};
use tokio::time::Instant;

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

/// Upgrades being waited for hold no place among the calls in flight: with two calls in
/// flight at most, all 40 upgrades of 20 minutes are under way at once, and the run ends
/// within a minute's status read of the last one's end. (One worker per customer, as
/// before, has at most two under way: 400 minutes.)
#[tokio::test(start_paused = true)]
async fn upgrades_being_waited_for_take_no_place_among_the_calls_in_flight() {
    const COUNT: u128 = 40;
    let takes = Duration::from_secs(20 * 60);
    let server = serve(fleet(COUNT, takes)).await;
    let files = Files::new("engine-waiting", COUNT);
    let started = Instant::now();
    let ran = in_process(&server, &files.args(&["--concurrency", "2"])).await;
    let took = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        took < takes + Duration::from_secs(2 * 60),
        "40 upgrades of 20 minutes took {took:?}"
    );
    // Upgrades under way at once, in the journal's order: started, and not yet seen ended.
    let (mut under_way, mut most) = (0, 0);
    for line in std::fs::read_to_string(&files.journal).unwrap().lines() {
        if line.contains(r#""event":"started""#) {
            under_way += 1;
        } else if line.contains(r#""event":"completed""#) {
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
#[tokio::test(start_paused = true)]
async fn a_token_refused_part_way_stops_the_run_and_the_same_command_resumes() {
    const COUNT: u128 = 100;
    let server = serve(fleet(COUNT, Duration::from_secs(300))).await;
    server.fault_after(60, Fault::RefuseTokens);
    let files = Files::new("engine-token", COUNT);
    let args = files.args(&["--concurrency", "32"]);
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    let refused = server.requests().iter().filter(|r| r.status == 401).count();
    assert!((1..=32 + 8).contains(&refused), "{refused} refused calls");
    assert!(ran.err.contains("401"), "{}", ran.err);
    assert!(
        ran.err.contains("run the same command again"),
        "{}",
        ran.err
    );
    assert!(
        ran.err.contains(files.journal.to_str().unwrap()),
        "the command is printed: {}",
        ran.err
    );
    let first = report(&files.report);
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
        "nothing was created before the outage"
    );

    server.clear_faults();
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let rows = report(&files.report);
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
#[tokio::test(start_paused = true)]
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
    let files = Files::new("engine-later", COUNT);
    let args = files.args(&[]);
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    let first = report(&files.report);
    let later: Vec<_> = first
        .values()
        .filter(|r| r["outcome"] == "retry-later")
        .collect();
    assert_eq!(later.len(), 10, "{first:?}");
    assert!(later.iter().all(|r| r["errorCode"] == 900130));

    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let rows = report(&files.report);
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
#[tokio::test(start_paused = true)]
async fn an_unreachable_service_stops_the_run_naming_the_url_and_the_cause() {
    const COUNT: u128 = 60;
    let server = serve(fleet(COUNT, Duration::from_secs(120))).await;
    server.fault_after(40, Fault::StopListening);
    let files = Files::new("engine-down", COUNT);
    let args = files.args(&[]);
    let started = Instant::now();
    let ran = in_process(&server, &args).await;
    let took = started.elapsed();
    assert_eq!(ran.code, 1, "{}", ran.both());
    assert!(took < Duration::from_secs(60), "stopped after {took:?}");
    assert!(ran.err.contains(&server.base_url()), "{}", ran.err);
    assert!(
        ran.err.to_lowercase().contains("connection refused"),
        "{}",
        ran.err
    );
    let rows = report(&files.report);
    assert!(
        rows.values()
            .all(|r| r["outcome"] != "refused" && r["outcome"] != "failed"),
        "{rows:?}"
    );

    server.listen_again().await.unwrap();
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        report(&files.report)
            .values()
            .all(|r| r["outcome"] == "completed")
    );
    assert_created_once(&server);
}

/// A second run on a journal in use refuses at once, naming the first run's process, and
/// sends nothing.
#[tokio::test(start_paused = true)]
async fn a_second_run_on_a_journal_in_use_refuses_and_sends_nothing() {
    const COUNT: u128 = 20;
    let server = serve(fleet(COUNT, Duration::from_secs(600))).await;
    let files = Files::new("engine-twice", COUNT);
    let args = files.args(&[]);
    let first = in_process(&server, &args);
    let second = async {
        while !std::fs::read_to_string(&files.journal).is_ok_and(|j| j.contains("\"queued\"")) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (_keep, interrupt) = tokio::sync::watch::channel(false);
        in_process_with(&server, &args, vars("second-run-token"), interrupt).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(second.code, 1, "{}", second.both());
    assert!(second.err.contains("in use"), "{}", second.err);
    let pid = format!("process {}", std::process::id());
    assert!(second.err.contains(&pid), "{}", second.err);
    assert_eq!(first.code, 0, "{}", first.both());
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
#[tokio::test(start_paused = true)]
async fn an_interrupted_run_reports_and_the_same_command_resumes() {
    const COUNT: u128 = 50;
    let server = serve(fleet(COUNT, Duration::from_secs(900))).await;
    let files = Files::new("engine-interrupt", COUNT);
    let args = files.args(&[]);
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let run = in_process_with(&server, &args, vars("cli-test-token"), interrupt);
    let press = async {
        while server.requests().len() < 40 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ctrl_c.send(true).unwrap();
    };
    let (ran, ()) = tokio::join!(run, press);
    assert_eq!(ran.code, 130, "{}", ran.both());
    assert!(ran.out.contains("total"), "no summary: {}", ran.out);
    assert!(ran.err.contains("interrupted"), "{}", ran.err);
    assert!(
        ran.err.contains(files.journal.to_str().unwrap()),
        "no resume command: {}",
        ran.err
    );
    assert_eq!(report(&files.report).len(), COUNT as usize);

    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        report(&files.report)
            .values()
            .all(|r| r["outcome"] == "completed")
    );
    assert_created_once(&server);
}

#[tokio::test(start_paused = true)]
async fn status_of_a_journal_that_does_not_exist_is_an_error() {
    let server = MockServer::start().await.unwrap();
    let dir = scratch("engine-no-journal");
    let journal = dir.join("missing.journal");
    let ran = in_process(&server, &["status", "--journal", journal.to_str().unwrap()]).await;
    assert_eq!(ran.code, 1);
    assert!(ran.err.contains("missing.journal"), "{}", ran.err);
}

/// An upgrade that completes after the run ended is in progress in the journal; `status
/// --refresh` asks Partner Center, writes the end down, and reports it completed.
#[tokio::test(start_paused = true)]
async fn status_refresh_turns_an_upgrade_completed_since_into_completed() {
    const COUNT: u128 = 10;
    let server = serve(fleet(COUNT, Duration::from_secs(3600))).await;
    let files = Files::new("engine-refresh", COUNT);
    let ran = in_process(&server, &files.args(&["--wait", "600"])).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    assert!(
        report(&files.report)
            .values()
            .all(|r| r["outcome"] == "in-progress")
    );
    let (journal, report_path) = (&files.journal, &files.report);
    let status = |refresh: bool| {
        let mut args = vec!["status", "--journal", journal.to_str().unwrap()];
        args.extend(["--report", report_path.to_str().unwrap()]);
        if refresh {
            args.push("--refresh");
        }
        args
    };
    assert_eq!(in_process(&server, &status(false)).await.code, 3);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let before = server.requests().len();
    let ran = in_process(&server, &status(true)).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let rows = report(report_path);
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    // The lines of the upgrades that ended since are filled in.
    assert!(
        rows.values()
            .all(|r| r["lineItems"].as_array().is_some_and(|l| l.len() == 1) && r["moved"] == 1),
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
    assert_eq!(in_process(&server, &status(false)).await.code, 0);
    assert_eq!(server.requests().len(), before + COUNT as usize);
}

/// `--only failed` runs the failed customers again, and no one else; what the service
/// answered them is in the report.
#[tokio::test(start_paused = true)]
async fn only_failed_sends_calls_for_the_failed_customers_alone() {
    const COUNT: u128 = 12;
    let fleet = (0..COUNT).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n)).takes(Duration::from_secs(240));
        fleet.customer(match n % 3 {
            0 => script.fails_with(900120, "The Azure upgrade cannot be processed."),
            _ => script,
        })
    });
    let server = serve(fleet).await;
    let files = Files::new("engine-only-failed", COUNT);
    let args = files.args(&[]);
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
    let failed: Vec<String> = (0..COUNT)
        .filter(|n| n % 3 == 0)
        .map(|n| customer(n).to_string())
        .collect();
    let first = report(&files.report);
    for id in &failed {
        assert_eq!(first[id]["outcome"], "failed");
    }
    let before = server.requests().len();
    let mut again = args.clone();
    again.extend(["--only", "failed"]);
    let ran = in_process(&server, &again).await;
    assert_eq!(ran.code, 3, "{}", ran.both());
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
    let rows = report(&files.report);
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
    let journal = std::fs::read_to_string(&files.journal).unwrap();
    assert_eq!(journal.matches(r#""event":"rerun""#).count(), failed.len());
}

/// One 429 pauses every worker: after it, at most 1% of calls are throttled, and the run keeps
/// at least 90% of the allowed rate, on the fake's clock (paused: the same figures on every
/// machine). The figures go to BENCHMARKS.md.
#[tokio::test(start_paused = true)]
async fn the_shared_throttle_keeps_to_the_limit_after_the_first_429() {
    const LIMIT: u32 = 40;
    const CALLS: usize = 240;
    let server = MockServer::builder()
        .throttle(Throttle::new(LIMIT, Duration::from_secs(1)))
        .start()
        .await
        .unwrap();
    // Another process of the same partner has used up the window: the run's first call is
    // throttled.
    let http = reqwest_free_post(&server, LIMIT as usize).await;
    assert!(http, "the warm-up calls were not all answered");
    let dir = scratch("throttle");
    let customers = customers_csv(&dir, CALLS as u128);
    let before = server.requests().len();
    let started = Instant::now();
    let ran = in_process(
        &server,
        &[
            "--rate",
            &format!("{LIMIT}/s"),
            "eligibility",
            "--customers",
            customers.to_str().unwrap(),
            "--concurrency",
            "16",
        ],
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());
    let calls: Vec<u16> = server.requests()[before..]
        .iter()
        .map(|r| r.status)
        .collect();
    let first = calls
        .iter()
        .position(|s| *s == 429)
        .expect("the first call is throttled");
    let after = &calls[first + 1..];
    let throttled_after = after.iter().filter(|s| **s == 429).count();
    let answered = calls.iter().filter(|s| **s == 200).count();
    assert_eq!(answered, CALLS);
    let rate = answered as f64 / elapsed.as_secs_f64();
    eprintln!(
        "shared throttle: limit {LIMIT}/s, {} calls, {} throttled in all, {throttled_after} after the first ({:.2} %), \
         {answered} answered in {:.2} s = {rate:.1}/s ({:.1} % of the limit)",
        calls.len(),
        calls.iter().filter(|s| **s == 429).count(),
        100.0 * throttled_after as f64 / after.len() as f64,
        elapsed.as_secs_f64(),
        100.0 * rate / f64::from(LIMIT)
    );
    assert!(
        throttled_after * 100 <= after.len(),
        "{throttled_after} of {} throttled",
        after.len()
    );
    // The run includes the first 429's pause (up to a second): measured from its end.
    let pause = 1.0;
    let steady = answered as f64 / (elapsed.as_secs_f64() - pause).max(0.001);
    assert!(steady >= 0.9 * f64::from(LIMIT), "{steady:.1} calls/s");
}

/// Uses up the tenant's window with `count` calls made without the tool.
async fn reqwest_free_post(server: &MockServer, count: usize) -> bool {
    let address = server.address();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let body = r#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "productFamily": "Azure"}"#;
        (0..count).all(|_| {
            let Ok(mut stream) = std::net::TcpStream::connect(address) else {
                return false;
            };
            let request = format!(
                "POST /v1/productUpgrades/eligibility HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer cli-test-token\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let mut answer = String::new();
            stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut answer).is_ok()
                && answer.starts_with("HTTP/1.1 200")
        })
    })
    .await
    .unwrap()
}

/// `pc-upgrade demo` needs no credentials, stays on 127.0.0.1, ends within a minute, and
/// shows every kind of outcome.
#[cfg(feature = "demo")]
#[tokio::test(start_paused = true)]
async fn the_demo_runs_without_an_account_and_shows_every_outcome() {
    let dir = scratch("engine-demo");
    let args: Vec<std::ffi::OsString> =
        ["pc-upgrade", "-q", "demo", "--dir", dir.to_str().unwrap()]
            .iter()
            .map(Into::into)
            .collect();
    let started = Instant::now();
    let ran = common::run_args_with(args, pc_upgrade::Vars::default()).await;
    let code = ran.code;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let stdout = ran.out.clone();
    assert_eq!(code, 0, "{stdout}\n{}", ran.err.clone());
    // Every command the demo prints works: `demo` takes no --only.
    let demo_only = stdout
        .lines()
        .any(|l| l.contains(" demo ") && l.contains("--only"));
    assert!(!demo_only, "{stdout}");
    for outcome in [
        "completed",
        "not-applicable",
        "not-eligible",
        "failed",
        "refused",
        "retry-later",
        "partly-moved",
        "subscriptions:",
    ] {
        assert!(
            stdout.contains(outcome),
            "no {outcome} in the summary:\n{stdout}"
        );
    }
    assert!(stdout.contains("127.0.0.1"), "{stdout}");
    assert!(dir.join("run.journal").exists() && dir.join("report.csv").exists());
    let lines = std::fs::read_to_string(dir.join("line-items.csv")).unwrap();
    assert!(lines.contains("was not moved"), "{lines}");
}

/// `status` reads the customers file as the run read it: a `;` file's bad lines are
/// reported (they were not, with a comma), and the report names the API the run called.
#[tokio::test(start_paused = true)]
async fn status_reads_the_customers_file_with_the_runs_delimiter_and_names_its_api() {
    let server = serve(fleet(3, Duration::from_secs(60))).await;
    let dir = scratch("engine-semicolon");
    let customers = dir.join("customers.csv");
    let text = format!(
        "customerId;name\n{};A\nnot-a-guid;B\n{};C\n{};D\n",
        customer(0),
        customer(1),
        customer(2)
    );
    std::fs::write(&customers, text).unwrap();
    let (journal, report_path) = (dir.join("journal"), dir.join("status.json"));
    let upgrade = [
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--delimiter",
        ";",
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
    ];
    let ran = in_process(&server, &upgrade).await;
    assert_eq!(ran.code, 3, "the bad line: {}", ran.both());
    // `status` with no --base-url: the run's own, not Partner Center's.
    let args: Vec<std::ffi::OsString> = [
        "pc-upgrade",
        "status",
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        report_path.to_str().unwrap(),
    ]
    .iter()
    .map(Into::into)
    .collect();
    let ran = common::run_args_with(args, vars("cli-test-token")).await;
    let code = ran.code;
    assert_eq!(code, 3, "{}", ran.out.clone());
    assert!(ran.out.clone().contains("line 3"), "{}", ran.out.clone());
    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(status["baseUrl"], server.base_url(), "{status}");
    let rows = status["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["outcome"] == "bad-line" && r["line"] == 3),
        "{status}"
    );
    assert_eq!(
        rows.iter().filter(|r| r["outcome"] == "completed").count(),
        3
    );
}

/// A first test with two customers against a mistyped URL (nothing listens there): the run
/// says the service is unreachable, naming the URL and the cause, with exit 1 within a
/// minute; it used to end "retry later" with exit 3 after about a minute, never saying why.
#[tokio::test(start_paused = true)]
async fn two_customers_against_a_url_nobody_answers_stop_as_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = scratch("engine-unreachable");
    let customers = customers_csv(&dir, 2);
    let args: Vec<std::ffi::OsString> = [
        "pc-upgrade",
        "-q",
        "--base-url",
        &url,
        "eligibility",
        "--customers",
        customers.to_str().unwrap(),
    ]
    .iter()
    .map(Into::into)
    .collect();
    let started = Instant::now();
    let ran = common::run_args_with(args, vars("cli-test-token")).await;
    let code = ran.code;
    let took = started.elapsed();
    let err = ran.err.clone();
    assert_eq!(code, 1, "{}\n{err}", ran.out.clone());
    assert!(took < Duration::from_secs(60), "stopped after {took:?}");
    assert!(err.contains(&url), "{err}");
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
}
