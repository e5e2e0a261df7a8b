//! The runner's side of `ProcessRunnerItems`, as the official runner (`clarifai-protocol`) speaks
//! it: each stream opens with RUNNER_STREAM_START and the runner's ids, gets one item (or
//! RUNNER_NEEDS_RETRY), posts that item's outputs with its id, and ends; a stream item's later
//! requests come on the same stream until RUNNER_STREAM_END. The control stream (`control-<runner
//! id>`) only listens for RUNNER_ITEM_CANCELLED.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::config::RunnerConfig;
use super::error::RunnerError;
use super::item::{self, kind_of, request_of};
use super::model::Model;
use crate::api::status::{Status, StatusCode};
use crate::api::{
    self, MultiRunnerItemResponse, PostRunnerItemOutputsRequest, RunnerItem, RunnerItemOutput,
    RunnerMethodType,
};
use crate::{ClarifaiClient, Error, rpc};

/// How long a finished item's stream is given to close after the runner closed its side.
const CLOSE_GRACE: Duration = Duration::from_secs(10);

/// What the polls, the control stream and the health endpoints share.
pub(crate) struct Shared {
    pub(crate) model: Arc<Model>,
    pub(crate) client: ClarifaiClient,
    pub(crate) config: RunnerConfig,
    /// `true` once the runner takes no new work.
    pub(crate) stop: watch::Sender<bool>,
    /// `true` once every poll has ended.
    pub(crate) done: watch::Sender<bool>,
    /// The items in hand, each with the switch that cancels it (by id, then by a serial of its
    /// own: the API may hand the same item twice).
    in_flight: Mutex<InFlight>,
    /// The connection errors since the last working stream.
    errors: Mutex<VecDeque<Instant>>,
}

impl Shared {
    pub(crate) fn new(model: Arc<Model>, client: ClarifaiClient, config: RunnerConfig) -> Self {
        Shared {
            model,
            client,
            config,
            stop: watch::channel(false).0,
            done: watch::channel(false).0,
            in_flight: Mutex::new(InFlight::default()),
            errors: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves once the runner takes no new work.
    async fn stopped(&self) {
        let mut stop = self.stop.subscribe();
        let _ = stop.wait_for(|s| *s).await;
    }

    /// Cancels the item `id`: now if it is in hand, and when it comes if it is not yet.
    fn cancel(&self, id: &str) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        tracing::info!(item = id, "runner: item cancelled");
        in_flight.cancel(id);
    }

    /// Cancels every item in hand (a forced stop).
    pub(crate) fn cancel_all(&self) {
        let in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        for switch in in_flight.items.values().flatten() {
            switch.1.send_replace(true);
        }
    }

    /// Tracks the item `id` while it is in hand; the receiver turns `true` when it is cancelled.
    fn track(&self, id: &str) -> (u64, watch::Receiver<bool>) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.track(id)
    }

