//! The conformance suite's shared code: the fixture corpus of documented HTTP messages
//! ([`fixtures`]), JSON Schema validators built from the spec ([`spec`]), and the checks every
//! fixture goes through ([`checks`]), and the properties any input must keep
//! ([`invariants`], shared by the property tests and the fuzz targets). The tests are in
//! `tests/tests/`.

pub mod checks;
pub mod fixtures;
pub mod invariants;
pub mod spec;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
