//! Credentials: a personal access token (PAT), an app-specific API key, or a session token.
//!
//! A [`Credentials`] is validated when it is made, and builds its header value once, marked
//! sensitive. Cloning it is cheap (one reference count). Its `Debug` shows the kind and ids,
//! never the secret. [`RotatingCredentials`] swaps credentials while calls are in flight.

/// The credentials as a tonic interceptor or a tower layer, for your own channel or client.
pub use crate::client::auth::{
    AuthInterceptor, AuthService, REQUEST_ID_PREFIX, REQUEST_ID_PREFIX_HEADER,
};

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::Error;
use crate::api::UserAppIdSet;

/// The metadata key a session token travels in.
pub(crate) const SESSION_TOKEN: &str = "x-clarifai-session-token";

/// The header a PAT or API key travels in.
const AUTHORIZATION_HEADER: HeaderName = http::header::AUTHORIZATION;
/// [`SESSION_TOKEN`] as a header name.
const SESSION_TOKEN_HEADER: HeaderName = HeaderName::from_static(SESSION_TOKEN);

/// Whether the caller put credentials of their own on a request (`authorization` or a session
/// token), which then win over the client's. Called on every request: an empty map costs
/// nothing, and the names are constants, not parsed per lookup.
pub(crate) fn caller_set_auth(headers: &HeaderMap) -> bool {
    !headers.is_empty()
        && (headers.contains_key(AUTHORIZATION_HEADER)
            || headers.contains_key(SESSION_TOKEN_HEADER))
}

/// Which kind of secret a [`Credentials`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A personal access token: works across the user's apps, and for user-level rpcs
    /// (creating apps or keys). Needs a user id; requests get `user_app_id` filled.
    Pat,
    /// An app-specific API key: the key names its app, so `user_app_id` stays empty. Cannot
    /// call PAT-only rpcs.
    ApiKey,
    /// A browser session token, sent as `x-clarifai-session-token`; acts like a PAT.
    SessionToken,
}

impl CredentialKind {
    fn secret_name(self) -> &'static str {
        match self {
            CredentialKind::Pat => "PAT",
            CredentialKind::ApiKey => "API key",
            CredentialKind::SessionToken => "session token",
        }
    }
}

/// Credentials for Clarifai. Cheap to clone.
///
/// ```
/// use clarifai_tonic::Credentials;
/// let c = Credentials::pat("my-pat", "me", "my-app")?;
/// assert!(!format!("{c:?}").contains("my-pat"));
/// # Ok::<(), clarifai_tonic::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials(Arc<Inner>);

struct Inner {
    kind: CredentialKind,
    user_app_id: UserAppIdSet,
    key: HeaderName,
    value: HeaderValue,
    /// The CLI context these credentials came from, if any.
    context: Option<CliContext>,
}

/// Where credentials read from the Clarifai CLI's config file came from, and that context's
/// `CLARIFAI_API_BASE`: the endpoint a client uses for them when neither the code nor the
/// environment names one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CliContext {
    /// The context's name.
    pub(crate) name: String,
    /// The config file.
    pub(crate) path: PathBuf,
    /// Its `CLARIFAI_API_BASE`, when set.
    pub(crate) api_base: Option<String>,
}

impl Credentials {
    /// A personal access token for `user_id`. `app_id` may be empty for rpcs that take no app
    /// (listing apps, creating an app); an app-scoped call then fails before sending anything,
    /// unless its request names the app.
    pub fn pat(pat: &str, user_id: &str, app_id: &str) -> Result<Self, Error> {
        Self::with_ids(CredentialKind::Pat, pat, user_id, app_id)
    }

    /// An app-specific API key. It names its app, so no ids are needed or sent.
    pub fn api_key(key: &str) -> Result<Self, Error> {
        Self::build(CredentialKind::ApiKey, key, UserAppIdSet::default())
    }

    /// A session token for `user_id` (and `app_id`, as for [`Credentials::pat`]).
    pub fn session_token(token: &str, user_id: &str, app_id: &str) -> Result<Self, Error> {
        Self::with_ids(CredentialKind::SessionToken, token, user_id, app_id)
    }

    fn with_ids(
        kind: CredentialKind,
        secret: &str,
        user_id: &str,
        app_id: &str,
    ) -> Result<Self, Error> {
        check_id("user_id", user_id, kind, true)?;
        check_id("app_id", app_id, kind, false)?;
        let ids = UserAppIdSet {
            user_id: user_id.to_owned(),
            app_id: app_id.to_owned(),
        };
        Self::build(kind, secret, ids)
    }

