//! The client under throttling, outages and garbage answers, against a real HTTP server on
//! 127.0.0.1 (`pc-upgrade-mock`): one test per scenario.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pc_upgrade_client::types::LocationError;
use pc_upgrade_client::{
    BuildError, CallOptions, Error, PartnerCenterClient, PollOptions, ProductUpgradeRequest,
    RetryPolicy, SecretString, Timeouts, WaitError, token_fn,
};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};
use uuid::Uuid;

const TOKEN: &str = "s3cr3t-bearer-token-do-not-print";

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(
        "4c721420-72ad-4708-a0a7-371a2f7b0969".parse().unwrap(),
        "Azure",
    )
}

/// Fast retries so that the scenarios run in milliseconds.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
        .with_jitter(true)
}

fn client(server: &MockServer, retry: RetryPolicy) -> PartnerCenterClient {
    PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(retry)
        .build()
        .unwrap()
}

fn request_ids(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.header("ms-requestid").unwrap().to_owned())
        .collect()
}

/// No error, whatever its kind, shows the token.
fn assert_no_token(error: &dyn std::fmt::Debug, display: &str) {
    let debug = format!("{error:?}");
    assert!(!display.contains(TOKEN), "{display}");
    assert!(!debug.contains(TOKEN), "{debug}");
}

#[tokio::test]
async fn throttled_once_with_retry_after_then_accepted() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::json(
            429,
            r#"{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}"#,
        )
        .header("Retry-After", "1"),
    );
    let started = Instant::now();
    let id = client(&server, quick_retries(4))
        .create_product_upgrade(&request())
        .await
        .unwrap();
    assert_eq!(id.to_string(), "42d075a4-bfe7-43e7-af6d-7c68a57edcb4");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    let ids = request_ids(&server);
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], ids[1],
        "a retry of the same call keeps its MS-RequestId"
    );
}

#[tokio::test]
async fn unavailable_twice_then_ok() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..2 {
        server.enqueue(Operation::CheckEligibility, MockResponse::new(503));
    }
    let eligibility = client(&server, quick_retries(4))
        .check_eligibility(&request())
        .await
        .unwrap();
    assert!(eligibility.is_eligible);
    let ids = request_ids(&server);
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| *id == ids[0]));
}

#[tokio::test]
async fn unavailable_forever_stops_at_the_attempt_bound() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..10 {
        server.enqueue(Operation::GetProductUpgradeStatus, MockResponse::new(503));
    }
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let error = client(&server, quick_retries(3))
        .get_product_upgrade_status(id, &request())
        .await
        .unwrap_err();
    let Error::UnexpectedStatus { call, body } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(call.status.map(|s| s.as_u16()), Some(503));
    assert_eq!(call.attempts, 3);
    assert_eq!(body.len, 0);
    assert_eq!(server.requests().len(), 3);
    assert_no_token(&error, &error.to_string());
}

