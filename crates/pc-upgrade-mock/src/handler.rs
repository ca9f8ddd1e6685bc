//! How the fake answers one request: [`answer`] validates it against the spec (and the
//! token, and the faults started), decides what the service would say (throttling, a queued
//! answer, the fleet, or the documented example), records it, and renders the answer with
//! the headers the service adds.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use uuid::Uuid;

use crate::answers;
use crate::contract::{self, Parameters, Route};
use crate::operation::Operation;
use crate::record::{RecordedRequest, Refusal, Verdict};
use crate::response::{MockBody, MockResponse};
use crate::state::{Live, ServerState, Shared, lock};

/// The largest request body the server reads; a larger one is answered `413`.
pub(crate) const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What validation made of a request.
struct Checked {
    /// The operation it matched, if any.
    operation: Option<Operation>,
    /// Its body as JSON (when validated) and path parameters, or why it is refused.
    verdict: Result<(Option<Value>, Parameters), Refusal>,
    /// Headers the refusal adds (`Allow`).
    extra_headers: Vec<(&'static str, String)>,
}

/// Answers one request: validate, decide, render.
pub(crate) async fn answer(State(state): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (body, unread) = read_body(body).await;
    if parts.method == Method::POST && parts.uri.path().ends_with("/oauth2/v2.0/token") {
        let answer = lock(&state).entra.as_mut().map(|entra| entra.answer(&body));
        if let Some(answer) = answer {
            // Token requests carry secrets: answered, counted, never recorded.
            return plain(answer);
        }
    }
    let request_id = match parts.headers.get("ms-requestid") {
        Some(value) => value.clone(),
        // Like the service, make one up.
        None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(
            HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
        ),
    };
    let checked = validate(&state, &parts, &body, unread);
    let ms_cv = format!(
        "pcUpgradeMock.{}",
        state.answers.fetch_add(1, Ordering::Relaxed)
    );
    let planned = decide(&state, &parts, &body, &checked, &request_id, &ms_cv);
    let latency = match (&checked.verdict, checked.operation) {
        (Ok(_), Some(operation)) => state.latency.get(&operation).copied(),
        _ => None,
    };
    if let Some(delay) = planned.delay.or(latency) {
        tokio::time::sleep(delay).await;
    }
    if let MockBody::Hang = planned.body {
        std::future::pending::<()>().await;
    }
    render(
        planned,
        &parts.headers,
        request_id,
        &ms_cv,
        checked.extra_headers,
    )
}

/// The body, read up to the limit; or why it could not be.
async fn read_body(body: Body) -> (Bytes, Option<Refusal>) {
    let read = http_body_util::Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    match read {
        Ok(body) => (body, None),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => (
            Bytes::new(),
            Some(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_REQUEST_BYTES} bytes"),
            )),
        ),
        Err(_) => (
            Bytes::new(),
            Some(Refusal::new(
                StatusCode::BAD_REQUEST,
                "the body could not be read whole",
            )),
        ),
    }
}

/// Whether the spec, the token and the faults started allow the request.
fn validate(state: &ServerState, parts: &Parts, body: &Bytes, unread: Option<Refusal>) -> Checked {
    let mut checked = Checked {
        operation: None,
        verdict: Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "No such product upgrade operation.",
        )),
        extra_headers: Vec::new(),
    };
    match contract::contract().route(&parts.method, parts.uri.path()) {
        Route::NotFound => {}
        Route::WrongMethod { allow } => {
            checked.verdict = Err(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} is not allowed here; use {allow}", parts.method),
            ));
            checked.extra_headers.push(("allow", allow));
        }
        Route::Operation(contract, parameters) => {
            checked.operation = Some(contract.operation);
            checked.verdict = if let Some(refusal) = unread {
                Err(refusal)
            } else if !state.validate {
                // Nothing is checked (benchmarks): the fleet, if any, reads the body itself.
                Ok((None, parameters))
            } else if let Some(refusal) =
                faulty(state).or_else(|| unauthorized(state, &parts.headers))
            {
                Err(refusal)
            } else {
                contract
                    .check_query(parts.uri.query())
                    .and_then(|()| contract.check(&parts.headers, &parameters, body))
                    .map(|json| (json, parameters))
            };
        }
    }
    checked
}

