//! The spec as the fake service enforces it: which operation a method and path name, and
//! whether a request is one the spec allows (headers, path parameters, `Content-Type`, body).
//!
//! Everything here is read from the spec itself (`generated.rs`, written by
//! `cargo xtask generate`), so the fake cannot accept what the spec forbids or refuse what it
//! allows without a test noticing.

use std::collections::HashMap;
use std::sync::LazyLock;

use http::{HeaderMap, Method, StatusCode, header};
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::binding::{Binding, binding, fold_names, form_object, property_names};
use crate::generated::SPEC_JSON;
use crate::operation::Operation;
use crate::record::Refusal;
use crate::response::{MockBody, MockResponse};
use crate::schema::json_schema_document;

/// The path parameters of a request, by name.
pub(crate) type Parameters = Vec<(String, String)>;

/// Where a method and path lead.
pub(crate) enum Route<'a> {
    /// An operation of the spec, with its path parameters.
    Operation(&'a OperationContract, Parameters),
    /// A path of the spec, asked with a method it does not have.
    WrongMethod {
        /// The methods that path has, for `Allow`.
        allow: String,
    },
    /// No path of the spec.
    NotFound,
}

enum Segment {
    /// Compared ignoring ASCII case, as the service does.
    Literal(String),
    Parameter(String),
}

struct Rule {
    name: String,
    required: bool,
    validator: Validator,
}

/// One operation: its route and the rules its requests must keep.
pub(crate) struct OperationContract {
    pub(crate) operation: Operation,
    method: Method,
    segments: Vec<Segment>,
    headers: Vec<Rule>,
    path_parameters: Vec<Rule>,
    query_parameters: Vec<Rule>,
    body: Option<(bool, Validator)>,
    /// Per documented status: the headers an answer must carry, and its body's schema.
    responses: Vec<Answer>,
    /// The spec's property names, by their lowercase form, for folding a body's names.
    names: HashMap<String, String>,
}

/// What the spec documents of one answer: its status, its headers, its body's schema.
type Answer = (u16, Vec<Rule>, Option<Body>);

/// A documented answer's body: its schema, and whether it may be absent
/// (`x-body-optional`: the create's `202`, which the pages show without one).
struct Body {
    validator: Validator,
    optional: bool,
}

/// Every operation of the spec.
pub(crate) struct Contract {
    operations: Vec<OperationContract>,
}

/// The contract, read once per process.
pub(crate) fn contract() -> &'static Contract {
    static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
        // The spec is generated into this crate and checked by its tests: a failure here is a
        // bug in the crate, never something a request could cause.
        let spec: Value = serde_json::from_str(SPEC_JSON).expect("the generated spec is JSON");
        Contract::from_spec(&spec).unwrap_or_else(|e| panic!("the generated spec: {e}"))
    });
    &CONTRACT
}