#[tokio::test]
async fn unavailable_forever_stops_at_the_time_bound() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..1000 {
        server.enqueue(Operation::CheckEligibility, MockResponse::new(503));
    }
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(quick_retries(0).with_max_attempts(u32::MAX))
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::from_secs(1))
                .with_overall(Duration::from_millis(600)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    // Stopped by the overall limit, not by the (unbounded) attempts; generous margin.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(error.call().attempts > 1, "{error}");
    assert!(
        matches!(
            error,
            Error::UnexpectedStatus { .. } | Error::Timeout { .. }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_request_with_a_partner_center_error_is_typed_and_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::json(
            400,
            r#"{"code": 3000, "description": "The customer id is not valid.", "data": ["customerId"], "source": "PartnerFD"}"#,
        ),
    );
    let error = client(&server, quick_retries(4))
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    let Error::Api { call, error: body } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(body.code.as_i64(), Some(3000));
    assert_eq!(body.description.as_str(), "The customer id is not valid.");
    assert_eq!(body.data, [serde_json::json!("customerId")]);
    assert_eq!(body.source.as_deref(), Some("PartnerFD"));
    assert_eq!(call.status.map(|s| s.as_u16()), Some(400));
    assert_eq!(call.attempts, 1);
    assert_eq!(
        server.requests().len(),
        1,
        "4xx other than 429 is never retried"
    );
    assert_eq!(error.request_id().to_string(), request_ids(&server)[0]);
    let message = error.to_string();
    assert!(message.contains("error 3000 from PartnerFD"), "{message}");
    assert!(
        message.contains(&error.request_id().to_string()),
        "{message}"
    );
    assert_no_token(&error, &message);
}

#[tokio::test]
async fn the_other_statuses_of_the_error_codes_page_are_typed_and_not_retried() {
    // 405, 406 and 412 are declared by the spec's 4XX: their body is a Partner Center error.
    for status in [405, 406, 412] {
        let server = MockServer::start().await.unwrap();
        server.enqueue(
            Operation::CheckEligibility,
            MockResponse::json(
                status,
                r#"{"code": 0, "description": "Refused.", "source": "PartnerFD"}"#,
            ),
        );
        let error = client(&server, quick_retries(4))
            .check_eligibility(&request())
            .await
            .unwrap_err();
        let Error::Api { call, error: body } = &error else {
            panic!("{status}: {error:?}");
        };
        assert_eq!(call.status.map(|s| s.as_u16()), Some(status));
        assert_eq!(body.description.as_str(), "Refused.");
        assert_eq!(server.requests().len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn a_request_timeout_is_retried_with_the_same_request_id() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::json(
            408,
            r#"{"code": 0, "description": "Request timeout.", "source": "PartnerFD"}"#,
        ),
    );
    client(&server, quick_retries(4))
        .create_product_upgrade(&request())
        .await
        .unwrap();
    let ids = request_ids(&server);
    assert_eq!(ids.len(), 2, "the 408 was not retried");
    assert_eq!(ids[0], ids[1], "a retry keeps the call's MS-RequestId");
}

#[tokio::test]
async fn a_string_error_code_is_accepted_too() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(403, r#"{"code": "20002", "description": "Forbidden."}"#),
    );
    let error = client(&server, RetryPolicy::none())
        .check_eligibility(&request())
        .await
        .unwrap_err();
    let Error::Api { error: body, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(body.code.as_i64(), Some(20002));
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for status in [401, 404, 409] {
        let server = MockServer::start().await.unwrap();
        server.enqueue(Operation::CheckEligibility, MockResponse::new(status));
        let error = client(&server, quick_retries(4))
            .check_eligibility(&request())
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(server.requests().len(), 1, "{status} was retried");
    }
}

#[tokio::test]
async fn an_html_gateway_page_on_502_is_an_unexpected_status_with_an_excerpt() {
    let server = MockServer::start().await.unwrap();
    let page = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(5000)
    );
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::new(502)
            .header("Content-Type", "text/html")
            .body(page.clone()),
    );
    let error = client(&server, RetryPolicy::none())
        .check_eligibility(&request())
        .await
        .unwrap_err();
    let Error::UnexpectedStatus { call, body } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(call.status.map(|s| s.as_u16()), Some(502));
    assert_eq!(body.content_type.as_deref(), Some("text/html"));
    assert_eq!(body.len, page.len());
    assert!(body.text.starts_with("<html><body><h1>502 Bad Gateway"));
    assert!(body.text.len() <= 512, "an error keeps a bounded excerpt");
}

#[tokio::test]
async fn truncated_json_on_200_is_invalid_json() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::GetProductUpgradeStatus,
        MockResponse::json(
            200,
            r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "Compl"#,
        ),
    );
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let error = client(&server, RetryPolicy::none())
        .get_product_upgrade_status(id, &request())
        .await
        .unwrap_err();
    let Error::InvalidJson { call, reason, body } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(call.status.map(|s| s.as_u16()), Some(200));
    assert!(reason.contains("EOF"), "{reason}");
    assert!(body.text.ends_with("\"Compl"), "{body}");
}

#[tokio::test]
async fn a_200_with_the_wrong_shape_is_invalid_json_naming_the_field() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::GetProductUpgradeStatus,
        MockResponse::json(200, r#"{"id": "not-a-guid", "status": "Completed"}"#),
    );
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let error = client(&server, RetryPolicy::none())
        .get_product_upgrade_status(id, &request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidJson { .. }), "{error:?}");
    assert!(error.to_string().contains("UUID"), "{error}");
}

#[tokio::test]
async fn an_undocumented_success_status_is_unexpected() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::json(200, r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4"}"#),
    );
    let error = client(&server, RetryPolicy::none())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    let Error::UnexpectedStatus { call, body } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(call.status.map(|s| s.as_u16()), Some(200));
    assert!(body.text.contains("42d075a4"), "{body}");
}

#[tokio::test]
async fn accepted_without_location_is_a_missing_location() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CreateProductUpgrade, MockResponse::new(202));
    let error = client(&server, RetryPolicy::none())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MissingLocation { .. }), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(202));
}

