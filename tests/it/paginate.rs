//! The `list_*_stream` helpers: every page requested in turn, the client's app filled in, a failing
//! page ending the stream, and the default page size.

use clarifai_tonic::api::{self, status::StatusCode};
use clarifai_tonic::rpc;
use futures_util::StreamExt;

use crate::fixture::{Fixture, status, success};
use clarifai_tonic::DEFAULT_PAGE_SIZE;

#[tokio::test]
async fn pagination_yields_every_item_and_stops_at_the_first_empty_page() {
    let (mock, client) = Fixture::fast().start().await;
    mock.on::<rpc::ListModels, _, _>(|req| async move {
        let r = req.into_inner();
        let start = ((r.page.max(1) - 1) * r.per_page) as usize;
        let end = (start + r.per_page as usize).min(25);
        Ok(api::MultiModelResponse {
            status: success(),
            models: (start.min(end)..end)
                .map(|i| api::Model {
                    id: format!("model-{i:02}"),
                    ..Default::default()
                })
                .collect(),
        })
    });
    let request = api::ListModelsRequest {
        per_page: 10,
        ..Default::default()
    };
    let models: Vec<_> = client
        .list_models_stream(request)
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(models.len(), 25);
    assert_eq!(models.first().unwrap(), "model-00");
    assert_eq!(models.last().unwrap(), "model-24");
    let pages: Vec<_> = mock
        .requests::<rpc::ListModels>()
        .iter()
        .map(|r| (r.page, r.per_page))
        .collect();
    // The short third page is not taken for the last: only an empty page ends the stream.
    assert_eq!(pages, [(1, 10), (2, 10), (3, 10), (4, 10)]);
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0]
            .user_app_id
            .as_ref()
            .unwrap()
            .app_id,
        "app"
    );

    // A failing page ends the stream with its error.
    mock.clear_calls();
    mock.respond::<rpc::ListModels>(api::MultiModelResponse {
        status: status(StatusCode::ConnKeyInvalid, "API key not found"),
        ..Default::default()
    });
    let items: Vec<_> = client
        .list_models_stream(api::ListModelsRequest::default())
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(items[0].as_ref().unwrap_err().is_auth());
    // per_page 0 means the client's page size.
    assert_eq!(
        mock.requests::<rpc::ListModels>()[0].per_page,
        DEFAULT_PAGE_SIZE
    );
}

#[tokio::test]
async fn a_server_that_caps_per_page_below_the_ask_loses_no_item() {
    let (mock, client) = Fixture::fast().start().await;
    let models: Vec<api::Model> = (0..120)
        .map(|i| api::Model {
            id: format!("m{i}"),
            ..Default::default()
        })
        .collect();
    mock.respond_pages::<rpc::ListModels>(models, 50);
    // Per-call options reach every page: here, other credentials.
    let mut request = tonic::Request::new(api::ListModelsRequest {
        per_page: 100,
        ..Default::default()
    });
    request
        .extensions_mut()
        .insert(clarifai_tonic::Credentials::pat("other-pat", "someone", "their-app").unwrap());
    let ids: Vec<String> = client
        .list_models_stream(request)
        .map(|m| m.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids.len(), 120, "the server capped pages at 50, none lost");
    let calls = mock.calls_to::<rpc::ListModels>();
    assert_eq!(calls.len(), 4, "50 + 50 + 20, then an empty page");
    assert!(
        calls
            .iter()
            .all(|c| c.header("authorization") == Some("Key other-pat")),
        "the per-call credentials went with every page"
    );
}
