//! [`WorkflowHandle`]: a workflow's runs.

use super::{IntoInputs, Target};
use crate::api;
use crate::{ClarifaiClient, Error};

/// A workflow, from [`ClarifaiClient::workflow`].
#[derive(Clone, Debug)]
pub struct WorkflowHandle {
    pub(super) client: ClarifaiClient,
    pub(super) target: Target,
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
    /// every node's outputs. A MIXED_STATUS answer is data, as in [`ModelHandle::predict`](crate::ModelHandle::predict).
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
