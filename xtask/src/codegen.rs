//! Code generation: `openapi/product-upgrades.yaml` → `pc-upgrade-types` (typify, via
//! progenitor's type space), `pc-upgrade-client` (progenitor, using the types crate's types
//! in place of its own, plus the table of error bodies per status) and `pc-upgrade-mock` (the
//! spec as JSON, which the fake service validates every request against).
//!
//! Three fix-ups adapt the spec to what progenitor can express, or its output to what it
//! should have written; each fails generation when it finds nothing to do, so that it is
//! revisited once it no longer applies:
//! - header parameters are removed from what progenitor sees: the client sets the Partner
//!   Center headers itself, so they must not become arguments of the generated operations;
//! - a status range's arm is put after the codes it contains ([`crate::status_ranges`]);
//! - error bodies are handed over raw: progenitor allows one error type per operation, while
//!   the spec gives `429` its own (`ThrottlingError`). The client decodes them with
//!   `decode_error_body`, generated here from the spec's responses.
//!
//! Output is a pure function of the spec and the generator versions in `Cargo.lock`: no
//! timestamps, no hash-map ordering, no call to an external formatter.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use openapiv3::OpenAPI;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle};
use quote::quote;

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
    crate::status_ranges::order_status_ranges(&mut file)?;
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

/// Every operation of the spec, with its operationId.
fn operations_mut(spec: &mut OpenAPI) -> impl Iterator<Item = &mut openapiv3::Operation> {
    spec.paths
        .paths
        .values_mut()
        .filter_map(|item| match item {
            openapiv3::ReferenceOr::Item(item) => Some(item),
            openapiv3::ReferenceOr::Reference { .. } => None,
        })
        .flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ]
        })
        .filter_map(Option::as_mut)
}

/// Fix-up: the header parameters are the client's business, not its callers'.
fn remove_header_parameters(spec: &mut OpenAPI) -> Result<()> {
    let components = spec.components.clone();
    let mut removed = 0;
    for operation in operations_mut(spec) {
        let before = operation.parameters.len();
        operation.parameters.retain(|parameter| {
            !matches!(
                resolve_parameter(components.as_ref(), parameter),
                Some(openapiv3::Parameter::Header { .. })
            )
        });
        removed += before - operation.parameters.len();
    }
    anyhow::ensure!(
        removed > 0,
        "fix-up no longer applies: the spec declares no header parameter; \
         remove `remove_header_parameters` from xtask"
    );
    Ok(())
}

fn resolve_parameter<'a>(
    components: Option<&'a openapiv3::Components>,
    parameter: &'a openapiv3::ReferenceOr<openapiv3::Parameter>,
) -> Option<&'a openapiv3::Parameter> {
    match parameter {
        openapiv3::ReferenceOr::Item(parameter) => Some(parameter),
        openapiv3::ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            components?.parameters.get(name)?.as_item()
        }
    }
}

fn resolve_response<'a>(
    components: Option<&'a openapiv3::Components>,
    response: &'a openapiv3::ReferenceOr<openapiv3::Response>,
) -> Option<&'a openapiv3::Response> {
    match response {
        openapiv3::ReferenceOr::Item(response) => Some(response),
        openapiv3::ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            components?.responses.get(name)?.as_item()
        }
    }
}

fn is_error(status: &openapiv3::StatusCode) -> bool {
    match status {
        openapiv3::StatusCode::Code(code) => *code >= 400,
        openapiv3::StatusCode::Range(range) => *range >= 4,
    }
}

/// Fix-up: progenitor takes one error type per operation, so error bodies reach the client
/// as bytes, which it decodes with the generated `decode_error_body`.
fn raw_error_bodies(spec: &mut OpenAPI) -> Result<()> {
    let components = spec.components.clone();
    let mut schemas = std::collections::BTreeSet::new();
    for operation in operations_mut(spec) {
        for (status, response) in operation.responses.responses.iter_mut() {
            if !is_error(status) {
                continue;
            }
            let mut response_item = resolve_response(components.as_ref(), response)
                .cloned()
                .context("an error response that is not a component or an item")?;
            if let Some(media) = response_item.content.shift_remove("application/json") {
                schemas.insert(format!("{:?}", media.schema));
                response_item.content.insert(
                    "application/octet-stream".into(),
                    openapiv3::MediaType::default(),
                );
            }
            *response = openapiv3::ReferenceOr::Item(response_item);
        }
    }
    anyhow::ensure!(
        schemas.len() > 1,
        "fix-up no longer applies: every error response has the same body; let progenitor \
         decode it and remove `raw_error_bodies` from xtask"
    );
    Ok(())
}

