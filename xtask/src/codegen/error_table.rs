//! The client's table of error bodies: the `ErrorBody` enum and `decode_error_body`, which
//! decode an error answer as the spec declares its body for that operation and status, and
//! `json_success_status`.

use anyhow::{Context, Result};
use openapiv3::OpenAPI;
use quote::quote;

use super::TYPES_CRATE;
use super::spec::{is_error, resolve_response};

/// The `ErrorBody` enum and `decode_error_body`: for each operation and error status, the
/// component schema the spec declares for the body.
pub(super) fn error_body_table(spec: &OpenAPI) -> Result<proc_macro2::TokenStream> {
    let components = spec.components.as_ref();
    let mut kinds = std::collections::BTreeSet::new();
    let mut arms = Vec::new();
    let mut success_arms = Vec::new();
    for (_, method, operation) in spec.operations() {
        anyhow::ensure!(
            matches!(method, "post" | "get"),
            "only GET and POST operations are expected, not {method}"
        );
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
            if let Some((name, arm)) = error_arm(components, id, status, response)? {
                kinds.insert(name);
                arms.push(arm);
            }
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

/// The arm of `decode_error_body` for one response of operation `id`, with the name of the
/// component schema it decodes; none when the status is no error or has no JSON body.
fn error_arm(
    components: Option<&openapiv3::Components>,
    id: &str,
    status: &openapiv3::StatusCode,
    response: &openapiv3::ReferenceOr<openapiv3::Response>,
) -> Result<Option<(String, proc_macro2::TokenStream)>> {
    if !is_error(status) {
        return Ok(None);
    }
    let response = resolve_response(components, response)
        .context("an error response that cannot be resolved")?;
    let Some(media) = response.content.get("application/json") else {
        return Ok(None);
    };
    let Some(openapiv3::ReferenceOr::Reference { reference }) = &media.schema else {
        anyhow::bail!("the error body of {id} {status} is not a component schema");
    };
    let name = reference
        .strip_prefix("#/components/schemas/")
        .context("an error schema outside components/schemas")?;
    let ident = quote::format_ident!("{name}");
    let pattern = match status {
        openapiv3::StatusCode::Code(code) => quote! { #code },
        openapiv3::StatusCode::Range(range) => {
            let (min, max) = (range * 100, range * 100 + 99);
            quote! { #min..=#max }
        }
    };
    let arm = quote! {
        (#id, #pattern) => Some(
            serde_json::from_slice(body).map(ErrorBody::#ident)
        ),
    };
    Ok(Some((name.to_owned(), arm)))
}
