//! [`MockServer`]: the listening server, its script and its record.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};

use crate::contract::{self, Parameters, Refusal, Route};
use crate::documented;
use crate::entra::{EntraState, FakeEntra};
use crate::fleet::{Fleet, FleetState, Throttle, partner_center_error};
use crate::response::{MockBody, MockResponse};

/// The operations the server knows, matched on method and path as the spec gives them (the
/// path compared ignoring ASCII case, as the service does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/productUpgrades/eligibility`.
    CheckEligibility,
    /// `POST /v1/productupgrades`.
    CreateProductUpgrade,
    /// `POST /v1/productUpgrades/{upgrade-id}/status`.
    GetProductUpgradeStatus,
}

impl Operation {
    /// The operation with this `operationId` in the spec.
    pub fn from_operation_id(id: &str) -> Option<Self> {
        match id {
            "check_eligibility" => Some(Self::CheckEligibility),
            "create_product_upgrade" => Some(Self::CreateProductUpgrade),
            "get_product_upgrade_status" => Some(Self::GetProductUpgradeStatus),
            _ => None,
        }
    }

    /// The operation's `operationId` in the spec.
    pub fn operation_id(self) -> &'static str {
        match self {
            Self::CheckEligibility => "check_eligibility",
            Self::CreateProductUpgrade => "create_product_upgrade",
            Self::GetProductUpgradeStatus => "get_product_upgrade_status",
        }
    }

    fn documented(self) -> MockResponse {
        match self {
            Self::CheckEligibility => MockResponse::json(200, documented::ELIGIBILITY_RESPONSE),
            Self::CreateProductUpgrade => {
                MockResponse::new(202).header("Location", documented::CREATE_LOCATION)
            }
            Self::GetProductUpgradeStatus => MockResponse::json(200, documented::STATUS_RESPONSE),
        }
    }
}

/// What the server made of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The request is one the spec allows.
    Valid,
    /// The request was refused, with this status, for this reason.
    Refused {
        /// The status answered (`400`, `401`, `404`, `405`, `413`, `415`).
        status: u16,
        /// Which rule the request broke, and where.
        reason: String,
    },
}

/// A request the server received.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The operation it matched, if any.
    pub operation: Option<Operation>,
    /// The method.
    pub method: Method,
    /// The path, as sent.
    pub path: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty when it could not be read whole).
    pub body: Bytes,
    /// Whether the spec allows the request.
    pub verdict: Verdict,
    /// The status of the answer.
    pub status: u16,
    /// The `MS-CV` the answer carried.
    pub ms_cv: String,
}

impl RecordedRequest {
    /// A header's value as text, if present and textual.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The request as one JSON object, the `Authorization` value redacted: the line the
    /// runnable fake writes to its `--log`.
    pub fn to_json(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            let value = if name == header::AUTHORIZATION {
                "[REDACTED]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers.insert(name.as_str().to_owned(), Value::String(value));
        }
        let body = match self.json() {
            Some(json) => json,
            None if self.body.is_empty() => Value::Null,
            None => Value::String(String::from_utf8_lossy(&self.body).into_owned()),
        };
        let verdict = match &self.verdict {
            Verdict::Valid => json!({"valid": true}),
            Verdict::Refused { status, reason } => {
                json!({"valid": false, "status": status, "reason": reason})
            }
        };
        json!({
            "operation": self.operation.map(Operation::operation_id),
            "method": self.method.as_str(),
            "path": self.path,
            "headers": headers,
            "body": body,
            "verdict": verdict,
            "status": self.status,
            "msCv": self.ms_cv,
        })
    }
}

struct Script {
    queues: HashMap<Operation, VecDeque<MockResponse>>,
    requests: Vec<RecordedRequest>,
    recording: bool,
    fleet: Option<FleetState>,
    /// Per tenant: the start of its window and the calls made in it.
    windows: HashMap<String, (Instant, u32)>,
    entra: Option<EntraState>,
    faults: Faults,
}

/// A fault the fake starts part-way through a run ([`MockServer::fault_after`]), so that a
/// test sees what a client does when the service changes under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Every Partner Center call is refused `401` (800001), as when the partner's consent is
    /// revoked; [`MockServer::clear_faults`] ends it.
    RefuseTokens,
    /// The fake stops listening and closes its connections once their calls are answered:
    /// every new connection is refused. [`MockServer::listen_again`] ends it.
    StopListening,
}

