//! The brakes of an upgrade run, which stop a failure before it spreads over the fleet (a
//! failed upgrade blocks the customer's purchases: error 900114).
//!
//! - `--canary N`: after the run's first N creates, no create is sent until those N
//!   customers are done in this run (their upgrades ended, or followed as long as the run
//!   follows one). If more of them failed than `--max-failed` allows (a share is taken of
//!   the N alone), the run stops creating.
//! - `--max-failed N` or `P%` (default [`DEFAULT_MAX_FAILED`]): the run stops creating once
//!   more than N customers of this run failed (their upgrade ended `Failed`, or the create
//!   was refused for a reason of the customer's own), or more than P% of the upgrades that
//!   ended in this run, once more than [`FLOOR`] failed.
//!
//! A braked run sends no create and no eligibility check more, follows the upgrades under
//! way to their end, and leaves every other customer not started (no intent in the
//! journal): the same command goes on with them once the cause is dealt with.

use pc_upgrade_client::types::ErrorCode;

use std::fmt;

pub use super::max_failed::MaxFailed;
use super::{Engine, Life, Slot};
use crate::rows::End;
use crate::state::{Call, Stage};

/// The default `--max-failed`. A healthy run fails seldom: customers that cannot move are
/// refused by eligibility first, which counts for nothing here, so a few customers' own
/// failures stay far below it. A systemic failure (a service regression, a wrong product
/// family, a block on the partner) fails most upgrades, and passes it within the first 20
/// or so that end.
pub const DEFAULT_MAX_FAILED: &str = "10%";

/// How many customers must have failed before a share counts: two failures among the
/// first ten ended are no trend.
pub const FLOOR: usize = 10;

/// The brakes a run was given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Brakes {
    /// `--canary`: creates held after the first this many until they are done (0: none).
    pub canary: usize,
    /// `--max-failed`.
    pub max_failed: MaxFailed,
}

impl Default for Brakes {
    fn default() -> Self {
        Self {
            canary: 0,
            max_failed: MaxFailed::Percent(10.0),
        }
    }
}

/// Which brake stopped the creates; shown as its option (`--canary 10`, `--max-failed 10%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Brake {
    /// `--canary N`: too many of the first N failed.
    Canary(usize),
    /// `--max-failed`: too many of the run failed.
    MaxFailed(MaxFailed),
}

impl fmt::Display for Brake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Canary(canary) => write!(f, "--canary {canary}"),
            Self::MaxFailed(max) => write!(f, "--max-failed {max}"),
        }
    }
}

/// Why a brake stopped the creates, for the operator.
#[derive(Clone, Debug, PartialEq)]
pub struct Braked {
    /// The brake.
    pub brake: Brake,
    /// The run's threshold (the canary's is the same).
    pub max_failed: MaxFailed,
    /// What it judged: "11 of the 20 upgrades that ended in this run failed".
    pub judged: String,
    /// Customers failed, and of how many, in what the brake judged.
    pub failed: usize,
    /// See `failed`.
    pub of: usize,
    /// The failures by error code, with the first text of each and how many.
    pub causes: Vec<(Option<ErrorCode>, String, usize)>,
    /// Customers left not started.
    pub spared: usize,
    /// At the run's end (the upgrades under way ended since): customers failed in all, and
    /// the larger share, in whole percent rounded up, of the upgrades that ended failed and
    /// of the creates answered refused. A threshold offered must be past what was seen.
    pub seen: (usize, usize),
}

/// What a customer's end in this run is to the brakes, which judge the upgrade alone: what
/// eligibility finds (nothing to upgrade, not eligible) is the customer's outcome, never a
/// failure of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Settled {
    /// Its upgrade ended in this run: completed (whole or in part), or failed.
    Upgrade {
        /// Whether it failed.
        failed: bool,
    },
    /// Its create, sent once eligibility had passed, was refused for a reason of its own.
    CreateRefused,
    /// Anything else: eligibility's findings, a retry later, a dry run, spared.
    Unjudged,
}

impl Settled {
    /// What the journal's stage of a customer done in this run says to the brakes.
    pub(super) fn of(stage: &Stage) -> Self {
        match stage {
            Stage::Completed { .. } => Self::Upgrade { failed: false },
            Stage::Failed { .. } => Self::Upgrade { failed: true },
            Stage::Refused {
                call: Some(Call::Create),
                ..
            } => Self::CreateRefused,
            _ => Self::Unjudged,
        }
    }