#[tokio::test]
async fn accepted_with_a_non_guid_location_is_an_invalid_location() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::new(202).header("Location", "productUpgrades/42d075a4-bfe7"),
    );
    let error = client(&server, RetryPolicy::none())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    let Error::InvalidLocation { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(source, LocationError::InvalidId { .. }),
        "{source:?}"
    );
    // The cause is the error's source, not repeated in its own message.
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert!(cause.contains("productUpgrades/42d075a4-bfe7"), "{cause}");
    assert!(!error.to_string().contains("42d075a4-bfe7"), "{error}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..3 {
        server.enqueue(Operation::CheckEligibility, MockResponse::hang());
    }
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(quick_retries(2))
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::from_millis(200))
                .with_overall(Duration::from_secs(3)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    let Error::Timeout { call, after } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*after, Duration::from_millis(200));
    assert_eq!(call.attempts, 2, "a timed-out attempt is retried");
    assert_eq!(call.status, None);
    assert!(started.elapsed() < Duration::from_secs(3));
    let ids = request_ids(&server);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn the_overall_limit_cuts_a_slow_attempt() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CheckEligibility, MockResponse::hang());
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::from_secs(30))
                .with_overall(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    let Error::Timeout { after, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        *after,
        Duration::from_millis(300),
        "the overall limit is the one reached"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_token_source_that_never_answers_is_bounded_by_the_overall_limit() {
    let server = MockServer::start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token_source(token_fn(std::future::pending))
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::from_secs(30))
                .with_overall(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after, .. } if after == Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_50_mb_streamed_body_is_refused_without_reading_it() {
    let server = MockServer::start().await.unwrap();
    let (response, produced) = MockResponse::streamed(50 * 1024 * 1024);
    server.enqueue(Operation::CheckEligibility, response);
    let error = client(&server, RetryPolicy::none())
        .check_eligibility(&request())
        .await
        .unwrap_err();
    let Error::BodyTooLarge { call, limit } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*limit, 4 * 1024 * 1024);
    assert_eq!(call.status.map(|s| s.as_u16()), Some(200));
    // The client stopped reading at the limit; what the server produced beyond it is what
    // the socket buffers absorbed before the connection was dropped.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = produced.load(Ordering::SeqCst);
    assert!(
        produced < 25 * 1024 * 1024,
        "the server produced {produced} bytes"
    );
}

#[tokio::test]
async fn a_body_declared_larger_than_the_limit_is_refused_up_front() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(200, vec![b' '; 2048]),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn throttled_beyond_the_bound_is_a_throttled_error_with_the_wait() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..3 {
        server.enqueue(
            Operation::CheckEligibility,
            MockResponse::json(429, r#"{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}"#)
                .header("Retry-After", "57"),
        );
    }
    // Waiting 57 s would pass the 5 s overall limit, so the client gives up at once rather
    // than sleep into a certain timeout.
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(quick_retries(4))
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::from_secs(1))
                .with_overall(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let Error::Throttled {
        retry_after,
        message,
        call,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(57)));
    assert_eq!(
        message.as_deref(),
        Some("Rate limit is exceeded. Try again in 57 seconds.")
    );
    assert_eq!(call.attempts, 1);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = PartnerCenterClient::builder()
        .base_url(url)
        .token(TOKEN)
        .retry(quick_retries(3))
        .build()
        .unwrap();
    let error = client.check_eligibility(&request()).await.unwrap_err();
    let Error::Transport { call, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(call.attempts, 3);
    assert_no_token(&error, &error.to_string());
}

#[tokio::test]
async fn the_token_source_is_asked_once_per_call_and_its_failure_is_typed() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CheckEligibility, MockResponse::new(503));
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token_source(token_fn(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Ok(SecretString::from(format!("{TOKEN}-{n}")))
                } else {
                    Err("the identity provider is down".into())
                }
            }
        }))
        .retry(quick_retries(3))
        .build()
        .unwrap();
    client.check_eligibility(&request()).await.unwrap();
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "a retry reuses the call's token"
    );
    let sent = server.requests();
    assert_eq!(
        sent[1].header("authorization"),
        Some(format!("Bearer {TOKEN}-0").as_str())
    );

    client.check_eligibility(&request()).await.unwrap();
    assert_eq!(
        server.requests()[2].header("authorization"),
        Some(format!("Bearer {TOKEN}-1").as_str())
    );

    let error = client.check_eligibility(&request()).await.unwrap_err();
    assert!(matches!(error, Error::Token { .. }), "{error:?}");
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(cause, "the identity provider is down");
    assert!(!error.to_string().contains(&cause), "{error}");
    assert_eq!(
        server.requests().len(),
        3,
        "no request is sent without a token"
    );
}

#[tokio::test]
async fn no_error_and_no_client_debug_shows_the_token() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(400, r#"{"code": 1, "description": "d"}"#),
    );
    server.enqueue(Operation::CheckEligibility, MockResponse::json(200, "{"));
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::new(502).body("<html>"),
    );
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::new(429).header("Retry-After", "99"),
    );
    server.enqueue(Operation::CreateProductUpgrade, MockResponse::new(202));
    let client = client(&server, RetryPolicy::none());
    let mut errors = Vec::new();
    for _ in 0..4 {
        errors.push(client.check_eligibility(&request()).await.unwrap_err());
    }
    errors.push(client.create_product_upgrade(&request()).await.unwrap_err());
    for error in &errors {
        assert_no_token(error, &error.to_string());
    }
    let debug = format!("{client:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
    let builder = format!("{:?}", PartnerCenterClient::builder().token(TOKEN));
    assert!(!builder.contains(TOKEN), "{builder}");
}

