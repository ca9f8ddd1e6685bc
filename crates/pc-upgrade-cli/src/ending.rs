//! How a command ends: the summary, the report, what to do next (a command that works), and
//! the exit code, which `pc-upgrade --help` documents.

use std::ffi::OsString;
use std::path::Path;
use std::time::SystemTime;

use tokio::time::Instant;

use crate::args::Output;
use crate::console::Console;
use crate::engine::{Braked, MaxFailed, Stop};
use crate::report::{self, Row};
use crate::{line_items, summary, utc};

/// Every customer ended well (completed, nothing to upgrade, or eligible).
pub const ALL_WELL: u8 = 0;
/// The run could not go on (credentials, the service down, an unreadable file, a journal
/// that cannot be written), or a brake stopped its creates.
pub const CANNOT_RUN: u8 = 1;
/// The command line cannot be run as given (a bad value; two options naming one file; a
/// folder that does not exist).
pub const BAD_ARGUMENTS: u8 = 2;
/// Some customers did not end well (not eligible, failed, refused, not completed yet, a bad
/// line).
pub const PARTIAL: u8 = 3;
/// Interrupted (Ctrl-C, SIGTERM, or the terminal closed: SIGHUP), with the report written.
pub const INTERRUPTED: u8 = 130;

/// What running the same command again does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rerun {
    /// It resumes from the journal where this run stopped.
    Resumes,
    /// It asks again (eligibility).
    Repeats,
    /// It is a dry run again: `--yes` upgrades.
    DryRun,
}

/// A file to write at the end, what it is, and how.
type Written<'a> = (
    Option<&'a Path>,
    &'static str,
    &'a dyn Fn(&Path) -> anyhow::Result<()>,
);

/// The files a command writes at its end, if asked to.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outputs<'a> {
    /// `--report`.
    pub report: Option<&'a Path>,
    /// `--line-items`.
    pub line_items: Option<&'a Path>,
    /// `--output`: what stdout holds.
    pub stdout: Output,
}

/// A command under way, and what is needed to end it.
pub struct Ending<'a> {
    /// The command's name, for the JSON report.
    pub command: &'static str,
    /// What the same command does again.
    pub rerun: Rerun,
    /// The API it called.
    pub base_url: String,
    /// The command line as typed, for the command that goes on.
    pub args: &'a [OsString],
    /// The command that moves the customers on, when it is not the one typed (`status`
    /// names the `upgrade` that goes on).
    pub goes_on: Option<String>,
    /// Whether the command typed takes `--only` (an `upgrade`'s does, the demo's not).
    pub takes_only: bool,

    /// Where its text goes.
    pub console: &'a Console,
    started: (Instant, SystemTime),
}

impl<'a> Ending<'a> {
    /// A command beginning now.
    pub fn begin(
        command: &'static str,
        rerun: Rerun,
        base_url: &str,
        args: &'a [OsString],
        console: &'a Console,
    ) -> Self {
        Self {
            command,
            rerun,
            base_url: base_url.to_owned(),
            args,
            goes_on: None,
            takes_only: true,

            console,
            started: (Instant::now(), SystemTime::now()),
        }
    }

    fn info(&self) -> report::RunInfo {
        report::RunInfo {
            tool: "pc-upgrade",
            version: env!("CARGO_PKG_VERSION"),
            base_url: self.base_url.clone(),
            command: self.command,
            started: utc::at(self.started.1),
            finished: utc::now(),
        }
    }

