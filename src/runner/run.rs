//! [`Runner`]: a model served as a Clarifai runner, with its polls, control stream and health
//! endpoints, and [`RunningRunner`] to watch and stop it.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::{JoinHandle, JoinSet};

use super::config::RunnerConfig;
use super::error::RunnerError;
use super::model::Model;
use super::protocol::{self, Shared};
use crate::ClarifaiClient;

/// A [`Model`] served as a Clarifai runner: it connects out to the API on `ProcessRunnerItems`,
/// takes work items and streams back their outputs.
///
/// ```no_run
/// # async fn run(model: clarifai_tonic::runner::Model) -> Result<(), Box<dyn std::error::Error>> {
/// use clarifai_tonic::runner::Runner;
/// // CLARIFAI_PAT, CLARIFAI_USER_ID, CLARIFAI_COMPUTE_CLUSTER_ID, CLARIFAI_NODEPOOL_ID and
/// // CLARIFAI_RUNNER_ID from the environment; stops gracefully on SIGTERM or ctrl-c.
/// Runner::from_env(model)?.run().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Runner {
    model: Model,
    client: ClarifaiClient,
    config: RunnerConfig,
}

impl Runner {
    /// A runner serving `model` for the runner `config` names, calling the API through
    /// `client` (whose credentials must be the runner owner's PAT).
    pub fn new(model: Model, client: ClarifaiClient, config: RunnerConfig) -> Runner {
        Runner {
            model,
            client,
            config,
        }
    }

    /// From the environment, as the SDK's runner starts: the ids from
    /// [`RunnerConfig::from_env`], the client from `CLARIFAI_PAT` and `CLARIFAI_API_BASE` (see
    /// [`ClientBuilder`](crate::ClientBuilder)).
    pub fn from_env(model: Model) -> Result<Runner, RunnerError> {
        let config = RunnerConfig::from_env()?;
        let client = ClarifaiClient::builder()
            .build()
            .map_err(RunnerError::Client)?;
        Ok(Runner::new(model, client, config))
    }

    /// Starts the polls, the control stream and the health endpoints.
    pub async fn start(self) -> Result<RunningRunner, RunnerError> {
        let polls = self.config.polls;
        let control = self.config.control;
        let health = self.config.health;
        let shared = Arc::new(Shared::new(Arc::new(self.model), self.client, self.config));
        let health = match health {
            Some(addr) => Some(super::health::start(addr, shared.clone()).await?),
            None => None,
        };
        let control = control.then(|| tokio::spawn(protocol::control(shared.clone())));
        let mut tasks = JoinSet::new();
        for _ in 0..polls {
            let shared = shared.clone();
            tasks.spawn(async move {
                let ended = protocol::poll(shared.clone()).await;
                if ended.is_err() {
                    // The runner cannot go on: the other polls take no more work either.
                    shared.stop.send_replace(true);
                }
                ended
            });
        }
        tracing::info!(
            runner = %shared.config.runner_id,
            polls,
            "runner: started"
        );
        Ok(RunningRunner {
            shared,
            tasks,
            control,
            health,
        })
    }

    /// Runs until SIGTERM or ctrl-c, then stops gracefully: the items in hand are finished, no
    /// new one is taken. Returns early with the error that stopped it, if one did.
    pub async fn run(self) -> Result<(), RunnerError> {
        // Listening before the first stream opens: a SIGTERM from then on is a graceful stop.
        let signals = Signals::listen();
        self.start().await?.until_signals(signals).await
    }
}

/// A started [`Runner`]. [`stop`](Self::stop) then [`wait`](Self::wait) for a graceful stop;
/// dropping it without waiting stops the runner at once, dropping the work in hand.
#[derive(Debug)]
pub struct RunningRunner {
    shared: Arc<Shared>,
    tasks: JoinSet<Result<(), RunnerError>>,
    control: Option<JoinHandle<()>>,
    health: Option<(SocketAddr, JoinHandle<()>)>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("config", &self.config)
            .field("stopping", &self.stopping())
            .finish_non_exhaustive()
    }
}

impl RunningRunner {
    /// Where the health endpoints listen, if they do.
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health.as_ref().map(|(addr, _)| *addr)
    }

    /// Stops taking new work; the items in hand are finished. [`wait`](Self::wait) returns
    /// once they are.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
    }

    /// Waits until every poll has ended (after [`stop`](Self::stop), or on an error that stops
    /// the runner, which it returns).
    pub async fn wait(mut self) -> Result<(), RunnerError> {
        let mut first = None;
        while let Some(joined) = self.tasks.join_next().await {
            let ended = joined.unwrap_or_else(|e| {
                // The others stop too: the runner is short of a poll, and says so.
                self.shared.stop.send_replace(true);
                Err(RunnerError::Panicked(e.to_string()))
            });
            if let Err(e) = ended {
                first.get_or_insert(e);
            }
        }
        self.shared.done.send_replace(true);
        if let Some(control) = self.control.take() {
            let _ = control.await;
        }
        if let Some((_, health)) = self.health.take() {
            health.abort();
        }
        tracing::info!(runner = %self.shared.config.runner_id, "runner: stopped");
        first.map_or(Ok(()), Err)
    }

    /// Waits for SIGTERM or ctrl-c, stops, and waits for the items in hand (see
    /// [`Runner::run`]); a second signal drops the work in hand.
    pub async fn until_signal(self) -> Result<(), RunnerError> {
        self.until_signals(Signals::listen()).await
    }

    async fn until_signals(self, mut signals: Signals) -> Result<(), RunnerError> {
        let shared = self.shared.clone();
        self.alongside(async move {
            signals.next().await;
            tracing::info!("runner: stopping on a signal; finishing the items in hand");
            shared.stop.send_replace(true);
            signals.next().await;
            tracing::warn!("runner: a second signal; dropping the items in hand");
            shared.cancel_all();
        })
        .await
    }

    /// Stops when `stop` resolves, and waits for the items in hand; returns early with the error
    /// that stopped the runner, if one did.
    pub async fn until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RunnerError> {
        let shared = self.shared.clone();
        self.alongside(async move {
            stop.await;
            tracing::info!("runner: stopping; finishing the items in hand");
            shared.stop.send_replace(true);
        })
        .await
    }

    /// [`wait`](Self::wait)s with `watcher` running beside it, until the runner has ended.
    async fn alongside(
        self,
        watcher: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RunnerError> {
        let watcher = tokio::spawn(watcher);
        let ended = self.wait().await;
        watcher.abort();
        ended
    }
}

impl Drop for RunningRunner {
    fn drop(&mut self) {
        self.shared.stop.send_replace(true);
        self.shared.done.send_replace(true);
        self.tasks.abort_all();
        if let Some((_, health)) = &self.health {
            health.abort();
        }
    }
}

/// SIGTERM and ctrl-c, listened for from the moment it is made.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn wait(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = wait(&mut self.term) => {}
                () = wait(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
