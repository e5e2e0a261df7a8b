//! [`ModelHandle`]: a model's predict, generate and stream, its versions, and (in [`methods`](crate::methods)) its typed methods.

use std::sync::Arc;
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;

use super::methods::{MethodError, Signatures, WarmUp};
use super::{IntoInputs, MAX_BATCH, Target};
use crate::api::{self, UserAppIdSet};
use crate::{ClarifaiClient, Error, ResponseStream};

/// The `output_config` and inference parameters a [`ModelHandle`] sends.
#[derive(Clone, Debug, Default)]
struct PredictOptions {
    config: Option<api::OutputConfig>,
    params: Vec<(String, prost_types::Value)>,
    deployment: Option<String>,
    nodepool: Option<(String, String)>,
    deployment_user: Option<String>,
    warm_up: Option<Duration>,
    timeout: Option<Option<Duration>>,
}

/// A model, from [`ClarifaiClient::model`]: predict, generate, stream, its versions.
#[derive(Clone, Debug)]
pub struct ModelHandle {
    pub(super) client: ClarifaiClient,
    pub(super) target: Target,
    options: Arc<PredictOptions>,
    /// The method signatures, fetched once per handle (and its clones) and version.
    pub(super) signatures: Signatures,
}

impl ModelHandle {
    pub(super) fn new(client: ClarifaiClient, target: Target) -> ModelHandle {
        ModelHandle {
            client,
            target,
            options: Arc::default(),
            signatures: Signatures::default(),
        }
    }

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
        self.signatures = Signatures::default();
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

    /// Sends every predict, generate and stream of this handle to a deployment
    /// (`runner_selector.deployment`), owned by [`deployment_user`](Self::deployment_user), else
    /// by the credentials' user id (the SDK asks the API for the PAT's own user; a PAT made
    /// with its user id gives the same), else by the model's owner. Give
    /// [`deployment_user`](Self::deployment_user) when the deployment belongs to another user
    /// or the credentials carry no user id (an app API key).
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("me/my-app/my-llm")?.deployment("my-deployment");
    /// let request = model.request(vec![]);
    /// assert_eq!(request.runner_selector.unwrap().deployment.unwrap().id, "my-deployment");
    /// # Ok(()) }
    /// ```
    pub fn deployment(mut self, deployment_id: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.options).deployment = Some(deployment_id.into());
        self
    }

    /// Sends every predict, generate and stream of this handle to a nodepool of a compute
    /// cluster (`runner_selector.nodepool`), owned as for [`deployment`](Self::deployment).
    /// A handle given both a deployment and a nodepool refuses to call
    /// ([`MethodError::DeploymentAndNodepool`]).
    pub fn nodepool(
        mut self,
        compute_cluster_id: impl Into<String>,
        nodepool_id: impl Into<String>,
    ) -> Self {
        Arc::make_mut(&mut self.options).nodepool =
            Some((compute_cluster_id.into(), nodepool_id.into()));
        self
    }

    /// The user that owns the [`deployment`](Self::deployment) or the
    /// [`nodepool`](Self::nodepool)'s compute cluster.
    pub fn deployment_user(mut self, user_id: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.options).deployment_user = Some(user_id.into());
        self
    }

    /// How long a model that is deploying, loading or busy (MODEL_DEPLOYING, MODEL_LOADING,
    /// MODEL_BUSY_PLEASE_RETRY) is waited for, asking again with a growing pause (the SDK's:
    /// 1.8 s, then 1.3 times longer each time). Ten minutes by default, as in the SDK; zero
    /// turns the wait off. Each attempt keeps the client's deadline; the wait never runs past a
    /// deadline the caller set ([`timeout`](Self::timeout), or
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)).
    pub fn warm_up(mut self, budget: Duration) -> Self {
        Arc::make_mut(&mut self.options).warm_up = Some(budget);
        self
    }

    /// A deadline for each of this handle's calls, warm-up included (instead of the client's,
    /// which bounds each attempt but not the warm-up).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.options).timeout = Some(Some(timeout));
        self
    }

    /// The `runner_selector` this handle's predictions carry, if any.
    pub(super) fn runner_selector(&self) -> Option<api::RunnerSelector> {
        let options = &*self.options;
        let owner = || {
            options
                .deployment_user
                .clone()
                .or_else(|| {
                    self.client
                        .credentials()
                        .user_app_id()
                        .map(|ids| ids.user_id.clone())
                })
                .filter(|user| !user.is_empty())
                .or_else(|| self.target.app.as_ref().map(|ids| ids.user_id.clone()))
                .unwrap_or_default()
        };
        if let Some(id) = &options.deployment {
            let deployment = api::Deployment {
                id: id.clone(),
                user_id: owner(),
                ..Default::default()
            };
            return Some(api::RunnerSelector {
                deployment: Some(Box::new(deployment)),
                ..Default::default()
            });
        }
        let (cluster, nodepool) = options.nodepool.as_ref()?;
        let compute_cluster = api::ComputeCluster {
            id: cluster.clone(),
            user_id: owner(),
            ..Default::default()
        };
        let nodepool = api::Nodepool {
            id: nodepool.clone(),
            compute_cluster: Some(Box::new(compute_cluster)),
            ..Default::default()
        };
        Some(api::RunnerSelector {
            nodepool: Some(Box::new(nodepool)),
            ..Default::default()
        })
    }

    /// Refuses a handle given both a deployment and a nodepool.
    pub(super) fn check_target(&self) -> Result<(), Error> {
        match (&self.options.deployment, &self.options.nodepool) {
            (Some(deployment), Some((_, nodepool))) => Err(MethodError::DeploymentAndNodepool {
                deployment: deployment.clone(),
                nodepool: nodepool.clone(),
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// The warm-up plan of this handle's calls.
    pub(super) fn warm_up_plan(&self) -> WarmUp {
        WarmUp::new(&self.client, self.options.warm_up, self.options.timeout)
    }

    /// One PostModelOutputs, waiting out a model's warm-up.
    pub(super) async fn post(
        &self,
        request: api::PostModelOutputsRequest,
    ) -> Result<api::MultiOutputResponse, Error> {
        let plan = self.warm_up_plan();
        plan.run(|call| {
            self.client
                .post_model_outputs(call.request(request.clone()))
        })
        .await
    }

    /// One GenerateModelOutputs, waiting out a model's warm-up until its first answer.
    pub(super) async fn start_generate(
        &self,
        request: api::PostModelOutputsRequest,
    ) -> Result<ResponseStream<api::MultiOutputResponse>, Error> {
        let plan = self.warm_up_plan();
        plan.run(|call| {
            self.client
                .generate_model_outputs(call.request(request.clone()))
        })
        .await
    }

    /// One StreamModelOutputs, waiting out a model's warm-up: what was sent before the first
    /// answer is sent again.
    pub(super) async fn start_stream<S>(
        &self,
        requests: S,
    ) -> Result<ResponseStream<api::MultiOutputResponse>, Error>
    where
        S: Stream<Item = api::PostModelOutputsRequest> + Send + 'static,
    {
        self.warm_up_plan().run_stream(&self.client, requests).await
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
        request.runner_selector = self.runner_selector().map(Box::new);
        let PredictOptions { config, params, .. } = &*self.options;
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
        self.check_target()?;
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
                    match self.post(request).await {
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
        self.check_target()?;
        let stream = self.start_generate(self.request(inputs)).await?;
        Ok(each_output(stream))
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
        self.check_target()?;
        let this = self.clone();
        let stream = self
            .start_stream(batches.map(move |inputs| this.request(inputs)))
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
