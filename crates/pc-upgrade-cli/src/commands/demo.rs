//! `pc-upgrade demo`: the tool tried with no Partner Center account. A fake Partner Center
//! starts in this process on 127.0.0.1 with a mixed fleet (eligible customers whose
//! upgrades take a few seconds, customers with nothing to upgrade, customers not eligible
//! (a reason, suspended subscriptions), already upgrading, refused with a
//! documented code, told to try again later, upgrades that fail, and upgrades that leave a
//! subscription behind), and a real `upgrade --yes` runs against it, with the progress and
//! the summary an operator sees.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use pc_upgrade_mock::{
    Customer, Fleet, MockServer, ScriptedProfile, ScriptedSubscription, Throttle,
};
use uuid::Uuid;

use super::Session;
use super::fleet::{Following, Job};
use crate::args::FleetArgs;
use crate::engine::Mode;
use crate::sign_in::{Connection, SignIn};

/// The token the demo signs in to its fake with.
const TOKEN: &str = "pc-upgrade-demo";

/// `pc-upgrade demo`: the fake, the fleet, and a real upgrade run against them.
pub async fn run(session: &Session<'_>, dir: Option<&Path>) -> Result<u8> {
    let given = dir.is_some();
    let dir = folder(dir)?;
    let journal = dir.join("run.journal");
    let server = start(&journal).await?;
    let customers = dir.join("customers.csv");
    // The command that goes on with this demo names its folder.
    let mut args = session.args.to_vec();
    if !given {
        args.extend(["--dir".into(), dir.clone().into_os_string()]);
    }
    let banner = format!(
        "pc-upgrade demo: a fake Partner Center on {} with {} customers, {CUSTOMERS} of them \
         with legacy Azure subscriptions of every kind; no account is needed and nothing \
         leaves this machine. First discover, then the upgrade of what it found.",
        server.base_url(),
        CUSTOMERS + NOTHING_TO_UPGRADE
    );
    session
        .console
        .out(&format!("{}\n\n", crate::summary::wrap(&banner)));
    let demo = Session {
        connection: Connection {
            base_url: server.base_url(),
            rate: None,
            sign_in: SignIn::Token(TOKEN.to_owned()),
        },
        given_base_url: Some(server.base_url()),
        console: session.console,
        args: &args,
        interrupt: session.interrupt.clone(),
        quiet: session.quiet,
    };
    // The fleet from Partner Center: the customers file the upgrade reads.
    let size = std::num::NonZeroU32::MIN.saturating_add(499);
    let found = super::discover::run(&demo, &customers, size, crate::args::Output::Text).await?;
    if found != crate::ending::ALL_WELL {
        return Ok(found);
    }
    let fleet = FleetArgs {
        customers,
        product_family: "Azure".to_owned(),
        delimiter: b',',
        concurrency: 16,
        report: Some(dir.join("report.csv")),
    };
    let line_items = dir.join("line-items.csv");
    let job = job(&journal, &line_items);
    let code = super::fleet::run(&demo, &fleet, job).await?;
    let real = "For real, with your customers file: a dry run first, then the same with \
                --yes (pc-upgrade --help names the credentials):";
    session.console.out(&format!(
        "journal: {}\n\n{}\n  pc-upgrade upgrade --customers customers.csv --journal \
         run.journal\n  pc-upgrade upgrade --customers customers.csv --journal run.journal \
         --yes\n",
        journal.display(),
        crate::summary::wrap(real)
    ));
    drop(server);
    // Some customers fail, are refused or are to retry later by design: a demo that ran to
    // its end ran as designed.
    Ok(match code {
        crate::ending::PARTIAL => crate::ending::ALL_WELL,
        code => code,
    })
}

/// The demo's upgrade run: for real, its line items beside the journal, brakes that let it
/// show every outcome.
fn job<'a>(journal: &'a Path, line_items: &'a Path) -> Job<'a> {
    Job {
        mode: Mode::Upgrade,
        journal: Some(journal),
        following: Following {
            wait: Duration::from_secs(60),
            first_poll: Duration::from_secs(1),
        },
        other_customers: false,
        only: None,
        line_items: Some(line_items),
        stdout: crate::args::Output::Text,
        // The demo's fleet fails one customer in ten on purpose, to show every outcome:
        // the default threshold would stop it.
        brakes: crate::engine::Brakes {
            canary: 0,
            max_failed: crate::engine::MaxFailed::Percent(100.0),
        },
        takes_only: false,
    }
}

