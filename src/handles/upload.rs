//! [`Upload`] settings and the [`Uploader`] that sends an app's inputs in batches.

use std::sync::Arc;

use futures_core::Stream;
use futures_util::StreamExt;

use super::{AppHandle, MAX_BATCH};
use crate::Error;
use crate::api;
use crate::api::status::{Status, StatusCode};

/// What [`Upload::on_progress`] keeps.
type ProgressHook = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// How [`AppHandle::upload`] sends inputs.
#[derive(Clone)]
pub struct Upload {
    batch_size: usize,
    concurrency: usize,
    rounds: u32,
    progress: Option<ProgressHook>,
}

impl Default for Upload {
    fn default() -> Self {
        Upload {
            batch_size: MAX_BATCH,
            concurrency: 4,
            rounds: 3,
            progress: None,
        }
    }
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("batch_size", &self.batch_size)
            .field("concurrency", &self.concurrency)
            .field("rounds", &self.rounds)
            .finish_non_exhaustive()
    }
}

impl Upload {
    /// Inputs per PostInputs request (1 to [`MAX_BATCH`], the default).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::handles::Upload::default().batch_size(32);
    /// ```
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.clamp(1, MAX_BATCH);
        self
    }

    /// Requests in flight at once (at least 1; default 4).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::handles::Upload::default().concurrency(8);
    /// ```
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How many times an input whose own status says "try later" (throttling, see
    /// [`DEFAULT_RETRY_CODES`](crate::DEFAULT_RETRY_CODES)) is sent in all (at least 1;
    /// default 3).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::handles::Upload::default().rounds(1); // no re-sends
    /// ```
    pub fn rounds(mut self, n: u32) -> Self {
        self.rounds = n.max(1);
        self
    }

    /// Called after each batch's answer, with the counts so far (hook a progress bar here).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::handles::Upload::default()
    ///     .on_progress(|p| eprintln!("{} done, {} accepted, {} failed", p.done, p.accepted, p.failed));
    /// ```
    pub fn on_progress(mut self, f: impl Fn(&UploadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// The counts so far of an upload, for [`Upload::on_progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Inputs answered, accepted or not.
    pub done: usize,
    /// Inputs the server accepted so far.
    pub accepted: usize,
    /// Inputs that failed so far (rejected, or in a batch that failed).
    pub failed: usize,
}

/// An upload ready to run: [`AppHandle::upload`] made it.
#[derive(Debug)]
pub struct Uploader {
    pub(super) app: AppHandle,
    pub(super) settings: Upload,
}

/// What an upload did with each input.
#[derive(Debug, Default)]
pub struct UploadSummary {
    /// The ids of the inputs the server accepted (ids it gave inputs that had none included).
    pub accepted: Vec<String>,
    /// The inputs the server rejected, each with its own status.
    pub rejected: Vec<(String, Status)>,
    /// Batches that failed as a whole (a transport failure, an auth failure, ...): the ids of
    /// their inputs (empty for an input without an id) and the error.
    pub failed_batches: Vec<(Vec<String>, Error)>,
}

impl UploadSummary {
    /// Whether every input was accepted.
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let summary = client.my_app().upload_inputs([Input::from_text("hello")]).await;
    /// if !summary.is_complete() {
    ///     eprintln!("{} failed", summary.failed());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_complete(&self) -> bool {
        self.rejected.is_empty() && self.failed_batches.is_empty()
    }

    /// Every input that failed, with why: the rejected ones with their status's description, and
    /// each input of a failed batch with the batch's error (an input without an id shows as
    /// `""`).
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let summary = client.my_app().upload_inputs([Input::from_text("hello")]).await;
    /// for (id, why) in summary.failures() {
    ///     eprintln!("{id}: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn failures(&self) -> Vec<(&str, String)> {
        let rejected = self
            .rejected
            .iter()
            .map(|(id, status)| (id.as_str(), status.description.clone()));
        let in_batches = self
            .failed_batches
            .iter()
            .flat_map(|(ids, e)| ids.iter().map(move |id| (id.as_str(), e.to_string())));
        rejected.chain(in_batches).collect()
    }

    /// How many inputs failed (rejected, or in a failed batch).
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let summary = client.my_app().upload_inputs([Input::from_text("hello")]).await;
    /// assert_eq!(summary.failed(), summary.failures().len());
    /// # Ok(()) }
    /// ```
    pub fn failed(&self) -> usize {
        self.rejected.len()
            + self
                .failed_batches
                .iter()
                .map(|(ids, _)| ids.len())
                .sum::<usize>()
    }
}

