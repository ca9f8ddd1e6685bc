//! The client's spans exported as OpenTelemetry spans (`tracing-opentelemetry`, an in-memory
//! exporter standing for the service's collector): each call a `Client` span named for its
//! operation, with the HTTP attributes, a child of the `ensure_upgrade` span that names the
//! customer; a resend count after a `429`, `error.type` on a refusal; no token anywhere.

use std::time::Duration;

use opentelemetry::trace::{SpanKind, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use pc_upgrade_client::PartnerCenterClient;
use pc_upgrade_client::uuid::Uuid;
use pc_upgrade_consumer::upgrade;
use pc_upgrade_mock::{Customer, Fleet, MockResponse, MockServer, Operation};
use tracing_subscriber::layer::SubscriberExt;

const TOKEN: &str = "consumer-token-never-exported";

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x4c72_1420_0000_4000_8000_0000_0000_0000 | n)
}

/// A span's attribute, as text.
fn attribute(span: &SpanData, key: &str) -> Option<String> {
    let found = span.attributes.iter().find(|kv| kv.key.as_str() == key);
    found.map(|kv| kv.value.as_str().into_owned())
}

#[tokio::test(start_paused = true)]
async fn the_calls_export_as_opentelemetry_client_spans_under_the_customers() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("consumer"));
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let fleet = Fleet::new()
        .customer(Customer::new(customer(1)))
        .customer(Customer::new(customer(2)).create_fails(403, 900108));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::throttled(Duration::from_secs(1)),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .build()
        .unwrap();
    assert!(upgrade(&client, customer(1)).await.is_ok());
    assert!(upgrade(&client, customer(2)).await.is_err());
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let flows: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "ensure_upgrade")
        .collect();
    assert_eq!(flows.len(), 2, "{spans:#?}");
    let calls: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert!(calls.len() >= 5, "{spans:#?}");
    for call in &calls {
        assert!(
            [
                "check_eligibility",
                "create_product_upgrade",
                "get_product_upgrade_status"
            ]
            .contains(&call.name.as_ref()),
            "{call:#?}"
        );
        for key in [
            "http.request.method",
            "url.full",
            "server.address",
            "server.port",
            "http.response.status_code",
            "http.request.resend_count",
        ] {
            assert!(attribute(call, key).is_some(), "{key} on {call:#?}");
        }
        // Under a flow's span (directly, or through the wait's), which names the customer.
        let mut parent = call.parent_span_id;
        let mut under = None;
        while let Some(span) = spans.iter().find(|s| s.span_context.span_id() == parent) {
            if span.name == "ensure_upgrade" {
                under = Some(span);
            }
            parent = span.parent_span_id;
        }
        let flow = under.unwrap_or_else(|| panic!("not under ensure_upgrade: {call:#?}"));
        assert!(attribute(flow, "customer_id").is_some(), "{flow:#?}");
    }
    let creates = calls.iter().filter(|c| c.name == "create_product_upgrade");
    let resent: Vec<_> = creates
        .clone()
        .filter_map(|c| attribute(c, "http.request.resend_count"))
        .collect();
    assert!(resent.contains(&"1".to_owned()), "{resent:?}");
    let refused: Vec<_> = creates.filter_map(|c| attribute(c, "error.type")).collect();
    assert_eq!(refused, ["403"]);
    assert!(
        !format!("{spans:?}").contains(TOKEN),
        "a token was exported"
    );
}
