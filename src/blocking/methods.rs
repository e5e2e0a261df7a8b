//! A model's typed methods, blocking: [`ModelHandle::methods`], [`ModelHandle::method`] and
//! [`MethodCall`], with streams as iterators.

use std::sync::Arc;
use std::time::Duration;

use super::{ModelHandle, ResponseIter, Runtime};
use crate::api::MethodSignature;
use crate::{Error, Value};

impl ModelHandle {
    /// The model's methods: see [`crate::ModelHandle::methods`].
    pub fn methods(&self) -> Result<Vec<MethodSignature>, Error> {
        self.runtime.block_on("methods", self.inner.methods())?
    }

    /// A call of the model's method `name`: see [`crate::ModelHandle::method`].
    ///
    /// ```no_run
    /// # fn run(client: clarifai_tonic::blocking::ClarifaiClient) -> Result<(), clarifai_tonic::Error> {
    /// let model = client.model("me/my-app/my-llm")?;
    /// let answer = model.method("predict").arg("prompt", "Hi").predict()?;
    /// for piece in model.method("generate").arg("prompt", "Count to 3").generate()? {
    ///     print!("{}", String::try_from(piece?)?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn method(&self, name: impl Into<String>) -> MethodCall {
        MethodCall {
            inner: self.inner.method(name),
            runtime: self.runtime.clone(),
        }
    }

    /// Every call to a deployment: see [`crate::ModelHandle::deployment`].
    pub fn deployment(self, deployment_id: impl Into<String>) -> Self {
        self.map(|m| m.deployment(deployment_id))
    }

    /// Every call to a nodepool: see [`crate::ModelHandle::nodepool`].
    pub fn nodepool(
        self,
        compute_cluster_id: impl Into<String>,
        nodepool_id: impl Into<String>,
    ) -> Self {
        self.map(|m| m.nodepool(compute_cluster_id, nodepool_id))
    }

    /// The deployment's or nodepool's owner: see [`crate::ModelHandle::deployment_user`].
    pub fn deployment_user(self, user_id: impl Into<String>) -> Self {
        self.map(|m| m.deployment_user(user_id))
    }

    /// The warm-up budget: see [`crate::ModelHandle::warm_up`].
    pub fn warm_up(self, budget: Duration) -> Self {
        self.map(|m| m.warm_up(budget))
    }

    /// A deadline per call, warm-up included: see [`crate::ModelHandle::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|m| m.timeout(timeout))
    }
}

/// A call of a model's method: [`crate::methods::MethodCall`], each call waiting for its
/// answer, streams as iterators.
#[derive(Clone, Debug)]
#[must_use = "a method call does nothing until it is predicted, generated or streamed"]
pub struct MethodCall {
    inner: crate::methods::MethodCall,
    runtime: Arc<Runtime>,
}

impl MethodCall {
    /// Adds an argument.
    pub fn arg(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        MethodCall {
            inner: self.inner.arg(name, value),
            runtime: self.runtime,
        }
    }

    /// Adds each field of `args` as an argument: see [`crate::methods::MethodCall::args`].
    pub fn args<T: serde::Serialize + ?Sized>(self, args: &T) -> Self {
        MethodCall {
            inner: self.inner.args(args),
            runtime: self.runtime,
        }
    }

    /// Calls a predict method: its answer.
    pub fn predict(self) -> Result<Value, Error> {
        self.runtime.block_on("predict", self.inner.predict())?
    }

    /// [`predict`](Self::predict), converted through serde.
    pub fn predict_as<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        self.runtime
            .block_on("predict_as", self.inner.predict_as())?
    }

    /// Calls a generate method: each value as it comes.
    pub fn generate(self) -> Result<ResponseIter<Value>, Error> {
        let stream = self.runtime.block_on("generate", self.inner.generate())??;
        Ok(ResponseIter::new(&self.runtime, "generate", stream))
    }

    /// Calls a stream method: `values` (an iterator, or a `std::sync::mpsc::Receiver`) go as
    /// the argument `arg`; each value comes back as it is ready.
    pub fn stream<I, V>(self, arg: &str, values: I) -> Result<ResponseIter<Value>, Error>
    where
        I: IntoIterator<Item = V>,
        I::IntoIter: Send + 'static,
        V: Into<Value> + Send + 'static,
    {
        let values = self.runtime.pump("stream", values.into_iter())?;
        let stream = self
            .runtime
            .block_on("stream", self.inner.stream(arg, values))??;
        Ok(ResponseIter::new(&self.runtime, "stream", stream))
    }
}
