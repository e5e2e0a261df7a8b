//! Clarifai's in-band status codes: [`ClarifaiCode`], the groups a caller can act on
//! ([`CodeGroup`]), and [`ClarifaiError`], a non-SUCCESS answer with its whole response.

use std::any::Any;
use std::fmt;

use crate::api::status::{Status as ApiStatus, StatusCode};

/// The groups of Clarifai status codes a caller can act on, each with its own advice in the
/// error's Display. Decided by the codes' names in the protos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeGroup {
    /// Credentials and permissions: a key or token invalid, missing or without the scopes, an
    /// auth method disabled, a permission denied.
    Auth,
    /// Throttling and usage limits.
    RateLimited,
    /// A request the server could not make sense of: its format, path, method or range.
    InvalidRequest,
    /// The account itself: its standing, its tier, consent it has not given.
    Account,
}

/// A Clarifai status code: the known [`StatusCode`] names, and unknown numbers kept as they came.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClarifaiCode(pub i32);

impl ClarifaiCode {
    /// The generated enum value, when the number is known to this version of the protos.
    pub fn known(self) -> Option<StatusCode> {
        StatusCode::try_from(self.0).ok()
    }

    /// The proto name (`"MIXED_STATUS"`), when known.
    pub fn name(self) -> Option<&'static str> {
        self.known().map(|c| c.as_str_name())
    }

    /// The group a caller can act on, when the code belongs to one.
    #[allow(deprecated)] // CONN_TOKEN_INVALID: deprecated, but servers may still send it
    pub fn group(self) -> Option<CodeGroup> {
        use StatusCode as C;
        let code = self.known()?;
        Some(match code {
            C::ConnTokenInvalid
            | C::ConnCredentialsInvalid
            | C::ConnInsufficientScopes
            | C::ConnKeyInvalid
            | C::ConnKeyNotFound
            | C::ConnInvalidRequest
            | C::ConnAuthMethodDisabled => CodeGroup::Auth,
            C::ConnExceedHourlyLimit
            | C::ConnExceedMonthlyLimit
            | C::ConnThrottled
            | C::ConnExceedsLimits => CodeGroup::RateLimited,
            C::ConnBadRequestFormat
            | C::ConnDoesNotExist
            | C::ConnMethodNotAllowed
            | C::ConnInvalidRange => CodeGroup::InvalidRequest,
            C::ConnAccountIssues | C::ConnNoGdprConsent => CodeGroup::Account,
            _ if code.as_str_name().ends_with("_PERMISSION_DENIED") => CodeGroup::Auth,
            _ => return None,
        })
    }

    /// Whether this is a credentials or permissions code ([`CodeGroup::Auth`]).
    pub fn is_auth(self) -> bool {
        self.group() == Some(CodeGroup::Auth)
    }
}

impl From<StatusCode> for ClarifaiCode {
    fn from(code: StatusCode) -> Self {
        ClarifaiCode(code as i32)
    }
}

impl PartialEq<StatusCode> for ClarifaiCode {
    fn eq(&self, other: &StatusCode) -> bool {
        self.0 == *other as i32
    }
}

impl fmt::Display for ClarifaiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "unknown status code {}", self.0),
        }
    }
}

impl fmt::Debug for ClarifaiCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A non-SUCCESS in-band status, with everything the server sent.
pub struct ClarifaiError {
    /// The rpc.
    pub rpc: &'static str,
    /// The status code; unknown numbers are kept.
    pub code: ClarifaiCode,
    /// The full status as sent.
    pub status: ApiStatus,
    response: Box<dyn Any + Send + Sync>,
}

impl ClarifaiError {
    pub(crate) fn new<T: Any + Send + Sync>(
        rpc: &'static str,
        status: ApiStatus,
        response: T,
    ) -> Self {
        ClarifaiError {
            rpc,
            code: ClarifaiCode(status.code),
            status,
            response: Box::new(response),
        }
    }

    /// The server's description.
    pub fn description(&self) -> &str {
        &self.status.description
    }

    /// The server's details.
    pub fn details(&self) -> &str {
        &self.status.details
    }