    /// Prints the summary, writes the report and the line items, says what to do next; the
    /// exit code.
    pub fn finish(&self, rows: &[Row], outputs: Outputs<'_>, stop: Option<&Stop>) -> u8 {
        let console = self.console;
        // With `--output json`, stdout holds the JSON document alone; the rest goes to stderr.
        let say = |text: &str| match outputs.stdout {
            Output::Text => console.out(text),
            Output::Json => console.err(text),
        };
        if outputs.stdout == Output::Json {
            match report::json_of(rows, &self.info()) {
                Ok(json) => console.out_bytes(&json),
                Err(error) => console.err(&format!("pc-upgrade: no JSON: {error:#}\n")),
            }
        }
        say(&summary::summary(rows, self.started.0.elapsed()));
        // A report that cannot be written (a full disk) is said, and the run still says
        // how it ended and what goes on.
        let mut failed = false;
        let info = self.info();
        let writes: [Written<'_>; 2] = [
            (outputs.report, "report", &|path| {
                report::write(path, rows, &info)
            }),
            (outputs.line_items, "line items", &|path| {
                line_items::write(path, rows)
            }),
        ];
        for (path, what, write) in writes {
            let Some(path) = path else { continue };
            match write(path) {
                Ok(()) => say(&format!("{what}: {}\n", path.display())),
                Err(error) => {
                    failed = true;
                    console.err(&format!("pc-upgrade: no {what}: {error:#}\n"));
                }
            }
        }
        let again = match self.rerun {
            Rerun::Resumes => "run the same command again; it resumes where this run stopped",
            Rerun::Repeats | Rerun::DryRun => "run the same command again",
        };
        match stop {
            // Nothing held back: the run ended as its customers did, which says the rest.
            Some(Stop::Braked(braked)) if braked.spared == 0 => {
                console.err(&nothing_spared(braked))
            }
            Some(stop) => {
                let (code, text) = stopped(stop, again, self.args);
                console.err(&text);
                return code;
            }
            None => {}
        }
        if failed {
            return CANNOT_RUN;
        }
        let command = command_line(self.args);
        let dry_run = self.rerun == Rerun::DryRun;
        let goes_on = self.goes_on.as_deref().unwrap_or(&command);
        // The customers not eligible, once their reason is dealt with: an upgrade run takes
        // them alone again; eligibility and a dry run ask every customer again anyway.
        let not_eligible = match (self.rerun, &self.goes_on) {
            (Rerun::Resumes, None) if self.takes_only => Some(command_line(&with_option(
                self.args,
                "--only",
                "not-eligible",
            ))),
            (Rerun::Resumes, None) => None,
            (Rerun::Resumes, Some(upgrade)) => Some(format!("{upgrade} --only not-eligible")),
            (Rerun::Repeats | Rerun::DryRun, _) => Some(command.clone()),
        };
        let commands = summary::Commands {
            goes_on,
            not_eligible: not_eligible.as_deref(),
        };
        if let Some(next) = summary::next_step(rows, commands, dry_run) {
            say(&format!("{next}\n"));
        }
        let well = rows.iter().all(|r| r.outcome.ended_well());
        if well { ALL_WELL } else { PARTIAL }
    }
}

/// What a run stopped early says, and its exit code: why, whose problem it is, and the
/// command that goes on once it is fixed.
fn stopped(stop: &Stop, again: &str, args: &[OsString]) -> (u8, String) {
    let command = command_line(args);
    match stop {
        Stop::Interrupted => (
            INTERRUPTED,
            format!("pc-upgrade: interrupted. To go on, {again}:\n  {command}\n"),
        ),
        Stop::Caller(cause) => (
            CANNOT_RUN,
            format!(
                "pc-upgrade: stopped: {cause}\n  This is about this tool's set-up (its \
                 credentials, their permissions, --base-url), not about the customers: \
                 nothing final was written down for them. Fix it, then {again}:\n  \
                 {command}\n"
            ),
        ),
        Stop::Down(cause) => (
            CANNOT_RUN,
            format!(
                "pc-upgrade: stopped: {cause}\n  Check the network and --base-url, then \
                 {again}:\n  {command}\n"
            ),
        ),
        Stop::Braked(stopped) => (CANNOT_RUN, braked(stopped, args)),
        Stop::Journal(cause) => (
            CANNOT_RUN,
            format!(
                "pc-upgrade: stopped: {cause}\n  No call was sent that the journal does not \
                 know of. Free space on its disk (or fix the disk), then {again}:\n  \
                 {command}\n"
            ),
        ),
    }
}

/// The longest error text quoted per code (the report has each whole).
const TEXT: usize = 100;

/// What a run a brake stopped says (`--canary`, `--max-failed`): what failed and how
/// often, how many customers it spared, and two commands that work: the same one, which
/// goes on with the customers not started once the cause is dealt with, and the same with
/// the threshold raised, for failures that are expected. `args` is its command line.
fn braked(braked: &Braked, args: &[OsString]) -> String {
    let mut text = summary::wrap(&format!(
        "pc-upgrade: stopped creating upgrades: {}, past {}.",
        braked.judged, braked.brake,
    ));
    text.push_str(&causes(braked));
    let spared = format!(
        "{} customers were spared: nothing was created for them (not started, in the \
         report and the journal). The upgrades already under way were followed to their end.\n  \
         Find the cause first (the report has each customer's error). Once it is dealt \
         with, the same command goes on with the customers not started:",
        braked.spared
    );
    text.push_str(&format!(
        "{}\n    {}\n",
        summary::wrap(&spared),
        command_line(args)
    ));
    match raised(args, braked) {
        Some(raised) => text.push_str(&format!(
            "{}\n    {}\n",
            summary::wrap("Or, if failures like these are expected, raise the threshold:"),
            command_line(&raised)
        )),
        None => text.push_str(&summary::wrap(&format!(
            "Raising the threshold is no way on: {}% of what this run judged failed.\n",
            braked.seen.1
        ))),
    }
    text
}

