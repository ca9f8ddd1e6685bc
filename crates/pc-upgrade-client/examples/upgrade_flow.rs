//! The whole product upgrade flow: eligibility → create → wait for completion.
//!
//! ```text
//! cargo run -p pc-upgrade-client --example upgrade_flow
//!     against a local fake Partner Center that gives the documented answers
//! PC_UPGRADE_TOKEN=… cargo run -p pc-upgrade-client --example upgrade_flow -- \
//!     https://api.partnercenter.microsoft.com <customer-id> [product-family] [--yes]
//!     against a real endpoint: the customer must be named, and without --yes only its
//!     eligibility is checked (a create cannot be undone)
//! ```

use std::process::ExitCode;
use std::time::Duration;

use pc_upgrade_client::{PartnerCenterClient, PollOptions, ProductUpgradeRequest};
use pc_upgrade_mock::{MockResponse, MockServer, Operation};
use uuid::Uuid;

const DOCUMENTED_CUSTOMER: &str = "4c721420-72ad-4708-a0a7-371a2f7b0969";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let yes = args.iter().any(|a| a == "--yes");
    let mut args = args.into_iter().filter(|a| a != "--yes");
    let base_url = args.next();
    let customer: Uuid = match (&base_url, args.next()) {
        (_, Some(customer)) => customer.parse()?,
        (None, None) => DOCUMENTED_CUSTOMER.parse()?,
        (Some(_), None) => {
            return Err(
                "name the customer to upgrade: upgrade_flow <base-url> <customer-id> \
                        [product-family] [--yes]"
                    .into(),
            );
        }
    };
    let family = args.next().unwrap_or_else(|| "Azure".to_owned());
    // Against the local fake, the whole flow runs; against anything else, only with --yes.
    let create = yes || base_url.is_none();

    // Without a base URL, a fake service on 127.0.0.1 plays Partner Center: it reports the
    // upgrade in progress twice, then gives the documented completed status.
    let mut fake = None;
    let (base_url, token, poll) = match base_url {
        Some(url) => {
            let token = std::env::var("PC_UPGRADE_TOKEN")
                .map_err(|_| "set PC_UPGRADE_TOKEN to a Partner Center access token")?;
            (url, token, PollOptions::default())
        }
        None => {
            let server = MockServer::start().await?;
            let in_progress = r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "InProgress", "productFamily": "Azure"}"#;
            for _ in 0..2 {
                server.enqueue(
                    Operation::GetProductUpgradeStatus,
                    MockResponse::json(200, in_progress),
                );
            }
            println!(
                "no base URL given: using a local fake Partner Center at {}",
                server.base_url()
            );
            let url = server.base_url();
            fake = Some(server);
            let poll = PollOptions::default()
                .with_initial_interval(Duration::from_millis(100))
                .with_max_interval(Duration::from_millis(400))
                .with_timeout(Duration::from_secs(10));
            (url, "fake-token".to_owned(), poll)
        }
    };

    let client = PartnerCenterClient::builder()
        .base_url(base_url)
        .token(token)
        .application_name("pc-upgrade example")
        .build()?;
    println!("correlation id {}", client.correlation_id());
    let request = ProductUpgradeRequest::new(customer, family);

    println!(
        "1. checking eligibility of customer {customer} for {:?}",
        request.product_family
    );
    let eligibility = client.check_eligibility(&request).await?;
    println!("   eligible: {}", eligibility.is_eligible);
    if !eligibility.is_eligible {
        println!(
            "   reason: {}",
            eligibility.reason.as_deref().unwrap_or("(none given)")
        );
        return Ok(());
    }

    if !create {
        println!("   not creating the upgrade: add --yes to create it (it cannot be undone)");
        return Ok(());
    }
    println!("2. creating the upgrade");
    let upgrade = client.create_product_upgrade(&request).await?;
    println!("   upgrade id: {upgrade}");

    println!("3. waiting for the upgrade to complete");
    let status = client.wait_for_upgrade(upgrade, &request, poll).await?;
    println!("   status: {}", status.status);
    for item in &status.line_items {
        let name = |p: &Option<pc_upgrade_client::types::UpgradeProduct>| {
            p.as_ref().and_then(|p| p.name.clone()).unwrap_or_default()
        };
        println!(
            "   {} -> {} ({})",
            name(&item.source_product),
            name(&item.target_product),
            item.status.as_deref().unwrap_or("no status")
        );
    }
    if let Some(server) = fake {
        println!(
            "done: the fake service answered {} requests",
            server.requests().len()
        );
    }
    Ok(())
}
