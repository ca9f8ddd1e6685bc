//! The resume row of `cargo xtask bench --fleet`: the release `pc-upgrade upgrade` killed
//! (SIGINT, as Ctrl-C) 3 s into a run against the runnable fake, then run again to the end,
//! against the same fleet run fresh. The journal of a run killed that early knows no limit
//! (no `429` came yet), so the second run must start no slower than a fresh one: its own
//! makespan within [`TARGET`] of the fresh run's.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use super::scenarios::{Limits, Scenario};

/// The target the files' guard issue sets: the resumed run within 1.3× a fresh one.
const TARGET: f64 = 1.3;

/// When the first run is killed.
const KILLED_AT: Duration = Duration::from_secs(3);

/// Runs the fleet fresh, then killed and resumed; prints the row and says what missed its
/// target, if anything did.
pub(super) fn resume(release: &Path, work: &Path) -> Result<Option<String>> {
    let scenario = Scenario {
        customers: 400,
        takes: 5.0,
        limit: 50,
        told: false,
        target: None,
        limits: Limits::Shared { window: 1 },
        canary: 0,
    };
    let fresh = super::run(release, work, &scenario)?;
    let dir = work.join("resume-400-5-50");
    super::write_fleet(&dir, &scenario)?;
    let log = dir.join("requests.jsonl");
    let (mut fake, url) = super::start_fake(release, &dir, &log)?;
    let killed = kill_at(super::command(release, &dir, &url, &scenario)?, KILLED_AT);
    let resumed =
        killed.and_then(|()| super::measure(super::command(release, &dir, &url, &scenario)?));
    let _ = fake.kill();
    let _ = fake.wait();
    let resumed = resumed?;
    if fresh.exit != Some(0) || resumed.exit != Some(0) {
        bail!("resume row: exits {:?} and {:?}", fresh.exit, resumed.exit);
    }
    let ratio = resumed.makespan / fresh.makespan;
    println!();
    println!(
        "| resume | customers | upgrade takes | limit (calls/s) | killed at | fresh | resumed | resumed / fresh | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| after a kill | {} | {} s | {} | {} s | {:.1} s | {:.1} s | {ratio:.3} | ≤ {TARGET} |",
        scenario.customers,
        scenario.takes,
        scenario.limit,
        KILLED_AT.as_secs(),
        fresh.makespan,
        resumed.makespan,
    );
    Ok((ratio > TARGET).then(|| format!("resume after a kill: {ratio:.2} > {TARGET}")))
}

/// Runs `command` and sends it SIGINT after `after`, as an operator's Ctrl-C; waits for it
/// to end (it writes its report and exits 130).
fn kill_at(mut command: std::process::Command, after: Duration) -> Result<()> {
    let mut child = command.spawn()?;
    std::thread::sleep(after);
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait()?;
    Ok(())
}
