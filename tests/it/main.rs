//! The integration tests, in one binary (one link instead of several): each module runs against
//! MockV2 over a real socket. The shared setup and helpers are in `fixture`.

mod auth;
mod binpb;
#[cfg(feature = "blocking")]
mod blocking;
mod build_errors;
mod classification;
mod cli_context;
mod connection;
mod deadline;
mod faults;
mod fidelity;
mod fixture;
mod generated;
#[cfg(feature = "gzip")]
mod gzip;
mod handles;
mod interop;
mod limits;
mod methods;
mod methods_sdk;
mod paginate;
mod progress;
mod proxy;
mod retry;
mod spans;
mod status;
mod status_names;
mod streams;
mod transport;
mod url;
mod user_app_id;
mod warm_up;
