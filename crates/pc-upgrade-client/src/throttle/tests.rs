//! The rate limit against services simulated on a paused clock: fixed rates, one budget
//! found, budgets per operation told from a shared one, and limits that move.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;

const CREATE: &str = "create_product_upgrade";
const STATUS: &str = "get_product_upgrade_status";
const ELIGIBILITY: &str = "check_product_upgrade_eligibility";

/// A `429` on `operation` asking for `wait`, for a call just let go.
fn throttle(limit: &RateLimit, operation: &'static str, wait: Duration) {
    limit.answered(operation, Instant::now(), Answer::Throttled(wait));
}

/// A `429`'s pause is there to be read (a screen says how long), counting down.
#[tokio::test(start_paused = true)]
async fn a_pause_says_how_long_it_has_left() {
    let limit = RateLimit::new(10, Duration::from_secs(1));
    assert_eq!(limit.paused_for(), Duration::ZERO);
    throttle(&limit, STATUS, Duration::from_secs(17));
    assert_eq!(limit.paused_for(), Duration::from_secs(17));
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(limit.paused_for(), Duration::from_secs(7));
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(limit.paused_for(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn calls_are_spaced_and_a_pause_moves_them_all() {
    let limit = RateLimit::new(10, Duration::from_secs(1));
    let start = Instant::now();
    for operation in [CREATE, STATUS, ELIGIBILITY] {
        limit.acquire(operation).await;
    }
    assert_eq!(start.elapsed(), Duration::from_millis(204));
    throttle(&limit, CREATE, Duration::from_secs(5));
    limit.acquire(STATUS).await;
    assert_eq!(start.elapsed(), Duration::from_millis(5204));
    assert_eq!(limit.throttled(), 1);
}

#[test]
fn absurd_settings_neither_panic_nor_stop_the_clock() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _inside = runtime.enter();
    for limit in [
        RateLimit::new(0, Duration::MAX),
        RateLimit::new(u32::MAX, Duration::ZERO),
        RateLimit::adaptive_up_to(1, Duration::MAX),
        RateLimit::adaptive(),
    ] {
        throttle(&limit, STATUS, Duration::MAX);
        assert!(limit.paused_for() > Duration::ZERO);
        assert!(limit.rate() >= 0.0);
    }
}

/// A budget's limit, in calls a second, at a second since the start.
type LimitAt = dyn Fn(&str, u64) -> u32 + Send + Sync;

/// A simulated service: fixed one-second windows, one per budget, each allowing what
/// `limit(budget, seconds since the start)` says; a `429` asks for the rest of its window
/// (as the project's fake does). The budget of an operation is `"*"` when shared.
struct Service {
    limit: Box<LimitAt>,
    shared: bool,
    start: Instant,
    windows: Mutex<BTreeMap<&'static str, (Instant, u32)>>,
    /// Per operation: answered, throttled.
    counts: Mutex<BTreeMap<&'static str, (u32, u32)>>,
}

impl Service {
    fn new(shared: bool, limit: impl Fn(&str, u64) -> u32 + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            limit: Box::new(limit),
            shared,
            start: Instant::now(),
            windows: Mutex::new(BTreeMap::new()),
            counts: Mutex::new(BTreeMap::new()),
        })
    }

    /// One call arriving now: `None` if let through, else the wait a `429` asks for.
    fn call(&self, operation: &'static str) -> Option<Duration> {
        let now = Instant::now();
        let budget = if self.shared { ALL } else { operation };
        let limit = (self.limit)(budget, (now - self.start).as_secs());
        let mut windows = self.windows.lock().unwrap();
        let (window, used) = windows.entry(budget).or_insert((now, 0));
        if now - *window >= Duration::from_secs(1) {
            (*window, *used) = (now, 0);
        }
        let through = *used < limit;
        *used += u32::from(through);
        let rest = Duration::from_secs(1).saturating_sub(now - *window);
        let mut counts = self.counts.lock().unwrap();
        let (answered, throttled) = counts.entry(operation).or_default();
        if through {
            *answered += 1;
            None
        } else {
            *throttled += 1;
            Some(rest)
        }
    }

    fn counts(&self, operation: &str) -> (u32, u32) {
        self.counts
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or_default()
    }

    /// Answered and throttled over all operations.
    fn total(&self) -> (u32, u32) {
        let counts = self.counts.lock().unwrap();
        counts
            .values()
            .fold((0, 0), |(a, t), (b, u)| (a + b, t + u))
    }
}

