//! The operator's files survive the operator's slips and the machine: one file named twice is
//! refused before anything is written; a journal torn by a crash or padded by a power loss
//! resumes; a journal that cannot be written stops the run with the command that resumes; a
//! closed or full stdout, or a closed terminal, still leaves the report; the checks come in
//! the order an operator fixes them, a dry run's too.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    BINARY, Scratch, assert_created_once, customer, customers_csv, in_process, in_process_with,
    pc_upgrade, report, run, scratch, text,
};
use pc_upgrade_mock::{Customer, Fleet, MockServer};

fn fleet(count: u128, takes: Duration) -> Fleet {
    (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .upgrades_take(takes)
}

async fn serve(count: u128, takes: Duration) -> MockServer {
    MockServer::builder()
        .fleet(fleet(count, takes))
        .start()
        .await
        .unwrap()
}

/// A run's files in a folder of their own.
struct Files {
    customers: PathBuf,
    journal: PathBuf,
    report: PathBuf,
    dir: Scratch,
}

impl Files {
    fn new(name: &str, count: u128, report: &str) -> Self {
        let dir = scratch(&format!("files-{name}"));
        Self {
            customers: customers_csv(&dir, count),
            journal: dir.join("run.journal"),
            report: dir.join(report),
            dir,
        }
    }

    /// `upgrade --yes` with this journal and `report`, and quick status reads (for the
    /// runs of the binary, on the wall clock).
    fn upgrade<'a>(&'a self, report: &'a Path) -> Vec<&'a str> {
        vec![
            "--rate",
            "100000/s",
            "upgrade",
            "--poll-interval",
            "0.05",
            "--customers",
            self.customers.to_str().unwrap(),
            "--journal",
            self.journal.to_str().unwrap(),
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ]
    }
}

/// `--report run.journal`, one tab-completion away from `--journal run.journal`, would
/// replace the journal; `--report customers.csv` the input. Both are refused with exit 2
/// before any call, however the path is written, and both files stay byte for byte.
#[tokio::test(start_paused = true)]
async fn a_report_over_the_journal_or_the_customers_file_is_refused_before_anything() {
    let server = serve(5, Duration::from_secs(60)).await;
    let files = Files::new("same-file", 5, "report.csv");
    let ran = in_process(&server, &files.upgrade(&files.report)).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    let (journal, customers) = (
        std::fs::read(&files.journal).unwrap(),
        std::fs::read(&files.customers).unwrap(),
    );
    let calls = server.requests().len();
    let roundabout = files.dir.join(".").join("run.journal");
    for (target, what) in [
        (&files.journal, "--journal and --report"),
        (&roundabout, "--journal and --report"),
        (&files.customers, "--customers and --report"),
    ] {
        let ran = in_process(&server, &files.upgrade(target)).await;
        assert_eq!(ran.code, 2, "{}", ran.both());
        assert!(ran.err.contains(what), "{}", ran.err);
        let status = [
            "status",
            "--journal",
            files.journal.to_str().unwrap(),
            "--report",
            target.to_str().unwrap(),
        ];
        if target != &files.customers {
            assert_eq!(in_process(&server, &status).await.code, 2);
        }
    }
    assert_eq!(std::fs::read(&files.journal).unwrap(), journal);
    assert_eq!(std::fs::read(&files.customers).unwrap(), customers);
    assert_eq!(server.requests().len(), calls, "a refused run sent a call");
}

/// A run stopped part-way, its journal then torn in the middle of its last line and padded
/// with 4 KiB of NULs (a crash, then a power loss): the same command says how many bytes it
/// dropped, resumes, completes everyone, and creates nobody twice.
#[tokio::test(start_paused = true)]
async fn a_journal_torn_mid_line_and_padded_with_nuls_resumes_with_no_second_create() {
    const COUNT: u128 = 40;
    let server = serve(COUNT, Duration::from_secs(600)).await;
    let files = Files::new("torn", COUNT, "report.json");
    let args = files.upgrade(&files.report);
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let first = in_process_with(&server, &args, common::vars("cli-test-token"), interrupt);
    let press = async {
        while server.requests().len() < 60 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ctrl_c.send(true).unwrap();
    };
    let (ran, ()) = tokio::join!(first, press);
    assert_eq!(ran.code, 130, "{}", ran.both());
    let mut bytes = std::fs::read(&files.journal).unwrap();
    let last_line = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    bytes.truncate(last_line + 7);
    bytes.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(&files.journal, &bytes).unwrap();

    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.err.contains(&format!("{} bytes", 7 + 4096)),
        "{}",
        ran.err
    );
    let rows = report(&files.report);
    assert_eq!(rows.len(), COUNT as usize);
    assert!(
        rows.values().all(|r| r["outcome"] == "completed"),
        "{rows:?}"
    );
    assert_created_once(&server);
    let journal = std::fs::read(&files.journal).unwrap();
    assert!(!journal.contains(&0), "the NULs are still in the journal");
}