    fn build(kind: CredentialKind, secret: &str, user_app_id: UserAppIdSet) -> Result<Self, Error> {
        let what = kind.secret_name();
        check_secret(what, secret)?;
        let (key, text) = match kind {
            CredentialKind::Pat | CredentialKind::ApiKey => {
                (AUTHORIZATION_HEADER, format!("Key {secret}"))
            }
            CredentialKind::SessionToken => (SESSION_TOKEN_HEADER, secret.to_owned()),
        };
        // check_secret admits only visible ASCII, which is always a valid header value; the error
        // arm is there so that no input can panic.
        let mut value = HeaderValue::try_from(text).map_err(|_| Error::InvalidCredentials {
            what,
            reason: "is not a valid header value".into(),
        })?;
        value.set_sensitive(true);
        Ok(Credentials(Arc::new(Inner {
            kind,
            user_app_id,
            key,
            value,
            context: None,
        })))
    }

    /// The same credentials, marked as read from `context` of a CLI config file.
    fn in_context(self, context: CliContext) -> Self {
        let inner = &self.0;
        Credentials(Arc::new(Inner {
            kind: inner.kind,
            user_app_id: inner.user_app_id.clone(),
            key: inner.key.clone(),
            value: inner.value.clone(),
            context: Some(context),
        }))
    }

    /// The name of the Clarifai CLI context these credentials were read from, if they were.
    pub fn cli_context(&self) -> Option<&str> {
        self.0.context.as_ref().map(|c| c.name.as_str())
    }

    /// The `CLARIFAI_API_BASE` of the CLI context these credentials were read from: the endpoint
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) uses when neither the code nor the
    /// environment names one. `None` for credentials from the environment or from code.
    pub fn cli_api_base(&self) -> Option<&str> {
        self.0.context.as_ref().and_then(|c| c.api_base.as_deref())
    }

    pub(crate) fn context(&self) -> Option<&CliContext> {
        self.0.context.as_ref()
    }

    /// The kind of secret.
    pub fn kind(&self) -> CredentialKind {
        self.0.kind
    }

    /// The user id (empty for an API key).
    pub fn user_id(&self) -> &str {
        &self.0.user_app_id.user_id
    }

    /// The app id (empty for an API key, and for a PAT made without one).
    pub fn app_id(&self) -> &str {
        &self.0.user_app_id.app_id
    }

    /// The `UserAppIDSet` filled into requests that leave theirs empty; `None` for an API key,
    /// whose app is implied by the key.
    pub fn user_app_id(&self) -> Option<&UserAppIdSet> {
        match self.0.kind {
            CredentialKind::ApiKey => None,
            _ => Some(&self.0.user_app_id),
        }
    }

    /// The metadata key and (sensitive) value this credential adds to a call.
    pub(crate) fn header(&self) -> (&HeaderName, &HeaderValue) {
        (&self.0.key, &self.0.value)
    }

    /// Credentials from the environment, falling back to the Clarifai CLI's config file.
    ///
    /// - `CLARIFAI_PAT` with `CLARIFAI_USER_ID` (and `CLARIFAI_APP_ID`, optional) gives a PAT;
    /// - `CLARIFAI_API_KEY` gives an API key;
    /// - `CLARIFAI_SESSION_TOKEN` with `CLARIFAI_USER_ID` (and `CLARIFAI_APP_ID`) gives a session token.
    ///
    /// Setting more than one of the three secrets is an error that names them. With none set, the
    /// current context of `$CLARIFAI_CONFIG` (default `~/.config/clarifai/config`) is used, if that
    /// file exists; `CLARIFAI_USER_ID` / `CLARIFAI_APP_ID` from the environment still win over it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] with the variables read through `lookup` instead of the process
    /// environment: for tests, or for settings kept elsewhere.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let env = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let secrets: Vec<(&'static str, String)> = SECRET_VARS
            .iter()
            .filter_map(|&name| env(name).map(|v| (name, v)))
            .collect();
        if secrets.len() > 1 {
            return Err(Error::ConflictingCredentials {
                names: secrets.iter().map(|(n, _)| *n).collect(),
            });
        }
        if let Some((name, secret)) = secrets.into_iter().next() {
            let user = env(USER_VAR).unwrap_or_default();
            let app = env(APP_VAR).unwrap_or_default();
            return from_values(name, &secret, &user, &app);
        }
        Self::from_cli_context(None, &lookup)
    }

    /// Credentials from the context `name` (or, with `None`, the current one) of the CLI config
    /// file that `lookup` names: `$CLARIFAI_CONFIG`, else `$HOME/.config/clarifai/config`.
    /// `CLARIFAI_USER_ID` / `CLARIFAI_APP_ID` from `lookup` win over the file's. A missing file is
    /// [`Error::MissingCredentials`]; a context that does not exist, an error listing those that do.
    pub(crate) fn from_cli_context(
        name: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let env = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let path = env("CLARIFAI_CONFIG").map(PathBuf::from).or_else(|| {
            env("HOME").map(|home| {
                Path::new(&home)
                    .join(".config")
                    .join("clarifai")
                    .join("config")
            })
        });
        match path {
            Some(path) if path.is_file() => {
                let file = ConfigFile::read(&path)?;
                file.context(name)?.credentials(lookup, true)
            }
            _ => Err(Error::MissingCredentials {
                hint: format!(
                    "set CLARIFAI_PAT with CLARIFAI_USER_ID and CLARIFAI_APP_ID, or CLARIFAI_API_KEY, or \
                     CLARIFAI_SESSION_TOKEN, or log in with the Clarifai CLI ({} not found)",
                    path.map(|p| p.display().to_string())
                        .unwrap_or_else(|| "~/.config/clarifai/config".into())
                ),
            }),
        }
    }

    /// Credentials from a context of the Clarifai CLI's config file (YAML: `current_context` and
    /// `contexts: {name: {CLARIFAI_PAT: .., CLARIFAI_USER_ID: .., ...}}`, the keys optionally under
    /// `env:`). `context` `None` means the file's `current_context`. A value of `ENVVAR` is read
    /// from the environment variable of the same name.
    pub fn from_config(path: impl AsRef<Path>, context: Option<&str>) -> Result<Self, Error> {
        let file = ConfigFile::read(path.as_ref())?;
        file.context(context)?
            .credentials(&|name: &str| std::env::var(name).ok(), false)
    }
}

