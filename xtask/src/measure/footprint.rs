//! `cargo xtask footprint`: each published crate's normal dependency tree and a clean build's
//! time; and the features a crate is built with by `cargo xtask` and by the tests, which must
//! agree so that the two share one build (`tests/shared_build.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};

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
