//! [`PartnerCenterClient`] and its builder.

use std::fmt;
use std::sync::Arc;

use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::SecretString;
use uuid::Uuid;

use crate::call::Call;
use crate::context::{Shared, uuid_header};
use crate::error::{BuildError, CallInfo};
use crate::retry::{RetryPolicy, Timeouts};
use crate::throttle::RateLimit;
use crate::token::{StaticToken, TokenSource};

/// The public Partner Center endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";

/// A client for the product upgrade operations.
///
/// Cheap to clone (clones share the connection pool). Build one with
/// [`PartnerCenterClient::builder`].
#[derive(Clone)]
pub struct PartnerCenterClient {
    shared: Arc<Shared>,
    correlation_id: Uuid,
    correlation_header: HeaderValue,
    /// The `MS-CV` sent on every call, if the caller set one.
    correlation_vector: Option<HeaderValue>,
    /// Turns `true` when the calls not let go yet are called off ([`Self::with_call_off`]).
    call_off: Option<tokio::sync::watch::Receiver<bool>>,
}

/// Per-call settings of the `*_with` methods. The default: a new `MS-RequestId` for the call,
/// and the client's own time limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct CallOptions {
    /// The call's `MS-RequestId` (default: a new GUID). Partner Center takes it as the
    /// call's idempotency key: a create sent again with the request id of an earlier one (after
    /// a restart, say) is the same create.
    pub request_id: Option<Uuid>,
    /// A shorter overall time limit for this call than the client's.
    pub(crate) limit: Option<Duration>,
}

impl CallOptions {
    /// Sends the call with this `MS-RequestId`.
    pub fn request_id(mut self, id: Uuid) -> Self {
        self.request_id = Some(id);
        self
    }
}

/// A successful answer and what came with it: the ids the call was made with, the `MS-CV`
/// of the answer, its status and the number of attempts, for audit logs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WithInfo<T> {
    /// The answer.
    pub value: T,
    /// The call.
    pub call: CallInfo,
}

impl fmt::Debug for PartnerCenterClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerCenterClient")
            .field("base_url", &self.shared.base_url)
            .field("correlation_id", &self.correlation_id)
            .field("token", &"[REDACTED]")
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PartnerCenterClient`].
#[must_use]
pub struct ClientBuilder {
    base_url: String,
    token: Option<Arc<dyn TokenSource>>,
    correlation_id: Option<Uuid>,
    locale: String,
    application: Option<String>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    max_response_bytes: usize,
    http: Option<reqwest::Client>,
    rate_limit: Option<Arc<RateLimit>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            token: None,
            correlation_id: None,
            locale: "en-US".to_owned(),
            application: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            max_response_bytes: 4 * 1024 * 1024,
            http: None,
            rate_limit: None,
        }
    }
}

impl ClientBuilder {
    /// The API's base URL, without the `/v1` path (default [`DEFAULT_BASE_URL`]). Plain
    /// `http://` is refused unless the host is loopback (a local test server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// A bearer token that never changes.
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// Where to get a bearer token for each call (tokens expire).
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.token = Some(Arc::new(source));
        self
    }

    /// The `MS-CorrelationId` of every call (default: a new GUID for this client).
    pub fn correlation_id(mut self, id: Uuid) -> Self {
        self.correlation_id = Some(id);
        self
    }

    /// The `X-Locale` of every call (default `en-US`).
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = locale.into();
        self
    }

    /// The `MS-PartnerCenter-Application` name sent with every call (default: none).
    pub fn application_name(mut self, name: impl Into<String>) -> Self {
        self.application = Some(name.into());
        self
    }

    /// How calls are retried (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long calls may take (default [`Timeouts::default`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The largest answer body read, in bytes (default 4 MiB); a larger one is an
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Spaces every attempt of every call of this client and its clones by `limit`, and
    /// pauses them all when one is throttled (default: no limit).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(Arc::new(limit));
        self
    }

    /// A `reqwest::Client` of your own (proxy, TLS roots, pool settings). Its own timeouts, if
    /// any, apply beside [`Timeouts`]. The client's own follows redirects only within the
    /// same origin; give yours a redirect policy that does as much, or the bearer token and
    /// body may be sent to wherever a redirect points.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`BuildError`] when no token was given, the base URL is not a URL, is plain http to
    /// a host that is not loopback, a header value is not valid in HTTP, or the HTTP client
    /// cannot be built.
    pub fn build(self) -> Result<PartnerCenterClient, BuildError> {
        let token = self.token.ok_or(BuildError::MissingToken)?;
        let base_url = check_base_url(&self.base_url)?;
        let header = |what: &str, value: &str| {
            HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeader {
                header: what.to_owned(),
            })
        };
        let locale = header("X-Locale", &self.locale)?;
        let application = self
            .application
            .as_deref()
            .map(|name| header("MS-PartnerCenter-Application", name))
            .transpose()?;
        crate::tls::ensure_provider();
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.timeouts.per_attempt)
                .redirect(same_origin_redirects())
                .build()
                .map_err(BuildError::Http)?,
        };
        let shared = Arc::new(Shared {
            base_url,
            http,
            token,
            locale,
            application,
            retry: self.retry,
            timeouts: self.timeouts,
            max_response_bytes: self.max_response_bytes,
            rate_limit: self.rate_limit,
        });
        let correlation_id = self.correlation_id.unwrap_or_else(Uuid::new_v4);
        Ok(PartnerCenterClient {
            shared,
            correlation_id,
            correlation_header: uuid_header(correlation_id),
            correlation_vector: None,
            call_off: None,
        })
    }
}

