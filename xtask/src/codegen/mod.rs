//! Code generation: `openapi/product-upgrades.yaml` → `pc-upgrade-types` (typify, via
//! progenitor's type space), `pc-upgrade-client` (progenitor, using the types crate's types
//! in place of its own, plus the table of error bodies per status) and `pc-upgrade-mock` (the
//! spec as JSON, which the fake service validates every request against).
//!
//! Five fix-ups adapt the spec to what progenitor can express, or its output to what it
//! should have written; each fails generation when it finds nothing to do, so that it is
//! revisited once it no longer applies:
//! - header parameters are removed from what progenitor sees: the client sets the Partner
//!   Center headers itself, so they must not become arguments of the generated operations;
//! - a status range's arm is put after the codes it contains (`status_ranges.rs`);
//! - error bodies are handed over raw: progenitor allows one error type per operation, while
//!   the spec gives `429` its own (`ThrottlingError`). The client decodes them with
//!   `decode_error_body`, generated here from the spec's responses;
//! - a request body keeps `application/json` alone of its media types (`media_types.rs`);
//! - a body marked `x-body-optional` (the create's `202`) is handed over raw
//!   (`optional_bodies.rs`).
//!
//! Each fix-up is a file of its own (`header_parameters.rs`, `status_ranges.rs`,
//! `raw_error_bodies.rs`, `media_types.rs`, `optional_bodies.rs`); `error_table.rs` writes `decode_error_body`, `shaping.rs` what the
//! types are made into, `spec.rs` reads the spec.
//!
//! Output is a pure function of the spec and the generator versions in `Cargo.lock`: no
//! timestamps, no hash-map ordering, no call to an external formatter.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use openapiv3::OpenAPI;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle};
use quote::quote;

mod error_table;
mod header_parameters;
mod media_types;
mod optional_bodies;
mod raw_error_bodies;
mod shaping;
mod spec;
mod status_ranges;

use error_table::error_body_table;
use header_parameters::remove_header_parameters;
use media_types::json_request_bodies;
use optional_bodies::raw_optional_bodies;
use raw_error_bodies::raw_error_bodies;
use shaping::{
    document_builders, document_variants, drop_types_module, drop_unused_error_module,
    non_exhaustive_structs, schemars_behind_feature,
};

/// The spec, relative to the workspace root.
pub const SPEC: &str = "openapi/product-upgrades.yaml";
/// The generated types module, relative to the workspace root.
pub const TYPES_OUT: &str = "crates/pc-upgrade-types/src/generated.rs";
/// The generated client module, relative to the workspace root.
pub const CLIENT_OUT: &str = "crates/pc-upgrade-client/src/generated.rs";
/// The generated module of the fake service (the spec as JSON), relative to the workspace root.
pub const MOCK_OUT: &str = "crates/pc-upgrade-mock/src/generated.rs";
/// The crate path the client uses for every component schema.
const TYPES_CRATE: &str = "pc_upgrade_types";
/// The type the hand-written client layer passes to every generated call.
const CALL_CONTEXT: &str = "crate::context::CallContext";

/// One generated file: where it goes and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root.
    pub path: &'static str,
    /// Full contents, header included.
    pub contents: String,
}

/// A generated file whose checked-in copy differs from what the spec produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Path relative to the workspace root.
    pub path: &'static str,
    /// Unified diff from the checked-in file to the expected one.
    pub diff: String,
}

