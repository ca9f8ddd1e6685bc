//! The command line: clap's types for every command and option, and the parsers of their
//! values. What each command does is in `commands/`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::engine::{DEFAULT_MAX_FAILED, MaxFailed};

/// What `--help` says after the options: credentials, rate, exit codes.
const CREDENTIALS: &str = "\
Credentials come from the environment:
  PC_UPGRADE_TOKEN               a ready Partner Center access token, or else
  PC_UPGRADE_TENANT_ID           the partner's tenant
  PC_UPGRADE_CLIENT_ID           the app's client id
  PC_UPGRADE_CLIENT_SECRET       its secret (or PC_UPGRADE_CLIENT_SECRET_FILE)
  PC_UPGRADE_REFRESH_TOKEN       the App+User refresh token of the partner's
                                 consent, or
  PC_UPGRADE_REFRESH_TOKEN_FILE  a file holding it; a rotated refresh token is
                                 written back to this file (without a refresh
                                 token: app-only tokens, which these operations
                                 do not accept)
  PC_UPGRADE_AUTHORITY           the Entra ID authority (default
                                 https://login.microsoftonline.com)

Rate: without --rate, the run finds Partner Center's limits itself, one rate
over all calls until the 429s show a budget per API (eligibility, create,
status): it starts at 2 calls a second (or where the journal's last run left
it), raises the rate while calls succeed and backs off on a 429. --rate sets a
ceiling over all calls, its unit in the value: --rate 5/s, --rate 300/min
(Partner Center quotes limits per minute). The run's first lines say the rate.

Outcomes: what eligibility finds is the customer's outcome, never a failure of
the run: not-applicable (nothing to upgrade: no Azure subscription, 900108;
Azure Partner Shared Services, 900119) needs nothing; not-eligible
(eligibility's reason, or every legacy subscription suspended, 900105) needs
the operator, then `upgrade --only not-eligible`.

Brakes (upgrade) judge the upgrades alone: --max-failed 10% (the default) stops
creating upgrades once more than 10% of the upgrades that ended in this run
failed, or of the creates answered were refused (creates are sent only once
eligibility passed), counted once more than 10 failed; --canary N holds every
create after the first N until those ended. A braked run sends no create once
the answer that trips it is read, follows what is under way, leaves the rest
not started, exits 1, and prints the command that goes on once the cause is
dealt with (and a raised threshold past all it saw, unless 90% or more
failed). A brake that trips once every create was sent held nothing back: the
run exits as its customers ended.

Exit codes: 0 every customer ended well (completed, not applicable, or
eligible; a line naming a customer named before is only reported); 3 some did
not (not eligible, failed, refused, partly moved, not completed yet, to retry
later, a line that names no customer); 1 the run could not go on (the
credentials were refused, the host of --base-url does not exist, the service
did not answer, a file could not be used or written, stdout included, the
journal could not be written, a brake stopped the creates): the same command
resumes once that is fixed; 130 interrupted by Ctrl-C, SIGTERM or a closed
terminal (SIGHUP), the report written (the same command resumes); 2 bad
arguments (a bad value, a --base-url that cannot be one, one file named by two
options, a report over the journal's customers file, a folder that does not
exist), nothing called or written.
RUST_LOG=info (or debug) logs each call with its MS-RequestId and
MS-CorrelationId.";

/// `pc-upgrade`'s command line.
// The doc comments of the options are clap's help text, where a URL is plain text.
#[allow(rustdoc::bare_urls)]
#[derive(Parser, Debug)]
#[command(
    name = "pc-upgrade",
    version,
    about = "Upgrade a fleet of Microsoft CSP customers to the Azure plan (Partner Center product upgrades).",
    after_help = CREDENTIALS,
)]
pub struct Cli {
    /// The Partner Center API [default: https://api.partnercenter.microsoft.com; for
    /// `status`, the run's own].
    #[arg(long, global = true, env = "PC_UPGRADE_BASE_URL")]
    pub base_url: Option<String>,
    /// At most this many calls, with the unit in the value: 5/s, 300/min, 1000/h, 30/10s;
    /// shared by all calls (default: found as the run goes; a 429 pauses the operation it came
    /// on until the service shows one budget for all).
    #[arg(long, global = true, value_name = "CALLS/UNIT", value_parser = rate)]
    pub rate: Option<Rate>,
    /// More to the log on stderr: -v each call (operation, status, attempts, latency,
    /// MS-RequestId, MS-CorrelationId), -vv more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less: no progress, only the summary and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Gone: the unit is in --rate's value (a hidden option, so that an old command line
    /// gets the hint rather than "unexpected argument").
    #[arg(long, global = true, hide = true, value_parser = per_is_gone)]
    pub per: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Tries the tool with no Partner Center account: a fake Partner Center on 127.0.0.1
    /// with 200 customers of every kind, and a real upgrade run against it.
    #[cfg(feature = "demo")]
    #[command(after_help = "Example:\n  pc-upgrade demo")]
    Demo {
        /// Where to keep the customers file, the journal and the report (default: a new
        /// folder under the system's temporary one).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Checks whether each customer can be upgraded.
    #[command(
        after_help = "Example:\n  pc-upgrade eligibility --customers customers.csv --report eligibility.csv"
    )]
    Eligibility {
        /// The customers file and how the run goes over it.
        #[command(flatten)]
        fleet: FleetArgs,
        /// What stdout holds: the summary (text), or the report as one JSON document (its
        /// rows and counts; the summary then goes to stderr).
        #[arg(short, long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Upgrades each customer: eligibility, then create or resume, then wait. A dry run
    /// unless --yes.
    #[command(
        after_help = "Examples:\n  pc-upgrade upgrade --customers customers.csv --journal run.journal          # dry run\n  pc-upgrade upgrade --customers customers.csv --journal run.journal --yes    # for real\n\nRun it again with the same journal after a crash, a kill or a stop: nothing is created\ntwice, and upgrades already created are followed, not created again. One run at a time\nholds a journal."
    )]
    Upgrade {
        /// The customers file and how the run goes over it.
        #[command(flatten)]
        fleet: FleetArgs,
        /// The journal the run writes, and resumes from.
        #[arg(long)]
        journal: PathBuf,
        /// Where to write a CSV with a row per subscription of every upgrade that ended
        /// (moved or not, with the customer's other columns).
        #[arg(long, value_name = "FILE")]
        line_items: Option<PathBuf>,
        /// Create the upgrades; without it, only say what would be done.
        #[arg(long)]
        yes: bool,
        /// Seconds this run follows each upgrade; the next run goes on waiting.
        #[arg(long, default_value = "1800", value_parser = seconds)]
        wait: Duration,
        /// Seconds before an upgrade's first status read (it doubles, up to a minute).
        #[arg(long, default_value = "5", value_parser = seconds)]
        poll_interval: Duration,
        /// Use the journal with another customers file than the one it began with.
        #[arg(long)]
        other_customers: bool,
        /// Run only these customers again: those the journal has as failed, refused,
        /// not-eligible, retry-later, in-progress or pending, or those of a file of ids.
        /// Each chosen one starts over (a new create if it needs one); the journal keeps
        /// its history; the others are left as they are.
        #[arg(long, value_name = "OUTCOME|FILE")]
        only: Option<String>,
        /// Create upgrades for the first N customers only, and no more until those N
        /// upgrades have ended (or were followed for --wait); if more of them failed than
        /// --max-failed allows, stop there. Costs about one upgrade's time.
        #[arg(long, value_name = "N", default_value_t = 0)]
        canary: usize,
        /// Stop creating upgrades once more than N upgrades of this run failed or creates
        /// were refused, or more than P% of the upgrades that ended (or of the creates
        /// answered) once more than 10 failed. Eligibility's findings (not applicable, not
        /// eligible) never count. Upgrades under
        /// way are followed to their end; the customers spared stay not started, and the
        /// same command goes on with them. 100% never stops.
        #[arg(long, value_name = "N|P%", default_value = DEFAULT_MAX_FAILED, value_parser = MaxFailed::parse)]
        max_failed: MaxFailed,
    },
    /// Prints shell completions for pc-upgrade.
    #[command(
        after_help = "Example:\n  pc-upgrade completions bash > /etc/bash_completion.d/pc-upgrade"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints pc-upgrade's manual page (roff).
    #[command(after_help = "Example:\n  pc-upgrade man > pc-upgrade.1 && man ./pc-upgrade.1")]
    Man,
    /// Where every customer of a run stands, from its journal; with --refresh, the live
    /// status of every upgrade still in progress too.
    #[command(
        after_help = "Examples:\n  pc-upgrade status --journal run.journal --report status.json\n  pc-upgrade status --journal run.journal --refresh      # asks Partner Center"
    )]
    Status {
        /// The run's journal.
        #[arg(long)]
        journal: PathBuf,
        /// What stdout holds: the summary (text), or the report as one JSON document (its
        /// rows and counts; the summary then goes to stderr).
        #[arg(short, long, value_enum, default_value = "text")]
        output: Output,
        /// Where to write the report (JSON when it ends in .json, else CSV).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Where to write a CSV with a row per subscription of every upgrade that ended.
        #[arg(long, value_name = "FILE")]
        line_items: Option<PathBuf>,
        /// Read the status of every upgrade still in progress (within the rate limit), and
        /// write down those that ended.
        #[arg(long)]
        refresh: bool,
        /// The product family of the run's upgrades (the status call names it).
        #[arg(long, default_value = "Azure")]
        product_family: String,
        /// Report a damaged journal anyway: its damaged lines are left out and counted
        /// (what they said is lost), and the exit code is at least 3.
        #[arg(long, conflicts_with = "refresh")]
        skip_damaged: bool,
    },
    /// Lists the partner's customers and writes the customers file of those to upgrade.
    ///
    /// Lists every customer, reads the subscriptions of each one the partner is reseller
    /// for and the Microsoft Customer Agreement of each holding a legacy Azure
    /// subscription, and writes a row per such customer: customerId, companyName, domain,
    /// legacySubscriptions, suspendedSubscriptions, resellers (;-separated) and
    /// mcaAccepted (empty when none). `eligibility` and `upgrade` read it as it is. The
    /// file is written whole at the end: Ctrl-C or a failure leaves none.
    #[command(
        after_help = "Example:\n  pc-upgrade discover --out customers.csv\n  pc-upgrade eligibility --customers customers.csv"
    )]
    Discover {
        /// The customers file to write (CSV).
        #[arg(long)]
        out: PathBuf,
        /// Customers a page of the list asks for (Partner Center may give fewer).
        #[arg(long, default_value = "500")]
        page_size: std::num::NonZeroU32,
        /// What stdout holds: the summary (text), or the counts and rows as one JSON
        /// document.
        #[arg(short, long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Checks what moved, from the completed customers' subscriptions.
    ///
    /// Reads the subscriptions of every customer the journal has completed and not yet
    /// verified, and verifies that no legacy Azure subscription is still active and an
    /// Azure plan subscription is. What it finds goes into the journal
    /// (`status` shows it; the next `verify` reads only the customers not verified). Exit
    /// 3 when any is not verified.
    Verify {
        /// The run's journal.
        #[arg(long)]
        journal: PathBuf,
        /// Where to write the report, a row per completed customer: customerId, verified,
        /// legacyActive (;-separated), planSubscriptionId, error, and the customer's own
        /// columns (JSON when it ends in .json, else CSV).
        #[arg(long)]
        report: Option<PathBuf>,
        /// What stdout holds: the summary (text), or the rows as one JSON document.
        #[arg(short, long, value_enum, default_value = "text")]
        output: Output,
    },
}

