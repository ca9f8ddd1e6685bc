//! Serde types for the Microsoft Partner Center *product upgrades* REST API.
//!
//! The resource types ([`ProductUpgradeRequest`], [`ProductUpgradesEligibility`],
//! [`ProductUpgradesStatus`], [`UpgradesLineItem`], [`UpgradeProduct`], [`ErrorDetails`],
//! [`ResourceAttributes`]) and the error bodies ([`PartnerCenterError`], sent with every
//! failed call, and [`ThrottlingError`], sent with a `429`) are generated from `openapi/product-upgrades.yaml` by
//! `cargo xtask generate`. GUIDs are [`uuid::Uuid`], dates [`chrono::DateTime<Utc>`](chrono::DateTime),
//! optional fields are `Option`s, and fields the spec does not know are ignored on input, so a
//! newer service does not break an older crate.
//!
//! Beside them, a thin hand-written layer:
//! - `upgrade_id`: [`UpgradeId`], the upgrade identifier, parsed from the `Location` a create
//!   call returns;
//! - `upgrade_state`: [`UpgradeState`], the open set of upgrade states
//!   ([`ProductUpgradesStatus::state`]);
//! - `error_code`: [`PartnerCenterErrorCode`], the documented error codes with their meaning
//!   ([`PartnerCenterError::known_code`], [`PartnerCenterError::existing_upgrade_id`]);
//! - `helpers`: constructors and helpers on the generated types
//!   ([`ProductUpgradeRequest::new`], [`ProductUpgradesStatus::is_completed`], …).
//!
//! ```
//! use pc_upgrade_types::{ProductUpgradesStatus, UpgradeId};
//!
//! let id = UpgradeId::from_location("productUpgrades/42d075a4-bfe7-43e7-af6d-7c68a57edcb4")?;
//! let status: ProductUpgradesStatus = serde_json::from_str(
//!     r#"{"id": "42d075a4-bfe7-43e7-af6d-7c68a57edcb4", "status": "Completed"}"#,
//! )?;
//! assert_eq!(status.id, *id.as_uuid());
//! assert!(status.is_completed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Names are read as the spec writes them, in camelCase, exactly: serde matches field names
//! case-sensitively. The service binds request bodies ignoring case (Microsoft's .NET SDK and
//! the PowerShell module send `{"CustomerId": …}`), but these types model what the service
//! answers and what this crate's client sends, both camelCase; so
//! [`ProductUpgradeRequest`] does not read a PascalCase body. (A server written on these
//! types that must take such bodies folds the names first, as the fake service does.) A
//! failed upgrade's explanation may come as `description` or `message`:
//! [`ErrorDetails::text`] reads either.
//!
//! Feature `schemars` derives [`schemars::JsonSchema`](https://docs.rs/schemars/0.8) for every
//! type.

// Nothing a server or caller sends may panic the library: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
// docs.rs marks what a feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Every fallible public function says how it fails.
#![warn(clippy::missing_errors_doc)]

#[rustfmt::skip]
mod generated;
mod error_code;
mod helpers;
mod upgrade_id;
mod upgrade_state;

pub use error_code::PartnerCenterErrorCode;
pub use generated::*;
pub use upgrade_id::{LocationError, UpgradeId};
pub use upgrade_state::UpgradeState;

/// The crate README's example, compiled (and run) as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
