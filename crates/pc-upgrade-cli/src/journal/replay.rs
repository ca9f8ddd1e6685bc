//! Reading a journal: its bytes cut back to their whole lines (a torn end left out and
//! counted, and why that is safe), then replayed event by event into what is known of each
//! customer.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{Header, Replayed, VERSION};
use crate::state::Event;

/// Reads a journal that must exist, without locking it or changing it (for `status`; a
/// torn end is left out of what it says, and left on disk for the next run to cut). A
/// damaged line elsewhere is an error naming it, unless `skip_damaged` (`status
/// --skip-damaged`), which leaves it out and counts it in `damaged`.
pub fn read_with(path: &Path, skip_damaged: bool) -> Result<Replayed> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "reading the journal {} (is it the --journal of an upgrade run?)",
            path.display()
        )
    })?;
    let (replayed, _) =
        replay_bytes(&bytes, skip_damaged).map_err(|error| explained(error, path))?;
    Ok(replayed)
}

/// [`read_with`], refusing a damaged journal.
pub fn read(path: &Path) -> Result<Replayed> {
    read_with(path, false)
}

/// A line of a journal that cannot be read, anywhere but its torn end.
#[derive(Debug)]
pub struct Damaged {
    /// Its number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is damaged ({})", self.line, self.reason)
    }
}

impl std::error::Error for Damaged {}

/// A replay's error with the journal named, and for a damaged line the way on: only a
/// crash's last line tears (and that one is cut), so a damaged line elsewhere is never read
/// past; what it said (an intent, say) could make a run create twice.
pub(super) fn explained(error: anyhow::Error, path: &Path) -> anyhow::Error {
    let Some(damaged) = error.downcast_ref::<Damaged>() else {
        return error.context(format!("reading the journal {}", path.display()));
    };
    let journal = crate::ending::quoted(&path.to_string_lossy());
    anyhow::anyhow!(
        "the journal {} {damaged}: a crash tears only its last line, so this is damage, and \
         nothing reads past it (what it said, a create's intent say, would be lost). Restore \
         the journal from a copy; to see what the rest says (the damaged line's customer as \
         it stood before it):\n  pc-upgrade status --journal {journal} --skip-damaged",
        path.display()
    )
}

/// Where the whole lines of a journal's bytes end: after the last newline, once the NUL
/// bytes a power loss leaves at the end are set aside. What follows (a line cut short, NULs)
/// is a torn end.
///
/// Dropping it is safe because it can only be what a write that never returned was writing:
/// the run acts on an event only after the write returns, and on the ones that matter only
/// after they are synced. An `intent` is on disk before its create is sent, so a torn intent
/// is a create never sent; a torn `started` (synced before its upgrade is followed) leaves
/// the intent, whose create the next run sends again with the same `MS-RequestId`, which
/// Partner Center takes as the same create, or whose upgrade eligibility names; a torn end
/// of any other event (`completed`, `ineligible`, `retry`) is asked again by the next run.
fn whole_lines(bytes: &[u8]) -> usize {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |at| at + 1);
    bytes[..end]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |at| at + 1)
}