/// The `ErrorBody` enum and `decode_error_body`: for each operation and error status, the
/// component schema the spec declares for the body.
fn error_body_table(spec: &OpenAPI) -> Result<proc_macro2::TokenStream> {
    let components = spec.components.as_ref();
    let mut kinds = std::collections::BTreeSet::new();
    let mut arms = Vec::new();
    let mut success_arms = Vec::new();
    for (_, method, operation) in spec.operations() {
        anyhow::ensure!(method == "post", "only POST operations are expected");
        let id = operation
            .operation_id
            .as_deref()
            .context("an operation without operationId")?;
        for (status, response) in &operation.responses.responses {
            if let openapiv3::StatusCode::Code(code @ 200..=299) = status {
                let json = resolve_response(components, response)
                    .is_some_and(|r| r.content.contains_key("application/json"));
                if json {
                    success_arms.push(quote! { #id => Some(#code), });
                }
            }
            if !is_error(status) {
                continue;
            }
            let response = resolve_response(components, response)
                .context("an error response that cannot be resolved")?;
            let Some(media) = response.content.get("application/json") else {
                continue;
            };
            let Some(openapiv3::ReferenceOr::Reference { reference }) = &media.schema else {
                anyhow::bail!("the error body of {id} {status} is not a component schema");
            };
            let name = reference
                .strip_prefix("#/components/schemas/")
                .context("an error schema outside components/schemas")?;
            let ident = quote::format_ident!("{name}");
            kinds.insert(name.to_owned());
            let pattern = match status {
                openapiv3::StatusCode::Code(code) => quote! { #code },
                openapiv3::StatusCode::Range(range) => {
                    let (min, max) = (range * 100, range * 100 + 99);
                    quote! { #min..=#max }
                }
            };
            arms.push(quote! {
                (#id, #pattern) => Some(
                    serde_json::from_slice(body).map(ErrorBody::#ident)
                ),
            });
        }
    }
    let variants = kinds.iter().map(|name| {
        let ident = quote::format_ident!("{name}");
        let ty: syn::Path = syn::parse_str(&format!("{TYPES_CRATE}::{name}")).expect("a path");
        let doc = format!(" A `{name}` body.");
        quote! { #[doc = #doc] #ident(#ty), }
    });
    Ok(quote! {
        /// An error body, decoded as the spec declares it for the answer's status.
        #[derive(Debug)]
        pub(crate) enum ErrorBody { #(#variants)* }

        /// Decodes the body of an error answer to `operation_id` with `status` as the schema the
        /// spec declares for it; `None` when the spec declares no body for that status.
        pub(crate) fn decode_error_body(
            operation_id: &str,
            status: u16,
            body: &[u8],
        ) -> Option<Result<ErrorBody, serde_json::Error>> {
            match (operation_id, status) {
                #(#arms)*
                _ => None,
            }
        }

        /// The success status whose JSON body the generated operation decodes, if it has one.
        pub(crate) fn json_success_status(operation_id: &str) -> Option<u16> {
            match operation_id {
                #(#success_arms)*
                _ => None,
            }
        }
    })
}

/// Every resource struct is `#[non_exhaustive]`: a property the spec adds later is then a new
/// field that breaks no other crate (none can build the struct with a literal or destructure it
/// whole). Other crates build them through `Type::builder()`, or deserialize them.
fn non_exhaustive_structs(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Struct(item) = item
            && !item
                .attrs
                .iter()
                .any(|a| a.path().is_ident("non_exhaustive"))
        {
            item.attrs.push(syn::parse_quote! { #[non_exhaustive] });
        }
    }
}

/// typify leaves its builders undocumented; each gets a line, so that the types crate documents
/// every public item.
fn document_builders(file: &mut syn::File) {
    for item in &mut file.items {
        // `Type::builder()`, in an inherent impl of the type.
        if let syn::Item::Impl(item) = item
            && item.trait_.is_none()
        {
            for member in &mut item.items {
                if let syn::ImplItem::Fn(method) = member
                    && method.sig.ident == "builder"
                    && !method.attrs.iter().any(|a| a.path().is_ident("doc"))
                {
                    method.attrs.insert(
                        0,
                        syn::parse_quote! { #[doc = " A builder: set the fields, then `try_into()`."] },
                    );
                }
            }
        }
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        module.attrs.insert(
            0,
            syn::parse_quote! { #[doc = " Builders of the resource types: `Type::builder()`, its setters, then `try_into()` (a required field left unset is an error)."] },
        );
        for item in module.content.iter_mut().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Struct(item) => {
                    let doc = format!(" Builds a [`super::{}`].", item.ident);
                    item.attrs.insert(0, syn::parse_quote! { #[doc = #doc] });
                }
                syn::Item::Impl(item) if item.trait_.is_none() => {
                    for member in &mut item.items {
                        if let syn::ImplItem::Fn(method) = member {
                            let doc = format!(" Sets `{}`.", method.sig.ident);
                            method.attrs.insert(0, syn::parse_quote! { #[doc = #doc] });
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// typify always emits `pub mod error { pub struct ConversionError }` for the `TryFrom`
/// conversions of constrained types; this spec has none, so it would be public and unused.
/// It is kept whenever a generated item uses it.
fn drop_unused_error_module(file: &mut syn::File) {
    let is_error_module =
        |item: &syn::Item| matches!(item, syn::Item::Mod(m) if m.ident == "error");
    let used = file
        .items
        .iter()
        .filter(|item| !is_error_module(item))
        .any(|item| quote!(#item).to_string().contains("ConversionError"));
    if !used {
        file.items.retain(|item| !is_error_module(item));
    }
}

/// typify can only add a derive to every type; the types crate makes `schemars::JsonSchema`
/// an optional feature, so the derive is moved into a `cfg_attr` right after the derive it
/// came from.
fn schemars_behind_feature(file: &mut syn::File) -> Result<()> {
    for item in &mut file.items {
        let attrs = match item {
            syn::Item::Struct(item) => &mut item.attrs,
            syn::Item::Enum(item) => &mut item.attrs,
            _ => continue,
        };
        let Some(index) = attrs.iter().position(|a| a.path().is_ident("derive")) else {
            continue;
        };
        let derives = attrs[index].parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        )?;
        let (schemars, kept): (Vec<_>, Vec<_>) = derives
            .into_iter()
            .partition(|path| path.segments.first().is_some_and(|s| s.ident == "schemars"));
        if schemars.is_empty() {
            continue;
        }
        attrs[index] = syn::parse_quote! { #[derive(#(#kept),*)] };
        attrs.insert(
            index + 1,
            syn::parse_quote! { #[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))] },
        );
    }
    Ok(())
}

/// typify leaves the variants of an untagged `oneOf` enum undocumented. Each gets the
/// description of its alternative in the spec (the subschema whose `title` names the variant),
/// or else a line naming the type it holds, so that the types crate documents every item.
fn document_variants(file: &mut syn::File, spec: &OpenAPI) {
    for item in &mut file.items {
        let syn::Item::Enum(item) = item else {
            continue;
        };
        let alternatives = one_of_descriptions(spec, &item.ident.to_string());
        for variant in &mut item.variants {
            if variant.attrs.iter().any(|a| a.path().is_ident("doc")) {
                continue;
            }
            let described = alternatives
                .iter()
                .find(|(title, _)| variant.ident == title)
                .map(|(_, description)| format!(" {}", description.trim()));
            let doc = described.unwrap_or_else(|| match &variant.fields {
                syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                    let ty = &fields.unnamed[0].ty;
                    let ty = quote!(#ty).to_string().replace(' ', "");
                    let ty = ty.trim_start_matches("::std::string::");
                    format!(" The value, when it is a `{ty}`.")
                }
                _ => format!(" The `{}` alternative.", variant.ident),
            });
            variant.attrs.insert(0, syn::parse_quote! { #[doc = #doc] });
        }
    }
}

/// `(title, description)` of each titled and described alternative of the component schema
/// `name`, when it is a `oneOf`.
fn one_of_descriptions(spec: &OpenAPI, name: &str) -> Vec<(String, String)> {
    let Some(openapiv3::ReferenceOr::Item(schema)) = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get(name))
    else {
        return Vec::new();
    };
    let openapiv3::SchemaKind::OneOf { one_of } = &schema.schema_kind else {
        return Vec::new();
    };
    one_of
        .iter()
        .filter_map(|alternative| match alternative {
            openapiv3::ReferenceOr::Item(alternative) => Some((
                alternative.schema_data.title.clone()?,
                alternative.schema_data.description.clone()?,
            )),
            openapiv3::ReferenceOr::Reference { .. } => None,
        })
        .collect()
}

/// Every component schema is replaced by its `pc_upgrade_types` type, so the client's own
/// `types` module must hold nothing but typify's helper error type. It is removed; anything
/// else in it means a schema escaped replacement (a second copy of a type), which is an error.
fn drop_types_module(file: &mut syn::File) -> Result<()> {
    let index = file
        .items
        .iter()
        .position(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
        .context("progenitor output has no `types` module")?;
    if let syn::Item::Mod(module) = &file.items[index] {
        let extra: Vec<String> = module
            .content
            .iter()
            .flat_map(|(_, items)| items)
            .filter(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "error"))
            .map(|item| quote!(#item).to_string())
            .collect();
        anyhow::ensure!(
            extra.is_empty(),
            "the client would define its own copy of a type (replace it with the \
             {TYPES_CRATE} type): {}",
            extra.join("\n")
        );
    }
    file.items.remove(index);
    Ok(())
}
