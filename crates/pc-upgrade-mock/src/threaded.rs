//! [`ThreadedMockServer`]: the fake on a thread and runtime of its own, for benchmarks.

use crate::server::MockServer;

/// A [`MockServer`] with its documented answers on a thread and Tokio runtime of its own,
/// recording and validation off: for benchmarks and load tests, where the server must not share a scheduler
/// with the code measured. It stops when dropped.
#[derive(Debug)]
pub struct ThreadedMockServer {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ThreadedMockServer {
    /// Starts the server on a new thread; returns once it listens.
    ///
    /// # Errors
    /// When the thread, its runtime or the server cannot be started.
    pub fn start() -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pc-upgrade-mock".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match MockServer::builder().validate(false).start().await {
                        Ok(server) => {
                            server.set_recording(false);
                            let _ = ready_tx.send(Ok(server.base_url()));
                            let _ = stop_rx.await;
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                        }
                    }
                });
            })?;
        let base_url = ready_rx.recv().map_err(|_| {
            std::io::Error::other("the mock server thread ended before listening")
        })??;
        Ok(Self {
            base_url,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The base URL to give the client, `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for ThreadedMockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