    fn untrack(&self, id: &str, serial: u64) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.untrack(id, serial);
    }

    /// A stream worked: the error budget starts over.
    fn connected(&self) {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Counts a connection error against the budget; spent, it is the runner's end.
    fn failed(&self, error: Error) -> Result<(), RunnerError> {
        let config = &self.config;
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        errors.push_back(now);
        while errors
            .front()
            .is_some_and(|t| now.duration_since(*t) > config.error_window)
        {
            errors.pop_front();
        }
        tracing::warn!(error = %error, errors = errors.len(), "runner: connection error");
        if errors.len() >= config.max_errors {
            return Err(RunnerError::ErrorBudget {
                errors: errors.len(),
                window: config.error_window,
                last: error,
            });
        }
        Ok(())
    }

    /// A message from this runner (as `runner_id`), with its ids and `status`.
    fn message(
        &self,
        runner_id: String,
        code: StatusCode,
        description: &str,
    ) -> PostRunnerItemOutputsRequest {
        let config = &self.config;
        PostRunnerItemOutputsRequest {
            user_app_id: Some(api::UserAppIdSet {
                user_id: config.user_id.clone(),
                app_id: String::new(),
            }),
            nodepool_id: config.nodepool_id.clone(),
            runner_id,
            compute_cluster_id: config.compute_cluster_id.clone(),
            status: Some(Status {
                code: code as i32,
                description: description.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The first message of a stream: RUNNER_STREAM_START with the runner's ids.
    fn handshake(&self, runner_id: String, description: &str) -> PostRunnerItemOutputsRequest {
        PostRunnerItemOutputsRequest {
            runner_replica_id: self.config.replica_id.clone(),
            ..self.message(runner_id, StatusCode::RunnerStreamStart, description)
        }
    }

    /// One output of the item `id`, posted as the official runner posts it (SUCCESS, with no
    /// replica id); an output over the configured `max_post` is replaced by a FAILURE naming
    /// both sizes.
    fn post(&self, id: &str, output: RunnerItemOutput) -> PostRunnerItemOutputsRequest {
        let mut post = PostRunnerItemOutputsRequest {
            runner_item_id: id.to_owned(),
            runner_item_outputs: vec![output],
            ..self.message(
                self.config.runner_id.clone(),
                StatusCode::Success,
                "Success",
            )
        };
        let size = prost::Message::encoded_len(&post);
        if size > self.config.max_post {
            let limit = self.config.max_post;
            tracing::warn!(item = %id, size, limit, "runner: output too large to post");
            post.runner_item_outputs = vec![item::too_large(size, limit)];
        }
        post
    }

    /// Pauses for `pause`, or less if the runner stops meanwhile.
    async fn pause(&self, pause: Duration) {
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = self.stopped() => {}
        }
    }
}

/// How many cancelled item ids are kept for an item that comes after its cancellation (the
/// control stream and the item's stream are different streams, and may race).
const RECENTLY_CANCELLED: usize = 1024;

/// The items in hand and the ids cancelled lately.
#[derive(Default)]
struct InFlight {
    items: HashMap<String, Vec<(u64, watch::Sender<bool>)>>,
    serial: u64,
    cancelled: VecDeque<String>,
}

impl InFlight {
    fn track(&mut self, id: &str) -> (u64, watch::Receiver<bool>) {
        let early = self.cancelled.iter().any(|c| c == id);
        let (switch, cancelled) = watch::channel(early);
        self.serial += 1;
        let entries = self.items.entry(id.to_owned()).or_default();
        entries.push((self.serial, switch));
        (self.serial, cancelled)
    }

    fn untrack(&mut self, id: &str, serial: u64) {
        if let Some(entries) = self.items.get_mut(id) {
            entries.retain(|(s, _)| *s != serial);
            if entries.is_empty() {
                self.items.remove(id);
            }
        }
    }

    fn cancel(&mut self, id: &str) {
        for (_, switch) in self.items.get(id).into_iter().flatten() {
            switch.send_replace(true);
        }
        if !self.cancelled.iter().any(|c| c == id) {
            if self.cancelled.len() == RECENTLY_CANCELLED {
                self.cancelled.pop_front();
            }
            self.cancelled.push_back(id.to_owned());
        }
    }
}

/// Whether the API says this runner is gone: nothing a reconnect would mend.
fn runner_gone(error: &Error) -> bool {
    error.clarifai().is_some_and(|e| {
        e.code == StatusCode::ConnDoesNotExist || e.code == StatusCode::RunnerDoesNotExist
    })
}

/// What a poll does next.
enum Next {
    /// Open a new stream at once.
    Again,
    /// Pause, then open a new stream.
    Pause,
    /// The runner stopped.
    Stopped,
}

fn closed_early() -> Error {
    Error::Grpc {
        rpc: <rpc::ProcessRunnerItems as rpc::Rpc>::INFO.name,
        status: Box::new(tonic::Status::unavailable(
            "the API closed the stream before handing any work",
        )),
    }
}

/// One poll: streams, one after the other, until the runner stops or its error budget is spent.
pub(crate) async fn poll(shared: Arc<Shared>) -> Result<(), RunnerError> {
    let config = &shared.config;
    let mut pause = config.backoff;
    loop {
        if shared.stopping() {
            return Ok(());
        }
        match one_stream(&shared).await {
            Ok(Next::Again) => pause = config.backoff,
            Ok(Next::Pause) => {
                pause = config.backoff;
                shared.pause(pause).await;
            }
            Ok(Next::Stopped) => return Ok(()),
            Err(e) if e.is_auth() || runner_gone(&e) => return Err(RunnerError::Client(e)),
            Err(e) => {
                shared.failed(e)?;
                shared.pause(pause).await;
                pause = (pause * 2).min(config.max_backoff);
            }
        }
    }
}

/// One stream: the handshake, one item (or an answer that means "ask again"), its outputs.
async fn one_stream(shared: &Shared) -> Result<Next, Error> {
    let (tx, rx) = mpsc::channel::<PostRunnerItemOutputsRequest>(32);
    let handshake = shared.handshake(shared.config.runner_id.clone(), "Success");
    // The channel is empty: the handshake always fits.
    let _ = tx.try_send(handshake);
    let mut rx = rx;
    let requests = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let opened = tokio::select! {
        opened = shared.client.process_runner_items(requests) => opened,
        () = shared.stopped() => return Ok(Next::Stopped),
    };
    let mut replies = opened?;
    // No idle limit: a runner waits for work as long as there is none. An item already on its
    // way wins over a stop that comes at the same time.
    let first = tokio::select! {
        biased;
        reply = replies.next() => reply,
        () = shared.stopped() => return Ok(Next::Stopped),
    };
    let reply = first.ok_or_else(closed_early)??;
    shared.connected();
    let code = reply.status.as_ref().map_or(0, |s| s.code);
    match StatusCode::try_from(code) {
        Ok(StatusCode::Success) => match reply.runner_items.into_iter().next() {
            Some(item) => {
                work(shared, item, replies, tx).await;
                Ok(Next::Again)
            }
            None => Ok(Next::Pause), // no work: ask again after a pause
        },
        Ok(StatusCode::RunnerNeedsRetry)
        | Ok(StatusCode::RunnerItemCancelled)
        | Ok(StatusCode::RunnerStreamEnd) => Ok(Next::Again),
        _ => {
            tracing::warn!(code, "runner: unexpected answer to a request for work");
            Ok(Next::Pause)
        }
    }
}

/// The next reply, or an error at `deadline` without one.
async fn next_reply(
    replies: &mut crate::ResponseStream<MultiRunnerItemResponse>,
    deadline: Option<Instant>,
) -> Result<Option<Result<MultiRunnerItemResponse, Error>>, tokio::time::error::Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, replies.next()).await,
        None => Ok(replies.next().await),
    }
}

