//! [`RunnerApi`]: MockV2 as the API a runner talks to, on `ProcessRunnerItems`. A test scripts
//! the work (items of each method kind, the chunks of a stream item, RUNNER_NEEDS_RETRY answers,
//! cancellations) and reads back everything the runner sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};

use super::MockV2;
use crate::api::status::{Status, StatusCode};
use crate::api::{
    self, MultiRunnerItemResponse, PostModelOutputsRequest, PostRunnerItemOutputsRequest,
    ProcessingInfo, RunnerItem, RunnerItemOutput, RunnerMethodType,
};
use crate::rpc;

/// A piece of work for a runner: an item, and for a stream item the later chunks of its request
/// stream.
#[derive(Clone, Debug)]
pub struct Work {
    item: RunnerItem,
    chunks: Vec<PostModelOutputsRequest>,
    open: bool,
}

impl Work {
    fn new(id: &str, kind: RunnerMethodType, request: PostModelOutputsRequest) -> Work {
        Work {
            item: RunnerItem {
                id: id.to_owned(),
                processing_info: Some(Box::new(ProcessingInfo {
                    runner_method_type: kind as i32,
                    ..Default::default()
                })),
                request: Some(api::runner_item::Request::PostModelOutputsRequest(
                    Box::new(request),
                )),
                ..Default::default()
            },
            chunks: Vec::new(),
            open: false,
        }
    }

    /// A stream item whose caller never ends its input: no RUNNER_STREAM_END after its chunks.
    pub fn without_end(mut self) -> Work {
        self.open = true;
        self
    }

    /// A predict item (UNARY_UNARY).
    pub fn predict(id: &str, request: PostModelOutputsRequest) -> Work {
        Work::new(id, RunnerMethodType::UnaryUnary, request)
    }

    /// A generate item (UNARY_STREAMING).
    pub fn generate(id: &str, request: PostModelOutputsRequest) -> Work {
        Work::new(id, RunnerMethodType::UnaryStreaming, request)
    }

    /// A stream item (STREAMING_STREAMING): `first`, then each of `later` as a chunk of the same
    /// item, then RUNNER_STREAM_END.
    pub fn stream(
        id: &str,
        first: PostModelOutputsRequest,
        later: impl IntoIterator<Item = PostModelOutputsRequest>,
    ) -> Work {
        let mut work = Work::new(id, RunnerMethodType::StreamingStreaming, first);
        work.chunks = later.into_iter().collect();
        work
    }

    /// Any item, as it is given.
    pub fn item(item: RunnerItem) -> Work {
        Work {
            item,
            chunks: Vec::new(),
            open: false,
        }
    }
}

#[derive(Default)]
struct ApiState {
    queue: VecDeque<Work>,
    retries: usize,
    sent: Vec<PostRunnerItemOutputsRequest>,
    controls: Vec<mpsc::Sender<MultiRunnerItemResponse>>,
    waiting: usize,
    handed: Vec<String>,
    finished: Vec<String>,
    cancelled: Vec<String>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<ApiState>,
    changed: Notify,
}

/// The API a runner talks to, on a [`MockV2`]: made by [`MockV2::runner_api`]. Each
/// `ProcessRunnerItems` stream that opens with RUNNER_STREAM_START waits for a piece of
/// [`Work`] and hands it over (one item per stream); a stream whose runner id starts with
/// `control-` gets the cancellations. Cloning gives another handle on the same API.
#[derive(Clone, Default)]
pub struct RunnerApi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunnerApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("RunnerApi")
            .field("queued", &state.queue.len())
            .field("waiting", &state.waiting)
            .field("sent", &state.sent.len())
            .finish()
    }
}

impl MockV2 {
    /// Makes this server the API of a runner: its `ProcessRunnerItems` is answered by the
    /// returned [`RunnerApi`], which the test scripts.
    pub fn runner_api(&self) -> RunnerApi {
        let api = RunnerApi::default();
        let handle = api.clone();
        self.on_bidi::<rpc::ProcessRunnerItems, _, _>(move |request| {
            let (tx, rx) = mpsc::channel::<MultiRunnerItemResponse>(64);
            let incoming = request.into_inner();
            tokio::spawn(handle.clone().serve(Box::pin(incoming), tx));
            let mut rx = rx;
            futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(Ok)
        });
        api
    }
}

