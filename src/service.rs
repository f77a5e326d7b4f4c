//! A server on a thread of its own (the SMTP sink, the relay's API): a bound
//! listener served by a small tokio runtime until stopped; stopping (or dropping)
//! closes the port and joins the thread.

use std::future::Future;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

/// A running server.
pub struct Service {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Service {
    /// Serves `listener` (bound, any address) with `serve` on a thread named
    /// `name` running two workers, until [`Service::stop`].
    pub fn spawn<F, Fut>(
        name: &str,
        listener: std::net::TcpListener,
        serve: F,
    ) -> std::io::Result<Service>
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        listener.set_nonblocking(true)?;
        let (shutdown, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        Ok(Service {
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Stops serving and joins the thread; what was served stays served.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}
