//! [`RunnerConfig`]: who the runner is (user, compute cluster, nodepool, runner, replica) and how
//! it works (parallel polls, health endpoints, backoff, error budget), from code or from the same
//! `CLARIFAI_*` variables as the SDK's runner.

use std::net::SocketAddr;
use std::time::Duration;

use super::error::RunnerError;

/// The parallel polls of a runner unless set: the SDK's `num_parallel_polls`.
pub const DEFAULT_POLLS: usize = 4;
/// The health endpoints' port unless set: the SDK's `health_check_port`.
pub const DEFAULT_HEALTH_PORT: u16 = 8080;
/// Connection errors in a row (with no working stream between them) that stop a runner: the
/// SDK's `MAX_CONN_ERRORS`...
pub const DEFAULT_MAX_ERRORS: usize = 120;
/// ...counted within this window: the SDK's `MAX_CONN_ERROR_INTERVAL_SEC`.
pub const DEFAULT_ERROR_WINDOW: Duration = Duration::from_secs(1800);
/// The first pause before reconnecting: the SDK's `TIME_BEFORE_RETRY`.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// The longest pause before reconnecting.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a stream item's input may pause between two chunks before it is taken as over: the
/// SDK's `TIME_BETWEEN_STREAM_REQUESTS`.
pub const DEFAULT_CHUNK_IDLE: Duration = Duration::from_secs(60);
/// The largest post a runner sends unless set, encoded: the SDK's `MAX_RUNNER_RESPONSE_SIZE`
/// (128 MiB).
pub const DEFAULT_MAX_POST: usize = 128 << 20;

/// Who a runner is and how it works.
///
/// ```
/// use clarifai_tonic::runner::RunnerConfig;
/// let config = RunnerConfig::new("me", "my-cluster", "my-nodepool", "my-runner")
///     .polls(8)
///     .health_port(None);
/// assert_eq!(config.runner_id(), "my-runner");
/// assert_eq!(config.replica_id().len(), 32);
/// ```
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    pub(crate) user_id: String,
    pub(crate) compute_cluster_id: String,
    pub(crate) nodepool_id: String,
    pub(crate) runner_id: String,
    pub(crate) replica_id: String,
    pub(crate) polls: usize,
    pub(crate) health: Option<SocketAddr>,
    pub(crate) backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_errors: usize,
    pub(crate) error_window: Duration,
    pub(crate) control: bool,
    pub(crate) chunk_idle: Duration,
    pub(crate) max_post: usize,
}

impl RunnerConfig {
    /// A runner `runner_id` of `user_id` on `compute_cluster_id` / `nodepool_id`, with a fresh
    /// replica id and the SDK's defaults (4 polls, health on port 8080, the control stream on).
    pub fn new(
        user_id: impl Into<String>,
        compute_cluster_id: impl Into<String>,
        nodepool_id: impl Into<String>,
        runner_id: impl Into<String>,
    ) -> RunnerConfig {
        RunnerConfig {
            user_id: user_id.into(),
            compute_cluster_id: compute_cluster_id.into(),
            nodepool_id: nodepool_id.into(),
            runner_id: runner_id.into(),
            replica_id: fresh_replica_id(),
            polls: DEFAULT_POLLS,
            health: Some(SocketAddr::from(([0, 0, 0, 0], DEFAULT_HEALTH_PORT))),
            backoff: DEFAULT_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_errors: DEFAULT_MAX_ERRORS,
            error_window: DEFAULT_ERROR_WINDOW,
            control: true,
            chunk_idle: DEFAULT_CHUNK_IDLE,
            max_post: DEFAULT_MAX_POST,
        }
    }