/// A stream item's next chunks, to its model; whether there was one.
fn forward(
    chunks: Option<&mpsc::UnboundedSender<api::PostModelOutputsRequest>>,
    reply: MultiRunnerItemResponse,
) -> bool {
    let Some(chunks) = chunks else { return false };
    let mut any = false;
    for request in reply.runner_items.into_iter().filter_map(request_of) {
        any |= chunks.send(request).is_ok();
    }
    any
}

/// Resolves when the item is cancelled (never, if its switch is gone).
async fn cancellation(cancelled: &mut watch::Receiver<bool>) {
    if cancelled.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn code_of(reply: &MultiRunnerItemResponse) -> Option<StatusCode> {
    StatusCode::try_from(reply.status.as_ref()?.code).ok()
}

/// Runs `item`, posting each output on `tx`, until its outputs end or it is cancelled (by the
/// control stream, or by RUNNER_ITEM_CANCELLED on its own stream).
async fn work(
    shared: &Shared,
    item: RunnerItem,
    mut replies: crate::ResponseStream<MultiRunnerItemResponse>,
    tx: mpsc::Sender<PostRunnerItemOutputsRequest>,
) {
    let id = item.id.clone();
    let streamed = kind_of(&item) == RunnerMethodType::StreamingStreaming;
    let (serial, mut cancelled) = shared.track(&id);
    let chunk_idle = shared.config.chunk_idle;
    // The input of a stream item ends when no chunk came for `chunk_idle` (outputs meanwhile do
    // not count).
    let mut chunk_deadline = Instant::now() + chunk_idle;
    let mut dropped = false;
    let (chunk_tx, mut chunk_rx) = mpsc::unbounded_channel();
    let mut chunk_tx = streamed.then_some(chunk_tx);
    let chunks = futures_util::stream::poll_fn(move |cx| chunk_rx.poll_recv(cx));
    let mut outputs = item::run(shared.model.clone(), item, chunks);
    let mut open = true;
    loop {
        tokio::select! {
            output = outputs.next() => match output {
                Some(output) => {
                    // A post waits for the API to read (flow control); a cancellation does not.
                    let post = shared.post(&id, output);
                    let sent = tokio::select! {
                        sent = tx.send(post) => sent.is_ok(),
                        () = cancellation(&mut cancelled) => {
                            dropped = true;
                            false
                        }
                    };
                    if !sent {
                        break;
                    }
                }
                None => break,
            },
            reply = next_reply(&mut replies, chunk_tx.is_some().then_some(chunk_deadline)), if open => {
                match reply {
                    // The caller sent no chunk for too long: its input is over.
                    Err(_) => {
                        tracing::warn!(item = %id, ?chunk_idle, "runner: no stream chunk in time");
                        chunk_tx = None;
                    }
                    Ok(Some(Ok(reply))) => match code_of(&reply) {
                        Some(StatusCode::RunnerStreamEnd) => chunk_tx = None,
                        Some(StatusCode::RunnerItemCancelled) => {
                            dropped = true;
                            break;
                        }
                        _ => {
                            if forward(chunk_tx.as_ref(), reply) {
                                chunk_deadline = Instant::now() + chunk_idle;
                            }
                        }
                    },
                    // The stream is gone: no more chunks, nowhere to post. The work stops.
                    Ok(Some(Err(_)) | None) => {
                        open = false;
                        break;
                    }
                }
            }
            () = cancellation(&mut cancelled) => {
                dropped = true;
                break;
            }
        }
    }
    shared.untrack(&id, serial);
    drop(outputs);
    drop(chunk_tx);
    drop(tx);
    if open && !dropped {
        // The runner's side is closed: the API ends the stream. (A cancelled item's stream is
        // dropped at once.)
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while replies.next().await.is_some() {}
        })
        .await;
    }
}

