//! Resource handles: a model, an app or a workflow named once (by URL, `user/app/id` text or
//! ids), then used in a line: `client.model("clarifai/main/general-image-recognition")?
//! .max_concepts(5).predict(Input::image_url(url)).await?`.
//!
//! A handle fills every request's `user_app_id` from its reference; the credentials' own app is
//! used only when the reference names none (a bare id). Handles are cheap to clone and hold a
//! clone of the client.

use std::sync::Arc;

use futures_core::Stream;
use futures_util::StreamExt;

use crate::api::status::{Status, StatusCode};
use crate::api::{self, UserAppIdSet};
use crate::{ClarifaiClient, ClarifaiUrl, Error, ResourceKind, ResponseStream};

/// The most inputs one PostModelOutputs or PostInputs request may carry (the API's limit, as the
/// official SDK batches them).
pub const MAX_BATCH: usize = 128;

/// One input or many, for [`ModelHandle::predict`] and friends.
pub trait IntoInputs {
    /// The inputs, in order.
    fn into_inputs(self) -> Vec<api::Input>;
}

impl IntoInputs for api::Input {
    fn into_inputs(self) -> Vec<api::Input> {
        vec![self]
    }
}

impl IntoInputs for Vec<api::Input> {
    fn into_inputs(self) -> Vec<api::Input> {
        self
    }
}

impl<const N: usize> IntoInputs for [api::Input; N] {
    fn into_inputs(self) -> Vec<api::Input> {
        self.into()
    }
}

/// Where a handle points: the app (none: the credentials' own) and the resource's id.
#[derive(Clone, Debug)]
struct Target {
    app: Option<UserAppIdSet>,
    id: String,
    version: String,
}

impl Target {
    /// Parses `reference` as a resource of `kind`: a URL, `user/app/kind/id`, `user/app/id`, or a
    /// bare id (in the credentials' app).
    fn parse(reference: &str, kind: ResourceKind) -> Result<Target, Error> {
        let reference = reference.trim();
        if !reference.is_empty() && !reference.contains(['/', ':', '.']) {
            return Ok(Target {
                app: None,
                id: reference.to_owned(),
                version: String::new(),
            });
        }
        let url = ClarifaiUrl::parse_as(reference, kind)?;
        Ok(Target {
            app: Some(url.user_app_id()),
            id: url.resource_id().unwrap_or_default().to_owned(),
            version: url.version_id().unwrap_or_default().to_owned(),
        })
    }
}

