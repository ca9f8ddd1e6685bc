//! Fix-up of the spec: a body the spec marks `x-body-optional` reaches progenitor as raw
//! bytes. The create's `202` may carry the new upgrade's status (the REST reference types
//! it) or nothing (the pages show none); progenitor decodes a declared body always and
//! fails on an empty one, so the client reads the bytes itself. Fails generation once no
//! answer is marked so.

use anyhow::{Result, ensure};
use openapiv3::{OpenAPI, ReferenceOr};

use super::spec::operations_mut;

/// Fix-up: a body that may be absent is handed over as bytes.
pub(super) fn raw_optional_bodies(spec: &mut OpenAPI) -> Result<()> {
    let mut found = 0;
    for operation in operations_mut(spec) {
        for response in operation.responses.responses.values_mut() {
            let ReferenceOr::Item(response) = response else {
                continue;
            };
            let optional = response.extensions.get("x-body-optional") == Some(&true.into());
            if optional && response.content.shift_remove("application/json").is_some() {
                response.content.insert(
                    "application/octet-stream".into(),
                    openapiv3::MediaType::default(),
                );
                found += 1;
            }
        }
    }
    ensure!(
        found > 0,
        "fix-up no longer applies: no answer's body is marked x-body-optional; remove \
         `raw_optional_bodies` from xtask"
    );
    Ok(())
}
