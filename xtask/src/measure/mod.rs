//! The figures of BENCHMARKS.md, a job a file: `ratios` (`cargo xtask bench`),
//! `instructions` (`cargo xtask bench --instructions`), `footprint` (`cargo xtask footprint`,
//! and the shared-build check's feature sets).

mod footprint;
mod instructions;
mod ratios;

use std::path::{Path, PathBuf};

pub use footprint::{
    Unshared, dependencies, dependencies_with, footprint, has_crate, unshared_features,
};
pub use instructions::instructions;
pub use ratios::bench;

/// The build folder: `CARGO_TARGET_DIR`, else `target/` of the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
