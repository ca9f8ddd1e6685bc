//! What a command is given from outside besides its arguments: where its text goes
//! ([`Console`]: the process's stdout and stderr, or buffers a test reads) and the
//! environment it reads credentials from ([`Vars`]), so that the whole tool runs in-process
//! in a test exactly as the binary runs it.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A place text is written to.
type Sink = Mutex<Box<dyn Write + Send>>;

/// Where a command's text goes: its results and summary to `out`, its messages to `err`.
/// A write that fails (a closed pipe, a full disk) is never a panic: the first failure of
/// `out` is kept ([`Console::out_failure`]) for the run's exit code, those of `err` dropped.
pub struct Console {
    out: Sink,
    err: Sink,
    out_failure: Mutex<Option<Failure>>,
}

/// Why `out` took less than it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The reader went away (`| head`): the text was not wanted any more.
    pub closed: bool,
    /// The system's reason.
    pub reason: String,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Console")
    }
}

impl Console {
    /// The process's stdout and stderr.
    pub fn std() -> Self {
        Self {
            out: Mutex::new(Box::new(std::io::stdout())),
            err: Mutex::new(Box::new(std::io::stderr())),
            out_failure: Mutex::new(None),
        }
    }

    /// Buffers, and what was written to them.
    pub fn captured() -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            out: Mutex::new(Box::new(Buffer(Arc::clone(&captured.out)))),
            err: Mutex::new(Box::new(Buffer(Arc::clone(&captured.err)))),
            out_failure: Mutex::new(None),
        };
        (console, captured)
    }

    /// Writes `text` to `out`, whole.
    pub fn out(&self, text: &str) {
        self.out_bytes(text.as_bytes());
    }

    /// Writes `text` to `err`, whole.
    pub fn err(&self, text: &str) {
        // A message that cannot be shown has nowhere else to go; the run's files and its
        // exit code still say how it ended.
        let _ = write(&self.err, text.as_bytes());
    }

    /// Writes `bytes` to `out`; once a write has failed, nothing more is written there (a
    /// document cut short stays visibly cut, never a later piece glued on).
    pub fn out_bytes(&self, bytes: &[u8]) {
        let mut failure = self
            .out_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if failure.is_some() {
            return;
        }
        if let Err(error) = write(&self.out, bytes) {
            *failure = Some(Failure {
                closed: error.kind() == std::io::ErrorKind::BrokenPipe,
                reason: error.to_string(),
            });
        }
    }

    /// The first write to `out` that failed, if one did.
    pub fn out_failure(&self) -> Option<Failure> {
        self.out_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn write(sink: &Sink, bytes: &[u8]) -> std::io::Result<()> {
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    sink.write_all(bytes).and_then(|()| sink.flush())
}

/// What a [`Console::captured`] console was given.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    /// What went to `out`.
    pub fn out(&self) -> String {
        text(&self.out)
    }

    /// What went to `err`.
    pub fn err(&self) -> String {
        text(&self.err)
    }
}

fn text(buffer: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buffer.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

/// A writer into a shared buffer.
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The environment variables a command reads (`PC_UPGRADE_*`): the process's, or those a
/// test gives. Its `Debug` names the variables, never their values (secrets among them).
#[derive(Clone, Default)]
pub struct Vars(BTreeMap<String, String>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Vars {
    /// The process's `PC_UPGRADE_*` variables.
    pub fn from_process() -> Self {
        Self(
            std::env::vars()
                .filter(|(name, _)| name.starts_with("PC_UPGRADE_"))
                .collect(),
        )
    }

    /// These, with `name` set to `value`.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// The value of `name`, when set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_never_show_their_values() {
        let vars = Vars::default().with("PC_UPGRADE_CLIENT_SECRET", "s3cret");
        assert_eq!(format!("{vars:?}"), r#"{"PC_UPGRADE_CLIENT_SECRET"}"#);
        assert_eq!(
            vars.get("PC_UPGRADE_CLIENT_SECRET").as_deref(),
            Some("s3cret")
        );
        assert_eq!(Vars::default().with("X", "  ").get("X"), None);
    }
}