/// The codes with which the server accepts an input of PostInputs (processed, or queued).
fn accepted(code: i32) -> bool {
    [
        StatusCode::Success,
        StatusCode::InputSuccess,
        StatusCode::InputPending,
        StatusCode::InputInProgress,
    ]
    .iter()
    .any(|c| *c as i32 == code)
}

impl Uploader {
    /// Sends every input of `inputs` in batches, `concurrency` requests at a time, and tells
    /// what became of each. Never fails as a whole: a batch that fails is in the summary with
    /// its error, and the others go on. An input rejected with a code that says "try later" is
    /// sent again in a later round, up to [`Upload::rounds`] times. `inputs` is read as the
    /// batches go, not gathered first.
    ///
    /// ```no_run
    /// use clarifai_tonic::{api::Input, stream, handles::Upload};
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let inputs = stream::iter((0..1000).map(|i| Input::from_text(format!("line {i}"))));
    /// let summary = client.my_app().upload(Upload::default()).run(inputs).await;
    /// # Ok(()) }
    /// ```
    pub async fn run(self, inputs: impl Stream<Item = api::Input> + Send) -> UploadSummary {
        let mut state = UploadState::default();
        let first = inputs.chunks(self.settings.batch_size);
        self.send(first, 1, &mut state).await;
        for round in 2..=self.settings.rounds {
            if state.again.is_empty() {
                break;
            }
            tokio::time::sleep(self.app.client.retry_delay(round - 1)).await;
            let again = std::mem::take(&mut state.again);
            let batches: Vec<Vec<api::Input>> = again
                .chunks(self.settings.batch_size)
                .map(<[api::Input]>::to_vec)
                .collect();
            self.send(futures_util::stream::iter(batches), round, &mut state)
                .await;
        }
        state.summary
    }

    /// One round: every batch of `batches`, `concurrency` at a time.
    async fn send(
        &self,
        batches: impl Stream<Item = Vec<api::Input>> + Send,
        round: u32,
        state: &mut UploadState,
    ) {
        let last_round = round >= self.settings.rounds;
        let mut answers = std::pin::pin!(
            batches
                .map(|batch| {
                    let request = api::PostInputsRequest {
                        user_app_id: self.app.app.clone(),
                        inputs: batch.clone(),
                        ..Default::default()
                    };
                    async move {
                        let answer = match self.app.client.post_inputs(request).await {
                            Err(e) if e.is_mixed_status() => {
                                e.into_response::<api::MultiInputResponse>()
                            }
                            other => other,
                        };
                        (batch, answer)
                    }
                })
                .buffer_unordered(self.settings.concurrency)
        );
        while let Some((batch, answer)) = answers.next().await {
            state.record(batch, answer, last_round);
            if let Some(report) = &self.settings.progress {
                report(&state.progress);
            }
        }
    }
}

/// An upload's tally as it goes.
#[derive(Default)]
struct UploadState {
    summary: UploadSummary,
    progress: UploadProgress,
    /// Inputs to send again in the next round.
    again: Vec<api::Input>,
}

impl UploadState {
    /// What one batch's answer says of each of its inputs.
    fn record(
        &mut self,
        batch: Vec<api::Input>,
        answer: Result<api::MultiInputResponse, Error>,
        last_round: bool,
    ) {
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                let ids: Vec<String> = batch.into_iter().map(|i| i.id).collect();
                self.progress.failed += ids.len();
                self.progress.done += ids.len();
                self.summary.failed_batches.push((ids, e));
                return;
            }
        };
        let mut originals = batch.into_iter();
        for input in response.inputs {
            let original = originals.next();
            let code = input.status.as_ref().map_or(0, |s| s.code);
            if accepted(code) {
                self.summary.accepted.push(input.id);
                self.progress.accepted += 1;
            } else if !last_round && crate::DEFAULT_RETRY_CODES.contains(&code) {
                // Send the input as it was given, not as the server echoed it back.
                let again = original.filter(|o| o.id == input.id || o.id.is_empty());
                self.again.push(again.unwrap_or(input));
                continue;
            } else {
                self.summary
                    .rejected
                    .push((input.id, input.status.unwrap_or_default()));
                self.progress.failed += 1;
            }
            self.progress.done += 1;
        }
    }
}