/// A dry run checks the journal's folder as the real run would, so its "run it with --yes"
/// works; credentials come first, before a journal is begun for nothing.
#[tokio::test(start_paused = true)]
async fn a_dry_run_checks_the_journals_folder_and_credentials_come_first() {
    let server = serve(2, Duration::ZERO).await;
    let files = Files::new("order", 2, "report.csv");
    let missing = files.dir.join("no-such-folder").join("run.journal");
    let dry = [
        "upgrade",
        "--customers",
        files.customers.to_str().unwrap(),
        "--journal",
        missing.to_str().unwrap(),
    ];
    let ran = in_process(&server, &dry).await;
    assert_eq!(ran.code, 2, "{}", ran.both());
    assert!(ran.err.contains("does not exist"), "{}", ran.err);
    assert!(server.requests().is_empty(), "a call was sent");

    let (_keep, interrupt) = tokio::sync::watch::channel(false);
    let upgrade = files.upgrade(&files.report);
    let no_credentials = pc_upgrade::Vars::default();
    let ran = in_process_with(&server, &upgrade, no_credentials, interrupt).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    assert!(ran.err.contains("PC_UPGRADE_TOKEN"), "{}", ran.err);
    assert!(
        !files.journal.exists(),
        "a journal was begun without credentials"
    );
}

/// A stdout made afresh for each run.
type StdoutOf = Box<dyn Fn() -> Stdio>;

/// The binary with its stdout a pipe nobody reads (`| head -1` once head is gone) and with
/// it `/dev/full`: no panic, the report written. A reader gone away from the summary is not
/// told of (the exit code the run would have had); a JSON document it cut short, or any
/// stdout on a full disk, exits 1, the full disk with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_or_full_stdout_never_panics_and_the_report_is_written() {
    let server = serve(3, Duration::ZERO).await;
    let files = Files::new("stdout", 3, "report.csv");
    let ran = run(pc_upgrade(&server, &files.upgrade(&files.report))).await;
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    let journal = files.journal.to_str().unwrap();
    let customers = files.customers.to_str().unwrap();
    let status = ["status", "--journal", journal];
    let status_json = ["status", "--journal", journal, "-o", "json"];
    let eligibility_json = ["eligibility", "--customers", customers, "-o", "json"];
    let closed: StdoutOf = Box::new(|| {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    });
    let full: StdoutOf = Box::new(|| Stdio::from(std::fs::File::create("/dev/full").unwrap()));
    let upgrade = files.upgrade(&files.report);
    // (stdout, command, exit code, whether stderr names the failed write)
    let cases: [(&str, &StdoutOf, &[&str], i32, bool); 6] = [
        ("a closed pipe", &closed, &upgrade, 0, false),
        ("a closed pipe", &closed, &status, 0, false),
        ("a closed pipe", &closed, &status_json, 1, false),
        ("/dev/full", &full, &upgrade, 1, true),
        ("/dev/full", &full, &status_json, 1, true),
        ("/dev/full", &full, &eligibility_json, 1, true),
    ];
    for (what, stdout, args, code, said) in cases {
        let _ = std::fs::remove_file(&files.report);
        let mut command = pc_upgrade(&server, args);
        command.stdout(stdout());
        let output = run(command).await;
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "{what} {args:?}: {stderr}");
        assert_eq!(
            output.status.code(),
            Some(code),
            "{what} {args:?}: {stderr}"
        );
        assert_eq!(
            stderr.contains("standard output could not be written"),
            said,
            "{what} {args:?}: {stderr}"
        );
        if args[0] == "upgrade" {
            assert!(files.report.exists(), "{what}: no report");
        }
    }
}

