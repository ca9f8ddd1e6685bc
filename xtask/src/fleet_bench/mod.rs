//! `cargo xtask bench --fleet`: the release `pc-upgrade` against the runnable fake, for
//! fleets whose upgrades take time, with makespan against the rate-limit bound, calls per
//! customer, 429s, the tool's CPU time per customer and its peak RSS.
//!
//! The bound: every customer needs eligibility, a create and one status read at least, and
//! its upgrade takes D from its create, so no run at R calls a second ends before
//! max(3N/R, 2N/R + D). The fake's tenant limit is R in windows of one second, or shaped as
//! Microsoft describes its limits (`Limits`: per-minute windows, a budget per API, a limit
//! that moves, a token bucket), each with its own bound; `discovery.rs` adds the row of
//! `pc-upgrade discover`, against its own bound, and `resume.rs` that of a run killed 3 s
//! in and run again, against a fresh run. The large
//! fleets run on a scaled clock (R × 10, D / 10), which keeps the bound's shape and runs
//! in minutes.

mod discovery;
mod resume;
mod scenarios;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use scenarios::{SCENARIOS, Scenario};

/// What one run measured.
struct Measured {
    makespan: f64,
    calls: usize,
    throttled: usize,
    cpu: f64,
    peak_rss_kib: u64,
    exit: Option<i32>,
}

/// Runs every scenario (or only those of at most `max_customers`) and prints a table.
///
/// # Errors
/// When the binaries cannot be built or run, or a run does not complete every customer.
pub fn fleet(root: &Path, max_customers: usize) -> Result<()> {
    let (release, work) = binaries(root)?;
    println!(
        "| customers | upgrade takes | limit (calls/s) | limits | --rate | makespan | bound | makespan / bound | target | calls / customer | 429s | CPU / customer | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut missed = Vec::new();
    for scenario in SCENARIOS.iter().filter(|s| s.customers <= max_customers) {
        let measured = run(&release, &work, scenario)?;
        let n = scenario.customers as f64;
        let bound = scenario.bound();
        let ratio = measured.makespan / bound;
        // A canary may cost one upgrade's duration over the bound.
        let target = match scenario.canary {
            0 => scenario.target,
            _ => Some((bound + scenario.takes) / bound),
        };
        if measured.exit != Some(0) {
            missed.push(format!(
                "{} customers: exit {:?}",
                scenario.customers, measured.exit
            ));
        }
        if let Some(target) = target
            && ratio > target
        {
            missed.push(format!(
                "{} customers, {} s upgrades: {ratio:.2} > {target}",
                scenario.customers, scenario.takes
            ));
        }
        println!(
            "| {} | {} s | {} | {} | {} | {:.1} s | {:.1} s | {:.3} | {} | {:.2} | {} ({:.2} %) | {:.0} µs | {:.1} MB |",
            scenario.customers,
            scenario.takes,
            scenario.limit,
            scenario.limits.name(),
            scenario.rate_column(),
            measured.makespan,
            bound,
            ratio,
            target.map_or("–".to_owned(), |t| format!("≤ {t:.2}")),
            measured.calls as f64 / n,
            measured.throttled,
            100.0 * measured.throttled as f64 / measured.calls.max(1) as f64,
            measured.cpu / n * 1e6,
            measured.peak_rss_kib as f64 / 1024.0,
        );
    }
    if let Some(discovery) =
        discovery::discovery(&release, &work, DISCOVERED.min(max_customers), 20)?
    {
        missed.push(discovery);
    }
    if let Some(resume) = resume::resume(&release, &work)? {
        missed.push(resume);
    }
    if !missed.is_empty() {
        bail!("targets missed: {}", missed.join("; "));
    }
    Ok(())
}

/// `cargo xtask bench --resume`: the resume row alone.
///
/// # Errors
/// When the binaries cannot be built or run, or the row misses its target.
pub fn resume(root: &Path) -> Result<()> {
    let (release, work) = binaries(root)?;
    match resume::resume(&release, &work)? {
        Some(missed) => bail!("target missed: {missed}"),
        None => Ok(()),
    }
}

/// `cargo xtask bench --discover`: the discovery row alone.
///
/// # Errors
/// When the binaries cannot be built or run, or the row misses its target.
pub fn discover(root: &Path) -> Result<()> {
    let (release, work) = binaries(root)?;
    match discovery::discovery(&release, &work, DISCOVERED, 20)? {
        Some(missed) => bail!("target missed: {missed}"),
        None => Ok(()),
    }
}

/// Builds the release `pc-upgrade` and `pc-upgrade-mock`: where they are, and where the
/// runs keep their files.
fn binaries(root: &Path) -> Result<(PathBuf, PathBuf)> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "--quiet"])
        .args(["-p", "pc-upgrade-cli", "-p", "pc-upgrade-mock", "--bins"])
        .current_dir(root)
        .status()
        .context("building the release binaries")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let target = crate::measure::target_dir(root);
    Ok((target.join("release"), target.join("fleet-bench")))
}

