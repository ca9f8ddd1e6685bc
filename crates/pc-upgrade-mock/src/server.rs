//! [`MockServer`]: the listening server, its script and its record.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::documented;
use crate::response::{MockBody, MockResponse};

/// The operations the server knows, matched on method and path (the path case-insensitively,
/// as the service does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /v1/productUpgrades/eligibility`.
    CheckEligibility,
    /// `POST /v1/productupgrades`.
    CreateProductUpgrade,
    /// `POST /v1/productUpgrades/{upgrade-id}/status`.
    GetProductUpgradeStatus,
}

impl Operation {
    fn of(method: &Method, path: &str) -> Option<Self> {
        if method != Method::POST {
            return None;
        }
        let path = path.to_ascii_lowercase();
        let rest = path.strip_prefix("/v1/productupgrades")?;
        match rest {
            "" | "/" => Some(Self::CreateProductUpgrade),
            "/eligibility" => Some(Self::CheckEligibility),
            _ => {
                let id = rest.strip_prefix('/')?.strip_suffix("/status")?;
                (!id.is_empty() && !id.contains('/')).then_some(Self::GetProductUpgradeStatus)
            }
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

/// A request the server received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The operation it matched, if any.
    pub operation: Option<Operation>,
    /// The method.
    pub method: Method,
    /// The path, as sent.
    pub path: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
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
}

struct Script {
    queues: HashMap<Operation, VecDeque<MockResponse>>,
    requests: Vec<RecordedRequest>,
    recording: bool,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            queues: HashMap::new(),
            requests: Vec::new(),
            recording: true,
        }
    }
}

type Shared = Arc<Mutex<Script>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Script> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fake Partner Center on `127.0.0.1`, on a port of its own. It stops when dropped.
pub struct MockServer {
    address: SocketAddr,
    script: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server on `127.0.0.1` and a free port. Must be called within a Tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let script = Shared::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&script));
        let task = tokio::spawn(async move {
            // The server runs until the task is aborted; an accept error ends it early, which
            // the tests then see as refused connections.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            script,
            task,
        })
    }

    /// The base URL to give the client, `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues `response` as the next answer to `operation` (after those already queued). Once
    /// its queue is empty, an operation gets its documented answer again.
    pub fn enqueue(&self, operation: Operation, response: MockResponse) {
        lock(&self.script)
            .queues
            .entry(operation)
            .or_default()
            .push_back(response);
    }

    /// Whether received requests are kept for [`MockServer::requests`] (they are by default).
    /// Turn it off for load tests and benchmarks, where the record would only grow.
    pub fn set_recording(&self, on: bool) {
        let mut script = lock(&self.script);
        script.recording = on;
        if !on {
            script.requests = Vec::new();
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.script).requests.clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A [`MockServer`] with its documented answers on a thread and Tokio runtime of its own,
/// recording off: for benchmarks and load tests, where the server must not share a scheduler
/// with the code measured. It stops when dropped.
#[derive(Debug)]
pub struct ThreadedMockServer {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadedMockServer {
    /// Starts the server on a new thread; returns once it listens.
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
                    match MockServer::start().await {
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

/// The largest request body the server reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

async fn answer(State(script): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, MAX_REQUEST_BYTES).await.unwrap_or_default();
    let operation = Operation::of(&parts.method, parts.uri.path());
    let scripted = {
        let mut script = lock(&script);
        if script.recording {
            script.requests.push(RecordedRequest {
                operation,
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
                headers: parts.headers.clone(),
                body,
            });
        }
        operation.and_then(|op| script.queues.get_mut(&op)?.pop_front())
    };
    let planned = match (scripted, operation) {
        (Some(response), _) => response,
        (None, Some(operation)) => operation.documented(),
        (None, None) => MockResponse::json(
            404,
            r#"{"code": 404, "description": "No such product upgrade operation.", "data": [], "source": "pc-upgrade-mock"}"#,
        ),
    };
    if let Some(delay) = planned.delay {
        tokio::time::sleep(delay).await;
    }
    if let MockBody::Hang = planned.body {
        std::future::pending::<()>().await;
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = planned.status;
    // Like the service, echo the call's identifiers.
    for name in ["ms-requestid", "ms-correlationid"] {
        if let Some(value) = parts.headers.get(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
        .headers_mut()
        .insert("ms-cv", HeaderValue::from_static("pcUpgradeMock.0"));
    for (name, value) in planned.headers {
        response.headers_mut().append(name, value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_matched_case_insensitively() {
        let post = Method::POST;
        assert_eq!(
            Operation::of(&post, "/v1/productUpgrades/eligibility"),
            Some(Operation::CheckEligibility)
        );
        assert_eq!(
            Operation::of(&post, "/v1/productupgrades"),
            Some(Operation::CreateProductUpgrade)
        );
        assert_eq!(
            Operation::of(
                &post,
                "/v1/productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4/status"
            ),
            Some(Operation::GetProductUpgradeStatus)
        );
        assert_eq!(Operation::of(&Method::GET, "/v1/productupgrades"), None);
        assert_eq!(Operation::of(&post, "/v1/productupgrades/x/y/status"), None);
        assert_eq!(Operation::of(&post, "/v1/customers"), None);
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
        let first = http.post(&url).send().await.unwrap();
        assert_eq!(first.status(), 503);
        let second = http.post(&url).send().await.unwrap();
        assert_eq!(second.status(), 202);
        assert_eq!(second.headers()["location"], documented::CREATE_LOCATION);
        assert_eq!(server.requests().len(), 2);

        server.set_recording(false);
        http.post(&url).send().await.unwrap();
        assert!(server.requests().is_empty());
    }
}