    fn failed(self) -> bool {
        matches!(self, Self::Upgrade { failed: true } | Self::CreateRefused)
    }
}

/// Customers failed of those judged: `bad` of `all`.
#[derive(Clone, Copy, Debug, Default)]
struct Share {
    bad: usize,
    all: usize,
}

impl Share {
    fn add(&mut self, bad: bool) {
        self.all += 1;
        self.bad += usize::from(bad);
    }
}

/// The brakes' view of a run. Upgrades that failed are judged among the upgrades that
/// ended, and refused creates among the creates answered, each on its own: a refusal is
/// known at once and an upgrade's end only when it ends, so mixed, the first refusals of a
/// healthy run would look like all of it.
#[derive(Debug, Default)]
pub(super) struct Watch {
    brakes: Brakes,
    /// The customers of the canary (their slots), in the order of their creates.
    canary: Vec<usize>,
    /// The canary's customers done, and of them failed.
    canary_done: Share,
    /// Upgrades ended in this run, and of them failed.
    upgrades: Share,
    /// Creates answered in this run, and of them refused.
    creates: Share,
    /// Failures by error code: the first text, how many.
    causes: Vec<(Option<ErrorCode>, String, usize)>,
    pub(super) braked: Option<Braked>,
}

impl Watch {
    pub(super) fn new(brakes: Brakes) -> Self {
        Self {
            brakes,
            ..Self::default()
        }
    }

    /// Whether a create may be sent now.
    pub(super) fn may_create(&self) -> bool {
        let canary = self.brakes.canary;
        self.braked.is_none() && (self.canary.len() < canary || self.canary_done.all >= canary)
    }

    /// Customers failed in this run, and the larger share failed (see [`Braked::seen`]).
    pub(super) fn seen(&self) -> (usize, usize) {
        let percent = |share: Share| (share.bad * 100).div_ceil(share.all.max(1));
        let (upgrades, creates) = (self.upgrades, self.creates);
        let failed = upgrades.bad + creates.bad;
        (failed, percent(upgrades).max(percent(creates)))
    }

    /// Whether the run stopped creating.
    pub(super) fn braked(&self) -> bool {
        self.braked.is_some()
    }

    /// A create is sent for the customer of slot `index`.
    pub(super) fn creating(&mut self, index: usize) {
        if self.canary.len() < self.brakes.canary && !self.canary.contains(&index) {
            self.canary.push(index);
        }
    }

    /// A create of this run was answered with an upgrade.
    pub(super) fn created(&mut self) {
        self.creates.add(false);
    }

    /// The customer of slot `index` is done in this run, `settled` so, with the error code
    /// and text of its failure; whether that stopped the creates just now.
    pub(super) fn done(
        &mut self,
        index: usize,
        settled: Settled,
        cause: (Option<&ErrorCode>, Option<&str>),
    ) -> bool {
        let failed = settled.failed();
        match settled {
            Settled::CreateRefused => self.creates.add(true),
            Settled::Upgrade { failed } => self.upgrades.add(failed),
            Settled::Unjudged => {}
        }
        if failed {
            let (code, text) = cause;
            let text = text.unwrap_or("status Failed").to_owned();
            match self.causes.iter_mut().find(|c| c.0.as_ref() == code) {
                Some(cause) => cause.2 += 1,
                None => self.causes.push((code.cloned(), text, 1)),
            }
        }
        if self.canary.contains(&index) {
            self.canary_done.add(failed);
        }
        let judged = self.judge();
        match judged {
            Some((brake, judged, share)) if self.braked.is_none() => {
                self.braked = Some(Braked {
                    brake,
                    max_failed: self.brakes.max_failed,
                    judged,
                    failed: share.bad,
                    of: share.all,
                    causes: self.causes.clone(),
                    spared: 0,
                    seen: (0, 0),
                });
                true
            }
            _ => false,
        }
    }