fn reply(code: StatusCode, items: Vec<RunnerItem>) -> MultiRunnerItemResponse {
    MultiRunnerItemResponse {
        status: Some(Status {
            code: code as i32,
            ..Default::default()
        }),
        runner_items: items,
    }
}

type Incoming = std::pin::Pin<
    Box<
        dyn futures_core::Stream<Item = Result<PostRunnerItemOutputsRequest, tonic::Status>> + Send,
    >,
>;

impl RunnerApi {
    fn state(&self) -> MutexGuard<'_, ApiState> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update<T>(&self, f: impl FnOnce(&mut ApiState) -> T) -> T {
        let out = f(&mut self.state());
        self.shared.changed.notify_waiters();
        out
    }

    /// Waits until `ready` gives something, checked (and, if it changes the state, changed)
    /// under the lock in one step.
    async fn until<T>(&self, mut ready: impl FnMut(&mut ApiState) -> Option<T>) -> T {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(out) = ready(&mut self.state()) {
                return out;
            }
            changed.await;
        }
    }

    /// Queues `work` for the next runner stream that asks.
    pub fn push(&self, work: Work) {
        self.update(|s| s.queue.push_back(work));
    }

    /// Answers the next `n` streams that ask for work with RUNNER_NEEDS_RETRY (before any
    /// queued work).
    pub fn needs_retry(&self, n: usize) {
        self.update(|s| s.retries += n);
    }

    /// Cancels the item `id`: RUNNER_ITEM_CANCELLED on every open control stream. Returns how
    /// many control streams it was sent on.
    pub fn cancel(&self, id: &str) -> usize {
        let item = RunnerItem {
            id: id.to_owned(),
            processing_info: Some(Box::new(ProcessingInfo {
                status: Some(Status {
                    code: StatusCode::RunnerItemCancelled as i32,
                    ..Default::default()
                }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let controls = self.update(|s| {
            s.cancelled.push(id.to_owned());
            s.controls.clone()
        });
        controls
            .iter()
            .filter(|tx| {
                tx.try_send(reply(StatusCode::RunnerItemCancelled, vec![item.clone()]))
                    .is_ok()
            })
            .count()
    }

    /// Everything the runners sent, in order: handshakes (RUNNER_STREAM_START), control
    /// handshakes and results.
    pub fn sent(&self) -> Vec<PostRunnerItemOutputsRequest> {
        self.state().sent.clone()
    }

    /// The outputs posted for the item `id`, in order.
    pub fn outputs(&self, id: &str) -> Vec<RunnerItemOutput> {
        self.state()
            .sent
            .iter()
            .filter(|m| m.runner_item_id == id)
            .flat_map(|m| m.runner_item_outputs.clone())
            .collect()
    }

    /// The messages posted for the item `id`, in order.
    pub fn posts(&self, id: &str) -> Vec<PostRunnerItemOutputsRequest> {
        let state = self.state();
        let sent = state.sent.iter().filter(|m| m.runner_item_id == id);
        sent.cloned().collect()
    }

    /// How many work streams are open and waiting for work now.
    pub fn waiting(&self) -> usize {
        self.state().waiting
    }

    /// Waits until `n` work streams are open and waiting for work.
    pub async fn wait_waiting(&self, n: usize) {
        self.until(|s| (s.waiting >= n).then_some(())).await
    }

    /// Waits until `n` control streams are open.
    pub async fn wait_controls(&self, n: usize) {
        self.until(|s| (s.controls.iter().filter(|c| !c.is_closed()).count() >= n).then_some(()))
            .await
    }

    /// Waits until the item `id` was handed to a runner.
    pub async fn wait_handed(&self, id: &str) {
        self.until(|s| s.handed.iter().any(|h| h == id).then_some(()))
            .await
    }

    /// Waits until the runner has posted `n` messages for the item `id`.
    pub async fn wait_posts(&self, id: &str, n: usize) {
        self.until(|s| {
            let posted = s.sent.iter().filter(|m| m.runner_item_id == id).count();
            (posted >= n).then_some(())
        })
        .await
    }

    /// Waits until the runner has closed the stream of the item `id` (its work is over), and
    /// returns its outputs.
    pub async fn wait_done(&self, id: &str) -> Vec<RunnerItemOutput> {
        self.until(|s| s.finished.iter().any(|f| f == id).then_some(()))
            .await;
        self.outputs(id)
    }

    /// Waits for what this stream gets: a RUNNER_NEEDS_RETRY answer (`None`) or a piece of work,
    /// checked and taken in one step so that no other stream can take it between.
    async fn take(&self) -> Option<Work> {
        let taken = self
            .until(|s| {
                let taken = match s.retries {
                    0 => Some(s.queue.pop_front()?),
                    _ => {
                        s.retries -= 1;
                        None
                    }
                };
                s.waiting -= 1;
                Some(taken)
            })
            .await;
        self.shared.changed.notify_waiters();
        taken
    }

    /// Serves one `ProcessRunnerItems` stream.
    async fn serve(self, mut incoming: Incoming, tx: mpsc::Sender<MultiRunnerItemResponse>) {
        let Some(Ok(first)) = incoming.next().await else {
            return;
        };
        let control = first.runner_id.starts_with("control-");
        self.update(|s| {
            s.sent.push(first);
            if control {
                s.controls.push(tx.clone());
            }
        });
        if control {
            while let Some(Ok(message)) = incoming.next().await {
                self.update(|s| s.sent.push(message));
            }
            self.update(|s| s.controls.retain(|c| !c.same_channel(&tx)));
            return;
        }
        self.update(|s| s.waiting += 1);
        let work = tokio::select! {
            work = self.take() => work,
            // The runner left (or sent something) before any work came.
            message = incoming.next() => {
                self.update(|s| {
                    s.waiting -= 1;
                    s.sent.extend(message.and_then(Result::ok));
                });
                return;
            }
        };
        let Some(work) = work else {
            let _ = tx
                .send(reply(StatusCode::RunnerNeedsRetry, Vec::new()))
                .await;
            return;
        };
        let id = work.item.id.clone();
        let again = work.clone();
        let back = work.clone();
        let streamed =
            work.item.processing_info.as_ref().is_some_and(|p| {
                p.runner_method_type == RunnerMethodType::StreamingStreaming as i32
            });
        let mut replies = vec![reply(StatusCode::Success, vec![work.item.clone()])];
        for chunk in work.chunks {
            let mut item = work.item.clone();
            item.request = Some(api::runner_item::Request::PostModelOutputsRequest(
                Box::new(chunk),
            ));
            replies.push(reply(StatusCode::Success, vec![item]));
        }
        if streamed && !work.open {
            replies.push(reply(StatusCode::RunnerStreamEnd, Vec::new()));
        }
        for message in replies {
            if tx.send(message).await.is_err() {
                // The runner is gone: the work goes back for another.
                self.update(|s| s.queue.push_front(back));
                return;
            }
        }
        self.update(|s| s.handed.push(id.clone()));
        let mut vanished = false;
        loop {
            match incoming.next().await {
                Some(Ok(message)) => self.update(|s| s.sent.push(message)),
                // A cut stream may still hold messages sent before the cut.
                Some(Err(_)) => vanished = true,
                None => break,
            }
        }
        self.update(|s| {
            let cancelled = s.cancelled.contains(&id);
            if vanished && !cancelled && !s.sent.iter().any(|m| m.runner_item_id == id) {
                // The runner left before it took the item (its stream was cut, not closed):
                // the item goes to another, as the API reassigns it (unless it was cancelled).
                s.queue.push_front(again);
            } else {
                s.finished.push(id);
            }
        });
    }
}
