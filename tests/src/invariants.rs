//! Properties every input must keep, whatever a server sends: checked by the property tests
//! (`tests/tests/properties.rs`, in `cargo test`) and by the fuzz targets (`fuzz/`, nightly).
//! Each function panics when its property does not hold.

use std::fmt::Debug;

use pc_upgrade_types::{LocationError, UpgradeId};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Any bytes given to a type's deserializer: no panic, and a value it accepts is written back
/// as JSON that reads again as the same value.
pub fn json_round_trip<T>(bytes: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(value) = serde_json::from_slice::<T>(bytes) else {
        return;
    };
    let written = serde_json::to_vec(&value).expect("a value the type read can be written");
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|e| {
        panic!(
            "the type cannot read what it wrote ({e}): {}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(value, again, "{}", String::from_utf8_lossy(&written));
}

/// Every response and request type of the spec, on the same bytes.
pub fn every_type_round_trips(bytes: &[u8]) {
    use pc_upgrade_types::*;
    json_round_trip::<ProductUpgradeRequest>(bytes);
    json_round_trip::<ProductUpgradesEligibility>(bytes);
    json_round_trip::<ProductUpgradesStatus>(bytes);
    json_round_trip::<UpgradesLineItem>(bytes);
    json_round_trip::<PartnerCenterError>(bytes);
    json_round_trip::<ThrottlingError>(bytes);
}

/// Any text as a `Location`: no panic; an accepted id is in the text, hyphenated, and reads
/// back from its own relative form; a refusal keeps a bounded copy of the text.
pub fn location(text: &str) {
    match UpgradeId::from_location(text) {
        Ok(id) => {
            let shown = id.to_string();
            assert!(
                text.to_ascii_lowercase().contains(&shown),
                "{text:?} gave {shown}"
            );
            let again = UpgradeId::from_location(&format!("productUpgrades/{shown}"));
            assert_eq!(again, Ok(id));
        }
        Err(LocationError::NotAnUpgrade { location })
        | Err(LocationError::InvalidId { location, .. }) => {
            assert!(location.chars().count() <= LocationError::MAX_KEPT);
        }
        Err(_) => {}
    }
}
