//! Fix-up of the spec: the header parameters are removed from what progenitor sees. The
//! client sets the Partner Center headers itself, so they must not become arguments of the
//! generated operations. Fails generation once the spec declares no header parameter.

use anyhow::Result;
use openapiv3::OpenAPI;

use super::spec::{operations_mut, resolve_parameter};

/// Fix-up: the header parameters are the client's business, not its callers'.
pub(super) fn remove_header_parameters(spec: &mut OpenAPI) -> Result<()> {
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