/// What a command writes to stdout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// The summary and the next step, for a person.
    #[default]
    Text,
    /// The report as one JSON document, for a script (`jq`); nothing else.
    Json,
}

/// The options of the commands that work on a customers file.
#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    /// A CSV with a customerId column (other columns go into the report), or a GUID per line.
    #[arg(long)]
    pub customers: PathBuf,
    /// The product family to upgrade to.
    #[arg(long, default_value = "Azure")]
    pub product_family: String,
    /// The character between a CSV's fields.
    #[arg(long, default_value = ",", value_parser = one_byte)]
    pub delimiter: u8,
    /// HTTP calls in flight at most (the rate limit spaces them).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Where to write the report (JSON when it ends in .json, else CSV).
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// One ASCII character, as a byte.
fn one_byte(text: &str) -> Result<u8, String> {
    match text.as_bytes() {
        [byte] if byte.is_ascii() => Ok(*byte),
        _ => Err(format!("{text:?} is not one ASCII character")),
    }
}

/// A positive, finite number of seconds, at most a day.
fn bounded_seconds(text: &str, max: f64) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(value.is_finite() && value > 0.0 && value <= max) {
        return Err(format!("must be more than 0 and at most {max} seconds"));
    }
    Duration::try_from_secs_f64(value).map_err(|e| e.to_string())
}