#[tokio::test]
async fn polling_returns_the_final_status_after_in_progress() {
    let server = MockServer::start().await.unwrap();
    let in_progress = r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "InProgress"}"#;
    for _ in 0..2 {
        server.enqueue(
            Operation::GetProductUpgradeStatus,
            MockResponse::json(200, in_progress),
        );
    }
    let client = client(&server, RetryPolicy::none());
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let options = PollOptions::default()
        .with_initial_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(20))
        .with_timeout(Duration::from_secs(5));
    let status = client
        .wait_for_upgrade(id, &request(), options)
        .await
        .unwrap();
    assert!(status.is_completed());
    assert_eq!(status.line_items.len(), 1, "the documented final status");
    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    let ids: std::collections::HashSet<_> = request_ids(&server).into_iter().collect();
    assert_eq!(ids.len(), 3, "each poll is its own call");
    assert!(
        sent.iter()
            .all(|r| r.header("ms-correlationid") == sent[0].header("ms-correlationid"))
    );
}

#[tokio::test]
async fn waits_built_with_inline_options_can_be_stored_and_awaited_together() {
    // Options are taken by value: a future made with `PollOptions::default()` or
    // `CallOptions::default()` written inline borrows no temporary, so it can be kept and
    // awaited later (with `&PollOptions::default()` this was E0716).
    let server = MockServer::start().await.unwrap();
    let client = client(&server, RetryPolicy::none());
    let request = request();
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let waits = [
        client.wait_for_upgrade(id, &request, PollOptions::default()),
        client.wait_for_upgrade(
            id,
            &request,
            PollOptions::default().with_timeout(Duration::MAX),
        ),
    ];
    let eligibility = client.check_eligibility_with(&request, CallOptions::default());
    for wait in waits {
        assert!(wait.await.unwrap().is_completed());
    }
    assert!(eligibility.await.unwrap().value.is_eligible);
}

#[tokio::test]
async fn polling_stops_on_error_details() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::GetProductUpgradeStatus,
        MockResponse::json(
            200,
            r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "Failed",
                "errorDetails": {"code": 800003, "message": "The upgrade failed."}}"#,
        ),
    );
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let error = client(&server, RetryPolicy::none())
        .wait_for_upgrade(id, &request(), PollOptions::default())
        .await
        .unwrap_err();
    let WaitError::Failed(status) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(status.status, "Failed");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn polling_gives_up_at_its_deadline_with_the_last_status() {
    let server = MockServer::start().await.unwrap();
    let in_progress = r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "InProgress"}"#;
    for _ in 0..100 {
        server.enqueue(
            Operation::GetProductUpgradeStatus,
            MockResponse::json(200, in_progress),
        );
    }
    let options = PollOptions::default()
        .with_initial_interval(Duration::from_millis(20))
        .with_max_interval(Duration::from_millis(40))
        .with_timeout(Duration::from_millis(300));
    let id = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4".parse().unwrap();
    let error = client(&server, RetryPolicy::none())
        .wait_for_upgrade(id, &request(), options)
        .await
        .unwrap_err();
    let WaitError::TimedOut { last, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(last.as_ref().map(|s| s.status.as_str()), Some("InProgress"));
    assert!(server.requests().len() >= 2);
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    let build = |url: &str| {
        PartnerCenterClient::builder()
            .base_url(url)
            .token(TOKEN)
            .build()
    };
    assert!(matches!(
        build("http://api.partnercenter.microsoft.com"),
        Err(BuildError::InsecureBaseUrl { .. })
    ));
    assert!(matches!(
        build("http://10.0.0.1:8080"),
        Err(BuildError::InsecureBaseUrl { .. })
    ));
    assert!(matches!(
        build("ftp://example.com"),
        Err(BuildError::InvalidBaseUrl { .. })
    ));
    assert!(matches!(
        build("not a url"),
        Err(BuildError::InvalidBaseUrl { .. })
    ));
    for ok in [
        "https://api.partnercenter.microsoft.com",
        "https://api.partnercenter.microsoft.com/",
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:1",
    ] {
        assert!(build(ok).is_ok(), "{ok}");
    }
    assert!(matches!(
        PartnerCenterClient::builder().build(),
        Err(BuildError::MissingToken)
    ));
    let flow = Uuid::new_v4();
    let client = PartnerCenterClient::builder()
        .token(TOKEN)
        .correlation_id(flow)
        .build()
        .unwrap();
    assert_eq!(client.correlation_id(), flow);
}
