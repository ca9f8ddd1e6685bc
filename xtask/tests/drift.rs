//! The checked-in generated code is what `cargo xtask generate` writes from the spec now, so a
//! plain `cargo test` fails on a stale checkout, naming the command that fixes it.

use xtask::codegen;

#[test]
fn generated_code_matches_the_spec() {
    let root = xtask::workspace_root();
    let drift = codegen::check(&root).expect("the spec could not be read or generated from");
    assert!(drift.is_empty(), "\n{}", codegen::report(&drift));
}

#[test]
fn generation_is_deterministic() {
    let spec = codegen::load_spec(&xtask::workspace_root()).unwrap();
    let first = codegen::generate(&spec).unwrap();
    let second = codegen::generate(&spec).unwrap();
    assert_eq!(first, second);
}

#[test]
fn a_description_change_in_the_spec_is_drift_naming_the_file() {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(codegen::SPEC)).unwrap();
    let changed = text.replacen(
        "description: The product's display name.",
        "description: The product's name as shown.",
        1,
    );
    assert_ne!(
        text, changed,
        "the description this test edits has gone from the spec"
    );
    let files = codegen::generate(&codegen::parse_spec(&changed).unwrap()).unwrap();
    let on_disk = codegen::generate(&codegen::parse_spec(&text).unwrap()).unwrap();
    let differing: Vec<&str> = files
        .iter()
        .zip(&on_disk)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.path)
        .collect();
    // The types document the property; the fake service validates against the spec's text.
    assert_eq!(differing, [codegen::TYPES_OUT, codegen::MOCK_OUT]);
}

#[test]
fn a_hand_edit_of_a_generated_file_is_drift_with_a_diff() {
    // Work on a copy of the workspace's inputs so that the checkout is never touched.
    let root = xtask::workspace_root();
    let scratch = std::env::temp_dir().join(format!("pc-upgrade-drift-{}", std::process::id()));
    for path in [
        codegen::SPEC,
        codegen::TYPES_OUT,
        codegen::CLIENT_OUT,
        codegen::MOCK_OUT,
    ] {
        let to = scratch.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(path), &to).unwrap();
    }
    assert!(codegen::check(&scratch).unwrap().is_empty());

    let client = scratch.join(codegen::CLIENT_OUT);
    let text = std::fs::read_to_string(&client).unwrap();
    std::fs::write(&client, text.replacen("\"v1\"", "\"v2\"", 1)).unwrap();
    let drift = codegen::check(&scratch).unwrap();
    std::fs::remove_dir_all(&scratch).unwrap();

    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].path, codegen::CLIENT_OUT);
    assert!(
        drift[0].diff.contains("-        \"v2\""),
        "{}",
        drift[0].diff
    );
    assert!(
        drift[0].diff.contains("+        \"v1\""),
        "{}",
        drift[0].diff
    );
    let report = codegen::report(&drift);
    assert!(report.contains("cargo xtask generate"), "{report}");
    assert!(report.contains(codegen::CLIENT_OUT), "{report}");
}
