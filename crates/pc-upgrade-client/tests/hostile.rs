//! The client against hostile servers on 127.0.0.1: huge and escape-laden text, absurd
//! settings, redirects to elsewhere, malformed HTTP, slow status calls, broken `202` bodies and
//! repeated headers. One test per defect a hostile test server found; each failed before the
//! client core was restructured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pc_upgrade_client::types::LocationError;
use pc_upgrade_client::{
    Error, PartnerCenterClient, PollOptions, ProductUpgradeRequest, RetryPolicy, Timeouts,
    UpgradeId, WaitError,
};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const UPGRADE: &str = "42d075a4-bfe7-43e7-af6d-7c68a57edcb4";

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(
        "4c721420-72ad-4708-a0a7-371a2f7b0969".parse().unwrap(),
        "Azure",
    )
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
        .with_jitter(false)
}

fn client_for(base_url: &str) -> PartnerCenterClient {
    PartnerCenterClient::builder()
        .base_url(base_url)
        .token("token")
        .retry(quick_retries())
        .build()
        .unwrap()
}

/// A server that answers every request with the same bytes, then closes the connection; it
/// counts the requests it read.
struct RawServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn raw_server(answer: Vec<u8>) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                if read_request(&mut socket).await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                }
            });
        }
    });
    RawServer { url, requests }
}

/// Reads one request (head and `Content-Length` body); false if the connection ended first.
async fn read_request(socket: &mut tokio::net::TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Defect 1: server text reaches errors and logs bounded and escaped.
#[tokio::test]
async fn huge_and_escape_laden_server_text_is_bounded_and_escaped() {
    let server = MockServer::start().await.unwrap();
    let description = format!(
        "\u{1b}[2J\u{1b}[31mpwned\nnext line\u{202e}{}",
        "x".repeat(1 << 20)
    );
    let body = serde_json::json!({"code": 3000, "description": description, "source": "\u{1b}]0;title\u{7}"});
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(400, body.to_string()).header("MS-CV", &"c".repeat(100_000)),
    );
    let error = client_for(&server.base_url())
        .check_eligibility(&request())
        .await
        .unwrap_err();
    let (display, debug) = (error.to_string(), format!("{error:?}"));
    for shown in [&display, &debug] {
        assert!(shown.len() < 4096, "{} bytes", shown.len());
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(!shown.contains('\n'), "{shown}");
        assert!(!shown.contains('\u{202e}'), "{shown}");
    }
    assert!(
        display.contains("\\u{1b}[31mpwned\\nnext line"),
        "{display}"
    );
    let Error::Api { error: body, call } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        body.description.chars().count(),
        1025,
        "1024 and the ellipsis"
    );
    assert_eq!(call.ms_cv.as_ref().unwrap().chars().count(), 129);
}

/// Defect 2: no caller setting panics, `Duration::MAX` included.
#[tokio::test]
async fn duration_max_everywhere_does_not_panic() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::GetProductUpgradeStatus,
        MockResponse::json(
            200,
            r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "InProgress"}"#,
        ),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .timeouts(
            Timeouts::default()
                .with_per_attempt(Duration::MAX)
                .with_overall(Duration::MAX),
        )
        .retry(
            RetryPolicy::default()
                .with_max_attempts(u32::MAX)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::MAX)
                .with_jitter(true),
        )
        .build()
        .unwrap();
    let options = PollOptions::default()
        .with_initial_interval(Duration::from_millis(1))
        .with_max_interval(Duration::MAX)
        .with_timeout(Duration::MAX);
    let upgrade: UpgradeId = UPGRADE.parse().unwrap();
    let status = client
        .wait_for_upgrade(upgrade, &request(), options)
        .await
        .unwrap();
    assert!(status.is_completed());
}

/// Defect 3: a redirect to another origin is not followed; the body and token stay home.
#[tokio::test]
async fn a_cross_origin_redirect_is_refused() {
    let elsewhere = MockServer::start().await.unwrap();
    let server = MockServer::start().await.unwrap();
    let target = format!("{}/v1/productupgrades", elsewhere.base_url());
    for status in [307, 308] {
        server.enqueue(
            Operation::CreateProductUpgrade,
            MockResponse::new(status).header("Location", &target),
        );
        let error = client_for(&server.base_url())
            .create_product_upgrade(&request())
            .await
            .unwrap_err();
        let Error::UnexpectedStatus { call, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(call.status.map(|s| s.as_u16()), Some(status));
        assert_eq!(call.attempts, 1, "a redirect is not retried");
    }
    assert!(
        elsewhere.requests().is_empty(),
        "the other origin was sent the create"
    );
}

/// Defect 4: a redirect loop is one attempt, not 33 requests.
#[tokio::test]
async fn a_redirect_loop_is_not_retried() {
    let server = MockServer::start().await.unwrap();
    let itself = format!("{}/v1/productupgrades", server.base_url());
    for _ in 0..40 {
        server.enqueue(
            Operation::CreateProductUpgrade,
            MockResponse::new(307).header("Location", &itself),
        );
    }
    let error = client_for(&server.base_url())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnexpectedStatus { .. }), "{error:?}");
    assert!(
        server.requests().len() <= 6,
        "{} requests",
        server.requests().len()
    );
}

