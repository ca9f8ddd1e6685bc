//! `pc-upgrade discover`, in this process on Tokio's paused clock, against a partner's list
//! of 1,234 customers shaped like a real one (most hold no legacy Azure subscription, some
//! are an advisor's, some suspended, some without the MCA), paged at most 450 a page (fewer
//! than asked), ending with a `400` code 2000, 1 % of calls answering `500`, 20 calls a
//! second per API: the file holds exactly the customers it should, reads each customer's
//! subscriptions once, and drives `upgrade` to its end.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use common::{customer, in_process, scratch};
use pc_upgrade_mock::{
    Customer, Fleet, ListEnd, Listing, MockServer, Operation, ScriptedProfile,
    ScriptedSubscription, Throttle,
};
use uuid::Uuid;

const COUNT: u128 = 1_234;

/// What customer `n` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Microsoft 365 only: nothing to upgrade.
    NoAzure,
    /// The partner is its advisor: not read.
    Advisor,
    /// Two legacy subscriptions from resellers, the MCA accepted.
    Ready,
    /// Its one legacy subscription suspended.
    Suspended,
    /// A legacy subscription, no MCA.
    NoMca,
}

fn kind(n: u128) -> Kind {
    match n % 10 {
        0..=5 => Kind::NoAzure,
        6 => Kind::Advisor,
        7 | 8 => Kind::Ready,
        _ if n % 20 == 9 => Kind::Suspended,
        _ => Kind::NoMca,
    }
}

fn name(n: u128) -> String {
    format!("Bäckerei Müller {n} ГмбХ")
}

fn agreed(n: u128) -> String {
    format!("2021-03-{:02}T00:00:00Z", n % 28 + 1)
}

fn reseller(n: u128) -> String {
    format!("reseller-{}", n % 4)
}

fn script(n: u128) -> Customer {
    let id = customer(n);
    let legacy = |k: u128| ScriptedSubscription::legacy(Uuid::from_u128((n << 8) | k));
    let profile = ScriptedProfile::new(name(n), format!("c{n}.onmicrosoft.com"));
    let customer = Customer::new(id);
    match kind(n) {
        Kind::NoAzure => customer.no_azure_subscription().profile(profile),
        Kind::Advisor => customer.profile(profile.advisor()),
        Kind::Ready => customer
            .holding([
                legacy(1).reseller(reseller(n)),
                legacy(2).reseller("reseller-x"),
            ])
            .profile(profile.mca(Some(&agreed(n)))),
        Kind::Suspended => customer
            .holding([legacy(1).suspended().reseller(reseller(n))])
            .profile(profile.mca(Some(&agreed(n)))),
        Kind::NoMca => customer.holding([legacy(1)]).profile(profile.mca(None)),
    }
}

