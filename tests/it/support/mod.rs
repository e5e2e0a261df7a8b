//! What the test modules share that is not a test: the MockV2 [`fixture`] with its builders, the
//! hand-driven HTTP/2 server [`h2_server`] and the TCP relay [`relay`] of the transport-fault
//! tests with the calls and checks they share ([`faults`]), the credentials tests' server and
//! secret ([`credentials`]), the Rust twin of the Python echo model ([`echo`]), the runner
//! example's model ([`classifier`]), the official runner's command ([`official_runner`]), the
//! model-method signatures ([`methods`]), the runner tests' helpers ([`runner`]), and the two
//! descriptor sets ([`descriptors`]).

/// The runner example's model, as the example serves it.
#[path = "../../../examples/common/classifier.rs"]
pub mod classifier;
pub mod credentials;
pub mod descriptors;
pub mod echo;
pub mod faults;
pub mod fixture;
pub mod h2_server;
pub mod methods;
/// The official runner's command line, as the runner load example starts it.
#[path = "../../../examples/common/official_runner.rs"]
pub mod official_runner;
pub mod relay;
pub mod runner;
