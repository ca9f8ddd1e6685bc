//! [`PartnerCenterClient::ensure_upgrade`]: eligibility, then create or resume the upgrade,
//! then wait for it; safe to run again for the same customer.

use pc_upgrade_types::{
    PartnerCenterErrorCode, ProductUpgradeRequest, ProductUpgradesEligibility,
    ProductUpgradesStatus, UpgradeId,
};
use tracing::Instrument;
use uuid::Uuid;

use crate::client::{CallOptions, PartnerCenterClient};
use crate::error::{CallInfo, Error};
use crate::kind::ErrorKind;
use crate::poll::{PollOptions, WaitError};

/// Where the upgrade [`PartnerCenterClient::start_upgrade`] settled on came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// This call created it, with this `MS-RequestId`.
    Created {
        /// The create's `MS-RequestId`.
        request_id: Uuid,
    },
    /// Eligibility named an upgrade that already exists (`upgradeId`); nothing was created.
    Eligibility,
    /// The create was refused because the customer already has this upgrade, which the
    /// error named (900109, 900110, 900111, 900112, 900113, 900114).
    Conflict {
        /// The refusal's code.
        code: PartnerCenterErrorCode,
    },
}

/// What [`PartnerCenterClient::start_upgrade`] came to: one of exactly these two (a match
/// needs no other arm).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpgradeStart {
    /// The customer is not eligible and has no upgrade: nothing was created.
    Ineligible(Box<ProductUpgradesEligibility>),
    /// The upgrade exists (created now or before); not yet waited for.
    Started {
        /// The upgrade.
        upgrade: UpgradeId,
        /// How it was found.
        origin: Origin,
        /// Its status, when the create's `202` carried one ([`crate::Created::status`]).
        status: Option<Box<ProductUpgradesStatus>>,
    },
}

/// What [`PartnerCenterClient::ensure_upgrade`] came to: one of exactly these two (a match
/// needs no other arm; every other end is an [`EnsureError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ensured {
    /// The customer is not eligible and has no upgrade: nothing was created.
    Ineligible(Box<ProductUpgradesEligibility>),
    /// The upgrade is completed.
    Completed {
        /// The upgrade.
        upgrade: UpgradeId,
        /// How it was found.
        origin: Origin,
        /// Its final status.
        status: Box<ProductUpgradesStatus>,
    },
}

/// Why [`PartnerCenterClient::ensure_upgrade`] did not end with a completed upgrade (or an
/// ineligible customer).
///
/// Its message says the cause (a `401`, a refused connection, the failed upgrade's status),
/// and `source()` goes on with the cause's own cause, so that a chain of sources prints
/// each once.
#[derive(Debug)]
#[non_exhaustive]
pub enum EnsureError {
    /// Eligibility or the create failed, and no existing upgrade was named.
    Start(Error),
    /// The upgrade exists, but it failed, was not completed in time, or its status could
    /// not be read.
    Wait {
        /// The upgrade.
        upgrade: UpgradeId,
        /// How it was found.
        origin: Origin,
        /// What happened while waiting.
        error: WaitError,
    },
}

impl std::fmt::Display for EnsureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Start(error) => write!(f, "the upgrade could not be started: {error}"),
            Self::Wait { upgrade, error, .. } => {
                write!(f, "upgrade {upgrade} was not completed: {error}")
            }
        }
    }
}

impl std::error::Error for EnsureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Start(error) => error.source(),
            Self::Wait { error, .. } => error.source(),
        }
    }
}

impl EnsureError {
    /// The call that failed, if a call failed (eligibility, the create, or a status read).
    pub fn call_error(&self) -> Option<&Error> {
        match self {
            Self::Start(error) => Some(error),
            Self::Wait { error, .. } => error.call_error(),
        }
    }

    /// What is known of the call that failed: its operation, status, request ids, attempts.
    pub fn call(&self) -> Option<&CallInfo> {
        self.call_error().map(Error::call)
    }

    /// The `MS-RequestId` to give Partner Center support: the failed call's, else the
    /// create's (an upgrade that failed or did not complete in time).
    pub fn request_id(&self) -> Option<Uuid> {
        match (self.call_error(), self) {
            (Some(error), _) => Some(error.request_id()),
            (None, Self::Wait { origin, .. }) => match origin {
                Origin::Created { request_id } => Some(*request_id),
                _ => None,
            },
            (None, Self::Start(_)) => None,
        }
    }

    /// The upgrade, when it exists.
    pub fn upgrade(&self) -> Option<UpgradeId> {
        match self {
            Self::Start(_) => None,
            Self::Wait { upgrade, .. } => Some(*upgrade),
        }
    }