/// What the service would answer a request, recorded (and logged) with its verdict.
fn decide(
    state: &ServerState,
    parts: &Parts,
    body: &Bytes,
    checked: &Checked,
    request_id: &HeaderValue,
    ms_cv: &str,
) -> MockResponse {
    let (planned, record) = {
        let mut live = lock(state);
        let planned = match (&checked.verdict, checked.operation) {
            (Err(refusal), _) => answers::refusal(refusal),
            (Ok((json, parameters)), Some(operation)) => {
                let call = Call {
                    operation,
                    json,
                    body,
                    parameters,
                    headers: &parts.headers,
                    query: parts.uri.query(),
                };
                valid_answer(state, &mut live, &call, request_id)
            }
            (Ok(_), None) => answers::operation_missing(),
        };
        // Nothing is copied for a record nobody keeps (benchmarks, load tests).
        let record = (live.recording || state.log.is_some()).then(|| RecordedRequest {
            operation: checked.operation,
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            headers: parts.headers.clone(),
            body: body.clone(),
            verdict: match &checked.verdict {
                Ok(_) => Verdict::Valid,
                Err(refusal) => Verdict::Refused {
                    status: refusal.status.as_u16(),
                    reason: refusal.reason.clone(),
                },
            },
            status: planned.status.as_u16(),
            ms_cv: ms_cv.to_owned(),
            received: tokio::time::Instant::now(),
        });
        if live.recording
            && let Some(record) = &record
        {
            live.requests.push(record.clone());
        }
        (planned, record)
    };
    if let (Some(log), Some(record)) = (&state.log, &record) {
        let mut line = record.to_json().to_string();
        line.push('\n');
        // One write per line, to a file opened for appending: a killed fake leaves whole lines.
        let _ = log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(line.as_bytes());
    }
    planned
}

/// A valid call, as the deciding needs it.
struct Call<'a> {
    operation: Operation,
    /// The body as validation read it, if it did.
    json: &'a Option<Value>,
    body: &'a Bytes,
    parameters: &'a Parameters,
    headers: &'a HeaderMap,
    /// The query string, if any.
    query: Option<&'a str>,
}

/// The answer to a valid call: throttling, else a queued answer, else the fleet's (or the
/// documented example).
fn valid_answer(
    state: &ServerState,
    live: &mut Live,
    call: &Call<'_>,
    request_id: &HeaderValue,
) -> MockResponse {
    if let (Some(throttle), Some(tenant)) = (&state.throttle, tenant(call.headers))
        && let Some(wait) = live.windows.throttled(throttle, tenant, call.operation)
    {
        return answers::throttling(wait);
    }
    let body = match call.json {
        Some(json) => json.clone(),
        None => serde_json::from_slice(call.body).unwrap_or(Value::Null),
    };
    // The body names the customer, or (a customer's subscriptions) the path does.
    let in_path = call
        .parameters
        .iter()
        .find(|(name, _)| name == "customer-tenant-id");
    let customer = (body.get("customerId").and_then(Value::as_str))
        .or(in_path.map(|(_, value)| value.as_str()))
        .and_then(|id| Uuid::try_parse(id).ok());
    let for_customer = customer.and_then(|customer| {
        let queue = live.customer_queues.get_mut(&(customer, call.operation))?;
        queue.pop_front()
    });
    if let Some(queued) = for_customer.or_else(|| {
        live.queues
            .get_mut(&call.operation)
            .and_then(VecDeque::pop_front)
    }) {
        return queued;
    }
    let Some(fleet) = live.fleet.as_mut() else {
        return answers::documented(call.operation);
    };
    if fleet.server_error() {
        return answers::partner_center_error(500, 800003, "The fake failed this call, as set.");
    }
    let parameter = |wanted: &str| {
        (call.parameters.iter())
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_str())
            .unwrap_or_default()
    };
    let answer = match call.operation {
        Operation::CheckEligibility => fleet.eligibility(&body),
        Operation::CreateProductUpgrade => {
            fleet.create(&body, request_id.to_str().unwrap_or_default())
        }
        Operation::GetProductUpgradeStatus | Operation::GetProductUpgrade => {
            fleet.status(parameter("upgrade-id"), &body)
        }
        Operation::GetCustomerSubscriptions => fleet.subscriptions(parameter("customer-tenant-id")),
        Operation::ListCustomers => {
            let token = call.headers.get("ms-continuationtoken");
            fleet.customers(call.query, token.and_then(|t| t.to_str().ok()))
        }
        Operation::GetCustomerAgreements => {
            fleet.agreements(parameter("customer-tenant-id"), call.query)
        }
    };
    checked_against_the_spec(call.operation, answer)
}

