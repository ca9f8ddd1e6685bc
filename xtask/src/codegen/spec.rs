//! Reading the spec as the generator needs it: every operation, a parameter or response
//! behind a reference, and which statuses are errors.

use openapiv3::OpenAPI;

/// Every operation of the spec, with its operationId.
pub(super) fn operations_mut(
    spec: &mut OpenAPI,
) -> impl Iterator<Item = &mut openapiv3::Operation> {
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

pub(super) fn resolve_parameter<'a>(
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

pub(super) fn resolve_response<'a>(
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

pub(super) fn is_error(status: &openapiv3::StatusCode) -> bool {
    match status {
        openapiv3::StatusCode::Code(code) => *code >= 400,
        openapiv3::StatusCode::Range(range) => *range >= 4,
    }
}
