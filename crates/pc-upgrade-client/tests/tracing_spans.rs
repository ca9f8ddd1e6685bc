//! Each call is a tracing span with the operation, the request and correlation ids, the
//! attempts and the status; the token never reaches the logs.

use std::sync::{Arc, Mutex};

use pc_upgrade_client::{PartnerCenterClient, ProductUpgradeRequest, RetryPolicy};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};

const TOKEN: &str = "s3cr3t-bearer-token-for-tracing";

/// Log lines, collected for the test to read.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Debug logs of this thread, collected until the guard is dropped.
fn capture() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let log = Arc::new(Mutex::new(Vec::<u8>::new()));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let log = Arc::clone(&log);
            move || Capture(Arc::clone(&log))
        })
        .finish();
    (log, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_retried_call_is_logged_with_its_ids_attempts_and_status() {
    let (log, _guard) = capture();

    let server = MockServer::start().await.unwrap();
    server.enqueue(Operation::CheckEligibility, MockResponse::new(503));
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(400, r#"{"code": 1, "description": "no"}"#),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(5)))
        .build()
        .unwrap();
    let request = ProductUpgradeRequest::new(uuid::Uuid::new_v4(), "Azure");
    let error = client.check_eligibility(&request).await.unwrap_err();

    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    assert!(text.contains("partner_center_call"), "{text}");
    assert!(text.contains("operation=\"check_eligibility\""), "{text}");
    assert!(
        text.contains(&format!("request_id={}", error.request_id())),
        "{text}"
    );
    assert!(
        text.contains(&format!("correlation_id={}", client.correlation_id())),
        "{text}"
    );
    assert!(text.contains("attempt=1 status=503"), "{text}");
    assert!(text.contains("attempts=2"), "{text}");
    assert!(text.contains("status=400"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn server_text_reaches_the_log_bounded_and_escaped() {
    let (log, _guard) = capture();

    let server = MockServer::start().await.unwrap();
    let description = format!("\u{1b}[31mred\ninjected line{}", "y".repeat(500_000));
    let body = serde_json::json!({"code": 3000, "description": description});
    server.enqueue(
        Operation::CheckEligibility,
        MockResponse::json(400, body.to_string()),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ProductUpgradeRequest::new(uuid::Uuid::new_v4(), "Azure");
    client.check_eligibility(&request).await.unwrap_err();

    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let warning = text
        .lines()
        .find(|line| line.contains("call failed"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        warning.contains("\\u{1b}[31mred\\ninjected line"),
        "{warning}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "an escape sequence reached the log"
    );
    assert!(!text.contains("\ninjected line"), "a forged log line");
    assert!(warning.len() < 4096, "{} bytes", warning.len());
}
