//! Every retry rule of the client: what is retried (the classifier, applied to an
//! attempt's typed error), how long to wait ([`RetryPolicy`], `Retry-After`), when a refused
//! token is refreshed, which failures pause every call of the client, and how long a call
//! may take ([`Timeouts`]).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{Error, find_source};
use crate::throttle::Answer;

/// What the attempt loop does after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Get a new token and try again at once (once per call, after a `401`).
    Refresh,
    /// Wait this long, then try again.
    Wait(Duration),
    /// Return the error.
    GiveUp,
}

/// What to do after attempt number `attempt` failed with `error`, the wait before a retry
/// being `delay` and the call having `left` of its overall limit (`None`: no limit).
pub(crate) fn decide(
    policy: &RetryPolicy,
    error: &Error,
    attempt: u32,
    delay: Duration,
    refreshed: bool,
    left: Option<Duration>,
) -> Decision {
    // A refused token is refreshed once, and the call tried again with the new one.
    if error.status() == Some(StatusCode::UNAUTHORIZED) && !refreshed {
        return Decision::Refresh;
    }
    if !retryable(error) || attempt >= policy.max_attempts {
        return Decision::GiveUp;
    }
    // A wait that would outlast the overall limit is not begun: the caller hears now (a
    // `Throttled` names the wait the service asked for).
    if left.is_some_and(|left| delay >= left) {
        return Decision::GiveUp;
    }
    Decision::Wait(delay)
}

/// What a failure says of the service's budget, for the rate limit: a `429` pauses the
/// calls it applies to for the wait (it is about the partner's budget, not this call); any
/// other answer the service gave shows the budget let the call through; no answer (a
/// timeout, a transport failure, no token) says nothing.
pub(crate) fn budget_answer(error: &Error, wait: Duration) -> Option<Answer> {
    match error {
        Error::Throttled { .. } => Some(Answer::Throttled(wait)),
        Error::Api { .. }
        | Error::UnexpectedStatus { .. }
        | Error::InvalidJson { .. }
        | Error::MissingLocation { .. }
        | Error::InvalidLocation { .. }
        | Error::BodyTooLarge { .. } => Some(Answer::Through),
        _ => None,
    }
}

/// The retry classifier, applied to an attempt's typed error: throttling, `408 Request
/// Timeout` (the service gave up waiting for the request), the transient server errors
/// (`500`, `502`, `503`, `504`), an attempt that timed out and a transport failure that may
/// not recur are retried; anything that would fail the same way again is
/// not (a refusal, a malformed answer, a body too large, a redirect to another origin).
pub(crate) fn retryable(error: &Error) -> bool {
    match error {
        Error::Throttled { .. } | Error::Timeout { .. } => true,
        Error::Api { call, .. } | Error::UnexpectedStatus { call, .. } => call
            .status
            .is_some_and(|status| matches!(status.as_u16(), 408 | 500 | 502 | 503 | 504)),
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
    if crate::error::unknown_host(error) {
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

/// How a call is retried.
///
/// A call is retried after `429 Too Many Requests` (waiting at least its `Retry-After`),
/// after `408`, `500`, `502`, `503` and `504`, and after a transport failure or an attempt that timed
/// out. Other statuses are final. Every attempt of a call carries the same `MS-RequestId`, which
/// is what makes retrying a create call safe.
///
/// Start from [`RetryPolicy::default`] (or [`RetryPolicy::none`]) and change what you need
/// with the `with_*` methods; the struct is `#[non_exhaustive]`, so that a setting added later
/// breaks no caller.
///
/// The default: **4 attempts** in all; backoff **0.5 s, doubling, at most 30 s**, with
/// **jitter** (each wait between half and all of its value); a `Retry-After` longer than the
/// backoff is waited instead. So a call throttled four times with no `Retry-After` waits at
/// most 0.5 + 1 + 2 s before giving up with [`Error::Throttled`](crate::Error::Throttled):
/// brief enough for an interactive caller, while the client's [`Timeouts`] bound the whole.
/// A batch that would rather wait than fail raises `max_attempts` (`pc-upgrade` uses 6).
///
/// ```
/// # use std::time::Duration;
/// let policy = pc_upgrade_client::RetryPolicy::default()
///     .with_max_attempts(6)
///     .with_max_backoff(Duration::from_secs(10));
/// assert_eq!(policy.max_attempts, 6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (`1` disables retries).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles for each retry after that.
    pub initial_backoff: Duration,
    /// The longest backoff (before jitter).
    pub max_backoff: Duration,
    /// Randomise each backoff between half and all of its value, so that many clients
    /// throttled together do not come back together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is tried once.
    #[must_use]
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (`1` disables retries).
    #[must_use]
    pub const fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The backoff before the first retry.
    #[must_use]
    pub const fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// The longest backoff (before jitter).
    #[must_use]
    pub const fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Whether each backoff is randomised between half and all of its value.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let backoff = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        if self.jitter {
            // `mul_f64` panics past `Duration::MAX`, which rounding can reach for absurd
            // settings; such a backoff is kept as it is.
            Duration::try_from_secs_f64(backoff.as_secs_f64() * (0.5 + fastrand::f64() * 0.5))
                .unwrap_or(backoff)
        } else {
            backoff
        }
    }

    /// The wait before retry number `retry`: the backoff, or the wait the service asked for
    /// (`Retry-After`) when that is longer.
    pub(crate) fn delay(&self, retry: u32, asked: Option<Duration>) -> Duration {
        let backoff = self.backoff(retry);
        match asked {
            Some(asked) => asked.max(backoff),
            None => backoff,
        }
    }
}

/// `Retry-After`, in either of its forms: delay-seconds or an HTTP-date (a date in the past
/// means no wait).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long a call may take.
///
/// Like [`RetryPolicy`], `#[non_exhaustive]`: start from [`Timeouts::default`] and use the
/// `with_*` methods.
///
/// The default: **30 s per attempt** (sending the request to the end of the answer's body:
/// each call is one small JSON request and answer, so an attempt past 30 s is stuck, and
/// another one does better), and **120 s for the whole call**, retries and their waits
/// included, so that no call outlives two minutes whatever the retry policy says. A time limit the platform cannot represent (`Duration::MAX`) is no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// One attempt: from sending the request to the end of the answer's body.
    pub per_attempt: Duration,
    /// The whole call, every attempt and every wait between them included.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            per_attempt: Duration::from_secs(30),
            overall: Duration::from_secs(120),
        }
    }
}