impl Contract {
    pub(crate) fn from_spec(spec: &Value) -> Result<Self, String> {
        let schemas = &spec["components"]["schemas"];
        let resolve = |value: &Value| -> Value {
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => spec
                    .pointer(reference.trim_start_matches('#'))
                    .cloned()
                    .unwrap_or(Value::Null),
                None => value.clone(),
            }
        };
        let mut operations = Vec::new();
        for (path, item) in spec["paths"].as_object().ok_or("the spec has no paths")? {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                let id = operation["operationId"].as_str().unwrap_or_default();
                let known = Operation::from_operation_id(id)
                    .ok_or_else(|| format!("the fake does not implement operation {id:?}"))?;
                let mut headers = Vec::new();
                let mut path_parameters = Vec::new();
                let mut query_parameters = Vec::new();
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let parameter = resolve(parameter);
                    let rule = Rule {
                        name: parameter["name"].as_str().unwrap_or_default().to_owned(),
                        required: parameter["required"] == Value::Bool(true),
                        validator: validator(schemas, &parameter["schema"])?,
                    };
                    match parameter["in"].as_str() {
                        Some("header") => headers.push(rule),
                        Some("path") => path_parameters.push(rule),
                        Some("query") => query_parameters.push(rule),
                        other => return Err(format!("{id}: a parameter in {other:?}")),
                    }
                }
                let body = match operation.get("requestBody") {
                    Some(body) => {
                        let body = resolve(body);
                        let schema = &body["content"]["application/json"]["schema"];
                        Some((
                            body["required"] == Value::Bool(true),
                            validator(schemas, schema)?,
                        ))
                    }
                    None => None,
                };
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|segment| match segment.strip_prefix('{') {
                        Some(name) => Segment::Parameter(name.trim_end_matches('}').to_owned()),
                        None => Segment::Literal(segment.to_ascii_lowercase()),
                    })
                    .collect();
                let responses =
                    responses(operation, schemas, &resolve).map_err(|e| format!("{id}: {e}"))?;
                let names = property_names(schemas);
                operations.push(OperationContract {
                    operation: known,
                    method,
                    segments,
                    headers,
                    path_parameters,
                    query_parameters,
                    body,
                    responses,
                    names,
                });
            }
        }
        Ok(Self { operations })
    }

    /// Whether an answer the fake would give to `operation` is one the spec allows: a
    /// documented status, the headers it requires, a body of its schema.
    pub(crate) fn check_answer(
        &self,
        operation: Operation,
        answer: &MockResponse,
    ) -> Result<(), String> {
        let contract = self
            .operations
            .iter()
            .find(|o| o.operation == operation)
            .ok_or("an operation the spec does not have")?;
        let status = answer.status.as_u16();
        let Some((_, headers, body)) = contract.responses.iter().find(|(s, ..)| *s == status)
        else {
            return Err(format!("{status} is not an answer the spec documents"));
        };
        for rule in headers.iter().filter(|r| r.required) {
            let value = answer
                .headers
                .iter()
                .find(|(name, _)| name.as_str().eq_ignore_ascii_case(&rule.name))
                .and_then(|(_, value)| value.to_str().ok())
                .ok_or_else(|| format!("the {} header is missing", rule.name))?;
            check_value(&rule.validator, &Value::String(value.to_owned()))
                .map_err(|e| format!("the {} header {e}", rule.name))?;
        }
        if let Some(body) = body {
            let MockBody::Bytes(bytes) = &answer.body else {
                return Ok(());
            };
            if bytes.is_empty() && body.optional {
                return Ok(());
            }
            let json: Value =
                serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
            check_value(&body.validator, &json).map_err(|e| format!("the body {e}"))?;
        }
        Ok(())
    }

    /// The operations the spec has.
    #[cfg(test)]
    pub(crate) fn operations(&self) -> impl Iterator<Item = Operation> + '_ {
        self.operations.iter().map(|o| o.operation)
    }

    /// Where `method` and `path` lead. Literal segments are compared ignoring ASCII case; a
    /// literal match wins over a parameter (`/eligibility` is not an upgrade id).
    pub(crate) fn route(&self, method: &Method, path: &str) -> Route<'_> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, &OperationContract, Parameters)> = None;
        let mut allow = Vec::new();
        for operation in &self.operations {
            let Some((literals, parameters)) = operation.matches(&segments) else {
                continue;
            };
            if operation.method != *method {
                allow.push(operation.method.as_str());
                continue;
            }
            if best.as_ref().is_none_or(|(most, ..)| literals > *most) {
                best = Some((literals, operation, parameters));
            }
        }
        match best {
            Some((_, operation, parameters)) => Route::Operation(operation, parameters),
            None if !allow.is_empty() => {
                allow.sort_unstable();
                allow.dedup();
                Route::WrongMethod {
                    allow: allow.join(", "),
                }
            }
            None => Route::NotFound,
        }
    }
}

