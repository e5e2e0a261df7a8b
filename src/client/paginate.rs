//! Pagination: every item of a List rpc, page after page, fetched lazily.

use std::sync::Arc;

use super::{ClarifaiClient, ResponseStream};
use crate::Error;
use crate::accessors::Paged;
use crate::rpc::UnaryRpc;

impl ClarifaiClient {
    /// Yields every item of a paginated List rpc, fetching pages lazily: it stops after an empty
    /// or short page. `per_page` 0 means the client's page size; `page` 0 means the first.
    pub fn paginate<R, T, F>(&self, request: R::Request, items: F) -> ResponseStream<T>
    where
        R: UnaryRpc,
        R::Request: Paged,
        T: Send + 'static,
        F: Fn(&mut R::Response) -> Vec<T> + Send + Sync + 'static,
    {
        let mut request = request;
        if request.per_page() == 0 {
            request.set_per_page(self.config.page_size);
        }
        if request.page() == 0 {
            request.set_page(1);
        }
        let client = self.clone();
        let per_page = request.per_page() as usize;
        let items = Arc::new(items);
        // Decide whether to fetch another page inside the unfold, so that no request goes out
        // after the last (empty or short) page.
        let pages = futures_util::stream::unfold(Some(request), move |state| {
            let client = client.clone();
            let items = items.clone();
            async move {
                let request = state?;
                let mut next = request.clone();
                next.set_page(next.page().saturating_add(1));
                match client.unary::<R>(tonic::Request::new(request)).await {
                    Ok(mut response) => {
                        let batch = items(&mut response);
                        let more = batch.len() >= per_page && !batch.is_empty();
                        let batch: Vec<Result<T, Error>> = batch.into_iter().map(Ok).collect();
                        Some((futures_util::stream::iter(batch), more.then_some(next)))
                    }
                    Err(e) => Some((futures_util::stream::iter(vec![Err(e)]), None)),
                }
            }
        });
        Box::pin(futures_util::StreamExt::flatten(pages))
    }
}
