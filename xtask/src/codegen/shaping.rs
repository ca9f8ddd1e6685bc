//! What typify's and progenitor's output is made into: every resource struct
//! `#[non_exhaustive]` with a documented builder, variants documented from the spec,
//! `schemars` behind a feature, no unused error module; and the client without progenitor's
//! own types module (it uses the types crate's).

use anyhow::{Context, Result};
use openapiv3::OpenAPI;
use quote::quote;

use super::TYPES_CRATE;

/// Every resource struct is `#[non_exhaustive]`: a property the spec adds later is then a new
/// field that breaks no other crate (none can build the struct with a literal or destructure it
/// whole). Other crates build them through `Type::builder()`, or deserialize them.
pub(super) fn non_exhaustive_structs(file: &mut syn::File) {
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
pub(super) fn document_builders(file: &mut syn::File) {
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
pub(super) fn drop_unused_error_module(file: &mut syn::File) {
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
pub(super) fn schemars_behind_feature(file: &mut syn::File) -> Result<()> {
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
pub(super) fn document_variants(file: &mut syn::File, spec: &OpenAPI) {
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
pub(super) fn drop_types_module(file: &mut syn::File) -> Result<()> {
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
