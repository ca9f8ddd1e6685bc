//! A consumer's test with a fleet of 1,000 scripted customers in the fake: every customer
//! gets its own answers through the client, and the fake's request log shows each refusal
//! with its reason.

use std::sync::Arc;
use std::time::Duration;

use pc_upgrade_client::{
    CallOptions, EnsureError, Ensured, Origin, PartnerCenterClient, PartnerCenterErrorCode,
    PollOptions, ProductUpgradeRequest, RetryPolicy, WaitError,
};
use pc_upgrade_mock::{Customer, Fleet, MockServer};
use uuid::Uuid;

const CUSTOMERS: u128 = 1000;
/// Documented create refusals, in turn.
const CREATE_ERRORS: [(u16, i64); 3] = [(403, 900108), (403, 900105), (403, 900130)];

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

/// What the script of customer `n` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ineligible,
    AlreadyUpgrading,
    CreateFails,
    Completes,
    Fails,
}

fn kind(n: u128) -> Kind {
    [
        Kind::Ineligible,
        Kind::AlreadyUpgrading,
        Kind::CreateFails,
        Kind::Completes,
        Kind::Fails,
    ][(n % 5) as usize]
}

fn existing_upgrade(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_9000_0000_0000_0000 | n)
}

fn fleet() -> Fleet {
    (0..CUSTOMERS).fold(Fleet::new(), |fleet, n| {
        let script = Customer::new(customer(n));
        fleet.customer(match kind(n) {
            Kind::Ineligible => {
                script.ineligible(format!("Customer {n} has no Azure subscription."))
            }
            Kind::AlreadyUpgrading => script
                .already_upgrading(existing_upgrade(n))
                .statuses(["InProgress", "Completed"]),
            Kind::CreateFails => {
                let (status, code) = CREATE_ERRORS[(n / 5 % 3) as usize];
                script.create_fails(status, code)
            }
            Kind::Completes => {
                script.statuses(["Pending", "InProgress", "InProgress", "Completed"])
            }
            Kind::Fails => script.statuses(["InProgress"]).fails_with(
                900120,
                format!("Customer {n}'s upgrade could not be processed."),
            ),
        })
    })
}

fn check(n: u128, outcome: &Result<Ensured, EnsureError>) {
    match (kind(n), outcome) {
        (Kind::Ineligible, Ok(Ensured::Ineligible(eligibility))) => {
            let reason = format!("Customer {n} has no Azure subscription.");
            assert_eq!(eligibility.reason.as_deref(), Some(reason.as_str()));
        }
        (
            Kind::AlreadyUpgrading,
            Ok(Ensured::Completed {
                upgrade, origin, ..
            }),
        ) => {
            assert_eq!(*upgrade.as_uuid(), existing_upgrade(n));
            assert_eq!(*origin, Origin::Eligibility);
        }
        (Kind::CreateFails, Err(EnsureError::Start(error))) => {
            let (status, code) = CREATE_ERRORS[(n / 5 % 3) as usize];
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            assert_eq!(
                error.code(),
                Some(PartnerCenterErrorCode::from_number(code))
            );
        }
        (
            Kind::Completes,
            Ok(Ensured::Completed {
                origin: Origin::Created { .. },
                status,
                ..
            }),
        ) => {
            assert!(status.is_completed());
        }
        (
            Kind::Fails,
            Err(EnsureError::Wait {
                error: WaitError::Failed(status),
                ..
            }),
        ) => {
            let details = status.error_details.as_ref().unwrap();
            assert_eq!(details.code.as_ref().and_then(|c| c.as_i64()), Some(900120));
            let message = format!("Customer {n}'s upgrade could not be processed.");
            // `description` or `message`, whichever the fake sends (see ErrorDetails).
            assert_eq!(details.text(), Some(message.as_str()));
        }
        (kind, outcome) => panic!("customer {n} ({kind:?}): {outcome:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_customers_each_get_their_scripted_answers() {
    let log = std::env::temp_dir().join(format!("pc-upgrade-fleet-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let server = MockServer::builder()
        .fleet(fleet())
        .log(&log)
        .start()
        .await
        .unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let polls = PollOptions::default()
        .with_initial_interval(Duration::from_millis(1))
        .with_max_interval(Duration::from_millis(2))
        .with_timeout(Duration::from_secs(60));
    let workers = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..CUSTOMERS {
        let (client, polls, workers) = (client.clone(), polls, Arc::clone(&workers));
        tasks.spawn(async move {
            let _permit = workers.acquire().await.unwrap();
            let request = ProductUpgradeRequest::new(customer(n), "Azure");
            (
                n,
                client
                    .ensure_upgrade(&request, CallOptions::default(), polls)
                    .await,
            )
        });
    }
    let mut seen = 0;
    while let Some(joined) = tasks.join_next().await {
        let (n, outcome) = joined.unwrap();
        check(n, &outcome);
        seen += 1;
    }
    assert_eq!(seen, CUSTOMERS);
    assert!(
        server.refusals().is_empty(),
        "the client's requests are all valid"
    );

    // Two requests the spec does not allow, sent by hand: the log says why each was refused.
    let http = reqwest::Client::new();
    let url = format!("{}/v1/productupgrades", server.base_url());
    let unauthenticated = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{}");
    assert_eq!(unauthenticated.send().await.unwrap().status(), 401);
    let bad_body = http
        .post(&url)
        .bearer_auth("token")
        .header("content-type", "application/json")
        .body(r#"{"customerId": "not-a-guid", "productFamily": "Azure"}"#);
    assert_eq!(bad_body.send().await.unwrap().status(), 400);

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let _ = std::fs::remove_file(&log);
    assert_eq!(lines.len(), server.requests().len());
    let refused: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["verdict"]["valid"] == false)
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert_eq!(refused[0]["verdict"]["status"], 401);
    assert!(
        refused[0]["verdict"]["reason"]
            .as_str()
            .unwrap()
            .contains("bearer token")
    );
    assert_eq!(refused[1]["verdict"]["status"], 400);
    assert!(
        refused[1]["verdict"]["reason"]
            .as_str()
            .unwrap()
            .contains("/customerId")
    );
    assert!(
        lines.iter().all(|l| l["headers"]
            .get("authorization")
            .is_none_or(|a| a == "[REDACTED]")),
        "a token reached the log"
    );
}
