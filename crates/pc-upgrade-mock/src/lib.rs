//! A fake Partner Center *product upgrades* service, listening on `127.0.0.1`, for tests of
//! code that uses `pc-upgrade-client` (and for this workspace's own tests and example).
//!
//! Unless told otherwise it answers every operation with the documented example
//! ([`documented`]); [`MockServer::enqueue`] scripts the next answers of an operation (errors,
//! throttling, delays, garbage), and [`MockServer::requests`] tells what it was sent.
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

pub mod documented;
mod response;
mod server;

pub use response::MockResponse;
pub use server::{MockServer, Operation, RecordedRequest, ThreadedMockServer};