    /// The request id, to quote to Clarifai support.
    pub fn req_id(&self) -> &str {
        &self.status.req_id
    }

    /// The whole decoded response, as its concrete type.
    pub fn response<T: 'static>(&self) -> Option<&T> {
        self.response.downcast_ref::<T>()
    }

    /// Takes the whole decoded response out, as its concrete type; gives the error back when
    /// `T` is not the response's type.
    pub fn into_response<T: 'static>(self: Box<Self>) -> Result<T, Box<Self>> {
        let ClarifaiError {
            rpc,
            code,
            status,
            response,
        } = *self;
        match response.downcast::<T>() {
            Ok(r) => Ok(*r),
            Err(response) => Err(Box::new(ClarifaiError {
                rpc,
                code,
                status,
                response,
            })),
        }
    }

    /// Plain-words advice for the code's [`CodeGroup`]: what to check or do.
    pub fn advice(&self) -> Option<String> {
        let code = self.code;
        let is = |c: StatusCode| code == c;
        let advice = match code.group()? {
            CodeGroup::Auth => {
                let text =
                    format!("{} {}", self.status.description, self.status.details).to_lowercase();
                if is(StatusCode::ConnInsufficientScopes) || text.contains("scope") {
                    match missing_scopes(&self.status) {
                        Some(scopes) => format!(
                            "the key lacks the scopes {scopes}: add them to the key in the \
                             Clarifai portal, or use a PAT"
                        ),
                        None => "the key lacks a scope this rpc needs (see \
                                 clarifai_tonic::rpc::find(..).scopes), or use a PAT"
                            .into(),
                    }
                } else if is(StatusCode::ConnInvalidRequest) || text.contains("invalid request") {
                    "no usable key reached the server: set credentials on the client (for \
                     example Credentials::from_env()) and check that no proxy strips the \
                     authorization header"
                        .into()
                } else if is(StatusCode::ConnAuthMethodDisabled) {
                    "this way of authenticating is disabled for the account: use another kind of \
                     credentials"
                        .into()
                } else if code
                    .name()
                    .is_some_and(|n| n.ends_with("_PERMISSION_DENIED"))
                {
                    "the credentials may not touch this resource: check that user_id/app_id name \
                     an app the key can reach, and the key's scopes"
                        .into()
                } else {
                    "the key was not recognised: check that the PAT or API key is current, \
                     copied whole, and sent to the right endpoint"
                        .into()
                }
            }
            CodeGroup::RateLimited => {
                if is(StatusCode::ConnExceedMonthlyLimit) || is(StatusCode::ConnExceedsLimits) {
                    "the account is over a usage limit: raise the plan's limits, or wait for the \
                     period to end"
                        .into()
                } else {
                    "the account is being rate limited: slow down, or retry later".into()
                }
            }
            CodeGroup::InvalidRequest => "the server could not make sense of the request: check \
                                          that this crate's protos match the endpoint's API"
                .into(),
            CodeGroup::Account => "check the account's standing in the Clarifai portal".into(),
        };
        Some(advice)
    }
}

/// The scope names a CONN_INSUFFICIENT_SCOPES status lists, as the server wrote them.
fn missing_scopes(status: &ApiStatus) -> Option<String> {
    for text in [&status.details, &status.description] {
        let lower = text.to_lowercase();
        if let Some(at) = lower.find("scope") {
            let rest = &text[at..];
            if let Some(colon) = rest.find(':') {
                let list = rest[colon + 1..].trim().trim_end_matches('.');
                if !list.is_empty() {
                    return Some(list.to_owned());
                }
            }
        }
    }
    None
}

impl fmt::Display for ClarifaiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Clarifai status {}", self.rpc, self.code)?;
        if !self.status.description.is_empty() {
            write!(f, ": {}", self.status.description)?;
        }
        if !self.status.details.is_empty() {
            write!(f, " ({})", self.status.details)?;
        }
        if !self.status.req_id.is_empty() {
            write!(f, " [req_id {}]", self.status.req_id)?;
        }
        if let Some(advice) = self.advice() {
            write!(f, "; {advice}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClarifaiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClarifaiError")
            .field("rpc", &self.rpc)
            .field("code", &self.code)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
