//! The binary's signals: the first Ctrl-C, SIGTERM or SIGHUP (the terminal closed) asks the
//! run to stop starting work and end well, with its report and summary (exit 130); a second
//! asks `main` to quit at once (the journal is whole either way). Nothing here exits: the
//! program's end is `main`'s.

use std::io::Write;

use tokio::sync::watch;

/// What the signals ask, each turning `true` once.
#[derive(Debug)]
pub struct Interrupts {
    /// Stop starting work and end well (the first signal): the run's `interrupt`.
    pub stop: watch::Receiver<bool>,
    /// Quit now (the second): `main` ends the process with exit 130.
    pub quit: watch::Receiver<bool>,
}

/// Listens for Ctrl-C, SIGTERM and SIGHUP on the current runtime.
pub fn interrupts() -> Interrupts {
    let (sender, receiver) = watch::channel(false);
    let (quit, quitting) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        let (mut terminate, mut hangup) = {
            use tokio::signal::unix::{SignalKind, signal};
            (
                signal(SignalKind::terminate()).ok(),
                signal(SignalKind::hangup()).ok(),
            )
        };
        for count in 0.. {
            #[cfg(unix)]
            let terminated = async {
                tokio::select! {
                    got = received(terminate.as_mut()) => got,
                    got = received(hangup.as_mut()) => got,
                }
            };
            #[cfg(not(unix))]
            let terminated = std::future::pending::<Option<()>>();
            tokio::select! {
                result = tokio::signal::ctrl_c() => if result.is_err() { return },
                _ = terminated => {}
            }
            // Straight to stderr (the bar, if any, is redrawn below); a closed stderr is no
            // reason not to stop well.
            let mut stderr = std::io::stderr();
            if count == 0 {
                let _ = writeln!(
                    stderr,
                    "\npc-upgrade: stopping: no new calls; the calls in flight end, then the \
                     report is written (Ctrl-C again to quit at once)"
                );
                let _ = sender.send(true);
            } else {
                let _ = writeln!(
                    stderr,
                    "pc-upgrade: quitting now. The journal is whole: the same command resumes."
                );
                let _ = quit.send(true);
                return;
            }
        }
    });
    Interrupts {
        stop: receiver,
        quit: quitting,
    }
}

/// The next delivery of `signal`; never, when it could not be listened for.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
