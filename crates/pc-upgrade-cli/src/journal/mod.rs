//! The journal: an append-only file from which a run killed at any moment resumes, and
//! that survives the machine: a crash or a power loss leaves at most a torn last line (or
//! NULs), which the next run cuts at open and says so (see `whole_lines` for why that is
//! safe); a write that fails stops the run, and no line is written after it.
//!
//! Its first line says what it is (`{"journal": "pc-upgrade", "version": 2, "customers":
//! …}`, with the customers file it belongs to); every other line is one [`Event`] as JSON.
//! A run holds an exclusive OS lock on the file from start to end, so a second run on the
//! same journal refuses at once, naming the first one's process. The `MS-RequestId` of a
//! create is written and synced to disk before the create is sent, so a create repeated
//! after a crash carries the same id, which Partner Center takes as the same create.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::{Event, Known};

mod replay;

use replay::replay_bytes;
pub use replay::{read, read_with};

/// The journal format this build writes and reads.
const VERSION: u32 = 2;

/// The version line.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    journal: String,
    version: u32,
    customers: CustomersFile,
}

/// Which customers file a journal belongs to: its path and a hash of its bytes, and the
/// character between its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersFile {
    /// The file's absolute path when the journal began.
    pub path: PathBuf,
    /// FNV-1a (64 bits) of its bytes, in hex.
    pub fnv1a: String,
    /// The `--delimiter` it was read with (journals before it was recorded: a comma).
    #[serde(default = "comma")]
    pub delimiter: char,
}

fn comma() -> char {
    ','
}

/// Whether what is written must be on disk before the run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// On disk when the write returns (an intent, a start, a spent request id: what a
    /// crash must not lose, or a create could be sent twice).
    Synced,
    /// Handed to the operating system: a killed run keeps it; a power loss may lose it,
    /// and the next run then asks the service again.
    Written,
}

impl CustomersFile {
    /// The identity of the customers file at `path`, whose bytes are `bytes`, read with
    /// `delimiter`.
    pub fn of(path: &Path, bytes: &[u8], delimiter: u8) -> Self {
        // FNV-1a: a few lines for a stable identity; no hash crate needed for this.
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Self {
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
            fnv1a: format!("{hash:016x}"),
            delimiter: char::from(delimiter),
        }
    }
}

/// What a journal knows: each customer's state, in the order they were first named.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Per customer.
    pub known: HashMap<Uuid, Known>,
    /// The customers file it belongs to (none for a journal not begun).
    pub customers: Option<CustomersFile>,
    /// The process of the last run that began on it.
    pub last_pid: Option<u32>,
    /// The `--delimiter` of the last run that named one, else the version line's.
    pub delimiter: Option<char>,
    /// The API the last run that named one called.
    pub base_url: Option<String>,
    /// Bytes at its end that were no whole line (a line cut short by a crash, NULs left by a
    /// power loss), left out.
    pub dropped: usize,
    /// The rates the last run's limit had found, and the API it found them on.
    pub rate: Option<(pc_upgrade_client::Learned, Option<String>)>,
    /// Damaged lines left out, by number (`status --skip-damaged` only: anything else
    /// refuses a damaged journal).
    pub damaged: Vec<usize>,
}

/// An open journal, locked for this run.
#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
    /// Where it is, for messages.
    path: PathBuf,
    /// A write failed: no other is tried, so that no line is ever written after a torn one.
    failed: AtomicBool,
}

/// Why a journal could not be opened for a run.
#[derive(Debug)]
pub enum OpenError {
    /// Another run holds it.
    InUse {
        /// The journal.
        path: PathBuf,
        /// The other run's process, if the journal names it.
        pid: Option<u32>,
    },
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InUse { path, pid } => {
                write!(f, "the journal {} is in use by another run", path.display())?;
                if let Some(pid) = pid {
                    write!(f, " (process {pid})")?;
                }
                f.write_str(": wait for it to end, or give this run another --journal")
            }
        }
    }
}

impl std::error::Error for OpenError {}

/// Whether a run holds the journal now: `Some` with its process (if the journal names it),
/// `None` when no run does (or the file cannot be opened: reading it says why).
pub fn held(path: &Path) -> Option<Option<u32>> {
    let file = File::open(path).ok()?;
    match file.try_lock_shared() {
        Err(std::fs::TryLockError::WouldBlock) => Some(read(path).ok().and_then(|r| r.last_pid)),
        // Released when `file` is dropped: a run starting now finds it free.
        Ok(()) | Err(std::fs::TryLockError::Error(_)) => None,
    }
}