/// Closing the terminal (SIGHUP) ends a run as Ctrl-C does: no new calls, the report and
/// the summary written, exit 130; the same command then completes everyone.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_terminal_writes_the_report_and_the_same_command_resumes() {
    const COUNT: u128 = 30;
    let server = serve(COUNT, Duration::from_secs(1)).await;
    let files = Files::new("hangup", COUNT, "report.json");
    let args = files.upgrade(&files.report);
    let child = pc_upgrade(&server, &args).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.requests().len() < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run did not get going"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let hung_up = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hung_up.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("total"), "no summary");
    assert_eq!(report(&files.report).len(), COUNT as usize);
    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_created_once(&server);
}

/// A journal that can take no more bytes (a file size limit, as a full disk would) stops the
/// run with exit 1, the summary, the report, and the command that resumes; once it can be
/// written again, that command completes everyone with no second create.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_written_stops_the_run_and_the_command_resumes() {
    const COUNT: u128 = 60;
    // How large a whole run's journal and report are, to set the limit between them.
    let sizes = serve(COUNT, Duration::ZERO).await;
    let measure = Files::new("full-measure", COUNT, "report.csv");
    let ran = run(pc_upgrade(&sizes, &measure.upgrade(&measure.report))).await;
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    let size = |path: &Path| std::fs::metadata(path).unwrap().len();
    let (journal_size, report_size) = (size(&measure.journal), size(&measure.report));
    assert!(
        report_size < journal_size * 3 / 4,
        "{report_size} {journal_size}"
    );
    let limit_kib = (report_size + journal_size * 3 / 4) / 2 / 1024;

    let server = serve(COUNT, Duration::ZERO).await;
    let files = Files::new("full", COUNT, "report.csv");
    let args = files.upgrade(&files.report);
    let mut line = format!("ulimit -f {limit_kib}; trap '' XFSZ; exec {BINARY}");
    for arg in common::command_line(&server, &args).iter().skip(1) {
        line.push_str(&format!(" '{}'", arg.to_string_lossy()));
    }
    let mut limited = Command::new("bash");
    limited
        .args(["-c", &line])
        .env("PC_UPGRADE_TOKEN", "cli-test-token")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = run(limited).await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("writing the journal"), "{stderr}");
    assert!(stderr.contains(files.journal.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("Free space"), "{stderr}");
    assert!(stdout.contains("total"), "no summary: {stdout}");
    assert!(files.report.exists(), "no report");
    assert!(size(&files.journal) <= limit_kib * 1024);

    let output = run(pc_upgrade(&server, &args)).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_created_once(&server);
}

/// A customers file as Windows PowerShell 5.1's `Out-File` writes it (UTF-16LE with a BOM,
/// CRLF), and one as Excel's "CSV (Comma delimited)" writes it (Windows-1252): each is read,
/// its encoding named in the run's first lines, its other columns carried into the report.
#[tokio::test(start_paused = true)]
async fn files_from_powershell_and_excel_are_read_and_their_encoding_named() {
    let server = serve(2, Duration::ZERO).await;
    let dir = scratch("files-windows");
    let text = format!(
        "customerId,name\r\n{},Zürich AG\r\n{},Dépôt Sàrl\r\n",
        customer(0),
        customer(1)
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'ü' => 0xFC,
            'é' => 0xE9,
            'ô' => 0xF4,
            'à' => 0xE0,
            c => u8::try_from(c).unwrap(),
        })
        .collect();
    for (name, bytes, encoding) in [
        ("powershell.csv", utf16, "UTF-16LE"),
        ("excel.csv", cp1252, "Windows-1252"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let report_path = dir.join(format!("{name}.json"));
        let args = [
            "eligibility",
            "--customers",
            path.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ];
        let args: Vec<std::ffi::OsString> = ["pc-upgrade", "--base-url", &server.base_url()]
            .iter()
            .chain(&args)
            .map(Into::into)
            .collect();
        let ran = common::run_args_with(args, common::vars("cli-test-token")).await;
        let code = ran.code;
        assert_eq!(code, 0, "{name}: {}", ran.err.clone());
        assert!(
            ran.err.clone().contains(encoding),
            "{name}: {}",
            ran.err.clone()
        );
        let rows = report(&report_path);
        assert_eq!(
            rows[&customer(0).to_string()]["name"],
            "Zürich AG",
            "{name}"
        );
        assert_eq!(
            rows[&customer(1).to_string()]["name"],
            "Dépôt Sàrl",
            "{name}"
        );
    }
}

