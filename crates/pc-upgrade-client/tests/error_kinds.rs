//! `Error::kind` of every documented Partner Center error code, and of the answers that
//! carry none, each its own test: the error comes from a real answer of the fake, through
//! the client, as a caller meets it.

use pc_upgrade_client::{
    Again, ErrorKind, PartnerCenterClient, PartnerCenterErrorCode, ProductUpgradeRequest,
    RequestIdUse, RetryPolicy, Service,
};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};

const CUSTOMER: uuid::Uuid = uuid::Uuid::from_u128(0x4c72_1420_72ad_4708_a0a7_371a_2f7b_0969);

/// The kind of the error a create gets from `answer`, with no retry.
async fn kind_of(answer: MockResponse) -> ErrorKind {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CreateProductUpgrade, answer);
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("kinds")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ProductUpgradeRequest::new(CUSTOMER, "Azure");
    let error = client.create_product_upgrade(&request).await.unwrap_err();
    error.kind()
}

/// A Partner Center error body with `code`, at `status`.
fn refusal(status: u16, code: i64) -> MockResponse {
    let body = format!(
        r#"{{"code": {code}, "description": "documented code {code}", "data": [], "source": "PartnerFD"}}"#
    );
    MockResponse::json(status, body)
}

macro_rules! code_kind {
    ($($name:ident: $status:expr, $code:expr => { $kind:pat $(if $guard:expr)? })*) => {$(
        #[tokio::test]
        async fn $name() {
            let code = PartnerCenterErrorCode::from_number($code);
            assert!(code.meaning().is_some(), "{} is not a documented code", $code);
            let kind = kind_of(refusal($status, $code)).await;
            assert!(matches!(kind, $kind $(if $guard)?), "{} ({}): {kind:?}", $code, $status);
        }
    )*};
}

code_kind! {
    code_3000_invalid_property_is_the_callers: 400, 3000 => { ErrorKind::Caller }
    code_20002_forbidden_is_the_callers: 403, 20002 => { ErrorKind::Caller }
    code_800001_unauthorized_is_the_callers: 401, 800001 => { ErrorKind::Caller }
    code_800002_invalid_input_is_the_callers: 400, 800002 => { ErrorKind::Caller }
    code_800003_internal_error_is_transient_and_unreachable: 500, 800003 => { ErrorKind::Transient(t) if t.service == Service::Unreachable && t.request_id == RequestIdUse::Reusable && t.again == Again::Soon }
    code_900105_suspended_is_the_customers: 403, 900105 => { ErrorKind::Customer }
    code_900106_not_found_is_the_customers: 404, 900106 => { ErrorKind::Customer }
    code_900107_catalog_item_is_the_customers: 400, 900107 => { ErrorKind::Customer }
    code_900108_no_azure_subscription_is_the_customers: 403, 900108 => { ErrorKind::Customer }
    code_900109_in_progress_is_an_existing_upgrade: 409, 900109 => { ErrorKind::UpgradeExists }
    code_900110_completed_is_an_existing_upgrade: 400, 900110 => { ErrorKind::UpgradeExists }
    code_900111_mapped_elsewhere_is_an_existing_upgrade: 400, 900111 => { ErrorKind::UpgradeExists }
    code_900112_pending_is_an_existing_upgrade: 409, 900112 => { ErrorKind::UpgradeExists }
    code_900113_in_progress_is_an_existing_upgrade: 409, 900113 => { ErrorKind::UpgradeExists }
    code_900114_failed_is_an_existing_upgrade: 409, 900114 => { ErrorKind::UpgradeExists }
    code_900118_invalid_customer_is_the_customers: 400, 900118 => { ErrorKind::Customer }
    code_900119_shared_services_is_the_customers: 403, 900119 => { ErrorKind::Customer }
    code_900120_cannot_be_processed_is_the_customers: 403, 900120 => { ErrorKind::Customer }
    code_900130_recently_purchased_is_later_with_a_new_request_id: 403, 900130 => { ErrorKind::Transient(t) if t.again == Again::Later && t.request_id == RequestIdUse::Spent && t.service == Service::Reached }
}

#[tokio::test]
async fn a_403_without_a_customers_code_is_the_callers() {
    let kind = kind_of(MockResponse::json(
        403,
        r#"{"code": 1, "description": "x"}"#,
    ))
    .await;
    assert_eq!(kind, ErrorKind::Caller);
}