impl OperationContract {
    /// How many literal segments matched, and the parameters, if `segments` is this path.
    fn matches(&self, segments: &[&str]) -> Option<(usize, Parameters)> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut literals = 0;
        let mut parameters = Vec::new();
        for (template, segment) in self.segments.iter().zip(segments) {
            match template {
                Segment::Literal(literal) if literal.eq_ignore_ascii_case(segment) => {
                    literals += 1;
                }
                Segment::Literal(_) => return None,
                Segment::Parameter(_) if segment.is_empty() => return None,
                Segment::Parameter(name) => parameters.push((name.clone(), (*segment).to_owned())),
            }
        }
        Some((literals, parameters))
    }

    /// Checks a request against the spec; returns its JSON body, if it has one.
    /// Whether the query keeps the spec's query parameters: each value read as JSON when it
    /// is a number (`size=500`), else as a string; a required one present.
    pub(crate) fn check_query(&self, query: Option<&str>) -> Result<(), Refusal> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        for rule in &self.query_parameters {
            let value = pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&rule.name));
            match value {
                None if rule.required => {
                    return Err(bad_request(format!(
                        "query parameter {} is required",
                        rule.name
                    )));
                }
                None => {}
                Some((_, value)) => {
                    let json = match value.parse::<i64>() {
                        Ok(number) => Value::from(number),
                        Err(_) => Value::String(value.clone()),
                    };
                    check_value(&rule.validator, &json).map_err(|why| {
                        bad_request(format!("query parameter {}: {why}", rule.name))
                    })?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn check(
        &self,
        headers: &HeaderMap,
        parameters: &[(String, String)],
        body: &[u8],
    ) -> Result<Option<Value>, Refusal> {
        for rule in &self.path_parameters {
            let value = parameters
                .iter()
                .find(|(name, _)| *name == rule.name)
                .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy());
            if let Some(value) = value {
                check_value(&rule.validator, &Value::String(value.into_owned()))
                    .map_err(|why| bad_request(format!("path parameter {}: {why}", rule.name)))?;
            }
        }
        for rule in &self.headers {
            let mut values = headers.get_all(rule.name.as_str()).iter();
            match (values.next(), values.next()) {
                (None, _) if rule.required => {
                    return Err(bad_request(format!("header {} is required", rule.name)));
                }
                (None, _) => {}
                (Some(_), Some(_)) => {
                    return Err(bad_request(format!("header {} is sent twice", rule.name)));
                }
                (Some(value), None) => {
                    let text = value.to_str().map_err(|_| {
                        bad_request(format!("header {} is not visible ASCII", rule.name))
                    })?;
                    check_value(&rule.validator, &Value::String(text.to_owned()))
                        .map_err(|why| bad_request(format!("header {}: {why}", rule.name)))?;
                }
            }
        }
        let Some((required, validator)) = &self.body else {
            return Ok(None);
        };
        if body.is_empty() {
            return match required {
                true => Err(bad_request("the request body is required")),
                false => Ok(None),
            };
        }
        let mut types = headers.get_all(header::CONTENT_TYPE).iter();
        let (first, second) = (types.next(), types.next());
        let content_type = first.and_then(|v| v.to_str().ok()).unwrap_or_default();
        let unsupported = |why: String| Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, why);
        let bound = binding(content_type).filter(|_| second.is_none());
        let mut json: Value = match bound {
            Some(Binding::Json) => serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?,
            Some(Binding::Form) => {
                form_object(body).ok_or_else(|| bad_request("the form is not UTF-8"))?
            }
            Some(Binding::Xml) => {
                return Err(unsupported(format!(
                    "{content_type:?} bodies are not accepted: send JSON (application/json) or \
                     a form (application/x-www-form-urlencoded); the service's XML element \
                     names are not published"
                )));
            }
            None => {
                return Err(unsupported(format!(
                    "the body must be JSON (application/json, text/json or \
                     application/*+json) or a form (application/x-www-form-urlencoded), not \
                     {content_type:?}"
                )));
            }
        };
        // As the service binds bodies: property names matched ignoring case.
        fold_names(&mut json, &self.names);
        check_value(validator, &json).map_err(|why| bad_request(format!("the body: {why}")))?;
        Ok(Some(json))
    }
}

/// The answers an operation documents: per status, the headers each requires and the
/// schema of its JSON body.
fn responses(
    operation: &Value,
    schemas: &Value,
    resolve: &dyn Fn(&Value) -> Value,
) -> Result<Vec<Answer>, String> {
    let mut documented = Vec::new();
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        let response = resolve(response);
        let mut headers = Vec::new();
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = resolve(header);
            headers.push(Rule {
                name: name.clone(),
                required: header["required"] == Value::Bool(true),
                validator: validator(schemas, &header["schema"])?,
            });
        }
        let body = match response.pointer("/content/application~1json/schema") {
            Some(schema) => Some(Body {
                validator: validator(schemas, schema)?,
                optional: response["x-body-optional"] == Value::Bool(true),
            }),
            None => None,
        };
        documented.push((status, headers, body));
    }
    Ok(documented)
}

fn bad_request(reason: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, reason)
}

/// The first violation, with where it is in the value.
fn check_value(validator: &Validator, value: &Value) -> Result<(), String> {
    match validator.iter_errors(value).next() {
        None => Ok(()),
        Some(error) => {
            let at = error.instance_path().as_str().to_owned();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            Err(format!("at {at}: {error}"))
        }
    }
}

/// A validator for an OpenAPI schema object, whose `$ref`s point into `schemas`.
fn validator(schemas: &Value, schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&json_schema_document(schemas, schema))
        .map_err(|e| format!("a schema of the spec does not compile: {e}"))
}

#[cfg(test)]
mod tests;
