//! What the tests of the `pc-upgrade` binary share: customers, scratch folders, the binary
//! against a fake on 127.0.0.1, and what the fake was sent.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pc_upgrade_mock::{MockServer, Operation};
use serde_json::Value;
use uuid::Uuid;

pub const BINARY: &str = env!("CARGO_BIN_EXE_pc-upgrade");

pub fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

/// A test's own folder, removed when the test is done with it, kept when it fails (for a
/// look at the journal and report).
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("pc-upgrade-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

pub fn customers_csv(dir: &Path, count: u128) -> PathBuf {
    let path = dir.join("customers.csv");
    let mut text = String::from("customerId,name\n");
    for n in 0..count {
        text.push_str(&format!("{},Customer {n}\n", customer(n)));
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The files of an upgrade run, in a scratch folder of its own: its customers (`count` of
/// them), journal and report.
pub struct Files {
    pub customers: PathBuf,
    pub journal: PathBuf,
    pub report: PathBuf,
    /// Their folder, removed with them.
    _dir: Scratch,
}

impl Files {
    pub fn new(name: &str, count: u128) -> Self {
        let dir = scratch(name);
        Self {
            customers: customers_csv(&dir, count),
            journal: dir.join("journal"),
            report: dir.join("report.json"),
            _dir: dir,
        }
    }

    /// `upgrade --yes` on these files with the default polling, then `extra`.
    pub fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "upgrade",
            "--customers",
            self.customers.to_str().unwrap(),
            "--journal",
            self.journal.to_str().unwrap(),
            "--yes",
            "--report",
            self.report.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args
    }
}

pub fn pc_upgrade(server: &MockServer, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("PC_UPGRADE_TOKEN", "cli-test-token")
        .env_remove("RUST_LOG")
        .args(["--base-url", &server.base_url()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// The rows of a JSON report, by customer.
pub fn report(path: &Path) -> HashMap<String, Value> {
    report_rows(path)
        .into_iter()
        .filter_map(|row| Some((row["customerId"].as_str()?.to_owned(), row)))
        .collect()
}

/// Every row of a JSON report (an object with the run's metadata and its `rows`).
pub fn report_rows(path: &Path) -> Vec<Value> {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(report["tool"], "pc-upgrade", "{report}");
    assert!(report["started"].is_string() && report["finished"].is_string());
    serde_json::from_value(report["rows"].clone()).unwrap()
}

/// Per customer, its creates: the status each was answered with and the `MS-RequestId` it
/// was sent with.
pub fn creates(server: &MockServer) -> HashMap<String, Vec<(u16, String)>> {
    let mut creates: HashMap<String, Vec<(u16, String)>> = HashMap::new();
    for request in server.requests() {
        if request.operation == Some(Operation::CreateProductUpgrade) {
            let customer = request.json().unwrap()["customerId"]
                .as_str()
                .unwrap()
                .to_owned();
            let id = request
                .header("ms-requestid")
                .unwrap_or_default()
                .to_owned();
            creates
                .entry(customer)
                .or_default()
                .push((request.status, id));
        }
    }
    creates
}

/// No customer got two upgrades: at most one create accepted, none refused as a second.
pub fn assert_created_once(server: &MockServer) {
    for (customer, calls) in creates(server) {
        let statuses: Vec<u16> = calls.iter().map(|(status, _)| *status).collect();
        let accepted = statuses.iter().filter(|s| **s == 202).count();
        assert!(accepted <= 1, "{customer}: creates answered {statuses:?}");
        assert!(
            !statuses.contains(&409),
            "{customer}: a second create was refused as a conflict: {statuses:?}"
        );
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a run of `pc-upgrade` in this process ended with.
pub struct Ran {
    /// Its exit code.
    pub code: u8,
    /// What it wrote to stdout.
    pub out: String,
    /// What it wrote to stderr.
    pub err: String,
}

impl Ran {
    /// Both, for a failed assertion's message.
    pub fn both(&self) -> String {
        format!("exit {}\n{}\n{}", self.code, self.out, self.err)
    }
}

/// The command line `pc-upgrade --base-url URL ARGS…`, as typed.
pub fn command_line(server: &MockServer, args: &[&str]) -> Vec<std::ffi::OsString> {
    ["pc-upgrade", "-q", "--base-url", &server.base_url()]
        .iter()
        .chain(args)
        .map(Into::into)
        .collect()
}

/// The environment of a test's run: its token.
pub fn vars(token: &str) -> pc_upgrade::Vars {
    pc_upgrade::Vars::default().with("PC_UPGRADE_TOKEN", token)
}

/// `pc-upgrade ARGS…` run in this process (on this test's clock, paused or not) against
/// `server`, with `vars`; `interrupt` stands for Ctrl-C.
pub async fn in_process_with(
    server: &MockServer,
    args: &[&str],
    vars: pc_upgrade::Vars,
    interrupt: tokio::sync::watch::Receiver<bool>,
) -> Ran {
    invoke(command_line(server, args), vars, interrupt).await
}

/// A command line as typed (the program first), run in this process with the test token,
/// never interrupted.
pub async fn run_args(args: Vec<std::ffi::OsString>) -> Ran {
    run_args_with(args, vars("cli-test-token")).await
}

/// [`run_args`] with these variables.
pub async fn run_args_with(args: Vec<std::ffi::OsString>, vars: pc_upgrade::Vars) -> Ran {
    let (_keep, interrupt) = tokio::sync::watch::channel(false);
    invoke(args, vars, interrupt).await
}

/// [`run_args`], with `interrupt` standing for Ctrl-C.
pub async fn run_args_interrupted(
    args: Vec<std::ffi::OsString>,
    interrupt: tokio::sync::watch::Receiver<bool>,
) -> Ran {
    invoke(args, vars("cli-test-token"), interrupt).await
}

/// The command line `args` (the program first) run in this process.
async fn invoke(
    args: Vec<std::ffi::OsString>,
    vars: pc_upgrade::Vars,
    interrupt: tokio::sync::watch::Receiver<bool>,
) -> Ran {
    let cli = <pc_upgrade::Cli as clap::Parser>::try_parse_from(&args)
        .unwrap_or_else(|error| panic!("{args:?} does not parse: {error}"));
    let (console, captured) = pc_upgrade::Console::captured();
    let invocation = pc_upgrade::Invocation {
        cli,
        args,
        console,
        vars,
        interrupt,
    };
    let code = pc_upgrade::run(invocation).await;
    Ran {
        code,
        out: captured.out(),
        err: captured.err(),
    }
}

/// Words as a command line.
pub fn words(words: &[&str]) -> Vec<std::ffi::OsString> {
    words.iter().map(Into::into).collect()
}

/// `pc-upgrade ARGS…` run in this process, never interrupted.
pub async fn in_process(server: &MockServer, args: &[&str]) -> Ran {
    let (_keep, interrupt) = tokio::sync::watch::channel(false);
    in_process_with(server, args, vars("cli-test-token"), interrupt).await
}
