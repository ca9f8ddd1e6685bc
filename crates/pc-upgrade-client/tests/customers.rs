//! The partner's customers through the client against the fake: the stream follows the
//! pages with `seekOperation=Next` and `MS-ContinuationToken`, and ends both ways Partner
//! Center ends a list (a page without a token; a `400` code 2000 past the last page);
//! a page that fails past the retries ends it with the error.

use std::num::NonZeroU32;

use futures_util::StreamExt;
use pc_upgrade_client::{MICROSOFT_CUSTOMER_AGREEMENT, PartnerCenterClient, RetryPolicy};
use pc_upgrade_mock::{
    Customer, Fleet, ListEnd, Listing, MockResponse, MockServer, Operation, ScriptedProfile,
};
use uuid::Uuid;

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
}

async fn server(count: u128, end: ListEnd) -> MockServer {
    let fleet = (0..count)
        .fold(Fleet::new(), |fleet, n| {
            fleet.customer(Customer::new(customer(n)))
        })
        .listing(Listing::default().max_page_size(7).ending(end));
    MockServer::builder().fleet(fleet).start().await.unwrap()
}

fn client(server: &MockServer, retry: RetryPolicy) -> PartnerCenterClient {
    PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("customers-test-token")
        .retry(retry)
        .build()
        .unwrap()
}

async fn all(client: &PartnerCenterClient) -> Vec<Result<Uuid, String>> {
    let size = NonZeroU32::new(10).unwrap();
    let stream = client.customers(size);
    stream
        .map(|c| c.map(|c| c.id).map_err(|e| e.to_string()))
        .collect()
        .await
}

#[tokio::test]
async fn the_list_is_followed_to_its_end_either_way() {
    for end in [ListEnd::NoToken, ListEnd::Error2000] {
        let server = server(23, end).await;
        let listed = all(&client(&server, RetryPolicy::none())).await;
        let ids: Vec<Uuid> = listed.into_iter().map(Result::unwrap).collect();
        assert_eq!(ids, (0..23).map(customer).collect::<Vec<_>>(), "{end:?}");
        let pages: Vec<_> = (server.requests().into_iter())
            .filter(|r| r.operation == Some(Operation::ListCustomers))
            .collect();
        // Pages of 7 though 10 were asked: 4, and one more past the end for a 2000.
        let expected = if end == ListEnd::Error2000 { 5 } else { 4 };
        assert_eq!(pages.len(), expected, "{end:?}");
        assert!(pages[0].header("ms-continuationtoken").is_none());
        for page in &pages[1..] {
            assert!(page.header("ms-continuationtoken").is_some());
            assert!(page.path.contains("customers"), "{}", page.path);
        }
    }
}

#[tokio::test]
async fn a_page_that_fails_ends_the_stream_with_its_error_and_a_500_is_retried() {
    let server = server(10, ListEnd::NoToken).await;
    server.enqueue(Operation::ListCustomers, MockResponse::new(500));
    let listed = all(&client(&server, RetryPolicy::default())).await;
    assert_eq!(listed.len(), 10, "the 500 was retried: {listed:?}");
    assert!(listed.iter().all(Result::is_ok));

    let server = server_with_refusal().await;
    let listed = all(&client(&server, RetryPolicy::none())).await;
    assert_eq!(listed.len(), 8, "{listed:?}");
    assert!(
        listed[7].as_ref().unwrap_err().contains("HTTP 403"),
        "{listed:?}"
    );
}

/// A list whose second page is refused.
async fn server_with_refusal() -> MockServer {
    let server = server(20, ListEnd::NoToken).await;
    // The first page is answered as queued, with a token; the second is refused.
    server.enqueue(
        Operation::ListCustomers,
        MockResponse::json(
            200,
            format!(
                r#"{{"items": [{}], "continuationToken": "pc-upgrade-mock,0000000000000007"}}"#,
                (0..7)
                    .map(|n| format!(r#"{{"id": "{}"}}"#, customer(n)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
    );
    server.enqueue(
        Operation::ListCustomers,
        MockResponse::json(403, r#"{"code": 20002, "description": "Refused."}"#),
    );
    server
}

#[tokio::test]
async fn the_mca_is_asked_by_its_type() {
    let agreed = ScriptedProfile::new("Contoso", "contoso.onmicrosoft.com");
    let fleet = Fleet::new().customer(Customer::new(customer(1)).profile(agreed.mca(None)));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let client = client(&server, RetryPolicy::none());
    let mca = Some(MICROSOFT_CUSTOMER_AGREEMENT);
    let none = client
        .get_customer_agreements(customer(1), mca)
        .await
        .unwrap();
    assert!(none.items.is_empty());
    // Without the type, the service answers Microsoft Cloud Agreement records.
    let cloud = client
        .get_customer_agreements(customer(1), None)
        .await
        .unwrap();
    assert_eq!(
        cloud.items[0].type_.as_deref(),
        Some("MicrosoftCloudAgreement")
    );
    let default = client
        .get_customer_agreements(customer(2), mca)
        .await
        .unwrap();
    assert!(default.items[0].date_agreed.is_some());
}
