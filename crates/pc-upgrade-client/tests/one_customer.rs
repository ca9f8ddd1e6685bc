//! A service author's test of their retry handling: one customer's create gets a `429`, then
//! a `500`, then is accepted, while the other customers of the fleet are answered as the
//! fleet says; on Tokio's paused clock the `Retry-After` (whole seconds, as the service
//! sends it) and the backoff cost no wall time.

use std::time::{Duration, Instant};

use pc_upgrade_client::{CallOptions, PartnerCenterClient, ProductUpgradeRequest, RetryPolicy};
use pc_upgrade_mock::{Customer, Fleet, MockResponse, MockServer, Operation};
use uuid::Uuid;

#[tokio::test(start_paused = true)]
async fn one_customers_create_is_throttled_then_fails_then_accepted_and_the_others_are_not() {
    let (started, clock) = (Instant::now(), tokio::time::Instant::now());
    let customers: Vec<Uuid> = (1..=5).map(Uuid::from_u128).collect();
    let fleet = customers
        .iter()
        .fold(Fleet::new(), |fleet, id| fleet.customer(Customer::new(*id)));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let scripted = customers[2];
    let create = Operation::CreateProductUpgrade;
    server.enqueue_for(
        scripted,
        create,
        MockResponse::throttled(Duration::from_secs(2)),
    );
    server.enqueue_for(scripted, create, MockResponse::new(500));
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("one-customer")
        .retry(RetryPolicy::default().with_max_attempts(3))
        .build()
        .unwrap();
    for customer in &customers {
        let request = ProductUpgradeRequest::new(*customer, "Azure");
        let options =
            CallOptions::default().request_id(Uuid::from_u128(0xa000 + customer.as_u128()));
        let created = client.create_product_upgrade_with(&request, options).await;
        let created = created.unwrap_or_else(|error| panic!("{customer}: {error}"));
        let attempts = created.call.attempts;
        let expected = if *customer == scripted { 3 } else { 1 };
        assert_eq!(attempts, expected, "{customer}");
    }
    let statuses: Vec<(String, u16)> = server
        .requests()
        .iter()
        .map(|r| {
            let customer = r.json().unwrap()["customerId"].as_str().unwrap().to_owned();
            (customer, r.status)
        })
        .collect();
    let scripted_calls: Vec<u16> = statuses
        .iter()
        .filter(|(c, _)| *c == scripted.to_string())
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(scripted_calls, [429, 500, 202]);
    assert_eq!(
        statuses.iter().filter(|(_, s)| *s == 202).count(),
        customers.len()
    );
    // The Retry-After was honoured on Tokio's clock, and cost less wall time than it asked.
    let (wall, waited) = (started.elapsed(), clock.elapsed());
    assert!(waited >= Duration::from_secs(2), "waited {waited:?}");
    assert!(
        wall < waited,
        "{wall:?} of wall time for {waited:?} of waiting"
    );
}
