//! Entra ID sign-in against a fake token endpoint on 127.0.0.1 (`pc_upgrade_mock::FakeEntra`,
//! served by the same fake that plays Partner Center).

use std::time::Duration;

use pc_upgrade_client::{
    EntraError, EntraTokenSource, Error, PartnerCenterClient, ProductUpgradeRequest, RetryPolicy,
};
use pc_upgrade_mock::{FakeEntra, MockServer, Operation};

const SECRET: &str = "client-secret-never-printed";
const REFRESH: &str = "first-refresh-token-never-printed";

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(uuid::Uuid::new_v4(), "Azure")
}

async fn server(entra: FakeEntra) -> MockServer {
    MockServer::builder()
        .entra(entra.client_secret(SECRET))
        .start()
        .await
        .unwrap()
}

fn client(server: &MockServer, source: EntraTokenSource) -> PartnerCenterClient {
    PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token_source(source)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn app_user(server: &MockServer, refresh: &str) -> pc_upgrade_client::EntraTokenSourceBuilder {
    EntraTokenSource::refresh_token("partner-tenant", "app-id", SECRET, refresh)
        .authority(server.base_url())
}

fn eligibility_calls(server: &MockServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.operation == Some(Operation::CheckEligibility))
        .count()
}

#[tokio::test]
async fn a_token_is_cached_until_shortly_before_it_expires_then_refreshed() {
    let server = server(FakeEntra::new().refresh_token(REFRESH).expires_in(1)).await;
    let client = client(&server, app_user(&server, REFRESH).build());
    client.check_eligibility(&request()).await.unwrap();
    client.check_eligibility(&request()).await.unwrap();
    assert_eq!(
        server.token_requests(),
        1,
        "the second call reuses the token"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    client.check_eligibility(&request()).await.unwrap();
    assert_eq!(server.token_requests(), 2, "refreshed before it expired");
    assert!(server.refusals().is_empty(), "{:?}", server.refusals());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_share_one_refresh() {
    let server = server(FakeEntra::new().refresh_token(REFRESH)).await;
    let client = client(&server, app_user(&server, REFRESH).build());
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        calls.spawn(async move { client.check_eligibility(&request()).await });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(server.token_requests(), 1);
    assert_eq!(eligibility_calls(&server), 50);
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_retried() {
    let server = server(FakeEntra::new().refresh_token(REFRESH)).await;
    let client = client(&server, app_user(&server, REFRESH).build());
    client.check_eligibility(&request()).await.unwrap();
    server.expire_access_tokens();
    let answer = client
        .check_eligibility_with(&request(), Default::default())
        .await
        .unwrap();
    assert_eq!(answer.call.attempts, 2, "one 401, then the retry");
    assert_eq!(server.token_requests(), 2);
    let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
}

#[tokio::test]
async fn a_token_refused_again_after_the_refresh_is_an_error() {
    // Every access token it issues has expired at once: the refresh does not help.
    let server = server(FakeEntra::new().refresh_token(REFRESH).expires_in(0)).await;
    let client = client(&server, app_user(&server, REFRESH).build());
    let error = client.check_eligibility(&request()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    assert_eq!(
        error.call().attempts,
        2,
        "one refresh and one retry, no more"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_is_written_atomically_and_used() {
    let server = server(FakeEntra::new().refresh_token(REFRESH).expires_in(1)).await;
    let dir = std::env::temp_dir().join(format!("pc-upgrade-entra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("refresh-token");
    let source = app_user(&server, REFRESH)
        .persist_refresh_token(&file)
        .build();
    let client = client(&server, source);
    client.check_eligibility(&request()).await.unwrap();
    let first = std::fs::read_to_string(&file).unwrap();
    assert_ne!(first, REFRESH);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
    }
    // The old one is retired by the endpoint; the refresh works only with the new one.
    tokio::time::sleep(Duration::from_millis(700)).await;
    client.check_eligibility(&request()).await.unwrap();
    let second = std::fs::read_to_string(&file).unwrap();
    assert_ne!(second, first);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn invalid_grant_is_a_typed_error_saying_the_refresh_token_must_be_renewed() {
    let server = server(FakeEntra::new().refresh_token(REFRESH)).await;
    let source = app_user(&server, "a-revoked-refresh-token").build();
    let debug_source = format!("{source:?}");
    let client = client(&server, source);
    let error = client.check_eligibility(&request()).await.unwrap_err();
    let Error::Token { source, .. } = &error else {
        panic!("{error:?}");
    };
    let entra = source.downcast_ref::<EntraError>().unwrap();
    assert!(
        matches!(entra, EntraError::InvalidGrant { .. }),
        "{entra:?}"
    );
    assert!(entra.to_string().contains("must be renewed"), "{entra}");
    assert_eq!(eligibility_calls(&server), 0, "no call without a token");
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{entra}"),
        debug_source,
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains("a-revoked-refresh-token"), "{shown}");
    }
}

#[tokio::test]
async fn app_only_tokens_come_from_client_credentials() {
    let server = server(FakeEntra::new()).await;
    let source = EntraTokenSource::client_credentials("partner-tenant", "app-id", SECRET)
        .authority(server.base_url())
        .build();
    client(&server, source)
        .check_eligibility(&request())
        .await
        .unwrap();
    assert_eq!(server.token_requests(), 1);
}
