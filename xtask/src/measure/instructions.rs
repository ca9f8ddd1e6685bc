//! `cargo xtask bench --instructions`: instructions per call, the client against plain
//! reqwest, counted under valgrind (a guard, not a goal: at most 1.06×).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::target_dir;

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
