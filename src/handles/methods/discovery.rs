//! Discovery: a model's method signatures, as the SDK's `ModelClient.fetch` finds them, fetched
//! once per handle.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::MethodError;
use super::signature::signatures_from_json;
use crate::api::status::StatusCode;
use crate::api::{self, MethodSignature};
use crate::{Error, ModelHandle};

/// The method name of the SDK's signature query.
/// The pseudo-method a model answers with its signatures as JSON.
pub(crate) const GET_SIGNATURES: &str = "_GET_SIGNATURES";
/// The key of `inputs[0].data.metadata` that names the method to call.
pub(crate) const METHOD_NAME_KEY: &str = "_method_name";

/// A handle's method signatures, fetched on first use and shared by its clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signatures(Arc<OnceCell<Arc<[MethodSignature]>>>);

/// `inputs[0].data.metadata` naming the method to call.
pub(crate) fn method_metadata(method: &str) -> prost_types::Struct {
    let name = prost_types::Value {
        kind: Some(prost_types::value::Kind::StringValue(method.to_owned())),
    };
    prost_types::Struct {
        fields: [(METHOD_NAME_KEY.to_owned(), name)].into_iter().collect(),
    }
}

impl ModelHandle {
    /// The model's methods, with their typed signatures (`ModelVersion.method_signatures`), as
    /// the SDK's `ModelClient` finds them: from GetModelVersion (GetModel when no version is
    /// set), else by asking the model itself (a predict of `_GET_SIGNATURES`, which the
    /// SDK's local model server answers too). Fetched once per handle, and shared with its
    /// clones; a failure is not kept, so the next call asks again.
    ///
    /// A model that lists none is an old-style model: this is then
    /// [`MethodError::NoSignatures`], and [`predict`](Self::predict) with inputs keeps working.
    ///
    /// ```no_run
    /// # async fn run(client: clarifai_tonic::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("me/my-app/my-llm")?;
    /// for method in model.methods().await? {
    ///     println!("{}", clarifai_tonic::methods::python_signature(&method));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn methods(&self) -> Result<Vec<MethodSignature>, Error> {
        Ok(self.signatures().await?.to_vec())
    }

    /// The cached signatures, fetched on first use.
    pub(crate) async fn signatures(&self) -> Result<Arc<[MethodSignature]>, Error> {
        self.signatures
            .0
            .get_or_try_init(|| self.fetch_signatures())
            .await
            .cloned()
    }

    async fn fetch_signatures(&self) -> Result<Arc<[MethodSignature]>, Error> {
        self.check_target()?;
        let listed = self.listed_signatures().await;
        if let Ok(list) = &listed
            && !list.is_empty()
        {
            return Ok(list.clone().into());
        }
        let no_signatures = || -> Error {
            MethodError::NoSignatures {
                model: self.target.id.clone(),
            }
            .into()
        };
        match self.asked_signatures().await {
            Ok(list) if list.is_empty() => Err(no_signatures()),
            Ok(list) => Ok(list.into()),
            // The model was found and lists none, and does not answer the query: an old model
            // (but not one still warming up past the budget: that is its own error).
            Err(e)
                if listed.is_ok()
                    && e.clarifai().is_some()
                    && !e
                        .status_code()
                        .is_some_and(|c| super::WARM_UP_CODES.iter().any(|&w| w as i32 == c.0)) =>
            {
                Err(no_signatures())
            }
            Err(e) => Err(e),
        }
    }

    /// The signatures the API lists for the model's version.
    async fn listed_signatures(&self) -> Result<Vec<MethodSignature>, Error> {
        let target = &self.target;
        let version = if target.version.is_empty() {
            let response = self
                .client
                .get_model(api::GetModelRequest {
                    user_app_id: target.app.clone(),
                    model_id: target.id.clone(),
                    ..Default::default()
                })
                .await?;
            response.model.and_then(|m| m.model_version)
        } else {
            let response = self
                .client
                .get_model_version(api::GetModelVersionRequest {
                    user_app_id: target.app.clone(),
                    model_id: target.id.clone(),
                    version_id: target.version.clone(),
                })
                .await?;
            response.model_version
        };
        Ok(version.map(|v| v.method_signatures).unwrap_or_default())
    }

    /// The signatures the model gives for `_GET_SIGNATURES` (none from an older model, which
    /// answers INPUT_UNSUPPORTED_FORMAT or an empty text).
    async fn asked_signatures(&self) -> Result<Vec<MethodSignature>, Error> {
        let data = api::Data {
            parts: vec![api::Part::default()],
            metadata: Some(method_metadata(GET_SIGNATURES)),
            ..Default::default()
        };
        let request = self.request(api::Input::from_data(data));
        let response = match self.post(request).await {
            Err(e)
                if e.status_code().map(|c| c.0)
                    == Some(StatusCode::InputUnsupportedFormat as i32) =>
            {
                return Ok(Vec::new());
            }
            other => other?,
        };
        let text = response
            .outputs
            .first()
            .and_then(|o| o.data.as_ref())
            .and_then(|d| d.text.as_ref())
            .map(|t| t.raw.as_str())
            .unwrap_or_default();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        signatures_from_json(text).map_err(|reason| {
            MethodError::BadSignatures {
                model: self.target.id.clone(),
                reason,
            }
            .into()
        })
    }
}
