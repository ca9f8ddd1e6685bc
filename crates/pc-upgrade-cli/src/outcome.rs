//! How a customer stands at the end of a run ([`Outcome`]): its name in the report and the
//! summary, whether it ended well, and what a refusal of the customer's own says of the
//! customer ([`of_refusal`]): one table each, read by the report, the summary, the exit
//! code and `--only`.

use serde::{Serialize, Serializer};

use pc_upgrade_client::types::ErrorCode;

use crate::state::Call;

/// How a customer stands at the end of a run: what the report and the summary say, and
/// what the exit code follows from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The upgrade is completed.
    Completed,
    /// The upgrade does not apply to the customer: nothing to upgrade (no Azure subscription,
    /// 900108; Azure Partner Shared Services, 900119). Nothing is needed.
    NotApplicable,
    /// Not eligible, for a reason that can be dealt with (eligibility's `reason`, or a code
    /// such as 900105, suspended subscriptions): nothing was created.
    NotEligible,
    /// Eligible (the `eligibility` command).
    Eligible,
    /// The customer already has the upgrade (the `eligibility` command): an upgrade run
    /// follows it.
    Upgrading,
    /// A dry run would create the upgrade.
    WouldCreate,
    /// A dry run would follow the upgrade the customer already has.
    WouldResume,
    /// The upgrade completed, but a subscription of the customer's was not moved (its line
    /// item failed): the customer is not whole on the Azure plan.
    PartlyMoved,
    /// The upgrade failed.
    Failed,
    /// Partner Center refused the create (or a status read) for a reason of the customer's
    /// own, after eligibility had passed (the error code says which).
    Refused,
    /// The upgrade exists and was not completed yet: the next run goes on waiting.
    InProgress,
    /// Not done, for a reason that may pass (the detail says which): the next run tries
    /// again.
    RetryLater,
    /// Not reached: the run stopped first. The next run goes on.
    #[default]
    Pending,
    /// A line of the customers file that names no customer.
    BadLine,
    /// A line that names a customer an earlier line names: reported, the customer run once.
    Duplicate,
}

/// Every outcome with its name and whether it ended well (nothing more is needed for the
/// customer): the one place either is written.
const OUTCOMES: [(Outcome, &str, bool); 15] = [
    (Outcome::Completed, "completed", true),
    (Outcome::NotApplicable, "not-applicable", true),
    (Outcome::NotEligible, "not-eligible", false),
    (Outcome::Eligible, "eligible", true),
    (Outcome::Upgrading, "upgrading", true),
    (Outcome::WouldCreate, "would-create", true),
    (Outcome::WouldResume, "would-resume", true),
    (Outcome::PartlyMoved, "partly-moved", false),
    (Outcome::Failed, "failed", false),
    (Outcome::Refused, "refused", false),
    (Outcome::InProgress, "in-progress", false),
    (Outcome::RetryLater, "retry-later", false),
    (Outcome::Pending, "pending", false),
    (Outcome::BadLine, "bad-line", false),
    (Outcome::Duplicate, "duplicate", true),
];

impl Outcome {
    fn entry(self) -> (Outcome, &'static str, bool) {
        // The table lists every variant in declaration order (a test holds it).
        OUTCOMES[self as usize]
    }

    /// The word the report and the summary use.
    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    /// Whether the customer ended well: nothing more is needed for it.
    pub fn ended_well(self) -> bool {
        self.entry().2
    }

    /// The outcome named `name` (as the report writes it), if any.
    pub fn named(name: &str) -> Option<Self> {
        OUTCOMES.iter().find(|o| o.1 == name).map(|o| o.0)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a refusal code says of the customer, whichever call it answered, and the next step
/// for it. Other codes: an eligibility refusal is [`Outcome::NotEligible`] (eligibility
/// speaks of the customer), a create's or a status read's is [`Outcome::Refused`].
const FINDINGS: [(i64, Outcome, &str); 3] = [
    (
        900_108,
        Outcome::NotApplicable,
        "none: the customer has no Azure subscription to upgrade",
    ),
    (
        900_119,
        Outcome::NotApplicable,
        "none: Azure Partner Shared Services are not upgraded",
    ),
    (
        900_105,
        Outcome::NotEligible,
        "reactivate the customer's suspended Azure subscriptions in Partner Center, then run \
         the upgrade again with --only not-eligible",
    ),
];

/// The outcome of a refusal for a reason of the customer's own, by the call refused (none:
/// a journal from before calls were recorded, whose refusals were creates') and its code.
pub fn of_refusal(call: Option<Call>, code: Option<&ErrorCode>) -> Outcome {
    match (finding(code), call) {
        (Some((outcome, _)), _) => outcome,
        (None, Some(Call::Eligibility)) => Outcome::NotEligible,
        (None, _) => Outcome::Refused,
    }
}

/// The outcome and next step a refusal code says of the customer, if it is a finding.
pub fn finding(code: Option<&ErrorCode>) -> Option<(Outcome, &'static str)> {
    let code = crate::code::number(code)?;
    FINDINGS
        .iter()
        .find(|f| f.0 == code)
        .map(|&(_, outcome, step)| (outcome, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_outcome_once_in_order() {
        for (index, (outcome, name, _)) in OUTCOMES.iter().enumerate() {
            assert_eq!(*outcome as usize, index, "{name}");
            assert_eq!(Outcome::named(name), Some(*outcome));
            assert_eq!(serde_json::to_string(outcome).unwrap(), format!("{name:?}"));
        }
        assert_eq!(Outcome::named("ineligible"), None);
    }

    #[test]
    fn a_refusal_is_an_outcome_of_the_customer_by_its_code_then_its_call() {
        let eligibility = Some(Call::Eligibility);
        let create = Some(Call::Create);
        assert_eq!(
            of_refusal(eligibility, Some(&ErrorCode::Number(900_108))),
            Outcome::NotApplicable
        );
        assert_eq!(
            of_refusal(create, Some(&ErrorCode::Number(900_119))),
            Outcome::NotApplicable
        );
        assert_eq!(
            of_refusal(eligibility, Some(&ErrorCode::Number(900_105))),
            Outcome::NotEligible
        );
        assert_eq!(
            of_refusal(eligibility, Some(&ErrorCode::Number(900_120))),
            Outcome::NotEligible
        );
        assert_eq!(
            of_refusal(create, Some(&ErrorCode::Number(900_120))),
            Outcome::Refused
        );
        assert_eq!(of_refusal(None, None), Outcome::Refused);
        assert!(Outcome::NotApplicable.ended_well());
        assert!(!Outcome::NotEligible.ended_well());
    }
}
