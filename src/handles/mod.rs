//! Resource handles: a model, an app or a workflow named once (by URL, `user/app/id` text or
//! ids), then used in a line: `client.model("clarifai/main/general-image-recognition")?
//! .max_concepts(5).predict(Input::image_url(url)).await?`.
//!
//! A handle fills every request's `user_app_id` from its reference; the credentials' own app is
//! used only when the reference names none (a bare id). Handles are cheap to clone and hold a
//! clone of the client.

use crate::api::{self, UserAppIdSet};
use crate::{ClarifaiClient, ClarifaiUrl, Error, ResourceKind};

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
    pub(super) app: Option<UserAppIdSet>,
    pub(super) id: String,
    pub(super) version: String,
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
        Ok(ModelHandle::new(self.clone(), target))
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
        let target = Target {
            app: Some(user_app_id),
            id: model_id.into(),
            version: String::new(),
        };
        ModelHandle::new(self.clone(), target)
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

mod app;
pub mod methods;
mod model;
mod upload;
mod workflow;

pub use app::AppHandle;
pub use model::ModelHandle;
pub use upload::{Upload, UploadProgress, UploadSummary, Uploader};
pub use workflow::WorkflowHandle;
