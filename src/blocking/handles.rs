//! The blocking handles: a model, an app, a workflow and an upload, each call waiting for its
//! answer.

use std::sync::Arc;

use super::{ClarifaiClient, ResponseIter, Runtime};
use crate::api::{self, UserAppIdSet};
use crate::{Error, IntoInputs, Upload, UploadSummary};

/// # Handles
impl ClarifaiClient {
    /// A model, by URL, `user/app/id` text or a bare id: see [`crate::ClarifaiClient::model`].
    pub fn model(&self, reference: impl AsRef<str>) -> Result<ModelHandle, Error> {
        Ok(ModelHandle {
            inner: self.client.model(reference)?,
            runtime: self.runtime.clone(),
        })
    }

    /// A model by its ids: `user_app_id` names its app.
    pub fn model_in(&self, user_app_id: UserAppIdSet, model_id: impl Into<String>) -> ModelHandle {
        ModelHandle {
            inner: self.client.model_in(user_app_id, model_id),
            runtime: self.runtime.clone(),
        }
    }

    /// An app, by URL or `user/app` text: see [`crate::ClarifaiClient::app`].
    pub fn app(&self, reference: impl AsRef<str>) -> Result<AppHandle, Error> {
        Ok(AppHandle {
            inner: self.client.app(reference)?,
            runtime: self.runtime.clone(),
        })
    }

    /// An app by its ids.
    pub fn app_in(&self, user_app_id: UserAppIdSet) -> AppHandle {
        AppHandle {
            inner: self.client.app_in(user_app_id),
            runtime: self.runtime.clone(),
        }
    }

    /// The credentials' own app.
    pub fn my_app(&self) -> AppHandle {
        AppHandle {
            inner: self.client.my_app(),
            runtime: self.runtime.clone(),
        }
    }

    /// A workflow, by URL, text or a bare id: see [`crate::ClarifaiClient::workflow`].
    pub fn workflow(&self, reference: impl AsRef<str>) -> Result<WorkflowHandle, Error> {
        Ok(WorkflowHandle {
            inner: self.client.workflow(reference)?,
            runtime: self.runtime.clone(),
        })
    }
}

/// A model: [`crate::ModelHandle`], each call waiting for its answer.
#[derive(Clone, Debug)]
pub struct ModelHandle {
    pub(super) inner: crate::ModelHandle,
    pub(super) runtime: Arc<Runtime>,
}

impl ModelHandle {
    /// The async handle.
    pub fn as_async(&self) -> &crate::ModelHandle {
        &self.inner
    }

    pub(super) fn map(self, f: impl FnOnce(crate::ModelHandle) -> crate::ModelHandle) -> Self {
        ModelHandle {
            inner: f(self.inner),
            runtime: self.runtime,
        }
    }

    /// The model's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Its app, when the reference named one.
    pub fn app(&self) -> Option<&UserAppIdSet> {
        self.inner.app()
    }

    /// This model at one version.
    pub fn version(self, version_id: impl Into<String>) -> Self {
        self.map(|m| m.version(version_id))
    }

    /// At most `n` concepts per output.
    pub fn max_concepts(self, n: u32) -> Self {
        self.map(|m| m.max_concepts(n))
    }

    /// Only concepts with at least this value.
    pub fn min_value(self, value: f32) -> Self {
        self.map(|m| m.min_value(value))
    }

    /// Only these concepts (by id).
    pub fn select_concepts(self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.map(|m| m.select_concepts(ids))
    }

    /// An inference parameter (`output_info.params`).
    pub fn param(self, name: impl Into<String>, value: impl Into<prost_types::Value>) -> Self {
        self.map(|m| m.param(name, value))
    }

    /// A generative model's sampling temperature.
    pub fn temperature(self, temperature: f64) -> Self {
        self.map(|m| m.temperature(temperature))
    }

    /// The PostModelOutputs request this handle sends for `inputs`.
    pub fn request(&self, inputs: impl IntoInputs) -> api::PostModelOutputsRequest {
        self.inner.request(inputs)
    }

    /// Predicts: one output per input, in order; see [`crate::ModelHandle::predict`].
    pub fn predict(&self, inputs: impl IntoInputs) -> Result<Vec<api::Output>, Error> {
        self.runtime
            .block_on("predict", self.inner.predict(inputs))?
    }

    /// Generates (GenerateModelOutputs): each output as it comes, as an iterator.
    pub fn generate(&self, inputs: impl IntoInputs) -> Result<ResponseIter<api::Output>, Error> {
        let stream = self
            .runtime
            .block_on("generate", self.inner.generate(inputs))??;
        Ok(ResponseIter::new(&self.runtime, "generate", stream))
    }

