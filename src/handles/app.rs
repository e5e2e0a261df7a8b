//! [`AppHandle`]: an app's models, inputs and datasets.

use super::{ModelHandle, Target, Upload, UploadSummary, Uploader};
use crate::api::{self, UserAppIdSet};
use crate::{ClarifaiClient, Error, ResponseStream};

/// An app, from [`ClarifaiClient::app`]: its models, inputs and datasets, and uploads.
#[derive(Clone, Debug)]
pub struct AppHandle {
    pub(super) client: ClarifaiClient,
    pub(super) app: Option<UserAppIdSet>,
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
        let target = Target {
            app: self.app.clone(),
            id: model_id.into(),
            version: String::new(),
        };
        ModelHandle::new(self.client.clone(), target)
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
    /// use clarifai_tonic::{api::Input, stream, handles::Upload};
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
