//! What the rate limit found, to and from the journal's `rate` event: a resumed run starts
//! from the rates the last one was using, not from two calls a second.

use crate::budget::RateBudget;
use crate::state::Event;
use pc_upgrade_client::{Budget, Learned};

/// The journal's event for `learned`.
pub fn event(learned: &Learned) -> Event {
    let budget = match learned.budget {
        Budget::Shared => RateBudget::Shared,
        Budget::PerOperation => RateBudget::PerOperation,
        _ => RateBudget::Unknown,
    };
    Event::Rate {
        budget,
        calls_per_second: learned.shared.map(rounded),
        operations: learned
            .operations
            .iter()
            .map(|(name, rate)| (name.clone(), rounded(*rate)))
            .collect(),
    }
}

/// What a `rate` event says, if it is one and its rates are usable.
pub fn of(event: &Event) -> Option<Learned> {
    let Event::Rate {
        budget,
        calls_per_second,
        operations,
    } = event
    else {
        return None;
    };
    let usable = |rate: &f64| rate.is_finite() && *rate > 0.0;
    let budget = match budget {
        RateBudget::Shared => Budget::Shared,
        RateBudget::PerOperation => Budget::PerOperation,
        RateBudget::Unknown => Budget::Unknown,
    };
    let shared = calls_per_second.filter(usable);
    if budget == Budget::Shared && shared.is_none() {
        return None;
    }
    Some(Learned {
        budget,
        shared,
        operations: operations
            .iter()
            .filter(|(_, rate)| usable(rate))
            .cloned()
            .collect(),
    })
}

/// A rate to three decimals: enough to start from, and a journal line that reads.
fn rounded(rate: f64) -> f64 {
    (rate * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_a_word_of_the_journal_and_an_unknown_word_is_unknown() {
        let read = |word: &str| serde_json::from_str::<RateBudget>(&format!("{word:?}")).ok();
        assert_eq!(read("per-operation"), Some(RateBudget::PerOperation));
        assert_eq!(read("shared"), Some(RateBudget::Shared));
        assert_eq!(read("per-region"), Some(RateBudget::Unknown));
    }

    #[test]
    fn learned_rates_go_through_the_journal_and_absurd_ones_do_not() {
        let learned = Learned {
            budget: Budget::PerOperation,
            shared: None,
            operations: vec![("create_product_upgrade".into(), 2.9)],
        };
        let line = serde_json::to_string(&event(&learned)).unwrap();
        assert_eq!(
            line,
            r#"{"event":"rate","budget":"per-operation","operations":[["create_product_upgrade",2.9]]}"#
        );
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(of(&back), Some(learned));
        let shared = Learned {
            budget: Budget::Shared,
            shared: Some(19.6084),
            operations: Vec::new(),
        };
        let back = of(&event(&shared)).unwrap();
        assert_eq!((back.budget, back.shared), (Budget::Shared, Some(19.608)));
        let bad: Event =
            serde_json::from_str(r#"{"event":"rate","budget":"shared","calls_per_second":-3}"#)
                .unwrap();
        assert_eq!(of(&bad), None);
    }
}