/// In debug builds, a fleet answer the spec does not allow is the fake's own bug: it is
/// answered `500`, naming the rule broken, instead of being passed off as the service's.
fn checked_against_the_spec(operation: Operation, answer: MockResponse) -> MockResponse {
    if cfg!(debug_assertions)
        && let Err(reason) = contract::contract().check_answer(operation, &answer)
    {
        return answers::partner_center_error(
            500,
            800003,
            &format!("the fake's own answer breaks the spec: {reason}"),
        );
    }
    answer
}

/// The fake's `MS-ServerId`: one instance, whose name says it is the fake.
const SERVER_ID: &str = "pc-upgrade-mock";
/// The `WWW-Authenticate` of a 401, in the form the error-codes page shows.
const CHALLENGE: &str = "OAuth realm=urn:cpsvc:cpid:pc-upgrade-mock";

/// The answer as sent: the planned status, headers and body, with the call's identifiers
/// echoed and a correlation vector, as the service adds them.
fn render(
    planned: MockResponse,
    request_headers: &HeaderMap,
    request_id: HeaderValue,
    ms_cv: &str,
    extra_headers: Vec<(&'static str, String)>,
) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = planned.status;
    let headers = response.headers_mut();
    headers.insert("ms-requestid", request_id);
    // Like the service, echo the call's MS-CorrelationId, or make one up.
    let correlation_id = request_headers
        .get("ms-correlationid")
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(
                HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
            )
        });
    headers.insert("ms-correlationid", correlation_id);
    if let Ok(value) = HeaderValue::from_str(ms_cv) {
        headers.insert("ms-cv", value);
    }
    // Every answer of the service names the instance that gave it (the pages' examples
    // carry `MS-ServerId: 030020525`); a 401 carries the service's challenge.
    headers.insert("ms-serverid", HeaderValue::from_static(SERVER_ID));
    if planned.status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CHALLENGE),
        );
    }
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    // A scripted header replaces the fake's own of that name; a name scripted twice is sent
    // twice.
    let mut scripted = Vec::new();
    for (name, value) in planned.headers {
        if scripted.contains(&name) {
            headers.append(name, value);
        } else {
            headers.insert(name.clone(), value);
            scripted.push(name);
        }
    }
    if !headers.contains_key(header::CONTENT_TYPE)
        && !matches!(&planned.body, MockBody::Bytes(b) if b.is_empty())
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    *response.body_mut() = planned.body.into_body();
    if planned.status == StatusCode::NO_CONTENT {
        *response.body_mut() = Body::empty();
    }
    response
}

/// An answer sent as planned, nothing added (the token endpoint's).
fn plain(planned: MockResponse) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = planned.status;
    for (name, value) in planned.headers {
        response.headers_mut().append(name, value);
    }
    *response.body_mut() = planned.body.into_body();
    response
}

/// The tenant a request is made for: its bearer token, if it has a non-empty one.
fn tenant(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthorized(state: &ServerState, headers: &HeaderMap) -> Option<Refusal> {
    let refuse = |why: &str| Some(Refusal::new(StatusCode::UNAUTHORIZED, why));
    let entra_refuses = |token: &str| {
        lock(state)
            .entra
            .as_ref()
            .is_some_and(|entra| !entra.accepts(token))
    };
    match tenant(headers) {
        None => refuse("a bearer token is required in Authorization"),
        Some(token) if entra_refuses(token) => {
            refuse("the access token has expired or was not issued by the token endpoint")
        }
        Some(token) if !state.tokens.is_empty() && !state.tokens.iter().any(|t| t == token) => {
            refuse("the bearer token is not valid")
        }
        Some(_) => None,
    }
}

/// Counts a Partner Center call for the faults scheduled; the refusal of a fault started.
fn faulty(state: &ServerState) -> Option<Refusal> {
    let mut live = lock(state);
    let faults = &mut live.faults;
    faults.calls += 1;
    if faults
        .stop_listening_at
        .is_some_and(|at| faults.calls >= at)
    {
        faults.stop_listening_at = None;
        state.stop_listening.notify_one();
    }
    faults
        .refuse_tokens_from
        .is_some_and(|from| faults.calls > from)
        .then(|| {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "the access token is no longer accepted (the fake was told to refuse tokens)",
            )
        })
}
