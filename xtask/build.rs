//! Does nothing: it exists so that Cargo builds xtask's `[build-dependencies]`, which pin
//! the features of host crates to those of `cargo test --workspace` (see `Cargo.toml`).

// The pin itself, not used in code.
use syn_host as _;

fn main() {}