/// `workers` callers of each of `operations` making calls back to back under `rate` for
/// `seconds`, a millisecond each way to `service`.
async fn run(
    rate: &Arc<RateLimit>,
    service: &Arc<Service>,
    operations: &[&'static str],
    workers: usize,
    seconds: u64,
) {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for &operation in operations {
        for _ in 0..workers {
            let (rate, service) = (Arc::clone(rate), Arc::clone(service));
            tasks.spawn(async move {
                while start.elapsed() < Duration::from_secs(seconds) {
                    let sent = rate.acquire(operation).await;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let wait = service.call(operation);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let answer = match wait {
                        None => Answer::Through,
                        Some(rest) => Answer::Throttled(rest.max(Duration::from_secs(1))),
                    };
                    rate.answered(operation, sent, answer);
                }
            });
        }
    }
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(start_paused = true)]
async fn an_adaptive_rate_finds_the_limit_and_stays_under_it() {
    let rate = Arc::new(RateLimit::adaptive());
    let service = Service::new(true, |_, _| 20);
    run(&rate, &service, &[STATUS], 16, 120).await;
    let (answered, throttled) = service.total();
    eprintln!(
        "adaptive, limit 20/s, 120 s: {answered} answered ({:.1} % of 2,400), {throttled} throttled, rate now {:.2}/s",
        f64::from(answered) / 24.0,
        rate.rate()
    );
    // 120 s at 20 calls a second allow 2,400 calls.
    assert!(
        answered >= 2_100,
        "{answered} answered, {throttled} throttled"
    );
    assert!(
        throttled * 50 <= answered,
        "{throttled} throttled of {answered}"
    );
    assert!((17.0..=21.5).contains(&rate.rate()), "{}", rate.rate());
}

/// Creates limited to 3 a second, eligibility and status reads to 20 each: a `429` on
/// creates leaves the reads at their own rate.
#[tokio::test(start_paused = true)]
async fn budgets_per_operation_are_learned_per_operation() {
    let rate = Arc::new(RateLimit::adaptive());
    let service = Service::new(false, |budget, _| if budget == CREATE { 3 } else { 20 });
    run(&rate, &service, &[CREATE, STATUS, ELIGIBILITY], 6, 120).await;
    let (creates, create_429s) = service.counts(CREATE);
    let (reads, read_429s) = service.counts(STATUS);
    let (_, throttled) = service.total();
    eprintln!(
        "per operation, 120 s: {creates} creates ({create_429s} 429s), {reads} status reads ({read_429s} 429s)"
    );
    eprintln!("{:?}", rate.learned());
    assert_eq!(rate.budget(), Budget::PerOperation);
    assert!(creates >= 300, "{creates} creates of 360");
    assert!(reads >= 2_100, "{reads} status reads of 2,400");
    let (all, _) = service.total();
    assert!(throttled * 50 <= all, "{throttled} throttled of {all}");
    let learned = rate.learned();
    let create = learned.operations.iter().find(|(name, _)| name == CREATE);
    assert!(create.is_some_and(|(_, rate)| *rate <= 3.5), "{learned:?}");
}

/// One budget of 20 a second over all three operations: three rates that each found it
/// would send 60. The one rate keeps to it until witnesses tell; should they wrongly say
/// the budgets are separate (a `Retry-After` rounded up lets a call through a budget just
/// renewed), each rate meets its `429`s and keeps to its share: the budget is not overrun.
#[tokio::test(start_paused = true)]
async fn one_budget_over_all_operations_is_not_overrun() {
    let rate = Arc::new(RateLimit::adaptive());
    let service = Service::new(true, |_, _| 20);
    run(&rate, &service, &[CREATE, STATUS, ELIGIBILITY], 6, 120).await;
    let (answered, throttled) = service.total();
    eprintln!(
        "one budget, 120 s: {answered} answered of 2,400, {throttled} throttled, found {:?}",
        rate.budget()
    );
    assert!(answered >= 2_100, "{answered} answered");
    assert!(
        throttled * 50 <= answered,
        "{throttled} throttled of {answered}"
    );
    assert!(rate.rate() <= 21.5, "{}", rate.rate());
}

/// A limit that falls from 20 to 5 a second at 20 s and rises to 15 at 60 s is found
/// again within seconds of the rise.
#[tokio::test(start_paused = true)]
async fn a_limit_that_rises_is_found_again_within_seconds() {
    let rate = Arc::new(RateLimit::adaptive());
    let service = Service::new(true, |_, at| match at {
        0..20 => 20,
        20..60 => 5,
        _ => 15,
    });
    let start = Instant::now();
    let sampled = Arc::clone(&rate);
    let sampler = tokio::spawn(async move {
        let mut rates = Vec::new();
        while start.elapsed() < Duration::from_secs(90) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            rates.push((start.elapsed(), sampled.rate()));
        }
        rates
    });
    run(&rate, &service, &[STATUS], 16, 90).await;
    let rates = sampler.await.unwrap();
    let at = |seconds: u64| {
        let after = rates
            .iter()
            .find(|(t, _)| *t >= Duration::from_secs(seconds));
        after.map_or(0.0, |(_, rate)| *rate)
    };
    assert!(at(59) <= 6.0, "{} after 40 s at 5/s", at(59));
    let found = rates
        .iter()
        .find(|(t, rate)| *t >= Duration::from_secs(60) && *rate >= 13.0)
        .map(|(t, _)| *t - Duration::from_secs(60));
    eprintln!(
        "the rise to 15/s found after {found:?}; total {:?}",
        service.total()
    );
    assert!(
        found.is_some_and(|after| after <= Duration::from_secs(10)),
        "the rise found after {found:?}"
    );
}

