//! One logical call, run the way the AWS SDK's orchestrator runs one: the overall time limit
//! as one wrapper around everything, a time limit around each attempt, and a retry
//! classifier applied to each attempt's typed result.
//!
//! - [`Call`] is the call's immutable context: ids, deadline, and the headers (token
//!   included) settled before the generated operation first runs.
//! - The progenitor hooks ([`ClientHooks`] on the generated client) only add the Partner
//!   Center headers and cap the answer's body.
//! - [`Call::run`] is the attempt loop; [`Call::error`] maps what an attempt of the generated
//!   operation returned to the crate's [`Error`], decoding error bodies once, with the schema
//!   the spec declares for the status; [`retryable`] decides from that typed error.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pc_upgrade_types::PartnerCenterError;
use progenitor_client::{ByteStream, ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use crate::body::{TooLarge, capped, read};
use crate::client::Shared;
use crate::error::{BodyExcerpt, CallInfo, Error};
use crate::generated::{self, Client, ErrorBody};
use crate::retry;
use crate::text::{self, MAX_DESCRIPTION, MAX_SHORT};

/// The error type of the generated operations (their error bodies come raw; see
/// [`Call::error`]).
pub(crate) type GeneratedError = progenitor_client::Error<ByteStream>;

/// The Partner Center request headers the client sets (the spec declares them on every
/// operation; a test holds this list to the spec).
pub(crate) mod names {
    use super::HeaderName;
    pub(crate) const MS_REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
    pub(crate) const MS_CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
    pub(crate) const X_LOCALE: HeaderName = HeaderName::from_static("x-locale");
    pub(crate) const MS_CONTRACT_VERSION: HeaderName =
        HeaderName::from_static("ms-contract-version");
    pub(crate) const MS_PARTNER_CENTER_APPLICATION: HeaderName =
        HeaderName::from_static("ms-partnercenter-application");
    /// A response header: the service's correlation vector.
    pub(crate) const MS_CV: HeaderName = HeaderName::from_static("ms-cv");
    /// Added by progenitor to every request; Partner Center does not define it.
    pub(crate) const API_VERSION: HeaderName = HeaderName::from_static("api-version");
}

tokio::task_local! {
    /// The per-call headers of the call running on this task, for the `pre` hook. Set by
    /// [`Call::run`] around its attempts; never changed while they run.
    static CALL_HEADERS: Arc<CallHeaders>;
}

/// The headers that differ from call to call.
struct CallHeaders {
    authorization: HeaderValue,
    request_id: HeaderValue,
    correlation_id: HeaderValue,
}

/// The generated client's context: what every call of a [`PartnerCenterClient`] shares.
///
/// [`PartnerCenterClient`]: crate::PartnerCenterClient
#[derive(Clone)]
pub(crate) struct ClientContext(pub(crate) Arc<Shared>);

impl fmt::Debug for ClientContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientContext { .. }")
    }
}

impl ClientHooks<ClientContext> for Client {
    /// Adds the Partner Center headers; removes progenitor's `api-version`.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let shared = &self.inner().0;
        let headers = request.headers_mut();
        headers.remove(names::API_VERSION);
        CALL_HEADERS
            .try_with(|call| {
                headers.insert(header::AUTHORIZATION, call.authorization.clone());
                headers.insert(names::MS_REQUEST_ID, call.request_id.clone());
                headers.insert(names::MS_CORRELATION_ID, call.correlation_id.clone());
            })
            .map_err(|_| {
                progenitor_client::Error::Custom("an operation ran outside Call::run".into())
            })?;
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(names::X_LOCALE, shared.locale.clone());
        headers.insert(names::MS_CONTRACT_VERSION, HeaderValue::from_static("v1"));
        if let Some(application) = &shared.application {
            headers.insert(names::MS_PARTNER_CENTER_APPLICATION, application.clone());
        }
        Ok(())
    }

    /// Sends the request; the answer's body is capped at the configured size as it is read.
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        Ok(capped(response, self.inner().0.max_response_bytes))
    }
}

/// How far a call has got: what its errors and its success report.
#[derive(Default)]
struct Progress {
    attempts: u32,
    status: Option<StatusCode>,
    ms_cv: Option<String>,
}

impl Progress {
    fn saw(&mut self, status: StatusCode, headers: &HeaderMap) {
        self.status = Some(status);
        self.ms_cv = headers
            .get(names::MS_CV)
            .map(|v| text::bounded(&String::from_utf8_lossy(v.as_bytes()), MAX_SHORT));
    }
}

