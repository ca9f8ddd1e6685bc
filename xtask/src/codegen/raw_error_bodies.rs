//! Fix-up of the spec: error bodies are handed to progenitor as raw bytes. progenitor takes
//! one error type per operation, while the spec gives `429` its own (`ThrottlingError`); the
//! client decodes them with `decode_error_body` (`error_table.rs`). Fails generation once
//! every error response has the same body.

use anyhow::{Context, Result};
use openapiv3::OpenAPI;

use super::spec::{is_error, operations_mut, resolve_response};

/// Fix-up: progenitor takes one error type per operation, so error bodies reach the client
/// as bytes, which it decodes with the generated `decode_error_body`.
pub(super) fn raw_error_bodies(spec: &mut OpenAPI) -> Result<()> {
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
