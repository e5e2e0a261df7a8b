//! The integration tests, in one binary (one link instead of several): each module runs against
//! MockV2 over a real socket. The shared setup and helpers are in `fixture`.

mod auth;
#[cfg(feature = "blocking")]
mod blocking;
mod cli_context;
mod connection;
mod deadline;
mod faults;
mod fidelity;
mod fixture;
mod generated;
mod handles;
mod limits;
mod paginate;
mod retry;
mod spans;
mod status;
mod status_names;
mod streams;
mod url;