/// One logical call: its immutable context.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) operation: &'static str,
    pub(crate) request_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) correlation_header: &'a HeaderValue,
    /// The overall limit of this call.
    pub(crate) overall: Duration,
    /// When the overall limit passes; `None` when it is too far to represent.
    pub(crate) deadline: Option<Instant>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        shared: &'a Shared,
        operation: &'static str,
        request_id: Option<Uuid>,
        correlation_id: Uuid,
        correlation_header: &'a HeaderValue,
        limit: Option<Duration>,
    ) -> Self {
        let overall = match limit {
            Some(limit) => limit.min(shared.timeouts.overall),
            None => shared.timeouts.overall,
        };
        Self {
            shared,
            operation,
            request_id: request_id.unwrap_or_else(Uuid::new_v4),
            correlation_id,
            correlation_header,
            overall,
            deadline: Instant::now().checked_add(overall),
        }
    }

    fn info(&self, progress: &Progress) -> Box<CallInfo> {
        Box::new(CallInfo {
            operation: self.operation,
            status: progress.status,
            request_id: self.request_id,
            correlation_id: self.correlation_id,
            attempts: progress.attempts,
            ms_cv: progress.ms_cv.clone(),
        })
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Runs the call: `send` makes one attempt of the generated operation. Returns its answer
    /// and what is known of the call.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        send: F,
    ) -> Result<(ResponseValue<T>, Box<CallInfo>), Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        let span = tracing::info_span!(
            "partner_center_call",
            operation = self.operation,
            request_id = %self.request_id,
            correlation_id = %self.correlation_id,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let mut progress = Progress::default();
        let attempts = self.attempts(&mut progress, send);
        // With no subscriber interested, the span is disabled and the attempts run bare:
        // entering a disabled span on every poll measurably costs more than skipping it.
        let attempts = async {
            if span.is_disabled() {
                attempts.await
            } else {
                attempts.instrument(span.clone()).await
            }
        };
        // The overall limit: one wrapper around the token, every attempt and every wait.
        let outcome = match self.deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, attempts)
                .await
                .unwrap_or(Err(None)),
            None => attempts.await,
        };
        let result = match outcome {
            Ok(value) => Ok((value, self.info(&progress))),
            Err(Some(error)) => Err(error),
            Err(None) => Err(Error::Timeout {
                call: self.info(&progress),
                after: self.overall,
            }),
        };
        if !span.is_disabled() {
            span.record("attempts", progress.attempts);
            if let Some(status) = progress.status {
                span.record("status", status.as_u16());
            }
            span.in_scope(|| match &result {
                Ok(_) => tracing::debug!("call succeeded"),
                Err(error) => tracing::warn!(%error, "call failed"),
            });
        }
        result
    }

    /// The token, then attempts until one is worth returning. `Err(None)`: the overall limit
    /// passed. Each attempt waits for the client's rate limit, if it has one.
    async fn attempts<T, F, Fut>(
        &self,
        progress: &mut Progress,
        mut send: F,
    ) -> Result<ResponseValue<T>, Option<Error>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        let mut token = self.token(progress).await.map_err(Some)?;
        let mut headers = Arc::new(self.headers(progress, &token).map_err(Some)?);
        let mut refreshed = false;
        let policy = &self.shared.retry;
        loop {
            progress.attempts += 1;
            if let Some(limit) = &self.shared.rate_limit {
                limit.acquire().await;
            }
            let per_attempt = self.shared.timeouts.per_attempt;
            // The attempt's limit, and which limit it is: the overall one when less than a
            // whole attempt's time is left.
            let (limit, after) = match self.remaining() {
                Some(left) if left < per_attempt => (left, self.overall),
                _ => (per_attempt, per_attempt),
            };
            let attempt =
                CALL_HEADERS.scope(Arc::clone(&headers), self.attempt(progress, &mut send));
            let (error, asked) = match tokio::time::timeout(limit, attempt).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(failure)) => failure,
                Err(_) => {
                    let error = Error::Timeout {
                        call: self.info(progress),
                        after,
                    };
                    (error, None)
                }
            };
            // The wait before a retry: the backoff, or the service's Retry-After if longer.
            let delay = policy.delay(progress.attempts, asked);
            if let (Error::Throttled { .. }, Some(limit)) = (&error, &self.shared.rate_limit) {
                limit.pause(delay);
            }
            // A refused token is refreshed once, and the call tried again with the new one.
            if error.status() == Some(StatusCode::UNAUTHORIZED) && !refreshed {
                refreshed = true;
                let fresh = self
                    .shared
                    .token
                    .invalidate(&token)
                    .await
                    .map_err(|source| {
                        Some(Error::Token {
                            call: self.info(progress),
                            source,
                        })
                    })?;
                if fresh.expose_secret() != token.expose_secret() {
                    tracing::info!(
                        attempt = progress.attempts,
                        "token refused; retrying with a new one"
                    );
                    token = fresh;
                    headers = Arc::new(self.headers(progress, &token).map_err(Some)?);
                    continue;
                }
            }
            if !retryable(&error) || progress.attempts >= policy.max_attempts {
                return Err(Some(error));
            }
            // A wait that would outlast the overall limit is not begun: the caller hears now
            // (a `Throttled` names the wait the service asked for).
            if self.remaining().is_some_and(|left| delay >= left) {
                return Err(Some(error));
            }
            match progress.status {
                Some(status) => tracing::info!(
                    attempt = progress.attempts,
                    status = status.as_u16(),
                    ?delay,
                    %error,
                    "retrying"
                ),
                None => tracing::info!(attempt = progress.attempts, ?delay, %error, "retrying"),
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The call's token.
    async fn token(&self, progress: &Progress) -> Result<SecretString, Error> {
        self.shared
            .token
            .token()
            .await
            .map_err(|source| Error::Token {
                call: self.info(progress),
                source,
            })
    }

    /// The per-call headers for `token`.
    fn headers(&self, progress: &Progress, token: &SecretString) -> Result<CallHeaders, Error> {
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::InvalidRequest {
                call: self.info(progress),
                reason: "the bearer token is not a valid header value".into(),
            })?;
        authorization.set_sensitive(true);
        Ok(CallHeaders {
            authorization,
            request_id: uuid_header(self.request_id),
            correlation_id: self.correlation_header.clone(),
        })
    }

    /// One attempt: its answer, or the error it came to with the wait the answer asked for.
    async fn attempt<T, F, Fut>(
        &self,
        progress: &mut Progress,
        send: &mut F,
    ) -> Result<ResponseValue<T>, (Error, Option<Duration>)>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        match send().await {
            Ok(value) => {
                progress.saw(value.status(), value.headers());
                Ok(value)
            }
            Err(error) => Err(self.error(progress, error).await),
        }
    }

    /// Maps what an attempt of the generated operation returned to the crate's [`Error`],
    /// with the `Retry-After` of the answer, if any. Error bodies are read here (capped) and
    /// decoded once, as the spec declares them for the status.
    async fn error(
        &self,
        progress: &mut Progress,
        error: GeneratedError,
    ) -> (Error, Option<Duration>) {
        use progenitor_client::Error as E;
        let (status, headers, body) = match error {
            E::ErrorResponse(value) => {
                let (status, headers) = (value.status(), value.headers().clone());
                (status, headers, Some(value.into_inner()))
            }
            E::UnexpectedResponse(response) => {
                let (status, headers) = (response.status(), response.headers().clone());
                (
                    status,
                    headers,
                    Some(ByteStream::new(Box::pin(response.bytes_stream()))),
                )
            }
            E::InvalidResponsePayload(body, source) => {
                // Only documented success bodies are decoded by the generated code.
                progress.status = generated::json_success_status(self.operation)
                    .and_then(|s| StatusCode::from_u16(s).ok());
                let content_type = Some("application/json".to_owned());
                let error = Error::InvalidJson {
                    call: self.info(progress),
                    reason: text::bounded(&source.to_string(), 256),
                    body: BodyExcerpt::new(&body, content_type),
                };
                return (error, None);
            }
            E::CommunicationError(source) | E::ResponseBodyError(source) => {
                return (self.transport(progress, source), None);
            }
            E::InvalidRequest(reason) | E::Custom(reason) => {
                let error = Error::InvalidRequest {
                    call: self.info(progress),
                    reason,
                };
                return (error, None);
            }
            E::InvalidUpgrade(source) => return (self.transport(progress, source), None),
        };
        progress.saw(status, &headers);
        let asked = retry::retry_after(&headers, std::time::SystemTime::now());
        let body = match body {
            Some(stream) => match read(stream).await {
                Ok(body) => body,
                Err(source) => return (self.transport(progress, source), asked),
            },
            None => Bytes::new(),
        };
        let decoded = generated::decode_error_body(self.operation, status.as_u16(), &body);
        let call = self.info(progress);
        let error = match decoded {
            Some(Ok(ErrorBody::PartnerCenterError(error))) => Error::Api {
                call,
                error: Box::new(bounded_error(error)),
            },
            Some(Ok(ErrorBody::ThrottlingError(body))) => Error::Throttled {
                call,
                retry_after: asked,
                message: Some(text::bounded(&body.message, MAX_DESCRIPTION)),
            },
            // A 429 is throttling whatever its body says; its message only comes from the
            // body the spec declares.
            _ if status == StatusCode::TOO_MANY_REQUESTS => Error::Throttled {
                call,
                retry_after: asked,
                message: None,
            },
            // A status the spec does not declare, or a body that is not the declared one.
            _ => {
                let content_type = headers
                    .get(header::CONTENT_TYPE)
                    .map(|v| text::bounded(&String::from_utf8_lossy(v.as_bytes()), MAX_SHORT));
                Error::UnexpectedStatus {
                    call,
                    body: BodyExcerpt::new(&body, content_type),
                }
            }
        };
        (error, asked)
    }

    /// A failure of the HTTP exchange itself.
    fn transport(&self, progress: &Progress, source: reqwest::Error) -> Error {
        if let Some(too_large) = find_source::<TooLarge>(&source) {
            let mut call = self.info(progress);
            call.status = Some(too_large.status());
            return Error::BodyTooLarge {
                call,
                limit: self.shared.max_response_bytes,
            };
        }
        if source.is_timeout() {
            return Error::Timeout {
                call: self.info(progress),
                after: self.shared.timeouts.per_attempt,
            };
        }
        Error::Transport {
            call: self.info(progress),
            source,
        }
    }
}