/// Seconds, at most a week.
fn seconds(text: &str) -> Result<Duration, String> {
    bounded_seconds(text, 7.0 * 24.0 * 3600.0)
}

/// A rate limit as the operator gave it: `calls` per `per`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Calls in each window.
    pub calls: u32,
    /// The window.
    pub per: Duration,
    /// As given (`20/s`), to say it back.
    pub text: String,
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `5/s`, `300/min`, `1000/h`, `30/10s`: calls, a slash and the window. A bare number is
/// refused: it used to mean calls per `--per` seconds, a minute unless said, which reads as
/// per second (`--rate 20` ran at 20 a minute).
fn rate(text: &str) -> Result<Rate, String> {
    let hint = "give the unit: 5/s, 300/min, 1000/h or 30/10s";
    let Some((calls, unit)) = text.trim().split_once('/') else {
        return Err(format!(
            "{text:?} has no unit ({hint}); a bare number used to mean calls per minute"
        ));
    };
    let calls: u32 = calls
        .trim()
        .parse()
        .ok()
        .filter(|calls| *calls > 0)
        .ok_or_else(|| format!("{calls:?} is not a number of calls, at least 1 ({hint})"))?;
    let per = match unit.trim() {
        "s" | "sec" => Duration::from_secs(1),
        "min" | "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        seconds => match seconds.strip_suffix('s') {
            Some(number) => bounded_seconds(number, 24.0 * 3600.0)?,
            None => return Err(format!("{unit:?} is not a unit ({hint})")),
        },
    };
    Ok(Rate {
        calls,
        per,
        text: text.trim().to_owned(),
    })
}

/// `--per` is gone.
fn per_is_gone(_: &str) -> Result<String, String> {
    Err("--per is gone: the unit is in --rate's value (--rate 20/s, --rate 300/min)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_has_its_unit_in_the_value() {
        for (text, calls, seconds) in [
            ("5/s", 5, 1.0),
            ("300/min", 300, 60.0),
            ("1000/h", 1000, 3600.0),
            ("30/10s", 30, 10.0),
            ("3/0.5s", 3, 0.5),
        ] {
            let rate = rate(text).unwrap();
            assert_eq!(
                (rate.calls, rate.per.as_secs_f64()),
                (calls, seconds),
                "{text}"
            );
            assert_eq!(rate.to_string(), text);
        }
        for bad in ["20", "0/s", "x/s", "5/fortnight", "5/0s", "5/-1s"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        assert!(rate("20").unwrap_err().contains("300/min"));
    }
}
