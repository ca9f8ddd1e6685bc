//! Whose failure an [`Error`] is, and so what a caller does next: [`Error::kind`], the one
//! classification the client, its callers and `pc-upgrade` share.

use pc_upgrade_types::PartnerCenterErrorCode as Code;

use crate::error::Error;

/// Whose failure an [`Error`] is ([`Error::kind`]; the name and shape follow `azure_core`'s
/// `Error::kind`). Every caller must answer this: is the customer refused for good, must
/// everything stop, or may the call be tried again, and with which `MS-RequestId`?
///
/// By Partner Center error code (the product upgrade error-codes page lists them with their
/// HTTP status; Microsoft's .NET SDK and PowerShell module raise every one of them as the
/// same exception and retry none):
///
/// | code | status | kind | why |
/// |---|---|---|---|
/// | 900105 | 403 | `Customer` | a subscription of the customer's is suspended |
/// | 900106 | 404 | `Customer` | no upgrade request for this customer |
/// | 900107 | 400 | `Customer` | the Azure catalog item of the customer's family is not found |
/// | 900108 | 403 | `Customer` | the customer has no Azure subscription |
/// | 900109–900114 | 400, 409 | `UpgradeExists` | the customer has an upgrade already: follow it ([`Error::existing_upgrade`] names it when the text does) |
/// | 900118 | 400 | `Customer` | the customer id is not valid |
/// | 900119 | 403 | `Customer` | Azure Partner Shared Services cannot be upgraded |
/// | 900120 | 403 | `Customer` | the upgrade cannot be processed |
/// | 900130 | 403 | `Transient`: request id spent, again later | subscriptions bought recently: days, not seconds |
/// | 3000, 800002 | 400 | `Caller` | the request cannot be read: the same for every customer |
/// | 800001, 20002 | 401, 403 | `Caller` | sign-in, role or consent |
///
/// Without one of those codes: a `401` or any other `403`, a token source that failed, a
/// request that could not be built, a host name that does not exist, a call the caller
/// called off, is `Caller`; a `408`, a `429` (after the client's own
/// retries) or a call with no answer is `Transient` and may be sent again with the same
/// `MS-RequestId`; a `5xx`, a timeout or a transport failure is `Transient` with the service
/// unreachable (many in a row: it is down); any other answer is `Transient` with its request
/// id spent (the service answered it, so a create sent again needs a new one), except a
/// `202` whose `Location` cannot be read: that create may have worked, and only the same
/// request id asks again without risking a second upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A documented refusal about this customer: final for it. Neither a retry nor another
    /// `MS-RequestId` helps; the error code says why. Nothing was created.
    Customer,
    /// The upgrade ran and failed ([`WaitError::Failed`](crate::WaitError::Failed)): final
    /// for it, and the customer's purchases may be blocked until support helps (900114);
    /// its error details say why ([`Failure::code`](crate::Failure::code)), and support needs the create's
    /// `MS-RequestId`.
    UpgradeFailed,
    /// The caller's own problem (credentials, the partner's role or consent, a request the
    /// service cannot read): every customer would fail the same way. Stop, and fix it.
    Caller,
    /// A create refused because the customer has an upgrade already: nobody's failure.
    /// Follow that upgrade; [`Error::existing_upgrade`] names it when the error does, and
    /// eligibility names it otherwise.
    UpgradeExists,
    /// Worth trying again, as [`Transient`] says when and how.
    Transient(Transient),
}

/// How to try a transiently failed call again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transient {
    /// Whether a create may be sent again with the same `MS-RequestId`.
    pub request_id: RequestIdUse,
    /// When.
    pub again: Again,
    /// Whether the service answered.
    pub service: Service,
}

/// Whether a failed call's `MS-RequestId` may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestIdUse {
    /// The service did not answer (or its answer may hide a success): send the same create
    /// with the same id, which Partner Center takes as the same create.
    Reusable,
    /// The service answered it: a create sent again needs a new id.
    Spent,
}

/// When a transient failure is worth trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Again {
    /// After a short wait (seconds).
    Soon,
    /// Much later (hours, days): "try again later" codes such as 900130.
    Later,
}

/// Whether the service was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// It answered.
    Reached,
    /// It could not be reached, or did not answer in time, or answered `5xx`: many of these
    /// in a row mean it is down.
    Unreachable,
}

const fn transient(request_id: RequestIdUse, again: Again, service: Service) -> ErrorKind {
    ErrorKind::Transient(Transient {
        request_id,
        again,
        service,
    })
}

impl Error {
    /// Whose failure this is, and so what to do next: see [`ErrorKind`].
    pub fn kind(&self) -> ErrorKind {
        use {Again::*, RequestIdUse::*, Service::*};
        match self {
            Self::Token { .. } | Self::InvalidRequest { .. } | Self::CalledOff { .. } => {
                return ErrorKind::Caller;
            }
            Self::Transport { source, .. } if crate::error::unknown_host(source) => {
                return ErrorKind::Caller;
            }
            Self::Throttled { .. } => return transient(Reusable, Soon, Reached),
            Self::Timeout { .. } | Self::Transport { .. } => {
                return transient(Reusable, Soon, Unreachable);
            }
            _ => {}
        }
        let status = self.status().map(|s| s.as_u16());
        match (status, self.code()) {
            (Some(401), _) => ErrorKind::Caller,
            (Some(408 | 429), _) => transient(Reusable, Soon, Reached),
            (Some(500..=599), _) => transient(Reusable, Soon, Unreachable),
            (_, Some(code)) if about_the_customer(&code) => ErrorKind::Customer,
            (_, Some(Code::RecentlyPurchased)) => transient(Spent, Later, Reached),
            (_, Some(code)) if code.names_existing_upgrade() => ErrorKind::UpgradeExists,
            (Some(403), _)
            | (
                _,
                Some(
                    Code::InvalidProperty
                    | Code::InvalidRequestInput
                    | Code::Unauthorized
                    | Code::Forbidden,
                ),
            ) => ErrorKind::Caller,
            (Some(_), _) => match self {
                Self::MissingLocation { .. } | Self::InvalidLocation { .. } => {
                    transient(Reusable, Soon, Reached)
                }
                _ => transient(Spent, Soon, Reached),
            },
            (None, _) => transient(Reusable, Soon, Reached),
        }
    }
}

/// The documented refusals that are about the customer, final for it.
fn about_the_customer(code: &Code) -> bool {
    matches!(
        code,
        Code::SubscriptionsSuspended
            | Code::UpgradeNotFound
            | Code::CatalogItemNotFound
            | Code::NoAzureSubscription
            | Code::InvalidCustomerId
            | Code::PartnerSharedServices
            | Code::UpgradeCannotBeProcessed
    )
}
