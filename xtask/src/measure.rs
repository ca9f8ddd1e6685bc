//! `cargo xtask bench` and `cargo xtask footprint`: the figures of BENCHMARKS.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

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

pub(crate) fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

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

/// Instructions per call, counted by callgrind: a fixed number of calls through the client and
/// through plain reqwest (same headers, body and timeout), minus a run that only starts the
/// fake service. Needs `valgrind` on the PATH.
pub fn instructions(root: &Path, calls: usize) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "pc-upgrade-conformance",
            "--example",
            "call_instructions",
        ])
        .status()?;
    if !status.success() {
        bail!("building the call_instructions example failed");
    }
    let program = target_dir(root).join("release/examples/call_instructions");
    let count = |mode: &str, operation: &str| -> Result<f64> {
        let out = std::env::temp_dir().join(format!("pc-upgrade-callgrind-{mode}-{operation}"));
        let output = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&program)
            .args([mode, operation, &calls.to_string()])
            .output()
            .context("running valgrind (is it installed?)")?;
        let _ = std::fs::remove_file(&out);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let collected = stderr
            .lines()
            .find_map(|line| line.split("Collected :").nth(1))
            .with_context(|| format!("no instruction count from callgrind: {stderr}"))?;
        Ok(collected.trim().parse::<f64>()?)
    };
    println!("| operation | plain reqwest, instructions per call | pc-upgrade-client | ratio |");
    println!("|---|---|---|---|");
    for operation in ["status", "create"] {
        let idle = count("none", operation)?;
        let plain = (count("plain", operation)? - idle) / calls as f64;
        let client = (count("client", operation)? - idle) / calls as f64;
        println!(
            "| {operation} | {:.1} K | {:.1} K | **{:.3}** |",
            plain / 1e3,
            client / 1e3,
            client / plain
        );
    }
    Ok(())
}

/// The crates in a package's normal dependency tree (the package itself excluded), as
/// `cargo tree -e normal` lists them: `name vX.Y.Z`, so that two versions of a crate count
/// twice.
pub fn dependencies(root: &Path, package: &str) -> Result<BTreeSet<String>> {
    dependencies_with(root, package, &[])
}

