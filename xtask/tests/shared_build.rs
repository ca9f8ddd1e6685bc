//! The README's two set-up commands, `cargo xtask generate` and then `cargo test --workspace`,
//! share one build: no crate is compiled by both with different features. CI also checks it
//! on the real build logs.

#[test]
fn cargo_xtask_builds_every_crate_with_the_features_of_the_test_build() {
    let root = xtask::workspace_root();
    let unshared = xtask::measure::unshared_features(&root).unwrap();
    let report: Vec<String> = unshared
        .iter()
        .map(|crate_| {
            format!(
                "  {}: cargo xtask builds it with {:?}, cargo test --workspace with {:?}",
                crate_.package, crate_.xtask, crate_.test
            )
        })
        .collect();
    assert!(
        unshared.is_empty(),
        "these crates would be compiled twice; add the missing features to the pins in \
         xtask/Cargo.toml (host crates under [build-dependencies]):\n{}",
        report.join("\n")
    );
}

#[test]
fn the_xtask_alias_resolves_features_for_the_whole_workspace() {
    // `--package xtask` would resolve features for xtask alone, and the check above would
    // no longer describe what `cargo xtask` builds.
    let config = std::fs::read_to_string(xtask::workspace_root().join(".cargo/config.toml"))
        .expect(".cargo/config.toml");
    let alias = config
        .lines()
        .find(|line| line.trim_start().starts_with("xtask ="))
        .expect("an xtask alias in .cargo/config.toml");
    assert!(alias.contains("run --bin xtask"), "{alias}");
}
