//! A service's upgrade step, as one would write it on `pc-upgrade-client`: upgrade a
//! customer, and say what came of it in one line for the service's audit log, whichever
//! error ended it ([`Failure`]).

use pc_upgrade_client::{
    CallOptions, EnsureError, Ensured, ErrorKind, Failure, PartnerCenterClient, PollOptions,
    ProductUpgradeRequest,
};

/// Upgrades `customer` to the Azure plan: the outcome, or the failure as an audit line.
///
/// # Errors
/// The audit line of why it did not complete.
pub async fn upgrade(
    client: &PartnerCenterClient,
    customer: pc_upgrade_client::uuid::Uuid,
) -> Result<Ensured, String> {
    let request = ProductUpgradeRequest::new(customer, "Azure");
    client
        .ensure_upgrade(&request, CallOptions::default(), PollOptions::default())
        .await
        .map_err(|error: EnsureError| audit(&error))
}

/// One line for an audit log: whose failure, the code, the request id for support.
pub fn audit(failure: &impl Failure) -> String {
    let whose = match failure.kind() {
        ErrorKind::Customer => "refused",
        ErrorKind::UpgradeFailed => "upgrade failed",
        ErrorKind::Caller => "our set-up",
        ErrorKind::UpgradeExists => "upgrade exists",
        ErrorKind::Transient(_) => "try again",
        _ => "unknown",
    };
    let code = failure.code().map(|c| c.to_string()).unwrap_or_default();
    let request = failure
        .request_id()
        .map(|r| r.to_string())
        .unwrap_or_default();
    format!("{whose} {code} {request}: {failure}")
}