impl Journal {
    /// Opens (or begins) the journal for a run that calls `base_url` (none: the journal's
    /// own, for `status --refresh` with no `--base-url`): locks it, checks that
    /// it belongs to `customers` (unless `other_customers`), records the run, and replays
    /// it. With no `customers` (`status --refresh`), the journal must have begun, and its
    /// own customers file is taken.
    pub fn open(
        path: &Path,
        customers: Option<&CustomersFile>,
        other_customers: bool,
        base_url: Option<&str>,
    ) -> Result<(Self, Replayed)> {
        let mut file = OpenOptions::new()
            .create(customers.is_some())
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = read(path).ok().and_then(|r| r.last_pid);
                return Err(OpenError::InUse {
                    path: path.to_owned(),
                    pid,
                }
                .into());
            }
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("locking {}", path.display()));
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        let (mut replayed, kept) =
            replay_bytes(&bytes, false).map_err(|error| replay::explained(error, path))?;
        if replayed.dropped > 0 {
            // Cut here, under the lock, so that the next event starts a line of its own.
            file.set_len(kept as u64)
                .and_then(|()| file.sync_data())
                .with_context(|| format!("cutting the torn end of {}", path.display()))?;
        }
        let mut lines = begin_or_check(path, &mut replayed, customers, other_customers)?;
        let run = Event::Run {
            pid: std::process::id(),
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            delimiter: customers.map(|c| c.delimiter),
            base_url: base_url.map(str::to_owned),
        };
        lines.push_str(&serde_json::to_string(&run)?);
        lines.push('\n');
        file.write_all(lines.as_bytes())
            .and_then(|()| file.sync_data())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok((
            Self {
                file: Mutex::new(file),
                path: path.to_owned(),
                failed: AtomicBool::new(false),
            },
            replayed,
        ))
    }

    /// Appends events, on disk when this returns if `durability` says so.
    ///
    /// # Errors
    /// When the write fails (a full disk, an I/O error), and for every write after one
    /// that failed: what a failed write left is at most a torn last line, which the next
    /// open cuts, and a later line must not be glued to it.
    pub fn write(&self, events: &[Event], durability: Durability) -> Result<()> {
        if self.failed.load(Ordering::SeqCst) {
            bail!(
                "an earlier write to the journal {} failed",
                self.path.display()
            );
        }
        let mut text = String::new();
        for event in events {
            text.push_str(&serde_json::to_string(event)?);
            text.push('\n');
        }
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| match durability {
                Durability::Synced => file.sync_data(),
                Durability::Written => Ok(()),
            });
        written.map_err(|error| {
            self.failed.store(true, Ordering::SeqCst);
            anyhow::Error::new(error)
                .context(format!("writing the journal {}", self.path.display()))
        })
    }
}

/// What opening a journal writes first: the version line of a journal not yet begun (which
/// then belongs to `customers`), else nothing but the end of a torn last line, once the
/// journal is known to belong to `customers` (unless `other_customers`).
fn begin_or_check(
    path: &Path,
    replayed: &mut Replayed,
    customers: Option<&CustomersFile>,
    other_customers: bool,
) -> Result<String> {
    let mut lines = String::new();
    match (&replayed.customers, customers) {
        (None, None) => bail!("the journal {} has not begun", path.display()),
        (None, Some(customers)) => {
            let header = Header {
                journal: "pc-upgrade".into(),
                version: VERSION,
                customers: customers.clone(),
            };
            lines.push_str(&serde_json::to_string(&header)?);
            lines.push('\n');
            replayed.customers = Some(customers.clone());
        }
        (Some(theirs), customers) => {
            let same = customers.is_none_or(|c| theirs.path == c.path || theirs.fnv1a == c.fnv1a);
            if !same && !other_customers {
                bail!(
                    "the journal {} belongs to the customers file {}, not {}; give the \
                     same --customers, another --journal, or --other-customers to use \
                     this file with this journal",
                    path.display(),
                    theirs.path.display(),
                    customers.map_or_else(String::new, |c| c.path.display().to_string())
                );
            }
        }
    }
    Ok(lines)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A version line, for tests.
    pub(in crate::journal) fn header() -> String {
        let customers = CustomersFile {
            path: "/c.csv".into(),
            fnv1a: "0".into(),
            delimiter: ',',
        };
        serde_json::to_string(&Header {
            journal: "pc-upgrade".into(),
            version: VERSION,
            customers,
        })
        .unwrap()
    }

    /// A torn end is cut from the file at open, under the lock, and the run goes on after
    /// the last whole line.
    #[test]
    fn open_cuts_a_torn_end_from_the_file() {
        let intent = serde_json::to_string(&Event::Intent {
            customer: Uuid::from_u128(1),
            request_id: Uuid::from_u128(2),
        })
        .unwrap();
        let whole = format!("{}\n{intent}\n", header());
        let mut bytes = whole.clone().into_bytes();
        bytes.extend_from_slice(b"{\"ev");
        bytes.extend(std::iter::repeat_n(0u8, 4096));
        let dir = std::env::temp_dir().join(format!("pc-upgrade-torn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal");
        std::fs::write(&path, &bytes).unwrap();
        let (journal, replayed) = Journal::open(&path, None, false, None).unwrap();
        assert_eq!(replayed.dropped, 4100);
        drop(journal);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&whole) && !text.contains('\0'), "{text:?}");
        assert!(replay::replay(&text).unwrap().last_pid.is_some());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_open_of_a_journal_in_use_names_the_first_run() {
        let dir = std::env::temp_dir().join(format!("pc-upgrade-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal");
        let _ = std::fs::remove_file(&path);
        let customers = CustomersFile::of(&dir, b"customerId\n", b',');
        let (_first, _) = Journal::open(&path, Some(&customers), false, None).unwrap();
        let error = Journal::open(&path, Some(&customers), false, None).unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        let other = CustomersFile {
            path: "/elsewhere.csv".into(),
            fnv1a: "1".into(),
            delimiter: ',',
        };
        drop(_first);
        let error = Journal::open(&path, Some(&other), false, None).unwrap_err();
        assert!(
            format!("{error:#}").contains("--other-customers"),
            "{error:#}"
        );
        assert!(Journal::open(&path, Some(&other), true, None).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