    /// Streams (StreamModelOutputs, bidi): each batch of `batches` (an iterator, or a
    /// `std::sync::mpsc::Receiver` of batches) goes as one request; each output comes back as
    /// it is ready.
    pub fn stream<I>(&self, batches: I) -> Result<ResponseIter<api::Output>, Error>
    where
        I: IntoIterator<Item = Vec<api::Input>>,
        I::IntoIter: Send + 'static,
    {
        let batches = self.runtime.pump("stream", batches.into_iter())?;
        let stream = self
            .runtime
            .block_on("stream", self.inner.stream(batches))??;
        Ok(ResponseIter::new(&self.runtime, "stream", stream))
    }

    /// The model, as GetModel answers.
    pub fn get(&self) -> Result<api::Model, Error> {
        self.runtime.block_on("get", self.inner.get())?
    }

    /// Every version of the model, page after page.
    pub fn versions(&self) -> ResponseIter<api::ModelVersion> {
        ResponseIter::new(&self.runtime, "versions", self.inner.versions())
    }
}

/// A workflow: [`crate::WorkflowHandle`], each call waiting for its answer.
#[derive(Clone, Debug)]
pub struct WorkflowHandle {
    inner: crate::WorkflowHandle,
    runtime: Arc<Runtime>,
}

impl WorkflowHandle {
    /// The async handle.
    pub fn as_async(&self) -> &crate::WorkflowHandle {
        &self.inner
    }

    /// The workflow's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Runs the workflow on the inputs: see [`crate::WorkflowHandle::run`].
    pub fn run(&self, inputs: impl IntoInputs) -> Result<Vec<api::WorkflowResult>, Error> {
        self.runtime.block_on("run", self.inner.run(inputs))?
    }
}

/// An app: [`crate::AppHandle`], each call waiting for its answer and each list an iterator.
#[derive(Clone, Debug)]
pub struct AppHandle {
    inner: crate::AppHandle,
    runtime: Arc<Runtime>,
}

impl AppHandle {
    /// The async handle.
    pub fn as_async(&self) -> &crate::AppHandle {
        &self.inner
    }

    /// A model of this app.
    pub fn model(&self, model_id: impl Into<String>) -> ModelHandle {
        ModelHandle {
            inner: self.inner.model(model_id),
            runtime: self.runtime.clone(),
        }
    }

    /// Every model of the app, page after page.
    pub fn list_models(&self) -> ResponseIter<api::Model> {
        ResponseIter::new(&self.runtime, "list_models", self.inner.list_models())
    }

    /// Every input of the app, page after page.
    pub fn list_inputs(&self) -> ResponseIter<api::Input> {
        ResponseIter::new(&self.runtime, "list_inputs", self.inner.list_inputs())
    }

    /// Every dataset of the app, page after page.
    pub fn list_datasets(&self) -> ResponseIter<api::Dataset> {
        ResponseIter::new(&self.runtime, "list_datasets", self.inner.list_datasets())
    }

    /// Deletes these inputs (DeleteInputs).
    pub fn delete_inputs(
        &self,
        ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<(), Error> {
        self.runtime
            .block_on("delete_inputs", self.inner.delete_inputs(ids))?
    }

    /// Uploads inputs (PostInputs) with the default [`Upload`] settings: see
    /// [`crate::AppHandle::upload_inputs`]. The summary tells what became of each input; the
    /// only error is [`Error::BlockingInAsync`].
    pub fn upload_inputs(
        &self,
        inputs: impl IntoIterator<Item = api::Input, IntoIter: Send>,
    ) -> Result<UploadSummary, Error> {
        self.runtime
            .block_on("upload_inputs", self.inner.upload_inputs(inputs))
    }

    /// An upload with these settings: `app.upload(Upload::default().batch_size(32)).run(inputs)`.
    pub fn upload(&self, settings: Upload) -> Uploader {
        Uploader {
            inner: self.inner.upload(settings),
            runtime: self.runtime.clone(),
        }
    }
}

/// An upload ready to run: [`AppHandle::upload`] made it.
#[derive(Debug)]
pub struct Uploader {
    inner: crate::Uploader,
    runtime: Arc<Runtime>,
}

impl Uploader {
    /// Sends every input of `inputs` in batches: see [`crate::Uploader::run`]. `inputs` is read
    /// on this thread as the batches go. The only error is [`Error::BlockingInAsync`].
    pub fn run(
        self,
        inputs: impl IntoIterator<Item = api::Input, IntoIter: Send>,
    ) -> Result<UploadSummary, Error> {
        let inputs = futures_util::stream::iter(inputs);
        self.runtime.block_on("run", self.inner.run(inputs))
    }
}

// The named methods, one `impl` block per API domain as on the async client, generated from the
// same rpc table.
include!(concat!(env!("OUT_DIR"), "/blocking_methods.rs"));
