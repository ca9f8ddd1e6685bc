//! [`MockServer`]: the listening server, its builder, and what a test asks of it (answers to
//! queue, faults to start, what it was sent).

use std::collections::HashMap;
use std::net::SocketAddr;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use uuid::Uuid;

use crate::contract;
use crate::entra::{EntraState, FakeEntra};
use crate::fleet::Fleet;
use crate::handler;
use crate::operation::Operation;
use crate::record::{RecordedRequest, Verdict};
use crate::response::MockResponse;
use crate::state::{Faults, Live, ServerState, Shared, lock};
use crate::throttle::{Throttle, Windows};
use crate::upgrades::FleetState;

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
            .or_else(|| self.fleet.as_ref().and_then(|f| f.throttle.clone()));
        let state = Arc::new(ServerState {
            live: Mutex::new(Live {
                queues: HashMap::new(),
                customer_queues: HashMap::new(),
                requests: Vec::new(),
                recording: true,
                fleet: self.fleet.as_ref().map(FleetState::new),
                windows: Windows::default(),
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
        .fallback(handler::answer)
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

    /// Queues `response` as the next answer to `operation` for `customer` alone (after those
    /// already queued for them), before any answer queued for the operation: for example a
    /// `429`, then a `500`, then the create accepted, for one customer of a fleet while the
    /// others are answered as the fleet says. Once the customer's queue is empty, their calls
    /// are answered as before.
    ///
    /// A `429`'s `Retry-After` is in whole seconds, as the service sends it
    /// ([`MockResponse::throttled`]); a test that should not wait them runs on Tokio's paused
    /// clock (`#[tokio::test(start_paused = true)]`), which the fake and the client both keep:
    /// the second passes at once.
    pub fn enqueue_for(&self, customer: Uuid, operation: Operation, response: MockResponse) {
        lock(&self.state)
            .customer_queues
            .entry((customer, operation))
            .or_default()
            .push_back(response);
    }

    /// Whether received requests are kept for [`MockServer::requests`] (they are by default).
    /// Turn it off for load tests and benchmarks, where the record would only grow.
    pub fn set_recording(&self, on: bool) {
        let mut live = lock(&self.state);
        live.recording = on;
        if !on {
            live.requests = Vec::new();
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
        let mut live = lock(&self.state);
        let at = live.faults.calls.saturating_add(calls);
        match fault {
            Fault::RefuseTokens => live.faults.refuse_tokens_from = Some(at),
            Fault::StopListening => {
                if calls == 0 {
                    self.state.stop_listening.notify_one();
                } else {
                    live.faults.stop_listening_at = Some(at);
                }
            }
        }
    }

    /// Ends every fault scheduled or started: tokens are accepted again (a fake that
    /// stopped listening needs [`MockServer::listen_again`]).
    pub fn clear_faults(&self) {
        let mut live = lock(&self.state);
        live.faults.refuse_tokens_from = None;
        live.faults.stop_listening_at = None;
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