#[tokio::test]
async fn a_throttled_call_may_be_sent_again_with_its_request_id() {
    let answer = MockResponse::new(429).header("Retry-After", "1");
    let kind = kind_of(answer).await;
    assert!(
        matches!(kind, ErrorKind::Transient(t) if t.request_id == RequestIdUse::Reusable
            && t.again == Again::Soon && t.service == Service::Reached),
        "{kind:?}"
    );
}

#[tokio::test]
async fn an_answer_nobody_documents_spends_the_request_id() {
    let kind = kind_of(MockResponse::new(418)).await;
    assert!(
        matches!(kind, ErrorKind::Transient(t) if t.request_id == RequestIdUse::Spent),
        "{kind:?}"
    );
}

#[tokio::test]
async fn a_gateway_error_page_is_unreachable() {
    let kind = kind_of(MockResponse::new(502).body("<html>Bad Gateway</html>")).await;
    assert!(
        matches!(kind, ErrorKind::Transient(t) if t.service == Service::Unreachable),
        "{kind:?}"
    );
}

/// `EnsureError` says whose failure, which call and which request id, with no wildcard arm:
/// a refused create (`Customer`) names its own request id; a failed upgrade
/// (`UpgradeFailed`, one match apart) names the upgrade, the create's request id, its code
/// typed as a call's and its status. Both say their cause in their message, and the three
/// errors answer alike through `Failure`.
#[tokio::test(start_paused = true)]
async fn ensure_errors_name_the_call_the_request_id_and_the_upgrade() {
    use pc_upgrade_client::{CallOptions, PollOptions};
    use pc_upgrade_mock::{Customer, Fleet};

    let (refused, failing) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
    let fleet = Fleet::new()
        .customer(Customer::new(refused).create_fails(403, 900108))
        .customer(Customer::new(failing).fails_with(900120, "The upgrade cannot be processed."));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("kinds")
        .build()
        .unwrap();
    let ensure = |customer| {
        let request = ProductUpgradeRequest::new(customer, "Azure");
        let client = client.clone();
        async move {
            let create = CallOptions::default().request_id(uuid::Uuid::from_u128(0xc0ffee));
            client
                .ensure_upgrade(&request, create, PollOptions::default())
                .await
                .unwrap_err()
        }
    };
    let error = ensure(refused).await;
    assert_eq!(error.kind(), ErrorKind::Customer);
    assert_eq!(
        error.code(),
        Some(PartnerCenterErrorCode::NoAzureSubscription)
    );
    assert!(error.to_string().contains("900108"), "{error}");
    assert_eq!(failure(&error), failure(error.call_error().unwrap()));
    assert_eq!(error.request_id(), Some(uuid::Uuid::from_u128(0xc0ffee)));
    assert_eq!(
        error.call().map(|c| c.operation),
        Some("create_product_upgrade")
    );
    assert!(error.upgrade().is_none() && error.origin().is_none());

    let error = ensure(failing).await;
    assert_eq!(error.kind(), ErrorKind::UpgradeFailed);
    assert_eq!(
        error.code(),
        Some(PartnerCenterErrorCode::UpgradeCannotBeProcessed)
    );
    assert_eq!(error.request_id(), Some(uuid::Uuid::from_u128(0xc0ffee)));
    assert!(error.upgrade().is_some() && error.call().is_none());
    assert!(error.status().is_some_and(|s| s.is_failed()), "{error:?}");
    assert!(error.to_string().contains("cannot be processed"), "{error}");
    let pc_upgrade_client::EnsureError::Wait { error: wait, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure(wait).0, ErrorKind::UpgradeFailed);
    assert_eq!(failure(wait).1, error.code());
}

/// What `Failure` says of any of the three errors: kind, code, request id, upgrade.
fn failure<F: pc_upgrade_client::Failure>(
    failure: &F,
) -> (
    ErrorKind,
    Option<PartnerCenterErrorCode>,
    Option<uuid::Uuid>,
    Option<pc_upgrade_client::UpgradeId>,
) {
    (
        failure.kind(),
        failure.code(),
        failure.request_id(),
        failure.upgrade(),
    )
}
