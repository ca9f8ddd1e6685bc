//! [`MaxFailed`]: `--max-failed`, a count of customers or a share of the upgrades, and when
//! what a run saw is past it.

use std::fmt;

/// The failure threshold: a count of customers, or a share (in percent) of the upgrades
/// that ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MaxFailed {
    /// More than this many failed customers stop the creates.
    Count(u32),
    /// More than this percentage of the ended upgrades stop them.
    Percent(f64),
}

impl fmt::Display for MaxFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(count) => write!(f, "{count}"),
            Self::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

impl MaxFailed {
    /// `10` or `5%` (a share from 0 to 100, `100%` never stopping).
    ///
    /// # Errors
    /// A text that is neither.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hint = "a number of customers (10) or a share of the ended upgrades (5%)";
        let text = text.trim();
        match text.strip_suffix('%') {
            Some(share) => match share.trim().parse::<f64>() {
                Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(Self::Percent(percent)),
                _ => Err(format!("{text:?} is not a share from 0% to 100% ({hint})")),
            },
            None => text
                .parse()
                .map(Self::Count)
                .map_err(|_| format!("{text:?} is not {hint}")),
        }
    }

    /// Whether `failed` of `ended` is past the threshold; a share counts once more than
    /// `floor` failed.
    pub(super) fn passed(self, failed: usize, ended: usize, floor: usize) -> bool {
        match self {
            Self::Count(count) => failed > count as usize,
            Self::Percent(percent) => {
                failed > floor && failed as f64 * 100.0 > percent * ended as f64
            }
        }
    }
}
