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
/// A write that fails (a closed pipe, a full disk) is dropped, never a panic.
pub struct Console {
    out: Sink,
    err: Sink,
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
        }
    }

    /// Buffers, and what was written to them.
    pub fn captured() -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            out: Mutex::new(Box::new(Buffer(Arc::clone(&captured.out)))),
            err: Mutex::new(Box::new(Buffer(Arc::clone(&captured.err)))),
        };
        (console, captured)
    }

    /// Writes `text` to `out`, whole.
    pub fn out(&self, text: &str) {
        write(&self.out, text.as_bytes());
    }

    /// Writes `text` to `err`, whole.
    pub fn err(&self, text: &str) {
        write(&self.err, text.as_bytes());
    }

    /// Writes `bytes` to `out`.
    pub fn out_bytes(&self, bytes: &[u8]) {
        write(&self.out, bytes);
    }
}

fn write(sink: &Sink, bytes: &[u8]) {
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    // A reader that went away, or a full disk: the run's files say what the text said.
    let _ = sink.write_all(bytes).and_then(|()| sink.flush());
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