const SECRET_VARS: [&str; 3] = ["CLARIFAI_PAT", "CLARIFAI_API_KEY", "CLARIFAI_SESSION_TOKEN"];
const USER_VAR: &str = "CLARIFAI_USER_ID";
const APP_VAR: &str = "CLARIFAI_APP_ID";
/// The endpoint key of a CLI context, as the Clarifai SDK writes it.
const BASE_VAR: &str = "CLARIFAI_API_BASE";

fn from_values(
    secret_name: &str,
    secret: &str,
    user: &str,
    app: &str,
) -> Result<Credentials, Error> {
    match secret_name {
        "CLARIFAI_API_KEY" => Credentials::api_key(secret),
        "CLARIFAI_SESSION_TOKEN" => Credentials::session_token(secret, user, app),
        _ => Credentials::pat(secret, user, app),
    }
}

/// A secret is one token of visible ASCII: anything else is a paste gone wrong, and we say what,
/// never echoing the value.
fn check_secret(what: &'static str, secret: &str) -> Result<(), Error> {
    let fail = |reason: String| Err(Error::InvalidCredentials { what, reason });
    if secret.trim().is_empty() {
        return fail("is empty".into());
    }
    if secret.starts_with("Key ") {
        return fail(
            "starts with \"Key \"; pass the bare secret, the client adds the prefix".into(),
        );
    }
    for (i, c) in secret.chars().enumerate() {
        let problem = match c {
            '\n' | '\r' => "a line break",
            '\0' => "a NUL byte",
            c if c.is_whitespace() => "white space",
            c if c.is_control() => "a control character",
            c if !c.is_ascii() => "a non-ASCII character",
            _ => continue,
        };
        return fail(format!(
            "contains {problem} at character {} of {}; a {what} is a single token of visible ASCII",
            i + 1,
            secret.chars().count()
        ));
    }
    Ok(())
}

/// Ids are not secret, but they go into requests, so the same rules apply; they may be quoted.
fn check_id(
    what: &'static str,
    id: &str,
    kind: CredentialKind,
    required: bool,
) -> Result<(), Error> {
    let fail = |reason: String| Err(Error::InvalidCredentials { what, reason });
    if id.trim().is_empty() {
        if required {
            return fail(format!(
                "is empty; a {} must say which user it acts for (set CLARIFAI_USER_ID)",
                kind.secret_name()
            ));
        }
        if !id.is_empty() {
            return fail("is only white space".into());
        }
        return Ok(());
    }
    if let Some(c) = id
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return fail(format!(
            "{id:?} contains {}; ids are letters, digits, '-' and '_'",
            if c == '\n' || c == '\r' {
                "a line break".to_owned()
            } else {
                format!("{c:?}")
            }
        ));
    }
    Ok(())
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("kind", &self.0.kind)
            .field("user_id", &self.0.user_app_id.user_id)
            .field("app_id", &self.0.user_app_id.app_id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.kind {
            CredentialKind::ApiKey => write!(f, "API key [redacted]"),
            kind => write!(
                f,
                "{} [redacted] for user {:?}, app {:?}",
                kind.secret_name(),
                self.0.user_app_id.user_id,
                self.0.user_app_id.app_id
            ),
        }
    }
}

