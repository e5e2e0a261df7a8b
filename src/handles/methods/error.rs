//! [`MethodError`]: a method call refused before anything is sent, or an answer that does not fit
//! the method's signature.

use super::{MethodKind, ValueError};
use crate::api;

/// What is wrong with a method call (found before anything is sent), or with its answer. Comes
/// as [`Error::Method`](crate::Error::Method).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MethodError {
    /// The model has no method of that name.
    #[error("model {model:?} has no method {method:?}; its methods: {}", .available.join(", "))]
    UnknownMethod {
        /// The model's id.
        model: String,
        /// The name asked for.
        method: String,
        /// The methods it has.
        available: Vec<String>,
    },
    /// The model lists no method signatures: a model from before `ModelClass`. Call it with
    /// `ModelHandle::predict(Input)`.
    #[error(
        "model {model:?} has no method signatures: it is an old-style model, which takes \
         inputs (ModelHandle::predict(Input)) rather than named methods"
    )]
    NoSignatures {
        /// The model's id.
        model: String,
    },
    /// A required argument was not given.
    #[error("{method}: missing required argument {argument:?}; the method is `{signature}`")]
    MissingArgument {
        /// The method.
        method: String,
        /// The argument left out.
        argument: String,
        /// The method in Python form, as the SDK prints it.
        signature: String,
    },
    /// An argument the method does not take.
    #[error("{method}: unknown argument {argument:?}; it takes: {}", .accepted.join(", "))]
    UnknownArgument {
        /// The method.
        method: String,
        /// The name given.
        argument: String,
        /// The names it takes, in order.
        accepted: Vec<String>,
    },
    /// A value of the wrong type.
    #[error("{method}: argument {argument} expects {expected}, got {given}")]
    WrongType {
        /// The method.
        method: String,
        /// The argument (with `[i]` or `.field` for a value inside it).
        argument: String,
        /// The declared type, in Python form.
        expected: String,
        /// The type given.
        given: String,
    },
    /// The method was called as the wrong kind (`predict` on a generate method, ...).
    #[error("{method} is a {kind} method: call it with .{}()", .kind.call())]
    WrongKind {
        /// The method.
        method: String,
        /// Its kind.
        kind: MethodKind,
        /// How it was called.
        called: &'static str,
    },
    /// `.stream(name, ..)` named an argument that is not the method's streaming one.
    #[error("{method}: {argument:?} is not its streaming argument; that is {expected:?}")]
    NotTheStreamArgument {
        /// The method.
        method: String,
        /// The name given.
        argument: String,
        /// The method's streaming argument.
        expected: String,
    },
    /// The model's answer does not fit the method's output signature. The output is kept.
    #[error("{method}: the answer does not fit the output signature: {reason}")]
    BadOutput {
        /// The method.
        method: String,
        /// What does not fit.
        reason: String,
        /// The output as it came.
        output: Box<api::Output>,
    },
    /// The model's `_GET_SIGNATURES` answer could not be read.
    #[error("model {model:?}: its signatures could not be read: {reason}")]
    BadSignatures {
        /// The model's id.
        model: String,
        /// Why.
        reason: String,
    },
    /// The answer did not convert to the type asked for (`predict_as`).
    #[error("{method}: the answer does not convert: {reason}")]
    Conversion {
        /// The method.
        method: String,
        /// Why.
        reason: String,
    },
    /// `.args(..)` was given something that is not a map of arguments.
    #[error("{method}: .args(..) takes a struct or map of arguments: {reason}")]
    BadArgs {
        /// The method.
        method: String,
        /// Why.
        reason: String,
    },
    /// A model handle was given both a deployment and a nodepool.
    #[error(
        "a model can be sent to a deployment or to a nodepool, not both (deployment {deployment:?}, \
         nodepool {nodepool:?})"
    )]
    DeploymentAndNodepool {
        /// The deployment id.
        deployment: String,
        /// The nodepool id.
        nodepool: String,
    },
    /// A result did not convert to the type asked for.
    #[error(transparent)]
    Value(#[from] ValueError),
}

impl From<MethodError> for crate::Error {
    fn from(e: MethodError) -> Self {
        crate::Error::Method(Box::new(e))
    }
}
