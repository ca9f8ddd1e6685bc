//! [`PartnerCenterClient::upgrade_statuses`]: an upgrade's status reads as a stream, on the
//! wait's schedule ([`PollOptions`]); [`PartnerCenterClient::wait_for_upgrade`] is its last
//! item.

use std::time::Duration;

use futures_util::{Stream, stream};
use pc_upgrade_types::{ProductUpgradeRequest, ProductUpgradesStatus, UpgradeId};
use tokio::time::Instant;

use crate::client::{CallOptions, PartnerCenterClient};
use crate::error::Error;
use crate::poll::{PollOptions, WaitError};

/// Where a stream of status reads is.
struct Reads<'a> {
    client: &'a PartnerCenterClient,
    upgrade: UpgradeId,
    request: &'a ProductUpgradeRequest,
    options: PollOptions,
    started: Instant,
    /// `None`: a timeout too long to represent, which is no timeout.
    deadline: Option<Instant>,
    /// The wait before the next read; none before the first.
    interval: Option<Duration>,
    /// The last status read, for a time-out.
    last: Option<ProductUpgradesStatus>,
    /// The stream has given its last item.
    over: bool,
}

impl Reads<'_> {
    /// The wait ran out, `last` the last status read.
    fn timed_out(&mut self, last: Option<ProductUpgradesStatus>) -> WaitError {
        self.over = true;
        WaitError::TimedOut {
            after: self.started.elapsed(),
            last: last.map(Box::new),
        }
    }

    /// The next read, after its wait; `None` once the stream is over.
    async fn next(&mut self) -> Option<Result<ProductUpgradesStatus, WaitError>> {
        if self.over {
            return None;
        }
        let left = |deadline: Option<Instant>| {
            deadline.map(|d| d.saturating_duration_since(Instant::now()))
        };
        if let Some(interval) = self.interval {
            // The next read after the interval, or at the deadline if that comes first.
            let wait = left(self.deadline).map_or(interval, |left| interval.min(left));
            tokio::time::sleep(wait).await;
        }
        let interval = self
            .interval
            .map_or(self.options.initial_interval, |interval| {
                self.options.next_interval(interval)
            });
        self.interval = Some(interval);
        let left = left(self.deadline);
        // The last read, at the deadline: it has a call's own time (an upgrade that ended a
        // second before the deadline is seen completed).
        let at_deadline = left.is_some_and(|left| left.is_zero());
        let call = CallOptions {
            limit: left.filter(|_| !at_deadline),
            ..CallOptions::default()
        };
        let read = self
            .client
            .get_product_upgrade_status_with(self.upgrade, self.request, call)
            .await;
        let status = match read {
            Ok(answer) => answer.value,
            // The deadline cut the call short: that is the wait's timeout, not the call's.
            Err(Error::Timeout { .. })
                if !at_deadline && self.deadline.is_some_and(|d| Instant::now() >= d) =>
            {
                let last = self.last.take();
                return Some(Err(self.timed_out(last)));
            }
            Err(error) => {
                self.over = true;
                return Some(Err(WaitError::Call(error)));
            }
        };
        let upgrade = self.upgrade;
        tracing::debug!(%upgrade, status = %crate::text::Escaped(&status.status), "upgrade status");
        if status.is_failed() {
            self.over = true;
            return Some(Err(WaitError::Failed(Box::new(status))));
        }
        if status.is_completed() {
            self.over = true;
            return Some(Ok(status));
        }
        if at_deadline {
            return Some(Err(self.timed_out(Some(status))));
        }
        self.last = Some(status.clone());
        Some(Ok(status))
    }
}

impl PartnerCenterClient {
    /// The upgrade's status, read on [`wait_for_upgrade`](Self::wait_for_upgrade)'s
    /// schedule, as a stream: an item a read, for a service that shows progress. `Ok` for a
    /// status not final yet and, last, for `Completed`; the stream then ends. A failed
    /// upgrade, the deadline passed or a read that failed is its last item, an `Err`
    /// ([`WaitError`], as the wait returns it). Reads are made as the stream is polled;
    /// dropping it stops them.
    ///
    /// ```no_run
    /// # async fn show(client: pc_upgrade_client::PartnerCenterClient,
    /// #     upgrade: pc_upgrade_client::UpgradeId,
    /// #     request: pc_upgrade_client::ProductUpgradeRequest) {
    /// use futures_util::StreamExt;
    ///
    /// let statuses = client.upgrade_statuses(upgrade, &request, Default::default());
    /// let mut statuses = std::pin::pin!(statuses);
    /// while let Some(read) = statuses.next().await {
    ///     match read {
    ///         Ok(status) => println!("{}", status.status),
    ///         Err(error) => println!("{error}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn upgrade_statuses<'a>(
        &'a self,
        upgrade: UpgradeId,
        request: &'a ProductUpgradeRequest,
        options: PollOptions,
    ) -> impl Stream<Item = Result<ProductUpgradesStatus, WaitError>> + Send + 'a {
        let started = Instant::now();
        let reads = Reads {
            client: self,
            upgrade,
            request,
            options,
            started,
            deadline: started.checked_add(options.timeout),
            interval: None,
            last: None,
            over: false,
        };
        stream::unfold(reads, |mut reads| async move {
            let item = reads.next().await?;
            Some((item, reads))
        })
    }
}
