//! The runs: eligibility of every customer, the upgrade of every customer (resumable from
//! the journal), and where a run stands. Customers are worked on by `concurrency` workers
//! sharing one client, and so one rate limit.

use std::collections::HashMap;
use std::sync::Arc;

use pc_upgrade_client::{
    CallOptions, Ensured, Error, Origin, PartnerCenterClient, PollOptions, ProductUpgradeRequest,
    UpgradeId, UpgradeState, WaitError,
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::customers::{BadLine, Customer};
use crate::journal::{Event, Journal, Known, Outcome};
use crate::report::{Progress, Row};

/// How a run works.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The product family to upgrade to.
    pub product_family: String,
    /// Customers worked on at once.
    pub concurrency: usize,
    /// How upgrades are waited for.
    pub poll: PollOptions,
    /// False for a dry run: nothing is created.
    pub yes: bool,
}

fn row(customer: &Customer, outcome: &str) -> Row {
    Row {
        customer_id: Some(customer.id),
        line: customer.line,
        outcome: outcome.to_owned(),
        extra: customer.extra.iter().cloned().collect(),
        ..Row::default()
    }
}

/// The rows of the bad lines.
pub fn bad_rows(bad: &[BadLine]) -> Vec<Row> {
    bad.iter()
        .map(|b| Row {
            line: b.line,
            outcome: "bad-line".into(),
            detail: Some(b.reason.clone()),
            ..Row::default()
        })
        .collect()
}

fn with_error(mut row: Row, error: &Error) -> Row {
    row.detail = Some(error.to_string());
    row.error_code = error.code().and_then(|c| c.number());
    row.request_id = Some(error.request_id());
    row
}

/// Runs `work` for every customer, `concurrency` at a time; rows in the customers' order.
async fn each<F, Fut>(
    customers: Vec<Customer>,
    concurrency: usize,
    progress: &Progress,
    work: F,
) -> Vec<Row>
where
    F: Fn(Customer) -> Fut,
    Fut: std::future::Future<Output = Row> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut rows = Vec::new();
    for (index, customer) in customers.into_iter().enumerate() {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let job = work(customer);
        tasks.spawn(async move {
            let row = job.await;
            drop(permit);
            (index, row)
        });
        // Report customers as they finish, not only at the end.
        while let Some(Ok((index, row))) = tasks.try_join_next() {
            progress.done(&row);
            rows.push((index, row));
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, row)) = joined {
            progress.done(&row);
            rows.push((index, row));
        }
    }
    rows.sort_by_key(|(index, _)| *index);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// `pc-upgrade eligibility`: asks for every customer.
pub async fn eligibility(
    client: &PartnerCenterClient,
    customers: Vec<Customer>,
    settings: &Settings,
    progress: &Progress,
) -> Vec<Row> {
    each(customers, settings.concurrency, progress, |customer| {
        let client = client.clone();
        let request = ProductUpgradeRequest::new(customer.id, settings.product_family.clone());
        async move {
            match client.check_eligibility(&request).await {
                Ok(answer) => {
                    let mut row = row(
                        &customer,
                        if answer.is_eligible {
                            "eligible"
                        } else {
                            "ineligible"
                        },
                    );
                    row.eligible = Some(answer.is_eligible);
                    row.upgrade_id = answer.upgrade_id;
                    row.detail = answer.reason;
                    row
                }
                Err(error) => with_error(row(&customer, "error"), &error),
            }
        }
    })
    .await
}

/// Whether an error is the final word on a customer: a refusal (4xx but 429). Anything else
/// (an outage, throttling past the limits, a timeout) is tried again by the next run.
fn is_final(error: &Error) -> bool {
    error
        .status()
        .is_some_and(|s| s.is_client_error() && s.as_u16() != 429)
}

fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Created { .. } => "created".into(),
        Origin::Eligibility => "eligibility".into(),
        Origin::Conflict { code } => format!(
            "conflict {}",
            code.number().map(|n| n.to_string()).unwrap_or_default()
        ),
        other => format!("{other:?}"),
    }
}