/// Follows a redirect only to the origin the request was sent to, and at most 5 of them;
/// otherwise the redirect itself is the answer (an unexpected status, not retried). A POST
/// to Partner Center must not be re-sent, bearer token and body, to another host.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same && attempt.previous().len() <= 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// Refuses URLs that cannot be a base, and plain http to anything but loopback.
fn check_base_url(url: &str) -> Result<String, BuildError> {
    let invalid = |reason: &str| BuildError::InvalidBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(BuildError::InsecureBaseUrl {
                    url: url.to_owned(),
                });
            }
        }
        other => {
            return Err(invalid(&format!(
                "the scheme {other:?} is not http or https"
            )));
        }
    }
    // The generated operations append `/v1/...` to the base as written.
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

impl PartnerCenterClient {
    /// The rate limit this client's calls share, if it has one: to watch its rate, its
    /// `429`s, and a pause under way ([`RateLimit::paused_for`]).
    pub fn rate_limit(&self) -> Option<Arc<RateLimit>> {
        self.shared.rate_limit.clone()
    }

    /// A builder with the defaults: the public endpoint, `en-US`, [`RetryPolicy::default`],
    /// [`Timeouts::default`]. A token is required.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The `MS-CorrelationId` this client sends.
    pub fn correlation_id(&self) -> Uuid {
        self.correlation_id
    }

    /// A client sharing this one's settings and connections, sending another
    /// `MS-CorrelationId` (to tie one flow's calls together).
    #[must_use]
    pub fn with_correlation_id(&self, id: Uuid) -> Self {
        Self {
            correlation_id: id,
            correlation_header: uuid_header(id),
            ..self.clone()
        }
    }

    /// A client sharing this one's settings and connections that sends `vector` as the
    /// `MS-CV` of every call: a correlation vector, which Partner Center traces a request
    /// by. None is sent unless one is set (the service then makes one up).
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] for a value that is not visible ASCII.
    pub fn with_correlation_vector(&self, vector: &str) -> Result<Self, BuildError> {
        let invalid = || BuildError::InvalidHeader {
            header: "MS-CV".to_owned(),
        };
        if vector.is_empty() || !vector.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid());
        }
        let value = HeaderValue::from_str(vector).map_err(|_| invalid())?;
        Ok(Self {
            correlation_vector: Some(value),
            ..self.clone()
        })
    }

    /// A client sharing this one's settings and connections whose calls are called off once
    /// `off` holds `true`: a call the rate limit has not let go by then (or that comes
    /// after) sends nothing and fails with [`Error::CalledOff`](crate::Error::CalledOff).
    /// A call already sent goes on, its retries included (they carry its `MS-RequestId`).
    ///
    /// For a batch that must send nothing more of a kind once it decides so (a brake on
    /// creates) while calls of that kind wait their turn under the rate limit.
    #[must_use]
    pub fn with_call_off(&self, off: tokio::sync::watch::Receiver<bool>) -> Self {
        Self {
            call_off: Some(off),
            ..self.clone()
        }
    }

    /// The `MS-CV` this client sends, if one was set.
    pub fn correlation_vector(&self) -> Option<&str> {
        self.correlation_vector
            .as_ref()
            .and_then(|v| v.to_str().ok())
    }

    /// One attempt's time limit.
    pub(crate) fn attempt_limit(&self) -> Duration {
        self.shared.timeouts.per_attempt
    }

    pub(crate) fn call(&self, operation: &'static str, options: &CallOptions) -> Call<'_> {
        Call::new(
            &self.shared,
            operation,
            options.request_id,
            (self.correlation_id, &self.correlation_header),
            self.correlation_vector.as_ref(),
            options.limit,
        )
        .with_call_off(self.call_off.as_ref())
    }
}
