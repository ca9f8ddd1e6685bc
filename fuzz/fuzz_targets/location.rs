//! `UpgradeId::from_location` on any text: no panic, an accepted id is in the text, a
//! refusal keeps a bounded copy.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    pc_upgrade_conformance::invariants::location(text);
});
