//! The binary's signals: the first Ctrl-C (or SIGTERM) asks the run to stop starting work
//! and end well; a second quits at once (the journal is whole either way).

use std::io::Write;

use tokio::sync::watch;

use crate::ending::INTERRUPTED;

/// Listens for Ctrl-C and SIGTERM on the current runtime; the receiver turns `true` at the
/// first.
pub fn interrupts() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for count in 0.. {
            #[cfg(unix)]
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
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