/// Where a client gets its credentials for each call. Implement it to fetch from a vault,
/// refresh a session token, and so on; it is called once per call, so keep it cheap.
pub trait CredentialProvider: Send + Sync + 'static {
    /// The credentials to use now.
    fn credentials(&self) -> Credentials;
}

impl CredentialProvider for Credentials {
    fn credentials(&self) -> Credentials {
        self.clone()
    }
}

/// Credentials that can be swapped while the client is in use: each call takes whatever is
/// current when it starts. Clones share the same slot.
///
/// ```
/// use clarifai_tonic::{Credentials, credentials::{CredentialKind, CredentialProvider, RotatingCredentials}};
/// let slot = RotatingCredentials::new(Credentials::api_key("old")?);
/// // A clone, as given to `ClarifaiClient::builder().credential_provider(..)`.
/// let client_side = slot.clone();
/// assert_eq!(client_side.credentials().kind(), CredentialKind::ApiKey);
/// slot.rotate(Credentials::pat("new", "me", "my-app")?);
/// // Every clone, so every call that starts from now on, gets the new credentials.
/// assert_eq!(client_side.credentials().kind(), CredentialKind::Pat);
/// assert_eq!(client_side.credentials().app_id(), "my-app");
/// # Ok::<(), clarifai_tonic::Error>(())
/// ```
#[derive(Clone)]
pub struct RotatingCredentials(Arc<ArcSwap<Inner>>);

impl RotatingCredentials {
    /// A slot holding `initial`.
    pub fn new(initial: Credentials) -> Self {
        RotatingCredentials(Arc::new(ArcSwap::new(initial.0)))
    }

    /// Replaces the credentials for every call that starts from now on.
    pub fn rotate(&self, next: Credentials) {
        self.0.store(next.0);
    }
}

impl CredentialProvider for RotatingCredentials {
    fn credentials(&self) -> Credentials {
        Credentials(self.0.load_full())
    }
}

impl fmt::Debug for RotatingCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RotatingCredentials")
            .field(&self.credentials())
            .finish()
    }
}

// ---- the Clarifai CLI config file ----

struct ConfigFile {
    path: PathBuf,
    text: String,
    current: Option<String>,
    contexts: BTreeMap<String, serde_norway::Mapping>,
}