    /// The brake past its threshold, if any: its name, what it judged, and the share.
    fn judge(&self) -> Option<(Brake, String, Share)> {
        let max = self.brakes.max_failed;
        let (canary, done) = (self.brakes.canary, self.canary_done);
        if canary > 0 && done.all == canary && max.passed(done.bad, done.all, 0) {
            let judged = format!(
                "{} of the {canary} customers of the canary failed",
                done.bad
            );
            return Some((Brake::Canary(canary), judged, done));
        }
        let brake = Brake::MaxFailed(max);
        if let MaxFailed::Count(_) = max {
            let bad = self.upgrades.bad + self.creates.bad;
            let all = self.upgrades.all + self.creates.bad;
            let judged = match (self.upgrades.bad, self.creates.bad) {
                (upgrades, 0) => format!("{upgrades} upgrades failed in this run"),
                (0, creates) => format!("{creates} creates were refused in this run"),
                (upgrades, creates) => format!(
                    "{upgrades} upgrades failed and {creates} creates were refused in this run"
                ),
            };
            return max
                .passed(bad, all, FLOOR)
                .then_some((brake, judged, Share { bad, all }));
        }
        let (upgrades, creates) = (self.upgrades, self.creates);
        if max.passed(upgrades.bad, upgrades.all, FLOOR) {
            let judged = format!(
                "{} of the {} upgrades that ended in this run failed",
                upgrades.bad, upgrades.all
            );
            return Some((brake, judged, upgrades));
        }
        if max.passed(creates.bad, creates.all, FLOOR) {
            let judged = format!(
                "{} of the {} creates answered in this run were refused",
                creates.bad, creates.all
            );
            return Some((brake, judged, creates));
        }
        None
    }
}

