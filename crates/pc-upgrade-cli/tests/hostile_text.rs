//! A service whose failure and line-item texts carry a spreadsheet formula, a bidi override,
//! a zero-width space and an ANSI escape: the binary shows none of them raw on its terminal
//! (progress lines, summary, brake message), and no cell of its CSV report or line-items
//! file begins with a character Excel reads as a formula; the JSON report keeps the text as
//! the service sent it.

mod common;

use common::{customer, customers_csv, pc_upgrade, run, scratch, text};
use pc_upgrade_mock::{Customer, Fleet, MockServer};

/// The hostile text: a formula first, then characters that reorder, hide or colour text.
const HOSTILE: &str =
    "=HYPERLINK(\"http://evil.example\",\"fix\")\u{202e}gnp.exe\u{200b}\u{1b}[31mred";

/// What must never reach a terminal or a cell raw.
const RAW: [char; 3] = ['\u{202e}', '\u{200b}', '\u{1b}'];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_server_text_is_escaped_on_the_terminal_and_in_every_cell() {
    const COUNT: u128 = 40;
    let fleet = (0..COUNT).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n)).subscriptions(2);
        fleet.customer(match n % 2 {
            0 => script.fails_with(900_120, HOSTILE),
            _ => script.subscription_not_moved(2, "+cmd|' /C calc'!A0", HOSTILE),
        })
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let dir = scratch("hostile-text");
    let customers = customers_csv(&dir, COUNT);
    let (journal, report, lines) = (
        dir.join("run.journal"),
        dir.join("report.csv"),
        dir.join("lines.csv"),
    );
    let args = [
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
        "--report",
        report.to_str().unwrap(),
        "--line-items",
        lines.to_str().unwrap(),
    ];
    let output = run(pc_upgrade(&server, &args)).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    // Half the upgrades fail: the brake trips, and its message quotes the text too.
    assert!(stderr.contains("Failures, by error code"), "{stderr}");
    assert!(
        stderr.contains("HYPERLINK"),
        "the text is shown, escaped: {stderr}"
    );
    for (what, shown) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!shown.contains(RAW), "{what} shows raw text:\n{shown}");
    }
    for file in [&report, &lines] {
        let mut reader = csv::Reader::from_path(file).unwrap();
        let mut cells = 0;
        for record in reader.records() {
            for cell in &record.unwrap() {
                cells += 1;
                assert!(!cell.contains(RAW), "{}: {cell:?}", file.display());
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "{}: a formula cell {cell:?}",
                    file.display()
                );
            }
        }
        assert!(cells > 0, "{} is empty", file.display());
    }
    let json = dir.join("report.json");
    let status = [
        "status",
        "--journal",
        journal.to_str().unwrap(),
        "--report",
        json.to_str().unwrap(),
    ];
    let output = run(pc_upgrade(&server, &status)).await;
    assert!(!text(&output.stderr).contains(RAW) && !text(&output.stdout).contains(RAW));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let ended_badly = rows
        .iter()
        .filter(|row| matches!(row["outcome"].as_str(), Some("failed" | "partly-moved")))
        .count();
    let kept = rows
        .iter()
        .filter(|row| row["detail"].as_str().is_some_and(|d| d.contains(HOSTILE)))
        .count();
    // Failed upgrades and subscriptions not moved alike (how many ran before the brake
    // depends on the machine's pace).
    assert!(ended_badly > 0);
    assert_eq!(kept, ended_badly, "the JSON report keeps the failure text");
}
