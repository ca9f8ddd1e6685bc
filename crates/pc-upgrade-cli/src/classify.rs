//! Whose failure a failed call is: the customer's own (final, written down), the caller's
//! (this tool's credentials or requests: the run stops and nothing about the customer is
//! written down), or nobody's in particular (transient: tried again later, in this run or
//! the next).

use pc_upgrade_client::{Error, PartnerCenterErrorCode as Code};

/// The kind of a failure, and so what the run does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The customer's own outcome: a documented refusal about that customer. Final.
    Customer,
    /// The caller's problem: a token refused after a refresh, a `403` that names no
    /// customer's reason, a sign-in that failed, a request the service cannot read. The run
    /// stops starting work.
    Caller,
    /// Worth trying again later.
    Transient(Transient),
}

/// What a transient failure says about the call, the service, and when to try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transient {
    /// Whether the call's `MS-RequestId` may be sent again.
    pub request_id: RequestId,
    /// When to try again.
    pub again: Again,
    /// Whether the service was reached.
    pub service: Service,
}

/// Whether a failed call's `MS-RequestId` may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestId {
    /// The service did not answer: the same create, with the same id, may be sent again.
    Unspent,
    /// The service answered: a create sent again needs a new id.
    Spent,
}

/// When a transient failure is worth trying again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Again {
    /// In this run, after a short wait.
    InThisRun,
    /// In the next run only: "try again later" codes such as 900130 are about days, not
    /// seconds.
    NextRun,
}

/// Whether the service was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// It answered.
    Reached,
    /// It could not be reached or did not answer (transport, timeout, `5xx`): many of these
    /// in a row mean it is down.
    Unreachable,
}

const TRANSIENT: Failure = Failure::Transient(Transient {
    request_id: RequestId::Unspent,
    again: Again::InThisRun,
    service: Service::Reached,
});
const UNREACHABLE: Failure = Failure::Transient(Transient {
    request_id: RequestId::Unspent,
    again: Again::InThisRun,
    service: Service::Unreachable,
});
/// Answered "not now": the next run tries again, with a new request id.
const NEXT_RUN: Failure = Failure::Transient(Transient {
    request_id: RequestId::Spent,
    again: Again::NextRun,
    service: Service::Reached,
});

/// Whose failure `error` is.
pub fn classify(error: &Error) -> Failure {
    let status = error.status().map(|s| s.as_u16());
    match error {
        Error::Token { .. } | Error::InvalidRequest { .. } => return Failure::Caller,
        Error::Throttled { .. } => return TRANSIENT,
        Error::Timeout { .. } | Error::Transport { .. } => return UNREACHABLE,
        _ => {}
    }
    match (status, error.code()) {
        (Some(401), _) => Failure::Caller,
        (Some(408 | 429), _) => TRANSIENT,
        (Some(500..=599), _) => UNREACHABLE,
        (_, Some(code)) if about_the_customer(&code) => Failure::Customer,
        (_, Some(Code::RecentlyPurchased)) => NEXT_RUN,
        // The customer has an upgrade the error does not let us name: the next run's
        // eligibility names it.
        (_, Some(code)) if code.names_existing_upgrade() => NEXT_RUN,
        // A 403 without a customer's reason: the partner lacks the role or the consent. A
        // request the service cannot read fails the same way for every customer.
        (Some(403), _)
        | (
            _,
            Some(
                Code::InvalidProperty
                | Code::InvalidRequestInput
                | Code::Unauthorized
                | Code::Forbidden,
            ),
        ) => Failure::Caller,
        // Any other answer: not known to be final, so never written down as such.
        (Some(_), _) => Failure::Transient(Transient {
            request_id: match error {
                // A 202 whose Location could not be read: the create may have worked, and
                // the same id asks again without a second upgrade.
                Error::MissingLocation { .. } | Error::InvalidLocation { .. } => RequestId::Unspent,
                _ => RequestId::Spent,
            },
            again: Again::InThisRun,
            service: Service::Reached,
        }),
        (None, _) => TRANSIENT,
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