/// A limit resumed from what an earlier one learned starts at those rates.
#[tokio::test(start_paused = true)]
async fn a_resumed_limit_starts_where_the_last_one_was() {
    let learned = Learned {
        budget: Budget::PerOperation,
        shared: None,
        operations: vec![(CREATE.to_owned(), 3.0), (STATUS.to_owned(), 18.0)],
    };
    let rate = RateLimit::resuming(&learned);
    rate.acquire(CREATE).await;
    rate.acquire(STATUS).await;
    assert_eq!(rate.budget(), Budget::PerOperation);
    assert_eq!(rate.learned(), learned);
    let shared = Learned {
        budget: Budget::Shared,
        shared: Some(12.0),
        operations: Vec::new(),
    };
    assert_eq!(RateLimit::resuming(&shared).learned(), shared);
    // A client built already takes them, under its ceiling.
    let built = RateLimit::adaptive_up_to(10, Duration::from_secs(1));
    built.resume(&shared);
    assert_eq!(built.learned().shared, Some(10.0));
    let fixed = RateLimit::new(5, Duration::from_secs(1));
    fixed.resume(&shared);
    assert!((fixed.rate() - 5.0).abs() < 1e-9, "{}", fixed.rate());
}

#[tokio::test(start_paused = true)]
async fn under_a_ceiling_the_rate_starts_there_and_never_passes_it() {
    let rate = Arc::new(RateLimit::adaptive_up_to(20, Duration::from_secs(1)));
    let service = Service::new(true, |_, _| 20);
    run(&rate, &service, &[CREATE, STATUS], 8, 60).await;
    let (answered, throttled) = service.total();
    assert_eq!(throttled, 0);
    assert!(answered >= 1_160, "{answered}");
    assert!(rate.rate() <= 20.0);
}

/// A ceiling given over budgets per operation: creates find their own limit, and all
/// calls together keep to the ceiling.
#[tokio::test(start_paused = true)]
async fn a_ceiling_over_budgets_per_operation() {
    let rate = Arc::new(RateLimit::adaptive_up_to(20, Duration::from_secs(1)));
    let service = Service::new(false, |budget, _| if budget == CREATE { 3 } else { 20 });
    run(&rate, &service, &[CREATE, STATUS], 8, 60).await;
    let (creates, reads) = (service.counts(CREATE), service.counts(STATUS));
    eprintln!("ceiling 20/s, creates 3/s: creates {creates:?}, status reads {reads:?}");
    assert!(creates.0 + reads.0 <= 20 * 60 + 20, "{creates:?} {reads:?}");
    assert!(creates.0 >= 150, "{creates:?}");
    assert!(reads.0 >= 850, "{reads:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_while_sending_little_pauses_without_cutting_the_rate() {
    let rate = RateLimit::adaptive_up_to(40, Duration::from_secs(1));
    let sent = rate.acquire(STATUS).await;
    rate.answered(STATUS, sent, Answer::Throttled(Duration::from_secs(1)));
    assert_eq!(rate.rate(), 40.0);
    assert_eq!(rate.throttled(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_idle_client_does_not_raise_its_rate() {
    let rate = RateLimit::adaptive();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        rate.acquire(STATUS).await;
    }
    assert_eq!(rate.rate(), START_RATE);
}