/// # Handles
impl ClarifaiClient {
    /// A model, by URL (`https://clarifai.com/clarifai/main/models/general-image-recognition`,
    /// with `/versions/<id>` for one version), `user/app/id` or `user/app/models/id` text, or a
    /// bare id (a model of the credentials' app). Text that is none of these is an
    /// [`Error::InvalidReference`] naming what is wrong; nothing is sent.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// use clarifai_tonic::api::Input;
    /// let model = client.model("clarifai/main/general-image-recognition")?.max_concepts(5);
    /// for output in model.predict(Input::image_url("https://samples.clarifai.com/metro-north.jpg")).await? {
    ///     for concept in output.concepts() {
    ///         println!("{} {:.3}", concept.name, concept.value);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn model(&self, reference: impl AsRef<str>) -> Result<ModelHandle, Error> {
        let target = Target::parse(reference.as_ref(), ResourceKind::Model)?;
        Ok(ModelHandle {
            client: self.clone(),
            target,
            options: Arc::default(),
        })
    }

    /// A model by its ids: `user_app_id` names its app.
    ///
    /// ```no_run
    /// use clarifai_tonic::api::UserAppIdSet;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model_in(UserAppIdSet::new("clarifai", "main"), "general-image-recognition");
    /// assert_eq!(model.id(), "general-image-recognition");
    /// # Ok(()) }
    /// ```
    pub fn model_in(&self, user_app_id: UserAppIdSet, model_id: impl Into<String>) -> ModelHandle {
        ModelHandle {
            client: self.clone(),
            target: Target {
                app: Some(user_app_id),
                id: model_id.into(),
                version: String::new(),
            },
            options: Arc::default(),
        }
    }

    /// An app, by URL (`https://clarifai.com/me/my-app`) or `user/app` text.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// use clarifai_tonic::StreamExt;
    /// let app = client.app("clarifai/main")?;
    /// let mut models = app.list_models();
    /// while let Some(model) = models.next().await {
    ///     println!("{}", model?.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn app(&self, reference: impl AsRef<str>) -> Result<AppHandle, Error> {
        let url = ClarifaiUrl::parse(reference.as_ref())?;
        match url {
            ClarifaiUrl::App { .. } => Ok(self.app_in(url.user_app_id())),
            other => Err(Error::InvalidReference(crate::UrlError::new(
                reference.as_ref(),
                format!("it names {}, where an app is expected", other.a_noun()),
            ))),
        }
    }

    /// An app by its ids.
    ///
    /// ```no_run
    /// use clarifai_tonic::api::UserAppIdSet;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let app = client.app_in(UserAppIdSet::new("me", "my-app"));
    /// let model = app.model("my-model");
    /// # Ok(()) }
    /// ```
    pub fn app_in(&self, user_app_id: UserAppIdSet) -> AppHandle {
        AppHandle {
            client: self.clone(),
            app: Some(user_app_id),
        }
    }

    /// The credentials' own app (their `user_id` and `app_id`).
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let summary = client.my_app().upload_inputs([Input::image_url("https://samples.clarifai.com/dog2.jpeg")]).await;
    /// assert!(summary.is_complete());
    /// # Ok(()) }
    /// ```
    pub fn my_app(&self) -> AppHandle {
        AppHandle {
            client: self.clone(),
            app: None,
        }
    }

    /// A workflow, by URL, `user/app/workflows/id` or `user/app/id` text, or a bare id (a
    /// workflow of the credentials' app).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// use clarifai_tonic::api::Input;
    /// let workflow = client.workflow("clarifai/main/General")?;
    /// let results = workflow.run(Input::image_url("https://samples.clarifai.com/metro-north.jpg")).await?;
    /// println!("{} results", results.len());
    /// # Ok(()) }
    /// ```
    pub fn workflow(&self, reference: impl AsRef<str>) -> Result<WorkflowHandle, Error> {
        let target = Target::parse(reference.as_ref(), ResourceKind::Workflow)?;
        Ok(WorkflowHandle {
            client: self.clone(),
            target,
        })
    }
}

/// The `output_config` and inference parameters a [`ModelHandle`] sends.
#[derive(Clone, Debug, Default)]
struct PredictOptions {
    config: Option<api::OutputConfig>,
    params: Vec<(String, prost_types::Value)>,
}

/// A model, from [`ClarifaiClient::model`]: predict, generate, stream, its versions.
#[derive(Clone, Debug)]
pub struct ModelHandle {
    client: ClarifaiClient,
    target: Target,
    options: Arc<PredictOptions>,
}