/// A customer named twice is upgraded once and its second line reported, but that alone does
/// not make the run end badly: exit 0 when every customer completed.
#[tokio::test(start_paused = true)]
async fn a_duplicate_line_is_reported_and_does_not_fail_the_run() {
    let server = serve(2, Duration::ZERO).await;
    let dir = scratch("files-duplicate");
    let customers = dir.join("customers.csv");
    let text = format!(
        "customerId\n{}\n{}\n{}\n",
        customer(0),
        customer(1),
        customer(0)
    );
    std::fs::write(&customers, text).unwrap();
    let (journal, report_path) = (dir.join("run.journal"), dir.join("report.json"));
    let args = [
        "upgrade",
        "--customers",
        customers.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
        "--report",
        report_path.to_str().unwrap(),
    ];
    let ran = in_process(&server, &args).await;
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(ran.out.contains("line 4: customer"), "{}", ran.out);
    let rows = common::report_rows(&report_path);
    assert!(
        rows.iter()
            .any(|r| r["outcome"] == "duplicate" && r["line"] == 4),
        "{rows:?}"
    );
    assert_created_once(&server);
}

/// `status --report`, `--line-items` (with or without `--refresh`) and `verify --report`
/// naming the run's customers file, which the journal names, however the path is written:
/// exit 2 before anything is written, the customers file and the journal byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_verify_never_write_over_the_runs_customers_file() {
    let server = serve(3, Duration::ZERO).await;
    let files = Files::new("status-customers", 3, "report.csv");
    let ran = run(pc_upgrade(&server, &files.upgrade(&files.report))).await;
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    let (customers, journal) = (
        std::fs::read(&files.customers).unwrap(),
        std::fs::read(&files.journal).unwrap(),
    );
    let dotted = files.dir.join(".").join("customers.csv");
    let journal_path = files.journal.to_str().unwrap();
    for target in [files.customers.to_str().unwrap(), dotted.to_str().unwrap()] {
        for args in [
            vec!["status", "--journal", journal_path, "--report", target],
            vec!["status", "--journal", journal_path, "--line-items", target],
            vec![
                "status",
                "--journal",
                journal_path,
                "--refresh",
                "--report",
                target,
            ],
            vec!["verify", "--journal", journal_path, "--report", target],
        ] {
            let output = run(pc_upgrade(&server, &args)).await;
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("the run's customers file"),
                "{args:?}: {stderr}"
            );
            assert_eq!(
                std::fs::read(&files.customers).unwrap(),
                customers,
                "{args:?}"
            );
            assert_eq!(std::fs::read(&files.journal).unwrap(), journal, "{args:?}");
        }
    }
}

/// A customer's `queued` line damaged in the middle of the journal (not a crash's torn end):
/// `status` and `upgrade` exit 1 naming the line and the way on, `upgrade` before any call;
/// `status --skip-damaged` reports the rest, says what it lost, and exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_line_in_the_middle_is_named_never_skipped() {
    let server = serve(4, Duration::ZERO).await;
    let files = Files::new("damaged-middle", 4, "report.csv");
    let ran = run(pc_upgrade(&server, &files.upgrade(&files.report))).await;
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    let journal = std::fs::read_to_string(&files.journal).unwrap();
    let (number, queued) = (journal.lines().enumerate())
        .find(|(_, l)| l.contains(r#""event":"queued""#))
        .unwrap();
    let damaged = journal.replacen(queued, &queued[..queued.len() - 12], 1);
    std::fs::write(&files.journal, &damaged).unwrap();
    let line = format!("line {}", number + 1);
    let journal_path = files.journal.to_str().unwrap();

    let status = run(pc_upgrade(&server, &["status", "--journal", journal_path])).await;
    let said = text(&status.stderr);
    assert_eq!(status.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&line) && said.contains("--skip-damaged"),
        "{said}"
    );

    let calls = server.requests().len();
    let again = run(pc_upgrade(&server, &files.upgrade(&files.report))).await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains(&line),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        server.requests().len(),
        calls,
        "an upgrade called past a damaged journal"
    );
    assert_eq!(std::fs::read_to_string(&files.journal).unwrap(), damaged);

    let skipping = ["status", "--journal", journal_path, "--skip-damaged"];
    let skipped = run(pc_upgrade(&server, &skipping)).await;
    let said = text(&skipped.stderr);
    assert_eq!(skipped.status.code(), Some(3), "{said}");
    assert!(said.contains("left out 1 damaged lines"), "{said}");
    assert!(said.contains(&format!("(lines {})", number + 1)), "{said}");
}
