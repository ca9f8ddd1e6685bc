//! Waiting for an upgrade to finish: [`PartnerCenterClient::wait_for_upgrade`].

use std::time::Duration;

use futures_util::StreamExt;
use pc_upgrade_types::{
    PartnerCenterErrorCode, ProductUpgradeRequest, ProductUpgradesStatus, UpgradeId,
};
use tracing::Instrument;

use crate::client::PartnerCenterClient;
use crate::error::{CallInfo, Error};
use crate::kind::{Again, ErrorKind, RequestIdUse, Service, Transient};

/// How [`PartnerCenterClient::wait_for_upgrade`] polls.
///
/// Like [`RetryPolicy`](crate::RetryPolicy), `#[non_exhaustive]`: start from
/// [`PollOptions::default`] and use the `with_*` methods.
///
/// The default: a read at once, then after **5 s**, each wait **doubling up to 60 s**, for
/// **30 minutes** in all, with a last read at the 30th minute. Upgrades take minutes to hours; reads at a minute apart cost a
/// fleet one call per upgrade per minute, and the first ones close together catch an upgrade
/// that ends at once. Each read is its own call, with the client's retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollOptions {
    /// The wait after the first status read; it doubles after each read.
    pub initial_interval: Duration,
    /// The longest wait between two reads.
    pub max_interval: Duration,
    /// How long to wait in all before giving up.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl PollOptions {
    /// The wait after the first status read.
    #[must_use]
    pub const fn with_initial_interval(mut self, initial_interval: Duration) -> Self {
        self.initial_interval = initial_interval;
        self
    }

    /// The longest wait between two reads.
    #[must_use]
    pub const fn with_max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// How long to wait in all.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The wait after `interval`: twice as long, at most [`max_interval`](Self::max_interval).
    /// For callers that schedule status reads themselves, as a fleet does.
    #[must_use]
    pub fn next_interval(&self, interval: Duration) -> Duration {
        interval.saturating_mul(2).min(self.max_interval)
    }
}

/// Why [`PartnerCenterClient::wait_for_upgrade`] stopped without a completed upgrade.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// A status read failed (after its own retries).
    #[error(transparent)]
    Call(#[from] Error),
    /// The upgrade failed: its state (or a line item's) is `Failed`, or it reports error
    /// details.
    #[error("the upgrade failed (status {}){}",
        crate::text::Escaped(&crate::text::bounded(&.0.status, crate::text::MAX_SHORT)),
        failure_text(.0))]
    Failed(Box<ProductUpgradesStatus>),
    /// The upgrade was not completed within the time allowed.
    #[error("the upgrade was not completed within {after:?} (last status {})",
        .last.as_ref().map(|s| crate::text::Escaped(&crate::text::bounded(&s.status, crate::text::MAX_SHORT)).to_string()).unwrap_or_else(|| "none".into()))]
    TimedOut {
        /// How long was waited: from the start to the answer of the last read.
        after: Duration,
        /// The last status read, if any.
        last: Option<Box<ProductUpgradesStatus>>,
    },
}

impl WaitError {
    /// The status read that failed, if one did.
    pub fn call_error(&self) -> Option<&Error> {
        match self {
            Self::Call(error) => Some(error),
            Self::Failed(_) | Self::TimedOut { .. } => None,
        }
    }

    /// What is known of the status read that failed, if one did.
    pub fn call(&self) -> Option<&CallInfo> {
        self.call_error().map(Error::call)
    }

    /// The error code, typed as a call's is: the failed status read's, or the failed
    /// upgrade's error details' (a line item's, when the upgrade itself has none).
    pub fn code(&self) -> Option<PartnerCenterErrorCode> {
        match self {
            Self::Call(error) => error.code(),
            Self::Failed(status) => status
                .failure_details()
                .and_then(|d| d.code.as_ref())
                .map(PartnerCenterErrorCode::from_code),
            Self::TimedOut { .. } => None,
        }
    }

    /// The last status read: the failed upgrade's, or the last before the time ran out.
    pub fn status(&self) -> Option<&ProductUpgradesStatus> {
        match self {
            Self::Call(_) => None,
            Self::Failed(status) => Some(status),
            Self::TimedOut { last, .. } => last.as_deref(),
        }
    }

    /// Whose failure this is: a failed status read's [`Error::kind`]; a failed upgrade is
    /// [`ErrorKind::UpgradeFailed`] (its error details say why: [`WaitError::code`]); an
    /// upgrade not completed in time is transient, to follow again later.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Call(error) => error.kind(),
            Self::Failed(_) => ErrorKind::UpgradeFailed,
            Self::TimedOut { .. } => ErrorKind::Transient(Transient {
                request_id: RequestIdUse::Reusable,
                again: Again::Later,
                service: Service::Reached,
            }),
        }
    }
}

/// `: <the error details' text>`, bounded and escaped, when the status has any.
fn failure_text(status: &ProductUpgradesStatus) -> String {
    status
        .failure_details()
        .and_then(|details| details.text())
        .map(|text| {
            let text = crate::text::bounded(text, crate::text::MAX_DESCRIPTION);
            format!(": {}", crate::text::Escaped(&text))
        })
        .unwrap_or_default()
}

impl PartnerCenterClient {
    /// Reads the upgrade's status until it is `Completed` (the answer is returned), it fails
    /// (a `Failed` state or error details: [`WaitError::Failed`]), or `options.timeout` passes
    /// ([`WaitError::TimedOut`]). The first read is at once; the wait after it is
    /// `options.initial_interval`, doubling up to `options.max_interval`; and a last read is
    /// made at the deadline, so that an upgrade that ends just before it is seen completed.
    /// With the defaults: reads at 0, 5, 15, 35, 75 and 135 s, then every minute, the last
    /// at 30 minutes.
    ///
    /// Any other state (`Pending`, `InProgress`, or one the documents do not name) means "not
    /// done yet". Every read is its own call (a new `MS-RequestId`), with this client's
    /// `MS-CorrelationId`; a read before the deadline is cut short by what is left of
    /// `options.timeout`, and the last, at the deadline, has a call's own time limit. So the
    /// wait ends at its deadline, or one status read after it. Dropping the future cancels
    /// the wait.
    ///
    /// # Errors
    /// [`WaitError::Failed`] when the upgrade fails, [`WaitError::TimedOut`] (with the last
    /// status) when `options.timeout` passes, [`WaitError::Call`] when a status read fails
    /// after its own retries.
    pub async fn wait_for_upgrade(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
        options: PollOptions,
    ) -> Result<ProductUpgradesStatus, WaitError> {
        let span = tracing::info_span!(
            "wait_for_upgrade",
            otel.name = "wait_for_upgrade",
            customer_id = %request.customer_id,
            upgrade_id = %upgrade,
        );
        self.wait(upgrade, request, options).instrument(span).await
    }

    /// [`Self::wait_for_upgrade`]'s reads, under its span: the last item of
    /// [`Self::upgrade_statuses`].
    async fn wait(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
        options: PollOptions,
    ) -> Result<ProductUpgradesStatus, WaitError> {
        let statuses = self.upgrade_statuses(upgrade, request, options);
        let mut statuses = std::pin::pin!(statuses);
        let mut last = None;
        while let Some(read) = statuses.next().await {
            match read {
                Ok(status) if status.is_completed() => return Ok(status),
                Ok(status) => last = Some(status),
                Err(error) => return Err(error),
            }
        }
        // The stream ends on an item that says how; never here, but not a panic either.
        Err(WaitError::TimedOut {
            after: options.timeout,
            last: last.map(Box::new),
        })
    }
}
