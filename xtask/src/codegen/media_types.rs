//! Fix-up of the spec: a request body reaches progenitor in its `application/json` media
//! type alone. The spec declares `text/json` beside it (ASP.NET reads both, and the REST
//! reference lists both), while progenitor takes one media type per body; the client sends
//! `application/json`. Fails generation once no body declares a second media type.

use anyhow::{Result, ensure};
use openapiv3::OpenAPI;

use super::spec::operations_mut;

/// Fix-up: every request body keeps its `application/json` media type only.
pub(super) fn json_request_bodies(spec: &mut OpenAPI) -> Result<()> {
    let mut removed = 0;
    for operation in operations_mut(spec) {
        if let Some(openapiv3::ReferenceOr::Item(body)) = operation.request_body.as_mut() {
            let before = body.content.len();
            body.content.retain(|media, _| media == "application/json");
            removed += before - body.content.len();
        }
    }
    ensure!(
        removed > 0,
        "fix-up no longer applies: no request body declares a media type beside \
         application/json; remove `json_request_bodies` from xtask"
    );
    Ok(())
}
