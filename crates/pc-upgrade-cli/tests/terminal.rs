//! `pc-upgrade` as a person at a terminal sees it: the binary runs in a pseudo-terminal of
//! 80 columns (util-linux `script`), and what it draws is rendered as a terminal would
//! (`vt100`). While 100 slow upgrades are waited for, the bar's clock moves on from one look
//! to the next, the bar keeps to one line, and it shows what is waited for and an ETA; a
//! Ctrl-C typed there leaves the summary and the command that resumes on the screen.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BINARY, customer, customers_csv, scratch};
use pc_upgrade_mock::{Customer, Fleet, MockServer};

const ROWS: u16 = 24;
const COLUMNS: u16 = 80;

/// The screen after everything drawn so far.
fn screen(drawn: &Mutex<Vec<u8>>) -> vt100::Parser {
    let mut parser = vt100::Parser::new(ROWS, COLUMNS, 1000);
    parser.process(&drawn.lock().unwrap());
    parser
}

/// The row of the screen that shows the bar, if it is on screen.
fn bar_row(parser: &vt100::Parser) -> Option<String> {
    parser
        .screen()
        .rows(0, COLUMNS)
        .find(|row| row.contains(" waiting ·"))
}

/// Ctrl-C typed at the terminal; how the program ended, once all it drew is read.
async fn ctrl_c(
    mut child: std::process::Child,
    reader: std::thread::JoinHandle<()>,
) -> std::process::ExitStatus {
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    drop(stdin);
    reader.join().unwrap();
    status
}

/// `command` run by a shell in a pseudo-terminal (util-linux `script`); what it draws is
/// gathered as it comes.
fn in_terminal(
    command: &str,
) -> (
    std::process::Child,
    Arc<Mutex<Vec<u8>>>,
    std::thread::JoinHandle<()>,
) {
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .env("PC_UPGRADE_TOKEN", "terminal-test-token")
        .env("TERM", "xterm")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script runs the program in a pseudo-terminal");
    let drawn = Arc::new(Mutex::new(Vec::new()));
    let mut output = child.stdout.take().unwrap();
    let reader = {
        let drawn = Arc::clone(&drawn);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = output.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                drawn.lock().unwrap().extend_from_slice(&buffer[..read]);
            }
        })
    };
    (child, drawn, reader)
}

/// Partner Center throttles the first call and asks for 17 s: the bar says so and counts
/// down, instead of sitting at `0/20 · … · ETA ?` with no word of why; the rate shows per
/// minute, as the operator gave it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_run_says_partner_center_asked_to_wait_and_how_long() {
    const COUNT: u128 = 20;
    let fleet = (0..COUNT).fold(Fleet::new(), |fleet, n| {
        fleet.customer(Customer::new(customer(n)))
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    server.enqueue(
        pc_upgrade_mock::Operation::CheckEligibility,
        pc_upgrade_mock::MockResponse::throttled(Duration::from_secs(17)),
    );
    let dir = scratch("terminal-throttled");
    let customers = customers_csv(&dir, COUNT);
    let command = format!(
        "stty cols {COLUMNS} rows {ROWS}; exec {BINARY} --base-url {} --rate 600/min \
         eligibility --customers {}",
        server.base_url(),
        customers.display()
    );
    let (child, drawn, reader) = in_terminal(&command);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut waits = Vec::new();
    while waits.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "no word of the wait:\n{}",
            screen(&drawn).screen().contents()
        );
        let row = screen(&drawn)
            .screen()
            .rows(0, COLUMNS)
            .find(|row| row.contains("Partner Center asked to wait"));
        if let Some(row) = row.filter(|row| waits.last() != Some(row)) {
            waits.push(row);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = |row: &str| {
        let (_, after) = row.split_once("asked to wait ").unwrap();
        after
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    assert!((1..=17).contains(&seconds(&waits[0])), "{waits:?}");
    assert!(
        seconds(&waits[1]) < seconds(&waits[0]),
        "it counts down: {waits:?}"
    );
    let status = ctrl_c(child, reader).await;
    assert_eq!(status.code(), Some(130));
    let contents = screen(&drawn).screen().contents();
    assert!(
        contents.contains("600/min") || contents.contains("rate: at most 600/min"),
        "{contents}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bar_moves_fits_the_terminal_and_ctrl_c_leaves_the_way_on() {
    const COUNT: u128 = 100;
    let fleet = (0..COUNT)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(Duration::from_secs(60));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let dir = scratch("terminal");
    let customers = customers_csv(&dir, COUNT);
    let journal = dir.join("journal");
    let command = format!(
        "stty cols {COLUMNS} rows {ROWS}; exec {BINARY} --base-url {} --rate 1000/s \
         upgrade --customers {} --journal {} --yes --poll-interval 1",
        server.base_url(),
        customers.display(),
        journal.display()
    );
    let (child, drawn, reader) = in_terminal(&command);
    // Wait until every upgrade is created and waited for.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        assert!(
            Instant::now() < deadline,
            "no bar waiting on 100 upgrades:\n{}",
            screen(&drawn).screen().contents()
        );
        if let Some(row) = bar_row(&screen(&drawn)).filter(|r| r.contains("100 waiting")) {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let parser = screen(&drawn);
    let second = bar_row(&parser).unwrap();
    let clock = |row: &str| row.split_whitespace().nth(1).unwrap_or_default().to_owned();
    assert_ne!(
        clock(&first),
        clock(&second),
        "the clock stood still:\n{first}\n{second}"
    );
    // No customer is done yet: no time left is worth showing, and none is (it used to
    // read 21 minutes with 21 s to go). The rate is the one in force, as given.
    assert!(
        second.contains("waiting") && !second.contains("ETA") && second.contains("1000.0/s"),
        "{second}"
    );
    // One line: the bar's row holds the whole bar, and the row after it none of it.
    assert!(second.contains("/100") && second.contains('['), "{second}");
    let rows: Vec<String> = parser.screen().rows(0, COLUMNS).collect();
    let at = rows.iter().position(|r| r.contains(" waiting ·")).unwrap();
    let next = rows.get(at + 1).map(String::as_str).unwrap_or_default();
    assert!(
        !next.contains("ETA") && !next.contains("/s"),
        "the bar wrapped:\n{second}\n{next}"
    );

    // Ctrl-C, typed at the terminal.
    let status = ctrl_c(child, reader).await;
    let contents = screen(&drawn).screen().contents();
    assert_eq!(status.code(), Some(130), "{contents}");
    assert!(
        contents.contains("total"),
        "no summary on screen:\n{contents}"
    );
    assert!(contents.contains("interrupted"), "{contents}");
    assert!(
        contents.contains("--journal") && contents.contains("upgrade --customers"),
        "no resume command on screen:\n{contents}"
    );
}