/// Customers in the demo fleet with legacy Azure to upgrade, of every kind.
const CUSTOMERS: u128 = 200;
/// Customers beside them with nothing to upgrade (Microsoft 365 only), as most of a real
/// partner's are: `discover` leaves them out of the customers file.
const NOTHING_TO_UPGRADE: u128 = 300;

/// The demo's customer number `n`.
fn customer(n: u128) -> Uuid {
    Uuid::from_u128(0xdec0_0000_0000_4000_8000_0000_0000_0000 | n)
}

/// The fleet: every kind of customer, in a fixed pattern.
fn fleet() -> Fleet {
    (0..CUSTOMERS)
        .fold(Fleet::new(), |fleet, n| {
            let script = Customer::new(customer(n));
            fleet.customer(match n % 10 {
                // Nothing to upgrade: a Microsoft 365 customer (eligibility answers 900108).
                0 => script.no_azure_subscription(),
                4 if n % 20 == 4 => script
                    .ineligible("The customer has not accepted the Microsoft Customer Agreement."),
                // Its one legacy Azure subscription is suspended (eligibility: 900105).
                4 => script.holding([ScriptedSubscription::legacy(Uuid::from_u128(
                    0xdec0_0000_0000_4000_a000_0000_0000_0000 | n,
                ))
                .suspended()]),
                1 => script
                    .already_upgrading(Uuid::from_u128(
                        0xdec0_0000_0000_4000_9000_0000_0000_0000 | n,
                    ))
                    .takes(Duration::from_secs(4)),
                2 if n % 20 == 2 => script.create_fails(403, 900108),
                2 => script.create_fails(403, 900130),
                3 => script
                    .statuses(["InProgress", "Failed"])
                    .fails_with(900120, "The Azure upgrade cannot be processed.")
                    .takes(Duration::from_secs(3)),
                // One in ten leaves a subscription behind: its line item fails.
                9 => script
                    .subscriptions(2)
                    .subscription_not_moved(
                        2,
                        900105,
                        "Subscription Demo test is suspended and was not moved.",
                    )
                    .takes(Duration::from_millis(2500)),
                _ => script
                    .statuses(["Pending", "InProgress", "Completed"])
                    .subscriptions(1 + (n % 3) as usize)
                    .takes(Duration::from_millis(2000 + 300 * (n % 7) as u64)),
            })
        })
        .throttle(Throttle::new(60, Duration::from_secs(1)).per_operation())
}

/// The demo's fleet as the partner's list has it: the customers to upgrade, among many
/// with nothing to upgrade, each with a company name.
fn listed() -> Fleet {
    let mut fleet = fleet();
    for n in CUSTOMERS..CUSTOMERS + NOTHING_TO_UPGRADE {
        fleet = fleet.customer(Customer::new(customer(n)).no_azure_subscription());
    }
    for script in &mut fleet.customers {
        let n = script.customer_id.as_u128() & 0xffff;
        let name = format!("Demo customer {n}");
        *script = script
            .clone()
            .profile(ScriptedProfile::new(name, format!("demo{n}.example")));
    }
    fleet
}

/// Where the demo keeps its files: `dir`, or a new folder under the system's temporary one.
fn folder(dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::temp_dir().join(format!("pc-upgrade-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Starts the fake with the demo's fleet, which knows the upgrades an earlier demo in the
/// folder created (its journal says which), so that the demo goes on.
async fn start(journal: &Path) -> Result<MockServer> {
    let mut fleet = listed();
    if journal.exists() {
        let known = crate::journal::read(journal)?.known;
        for script in &mut fleet.customers {
            if let Some(upgrade) = known.get(&script.customer_id).and_then(|k| k.upgrade()) {
                script.upgrade_id = Some(upgrade);
            }
        }
    }
    let server = MockServer::builder()
        .fleet(fleet)
        .start()
        .await
        .context("starting the fake Partner Center on 127.0.0.1")?;
    server.set_recording(false);
    Ok(server)
}