impl ModelHandle {
    /// The model's id.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?;
    /// assert_eq!(model.id(), "general-image-recognition");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &str {
        &self.target.id
    }

    /// Its app, when the reference named one (else the credentials' app is used).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?;
    /// assert_eq!(model.app().map(|ids| ids.app_id.as_str()), Some("main"));
    /// assert!(client.model("my-model")?.app().is_none()); // the credentials' app
    /// # Ok(()) }
    /// ```
    pub fn app(&self) -> Option<&UserAppIdSet> {
        self.target.app.as_ref()
    }

    /// This model at one version (the latest when none is given).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let pinned = client.model("clarifai/main/general-image-recognition")?.version("aa7f35c01e0642fda5cf400f543e7c40");
    /// assert_eq!(pinned.request(vec![]).version_id, "aa7f35c01e0642fda5cf400f543e7c40");
    /// # Ok(()) }
    /// ```
    pub fn version(mut self, version_id: impl Into<String>) -> Self {
        self.target.version = version_id.into();
        self
    }

    fn config(mut self, f: impl FnOnce(&mut api::OutputConfig)) -> Self {
        let options = Arc::make_mut(&mut self.options);
        f(options.config.get_or_insert_with(Default::default));
        self
    }

    /// At most `n` concepts per output.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?.max_concepts(3);
    /// # Ok(()) }
    /// ```
    pub fn max_concepts(self, n: u32) -> Self {
        self.config(|c| c.max_concepts = n)
    }

    /// Only concepts with at least this value.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?.min_value(0.9);
    /// # Ok(()) }
    /// ```
    pub fn min_value(self, value: f32) -> Self {
        self.config(|c| c.min_value = value)
    }

    /// Only these concepts (by id).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?.select_concepts(["train", "dog"]);
    /// # Ok(()) }
    /// ```
    pub fn select_concepts(self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let concepts: Vec<api::Concept> = ids.into_iter().map(api::Concept::new).collect();
        self.config(|c| c.select_concepts = concepts)
    }

    /// An inference parameter (`output_info.params`), such as a text model's
    /// `"max_tokens"`.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("openai/chat-completion/gpt-4o-mini")?.param("max_tokens", 256.0);
    /// # Ok(()) }
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<prost_types::Value>) -> Self {
        let options = Arc::make_mut(&mut self.options);
        options.params.push((name.into(), value.into()));
        self
    }

    /// A generative model's sampling temperature.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("openai/chat-completion/gpt-4o-mini")?.temperature(0.2);
    /// # Ok(()) }
    /// ```
    pub fn temperature(self, temperature: f64) -> Self {
        self.param("temperature", temperature)
    }

    /// The PostModelOutputs request this handle sends for `inputs` (for a raw call, or to look
    /// at).
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?.max_concepts(3);
    /// let request = model.request(Input::image_url("https://samples.clarifai.com/dog2.jpeg"));
    /// assert_eq!(request.model_id, "general-image-recognition");
    /// let raw = client.post_model_outputs(request).await?; // the same call, by hand
    /// # Ok(()) }
    /// ```
    pub fn request(&self, inputs: impl IntoInputs) -> api::PostModelOutputsRequest {
        let mut request = api::PostModelOutputsRequest {
            user_app_id: self.target.app.clone(),
            model_id: self.target.id.clone(),
            version_id: self.target.version.clone(),
            inputs: inputs.into_inputs(),
            ..Default::default()
        };
        let PredictOptions { config, params } = &*self.options;
        if config.is_some() || !params.is_empty() {
            let mut info = api::OutputInfo::default();
            if let Some(config) = config {
                info.set_output_config(config.clone());
            }
            if !params.is_empty() {
                info.set_params(prost_types::Struct {
                    fields: params.iter().cloned().collect(),
                });
            }
            let version = api::ModelVersion::default().with_output_info(info);
            request.set_model(api::Model::default().with_model_version(version));
        }
        request
    }

    /// Predicts: one output per input, in the inputs' order. Inputs beyond [`MAX_BATCH`] go in
    /// further requests, up to 4 at a time. An input the model could not process has an output
    /// whose own status says why (`output.succeeded()`): a MIXED_STATUS answer is data here, not
    /// an error. Any other failure is the error.
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?;
    /// let inputs = vec![Input::image_url("https://samples.clarifai.com/dog2.jpeg"), Input::from_file("photo.jpg")?];
    /// for output in model.predict(inputs).await? {
    ///     match output.succeeded() {
    ///         true => println!("{:?}", output.concepts().first().map(|c| &c.name)),
    ///         false => println!("failed: {:?}", output.status),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn predict(&self, inputs: impl IntoInputs) -> Result<Vec<api::Output>, Error> {
        let mut inputs = inputs.into_inputs();
        let mut batches = Vec::new();
        while inputs.len() > MAX_BATCH {
            let rest = inputs.split_off(MAX_BATCH);
            batches.push(std::mem::replace(&mut inputs, rest));
        }
        batches.push(inputs);
        let mut answers = futures_util::stream::iter(batches)
            .map(|batch| {
                let request = self.request(batch);
                async move {
                    match self.client.post_model_outputs(request).await {
                        Err(e) if e.is_mixed_status() => e.into_response(),
                        other => other,
                    }
                }
            })
            .buffered(4);
        let mut outputs = Vec::new();
        while let Some(answer) = answers.next().await {
            outputs.extend(answer?.outputs);
        }
        Ok(outputs)
    }

    /// Generates (GenerateModelOutputs, a server stream): each output as it comes, for example a
    /// text model's answer piece by piece (`output.text()`).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// use clarifai_tonic::{api::Input, StreamExt};
    /// let model = client.model("openai/chat-completion/gpt-4o")?.temperature(0.2);
    /// let mut pieces = model.generate(Input::from_text("What is a cat?")).await?;
    /// while let Some(piece) = pieces.next().await {
    ///     print!("{}", piece?.text().unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn generate(
        &self,
        inputs: impl IntoInputs,
    ) -> Result<ResponseStream<api::Output>, Error> {
        let stream = self
            .client
            .generate_model_outputs(self.request(inputs))
            .await?;
        Ok(Box::pin(stream.flat_map(|item| {
            let outputs: Vec<Result<api::Output, Error>> = match item {
                Ok(response) => response.outputs.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(outputs)
        })))
    }

    /// Streams (StreamModelOutputs, bidi): each batch of inputs from `batches` goes as one
    /// request, with this handle's ids and options; each output comes back as it is ready.
    ///
    /// ```no_run
    /// use clarifai_tonic::{api::Input, stream, StreamExt};
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("openai/chat-completion/gpt-4o-mini")?;
    /// let prompts = ["Say hello", "Say goodbye"].map(|p| vec![Input::from_text(p)]);
    /// let mut answers = model.stream(stream::iter(prompts)).await?;
    /// while let Some(answer) = answers.next().await {
    ///     println!("{}", answer?.text().unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stream<S>(&self, batches: S) -> Result<ResponseStream<api::Output>, Error>
    where
        S: Stream<Item = Vec<api::Input>> + Send + 'static,
    {
        let this = self.clone();
        let stream = self
            .client
            .stream_model_outputs(batches.map(move |inputs| this.request(inputs)))
            .await?;
        Ok(each_output(stream))
    }

    /// The model, as GetModel answers.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?.get().await?;
    /// println!("{} ({})", model.name, model.id);
    /// # Ok(()) }
    /// ```
    pub async fn get(&self) -> Result<api::Model, Error> {
        let response = self
            .client
            .get_model(api::GetModelRequest {
                user_app_id: self.target.app.clone(),
                model_id: self.target.id.clone(),
                version_id: self.target.version.clone(),
                ..Default::default()
            })
            .await?;
        response.model.map(|m| *m).ok_or_else(|| {
            Error::from_status(
                "GetModel",
                tonic::Status::internal("GetModel answered SUCCESS without a model"),
            )
        })
    }

    /// Every version of the model, page after page.
    ///
    /// ```no_run
    /// use clarifai_tonic::TryStreamExt;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("clarifai/main/general-image-recognition")?;
    /// let versions: Vec<_> = model.versions().try_collect().await?;
    /// println!("{} versions", versions.len());
    /// # Ok(()) }
    /// ```
    pub fn versions(&self) -> ResponseStream<api::ModelVersion> {
        self.client
            .list_model_versions_stream(api::ListModelVersionsRequest {
                user_app_id: self.target.app.clone(),
                model_id: self.target.id.clone(),
                ..Default::default()
            })
    }
}