    /// From the environment, as the SDK's runner reads it: `CLARIFAI_USER_ID`,
    /// `CLARIFAI_COMPUTE_CLUSTER_ID`, `CLARIFAI_NODEPOOL_ID` and `CLARIFAI_RUNNER_ID` (required),
    /// `CLARIFAI_RUNNER_REPLICA_ID` (else a fresh one), `CLARIFAI_NUM_THREADS` (the polls),
    /// `CLARIFAI_CONTROL_CHANNEL_ENABLE` (`false` turns the control stream off) and
    /// `CLARIFAI_HEALTH_CHECK_PORT` (`0` turns the endpoints off). The PAT and the API base
    /// (`CLARIFAI_PAT`, `CLARIFAI_API_BASE`) are the client's: see
    /// [`Runner::from_env`](super::Runner::from_env).
    pub fn from_env() -> Result<RunnerConfig, RunnerError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables read through `lookup`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RunnerConfig, RunnerError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let names = [
            "CLARIFAI_USER_ID",
            "CLARIFAI_COMPUTE_CLUSTER_ID",
            "CLARIFAI_NODEPOOL_ID",
            "CLARIFAI_RUNNER_ID",
        ];
        let missing: Vec<&'static str> = names.into_iter().filter(|n| get(n).is_none()).collect();
        if !missing.is_empty() {
            return Err(RunnerError::MissingConfig { names: missing });
        }
        let [user, cluster, nodepool, runner] = names.map(|n| get(n).unwrap_or_default());
        let mut config = RunnerConfig::new(user, cluster, nodepool, runner);
        if let Some(replica) = get("CLARIFAI_RUNNER_REPLICA_ID") {
            config.replica_id = replica;
        }
        if let Some(text) = get("CLARIFAI_NUM_THREADS") {
            config.polls = parse(&text)
                .filter(|n: &usize| *n > 0)
                .ok_or_else(|| invalid("CLARIFAI_NUM_THREADS", &text, "a whole number above 0"))?;
        }
        if let Some(text) = get("CLARIFAI_CONTROL_CHANNEL_ENABLE") {
            config.control = match text.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(invalid(
                        "CLARIFAI_CONTROL_CHANNEL_ENABLE",
                        &text,
                        "true or false",
                    ));
                }
            };
        }
        if let Some(text) = get("CLARIFAI_HEALTH_CHECK_PORT") {
            let port: u16 = parse(&text)
                .ok_or_else(|| invalid("CLARIFAI_HEALTH_CHECK_PORT", &text, "a port (0: none)"))?;
            config = config.health_port(Some(port).filter(|p| *p > 0));
        }
        Ok(config)
    }

    /// How many streams wait for work at once (4 unless set; at least 1).
    pub fn polls(mut self, polls: usize) -> Self {
        self.polls = polls.max(1);
        self
    }

    /// This replica's id (a fresh random one unless set).
    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// Sets this replica's id.
    pub fn with_replica_id(mut self, id: impl Into<String>) -> Self {
        self.replica_id = id.into();
        self
    }

    /// The runner's id.
    pub fn runner_id(&self) -> &str {
        &self.runner_id
    }

    /// The health endpoints on every interface at `port` (`0`: a free port), or none.
    pub fn health_port(self, port: Option<u16>) -> Self {
        self.health_addr(port.map(|p| SocketAddr::from(([0, 0, 0, 0], p))))
    }

    /// The health endpoints at `addr` (`127.0.0.1:0` for a free port), or none.
    pub fn health_addr(mut self, addr: Option<SocketAddr>) -> Self {
        self.health = addr;
        self
    }

    /// The pause before the first reconnect, doubled at each failure in a row up to `max`.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// Stops the runner with [`RunnerError::ErrorBudget`] after `errors` connection errors in a
    /// row within `window` (120 in 30 minutes unless set).
    pub fn error_budget(mut self, errors: usize, window: Duration) -> Self {
        self.max_errors = errors.max(1);
        self.error_window = window;
        self
    }

    /// How long a stream item's input may pause between two chunks before it is taken as over
    /// (60 s unless set): the model then finishes with what it got.
    pub fn chunk_idle(mut self, idle: Duration) -> Self {
        self.chunk_idle = idle;
        self
    }

    /// The largest post the runner sends, encoded (128 MiB unless set). An output over it is
    /// answered in its place by one with status FAILURE that gives both sizes: the item still ends
    /// as the caller expects, where a post the API refuses would break the runner's stream. (The
    /// SDK's runner cuts the output's text to fit instead, and answers SUCCESS.)
    pub fn max_post_size(mut self, bytes: usize) -> Self {
        self.max_post = bytes;
        self
    }

    /// Whether to keep the control stream (`control-<runner id>`) that brings cancellations
    /// (on unless set).
    pub fn control_stream(mut self, on: bool) -> Self {
        self.control = on;
        self
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

fn invalid(name: &'static str, value: &str, expected: &'static str) -> RunnerError {
    RunnerError::InvalidConfig {
        name,
        value: value.to_owned(),
        expected,
    }
}

/// 32 random hex digits, as the SDK's `uuid4().hex`.
fn fresh_replica_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut out = String::with_capacity(32);
    for half in 0..2u8 {
        let mut hasher = state.build_hasher();
        hasher.write_u8(half);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out
}