/// Reads and parses the spec.
pub fn load_spec(root: &Path) -> Result<OpenAPI> {
    let path = root.join(SPEC);
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_spec(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Parses spec text (YAML or JSON).
pub fn parse_spec(text: &str) -> Result<OpenAPI> {
    Ok(yaml_serde::from_str(text)?)
}

/// Generates every generated file (types, client, the fake's spec) from a parsed spec, in
/// memory.
pub fn generate(spec: &OpenAPI) -> Result<Vec<GeneratedFile>> {
    Ok(vec![
        GeneratedFile {
            path: TYPES_OUT,
            contents: types_file(spec)?,
        },
        GeneratedFile {
            path: CLIENT_OUT,
            contents: client_file(spec)?,
        },
        GeneratedFile {
            path: MOCK_OUT,
            contents: mock_file(spec)?,
        },
    ])
}

/// Regenerates every file and writes those whose contents changed; returns each path with
/// whether it was written.
pub fn write(root: &Path) -> Result<Vec<(PathBuf, bool)>> {
    let spec = load_spec(root)?;
    let mut written = Vec::new();
    for file in generate(&spec)? {
        let path = root.join(file.path);
        // Leave the file (and its mtime) alone when nothing changed, so that cargo does not
        // rebuild the crates for a no-op generation.
        let changed = fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str());
        if changed {
            fs::write(&path, &file.contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        written.push((PathBuf::from(file.path), changed));
    }
    Ok(written)
}

/// Regenerates in memory and compares with the files on disk.
pub fn check(root: &Path) -> Result<Vec<Drift>> {
    let spec = load_spec(root)?;
    let mut drift = Vec::new();
    for file in generate(&spec)? {
        let path = root.join(file.path);
        let on_disk = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        if on_disk != file.contents {
            let diff = similar::TextDiff::from_lines(&on_disk, &file.contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{} (checked in)", file.path),
                    &format!("{} (generated from {SPEC})", file.path),
                )
                .to_string();
            drift.push(Drift {
                path: file.path,
                diff,
            });
        }
    }
    Ok(drift)
}

/// The message for a failed drift check: every diff, then what to do about it.
pub fn report(drift: &[Drift]) -> String {
    let mut out = String::new();
    for item in drift {
        out.push_str(&item.diff);
        if !item.diff.ends_with('\n') {
            out.push('\n');
        }
    }
    let names: Vec<&str> = drift.iter().map(|d| d.path).collect();
    out.push_str(&format!(
        "\nerror: generated code is out of date with {SPEC}: {}\n\
         run `cargo xtask generate` and commit the result \
         (generated files are never edited by hand).\n",
        names.join(", ")
    ));
    out
}

fn header(what: &str) -> String {
    format!(
        "// @generated by `cargo xtask generate` from {SPEC}: {what}.\n\
         // Do not edit by hand; change the spec and run `cargo xtask generate` again.\n\n"
    )
}

fn types_file(spec: &OpenAPI) -> Result<String> {
    let spec = &progenitor_view(spec)?;
    let mut settings = GenerationSettings::new();
    // Eq for every type; Hash is not possible for all of them (PartnerCenterError.data holds
    // serde_json::Value, which is not Hash), and typify derives for all types or none.
    // The builder interface makes typify emit a builder for every struct (`builder` module):
    // with the structs `#[non_exhaustive]`, it is how other crates make them.
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_derive("PartialEq")
        .with_derive("Eq")
        .with_derive("schemars::JsonSchema");
    let mut generator = Generator::new(&settings);
    // Generating the client populates the type space with every component schema; only the
    // types are kept.
    generator
        .generate_tokens(spec)
        .map_err(|e| anyhow::anyhow!("typify: {e}"))?;
    let tokens = generator.get_type_space().to_stream();
    let mut file: syn::File = syn::parse2(tokens)?;
    drop_unused_error_module(&mut file);
    non_exhaustive_structs(&mut file);
    document_builders(&mut file);
    schemars_behind_feature(&mut file)?;
    document_variants(&mut file, spec);
    Ok(header("the resource types") + &prettyplease::unparse(&file))
}

/// The spec as progenitor is given it, after the fix-ups.
fn progenitor_view(spec: &OpenAPI) -> Result<OpenAPI> {
    let mut spec = spec.clone();
    remove_header_parameters(&mut spec)?;
    raw_error_bodies(&mut spec)?;
    json_request_bodies(&mut spec)?;
    raw_optional_bodies(&mut spec)?;
    Ok(spec)
}

fn client_file(spec: &OpenAPI) -> Result<String> {
    let error_table = error_body_table(spec)?;
    let spec = &progenitor_view(spec)?;
    let mut settings = GenerationSettings::new();
    let inner: proc_macro2::TokenStream =
        CALL_CONTEXT.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_inner_type(quote! { #inner })
        .with_hooks(HooksMode::Expected);
    let components = spec
        .components
        .as_ref()
        .context("the spec has no components")?;
    for name in components.schemas.keys() {
        settings.with_replacement(name, format!("{TYPES_CRATE}::{name}"), std::iter::empty());
    }
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|e| anyhow::anyhow!("progenitor: {e}"))?;
    let mut file: syn::File = syn::parse2(tokens)?;
    drop_types_module(&mut file)?;
    status_ranges::order_status_ranges(&mut file)?;
    file.items
        .extend(syn::parse2::<syn::File>(error_table)?.items);
    Ok(header("the operations") + &prettyplease::unparse(&file))
}

fn mock_file(spec: &OpenAPI) -> Result<String> {
    // Keys sorted whatever serde_json's `preserve_order` feature is set to in this build, so
    // that the output does not depend on which crates were built together.
    let json = sorted(serde_json::to_value(spec)?);
    let text = serde_json::to_string_pretty(&json)?;
    let hashes = "#".repeat(
        (1..)
            .find(|n| !text.contains(&format!("\"{}", "#".repeat(*n))))
            .unwrap_or(1),
    );
    Ok(header("the spec as JSON, for request validation")
        + "/// The OpenAPI description the fake service answers by, as JSON.\n"
        + &format!("pub(crate) const SPEC_JSON: &str = r{hashes}\"{text}\"{hashes};\n"))
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}
