//! Waiting for an upgrade to finish: [`PartnerCenterClient::wait_for_upgrade`].

use std::time::Duration;

use pc_upgrade_types::{ProductUpgradeRequest, ProductUpgradesStatus, UpgradeId};
use tokio::time::Instant;

use crate::client::PartnerCenterClient;
use crate::error::Error;

/// How [`PartnerCenterClient::wait_for_upgrade`] polls.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Why [`PartnerCenterClient::wait_for_upgrade`] stopped without a completed upgrade.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// A status read failed (after its own retries).
    #[error(transparent)]
    Call(#[from] Error),
    /// The upgrade, or one of its line items, reports error details.
    #[error("the upgrade reports an error (status {:?})", .0.status)]
    Failed(Box<ProductUpgradesStatus>),
    /// The upgrade was not completed within the time allowed.
    #[error("the upgrade was not completed within {after:?} (last status {:?})",
        .last.as_ref().map(|s| s.status.as_str()))]
    TimedOut {
        /// How long was waited.
        after: Duration,
        /// The last status read, if any.
        last: Option<Box<ProductUpgradesStatus>>,
    },
}

impl PartnerCenterClient {
    /// Reads the upgrade's status until it is `Completed` (the answer is returned), error
    /// details appear ([`WaitError::Failed`]), or `options.timeout` passes
    /// ([`WaitError::TimedOut`]). The wait between reads starts at
    /// `options.initial_interval` and doubles up to `options.max_interval`.
    ///
    /// Any other status value is not interpreted: the documents name only `Completed`, so
    /// anything else means "not done yet". Every read is its own call (a new `MS-RequestId`),
    /// with this client's `MS-CorrelationId`. Dropping the future cancels the wait.
    pub async fn wait_for_upgrade(
        &self,
        upgrade: UpgradeId,
        request: &ProductUpgradeRequest,
        options: &PollOptions,
    ) -> Result<ProductUpgradesStatus, WaitError> {
        let deadline = Instant::now() + options.timeout;
        let mut interval = options.initial_interval;
        loop {
            let status = self.get_product_upgrade_status(upgrade, request).await?;
            tracing::debug!(%upgrade, status = %status.status, "upgrade status");
            if status.has_error() {
                return Err(WaitError::Failed(Box::new(status)));
            }
            if status.is_completed() {
                return Ok(status);
            }
            let now = Instant::now();
            if now + interval > deadline {
                return Err(WaitError::TimedOut {
                    after: options.timeout,
                    last: Some(Box::new(status)),
                });
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(options.max_interval);
        }
    }
}
