//! A crate that only wants the types gets no HTTP stack, and few crates.

use xtask::measure::has_crate;

#[test]
fn the_types_crate_pulls_no_http_stack_and_few_crates() {
    let root = xtask::workspace_root();
    let crates = xtask::measure::dependencies(&root, "pc-upgrade-types").unwrap();
    for http in [
        "reqwest",
        "hyper",
        "http",
        "h2",
        "tokio",
        "progenitor-client",
        "rustls",
    ] {
        assert!(
            !has_crate(&crates, http),
            "pc-upgrade-types depends on {http}: {crates:?}"
        );
    }
    assert!(
        has_crate(&crates, "serde") && has_crate(&crates, "uuid"),
        "{crates:?}"
    );
    assert!(crates.len() <= 20, "{} crates: {crates:?}", crates.len());
}

#[test]
fn the_client_has_the_http_stack_and_no_generator() {
    let root = xtask::workspace_root();
    let crates = xtask::measure::dependencies(&root, "pc-upgrade-client").unwrap();
    assert!(
        has_crate(&crates, "reqwest") && has_crate(&crates, "rustls"),
        "{crates:?}"
    );
    for generator in ["progenitor", "progenitor-impl", "typify", "openapiv3"] {
        assert!(
            !has_crate(&crates, generator),
            "the client depends on {generator}"
        );
    }
}
