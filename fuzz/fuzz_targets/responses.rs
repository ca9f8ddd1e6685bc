//! Every request, response and error type of the spec on the same bytes: no panic, and what
//! a type accepts it writes back and reads again as the same value.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    pc_upgrade_conformance::invariants::every_type_round_trips(bytes);
});