/// The control stream: listens for cancellations, reconnecting with backoff, until every poll
/// has ended.
pub(crate) async fn control(shared: Arc<Shared>) {
    let config = &shared.config;
    let mut done = shared.done.subscribe();
    let mut pause = config.backoff;
    loop {
        if *done.borrow_and_update() {
            return;
        }
        let listened = tokio::select! {
            listened = listen(&shared) => listened,
            () = finished(&mut done) => return,
        };
        match listened {
            Ok(()) => pause = config.backoff,
            Err(e) => tracing::warn!(error = %e, "runner: control stream failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = finished(&mut done) => return,
        }
        pause = (pause * 2).min(config.max_backoff);
    }
}

async fn finished(done: &mut watch::Receiver<bool>) {
    let _ = done.wait_for(|d| *d).await;
}

async fn listen(shared: &Shared) -> Result<(), Error> {
    let control_id = format!("control-{}", shared.config.runner_id);
    let (tx, mut rx) = mpsc::channel::<PostRunnerItemOutputsRequest>(1);
    let _ = tx.try_send(shared.handshake(control_id, "Control connection"));
    let requests = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut replies = shared.client.process_runner_items(requests).await?;
    while let Some(reply) = replies.next().await {
        let reply = reply?;
        let stream_cancelled = code_of(&reply) == Some(StatusCode::RunnerItemCancelled);
        for item in &reply.runner_items {
            let item_cancelled = item
                .processing_info
                .as_ref()
                .and_then(|p| p.status.as_ref())
                .is_some_and(|s| s.code == StatusCode::RunnerItemCancelled as i32);
            if stream_cancelled || item_cancelled {
                shared.cancel(&item.id);
            }
        }
    }
    drop(tx);
    Ok(())
}