/// [`dependencies`] with extra cargo arguments (features).
pub fn dependencies_with(
    root: &Path,
    package: &str,
    features: &[&str],
) -> Result<BTreeSet<String>> {
    let mut args = vec![
        "-p", package, "-e", "normal", "--prefix", "none", "-f", "{p}",
    ];
    args.extend_from_slice(features);
    Ok(cargo_tree(root, &args)?
        .lines()
        .map(|line| {
            line.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|entry| !entry.is_empty() && entry.split(' ').next() != Some(package))
        .collect())
}

/// Whether a [`dependencies`] set holds a crate of that name, in any version.
pub fn has_crate(crates: &BTreeSet<String>, name: &str) -> bool {
    crates
        .iter()
        .any(|entry| entry.split(' ').next() == Some(name))
}

/// The footprint table: crates in the normal dependency tree and, unless `build` is false, a
/// clean debug build of the package in a fresh target directory. The client is measured with
/// each TLS provider.
pub fn footprint(root: &Path, build: bool) -> Result<()> {
    println!("| package | crates in its normal dependency tree | clean debug build |");
    println!("|---|---|---|");
    let ring: &[&str] = &["--no-default-features", "--features", "ring"];
    let rows: [(&str, &str, &[&str]); 4] = [
        ("pc-upgrade-types", "pc-upgrade-types", &[]),
        (
            "pc-upgrade-client",
            "pc-upgrade-client (aws-lc-rs, default)",
            &[],
        ),
        ("pc-upgrade-client", "pc-upgrade-client (ring)", ring),
        ("xtask", "xtask", &[]),
    ];
    for (package, label, features) in rows {
        let crates = dependencies_with(root, package, features)?.len();
        let time = if build {
            let dir = std::env::temp_dir().join(format!("pc-upgrade-footprint-{package}"));
            let _ = std::fs::remove_dir_all(&dir);
            let started = Instant::now();
            let status = Command::new(env!("CARGO"))
                .current_dir(root)
                .env("CARGO_TARGET_DIR", &dir)
                .args(["build", "--quiet", "--locked", "-p", package])
                .args(features)
                .status()?;
            let elapsed = started.elapsed();
            let _ = std::fs::remove_dir_all(&dir);
            if !status.success() {
                bail!("cargo build -p {package} {features:?} failed");
            }
            format!("{:.1} s", elapsed.as_secs_f64())
        } else {
            "not measured".to_owned()
        };
        println!("| {label} | {crates} | {time} |");
    }
    Ok(())
}

/// A crate that `cargo xtask` and `cargo test --workspace` would build with different
/// features, so with both commands run one after the other, twice.
#[derive(Debug, PartialEq, Eq)]
pub struct Unshared {
    /// Name and version, as `cargo tree` prints them.
    pub package: String,
    /// The feature sets of the `cargo xtask` build (one per host or target use).
    pub xtask: BTreeSet<String>,
    /// The feature sets of the `cargo test --workspace` build.
    pub test: BTreeSet<String>,
}

/// Every crate that `cargo xtask` (`cargo run --bin xtask`, which resolves features for the
/// normal and build dependencies of all members) builds with other features than
/// `cargo test --workspace` (which adds the dev-dependencies); empty when the README's two
/// set-up commands share one build. Read from `cargo tree`, so it costs no compilation.
///
/// # Errors
/// When `cargo tree` fails or prints what this does not understand.
pub fn unshared_features(root: &Path) -> Result<Vec<Unshared>> {
    let (run, members) = resolved_features(root, "normal,build")?;
    let (test, _) = resolved_features(root, "normal,build,dev")?;
    let Some(built) = members.get("xtask") else {
        bail!("cargo tree --workspace printed no tree for xtask");
    };
    Ok(built
        .iter()
        .filter(|package| run.get(*package) != test.get(*package))
        .map(|package| Unshared {
            package: package.clone(),
            xtask: run.get(package).cloned().unwrap_or_default(),
            test: test.get(package).cloned().unwrap_or_default(),
        })
        .collect())
}

type FeatureSets = BTreeMap<String, BTreeSet<String>>;

/// `cargo tree --workspace` over the edge kinds given: the feature sets of every crate, and
/// the crates under each member (by member name).
fn resolved_features(root: &Path, edges: &str) -> Result<(FeatureSets, FeatureSets)> {
    let tree = cargo_tree(
        root,
        &[
            "--workspace",
            "--no-dedupe",
            "-e",
            edges,
            "--prefix",
            "depth",
            "-f",
            "{p}|{f}",
        ],
    )?;
    let mut features = FeatureSets::new();
    let mut members = FeatureSets::new();
    let mut member = String::new();
    for line in tree.lines() {
        let Some((package, enabled)) = line.split_once('|') else {
            continue;
        };
        let depth_end = package
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(package.len());
        let (depth, package) = package.split_at(depth_end);
        // "serde v1.0.1", without "(proc-macro)", a path or the "(*)" of a repeat.
        let package = package.split(" (").next().unwrap_or(package).to_owned();
        let enabled = enabled.trim_end_matches(" (*)").to_owned();
        if depth == "0" {
            member = package.split(' ').next().unwrap_or_default().to_owned();
        }
        members
            .entry(member.clone())
            .or_default()
            .insert(package.clone());
        features.entry(package).or_default().insert(enabled);
    }
    Ok((features, members))
}

/// What `cargo tree` with these arguments prints, run in the workspace.
fn cargo_tree(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new(env!("CARGO"))
        .current_dir(root)
        .arg("tree")
        .args(args)
        .output()?;
    if !output.status.success() {
        bail!(
            "cargo tree {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}