impl Engine<'_> {
    /// The run stopped creating: every customer not started yet is left so.
    pub(super) fn spare(&mut self) {
        let retried = std::mem::take(&mut self.retries).into_iter();
        let waiting = self.creates.drain(..).chain(self.fresh.drain(..));
        let spared: Vec<usize> = waiting.chain(retried.map(|r| r.0.1)).collect();
        for index in spared {
            self.done(index, End::Spared);
        }
    }

    /// Customers left not started by a brake.
    pub(super) fn spared(&self) -> usize {
        let spared = |s: &&Slot| {
            matches!(
                s.life,
                Life::Done {
                    end: End::Spared,
                    ..
                }
            )
        };
        self.slots.iter().filter(spared).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPLETED: Settled = Settled::Upgrade { failed: false };
    const FAILED: Settled = Settled::Upgrade { failed: true };
    const REFUSED: Settled = Settled::CreateRefused;
    /// Eligibility's findings (not eligible, nothing to upgrade): not judged.
    const FOUND: Settled = Settled::Unjudged;

    /// A settlement with its code and text (codes leaked: a test's few).
    fn cause(code: Option<i64>) -> (Option<&'static ErrorCode>, Option<&'static str>) {
        let code = code.map(|c| &*Box::leak(Box::new(ErrorCode::Number(c))));
        (code, Some("the text"))
    }

    #[test]
    fn a_threshold_is_a_count_or_a_share() {
        assert_eq!(MaxFailed::parse("10"), Ok(MaxFailed::Count(10)));
        assert_eq!(MaxFailed::parse(" 5% "), Ok(MaxFailed::Percent(5.0)));
        assert_eq!(MaxFailed::parse("0.5%"), Ok(MaxFailed::Percent(0.5)));
        for bad in ["", "-1", "5 %%", "101%", "x", "NaN%", "inf%"] {
            assert!(MaxFailed::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MaxFailed::Percent(10.0).to_string(), DEFAULT_MAX_FAILED);
        assert_eq!(Brakes::default().max_failed.to_string(), DEFAULT_MAX_FAILED);
    }

    #[test]
    fn a_share_counts_past_the_floor_and_a_count_at_once() {
        let share = MaxFailed::Percent(10.0);
        assert!(!share.passed(10, 10, FLOOR));
        assert!(share.passed(11, 20, FLOOR));
        assert!(!share.passed(11, 110, FLOOR));
        assert!(share.passed(12, 110, FLOOR));
        assert!(!MaxFailed::Percent(100.0).passed(50, 50, FLOOR));
        assert!(MaxFailed::Count(2).passed(3, 3, FLOOR));
        assert!(!MaxFailed::Count(2).passed(2, 100, FLOOR));
    }

    #[test]
    fn a_canary_holds_the_creates_until_it_is_done_and_stops_them_if_it_failed() {
        let mut watch = Watch::new(Brakes {
            canary: 2,
            max_failed: MaxFailed::Percent(10.0),
        });
        watch.creating(0);
        assert!(watch.may_create());
        watch.creating(1);
        assert!(!watch.may_create());
        assert!(!watch.done(0, COMPLETED, cause(None)));
        assert!(!watch.may_create());
        assert!(watch.done(1, FAILED, cause(Some(900_114))));
        assert!(!watch.may_create());
        let braked = watch.braked.unwrap();
        assert_eq!(
            (braked.brake.to_string().as_str(), braked.failed, braked.of),
            ("--canary 2", 1, 2)
        );
        assert_eq!(braked.causes[0].0, Some(ErrorCode::Number(900_114)));
    }

    #[test]
    fn a_canary_that_went_well_opens_the_creates() {
        let mut watch = Watch::new(Brakes {
            canary: 1,
            max_failed: MaxFailed::Percent(10.0),
        });
        watch.creating(7);
        assert!(!watch.may_create());
        assert!(!watch.done(7, COMPLETED, cause(None)));
        assert!(watch.may_create());
    }

    #[test]
    fn failures_past_the_default_stop_the_creates_and_ineligible_ones_do_not_count() {
        let mut watch = Watch::new(Brakes::default());
        for index in 0..100 {
            assert!(!watch.done(index, FOUND, cause(None)));
        }
        for index in 100..200 {
            assert!(!watch.done(index, COMPLETED, cause(None)));
        }
        for index in 200..211 {
            assert!(!watch.done(index, FAILED, cause(None)));
        }
        assert!(watch.may_create());
        // 12 of 112: past 10%, and past the floor.
        assert!(watch.done(211, FAILED, cause(Some(900_120))));
        assert!(!watch.may_create());
        let braked = watch.braked.unwrap();
        assert_eq!(
            (braked.failed, braked.of, braked.causes.len()),
            (12, 112, 2)
        );
        assert_eq!(
            braked.judged,
            "12 of the 112 upgrades that ended in this run failed"
        );
    }

    /// Refusals come at once, ends later: the first refusals of a healthy run are judged
    /// among the creates, not among the few upgrades ended by then.
    #[test]
    fn refusals_are_judged_among_the_creates_answered() {
        let mut watch = Watch::new(Brakes::default());
        for _ in 0..200 {
            watch.created();
        }
        for index in 0..15 {
            assert!(!watch.done(index, REFUSED, cause(Some(900_108))));
        }
        assert!(watch.may_create());
        // 22 of 222 is not past 10%; 23 of 223 is.
        for _ in 15..22 {
            assert!(!watch.done(99, REFUSED, cause(Some(900_108))));
        }
        assert!(watch.done(99, REFUSED, cause(Some(900_108))));
        let braked = watch.braked.unwrap();
        assert_eq!(
            braked.judged,
            "23 of the 223 creates answered in this run were refused"
        );
    }

    /// What eligibility refuses says what the customer is: never a failure of the run,
    /// however many; the same code refusing a create is one.
    #[test]
    fn eligibility_refusals_are_outcomes_and_only_refused_creates_count() {
        let refused = |call| Stage::Refused {
            call: Some(call),
            status: 403,
            code: Some(ErrorCode::Number(900_108)),
            detail: "no Azure subscription".into(),
            request_id: uuid::Uuid::nil(),
        };
        assert_eq!(Settled::of(&refused(Call::Eligibility)), Settled::Unjudged);
        assert_eq!(Settled::of(&refused(Call::Status)), Settled::Unjudged);
        assert_eq!(Settled::of(&refused(Call::Create)), Settled::CreateRefused);
        let mut watch = Watch::new(Brakes::default());
        for index in 0..100 {
            let settled = Settled::of(&refused(Call::Eligibility));
            assert!(!watch.done(index, settled, cause(Some(900_108))));
        }
        for _ in 0..10 {
            watch.created();
        }
        assert!(watch.may_create());
        for index in 100..111 {
            let settled = Settled::of(&refused(Call::Create));
            watch.done(index, settled, cause(Some(900_108)));
        }
        assert_eq!(
            watch.braked.map(|b| b.judged).as_deref(),
            Some("11 of the 21 creates answered in this run were refused")
        );
    }
}
