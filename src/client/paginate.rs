//! Pagination: every item of a List rpc, page after page, fetched lazily.

use super::{ClarifaiClient, ResponseStream};
use crate::Error;
use crate::accessors::Paged;
use crate::rpc::PagedRpc;

impl ClarifaiClient {
    /// Yields every item of a paginated List rpc, fetching pages lazily, until a page comes back
    /// empty. That costs one request past the last page, but never stops short when a server
    /// caps `per_page` below what was asked. `per_page` 0 means the client's page size; `page` 0
    /// means the first. The request's metadata and extensions (a timeout, a [`RetryPolicy`],
    /// other [`Credentials`]) go with every page; a failed page ends the stream with its error.
    ///
    /// [`RetryPolicy`]: crate::RetryPolicy
    /// [`Credentials`]: crate::Credentials
    pub fn paginate<R: PagedRpc>(
        &self,
        request: impl tonic::IntoRequest<R::Request>,
    ) -> ResponseStream<R::Item> {
        let (metadata, extensions, mut message) = request.into_request().into_parts();
        if message.per_page() == 0 {
            message.set_per_page(self.config.page_size);
        }
        if message.page() == 0 {
            message.set_page(1);
        }
        let client = self.clone();
        let pages = futures_util::stream::unfold(Some(message), move |state| {
            let client = client.clone();
            let (metadata, extensions) = (metadata.clone(), extensions.clone());
            async move {
                let message = state?;
                let mut next = message.clone();
                next.set_page(next.page().saturating_add(1));
                let request = tonic::Request::from_parts(metadata, extensions, message);
                match client.unary::<R>(request).await {
                    Ok(mut response) => {
                        let batch = std::mem::take(R::items(&mut response));
                        let more = !batch.is_empty();
                        let batch: Vec<Result<R::Item, Error>> =
                            batch.into_iter().map(Ok).collect();
                        Some((futures_util::stream::iter(batch), more.then_some(next)))
                    }
                    Err(e) => Some((futures_util::stream::iter(vec![Err(e)]), None)),
                }
            }
        });
        Box::pin(futures_util::StreamExt::flatten(pages))
    }
}
