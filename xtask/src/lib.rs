//! Maintainer tasks for the pc-upgrade workspace, as a library so that tests can run them.
//!
//! - [`codegen`]: generate the types and client crates from `openapi/`, and check for drift
//!   (its fix-ups of the spec and of progenitor's output a file each);
//! - [`docs`]: check the spec against the Partner Center documentation pages (`docs-check`);
//! - [`measure`]: the benchmark ratios and the build footprint of BENCHMARKS.md;
//! - [`fleet_bench`]: `pc-upgrade` on whole fleets against the fake, makespan against the bound.

pub mod codegen;
pub mod docs;
pub mod fleet_bench;
pub mod measure;

use std::path::{Path, PathBuf};

// A feature pin, not used in code: see `[dependencies]` in Cargo.toml.
use getrandom as _;

/// Help text of `cargo xtask`.
pub const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate          regenerate crates/*/src/generated.rs from openapi/
  generate --check  regenerate in memory; fail with a diff if the files differ
  check             same as `generate --check`
  docs-check [--json] PAGE...
                    compare the spec with Partner Center documentation pages (markdown or
                    plain text); exit 1 on a finding no erratum explains, or an erratum
                    that explains nothing any more (openapi/errata.yaml)
  docs-check [--json] --recorded FOLDER...
                    the same on the revisions the spec records (x-revision), found in the
                    folders; a recorded revision found in none of them fails the check
  bench [RUNS]      run the benchmarks RUNS times (default 3) and print their ratios
  bench --fleet [MAX]
                    the release pc-upgrade on fleets of up to MAX customers (default: every
                    scenario) against the fake: makespan / rate-limit bound, calls, 429s,
                    CPU per customer, peak RSS; then the rows of --discover and --resume
  bench --discover  pc-upgrade discover over a partner's list: makespan / its bound
  bench --resume    a run killed 3 s in and run again, against the same fleet run fresh
  bench --instructions
                    count instructions per call, client against plain reqwest (valgrind)
  footprint         count each crate's dependencies and time a clean debug build
  footprint --no-build
                    count the dependencies only";

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
