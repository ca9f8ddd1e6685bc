//! UTC timestamps, `2026-12-01T21:07:29Z`, for progress lines and the report: the civil
//! date from days since 1970 after Howard Hinnant's algorithm, a few lines where a date
//! crate with its clock feature would be a dependency.

use std::time::SystemTime;

/// The time now.
pub fn now() -> String {
    at(SystemTime::now())
}

/// A time, to the second.
pub fn at(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn known_times_are_written_right() {
        assert_eq!(at(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 1570221335: Fri, 04 Oct 2019 20:35:35 GMT.
        assert_eq!(
            at(UNIX_EPOCH + Duration::from_secs(1_570_221_335)),
            "2019-10-04T20:35:35Z"
        );
        // A leap day.
        assert_eq!(
            at(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