#[tokio::test(start_paused = true)]
async fn discover_writes_exactly_the_customers_to_upgrade_and_drives_the_upgrade() {
    let fleet = (0..COUNT)
        .fold(Fleet::new(), |fleet, n| fleet.customer(script(n)))
        .listing(
            Listing::default()
                .max_page_size(450)
                .ending(ListEnd::Error2000)
                .server_error_every(100),
        )
        .upgrades_take(Duration::from_secs(5));
    let throttle = Throttle::new(20, Duration::from_secs(1)).per_operation();
    let server = (MockServer::builder().fleet(fleet).throttle(throttle))
        .start()
        .await
        .unwrap();
    let dir = scratch("discover");
    let out = dir.join("customers.csv");
    let ran = in_process(&server, &["discover", "--out", out.to_str().unwrap()]).await;
    assert_eq!(ran.code, 0, "{}", ran.both());

    let failed = server.requests().iter().filter(|r| r.status == 500).count();
    assert!(
        failed > 10,
        "the fake failed {failed} calls: the scenario needs some"
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "customerId",
            "companyName",
            "domain",
            "legacySubscriptions",
            "suspendedSubscriptions",
            "resellers",
            "mcaAccepted"
        ]
    );
    let rows: BTreeMap<u128, csv::StringRecord> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let n = Uuid::parse_str(&r[0]).unwrap().as_u128() & 0xffff_ffff;
            (n, r)
        })
        .collect();
    let expected: Vec<u128> = (0..COUNT)
        .filter(|n| matches!(kind(*n), Kind::Ready | Kind::Suspended | Kind::NoMca))
        .collect();
    assert_eq!(rows.keys().copied().collect::<Vec<_>>(), expected);
    for (n, row) in &rows {
        assert_eq!(&row[1], name(*n), "{row:?}");
        let (legacy, suspended, resellers, mca) = match kind(*n) {
            Kind::Ready => ("2", "0", format!("{};reseller-x", reseller(*n)), agreed(*n)),
            Kind::Suspended => ("1", "1", reseller(*n), agreed(*n)),
            _ => ("1", "0", String::new(), String::new()),
        };
        assert_eq!((&row[3], &row[4]), (legacy, suspended), "{row:?}");
        assert_eq!(
            (&row[5], &row[6]),
            (resellers.as_str(), mca.as_str()),
            "{row:?}"
        );
    }

    // Each customer the partner is reseller for had its subscriptions read once.
    let mut read: HashMap<String, usize> = HashMap::new();
    for request in server.requests() {
        if request.operation == Some(Operation::GetCustomerSubscriptions) && request.status == 200 {
            *read.entry(request.path.clone()).or_default() += 1;
        }
    }
    let resellers = (0..COUNT).filter(|n| kind(*n) != Kind::Advisor).count();
    assert_eq!(read.len(), resellers);
    assert!(
        read.values().all(|count| *count == 1),
        "a customer read twice"
    );

    let said = ran.out.split_whitespace().collect::<Vec<_>>().join(" ");
    let suspended = expected
        .iter()
        .filter(|n| kind(**n) == Kind::Suspended)
        .count();
    let no_mca = expected.iter().filter(|n| kind(**n) == Kind::NoMca).count();
    let advisors = (0..COUNT).filter(|n| kind(*n) == Kind::Advisor).count();
    for (what, count) in [
        ("customers listed", COUNT as usize),
        ("advisor relationship (not read)", advisors),
        ("with legacy Azure subscriptions", expected.len()),
        ("every one suspended", suspended),
        ("without a Microsoft Customer Agreement", no_mca),
    ] {
        assert!(
            said.contains(&format!("{what} {count}")),
            "{what} {count}: {said}"
        );
    }
    assert!(said.contains("reseller-x"), "{said}");

    // The file drives the upgrade as it is, from the command discover printed.
    let journal = dir.join("run.journal");
    let upgrade = [
        "upgrade",
        "--customers",
        out.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--yes",
    ];
    let upgraded = in_process(&server, &upgrade).await;
    // The suspended ones are not eligible: 3.
    assert_eq!(upgraded.code, 3, "{}", upgraded.both());
    let flat = upgraded
        .out
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let completed = expected.len() - suspended;
    assert!(flat.contains(&format!("completed {completed}")), "{flat}");
    assert!(
        flat.contains(&format!("not-eligible {suspended}")),
        "{flat}"
    );
    assert!(ran.out.contains(" eligibility --customers "), "{}", ran.out);
}

/// Ctrl-C while listing leaves no file, and says so.
#[tokio::test(start_paused = true)]
async fn an_interrupted_discovery_leaves_no_file() {
    let fleet = (0..300u128).fold(Fleet::new(), |fleet, n| fleet.customer(script(n)));
    let throttle = Throttle::new(5, Duration::from_secs(1)).per_operation();
    let server = (MockServer::builder().fleet(fleet).throttle(throttle))
        .start()
        .await
        .unwrap();
    let dir = scratch("discover-interrupted");
    let out = dir.join("customers.csv");
    let (ctrl_c, interrupt) = tokio::sync::watch::channel(false);
    let press = async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        ctrl_c.send(true).unwrap();
    };
    let args = ["discover", "--out", out.to_str().unwrap()];
    let vars = common::vars("cli-test-token");
    let (ran, ()) = tokio::join!(
        common::in_process_with(&server, &args, vars, interrupt),
        press
    );
    assert_eq!(ran.code, 130, "{}", ran.both());
    assert!(
        !out.exists(),
        "an interrupted discovery left {}",
        out.display()
    );
    assert!(ran.err.contains("nothing was written"), "{}", ran.err);
}

/// A token Partner Center refuses part-way (consent revoked): exit 1, the credentials named,
/// the command to run again, and no file.
#[tokio::test(start_paused = true)]
async fn a_refused_token_stops_with_the_next_step_and_no_file() {
    let fleet = (0..300u128).fold(Fleet::new(), |fleet, n| fleet.customer(script(n)));
    let server = MockServer::builder().fleet(fleet).start().await.unwrap();
    server.fault_after(20, pc_upgrade_mock::Fault::RefuseTokens);
    let dir = scratch("discover-refused");
    let out = dir.join("customers.csv");
    let ran = in_process(&server, &["discover", "--out", out.to_str().unwrap()]).await;
    assert_eq!(ran.code, 1, "{}", ran.both());
    assert!(!out.exists(), "a stopped discovery left {}", out.display());
    let said = ran.err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        said.contains("its credentials, their permissions"),
        "{said}"
    );
    assert!(said.contains("nothing was written"), "{said}");
    assert!(
        said.contains(" discover --out "),
        "no command to run again: {said}"
    );
}