/// A brake that tripped once every create of the run was sent: it held nothing back, so it
/// offers no command; the summary's next steps are the way on.
fn nothing_spared(braked: &Braked) -> String {
    let mut text = summary::wrap(&format!(
        "pc-upgrade: a brake tripped: {}, past {}, once every create of this run was sent: \
         it held nothing back. The upgrades under way were followed to their end.",
        braked.judged, braked.brake,
    ));
    text.push_str(&causes(braked));
    text
}

/// The failures a brake saw, by error code: the first text of each, how many.
fn causes(braked: &Braked) -> String {
    let mut text = "\nFailures, by error code:\n".to_owned();
    for (code, said, count) in &braked.causes {
        let code = code.as_ref().map_or_else(
            || "no code".to_owned(),
            |code| pc_upgrade_client::shown(&code.to_string(), TEXT),
        );
        let said = pc_upgrade_client::shown(said, TEXT);
        text.push_str(&format!("    {code} (×{count}): {said}\n"));
    }
    text
}

/// `args` with `--max-failed` past all the run saw, the upgrades that ended after the brake
/// included (a threshold at the share seen would brake again at once): a share 10 points
/// above the largest seen, or twice the customers failed. None when the share is 90% or
/// more: raising it would only let the failure spread.
fn raised(args: &[OsString], braked: &Braked) -> Option<Vec<OsString>> {
    let (failed, percent) = braked.seen;
    if percent >= 90 {
        return None;
    }
    let value = match braked.max_failed {
        MaxFailed::Percent(_) => format!("{}%", percent + 10),
        MaxFailed::Count(_) => (failed * 2).to_string(),
    };
    Some(with_option(args, "--max-failed", &value))
}

/// `args` with the option `name` given `value`, in place of any value it had.
fn with_option(args: &[OsString], name: &str, value: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len() + 2);
    let mut skip = false;
    let joined = format!("{name}=");
    for arg in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        match arg.to_str() {
            Some(other) if other == name => skip = true,
            Some(other) if other.starts_with(&joined) => {}
            _ => out.push(arg.clone()),
        }
    }
    out.push(name.into());
    out.push(value.into());
    out
}

/// The command line as typed, quoted for a shell: the command that resumes the run.
pub fn command_line(args: &[OsString]) -> String {
    args.iter()
        .map(|arg| quoted(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` as a shell reads it: as is when plain, else in single quotes.
pub fn quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// An `upgrade` command line, as a shell takes it: the next step of `status` and of
/// `eligibility`.
pub struct Upgrade<'a> {
    /// The program as typed (`pc-upgrade` when not known).
    pub program: Option<&'a OsString>,
    /// The API, named when it is not Partner Center's own.
    pub base_url: Option<&'a str>,
    /// The customers file.
    pub customers: &'a Path,
    /// Its delimiter, named when it is not a comma.
    pub delimiter: char,
    /// The journal.
    pub journal: &'a Path,
    /// `--yes`: for real, not a dry run.
    pub yes: bool,
}

impl std::fmt::Display for Upgrade<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let program = self.program.map(|p| p.to_string_lossy());
        f.write_str(&quoted(program.as_deref().unwrap_or("pc-upgrade")))?;
        let default = pc_upgrade_client::DEFAULT_BASE_URL;
        if let Some(url) = self.base_url.filter(|url| *url != default) {
            write!(f, " --base-url {}", quoted(url))?;
        }
        write!(
            f,
            " upgrade --customers {}",
            quoted(&self.customers.to_string_lossy())
        )?;
        if self.delimiter != ',' {
            write!(f, " --delimiter {}", quoted(&self.delimiter.to_string()))?;
        }
        write!(f, " --journal {}", quoted(&self.journal.to_string_lossy()))?;
        if self.yes {
            f.write_str(" --yes")?;
        }
        Ok(())
    }
}
