//! The service's upgrade step on a paused clock against the fake, as its author tests it:
//! the default wait sees upgrades ending at 29 min 50 s and 29 min 59 s completed, and times
//! one of 40 minutes out no earlier than 30 minutes, with `after` the time waited.

use std::time::Duration;

use pc_upgrade_client::uuid::Uuid;
use pc_upgrade_client::{EnsureError, Ensured, PartnerCenterClient, WaitError};
use pc_upgrade_consumer::upgrade;
use pc_upgrade_mock::{Customer, Fleet, MockServer};

fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0x4c72_1420_0000_4000_8000_0000_0000_0000 | n)
}

async fn service(fleet: Fleet) -> (MockServer, PartnerCenterClient) {
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    let client = PartnerCenterClient::builder()
        .base_url(server.base_url())
        .token("consumer-token")
        .build()
        .unwrap();
    (server, client)
}

#[tokio::test(start_paused = true)]
async fn the_default_wait_keeps_its_thirty_minutes() {
    let minutes = |m: u64, s: u64| Duration::from_secs(m * 60 + s);
    let fleet = Fleet::new()
        .customer(Customer::new(customer(1)).takes(minutes(29, 50)))
        .customer(Customer::new(customer(2)).takes(minutes(29, 59)))
        .customer(Customer::new(customer(3)).takes(minutes(40, 0)));
    let (_server, client) = service(fleet).await;
    for n in [1, 2] {
        let ended = upgrade(&client, customer(n)).await;
        assert!(matches!(ended, Ok(Ensured::Completed { .. })), "{ended:?}");
    }
    let started = tokio::time::Instant::now();
    let request = pc_upgrade_client::ProductUpgradeRequest::new(customer(3), "Azure");
    let error = client
        .ensure_upgrade(&request, Default::default(), Default::default())
        .await
        .unwrap_err();
    let waited = started.elapsed();
    let EnsureError::Wait {
        error: WaitError::TimedOut { after, .. },
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert!(
        *after >= minutes(30, 0) && *after <= waited,
        "{after:?} of {waited:?}"
    );
}