fn done_row(customer: &Customer, event: &Event, known: &Known) -> Row {
    let Event::Done {
        outcome,
        upgrade_id,
        detail,
        error_code,
        request_id,
        ..
    } = event
    else {
        return row(customer, "error");
    };
    let mut row = row(customer, outcome.as_str());
    row.upgrade_id = *upgrade_id;
    row.detail = detail.clone();
    row.error_code = *error_code;
    row.request_id = request_id.or(known.request_id);
    row.origin = known.started.as_ref().map(|(_, o)| o.clone());
    row
}

/// `pc-upgrade upgrade`: every customer to the product family, resuming what the journal knows.
pub async fn upgrade(
    client: &PartnerCenterClient,
    customers: Vec<Customer>,
    journal: Arc<Journal>,
    known: HashMap<Uuid, Known>,
    settings: &Settings,
    progress: &Progress,
) -> anyhow::Result<Vec<Row>> {
    if settings.yes {
        let queued: Vec<Event> = customers
            .iter()
            .filter(|c| known.get(&c.id).is_none_or(|k| k.queued.is_none()))
            .map(|c| Event::Queued {
                customer: c.id,
                line: c.line,
                extra: c.extra.clone(),
            })
            .collect();
        journal.write(&queued, true)?;
    }
    let known = Arc::new(known);
    Ok(each(customers, settings.concurrency, progress, |customer| {
        let (client, journal, known, settings) = (
            client.clone(),
            Arc::clone(&journal),
            Arc::clone(&known),
            settings.clone(),
        );
        async move {
            let known = known.get(&customer.id).cloned().unwrap_or_default();
            upgrade_one(&client, &journal, &known, customer, &settings).await
        }
    })
    .await)
}

async fn upgrade_one(
    client: &PartnerCenterClient,
    journal: &Journal,
    known: &Known,
    customer: Customer,
    settings: &Settings,
) -> Row {
    if let Some(done) = &known.done {
        return done_row(&customer, done, known);
    }
    let request = ProductUpgradeRequest::new(customer.id, settings.product_family.clone());
    let finish = |outcome: Outcome, mut row: Row| -> Row {
        let event = Event::Done {
            customer: customer.id,
            outcome,
            upgrade_id: row.upgrade_id,
            detail: row.detail.clone(),
            error_code: row.error_code,
            request_id: row.request_id,
        };
        if let Err(error) = journal.write(&[event], false) {
            row.detail = Some(format!("{error:#}"));
            row.outcome = Outcome::Error.as_str().into();
        }
        row
    };
    let mut create_request_id = known.request_id;
    let (upgrade, origin) = match &known.started {
        Some((upgrade, origin)) => (UpgradeId::new(*upgrade), origin.clone()),
        None if !settings.yes => return dry_run(client, &customer, &request).await,
        None => {
            let request_id = match known.request_id {
                Some(id) => id,
                None => {
                    let id = Uuid::new_v4();
                    // On disk before the create is sent: a create repeated after a crash
                    // carries the same MS-RequestId, which Partner Center takes as the same create.
                    let intent = Event::CreateIntent {
                        customer: customer.id,
                        request_id: id,
                    };
                    if let Err(error) = journal.write(&[intent], true) {
                        let mut row = row(&customer, "error");
                        row.detail = Some(format!("{error:#}"));
                        return row;
                    }
                    id
                }
            };
            create_request_id = Some(request_id);
            let options = CallOptions::default().request_id(request_id);
            match client.start_upgrade(&request, options).await {
                Ok(Ensured::Ineligible(eligibility)) => {
                    let mut row = row(&customer, "ineligible");
                    row.eligible = Some(false);
                    row.detail = eligibility.reason.clone();
                    return finish(Outcome::Ineligible, row);
                }
                Ok(Ensured::Started { upgrade, origin }) => {
                    let origin = origin_text(&origin);
                    let started = Event::Started {
                        customer: customer.id,
                        upgrade_id: *upgrade.as_uuid(),
                        origin: origin.clone(),
                    };
                    if let Err(error) = journal.write(&[started], false) {
                        tracing::warn!(%error, "the journal could not record the upgrade");
                    }
                    (upgrade, origin)
                }
                Ok(other) => {
                    let mut row = row(&customer, "error");
                    row.detail = Some(format!("{other:?}"));
                    return row;
                }
                Err(error) => {
                    let final_word = is_final(&error);
                    let mut row = with_error(row(&customer, "error"), &error);
                    row.request_id = Some(request_id);
                    return if final_word {
                        finish(Outcome::Error, row)
                    } else {
                        row
                    };
                }
            }
        }
    };
    let mut base = row(&customer, "");
    base.upgrade_id = Some(*upgrade.as_uuid());
    base.origin = Some(origin);
    base.request_id = create_request_id;
    match client
        .wait_for_upgrade(upgrade, &request, settings.poll.clone())
        .await
    {
        Ok(status) => {
            base.outcome = "completed".into();
            base.detail = Some(status.status);
            finish(Outcome::Completed, base)
        }
        Err(WaitError::Failed(status)) => {
            base.outcome = "failed".into();
            let details = status.error_details.clone().or_else(|| {
                status
                    .line_items
                    .iter()
                    .find_map(|i| i.error_details.clone())
            });
            base.error_code = details
                .as_ref()
                .and_then(|d| d.code.as_ref())
                .and_then(|c| c.as_i64());
            base.detail = Some(
                details
                    .and_then(|d| d.message)
                    .unwrap_or_else(|| format!("status {}", status.status)),
            );
            finish(Outcome::Failed, base)
        }
        Err(WaitError::TimedOut { last, .. }) => {
            // Not final: the next run goes on waiting.
            let state = last.map(|s| s.state()).unwrap_or(UpgradeState::InProgress);
            base.outcome = match state {
                UpgradeState::Pending => "pending".into(),
                _ => "in-progress".into(),
            };
            base.detail = Some(format!("not completed yet ({state})"));
            base
        }
        Err(WaitError::Call(error)) => {
            let final_word = is_final(&error);
            let row = with_error(base, &error);
            let mut row = row;
            row.outcome = "error".into();
            if final_word {
                finish(Outcome::Error, row)
            } else {
                row
            }
        }
        Err(other) => {
            base.outcome = "error".into();
            base.detail = Some(other.to_string());
            base
        }
    }
}