/// A stream of answers as a stream of their outputs; an error ends it, as before.
fn each_output(stream: ResponseStream<api::MultiOutputResponse>) -> ResponseStream<api::Output> {
    Box::pin(stream.flat_map(|item| {
        let outputs: Vec<Result<api::Output, Error>> = match item {
            Ok(response) => response.outputs.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(outputs)
    }))
}

/// A workflow, from [`ClarifaiClient::workflow`].
#[derive(Clone, Debug)]
pub struct WorkflowHandle {
    client: ClarifaiClient,
    target: Target,
}

impl WorkflowHandle {
    /// The workflow's id.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// assert_eq!(client.workflow("clarifai/main/General")?.id(), "General");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &str {
        &self.target.id
    }

    /// Runs the workflow on the inputs (PostWorkflowResults): one result per input, each with
    /// every node's outputs. A MIXED_STATUS answer is data, as in [`ModelHandle::predict`].
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let workflow = client.workflow("https://clarifai.com/clarifai/main/workflows/General")?;
    /// for result in workflow.run(Input::image_url("https://samples.clarifai.com/dog2.jpeg")).await? {
    ///     println!("{} node outputs", result.outputs.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run(&self, inputs: impl IntoInputs) -> Result<Vec<api::WorkflowResult>, Error> {
        let request = api::PostWorkflowResultsRequest {
            user_app_id: self.target.app.clone(),
            workflow_id: self.target.id.clone(),
            version_id: self.target.version.clone(),
            inputs: inputs.into_inputs(),
            ..Default::default()
        };
        let response = match self.client.post_workflow_results(request).await {
            Err(e) if e.is_mixed_status() => e.into_response::<api::PostWorkflowResultsResponse>(),
            other => other,
        }?;
        Ok(response.results)
    }
}

/// An app, from [`ClarifaiClient::app`]: its models, inputs and datasets, and uploads.
#[derive(Clone, Debug)]
pub struct AppHandle {
    client: ClarifaiClient,
    app: Option<UserAppIdSet>,
}

