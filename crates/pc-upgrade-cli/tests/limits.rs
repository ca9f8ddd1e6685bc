//! The run against limits shaped as Microsoft describes them, in this process on Tokio's
//! paused clock: budgets per API (a 429 on creates leaves the reads at their rate), one
//! budget over all three (not overrun), and a resumed run that starts from the rates its
//! journal's last run found.

mod common;

use std::time::Duration;

use common::{Files, assert_created_once, customer, in_process, in_process_with, vars};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation, Throttle};
use tokio::time::Instant;

/// A fake of `count` customers whose upgrades take `takes`, limited by `throttle`.
async fn serve(count: u128, takes: Duration, throttle: Throttle) -> MockServer {
    let fleet = (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(takes)
        .throttle(throttle);
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

/// Calls and 429s of `operation` among the fake's requests from `from` on.
fn counted(server: &MockServer, operation: Operation, from: usize) -> (usize, usize) {
    let requests = server.requests();
    let of = requests[from..]
        .iter()
        .filter(|r| r.operation == Some(operation));
    of.fold((0, 0), |(all, throttled), r| {
        (all + 1, throttled + usize::from(r.status == 429))
    })
}

/// Creates at 3 a second, eligibility and status reads at 20 each: 300 customers need
/// 100 s of creates, and the reads keep up beside them. One rate over all calls (before)
/// took 207 s; the bound is 105 s.
#[tokio::test(start_paused = true)]
async fn a_429_on_creates_leaves_the_reads_at_their_rate() {
    let throttle = Throttle::new(20, Duration::from_secs(1))
        .per_operation()
        .operation_limit(Operation::CreateProductUpgrade, 3);
    let server = serve(300, Duration::from_secs(5), throttle).await;
    let files = Files::new("limits-per-api", 300);
    let started = Instant::now();
    let ran = in_process(&server, &files.args(&[])).await;
    let took = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert_created_once(&server);
    let (creates, create_429s) = counted(&server, Operation::CreateProductUpgrade, 0);
    let (reads, read_429s) = counted(&server, Operation::CheckEligibility, 0);
    eprintln!(
        "per API: 300 customers in {took:?} (bound 105 s); creates {creates} ({create_429s} 429s), \
         eligibility {reads} ({read_429s} 429s)"
    );
    assert!(
        took <= Duration::from_secs(131),
        "{took:?} against a 105 s bound"
    );
    // Finding the creates' 3/s costs some 429s on them; the reads see next to none.
    let all = server.requests().len();
    let throttled = server.requests().iter().filter(|r| r.status == 429).count();
    assert!(
        throttled * 100 <= all * 3,
        "{throttled} of {all} calls throttled"
    );
    assert!(
        read_429s * 100 <= reads,
        "{read_429s} of {reads} eligibility calls throttled"
    );
}

/// One budget of 20 a second over every call: three rates that each found it would send
/// 60. The run stays within 2% of 429s and near the bound (max(3N/R, 2N/R + D) = 30 s).
#[tokio::test(start_paused = true)]
async fn one_budget_over_all_calls_is_not_overrun_three_times() {
    let server = serve(
        200,
        Duration::from_secs(5),
        Throttle::new(20, Duration::from_secs(1)),
    )
    .await;
    let files = Files::new("limits-shared", 200);
    let started = Instant::now();
    let ran = in_process(&server, &files.args(&[])).await;
    let took = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());
    let all = server.requests().len();
    let throttled = server.requests().iter().filter(|r| r.status == 429).count();
    eprintln!("one budget: 200 customers in {took:?} (bound 30 s), {throttled} of {all} throttled");
    assert!(
        throttled * 50 <= all,
        "{throttled} of {all} calls throttled"
    );
    assert!(took <= Duration::from_secs(45), "{took:?}");
}

/// A run stopped part-way writes down the rates it found; the same command starts from
/// them: its first second sends the reads at their learned rate, where a run that knows
/// nothing starts at 2 calls a second.
#[tokio::test(start_paused = true)]
async fn a_resumed_run_starts_from_the_rates_its_journal_found() {
    let throttle = Throttle::new(20, Duration::from_secs(1))
        .per_operation()
        .operation_limit(Operation::CreateProductUpgrade, 3);
    let server = serve(400, Duration::from_secs(5), throttle).await;
    let files = Files::new("limits-resume", 400);
    let args = files.args(&[]);
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let run = in_process_with(&server, &args, vars("cli-test-token"), interrupt);
    let press = async {
        tokio::time::sleep(Duration::from_secs(40)).await;
        ctrl_c.send(true).unwrap();
    };
    let (ran, ()) = tokio::join!(run, press);
    assert_eq!(ran.code, 130, "{}", ran.both());
    let journal = std::fs::read_to_string(&files.journal).unwrap();
    let rate = journal
        .lines()
        .rfind(|line| line.contains(r#""event":"rate""#))
        .expect("a rate event in the journal");
    assert!(rate.contains(r#""budget":"per-operation""#), "{rate}");

    let before = server.requests().len();
    let resumed = in_process(&server, &args);
    let look = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        counted(&server, Operation::GetProductUpgradeStatus, before).0
            + counted(&server, Operation::CheckEligibility, before).0
    };
    let (ran, first_second) = tokio::join!(resumed, look);
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert_created_once(&server);
    eprintln!("resumed: {first_second} reads in its first second; the rate event: {rate}");
    assert!(
        first_second >= 10,
        "{first_second} reads in the first second"
    );
}

/// A run killed 3.5 s in, before the service's limit said anything (no 429 yet), writes no
/// rate: what its search had reached (2 calls a second at first) is no limit. Its resume
/// starts searching afresh and takes no longer than a fresh run, where starting from that
/// rate as if the service had set it took 110 s against 32 s fresh.
#[tokio::test(start_paused = true)]
async fn a_run_killed_before_any_429_writes_no_rate_and_its_resume_is_not_slower() {
    const COUNT: u128 = 400;
    let throttle = || Throttle::new(50, Duration::from_secs(1));
    let fresh_server = serve(COUNT, Duration::from_secs(5), throttle()).await;
    let fresh_files = Files::new("limits-early-fresh", COUNT);
    let started = Instant::now();
    let ran = in_process(&fresh_server, &fresh_files.args(&[])).await;
    let fresh = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());

    let server = serve(COUNT, Duration::from_secs(5), throttle()).await;
    let files = Files::new("limits-early-kill", COUNT);
    let args = files.args(&[]);
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let run = in_process_with(&server, &args, vars("cli-test-token"), interrupt);
    let press = async {
        tokio::time::sleep(Duration::from_millis(3500)).await;
        ctrl_c.send(true).unwrap();
    };
    let (ran, ()) = tokio::join!(run, press);
    assert_eq!(ran.code, 130, "{}", ran.both());
    assert_eq!(
        counted(&server, Operation::CheckEligibility, 0).1,
        0,
        "a 429 came"
    );
    let journal = std::fs::read_to_string(&files.journal).unwrap();
    assert!(!journal.contains(r#""event":"rate""#), "{journal}");

    let started = Instant::now();
    let ran = in_process(&server, &args).await;
    let resumed = started.elapsed();
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert_created_once(&server);
    eprintln!("fresh {fresh:?}; resumed after a kill at 3.5 s: {resumed:?}");
    assert!(
        resumed.as_secs_f64() <= 1.3 * fresh.as_secs_f64(),
        "resumed in {resumed:?}, fresh in {fresh:?}"
    );
}
