//! The default wait keeps its word, on the paused clock: reads at once, after 5 s, doubling
//! to a minute, and a last read at the 30-minute deadline; upgrades that end at 29 min 50 s
//! and 29 min 59 s are seen completed, one of 40 minutes is timed out no earlier than 30
//! minutes, with `after` the time really waited.

use std::time::Duration;

use pc_upgrade_client::{
    PartnerCenterClient, PollOptions, ProductUpgradeRequest, UpgradeId, WaitError,
};
use pc_upgrade_mock::{Customer, Fleet, MockServer, Operation};
use tokio::time::Instant;
use uuid::Uuid;

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x4c72_1420_0000_4000_8000_0000_0000_0000 | n)
}

/// The fake of `fleet`, and a client of it.
async fn serve(fleet: Fleet) -> (MockServer, PartnerCenterClient) {
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("token")
        .build()
        .unwrap();
    (server, client)
}

/// A fake whose one customer's upgrade takes `takes`, a client, the created upgrade, and
/// when it was created.
async fn created(takes: Duration) -> (MockServer, PartnerCenterClient, UpgradeId, Instant) {
    let (server, client) =
        serve(Fleet::new().customer(Customer::new(customer(1)).takes(takes))).await;
    let request = ProductUpgradeRequest::new(customer(1), "Azure");
    let upgrade = client.create_product_upgrade(&request).await.unwrap();
    (server, client, upgrade, Instant::now())
}

fn request() -> ProductUpgradeRequest {
    ProductUpgradeRequest::new(customer(1), "Azure")
}

#[tokio::test(start_paused = true)]
async fn upgrades_ending_just_before_the_deadline_are_seen_completed() {
    for ends in [
        Duration::from_secs(29 * 60 + 50),
        Duration::from_secs(29 * 60 + 59),
    ] {
        let (_server, client, upgrade, _) = created(ends).await;
        let waited = client
            .wait_for_upgrade(upgrade, &request(), PollOptions::default())
            .await;
        assert!(waited.is_ok(), "ending at {ends:?}: {waited:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_schedule_reads_as_documented_and_times_out_at_its_deadline() {
    let (server, client, upgrade, started) = created(Duration::from_secs(40 * 60)).await;
    let error = client
        .wait_for_upgrade(upgrade, &request(), PollOptions::default())
        .await
        .expect_err("an upgrade of 40 minutes");
    let waited = started.elapsed();
    let WaitError::TimedOut { after, last } = &error else {
        panic!("{error}");
    };
    assert!(last.is_some(), "the last status");
    let deadline = Duration::from_secs(30 * 60);
    assert!(
        *after >= deadline && *after <= waited,
        "{after:?} of {waited:?}"
    );
    assert!(waited < deadline + Duration::from_secs(1), "{waited:?}");
    let reads: Vec<u64> = server
        .requests()
        .iter()
        .filter(|r| r.operation == Some(Operation::GetProductUpgradeStatus))
        .map(|r| r.received.duration_since(started).as_secs())
        .collect();
    let mut expected = vec![0, 5, 15, 35, 75, 135];
    expected.extend((195..deadline.as_secs()).step_by(60));
    expected.push(deadline.as_secs());
    assert_eq!(reads, expected);
}

/// The same reads as a stream, for a service that shows progress: the statuses not final
/// yet, then `Completed` last; a failed upgrade's last item is the failure.
#[tokio::test(start_paused = true)]
async fn the_reads_as_a_stream_end_with_the_upgrades_end() {
    use futures_util::StreamExt;

    let fleet = Fleet::new()
        .customer(
            Customer::new(customer(1))
                .statuses(["Pending", "InProgress", "Completed"])
                .takes(Duration::from_secs(120)),
        )
        .customer(Customer::new(customer(2)).fails_with(900_120, "It cannot be processed."));
    let (_server, client) = serve(fleet).await;
    for (n, last_ok) in [(1, true), (2, false)] {
        let request = ProductUpgradeRequest::new(customer(n), "Azure");
        let upgrade = client.create_product_upgrade(&request).await.unwrap();
        let reads: Vec<_> = client
            .upgrade_statuses(upgrade, &request, PollOptions::default())
            .collect()
            .await;
        let (last, before) = reads.split_last().unwrap();
        assert!(
            before
                .iter()
                .all(|r| r.as_ref().is_ok_and(|s| !s.is_completed()))
        );
        match (last, last_ok) {
            (Ok(status), true) => assert!(status.is_completed(), "{status:?}"),
            (Err(WaitError::Failed(status)), false) => assert!(status.is_failed()),
            other => panic!("{other:?}"),
        }
        if n == 1 {
            let states: Vec<&str> = before
                .iter()
                .map(|r| r.as_ref().unwrap().status.as_str())
                .collect();
            assert!(
                states.contains(&"Pending") && states.contains(&"InProgress"),
                "{states:?}"
            );
        }
    }
}
