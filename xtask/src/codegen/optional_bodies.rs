//! Fix-up of the spec: a `202 Accepted` that declares a body reaches progenitor as raw
//! bytes. The create's `202` may carry the new upgrade's status (the REST reference types
//! it) or nothing (the pages show none); progenitor decodes a declared body always and
//! fails on an empty one, so the client reads the bytes itself. Fails generation once no
//! `202` declares a body.

use anyhow::{Result, ensure};
use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

use super::spec::operations_mut;

/// Fix-up: the body a `202` may carry is handed over as bytes.
pub(super) fn raw_accepted_bodies(spec: &mut OpenAPI) -> Result<()> {
    let mut found = 0;
    for operation in operations_mut(spec) {
        let accepted = operation
            .responses
            .responses
            .get_mut(&StatusCode::Code(202));
        if let Some(ReferenceOr::Item(response)) = accepted
            && response.content.shift_remove("application/json").is_some()
        {
            response.content.insert(
                "application/octet-stream".into(),
                openapiv3::MediaType::default(),
            );
            found += 1;
        }
    }
    ensure!(
        found > 0,
        "fix-up no longer applies: no 202 declares a body; remove `raw_accepted_bodies` \
         from xtask"
    );
    Ok(())
}
