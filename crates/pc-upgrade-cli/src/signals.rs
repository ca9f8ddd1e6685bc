//! The binary's signals: the first Ctrl-C, SIGTERM or SIGHUP (the terminal closed) asks the
//! run to stop starting work and end well, with its report and summary (exit 130); a second
//! quits at once (the journal is whole either way).

use std::io::Write;

use tokio::sync::watch;

use crate::ending::INTERRUPTED;

/// Listens for Ctrl-C, SIGTERM and SIGHUP on the current runtime; the receiver turns
/// `true` at the first.
pub fn interrupts() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
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
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    receiver
}

/// The next delivery of `signal`; never, when it could not be listened for.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}