struct ConfigContext<'a> {
    file: &'a ConfigFile,
    name: String,
    values: BTreeMap<String, String>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<Self, Error> {
        let fail = |line: Option<usize>, message: String| Error::Config {
            path: path.to_owned(),
            line,
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(None, format!("cannot read it: {e}")))?;
        // Parse to a generic value first: serde's type errors quote the offending value, which
        // here could be a secret. Syntax errors from the scanner carry only a position.
        let root: serde_norway::Value = serde_norway::from_str(&text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let message = e.to_string();
            let message = match message.find(" at line ") {
                Some(at) => message[..at].to_owned(),
                None => message,
            };
            fail(line, format!("not valid YAML: {message}"))
        })?;
        let mut file = ConfigFile {
            path: path.to_owned(),
            text,
            current: None,
            contexts: BTreeMap::new(),
        };
        let root = match root {
            serde_norway::Value::Mapping(m) => m,
            serde_norway::Value::Null => {
                return Err(fail(None, "is empty".into()));
            }
            _ => {
                return Err(fail(
                    Some(1),
                    "must be a mapping with `contexts` and `current_context`".into(),
                ));
            }
        };
        if let Some(current) = root.get("current_context") {
            match current.as_str() {
                Some(name) => file.current = Some(name.to_owned()),
                None => {
                    return Err(file.error_at(
                        "current_context",
                        "`current_context` must be a context name",
                    ));
                }
            }
        }
        match root.get("contexts") {
            Some(serde_norway::Value::Mapping(contexts)) => {
                for (name, body) in contexts {
                    let Some(name) = name.as_str() else {
                        return Err(
                            file.error_at("contexts", "every context name must be a string")
                        );
                    };
                    let serde_norway::Value::Mapping(body) = body else {
                        return Err(
                            file.error_at(name, &format!("context `{name}` must be a mapping"))
                        );
                    };
                    file.contexts.insert(name.to_owned(), body.clone());
                }
            }
            Some(_) => {
                return Err(file.error_at(
                    "contexts",
                    "`contexts` must be a mapping of name to settings",
                ));
            }
            None => return Err(fail(None, "has no `contexts`".into())),
        }
        Ok(file)
    }

    /// An error at the first line that defines `key`.
    fn error_at(&self, key: &str, message: &str) -> Error {
        let needle = format!("{key}:");
        let line = self
            .text
            .lines()
            .position(|l| l.trim_start().starts_with(&needle))
            .map(|i| i + 1);
        Error::Config {
            path: self.path.clone(),
            line,
            message: message.to_owned(),
        }
    }

    fn context(&self, name: Option<&str>) -> Result<ConfigContext<'_>, Error> {
        let name = match name.or(self.current.as_deref()) {
            Some(name) => name,
            None if self.contexts.len() == 1 => self
                .contexts
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or(""),
            None => {
                return Err(Error::Config {
                    path: self.path.clone(),
                    line: None,
                    message: "has no `current_context`; name the context to use".into(),
                });
            }
        };
        let body = self.contexts.get(name).ok_or_else(|| Error::Config {
            path: self.path.clone(),
            line: None,
            message: format!(
                "has no context `{name}` (it has: {})",
                self.contexts.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })?;
        // The CLI nests the variables under `env:`; flat contexts are accepted too.
        let vars = match body.get("env") {
            Some(serde_norway::Value::Mapping(env)) => env,
            Some(_) => {
                return Err(self.error_at(
                    "env",
                    &format!("`env` of context `{name}` must be a mapping"),
                ));
            }
            None => body,
        };
        let mut values = BTreeMap::new();
        for (key, value) in vars {
            let Some(key) = key.as_str() else { continue };
            let text = match value {
                serde_norway::Value::String(s) => s.clone(),
                serde_norway::Value::Number(n) => n.to_string(),
                serde_norway::Value::Bool(b) => b.to_string(),
                serde_norway::Value::Null => continue,
                _ => {
                    return Err(self.error_at(
                        key,
                        &format!("`{key}` in context `{name}` must be a plain value"),
                    ));
                }
            };
            values.insert(key.to_owned(), text);
        }
        Ok(ConfigContext {
            file: self,
            name: name.to_owned(),
            values,
        })
    }
}

impl ConfigContext<'_> {
    /// `env_ids_win`: `CLARIFAI_USER_ID` / `CLARIFAI_APP_ID` from `lookup` override the file's.
    fn credentials(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
        env_ids_win: bool,
    ) -> Result<Credentials, Error> {
        let get = |key: &str| -> Result<Option<String>, Error> {
            if env_ids_win
                && (key == USER_VAR || key == APP_VAR)
                && let Some(v) = lookup(key).filter(|v| !v.is_empty())
            {
                return Ok(Some(v));
            }
            match self.values.get(key).map(String::as_str) {
                Some("ENVVAR") => match lookup(key).filter(|v| !v.is_empty()) {
                    Some(v) => Ok(Some(v)),
                    None => Err(self.file.error_at(
                        key,
                        &format!(
                            "`{key}` in context `{}` is ENVVAR, but {key} is not set",
                            self.name
                        ),
                    )),
                },
                Some("") | None => Ok(None),
                Some(v) => Ok(Some(v.to_owned())),
            }
        };
        let mut found = Vec::new();
        for name in SECRET_VARS {
            if let Some(v) = get(name)? {
                found.push((name, v));
            }
        }
        if found.len() > 1 {
            return Err(Error::ConflictingCredentials {
                names: found.iter().map(|(n, _)| *n).collect(),
            });
        }
        let Some((name, secret)) = found.pop() else {
            return Err(Error::Config {
                path: self.file.path.clone(),
                line: None,
                message: format!(
                    "context `{}` has none of CLARIFAI_PAT, CLARIFAI_API_KEY, CLARIFAI_SESSION_TOKEN",
                    self.name
                ),
            });
        };
        let user = get(USER_VAR)?.unwrap_or_default();
        let app = get(APP_VAR)?.unwrap_or_default();
        let context = CliContext {
            name: self.name.clone(),
            path: self.file.path.clone(),
            api_base: get(BASE_VAR)?.map(|b| b.trim().to_owned()),
        };
        let creds = from_values(name, &secret, &user, &app).map_err(|e| match e {
            // Say where the bad value came from.
            Error::InvalidCredentials { what, reason } => Error::InvalidCredentials {
                what,
                reason: format!(
                    "{reason} (from context `{}` of {})",
                    self.name,
                    self.file.path.display()
                ),
            },
            other => other,
        })?;
        Ok(creds.in_context(context))
    }
}
