//! [`RunnerError`]: why a runner could not start, or stopped.

use std::time::Duration;

/// Why a runner could not start, or stopped on its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// Variables the runner needs are not set.
    #[error("the runner needs {}: set them in the environment", names.join(", "))]
    MissingConfig {
        /// The unset variables.
        names: Vec<&'static str>,
    },

    /// A variable's value is unusable.
    #[error("{name}={value:?} is not {expected}")]
    InvalidConfig {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },

    /// The client could not be built (credentials, endpoint), the API refused the runner's
    /// credentials, or it does not know the runner (CONN_DOES_NOT_EXIST,
    /// RUNNER_DOES_NOT_EXIST): nothing a reconnect would mend.
    #[error("the runner cannot work: {0}")]
    Client(#[source] crate::Error),

    /// The health endpoints could not listen.
    #[error("the health endpoints cannot listen on {addr}: {source}")]
    Health {
        /// Where they were to listen.
        addr: std::net::SocketAddr,
        /// Why not.
        #[source]
        source: std::io::Error,
    },

    /// A poll of the runner panicked (a bug of this crate: a handler's panic is answered as a
    /// failure of its item).
    #[error("a poll of the runner panicked: {0}")]
    Panicked(String),

    /// Too many connection errors in a row: the API has been out of reach for too long.
    #[error("{errors} connection errors in a row within {window:?}; the last: {last}")]
    ErrorBudget {
        /// How many.
        errors: usize,
        /// Within what window.
        window: Duration,
        /// The last of them.
        #[source]
        last: crate::Error,
    },
}
