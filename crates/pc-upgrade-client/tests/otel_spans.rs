//! The client's spans as a service's tracing sees them, through a capturing layer: each call
//! an HTTP client span with OpenTelemetry's attributes (a resend count after a `429`,
//! `error.type` on a refusal), under a span naming the customer (and the upgrade once
//! known) for `ensure_upgrade`, and no token in any of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pc_upgrade_client::{CallOptions, PartnerCenterClient, PollOptions, ProductUpgradeRequest};
use pc_upgrade_mock::{Customer, Fleet, MockResponse, MockServer, Operation};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const TOKEN: &str = "otel-bearer-token-never-recorded";

/// One span: its name, its fields as text, its parent's id.
#[derive(Clone, Debug, Default)]
struct Captured {
    name: String,
    fields: HashMap<String, String>,
    parent: Option<u64>,
}

/// Every span, by id.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<HashMap<u64, Captured>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut span = Captured {
            name: attrs.metadata().name().to_owned(),
            parent: ctx
                .span(id)
                .and_then(|s| s.parent())
                .map(|p| p.id().into_u64()),
            ..Captured::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        self.0.lock().unwrap().insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(span) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn each_call_is_an_http_client_span_under_the_customers_span() {
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let (moving, refused) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
    let fleet = Fleet::new()
        .customer(Customer::new(moving))
        .customer(Customer::new(refused).create_fails(403, 900108));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    server.enqueue(
        Operation::CreateProductUpgrade,
        MockResponse::throttled(std::time::Duration::from_secs(1)),
    );
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .build()
        .unwrap();
    let ensure = |customer| {
        let client = client.clone();
        async move {
            let request = ProductUpgradeRequest::new(customer, "Azure");
            client
                .ensure_upgrade(&request, CallOptions::default(), PollOptions::default())
                .await
        }
    };
    let upgraded = ensure(moving).await.expect("the upgrade completes");
    let _ = ensure(refused).await.expect_err("the create is refused");

    let spans = spans.0.lock().unwrap().clone();
    let calls: Vec<&Captured> = spans
        .values()
        .filter(|s| s.name == "partner_center_call")
        .collect();
    assert!(calls.len() >= 5, "{calls:#?}");
    let port = server.base_url().rsplit(':').next().unwrap().to_owned();
    for call in &calls {
        let field = |name: &str| call.fields.get(name).map(String::as_str);
        assert_eq!(field("otel.kind"), Some("client"), "{call:#?}");
        assert_eq!(field("otel.name"), field("operation"), "{call:#?}");
        assert!(
            matches!(field("http.request.method"), Some("GET" | "POST")),
            "{call:#?}"
        );
        assert!(
            field("url.full").is_some_and(|u| u.starts_with(&server.base_url())),
            "{call:#?}"
        );
        assert_eq!(field("server.address"), Some("127.0.0.1"), "{call:#?}");
        assert_eq!(field("server.port"), Some(port.as_str()), "{call:#?}");
        assert!(field("http.response.status_code").is_some(), "{call:#?}");
        assert!(field("http.request.resend_count").is_some(), "{call:#?}");
        assert!(field("request_id").is_some() && field("correlation_id").is_some());
        // Under the flow's span, which names the customer.
        let mut parent = call.parent;
        let mut flow = None;
        while let Some(id) = parent {
            let span = &spans[&id];
            if span.name == "ensure_upgrade" {
                flow = Some(span);
            }
            parent = span.parent;
        }
        let flow = flow.unwrap_or_else(|| panic!("no ensure_upgrade span above {call:#?}"));
        assert!(flow.fields.contains_key("customer_id"), "{flow:#?}");
    }
    let creates: Vec<&&Captured> = calls
        .iter()
        .filter(|c| c.fields.get("operation").map(String::as_str) == Some("create_product_upgrade"))
        .collect();
    assert!(
        creates
            .iter()
            .any(|c| c.fields["http.request.resend_count"] == "1"
                && c.fields["http.response.status_code"] == "202"),
        "a create resent after its 429: {creates:#?}"
    );
    assert!(
        creates
            .iter()
            .any(|c| c.fields.get("error.type").map(String::as_str) == Some("403")),
        "the refusal's error.type: {creates:#?}"
    );
    let pc_upgrade_client::Ensured::Completed { upgrade, .. } = upgraded else {
        panic!("{upgraded:?}");
    };
    let flows: Vec<&Captured> = spans
        .values()
        .filter(|s| s.name == "ensure_upgrade")
        .collect();
    assert!(
        flows
            .iter()
            .any(|f| f.fields.get("upgrade_id") == Some(&upgrade.to_string())),
        "{flows:#?}"
    );
    assert!(spans.values().any(|s| s.name == "wait_for_upgrade"));
    let everything = format!("{spans:?}");
    assert!(!everything.contains(TOKEN), "a token in a span");
}