/// The retry classifier, applied to an attempt's typed error: throttling, the transient
/// server errors (`500`, `502`, `503`, `504`), an attempt that timed out and a transport
/// failure that may not recur are retried; anything that would fail the same way again is
/// not (a refusal, a malformed answer, a body too large, a redirect to another origin).
pub(crate) fn retryable(error: &Error) -> bool {
    match error {
        Error::Throttled { .. } | Error::Timeout { .. } => true,
        Error::Api { call, .. } | Error::UnexpectedStatus { call, .. } => call
            .status
            .is_some_and(|status| matches!(status.as_u16(), 500 | 502 | 503 | 504)),
        Error::Transport { source, .. } => transport_retryable(source),
        _ => false,
    }
}

/// Whether a transport failure can go away on its own. Connections refused, reset or closed
/// early can; an answer the HTTP parser refused (a bad status line, a head too large,
/// conflicting lengths) will be refused again, and so will a request that cannot be built.
fn transport_retryable(error: &reqwest::Error) -> bool {
    if error.is_builder() || error.is_redirect() || error.is_decode() {
        return false;
    }
    if error.is_connect() || error.is_timeout() {
        return true;
    }
    match find_source::<hyper::Error>(error) {
        Some(hyper) => !(hyper.is_parse() || hyper.is_parse_status() || hyper.is_user()),
        None => true,
    }
}

fn find_source<'e, E: std::error::Error + 'static>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e E> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        next = error.source();
    }
    None
}

/// A Partner Center error body with its server text bounded, as an [`Error`] keeps it.
fn bounded_error(mut error: PartnerCenterError) -> PartnerCenterError {
    const MAX_DATA: usize = 4096;
    error.description = text::bounded(&error.description, MAX_DESCRIPTION);
    error.source = error.source.map(|s| text::bounded(&s, MAX_SHORT));
    if let pc_upgrade_types::ErrorCode::Text(code) = &mut error.code {
        *code = text::bounded(code, MAX_SHORT);
    }
    let mut kept = 0;
    error.data.retain(|value| {
        kept += value.to_string().len();
        kept <= MAX_DATA
    });
    error
}

fn uuid_header(id: Uuid) -> HeaderValue {
    let mut buffer = Uuid::encode_buffer();
    // A hyphenated GUID is ASCII hex and hyphens, always a valid header value.
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut buffer))
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"))
}

/// The `MS-CorrelationId` header of a client.
pub(crate) fn correlation_header(id: Uuid) -> HeaderValue {
    uuid_header(id)
}
