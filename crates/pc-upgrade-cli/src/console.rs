//! What a command is given from outside besides its arguments: where its text goes
//! ([`Console`]: the process's stdout and stderr, or buffers a test reads; the log writes
//! to the same `err`, above the progress bar: [`LogWriter`]) and the environment it reads
//! ([`Vars`]), so that the whole tool runs in-process in a test exactly as the binary
//! runs it.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A place text is written to (`err` is shared with the log: [`Console::log_writer`]).
type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

/// Where a command's text goes: its results and summary to `out`, its messages to `err`.
/// A write that fails (a closed pipe, a full disk) is never a panic: the first failure of
/// `out` is kept ([`Console::out_failure`]) for the run's exit code, those of `err` dropped.
pub struct Console {
    out: Sink,
    err: Sink,
    out_failure: Mutex<Option<Failure>>,
    /// Whether `err` is a terminal, where a progress bar is drawn.
    terminal: bool,
    /// The bar on `err`, while one is drawn: the log writes above it.
    screen: Screen,
}

/// The progress bar on the terminal, while one is drawn, shared by the run that draws it and
/// the log that writes above it ([`crate::logging::LogWriter`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Screen(Arc<Mutex<Option<indicatif::ProgressBar>>>);

impl Screen {
    /// The bar now drawn, if any.
    pub(crate) fn bar(&self) -> Option<indicatif::ProgressBar> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `bar` is drawn from now on (none: no more).
    pub(crate) fn set(&self, bar: Option<indicatif::ProgressBar>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = bar;
    }
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
    /// The process's stdout and stderr (a bar is drawn when stderr is a terminal).
    pub fn std() -> Self {
        Self {
            out: Arc::new(Mutex::new(Box::new(std::io::stdout()))),
            err: Arc::new(Mutex::new(Box::new(std::io::stderr()))),
            out_failure: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
            screen: Screen::default(),
        }
    }

    /// Whether `err` is a terminal, where a progress bar is drawn.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The bar drawn on `err`, while one is.
    pub(crate) fn screen(&self) -> Screen {
        self.screen.clone()
    }

    /// The log's writer: `err`, above the bar while one is drawn (for the `tracing`
    /// subscriber `main` sets up).
    pub fn log_writer(&self) -> LogWriter {
        LogWriter::new(Arc::clone(&self.err), self.screen.clone())
    }

    /// Buffers, and what was written to them.
    pub fn captured() -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            out: Arc::new(Mutex::new(Box::new(Buffer(Arc::clone(&captured.out))))),
            err: Arc::new(Mutex::new(Box::new(Buffer(Arc::clone(&captured.err))))),
            out_failure: Mutex::new(None),
            terminal: false,
            screen: Screen::default(),
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

/// Where log lines are written: the console's `err`, above its bar while one is drawn.
pub struct LogWriter {
    err: Sink,
    screen: Screen,
}

impl LogWriter {
    /// Log lines to `err`, above the bars of `screen` ([`Console::log_writer`]).
    pub(crate) fn new(err: Sink, screen: Screen) -> Self {
        Self { err, screen }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine {
            line: Vec::new(),
            err: Arc::clone(&self.err),
            screen: self.screen.clone(),
        }
    }
}

/// One log event, written whole when it is dropped.
pub struct LogLine {
    line: Vec<u8>,
    err: Sink,
    screen: Screen,
}

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let line = std::mem::take(&mut self.line);
        // A log line that cannot be written has nowhere else to go.
        let write = || {
            let _ = write(&self.err, &line);
        };
        match self.screen.bar() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
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

/// The environment variables a command reads (`PC_UPGRADE_*`, `RUST_LOG`): the process's,
/// or those a test gives. Its `Debug` names the variables, never their values (secrets among them).
#[derive(Clone, Default)]
pub struct Vars(BTreeMap<String, String>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Vars {
    /// The process's `PC_UPGRADE_*` variables, and `RUST_LOG`.
    pub fn from_process() -> Self {
        Self(
            std::env::vars()
                .filter(|(name, _)| name.starts_with("PC_UPGRADE_") || name == "RUST_LOG")
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