/// Defect 4: answers the HTTP parser refuses would be refused again: one request each.
#[tokio::test]
async fn malformed_answers_are_not_retried() {
    let big_head = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "bad status line",
            b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ),
        ("head too large", big_head.into_bytes()),
        (
            "conflicting Content-Length",
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n".to_vec(),
        ),
        ("not HTTP", b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
    ];
    for (what, answer) in cases {
        let server = raw_server(answer).await;
        let error = client_for(&server.url)
            .create_product_upgrade(&request())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::Transport { .. }),
            "{what}: {error:?}"
        );
        assert_eq!(
            server.requests.load(Ordering::SeqCst),
            1,
            "{what}: POSTed again"
        );
    }
}

/// Defect 5: the poll deadline bounds the status call in flight.
#[tokio::test]
async fn the_poll_deadline_cuts_a_slow_status_call() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..10 {
        server.enqueue(
            Operation::GetProductUpgradeStatus,
            MockResponse::json(
                200,
                format!(r#"{{"id": "{UPGRADE}", "status": "InProgress"}}"#),
            )
            .delay(Duration::from_secs(2)),
        );
    }
    let options = PollOptions::default()
        .with_initial_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(10))
        .with_timeout(Duration::from_secs(3));
    let started = Instant::now();
    let error = client_for(&server.base_url())
        .wait_for_upgrade(UPGRADE.parse().unwrap(), &request(), options)
        .await
        .unwrap_err();
    let took = started.elapsed();
    let WaitError::TimedOut { last, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(last.as_ref().unwrap().status, "InProgress");
    assert!(
        took < Duration::from_millis(3500),
        "returned after {took:?}"
    );
}

/// Defect 6: a `202` with a valid `Location` is the upgrade, whatever its body.
#[tokio::test]
async fn a_202_with_a_broken_or_huge_body_still_gives_the_upgrade() {
    let head = |length: usize| {
        format!(
            "HTTP/1.1 202 Accepted\r\nLocation: productUpgrades/{UPGRADE}\r\nContent-Length: {length}\r\n\r\n"
        )
    };
    for (what, answer) in [
        ("truncated", format!("{}short", head(100))),
        ("larger than the limit", head(50_000_000)),
    ] {
        let server = raw_server(answer.into_bytes()).await;
        let id = client_for(&server.url)
            .create_product_upgrade(&request())
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(id.to_string(), UPGRADE, "{what}");
        assert_eq!(server.requests.load(Ordering::SeqCst), 1, "{what}");
    }
}

/// Defect 7: two `Location` headers name no upgrade.
#[tokio::test]
async fn two_location_headers_are_refused() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::new(202)
            .header("Location", &format!("productUpgrades/{UPGRADE}"))
            .header(
                "Location",
                "productUpgrades/00000000-0000-0000-0000-000000000001",
            ),
    );
    let error = client_for(&server.base_url())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    let Error::InvalidLocation { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*source, LocationError::Repeated { count: 2 });
}

/// Prism's dynamic mock sent 36 characters of hex and dashes that are no GUID.
#[tokio::test]
async fn a_36_character_location_that_is_no_guid_is_refused() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::new(202).header(
            "Location",
            "productUpgrades/--9aeae4B66596fc445BdE30BF0CFCaA3F4b",
        ),
    );
    let error = client_for(&server.base_url())
        .create_product_upgrade(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::InvalidLocation {
                source: LocationError::InvalidId { .. },
                ..
            }
        ),
        "{error:?}"
    );
}

/// A chain printer shows each cause once: `Display` does not repeat `source()`.
#[tokio::test]
async fn display_does_not_repeat_the_source() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let error = client_for(&url)
        .check_eligibility(&request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(
        !error.to_string().contains(&source),
        "{error} repeats {source}"
    );
}