/// The faults scheduled, counted in Partner Center calls.
#[derive(Default)]
struct Faults {
    /// Partner Center calls received so far.
    calls: u64,
    /// From which call on tokens are refused.
    refuse_tokens_from: Option<u64>,
    /// At which call the fake stops listening.
    stop_listening_at: Option<u64>,
}

struct ServerState {
    script: Mutex<Script>,
    validate: bool,
    /// The bearer tokens accepted; any non-empty one when empty.
    tokens: Vec<String>,
    latency: HashMap<Operation, Duration>,
    throttle: Option<Throttle>,
    log: Option<Mutex<std::fs::File>>,
    answers: AtomicU64,
    /// Ends the listening of the serving task (graceful: calls under way are answered).
    stop_listening: tokio::sync::Notify,
}

type Shared = Arc<ServerState>;

fn lock(shared: &ServerState) -> MutexGuard<'_, Script> {
    shared.script.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fake Partner Center on `127.0.0.1`, on a port of its own. It stops when dropped.
///
/// Every request is checked against the spec before it is answered: a bearer
/// `Authorization`, the declared headers, a GUID upgrade id, a JSON body of the declared
/// schema. A request that breaks a rule gets the answer the service would give (`400` with a
/// Partner Center error naming the rule, `401`, `405`, `413`, `415`), never a `2xx`, and is
/// recorded with its [`Verdict`].
pub struct MockServer {
    address: SocketAddr,
    state: Shared,
    task: Mutex<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Builds a [`MockServer`]: where it listens, its fleet, its throttle, its log.
#[derive(Debug)]
#[must_use]
pub struct MockServerBuilder {
    address: SocketAddr,
    fleet: Option<Fleet>,
    throttle: Option<Throttle>,
    log: Option<PathBuf>,
    validate: bool,
    tokens: Vec<String>,
    entra: Option<FakeEntra>,
    latency: HashMap<Operation, Duration>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            fleet: None,
            throttle: None,
            log: None,
            validate: true,
            tokens: Vec::new(),
            entra: None,
            latency: HashMap::new(),
        }
    }
}

impl MockServerBuilder {
    /// The address to listen on (default `127.0.0.1` and a free port).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Answers by this fleet instead of the documented examples (its throttle, if it has
    /// one, applies unless [`MockServerBuilder::throttle`] sets another).
    pub fn fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Per-tenant throttling.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Appends every request, as one JSON line ([`RecordedRequest::to_json`]), to this file.
    pub fn log(mut self, path: impl Into<PathBuf>) -> Self {
        self.log = Some(path.into());
        self
    }

    /// Accepts this bearer token, and, once one is given, no token that was not: others get
    /// `401` (default: any non-empty token is accepted). Each token is its own partner
    /// tenant for throttling.
    pub fn accept_token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }

    /// Serves a fake Entra ID token endpoint at `/{tenant}/oauth2/v2.0/token` (point the
    /// client's `EntraTokenSource` authority at [`MockServer::base_url`]); Partner Center
    /// calls then need an access token it issued that has not expired.
    pub fn entra(mut self, entra: FakeEntra) -> Self {
        self.entra = Some(entra);
        self
    }

    /// Answers every valid call of `operation` this much later, as a slow service would (the
    /// call takes effect when it arrives; only its answer is late).
    pub fn latency(mut self, operation: Operation, latency: Duration) -> Self {
        self.latency.insert(operation, latency);
        self
    }

    /// Whether requests are checked against the spec (default: yes). Benchmarks turn it off
    /// to measure the client alone; a test of a client never should.
    pub fn validate(mut self, on: bool) -> Self {
        self.validate = on;
        self
    }

    /// Starts the server. Must be called within a Tokio runtime.
    ///
    /// # Errors
    /// When the address cannot be bound, or the log file cannot be opened.
    pub async fn start(self) -> std::io::Result<MockServer> {
        // Compile the spec's schemas now, not at the first request.
        contract::contract();
        let listener = tokio::net::TcpListener::bind(self.address).await?;
        let address = listener.local_addr()?;
        let log = match &self.log {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )),
            None => None,
        };
        let throttle = self
            .throttle
            .or_else(|| self.fleet.as_ref().and_then(|f| f.throttle));
        let state = Arc::new(ServerState {
            script: Mutex::new(Script {
                queues: HashMap::new(),
                requests: Vec::new(),
                recording: true,
                fleet: self.fleet.as_ref().map(FleetState::new),
                windows: HashMap::new(),
                entra: self.entra.map(EntraState::new),
                faults: Faults::default(),
            }),
            validate: self.validate,
            tokens: self.tokens,
            latency: self.latency,
            throttle,
            log,
            answers: AtomicU64::new(0),
            stop_listening: tokio::sync::Notify::new(),
        });
        let task = serve(listener, &state);
        Ok(MockServer {
            address,
            state,
            task: Mutex::new(task),
        })
    }
}

