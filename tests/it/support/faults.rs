//! What the transport-fault tests share: the hang guard, a client and a PostInputs call, and the
//! check of what a [`TransportFault`] says and keeps in its source chain.

use std::error::Error as _;
use std::time::Duration;

use clarifai_tonic::api;
use clarifai_tonic::{ClarifaiClient, Error, error::TransportFault};

use super::fixture::Fixture;

/// The hang guard of every wait in the fault tests: far above what any of them takes.
pub const GUARD: Duration = Duration::from_secs(20);

/// A client with [`Fixture::fast`]'s settings for the server at `url`.
pub fn client_for(url: String) -> ClarifaiClient {
    Fixture::fast().client(url)
}

/// A PostInputs of one image through `client`; a call that outlasts [`GUARD`] fails the test.
pub async fn post_inputs(client: &ClarifaiClient) -> Result<api::MultiInputResponse, Error> {
    tokio::time::timeout(
        GUARD,
        client.post_inputs(api::PostInputsRequest {
            inputs: vec![api::Input::image_url("https://example.com/a.jpg")],
            ..Default::default()
        }),
    )
    .await
    .expect("the call hung")
}

/// The names of an error's source chain, outermost first.
pub fn chain(err: &Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = err.source();
    while let Some(e) = next {
        out.push(format!("{e:?}"));
        next = e.source();
    }
    out
}

/// Asserts that `err` is the transport fault `fault`, that its Display says each of `words`, and
/// that its source chain holds `cause`.
#[track_caller]
pub fn assert_fault(err: &Error, fault: TransportFault, words: &[&str], cause: &str) {
    assert_eq!(err.transport_fault(), Some(fault), "{err:?}");
    let text = err.to_string();
    for word in words {
        assert!(text.contains(word), "{word:?} not in {text}");
    }
    let chain = chain(err);
    assert!(
        chain.iter().any(|e| e.contains(cause)),
        "{cause:?} not in the source chain {chain:?}"
    );
}