/// What a journal's bytes say, with the torn end left out (its length in `dropped`), and
/// where the whole lines end.
pub(super) fn replay_bytes(bytes: &[u8], skip_damaged: bool) -> Result<(Replayed, usize)> {
    let kept = whole_lines(bytes);
    let text = std::str::from_utf8(&bytes[..kept]).map_err(|error| {
        let line = bytes[..error.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        anyhow::anyhow!("line {line} is not UTF-8 text: the file is not a journal, or is damaged")
    })?;
    let mut replayed = replay_with(text, skip_damaged)?;
    replayed.dropped = bytes.len() - kept;
    Ok((replayed, kept))
}

/// What a journal's whole lines say (`replay_with`, refusing damage), for the tests.
#[cfg(test)]
pub fn replay(text: &str) -> Result<Replayed> {
    replay_with(text, false)
}

/// What a journal's whole lines say. An empty text is a journal not yet begun; a last line
/// cut short (a crash's) is left out; any other unreadable line is [`Damaged`], or with
/// `skip_damaged` left out and counted (a version line that is not one is always an error:
/// the file is not a journal, or not one this version reads).
fn replay_with(text: &str, skip_damaged: bool) -> Result<Replayed> {
    let mut replayed = Replayed::default();
    let last = text.lines().count();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.next() else {
        return Ok(replayed);
    };
    let header: Header = match serde_json::from_str(first) {
        Ok(header) => header,
        Err(_) => bail!(
            "line 1 is not a pc-upgrade journal's version line: the file is not a journal of \
             this version (give another --journal)"
        ),
    };
    if header.journal != "pc-upgrade" || header.version != VERSION {
        bail!(
            "a journal of version {} (this pc-upgrade reads version {VERSION})",
            header.version
        );
    }
    replayed.delimiter = Some(header.customers.delimiter);
    replayed.customers = Some(header.customers);
    for (index, line) in lines {
        let event: Event = match serde_json::from_str(line) {
            Ok(event) => event,
            // The last line cut short by a crash: what it said was not yet acted on, or is
            // said again by the next run.
            Err(_) if index + 1 == last && !line.ends_with('}') => continue,
            Err(_) if skip_damaged => {
                replayed.damaged.push(index + 1);
                continue;
            }
            Err(error) => {
                let reason = error.to_string();
                return Err(Damaged {
                    line: index + 1,
                    reason,
                }
                .into());
            }
        };
        match event.customer() {
            Some(customer) => replayed.known.entry(customer).or_default().apply(&event),
            None => {
                if let Event::Run {
                    pid,
                    delimiter,
                    base_url,
                    ..
                } = event
                {
                    replayed.last_pid = Some(pid);
                    replayed.delimiter = delimiter.or(replayed.delimiter);
                    replayed.base_url = base_url.or(replayed.base_url.take());
                } else if let Some(learned) = crate::learned::of(&event) {
                    replayed.rate = Some((learned, replayed.base_url.clone()));
                }
            }
        }
    }
    Ok(replayed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    use crate::journal::tests::header;
    use crate::state::Event;

    #[test]
    fn a_torn_last_line_is_skipped_and_the_rest_replayed() {
        let customer = Uuid::from_u128(1);
        let intent = Event::Intent {
            customer,
            request_id: Uuid::from_u128(2),
        };
        let text = format!(
            "{}\n{}\n{{\"event\":\"started\",\"custo",
            header(),
            serde_json::to_string(&intent).unwrap()
        );
        let known = replay(&text).unwrap().known;
        assert_eq!(
            known[&customer].stage,
            crate::state::Stage::Intended {
                request_id: Uuid::from_u128(2)
            }
        );
    }

    #[test]
    fn the_delimiter_is_read_from_the_version_line_and_the_last_run() {
        let old =
            r#"{"journal":"pc-upgrade","version":2,"customers":{"path":"/c.csv","fnv1a":"0"}}"#;
        assert_eq!(replay(old).unwrap().delimiter, Some(','));
        let run = r#"{"event":"run","pid":7,"at":1,"delimiter":";"}"#;
        let status = r#"{"event":"run","pid":8,"at":2}"#;
        let text = format!("{old}\n{run}\n{status}\n");
        assert_eq!(replay(&text).unwrap().delimiter, Some(';'));
    }

    #[test]
    fn a_torn_end_padded_with_nuls_is_cut_back_to_the_last_whole_line() {
        let customer = Uuid::from_u128(1);
        let intent = serde_json::to_string(&Event::Intent {
            customer,
            request_id: Uuid::from_u128(2),
        })
        .unwrap();
        let whole = format!("{}\n{intent}\n", header());
        let mut bytes = whole.clone().into_bytes();
        bytes.extend_from_slice(b"{\"ev");
        bytes.extend(std::iter::repeat_n(0u8, 4096));
        let (replayed, kept) = replay_bytes(&bytes, false).unwrap();
        assert_eq!(kept, whole.len());
        assert_eq!(replayed.dropped, 4 + 4096);
        assert!(matches!(
            replayed.known[&customer].stage,
            crate::state::Stage::Intended { .. }
        ));
        // NULs alone, and a tear within a multi-byte character.
        let mut nuls = whole.clone().into_bytes();
        nuls.extend([0u8; 10]);
        assert_eq!(replay_bytes(&nuls, false).unwrap().0.dropped, 10);
        let mut split = whole.clone().into_bytes();
        split.extend_from_slice(&"{\"reason\":\"é".as_bytes()[..13]);
        assert_eq!(replay_bytes(&split, false).unwrap().1, whole.len());
        // Damage in the middle is an error naming its line.
        let middle = format!("{}\n{{\"ev\n{intent}\n", header());
        let error = replay_bytes(middle.as_bytes(), false).unwrap_err();
        assert!(format!("{error:#}").contains("line 2"), "{error:#}");
    }

    /// A customer's `queued` line cut short in the middle (damage, not a crash) is an error
    /// naming it, never a warning and a fleet one customer shorter; skipped on request, it
    /// is counted.
    #[test]
    fn a_line_cut_short_in_the_middle_is_an_error_unless_skipped() {
        let queued = |n: u128| {
            serde_json::to_string(&Event::Queued {
                customer: Uuid::from_u128(n),
                line: n as usize,
                extra: Vec::new(),
            })
            .unwrap()
        };
        let (first, second) = (queued(1), queued(2));
        let cut = &second[..second.len() - 10];
        let text = format!("{}\n{first}\n{cut}\n{}\n", header(), queued(3));
        let error = replay(&text).unwrap_err();
        let damaged = error.downcast_ref::<Damaged>().expect("a Damaged error");
        assert_eq!(damaged.line, 3);
        let explained = explained(error, Path::new("/runs/a b.journal")).to_string();
        assert!(
            explained.contains("pc-upgrade status --journal '/runs/a b.journal' --skip-damaged"),
            "{explained}"
        );
        let skipped = replay_with(&text, true).unwrap();
        assert_eq!((skipped.damaged.clone(), skipped.known.len()), (vec![3], 2));
    }

    /// A journal written before line items were kept: its `completed` reads, with none.
    #[test]
    fn a_completed_event_without_lines_reads() {
        let completed = r#"{"event":"completed","customer":"00000000-0000-0000-0000-000000000001","upgrade_id":"00000000-0000-0000-0000-000000000002"}"#;
        let known = replay(&format!("{}\n{completed}\n", header()))
            .unwrap()
            .known;
        let stage = &known[&Uuid::from_u128(1)].stage;
        assert!(
            matches!(stage, crate::state::Stage::Completed { lines, .. } if lines.is_empty()),
            "{stage:?}"
        );
    }

    #[test]
    fn a_file_that_is_no_journal_is_an_error() {
        assert!(replay("name,customerId\nContoso,x\n{}\n").is_err());
        // A journal of the first format has no version line.
        assert!(replay("{\"event\":\"queued\",\"customer\":\"00000000-0000-0000-0000-000000000001\",\"line\":1}\n").is_err());
        assert!(replay(&format!("{}\n{{\"event\":\"nonsense\"}}\n", header())).is_err());
    }
}