impl Timeouts {
    /// The limit of one attempt.
    #[must_use]
    pub const fn with_per_attempt(mut self, per_attempt: Duration) -> Self {
        self.per_attempt = per_attempt;
        self
    }

    /// The limit of the whole call.
    #[must_use]
    pub const fn with_overall(mut self, overall: Duration) -> Self {
        self.overall = overall;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    /// An error with a cause, as hyper-util's resolver gives one.
    #[derive(Debug)]
    struct Chain(&'static str, std::io::Error);

    impl std::fmt::Display for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Chain {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn a_host_that_does_not_exist_is_known_and_a_resolver_down_is_not() {
        let lookup = |text: &str| Chain("dns error", std::io::Error::other(text.to_owned()));
        let nonexistent = lookup("failed to lookup address information: Name or service not known");
        assert!(crate::error::unknown_host(&nonexistent));
        let down =
            lookup("failed to lookup address information: Temporary failure in name resolution");
        assert!(!crate::error::unknown_host(&down));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!crate::error::unknown_host(&refused));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_570_221_335);
        assert_eq!(
            retry_after(&headers("57"), now),
            Some(Duration::from_secs(57))
        );
        // 1570221335 is Fri, 04 Oct 2019 20:35:35 GMT.
        assert_eq!(
            retry_after(&headers("Fri, 04 Oct 2019 20:36:05 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("Fri, 04 Oct 2019 20:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            jitter: false,
        };
        let waits: Vec<u128> = (1..=5).map(|r| policy.backoff(r).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn jitter_stays_within_half_and_all_of_the_backoff() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            let wait = policy.backoff(1);
            assert!(wait >= Duration::from_millis(500) && wait <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_wins_when_longer_than_the_backoff() {
        let policy = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        let asked = retry_after(&headers("3"), SystemTime::now());
        assert_eq!(policy.delay(1, asked), Duration::from_secs(3));
        assert_eq!(
            policy.delay(1, Some(Duration::ZERO)),
            Duration::from_millis(500)
        );
    }
}

/// The retry rules and [`Error::kind`] are one classification seen from two places: what
/// the client retries within a call is what a caller would try again soon. Pinned here over
/// every status, with and without a Partner Center error body, so that neither changes
/// alone.
#[cfg(test)]
mod pinned_to_kind {
    use reqwest::StatusCode;

    use super::retryable;
    use crate::error::{BodyExcerpt, CallInfo, Error};
    use crate::kind::{Again, ErrorKind};

    fn call(status: Option<u16>) -> Box<CallInfo> {
        Box::new(CallInfo {
            operation: "check_eligibility",
            status: status.and_then(|s| StatusCode::from_u16(s).ok()),
            request_id: uuid::Uuid::nil(),
            correlation_id: uuid::Uuid::nil(),
            attempts: 1,
            ms_cv: None,
        })
    }

    fn errors(status: u16) -> Vec<Error> {
        let body = serde_json::json!({"code": 3000, "description": "no"});
        vec![
            Error::UnexpectedStatus {
                call: call(Some(status)),
                body: BodyExcerpt::default(),
            },
            Error::Api {
                call: call(Some(status)),
                error: Box::new(serde_json::from_value(body).expect("an error body")),
            },
        ]
    }

    #[test]
    fn what_the_client_retries_is_what_a_caller_tries_again_soon() {
        let mut all: Vec<Error> = (400..600).flat_map(errors).collect();
        all.push(Error::Throttled {
            call: call(Some(429)),
            retry_after: None,
            message: None,
        });
        all.push(Error::Timeout {
            call: call(None),
            after: std::time::Duration::from_secs(1),
        });
        let mut retried = 0;
        for error in &all {
            let soon = matches!(error.kind(), ErrorKind::Transient(t) if t.again == Again::Soon);
            if retryable(error) {
                retried += 1;
                assert!(
                    soon,
                    "retried but not transient: {error} ({:?})",
                    error.kind()
                );
            }
            if matches!(error.kind(), ErrorKind::Caller | ErrorKind::Customer) {
                assert!(!retryable(error), "retried, yet final: {error}");
            }
        }
        assert!(retried >= 10, "{retried}");
    }
}
