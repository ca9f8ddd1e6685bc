//! Empty on purpose: it exists so that Cargo builds xtask's `[build-dependencies]`, which pin
//! the features of host crates to those of `cargo test --workspace` (see `Cargo.toml`).

fn main() {}