/// Serves on `listener` until the task is aborted, or until told to stop listening (then
/// the calls under way are answered and the connections closed). An accept error ends it
/// early, which the tests then see as refused connections.
fn serve(listener: tokio::net::TcpListener, state: &Shared) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(Arc::clone(state));
    let state = Arc::clone(state);
    tokio::spawn(async move {
        let stop = async move { state.stop_listening.notified().await };
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await;
    })
}

impl MockServer {
    /// Starts a server on `127.0.0.1` and a free port that gives the documented answers.
    /// Must be called within a Tokio runtime.
    ///
    /// # Errors
    /// When no port on 127.0.0.1 can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// A builder, for a fleet, a throttle, a log or another address.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL to give the client, `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues `response` as the next answer to `operation` (after those already queued), for
    /// a valid request. Once its queue is empty, an operation gets its fleet or documented
    /// answer again.
    pub fn enqueue(&self, operation: Operation, response: MockResponse) {
        lock(&self.state)
            .queues
            .entry(operation)
            .or_default()
            .push_back(response);
    }

    /// Whether received requests are kept for [`MockServer::requests`] (they are by default).
    /// Turn it off for load tests and benchmarks, where the record would only grow.
    pub fn set_recording(&self, on: bool) {
        let mut script = lock(&self.state);
        script.recording = on;
        if !on {
            script.requests = Vec::new();
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// How many requests the fake Entra token endpoint answered.
    pub fn token_requests(&self) -> u64 {
        lock(&self.state).entra.as_ref().map_or(0, |e| e.requests)
    }

    /// Makes every access token the fake Entra issued expire now (the next call gets `401`).
    pub fn expire_access_tokens(&self) {
        if let Some(entra) = lock(&self.state).entra.as_mut() {
            entra.expire_all();
        }
    }

    /// Starts `fault` once `calls` more Partner Center calls have been received (0: at the
    /// next call): with [`Fault::RefuseTokens`] the next call after those is the first
    /// refused; with [`Fault::StopListening`] the last of them is answered, then the fake
    /// stops listening.
    pub fn fault_after(&self, calls: u64, fault: Fault) {
        let mut script = lock(&self.state);
        let at = script.faults.calls.saturating_add(calls);
        match fault {
            Fault::RefuseTokens => script.faults.refuse_tokens_from = Some(at),
            Fault::StopListening => {
                if calls == 0 {
                    self.state.stop_listening.notify_one();
                } else {
                    script.faults.stop_listening_at = Some(at);
                }
            }
        }
    }

    /// Ends every fault scheduled or started: tokens are accepted again (a fake that
    /// stopped listening needs [`MockServer::listen_again`]).
    pub fn clear_faults(&self) {
        let mut script = lock(&self.state);
        script.faults.refuse_tokens_from = None;
        script.faults.stop_listening_at = None;
    }

    /// Listens again on the same address after [`Fault::StopListening`].
    ///
    /// # Errors
    /// When the address cannot be bound again.
    pub async fn listen_again(&self) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.address).await?;
        let task = serve(listener, &self.state);
        let old = std::mem::replace(
            &mut *self.task.lock().unwrap_or_else(PoisonError::into_inner),
            task,
        );
        old.abort();
        Ok(())
    }

    /// The requests that were refused, in order.
    pub fn refusals(&self) -> Vec<RecordedRequest> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.verdict != Verdict::Valid)
            .cloned()
            .collect()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .abort();
    }
}

