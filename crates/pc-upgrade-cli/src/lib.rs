//! `pc-upgrade`: move a fleet of Microsoft CSP customers from Microsoft Azure (MS-AZR-0145P)
//! subscriptions to the Azure plan through the Partner Center product upgrades API.
//!
//! The binary is a thin shell over this library: it parses the command line ([`Cli`]),
//! sets up the log and the runtime, and calls [`run`] with an [`Invocation`]. A test does
//! the same in-process, with a [`Console`] it reads and [`Vars`] it chooses, on a paused
//! clock.

// Module map (private modules; the docs above name the public API):
// - `args`: the command line (clap); `commands/`: one module per command, and [`run`];
// - `console`: where text goes, and the environment read; `sign_in`: the client and how
//   it signs in; `signals`: Ctrl-C and SIGTERM; `logging`: the log's filter and writer;
// - `customers`: the customers file (CSV or a GUID per line), bad lines kept; `files`: the
//   operator's files checked before a run (no file named twice, folders that exist);
// - `state`: each customer's journal stage, and the events that move it on; `origin`: how
//   an upgrade was found; `call`: which call an event answers;
// - `journal`: the locked, append-only journal a killed run resumes from; `learned`: the
//   rates the run's limit found, to and from the journal (`budget`: how it is split);
// - `engine/`: the run loop that schedules every call within the rate limit, each
//   customer's life in the run (`life`), what each answer does (`answers`: whose failure
//   a failed call is comes from the client's `Error::kind`), when statuses are read
//   (`reads`), and the brakes, `--canary` and `--max-failed` (`brakes`; the threshold:
//   `max_failed`);
// - `code`: a Partner Center error code as the journal and reports keep it (number or
//   string); `outcome`: how a customer ended (the names, which end well, what a refusal code says
//   of the customer);
// - `rows`: the report's row of a customer, derived in one function; `select`: `--only`;
// - `report`: the report (CSV or JSON); `line_items`: `--line-items`, a row per
//   subscription; `progress`: the bar, or a line per customer; `eta`: its time left;
// - `summary`: what the end of a run prints; `resellers`: its counts per reseller;
//   `columns`: text cut or wrapped at 80 columns; `ending`: the next step and the exit code;
//   what a run stopped by a brake (`engine/brakes.rs`) says; `utc`: timestamps;
// - `discover`: what the partner's customers hold, the customers file `discover` writes,
//   and its counts;
// - `verify`: what a customer's subscriptions say of its upgrade, and `verify`'s report;
//   `text`: server text in a spreadsheet cell.

mod args;
mod budget;
mod call;
mod code;
mod columns;
mod commands;
mod console;
mod customers;
mod discover;
mod ending;
mod engine;
mod eta;
mod files;
mod journal;
mod learned;
mod line_items;
pub mod logging;
mod origin;
mod outcome;
mod progress;
mod report;
mod resellers;
mod rows;
mod select;
mod sign_in;
pub mod signals;
mod state;
mod summary;
mod text;
mod utc;
mod verify;

pub use args::{Cli, Command, FleetArgs, Output, Rate};
pub use commands::{Invocation, run};
pub use console::{Captured, Console, Vars};
pub use ending::{ALL_WELL, BAD_ARGUMENTS, CANNOT_RUN, INTERRUPTED, PARTIAL};
