//! A fake Partner Center *product upgrades* service, listening on `127.0.0.1`, for tests of
//! code that uses `pc-upgrade-client` (and for this workspace's own tests and example).
//!
//! Unless told otherwise it answers every valid request with the documented example;
//! [`MockServer::builder`] gives it a [`Fleet`] (answers per customer, from code or a JSON
//! file) and a throttle; [`MockServer::enqueue`] scripts the next answers of an operation
//! (errors, throttling, delays, garbage); [`MockServer::requests`] tells what it was sent and
//! [`MockServer::refusals`] which requests the spec does not allow, and why.
//!
//! `cargo run -p pc-upgrade-mock -- --addr 127.0.0.1:PORT [--fleet FILE] [--log FILE]` runs
//! it on its own, for tests written in any language.
//!
//! ```
//! use pc_upgrade_mock::{MockResponse, MockServer, Operation};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = MockServer::start().await?;
//! server.enqueue(Operation::CreateProductUpgrade, MockResponse::new(429).header("Retry-After", "1"));
//! // ... point the client at server.base_url(), run the code under test ...
//! assert!(server.requests().is_empty());
//! # Ok(())
//! # }
//! ```

// Module map (private modules; the docs above name the public API):
// - `server`: [`MockServer`], its builder, and what a test asks of it ([`Fault`]s, queued
//   answers, the record); `threaded`: [`ThreadedMockServer`], for benchmarks;
// - `state`: what a running fake holds, and what changes as it answers;
// - `handler`: one request: validate, decide, render;
// - `operation`: [`Operation`]; `record`: [`RecordedRequest`], [`Verdict`], the log line;
// - `contract`: every request checked against the spec (`generated.rs`, the spec as JSON
//   written by `cargo xtask generate`), refused the way the service would, and in debug
//   builds every fleet answer too; `binding`: how a body's media type and names bind;
//   [`schema`]: the spec's schemas as JSON Schema documents;
// - `fleet`: [`Fleet`], customers with scripted answers whose upgrades take time;
//   `scripted_code`: [`ScriptedCode`], an error code a fleet scripts;
//   `upgrades`: what the fake keeps of them as it runs, and so what it answers;
//   `profile`: who a customer is and how the list is paged; `partner`: the list of
//   customers, paged, and their agreements;
//   `subscription`: [`ScriptedSubscription`]; `subscriptions`: a customer's
//   subscriptions before and after its upgrade, and what eligibility makes of them;
//   `throttle`: [`Throttle`], per tenant, over all operations or per operation;
// - `answers`: every answer the fake renders (documented, fleet, refusal, throttling,
//   Partner Center errors); `response`: [`MockResponse`], one scripted answer;
// - `entra`: [`FakeEntra`], a fake Entra ID token endpoint on the same server;
// - [`documented`]: the documentation's examples, the answers given when there is no fleet.

// docs.rs marks what a feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Every fallible public function says how it fails.
#![warn(clippy::missing_errors_doc)]

mod answers;
mod binding;
mod contract;
pub mod documented;
mod entra;
mod fleet;
mod fleet_error;
// The spec as JSON, written by `cargo xtask generate`.
#[rustfmt::skip]
mod generated;
mod handler;
mod operation;
mod partner;
mod profile;
mod record;
mod response;
pub mod schema;
mod scripted_code;
mod server;
mod state;
mod subscription;
mod subscriptions;
mod threaded;
mod throttle;
mod upgrades;

pub use entra::FakeEntra;
pub use fleet::{
    Customer, FailureShare, Fleet, FleetError, ScriptedCode, ScriptedError, ScriptedFailure,
    ScriptedLineItem,
};
pub use operation::Operation;
pub use profile::{ListEnd, Listing, ScriptedProfile};
pub use record::{RecordedRequest, Verdict};
pub use response::MockResponse;
pub use server::{Fault, MockServer, MockServerBuilder};
pub use subscription::{AZURE_PLAN, LEGACY_AZURE, ScriptedSubscription};
pub use subscriptions::plan_subscription;
pub use threaded::ThreadedMockServer;
pub use throttle::{Change, Scope, Shape, Throttle};

/// The crate README's example, compiled (and run) as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
