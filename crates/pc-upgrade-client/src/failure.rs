//! [`Failure`]: what the crate's three errors ([`Error`], [`WaitError`], [`EnsureError`])
//! tell alike, as one trait, so that a caller handles any of them with one function.

use pc_upgrade_types::{PartnerCenterErrorCode, UpgradeId};
use uuid::Uuid;

use crate::ensure::EnsureError;
use crate::error::Error;
use crate::kind::ErrorKind;
use crate::poll::WaitError;

/// What every error of this crate tells: whose failure it is, the error code, the
/// `MS-RequestId` for Partner Center support, and the upgrade concerned.
///
/// ```
/// use pc_upgrade_client::{ErrorKind, Failure};
///
/// /// One line for an audit log, whichever call failed.
/// fn audit<F: Failure>(failure: &F) -> String {
///     let code = failure.code().map(|c| c.to_string()).unwrap_or_default();
///     match failure.kind() {
///         ErrorKind::Customer => format!("refused {code}"),
///         ErrorKind::UpgradeFailed => format!("upgrade failed {code}"),
///         _ => format!("{failure}"),
///     }
/// }
/// # let _ = audit::<pc_upgrade_client::Error>;
/// ```
pub trait Failure: std::error::Error {
    /// Whose failure this is, and so what to do next ([`ErrorKind`]).
    fn kind(&self) -> ErrorKind;

    /// The error code, named when the documents list it: a refused call's, or a failed
    /// upgrade's error details'.
    fn code(&self) -> Option<PartnerCenterErrorCode>;

    /// The `MS-RequestId` to quote to Partner Center support: the failed call's, else the
    /// create's, when it is known.
    fn request_id(&self) -> Option<Uuid>;

    /// The upgrade concerned, when it is known: the one that failed or did not complete
    /// ([`EnsureError`]), or the one a refused create names ([`Error`]). A [`WaitError`]
    /// does not carry it: the caller of the wait has it.
    fn upgrade(&self) -> Option<UpgradeId>;
}

impl Failure for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }

    fn code(&self) -> Option<PartnerCenterErrorCode> {
        Error::code(self)
    }

    fn request_id(&self) -> Option<Uuid> {
        Some(Error::request_id(self))
    }

    fn upgrade(&self) -> Option<UpgradeId> {
        self.existing_upgrade()
    }
}

impl Failure for WaitError {
    fn kind(&self) -> ErrorKind {
        WaitError::kind(self)
    }

    fn code(&self) -> Option<PartnerCenterErrorCode> {
        WaitError::code(self)
    }

    fn request_id(&self) -> Option<Uuid> {
        self.call_error().map(Error::request_id)
    }

    fn upgrade(&self) -> Option<UpgradeId> {
        None
    }
}

impl Failure for EnsureError {
    fn kind(&self) -> ErrorKind {
        EnsureError::kind(self)
    }

    fn code(&self) -> Option<PartnerCenterErrorCode> {
        EnsureError::code(self)
    }

    fn request_id(&self) -> Option<Uuid> {
        EnsureError::request_id(self)
    }

    fn upgrade(&self) -> Option<UpgradeId> {
        EnsureError::upgrade(self)
    }
}
