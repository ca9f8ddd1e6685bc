//! `cargo xtask bench`: each benchmark against its baseline from the same criterion run,
//! as a ratio of medians (the table of BENCHMARKS.md).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::target_dir;

/// A measured pair: a subject and the baseline it is compared with, in the same run.
struct Pair {
    group: &'static str,
    subject: &'static str,
    baseline: &'static str,
    /// The target ratio, if the issue sets one.
    target: Option<f64>,
}

const PAIRS: &[Pair] = &[
    Pair {
        group: "status_call",
        subject: "pc_upgrade_client",
        baseline: "plain_reqwest",
        target: Some(1.05),
    },
    Pair {
        group: "status_call",
        subject: "pc_upgrade_client",
        baseline: "plain_reqwest_with_timeout",
        target: Some(1.05),
    },
    Pair {
        group: "create_call",
        subject: "pc_upgrade_client",
        baseline: "plain_reqwest",
        target: Some(1.05),
    },
    Pair {
        group: "create_call",
        subject: "pc_upgrade_client",
        baseline: "plain_reqwest_with_timeout",
        target: Some(1.05),
    },
    Pair {
        group: "status_deserialize",
        subject: "pc_upgrade_types",
        baseline: "hand_written",
        target: Some(1.10),
    },
    Pair {
        group: "status_serialize",
        subject: "pc_upgrade_types",
        baseline: "hand_written",
        target: None,
    },
    Pair {
        group: "generate",
        subject: "both_files",
        baseline: "parse_spec",
        target: None,
    },
];

/// The median time, in nanoseconds, criterion estimated for one benchmark of the last run.
fn median_ns(root: &Path, group: &str, function: &str) -> Result<f64> {
    let path = target_dir(root)
        .join("criterion")
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    json["median"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("no median in {}", path.display()))
}

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Runs the benchmarks `runs` times and prints, per pair, each run's ratio and their median.
pub fn bench(root: &Path, runs: usize) -> Result<()> {
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); PAIRS.len()];
    let mut last: Vec<(f64, f64)> = vec![(0.0, 0.0); PAIRS.len()];
    for run in 1..=runs {
        eprintln!("run {run} of {runs}: cargo bench -p pc-upgrade-conformance --bench overhead");
        // Criterion's report goes to stderr; stdout is left to the table.
        let status = Command::new(env!("CARGO"))
            .current_dir(root)
            .args([
                "bench",
                "-p",
                "pc-upgrade-conformance",
                "--bench",
                "overhead",
            ])
            .stdout(std::io::stderr())
            .status()?;
        if !status.success() {
            bail!("cargo bench failed");
        }
        for (i, pair) in PAIRS.iter().enumerate() {
            let subject = median_ns(root, pair.group, pair.subject)?;
            let baseline = median_ns(root, pair.group, pair.baseline)?;
            ratios[i].push(subject / baseline);
            last[i] = (subject, baseline);
        }
    }
    println!(
        "| benchmark | baseline | subject / baseline, per run | median ratio | target | last run (subject, baseline) |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, pair) in PAIRS.iter().enumerate() {
        let mut sorted = ratios[i].clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let per_run: Vec<String> = ratios[i].iter().map(|r| format!("{r:.3}")).collect();
        let target = match pair.target {
            Some(t) if median <= t => format!("≤ {t:.2} met"),
            Some(t) => format!("≤ {t:.2} **missed by {:.1} %**", (median / t - 1.0) * 100.0),
            None => "–".to_owned(),
        };
        println!(
            "| {}/{} | {} | {} | **{median:.3}** | {target} | {}, {} |",
            pair.group,
            pair.subject,
            pair.baseline,
            per_run.join(", "),
            human(last[i].0),
            human(last[i].1),
        );
    }
    Ok(())
}
