//! The service's own log (a `tracing` subscriber, in a test process of its own: a
//! subscriber set for one thread and callsites registered by another do not mix) shows
//! each call as an HTTP client span under the customer's, with a resend count after a
//! `429`, `error.type` on a refusal, and no token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pc_upgrade_client::PartnerCenterClient;
use pc_upgrade_client::uuid::Uuid;
use pc_upgrade_consumer::upgrade;
use pc_upgrade_mock::{Customer, Fleet, MockResponse, MockServer, Operation};

const TOKEN: &str = "consumer-token-never-logged";

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x4c72_1420_0000_4000_8000_0000_0000_0000 | n)
}

/// Log lines, collected.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn the_services_log_shows_each_call_as_an_http_client_span() {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let fleet = Fleet::new()
        .customer(Customer::new(customer(1)))
        .customer(Customer::new(customer(2)).create_fails(403, 900108));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .build()
        .unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::throttled(Duration::from_secs(1)),
    );
    assert!(upgrade(&client, customer(1)).await.is_ok());
    let refused = upgrade(&client, customer(2)).await.unwrap_err();
    assert!(refused.starts_with("refused 900108"), "{refused}");

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let calls: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("call succeeded") || l.contains("call failed"))
        .collect();
    assert!(calls.len() >= 5, "{text}");
    for line in &calls {
        for field in [
            "ensure_upgrade{",
            "customer_id=",
            "otel.kind=\"client\"",
            "http.request.method=",
            "url.full=",
            "server.address=",
            "http.response.status_code=",
            "http.request.resend_count=",
        ] {
            assert!(line.contains(field), "{field} not in {line}");
        }
    }
    assert!(text.contains("http.request.resend_count=1 "), "{text}");
    assert!(text.contains("error.type=\"403\""), "{text}");
    assert!(!text.contains(TOKEN), "the token is in the log");
}
