//! The integration tests, in one binary (one link instead of several): each module runs against
//! MockV2 over a real socket, or against the build's own output. What the modules share and is
//! not a test (the MockV2 fixture, the hand-driven HTTP/2 server, the TCP relay, ...) is in
//! `support`.

mod auth;
mod binpb;
#[cfg(feature = "blocking")]
mod blocking;
mod build_errors;
mod call_options;
mod classification;
mod cli_context;
mod connection;
mod deadline;
mod endpoint;
mod fidelity;
mod generated;
#[cfg(feature = "gzip")]
mod gzip;
mod handles;
mod interop;
mod limits;
mod local_server;
mod methods;
mod methods_sdk;
mod old_format;
mod paginate;
mod progress;
mod proxy;
mod resend;
mod retry;
mod runner;
mod runner_lifecycle;
mod runner_official;
mod secrets;
mod spans;
mod status;
mod status_names;
mod streams;
mod support;
mod tls;
mod transport;
mod url;
mod user_app_id;
mod warm_up;
