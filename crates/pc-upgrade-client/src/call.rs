//! One logical call, run the way the AWS SDK's orchestrator runs one: the overall time limit
//! as one wrapper around everything, a time limit around each attempt, and the retry rules
//! (`retry`) applied to each attempt's typed result (`decode`).
//!
//! [`Call`] is the call's immutable context: its ids and deadline. [`Call::run`] gets the
//! token, builds the call's headers into a [`CallContext`], and hands each attempt a
//! generated client carrying that context, which the request hook reads.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::ResponseValue;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use crate::context::{CallContext, CallHeaders, Shared, uuid_header};
use crate::decode::{self, GeneratedError, Record};
use crate::error::{CallInfo, Error};
use crate::generated::Client;
use crate::retry::{self, Decision};
use crate::throttle::Answer;

/// One logical call: its immutable context.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) operation: &'static str,
    pub(crate) request_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) correlation_header: &'a HeaderValue,
    /// The caller's `MS-CV`, if it set one.
    pub(crate) correlation_vector: Option<&'a HeaderValue>,
    /// `MS-ContinuationToken`: the page of a collection asked for (`list_customers`).
    pub(crate) continuation: Option<&'a str>,
    /// The overall limit of this call.
    pub(crate) overall: Duration,
    /// When the overall limit passes; `None` when it is too far to represent.
    pub(crate) deadline: Option<Instant>,
    /// Turns `true` when the call, not let go yet, is called off.
    call_off: Option<&'a tokio::sync::watch::Receiver<bool>>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(
        shared: &'a Arc<Shared>,
        operation: &'static str,
        request_id: Option<Uuid>,
        correlation: (Uuid, &'a HeaderValue),
        correlation_vector: Option<&'a HeaderValue>,
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
            correlation_id: correlation.0,
            correlation_header: correlation.1,
            correlation_vector,
            continuation: None,
            overall,
            deadline: Instant::now().checked_add(overall),
            call_off: None,
        }
    }

    /// The call is called off, before it is first let go, once `off` holds `true`.
    pub(crate) fn with_call_off(
        mut self,
        off: Option<&'a tokio::sync::watch::Receiver<bool>>,
    ) -> Self {
        self.call_off = off;
        self
    }

    /// Waits for the rate limit to let the attempt go, if the client has one. The first
    /// attempt of a call that may be called off races that wait against the call-off:
    /// `None` when it was called off first (or before), and nothing is sent.
    async fn let_go(&self, first: bool) -> Option<Option<Instant>> {
        let acquire = async {
            match &self.shared.rate_limit {
                Some(limit) => Some(limit.acquire(self.operation).await),
                None => None,
            }
        };
        let Some(off) = self.call_off.filter(|_| first) else {
            return Some(acquire.await);
        };
        let mut off = off.clone();
        if *off.borrow_and_update() {
            return None;
        }
        let called_off = async move {
            // A sender gone can never call it off.
            if off.wait_for(|off| *off).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(acquire, called_off);
        // The rate limit first when both are ready: a slot taken is a call let go.
        match futures_util::future::select(acquire, called_off).await {
            futures_util::future::Either::Left((sent, _)) => Some(sent),
            futures_util::future::Either::Right(((), _)) => None,
        }
    }

    /// The call's span: OpenTelemetry's HTTP client conventions (the span's name, for an
    /// exporter, is `otel.name`), beside the names this crate's logs had before; what is
    /// known only later is recorded then.
    fn span(&self) -> tracing::Span {
        tracing::info_span!(
            "partner_center_call",
            otel.name = self.operation,
            otel.kind = "client",
            http.request.method = tracing::field::Empty,
            url.full = tracing::field::Empty,
            server.address = tracing::field::Empty,
            server.port = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            error.type = tracing::field::Empty,
            operation = self.operation,
            request_id = %self.request_id,
            correlation_id = %self.correlation_id,
            ms_cv = tracing::field::Empty,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
        )
    }

    /// The call asks for the page after the one this token came with.
    pub(crate) fn with_continuation(mut self, token: Option<&'a str>) -> Self {
        self.continuation = token;
        self
    }

    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Runs the call: `send` makes one attempt of the generated operation on the client it
    /// is given. Returns its answer and what is known of the call.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        send: F,
    ) -> Result<(ResponseValue<T>, Box<CallInfo>), Error>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        let span = self.span();
        let mut record = Record::new(self.operation, self.request_id, self.correlation_id);
        // Only for the log line, so only when a log listens.
        let started = (!span.is_disabled()).then(Instant::now);
        // The request hook records the URL, method and server on the span, when it is on.
        let traced = (!span.is_disabled()).then(|| span.clone());
        let attempts = self.attempts(&mut record, send, traced);
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
            Some(deadline) => tokio::time::timeout_at(deadline, attempts).await.ok(),
            None => Some(attempts.await),
        };
        let result = match outcome {
            Some(Ok(value)) => Ok((value, record.info())),
            Some(Err(error)) => Err(error),
            None => Err(Error::Timeout {
                call: record.info(),
                after: self.overall,
            }),
        };
        if !span.is_disabled() {
            span.record("attempts", record.attempts);
            span.record(
                "http.request.resend_count",
                record.attempts.saturating_sub(1),
            );
            if let Some(status) = record.status {
                span.record("status", status.as_u16());
                span.record("http.response.status_code", status.as_u16());
            }
            if let Some(cv) = &record.ms_cv {
                span.record("ms_cv", tracing::field::display(crate::text::Escaped(cv)));
            }
            if let Err(error) = &result {
                span.record("error.type", error.error_type());
            }
            // The whole call's time: its waits for the rate limit and retries included.
            let elapsed_ms = started.map_or(0, |s| s.elapsed().as_millis());
            span.in_scope(|| match &result {
                Ok(_) => tracing::debug!(elapsed_ms, "call succeeded"),
                Err(error) => tracing::warn!(elapsed_ms, %error, "call failed"),
            });
        }
        result
    }

    /// The token, then attempts until one is worth returning. Each attempt waits for the
    /// client's rate limit, if it has one.
    async fn attempts<T, F, Fut>(
        &self,
        record: &mut Record,
        mut send: F,
        traced: Option<tracing::Span>,
    ) -> Result<ResponseValue<T>, Error>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        let mut token = self.token(record).await?;
        let mut client = self.client(record, &token, &traced)?;
        let mut refreshed = false;
        loop {
            let Some(sent) = self.let_go(record.attempts == 0).await else {
                return Err(Error::CalledOff {
                    call: record.info(),
                });
            };
            record.attempts += 1;
            let per_attempt = self.shared.timeouts.per_attempt;
            // The attempt's limit, and which limit it is: the overall one when less than a
            // whole attempt's time is left.
            let (limit, after) = match self.remaining() {
                Some(left) if left < per_attempt => (left, self.overall),
                _ => (per_attempt, per_attempt),
            };
            let limits = (self.shared.max_response_bytes, per_attempt);
            let attempt = async {
                match send(client.clone()).await {
                    Ok(value) => {
                        record.saw(value.status(), value.headers());
                        Ok(value)
                    }
                    Err(error) => Err(decode::error(record, error, limits).await),
                }
            };
            let (error, asked) = match tokio::time::timeout(limit, attempt).await {
                Ok(Ok(value)) => {
                    self.budget(sent, Some(Answer::Through));
                    return Ok(value);
                }
                Ok(Err(failure)) => failure,
                Err(_) => {
                    let call = record.info();
                    (Error::Timeout { call, after }, None)
                }
            };
            let policy = &self.shared.retry;
            let delay = policy.delay(record.attempts, asked);
            self.budget(sent, retry::budget_answer(&error, delay));
            let left = self.remaining();
            let mut decision =
                retry::decide(policy, &error, record.attempts, delay, refreshed, left);
            if decision == Decision::Refresh {
                refreshed = true;
                if let Some(fresh) = self.fresh_token(record, &token).await? {
                    token = fresh;
                    client = self.client(record, &token, &traced)?;
                    continue;
                }
                decision = retry::decide(policy, &error, record.attempts, delay, refreshed, left);
            }
            match decision {
                Decision::Wait(delay) => {
                    log_retry(record, delay, &error);
                    tokio::time::sleep(delay).await;
                }
                Decision::Refresh | Decision::GiveUp => return Err(error),
            }
        }
    }

    /// Tells the rate limit, if any, what came of the attempt it let go at `sent`.
    fn budget(&self, sent: Option<Instant>, answer: Option<Answer>) {
        if let (Some(limit), Some(sent), Some(answer)) = (&self.shared.rate_limit, sent, answer) {
            limit.answered(self.operation, sent, answer);
        }
    }

    /// A new token in place of `token`, which the service refused; `None` when the source
    /// has no other.
    async fn fresh_token(
        &self,
        record: &Record,
        token: &SecretString,
    ) -> Result<Option<SecretString>, Error> {
        let fresh = self
            .shared
            .token
            .invalidate(token)
            .await
            .map_err(|source| {
                let call = record.info();
                Error::Token { call, source }
            })?;
        if fresh.expose_secret() == token.expose_secret() {
            return Ok(None);
        }
        tracing::info!(
            attempt = record.attempts,
            "token refused; retrying with a new one"
        );
        Ok(Some(fresh))
    }

    /// The call's token.
    async fn token(&self, record: &Record) -> Result<SecretString, Error> {
        self.shared
            .token
            .token()
            .await
            .map_err(|source| Error::Token {
                call: record.info(),
                source,
            })
    }

    /// The generated client of this call: the shared connections, and this call's headers
    /// for `token` in its context.
    fn client(
        &self,
        record: &Record,
        token: &SecretString,
        traced: &Option<tracing::Span>,
    ) -> Result<Client, Error> {
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::InvalidRequest {
                call: record.info(),
                reason: "the bearer token is not a valid header value".into(),
            })?;
        authorization.set_sensitive(true);
        let headers = CallHeaders {
            authorization,
            request_id: uuid_header(self.request_id),
            correlation_id: self.correlation_header.clone(),
            correlation_vector: self.correlation_vector.cloned(),
            traced: traced.clone(),
            continuation: match self.continuation {
                None => None,
                Some(token) => {
                    Some(
                        HeaderValue::from_str(token).map_err(|_| Error::InvalidRequest {
                            call: record.info(),
                            reason: "the continuation token is not a valid header value".into(),
                        })?,
                    )
                }
            },
        };
        let context = CallContext {
            shared: Arc::clone(self.shared),
            headers: Arc::new(headers),
        };
        Ok(Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            context,
        ))
    }
}

/// A retry, in the log: the attempt, the status it got (if any), the wait and the error.
fn log_retry(record: &Record, delay: Duration, error: &Error) {
    match record.status {
        Some(status) => tracing::info!(
            attempt = record.attempts,
            status = status.as_u16(),
            ?delay,
            %error,
            "retrying"
        ),
        None => tracing::info!(attempt = record.attempts, ?delay, %error, "retrying"),
    }
}
