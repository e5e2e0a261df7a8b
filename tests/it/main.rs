//! The integration tests, in one binary (one link instead of three): each module runs against
//! MockV2 over a real socket.

mod auth;
mod client;
mod generated;