    /// How the upgrade was found, when it exists.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Self::Start(_) => None,
            Self::Wait { origin, .. } => Some(origin),
        }
    }

    /// The status of the failed upgrade, or the last read before the time ran out.
    pub fn status(&self) -> Option<&ProductUpgradesStatus> {
        match self {
            Self::Start(_) => None,
            Self::Wait { error, .. } => error.status(),
        }
    }

    /// The error code, typed: the failed call's, or the failed upgrade's error details'.
    pub fn code(&self) -> Option<PartnerCenterErrorCode> {
        match self {
            Self::Start(error) => error.code(),
            Self::Wait { error, .. } => error.code(),
        }
    }

    /// Whose failure this is: the failed call's [`Error::kind`], or the wait's
    /// ([`WaitError::kind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Start(error) => error.kind(),
            Self::Wait { error, .. } => error.kind(),
        }
    }
}

impl PartnerCenterClient {
    /// Checks eligibility, then creates the upgrade, or settles on the one the customer
    /// already has: the `upgradeId` of eligibility, or the upgrade a refused create names
    /// (900109 in progress, 900110 completed, 900111 mapped to another id, 900112–900114).
    /// Returns [`UpgradeStart::Ineligible`] or [`UpgradeStart::Started`].
    ///
    /// `create` sets the create's options: choose its `MS-RequestId` and record it first, and
    /// a create repeated after a crash is the same create. Running this twice for one
    /// customer never creates twice: the second run finds the first run's upgrade.
    ///
    /// # Errors
    /// [`Error`] when eligibility or the create fails for any other reason.
    pub async fn start_upgrade(
        &self,
        request: &ProductUpgradeRequest,
        create: CallOptions,
    ) -> Result<UpgradeStart, Error> {
        let eligibility = self.check_eligibility(request).await?;
        if let Some(existing) = eligibility.upgrade_id {
            return Ok(UpgradeStart::Started {
                upgrade: UpgradeId::new(existing),
                origin: Origin::Eligibility,
                status: None,
            });
        }
        if !eligibility.is_eligible {
            return Ok(UpgradeStart::Ineligible(Box::new(eligibility)));
        }
        match self.create_product_upgrade_entity(request, create).await {
            Ok(created) => Ok(UpgradeStart::Started {
                upgrade: created.value.upgrade,
                origin: Origin::Created {
                    request_id: created.call.request_id,
                },
                status: created.value.status,
            }),
            Err(error) => match (error.code(), error.existing_upgrade()) {
                (Some(code), Some(upgrade)) => Ok(UpgradeStart::Started {
                    upgrade,
                    origin: Origin::Conflict { code },
                    status: None,
                }),
                _ => Err(error),
            },
        }
    }

    /// [`start_upgrade`](Self::start_upgrade), then
    /// [`wait_for_upgrade`](Self::wait_for_upgrade): returns [`Ensured::Ineligible`] or
    /// [`Ensured::Completed`].
    ///
    /// # Errors
    /// [`EnsureError::Start`] when the upgrade could not be started;
    /// [`EnsureError::Wait`], with the upgrade, when it failed or did not complete in time.
    pub async fn ensure_upgrade(
        &self,
        request: &ProductUpgradeRequest,
        create: CallOptions,
        poll: PollOptions,
    ) -> Result<Ensured, EnsureError> {
        // One span over the whole flow, its calls and the wait under it: the customer now,
        // the upgrade once it is known.
        let span = tracing::info_span!(
            "ensure_upgrade",
            otel.name = "ensure_upgrade",
            customer_id = %request.customer_id,
            upgrade_id = tracing::field::Empty,
        );
        let flow = async {
            let started = self
                .start_upgrade(request, create)
                .await
                .map_err(EnsureError::Start)?;
            let (upgrade, origin) = match started {
                UpgradeStart::Started {
                    upgrade, origin, ..
                } => (upgrade, origin),
                UpgradeStart::Ineligible(eligibility) => {
                    return Ok(Ensured::Ineligible(eligibility));
                }
            };
            tracing::Span::current().record("upgrade_id", tracing::field::display(upgrade));
            match self.wait_for_upgrade(upgrade, request, poll).await {
                Ok(status) => Ok(Ensured::Completed {
                    upgrade,
                    origin,
                    status: Box::new(status),
                }),
                Err(error) => Err(EnsureError::Wait {
                    upgrade,
                    origin,
                    error,
                }),
            }
        };
        flow.instrument(span).await
    }
}