async fn dry_run(
    client: &PartnerCenterClient,
    customer: &Customer,
    request: &ProductUpgradeRequest,
) -> Row {
    match client.check_eligibility(request).await {
        Ok(answer) => {
            let outcome = match (answer.upgrade_id, answer.is_eligible) {
                (Some(_), _) => "would-resume",
                (None, true) => "would-create",
                (None, false) => "ineligible",
            };
            let mut row = row(customer, outcome);
            row.eligible = Some(answer.is_eligible);
            row.upgrade_id = answer.upgrade_id;
            row.detail = answer.reason;
            row
        }
        Err(error) => with_error(row(customer, "error"), &error),
    }
}

/// `pc-upgrade status`: where every customer of the journal stands.
pub fn status(known: &HashMap<Uuid, Known>) -> Vec<Row> {
    let mut rows: Vec<Row> = known
        .iter()
        .map(|(id, k)| {
            let (line, extra) = k.queued.clone().unwrap_or_default();
            let customer = Customer {
                line,
                id: *id,
                extra,
            };
            match (&k.done, &k.started) {
                (Some(done), _) => done_row(&customer, done, k),
                (None, Some((upgrade, origin))) => {
                    let mut row = row(&customer, "in-progress");
                    row.upgrade_id = Some(*upgrade);
                    row.origin = Some(origin.clone());
                    row.request_id = k.request_id;
                    row
                }
                (None, None) => {
                    let mut row = row(&customer, "pending");
                    row.request_id = k.request_id;
                    row.detail = Some(match k.request_id {
                        Some(_) => "create sent or about to be sent; the next run finds out".into(),
                        None => "not started".into(),
                    });
                    row
                }
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.line, r.customer_id));
    rows
}