impl AppHandle {
    /// A model of this app.
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.app("me/my-app")?.model("my-classifier");
    /// let outputs = model.predict(Input::from_text("a sentence")).await?;
    /// # Ok(()) }
    /// ```
    pub fn model(&self, model_id: impl Into<String>) -> ModelHandle {
        ModelHandle {
            client: self.client.clone(),
            target: Target {
                app: self.app.clone(),
                id: model_id.into(),
                version: String::new(),
            },
            options: Arc::default(),
        }
    }

    /// Every model of the app, page after page.
    ///
    /// ```no_run
    /// use clarifai_tonic::StreamExt;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let mut models = client.app("clarifai/main")?.list_models();
    /// while let Some(model) = models.next().await {
    ///     println!("{}", model?.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_models(&self) -> ResponseStream<api::Model> {
        self.client.list_models_stream(api::ListModelsRequest {
            user_app_id: self.app.clone(),
            ..Default::default()
        })
    }

    /// Every input of the app, page after page.
    ///
    /// ```no_run
    /// use clarifai_tonic::TryStreamExt;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let inputs: Vec<_> = client.my_app().list_inputs().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_inputs(&self) -> ResponseStream<api::Input> {
        self.client.list_inputs_stream(api::ListInputsRequest {
            user_app_id: self.app.clone(),
            ..Default::default()
        })
    }

    /// Every dataset of the app, page after page.
    ///
    /// ```no_run
    /// use clarifai_tonic::TryStreamExt;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let datasets: Vec<_> = client.app("me/my-app")?.list_datasets().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_datasets(&self) -> ResponseStream<api::Dataset> {
        self.client.list_datasets_stream(api::ListDatasetsRequest {
            user_app_id: self.app.clone(),
            ..Default::default()
        })
    }

    /// Deletes these inputs (DeleteInputs).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// client.my_app().delete_inputs(["input-1", "input-2"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_inputs(
        &self,
        ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<(), Error> {
        self.client
            .delete_inputs(api::DeleteInputsRequest {
                user_app_id: self.app.clone(),
                ids: ids.into_iter().map(Into::into).collect(),
            })
            .await
            .map(drop)
    }

    /// Uploads inputs (PostInputs) with the default [`Upload`] settings: see
    /// [`upload`](Self::upload).
    ///
    /// ```no_run
    /// use clarifai_tonic::api::Input;
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let inputs = (0..50).map(|i| Input::image_url(format!("https://example.com/{i}.jpg")));
    /// let summary = client.my_app().upload_inputs(inputs).await;
    /// for (id, why) in summary.failures() {
    ///     println!("{id}: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn upload_inputs(
        &self,
        inputs: impl IntoIterator<Item = api::Input, IntoIter: Send>,
    ) -> UploadSummary {
        self.upload(Upload::default())
            .run(futures_util::stream::iter(inputs))
            .await
    }

    /// An upload with these settings: `app.upload(Upload::default().batch_size(32)
    /// .on_progress(|p| bar.set_position(p.done as u64))).run(inputs).await`.
    ///
    /// ```no_run
    /// use clarifai_tonic::{api::Input, stream, Upload};
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let settings = Upload::default().batch_size(32).concurrency(2).on_progress(|p| eprintln!("{}/{}", p.done, p.accepted));
    /// let inputs = stream::iter([Input::from_file("a.jpg")?, Input::from_file("b.jpg")?]);
    /// let summary = client.my_app().upload(settings).run(inputs).await;
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, settings: Upload) -> Uploader {
        Uploader {
            app: self.clone(),
            settings,
        }
    }
}

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
    /// let settings = clarifai_tonic::Upload::default().batch_size(32);
    /// ```
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.clamp(1, MAX_BATCH);
        self
    }

    /// Requests in flight at once (at least 1; default 4).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::Upload::default().concurrency(8);
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
    /// let settings = clarifai_tonic::Upload::default().rounds(1); // no re-sends
    /// ```
    pub fn rounds(mut self, n: u32) -> Self {
        self.rounds = n.max(1);
        self
    }

    /// Called after each batch's answer, with the counts so far (hook a progress bar here).
    ///
    /// ```no_run
    /// let settings = clarifai_tonic::Upload::default()
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
    app: AppHandle,
    settings: Upload,
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
    /// use clarifai_tonic::{api::Input, stream, Upload};
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
