//! The client as a service author's crate uses it: `tests/consumer`, outside the workspace
//! (its own `[workspace]` and lockfile, the workspace's versions, and the OpenTelemetry
//! crates a service exports its traces with, fetched from the registry the first time),
//! built and tested with nothing but the client's public API. Its own target folder, so
//! that it never waits for the lock of the build running this test.

use std::process::Command;

#[test]
fn a_crate_outside_the_workspace_upgrades_waits_and_logs_through_the_public_api() {
    let root = xtask::workspace_root();
    let consumer = root.join("tests/consumer");
    let target = xtask::measure::target_dir(&root).join("consumer");
    let output = Command::new(env!("CARGO"))
        .args(["test", "--locked", "--manifest-path"])
        .arg(consumer.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo test --manifest-path tests/consumer/Cargo.toml failed:\n{stdout}\n{stderr}"
    );
    let passed: usize = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(passed >= 3, "the consumer's tests did not run:\n{stdout}");
}