/// Customers in the partner's list of the discovery row.
const DISCOVERED: usize = 1_000;

fn run(release: &Path, work: &Path, scenario: &Scenario) -> Result<Measured> {
    let shape: String = scenario
        .limits
        .name()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dir = work.join(format!(
        "{}-{}-{}-{}-{shape}",
        scenario.customers,
        scenario.takes,
        scenario.limit,
        scenario.rate_column().replace(' ', "-"),
    ));
    write_fleet(&dir, scenario)?;
    let log = dir.join("requests.jsonl");
    let (mut fake, url) = start_fake(release, &dir, &log)?;
    let measured = if url.starts_with("http://") {
        measure(command(release, &dir, &url, scenario)?)
    } else {
        Err(anyhow::anyhow!("the fake did not start"))
    };
    let _ = fake.kill();
    let _ = fake.wait();
    let mut measured = measured?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    measured.calls = text.lines().count();
    measured.throttled = text
        .lines()
        .filter(|l| l.contains("\"status\":429"))
        .count();
    Ok(measured)
}

/// A folder of its own (emptied) for `scenario`'s fleet: the fake's `fleet.json` and the
/// run's `customers.csv`.
fn write_fleet(dir: &Path, scenario: &Scenario) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let ids: Vec<String> = (0..scenario.customers)
        .map(|n| format!("00000000-0000-4000-8000-{n:012x}"))
        .collect();
    let fleet = serde_json::json!({
        "throttle": scenario.limits.throttle(scenario.limit),
        "upgradeTakesMs": (scenario.takes * 1000.0) as u64,
        "customers": ids.iter().map(|id| serde_json::json!({"customerId": id})).collect::<Vec<_>>(),
    });
    std::fs::write(dir.join("fleet.json"), fleet.to_string())?;
    std::fs::write(
        dir.join("customers.csv"),
        format!("customerId\n{}\n", ids.join("\n")),
    )?;
    Ok(())
}

/// Starts the release fake on the fleet of `dir`'s `fleet.json`, logging every request to
/// `log`: the process, and the URL it printed (empty when it did not start).
fn start_fake(release: &Path, dir: &Path, log: &Path) -> Result<(std::process::Child, String)> {
    let mut fake = Command::new(release.join("pc-upgrade-mock"))
        .arg("--fleet")
        .arg(dir.join("fleet.json"))
        .arg("--log")
        .arg(log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting pc-upgrade-mock")?;
    let mut url = String::new();
    if let Some(stdout) = fake.stdout.take() {
        BufReader::new(stdout).read_line(&mut url)?;
    }
    Ok((fake, url.trim().to_owned()))
}

/// The `pc-upgrade upgrade --yes` of `scenario`, its files in `dir`, against the fake at `url`.
fn command(release: &Path, dir: &Path, url: &str, scenario: &Scenario) -> Result<Command> {
    let mut command = Command::new(release.join("pc-upgrade"));
    command
        .env("PC_UPGRADE_TOKEN", "bench")
        .env_remove("RUST_LOG");
    command.args(["--base-url", url]);
    if scenario.told {
        command.args(["--rate", &format!("{}/s", scenario.limit)]);
    }
    command
        .args(["upgrade", "--yes", "--customers"])
        .arg(dir.join("customers.csv"))
        .arg("--journal")
        .arg(dir.join("journal"))
        .arg("--report")
        .arg(dir.join("report.json"));
    if scenario.canary > 0 {
        command.args(["--canary", &scenario.canary.to_string()]);
    }
    command
        .stdout(std::fs::File::create(dir.join("stdout"))?)
        .stderr(std::fs::File::create(dir.join("stderr"))?);
    Ok(command)
}

/// Runs the command to its end: wall time, and its CPU time and peak RSS read from /proc
/// every 20 ms (so up to 20 ms of CPU at the very end goes unseen).
fn measure(mut command: Command) -> Result<Measured> {
    let ticks = clock_ticks();
    let started = Instant::now();
    let mut child = command.spawn().context("starting pc-upgrade")?;
    let proc_dir = PathBuf::from(format!("/proc/{}", child.id()));
    let (mut cpu, mut peak) = (0.0, 0);
    let status = loop {
        if let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat"))
            && let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest)
        {
            let fields: Vec<&str> = after.split_whitespace().collect();
            // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name.
            let time = |i: usize| {
                fields
                    .get(i)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            cpu = f64::max(cpu, (time(11) + time(12)) / ticks);
        }
        if let Ok(status) = std::fs::read_to_string(proc_dir.join("status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib = line.split_whitespace().nth(1).and_then(|v| v.parse().ok());
            peak = peak.max(kib.unwrap_or(0));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Measured {
        makespan: started.elapsed().as_secs_f64(),
        calls: 0,
        throttled: 0,
        cpu,
        peak_rss_kib: peak,
        exit: status.code(),
    })
}

/// Clock ticks per second of /proc's times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
