//! The discovery row of `cargo xtask bench --fleet`: the release `pc-upgrade discover`
//! against the runnable fake, over a partner's list shaped like a real one (six customers
//! in ten hold no Azure subscription, one in ten is an advisor's, the rest legacy Azure),
//! paged at most 500 a page and ending with the `400` code 2000, each API limited to R
//! calls a second, the rate found (no `--rate`).
//!
//! The bound: every customer the partner is reseller for needs one read of its
//! subscriptions, at R a second on that API; the list's pages and the MCA reads go on APIs
//! of their own. No run ends before resellers / R.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::Result;
use serde_json::json;

/// The target the issue sets: makespan within 1.3× the bound.
const TARGET: f64 = 1.3;

/// Runs the discovery of `customers` at `limit` calls a second per API, prints its table,
/// and says what missed its target, if anything did.
pub(super) fn discovery(
    release: &Path,
    work: &Path,
    customers: usize,
    limit: u32,
) -> Result<Option<String>> {
    let dir = work.join(format!("discover-{customers}-{limit}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let scripts: Vec<serde_json::Value> = (0..customers).map(script).collect();
    let resellers = (0..customers).filter(|n| n % 10 != 6).count();
    let fleet = json!({
        "throttle": {"limit": limit, "windowMs": 1000, "scope": "perOperation"},
        "listing": {"maxPageSize": 500, "end": "error2000"},
        "customers": scripts,
    });
    std::fs::write(dir.join("fleet.json"), fleet.to_string())?;
    let log = dir.join("requests.jsonl");
    let (mut fake, url) = super::start_fake(release, &dir, &log)?;
    let mut command = Command::new(release.join("pc-upgrade"));
    command
        .env("PC_UPGRADE_TOKEN", "bench")
        .env_remove("RUST_LOG")
        .args(["--base-url", url.as_str(), "-q", "discover", "--out"])
        .arg(dir.join("customers.csv"))
        .stdout(std::fs::File::create(dir.join("stdout"))?)
        .stderr(std::fs::File::create(dir.join("stderr"))?);
    let measured = super::measure(command);
    let _ = fake.kill();
    let _ = fake.wait();
    let measured = measured?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut reads: HashMap<String, usize> = HashMap::new();
    let (mut calls, mut throttled) = (0, 0);
    for line in text.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        calls += 1;
        throttled += usize::from(record["status"] == 429);
        if record["operation"] == "get_customer_subscriptions" && record["status"] == 200 {
            let path = record["path"].as_str().unwrap_or_default().to_owned();
            *reads.entry(path).or_default() += 1;
        }
    }
    let twice = reads.values().filter(|count| **count > 1).count();
    let bound = resellers as f64 / f64::from(limit);
    let ratio = measured.makespan / bound;
    println!();
    println!(
        "| discovery: customers listed | their reseller's | limit per API (calls/s) | makespan | bound | makespan / bound | target | subscriptions reads / customer | read twice | calls | 429s | CPU / customer | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {customers} | {resellers} | {limit} | {:.1} s | {bound:.1} s | {ratio:.3} | ≤ {TARGET} | {:.2} | {twice} | {calls} | {throttled} ({:.2} %) | {:.0} µs | {:.1} MB |",
        measured.makespan,
        reads.values().sum::<usize>() as f64 / resellers.max(1) as f64,
        100.0 * throttled as f64 / calls.max(1) as f64,
        measured.cpu / customers as f64 * 1e6,
        measured.peak_rss_kib as f64 / 1024.0,
    );
    let missed = match (measured.exit, ratio > TARGET, twice) {
        (Some(0), false, 0) => None,
        (exit, _, _) => Some(format!(
            "discovery of {customers}: exit {exit:?}, {ratio:.2} (≤ {TARGET}), {twice} read twice"
        )),
    };
    Ok(missed)
}

/// Customer `n` of the list: six in ten hold Microsoft 365 alone, one in ten is an
/// advisor's, the rest a legacy Azure subscription from one of four resellers.
fn script(n: usize) -> serde_json::Value {
    let id = format!("00000000-0000-4000-8000-{n:012x}");
    let profile = |relationship: &str| {
        json!({"companyName": format!("Customer {n}"), "domain": format!("c{n}.example"),
               "relationship": relationship})
    };
    let subscription = |offer: &str| {
        json!({"id": format!("00000000-0000-5eb5-0000-{n:012x}"), "offerId": offer,
               "partnerId": format!("reseller-{}", n % 4)})
    };
    match n % 10 {
        0..=5 => json!({"customerId": id, "profile": profile("reseller"),
                        "subscriptions": [subscription("CFQ7TTC0LH18:0001")]}),
        6 => json!({"customerId": id, "profile": profile("advisor")}),
        _ => json!({"customerId": id, "profile": profile("reseller"),
                    "subscriptions": [subscription("MS-AZR-0145P")]}),
    }
}