/// A [`MockServer`] with its documented answers on a thread and Tokio runtime of its own,
/// recording and validation off: for benchmarks and load tests, where the server must not share a scheduler
/// with the code measured. It stops when dropped.
#[derive(Debug)]
pub struct ThreadedMockServer {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadedMockServer {
    /// Starts the server on a new thread; returns once it listens.
    ///
    /// # Errors
    /// When the thread, its runtime or the server cannot be started.
    pub fn start() -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pc-upgrade-mock".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match MockServer::builder().validate(false).start().await {
                        Ok(server) => {
                            server.set_recording(false);
                            let _ = ready_tx.send(Ok(server.base_url()));
                            let _ = stop_rx.await;
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                        }
                    }
                });
            })?;
        let base_url = ready_rx.recv().map_err(|_| {
            std::io::Error::other("the mock server thread ended before listening")
        })??;
        Ok(Self {
            base_url,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The base URL to give the client, `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for ThreadedMockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The largest request body the server reads; a larger one is answered `413`.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// How many characters of a reason go into an error description (the documented cap).
const MAX_DESCRIPTION: usize = 1024;

fn refusal_response(refusal: &Refusal) -> MockResponse {
    let code = match refusal.status {
        StatusCode::UNAUTHORIZED => 800001,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => 800002,
        _ => 800002,
    };
    let description: String = refusal.reason.chars().take(MAX_DESCRIPTION).collect();
    partner_center_error(refusal.status.as_u16(), code, &description)
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
    let mut script = lock(state);
    let faults = &mut script.faults;
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

/// Counts the call against its tenant's window; the wait when the window is used up.
fn throttled(script: &mut Script, throttle: &Throttle, tenant: &str) -> Option<Duration> {
    let window = Duration::from_millis(throttle.window_ms.max(1));
    let now = Instant::now();
    let (start, count) = script.windows.entry(tenant.to_owned()).or_insert((now, 0));
    if now.duration_since(*start) >= window {
        *start = now;
        *count = 0;
    }
    if *count >= throttle.limit {
        return Some(window.saturating_sub(now.duration_since(*start)));
    }
    *count += 1;
    None
}

async fn answer(State(state): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let read = http_body_util::Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes());
    let (body, unread) = match read {
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
    };
    let path = parts.uri.path();
    if parts.method == Method::POST && path.ends_with("/oauth2/v2.0/token") {
        let answer = lock(&state).entra.as_mut().map(|entra| entra.answer(&body));
        if let Some(answer) = answer {
            // Token requests carry secrets: answered, counted, never recorded.
            return plain_answer(answer);
        }
    }
    let request_id = match parts.headers.get("ms-requestid") {
        Some(value) => value.clone(),
        // Like the service, make one up.
        None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(
            HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
        ),
    };
    let mut extra_headers: Vec<(&'static str, String)> = Vec::new();
    let mut operation = None;
    let checked: Result<(Option<Value>, Parameters), Refusal> =
        match contract::contract().route(&parts.method, path) {
            Route::NotFound => Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "No such product upgrade operation.",
            )),
            Route::WrongMethod { allow } => {
                extra_headers.push(("allow", allow.clone()));
                Err(Refusal::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("{} is not allowed here; use {allow}", parts.method),
                ))
            }
            Route::Operation(contract, parameters) => {
                operation = Some(contract.operation);
                if let Some(refusal) = unread {
                    Err(refusal)
                } else if !state.validate {
                    // Read the body only if the fleet needs it (benchmarks have none).
                    Ok((None, parameters))
                } else if let Some(refusal) =
                    faulty(&state).or_else(|| unauthorized(&state, &parts.headers))
                {
                    Err(refusal)
                } else {
                    contract
                        .check(&parts.headers, &parameters, &body)
                        .map(|json| (json, parameters))
                }
            }
        };
    let ms_cv = format!(
        "pcUpgradeMock.{}",
        state.answers.fetch_add(1, Ordering::Relaxed)
    );
    let (planned, record) = {
        let mut script = lock(&state);
        let planned = match (&checked, operation) {
            (Err(refusal), _) => refusal_response(refusal),
            (Ok((json, parameters)), Some(operation)) => {
                let wait = match (&state.throttle, tenant(&parts.headers)) {
                    (Some(throttle), Some(tenant)) => throttled(&mut script, throttle, tenant),
                    _ => None,
                };
                match wait {
                    Some(wait) => throttling_answer(wait),
                    None => match script
                        .queues
                        .get_mut(&operation)
                        .and_then(VecDeque::pop_front)
                    {
                        Some(scripted) => scripted,
                        None => {
                            let answer = FleetCall {
                                operation,
                                json,
                                body: &body,
                                parameters,
                            };
                            fleet_answer(&mut script, answer, &request_id)
                        }
                    },
                }
            }
            (Ok(_), None) => operation_missing(),
        };
        // Nothing is copied for a record nobody keeps (benchmarks, load tests).
        let record = (script.recording || state.log.is_some()).then(|| RecordedRequest {
            operation,
            method: parts.method.clone(),
            path: path.to_owned(),
            headers: parts.headers.clone(),
            body: body.clone(),
            verdict: match &checked {
                Ok(_) => Verdict::Valid,
                Err(refusal) => Verdict::Refused {
                    status: refusal.status.as_u16(),
                    reason: refusal.reason.clone(),
                },
            },
            status: planned.status.as_u16(),
            ms_cv: ms_cv.clone(),
        });
        if script.recording
            && let Some(record) = &record
        {
            script.requests.push(record.clone());
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

    let latency = match (&checked, operation) {
        (Ok(_), Some(operation)) => state.latency.get(&operation).copied(),
        _ => None,
    };
    if let Some(delay) = planned.delay.or(latency) {
        tokio::time::sleep(delay).await;
    }
    if let MockBody::Hang = planned.body {
        std::future::pending::<()>().await;
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = planned.status;
    // Like the service, echo the call's identifiers and add a correlation vector.
    response
        .headers_mut()
        .insert("ms-requestid", request_id.clone());
    if let Some(value) = parts.headers.get("ms-correlationid") {
        response
            .headers_mut()
            .insert("ms-correlationid", value.clone());
    }
    if let Ok(value) = HeaderValue::from_str(&ms_cv) {
        response.headers_mut().insert("ms-cv", value);
    }
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    // A scripted header replaces the fake's own of that name; a name scripted twice is sent
    // twice.
    let mut scripted = Vec::new();
    for (name, value) in planned.headers {
        if scripted.contains(&name) {
            response.headers_mut().append(name, value);
        } else {
            response.headers_mut().insert(name.clone(), value);
            scripted.push(name);
        }
    }
    if !response.headers().contains_key(header::CONTENT_TYPE)
        && !matches!(&planned.body, MockBody::Bytes(b) if b.is_empty())
    {
        response.headers_mut().insert(
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

fn plain_answer(planned: MockResponse) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = planned.status;
    for (name, value) in planned.headers {
        response.headers_mut().append(name, value);
    }
    *response.body_mut() = planned.body.into_body();
    response
}

fn operation_missing() -> MockResponse {
    partner_center_error(500, 800003, "The fake routed a request to no operation.")
}

fn throttling_answer(wait: Duration) -> MockResponse {
    let seconds = wait.as_millis().div_ceil(1000).max(1);
    let body = json!({
        "statusCode": 429,
        "message": format!("Rate limit is exceeded. Try again in {seconds} seconds."),
    });
    MockResponse::json(429, body.to_string()).header("Retry-After", &seconds.to_string())
}

/// A valid call, as the fleet needs it.
struct FleetCall<'a> {
    operation: Operation,
    /// The body as validation read it, if it did.
    json: &'a Option<Value>,
    body: &'a Bytes,
    parameters: &'a [(String, String)],
}

/// The answer of the fleet, or the documented one when there is no fleet.
fn fleet_answer(
    script: &mut Script,
    call: FleetCall<'_>,
    request_id: &HeaderValue,
) -> MockResponse {
    let FleetCall {
        operation,
        json,
        body,
        parameters,
    } = call;
    let Some(fleet) = script.fleet.as_mut() else {
        return operation.documented();
    };
    let body = match json {
        Some(json) => json.clone(),
        None => serde_json::from_slice(body).unwrap_or(Value::Null),
    };
    match operation {
        Operation::CheckEligibility => fleet.eligibility(&body),
        Operation::CreateProductUpgrade => {
            fleet.create(&body, request_id.to_str().unwrap_or_default())
        }
        Operation::GetProductUpgradeStatus => {
            let id = parameters
                .iter()
                .find(|(name, _)| name == "upgrade-id")
                .map(|(_, value)| value.as_str())
                .unwrap_or_default();
            fleet.status(id, &body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str =
        r#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969", "productFamily": "Azure"}"#;

    fn post(http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        http.post(url)
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(REQUEST)
    }

    #[test]
    fn a_threaded_server_answers_and_stops_when_dropped() {
        let server = ThreadedMockServer::start().unwrap();
        let url = format!("{}/v1/productupgrades", server.base_url());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = reqwest::Client::new().post(&url).send().await.unwrap();
            assert_eq!(response.status(), 202);
        });
        drop(server);
        runtime.block_on(async {
            assert!(reqwest::Client::new().post(&url).send().await.is_err());
        });
    }

    #[tokio::test]
    async fn scripted_answers_come_first_then_the_documented_one() {
        let server = MockServer::start().await.unwrap();
        server.enqueue(Operation::CreateProductUpgrade, MockResponse::new(503));
        let http = reqwest::Client::new();
        let url = format!("{}/v1/productupgrades", server.base_url());
        let first = post(&http, &url).send().await.unwrap();
        assert_eq!(first.status(), 503);
        let second = post(&http, &url).send().await.unwrap();
        assert_eq!(second.status(), 202);
        assert_eq!(second.headers()["location"], documented::CREATE_LOCATION);
        assert_eq!(server.requests().len(), 2);
        assert!(server.refusals().is_empty());

        server.set_recording(false);
        post(&http, &url).send().await.unwrap();
        assert!(server.requests().is_empty());
    }

    #[tokio::test]
    async fn invalid_requests_are_refused_and_recorded_with_the_reason() {
        let server = MockServer::start().await.unwrap();
        let http = reqwest::Client::new();
        let base = server.base_url();
        let create = format!("{base}/v1/productupgrades");
        let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
            (
                http.post(&create)
                    .header("content-type", "application/json")
                    .body(REQUEST),
                401,
                "bearer",
            ),
            (
                post(&http, &create).body(r#"{"customerId": "x", "productFamily": "Azure"}"#),
                400,
                "/customerId",
            ),
            (
                post(&http, &create)
                    .body(r#"{"customerId": "4c721420-72ad-4708-a0a7-371a2f7b0969""#),
                400,
                "not JSON",
            ),
            (
                post(&http, &create).header("content-type", "text/plain"),
                415,
                "application/json",
            ),
            (
                post(&http, &create).header("ms-requestid", "not-a-guid"),
                400,
                "MS-RequestId",
            ),
            (
                post(&http, &create).body(vec![b' '; MAX_REQUEST_BYTES + 1]),
                413,
                "larger",
            ),
            (
                post(&http, &format!("{base}/v1/productUpgrades/42/status")),
                400,
                "upgrade-id",
            ),
            (http.get(&create).bearer_auth("t"), 405, "POST"),
            (post(&http, &format!("{base}/v1/customers")), 404, "No such"),
        ];
        let expected = cases.len();
        for (request, status, reason) in cases {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), status, "{reason}");
            let body: Value = response.json().await.unwrap();
            assert!(body["code"].is_i64(), "{body}");
            let refused = server.refusals().pop().unwrap();
            let Verdict::Refused {
                status: recorded,
                reason: why,
            } = &refused.verdict
            else {
                panic!("{refused:?}");
            };
            assert_eq!(*recorded, status);
            assert!(why.contains(reason), "{why:?} does not say {reason:?}");
        }
        assert_eq!(server.refusals().len(), expected);
    }

    #[tokio::test]
    async fn a_throttled_tenant_gets_429_with_retry_after_and_others_do_not() {
        let server = MockServer::builder()
            .throttle(Throttle::new(2, Duration::from_secs(60)))
            .start()
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let url = format!("{}/v1/productUpgrades/eligibility", server.base_url());
        for _ in 0..2 {
            assert_eq!(post(&http, &url).send().await.unwrap().status(), 200);
        }
        let third = post(&http, &url).send().await.unwrap();
        assert_eq!(third.status(), 429);
        let wait: u64 = third.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let other = http
            .post(&url)
            .bearer_auth("another tenant")
            .header("content-type", "application/json")
            .body(REQUEST);
        assert_eq!(other.send().await.unwrap().status(), 200);
    }
}
