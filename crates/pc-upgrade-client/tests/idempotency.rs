//! Creating safely: a caller-chosen `MS-RequestId` survives a restart, `ensure_upgrade` never
//! creates twice, and every answer comes with the metadata an audit log needs. Against the
//! fake with a fleet, on 127.0.0.1.

use std::time::Duration;

use pc_upgrade_client::{
    CallOptions, EnsureError, Ensured, Origin, PartnerCenterClient, PartnerCenterErrorCode,
    PollOptions, ProductUpgradeRequest, RetryPolicy, UpgradeState, WaitError,
};
use pc_upgrade_mock::{Customer, Fleet, MockResponse, MockServer, Operation, Verdict};
use uuid::Uuid;

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x4c72_1420_0000_4000_8000_0000_0000_0000 | n)
}

fn request(n: u128) -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(customer(n), "Azure")
}

fn client(server: &MockServer) -> PartnerCenterClient {
    PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .retry(RetryPolicy::default().with_initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn quick_polls() -> PollOptions {
    PollOptions::default()
        .with_initial_interval(Duration::from_millis(5))
        .with_max_interval(Duration::from_millis(20))
        .with_timeout(Duration::from_secs(10))
}

fn creates(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.operation == Some(Operation::CreateProductUpgrade))
        .map(|r| r.header("ms-requestid").unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_create_repeated_after_a_restart_with_its_request_id_is_the_same_create() {
    let server = MockServer::builder()
        // An upgrade that takes a while, as the service's do: still in progress at the
        // second create.
        .fleet(Fleet::new().customer(Customer::new(customer(1)).takes(Duration::from_secs(600))))
        .start()
        .await
        .unwrap();
    let request_id = Uuid::new_v4();
    let options = CallOptions::default().request_id(request_id);
    let first = client(&server)
        .create_product_upgrade_with(&request(1), options)
        .await
        .unwrap();
    // The process "restarts": a new client, the request id read back from where it was kept.
    let again = client(&server)
        .create_product_upgrade_with(&request(1), options)
        .await
        .unwrap();
    assert_eq!(first.value, again.value);
    assert_eq!(
        creates(&server),
        [request_id.to_string(), request_id.to_string()]
    );
    // Another request id is another create: the fake refuses it as the service does.
    let error = client(&server)
        .create_product_upgrade(&request(1))
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        Some(PartnerCenterErrorCode::UpgradeAlreadyInProgress)
    );
    assert_eq!(error.existing_upgrade(), Some(first.value));
}

#[tokio::test]
async fn ensure_upgrade_twice_creates_once() {
    let server = MockServer::builder()
        .fleet(
            Fleet::new().customer(Customer::new(customer(2)).statuses(["InProgress", "Completed"])),
        )
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let first = client
        .ensure_upgrade(&request(2), CallOptions::default(), quick_polls())
        .await
        .unwrap();
    let Ensured::Completed {
        upgrade,
        origin: Origin::Created { .. },
        status,
    } = &first
    else {
        panic!("{first:?}");
    };
    assert_eq!(status.state(), UpgradeState::Completed);
    let second = client
        .ensure_upgrade(&request(2), CallOptions::default(), quick_polls())
        .await
        .unwrap();
    let Ensured::Completed {
        upgrade: again,
        origin: Origin::Eligibility,
        ..
    } = &second
    else {
        panic!("{second:?}");
    };
    assert_eq!(upgrade, again);
    assert_eq!(creates(&server).len(), 1);
    assert!(server.refusals().is_empty(), "{:?}", server.refusals());
}

#[tokio::test]
async fn ensure_upgrade_resumes_the_upgrade_a_conflict_names() {
    let existing = Uuid::from_u128(0xa3);
    let server = MockServer::builder()
        .fleet(
            Fleet::new().customer(
                Customer::new(customer(3))
                    .already_upgrading(existing)
                    .takes(Duration::from_millis(300)),
            ),
        )
        .start()
        .await
        .unwrap();
    // Eligibility does not say (an older service, say): the create's 409 names the upgrade.
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(
            200,
            format!(r#"{{"customerId": "{}", "isEligible": true}}"#, customer(3)),
        ),
    );
    let outcome = client(&server)
        .ensure_upgrade(&request(3), CallOptions::default(), quick_polls())
        .await
        .unwrap();
    let Ensured::Completed {
        upgrade, origin, ..
    } = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(*upgrade.as_uuid(), existing);
    assert_eq!(
        *origin,
        Origin::Conflict {
            code: PartnerCenterErrorCode::UpgradeAlreadyInProgress
        }
    );
}

#[tokio::test]
async fn ensure_upgrade_reports_ineligible_and_failed_customers() {
    let server = MockServer::builder()
        .fleet(
            Fleet::new()
                .customer(Customer::new(customer(4)).ineligible("No Azure subscription."))
                .customer(
                    Customer::new(customer(5))
                        .statuses(["Pending"])
                        .fails_with(900120, "no"),
                ),
        )
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let ineligible = client
        .ensure_upgrade(&request(4), CallOptions::default(), quick_polls())
        .await
        .unwrap();
    let Ensured::Ineligible(eligibility) = &ineligible else {
        panic!("{ineligible:?}");
    };
    assert_eq!(
        eligibility.reason.as_deref(),
        Some("No Azure subscription.")
    );
    let failed = client
        .ensure_upgrade(&request(5), CallOptions::default(), quick_polls())
        .await
        .unwrap_err();
    let EnsureError::Wait {
        error: WaitError::Failed(status),
        ..
    } = &failed
    else {
        panic!("{failed:?}");
    };
    assert_eq!(status.state(), UpgradeState::Failed);
    assert_eq!(
        creates(&server).len(),
        1,
        "no create for the ineligible customer"
    );
}

#[tokio::test]
async fn every_operation_returns_its_metadata_as_the_fake_saw_it() {
    let server = MockServer::builder()
        .fleet(Fleet::new().customer(Customer::new(customer(6))))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    let chosen = Uuid::new_v4();
    let options = CallOptions::default().request_id(chosen);
    let eligibility = client
        .check_eligibility_with(&request(6), options)
        .await
        .unwrap();
    let created = client
        .create_product_upgrade_with(&request(6), CallOptions::default())
        .await
        .unwrap();
    let status = client
        .get_product_upgrade_status_with(created.value, &request(6), CallOptions::default())
        .await
        .unwrap();
    let infos = [&eligibility.call, &created.call, &status.call];
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    for (info, recorded) in infos.iter().zip(&seen) {
        assert_eq!(recorded.verdict, Verdict::Valid);
        assert_eq!(
            recorded.header("ms-requestid"),
            Some(info.request_id.to_string().as_str())
        );
        assert_eq!(
            recorded.header("ms-correlationid"),
            Some(client.correlation_id().to_string().as_str())
        );
        assert_eq!(info.correlation_id, client.correlation_id());
        assert_eq!(info.ms_cv.as_deref(), Some(recorded.ms_cv.as_str()));
        assert_eq!(info.status.map(|s| s.as_u16()), Some(recorded.status));
        assert_eq!(info.attempts, 1);
    }
    assert_eq!(eligibility.call.request_id, chosen);
    assert_eq!(created.call.status.map(|s| s.as_u16()), Some(202));
}

/// Creates waiting their turn under the rate limit when the caller calls them off send
/// nothing and fail with `CalledOff`; those let go before are answered as usual.
#[tokio::test(start_paused = true)]
async fn calls_called_off_while_they_wait_their_turn_send_nothing() {
    let fleet = (0..6).fold(Fleet::new(), |fleet, n| {
        fleet.customer(Customer::new(customer(n)))
    });
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let (off, called_off) = tokio::sync::watch::channel(false);
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .rate_limit(pc_upgrade_client::RateLimit::new(1, Duration::from_secs(1)))
        .build()
        .unwrap()
        .with_call_off(called_off);
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..6 {
        let client = client.clone();
        calls.spawn(async move { client.create_product_upgrade(&request(n)).await });
    }
    // One call a second: by 2.5 s, three were let go.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    off.send(true).unwrap();
    let (mut created, mut called_off) = (0, 0);
    while let Some(answer) = calls.join_next().await {
        match answer.unwrap() {
            Ok(_) => created += 1,
            Err(pc_upgrade_client::Error::CalledOff { call }) => {
                assert_eq!(call.attempts, 0, "{call}");
                called_off += 1;
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((created, called_off), (3, 3));
    assert_eq!(creates(&server).len(), 3, "a call called off was sent");
    let late = client.create_product_upgrade(&request(5)).await;
    assert!(
        matches!(late, Err(pc_upgrade_client::Error::CalledOff { .. })),
        "{late:?}"
    );
    assert_eq!(creates(&server).len(), 3);
}
