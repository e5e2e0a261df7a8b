//! [`ClarifaiUrl`]: clarifai.com URLs of users, apps, models, workflows, datasets and inputs, and
//! the short `user/app/kind/id` forms, parsed into ids and printed back.

use std::fmt;
use std::str::FromStr;

use crate::api::UserAppIdSet;

/// What a resource URL points at, by the path word that names it (`models`, `workflows`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// `models`: a model, or one version of it.
    Model,
    /// `workflows`: a workflow, or one version of it.
    Workflow,
    /// `datasets`: a dataset, or one version of it.
    Dataset,
    /// `inputs`: an input (inputs have no versions).
    Input,
}

impl ResourceKind {
    const ALL: [ResourceKind; 4] = [Self::Model, Self::Workflow, Self::Dataset, Self::Input];

    /// The word in the URL path: `"models"`, `"workflows"`, `"datasets"` or `"inputs"`.
    pub fn path_segment(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Workflow => "workflows",
            Self::Dataset => "datasets",
            Self::Input => "inputs",
        }
    }

    fn from_path_segment(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.path_segment() == word)
    }

    fn has_versions(self) -> bool {
        self != Self::Input
    }
}

impl fmt::Display for ResourceKind {
    /// The singular noun: `model`, `workflow`, `dataset`, `input`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.path_segment();
        f.write_str(&word[..word.len() - 1])
    }
}

/// A Clarifai user, app, model, workflow, dataset or input, as its web URL names it.
///
/// Parsed from ([`FromStr`], [`ClarifaiUrl::parse`]):
///
/// | form | example |
/// | --- | --- |
/// | user | `https://clarifai.com/clarifai` |
/// | app | `https://clarifai.com/clarifai/main`, or `clarifai/main` |
/// | model | `https://clarifai.com/clarifai/main/models/general-image-recognition` |
/// | model version | `https://clarifai.com/clarifai/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40` |
/// | workflow (version) | `https://clarifai.com/{user}/{app}/workflows/{id}` (`/versions/{version}`) |
/// | dataset (version) | `https://clarifai.com/{user}/{app}/datasets/{id}` (`/versions/{version}`) |
/// | input | `https://clarifai.com/{user}/{app}/inputs/{id}` |
/// | short form | `clarifai/main/models/general-image-recognition` (also with `/versions/{version}`) |
/// | kind-less short form | `clarifai/main/general-image-recognition`: only through [`ClarifaiUrl::parse_as`], which is told the kind |
///
/// The scheme (`https://` or `http://`) may be left out. The host is `clarifai.com` or one of its
/// subdomains (`www.clarifai.com`, ...); other hosts are refused, so that a URL of another site is
/// never read as Clarifai ids. The API's REST paths are accepted too
/// (`https://api.clarifai.com/v2/users/{user}/apps/{app}/models/{id}`). A trailing slash, a
/// query string and a fragment are ignored. Ids are taken as they are written: not lowercased
/// and not percent-decoded; whitespace, control characters and `\ " < > { } | ^` `` ` `` are
/// refused (no Clarifai id has them, and `{user_id}` is a template someone forgot to fill).
///
/// [`Display`](fmt::Display) prints the canonical URL, `https://clarifai.com/...`, which parses
/// back to the same value.
///
/// ```
/// use clarifai_tonic::url::{ClarifaiUrl, ResourceKind};
///
/// let url: ClarifaiUrl = "https://clarifai.com/clarifai/main/models/general-image-recognition"
///     .parse()
///     .unwrap();
/// assert_eq!(url.kind(), Some(ResourceKind::Model));
/// assert_eq!(url.user_id(), "clarifai");
/// assert_eq!(url.app_id(), Some("main"));
/// assert_eq!(url.resource_id(), Some("general-image-recognition"));
/// assert_eq!(url.user_app_id().app_id, "main");
///
/// // The kind-less short form, read as a model:
/// let short = ClarifaiUrl::parse_as("clarifai/main/general-image-recognition", ResourceKind::Model).unwrap();
/// assert_eq!(short, url);
/// assert_eq!(
///     short.to_string(),
///     "https://clarifai.com/clarifai/main/models/general-image-recognition"
/// );
///
/// let err = "https://clarifai.com/clarifai/main/modles/x".parse::<ClarifaiUrl>().unwrap_err();
/// assert!(err.reason().contains("modles"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClarifaiUrl {
    /// `https://clarifai.com/{user_id}`
    User {
        /// The user.
        user_id: String,
    },
    /// `https://clarifai.com/{user_id}/{app_id}`
    App {
        /// The app's owner.
        user_id: String,
        /// The app.
        app_id: String,
    },
    /// `https://clarifai.com/{user_id}/{app_id}/models/{model_id}[/versions/{version_id}]`
    Model {
        /// The app's owner.
        user_id: String,
        /// The app the model belongs to.
        app_id: String,
        /// The model.
        model_id: String,
        /// One version of the model; `None` for the model itself (its latest version).
        version_id: Option<String>,
    },
    /// `https://clarifai.com/{user_id}/{app_id}/workflows/{workflow_id}[/versions/{version_id}]`
    Workflow {
        /// The app's owner.
        user_id: String,
        /// The app the workflow belongs to.
        app_id: String,
        /// The workflow.
        workflow_id: String,
        /// One version of the workflow; `None` for the workflow itself.
        version_id: Option<String>,
    },
    /// `https://clarifai.com/{user_id}/{app_id}/datasets/{dataset_id}[/versions/{version_id}]`
    Dataset {
        /// The app's owner.
        user_id: String,
        /// The app the dataset belongs to.
        app_id: String,
        /// The dataset.
        dataset_id: String,
        /// One version of the dataset; `None` for the dataset itself.
        version_id: Option<String>,
    },
    /// `https://clarifai.com/{user_id}/{app_id}/inputs/{input_id}`
    Input {
        /// The app's owner.
        user_id: String,
        /// The app the input belongs to.
        app_id: String,
        /// The input.
        input_id: String,
    },
}

impl ClarifaiUrl {
    /// Parses a URL or a short form (see the [type's docs](ClarifaiUrl)). The kind-less
    /// `user/app/id` is refused here, since it does not say what `id` is: use
    /// [`ClarifaiUrl::parse_as`] for it.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        parse(input, None)
    }

    /// Parses what [`ClarifaiUrl::parse`] does, and also the kind-less short form `user/app/id`,
    /// as a resource of `kind`; refuses a URL of any other kind (an app, or a workflow where a
    /// model is wanted). This is how a reference to a model can be written
    /// `clarifai/main/general-image-recognition`.
    ///
    /// ```
    /// use clarifai_tonic::url::{ClarifaiUrl, ResourceKind};
    ///
    /// let model = ClarifaiUrl::parse_as("clarifai/main/general-image-recognition", ResourceKind::Model);
    /// assert_eq!(model.unwrap().resource_id(), Some("general-image-recognition"));
    ///
    /// let wrong = ClarifaiUrl::parse_as("https://clarifai.com/me/app/workflows/w", ResourceKind::Model);
    /// assert_eq!(wrong.unwrap_err().reason(), "it names a workflow, where a model is expected");
    /// ```
    pub fn parse_as(input: &str, kind: ResourceKind) -> Result<Self, UrlError> {
        let url = parse(input, Some(kind))?;
        match url.kind() {
            Some(k) if k == kind => Ok(url),
            _ => Err(UrlError::new(
                input,
                format!(
                    "it names {}, where {} is expected",
                    url.a_noun(),
                    a_noun(Some(kind))
                ),
            )),
        }
    }

    /// What the URL points at; `None` for a user or an app.
    pub fn kind(&self) -> Option<ResourceKind> {
        match self {
            Self::User { .. } | Self::App { .. } => None,
            Self::Model { .. } => Some(ResourceKind::Model),
            Self::Workflow { .. } => Some(ResourceKind::Workflow),
            Self::Dataset { .. } => Some(ResourceKind::Dataset),
            Self::Input { .. } => Some(ResourceKind::Input),
        }
    }

    /// The user (the app's owner).
    pub fn user_id(&self) -> &str {
        match self {
            Self::User { user_id }
            | Self::App { user_id, .. }
            | Self::Model { user_id, .. }
            | Self::Workflow { user_id, .. }
            | Self::Dataset { user_id, .. }
            | Self::Input { user_id, .. } => user_id,
        }
    }

    /// The app; `None` for a user URL.
    pub fn app_id(&self) -> Option<&str> {
        match self {
            Self::User { .. } => None,
            Self::App { app_id, .. }
            | Self::Model { app_id, .. }
            | Self::Workflow { app_id, .. }
            | Self::Dataset { app_id, .. }
            | Self::Input { app_id, .. } => Some(app_id),
        }
    }

    /// The model, workflow, dataset or input id; `None` for a user or an app.
    pub fn resource_id(&self) -> Option<&str> {
        match self {
            Self::User { .. } | Self::App { .. } => None,
            Self::Model { model_id: id, .. }
            | Self::Workflow {
                workflow_id: id, ..
            }
            | Self::Dataset { dataset_id: id, .. }
            | Self::Input { input_id: id, .. } => Some(id),
        }
    }

    /// The version, when the URL names one.
    pub fn version_id(&self) -> Option<&str> {
        match self {
            Self::Model { version_id, .. }
            | Self::Workflow { version_id, .. }
            | Self::Dataset { version_id, .. } => version_id.as_deref(),
            _ => None,
        }
    }

    /// What the URL names, with its article: `"a user"`, `"an app"`, `"a model"`, ...
    pub(crate) fn a_noun(&self) -> &'static str {
        match self {
            Self::User { .. } => "a user",
            _ => a_noun(self.kind()),
        }
    }

    /// The `user_app_id` a request about this resource carries. For a user URL the `app_id` is
    /// empty, which is how user-level requests (listing apps, ...) leave it.
    pub fn user_app_id(&self) -> UserAppIdSet {
        UserAppIdSet {
            user_id: self.user_id().to_owned(),
            app_id: self.app_id().unwrap_or_default().to_owned(),
        }
    }
}

/// What a URL of `kind` names, with its article: `"a model"`, `"an app"` (`None`).
fn a_noun(kind: Option<ResourceKind>) -> &'static str {
    match kind {
        None => "an app",
        Some(ResourceKind::Model) => "a model",
        Some(ResourceKind::Workflow) => "a workflow",
        Some(ResourceKind::Dataset) => "a dataset",
        Some(ResourceKind::Input) => "an input",
    }
}

impl fmt::Display for ClarifaiUrl {
    /// The canonical web URL: `https://clarifai.com/{user}/{app}/{kind}/{id}[/versions/{version}]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://clarifai.com/{}", self.user_id())?;
        if let Some(app_id) = self.app_id() {
            write!(f, "/{app_id}")?;
        }
        if let (Some(kind), Some(id)) = (self.kind(), self.resource_id()) {
            write!(f, "/{}/{id}", kind.path_segment())?;
        }
        if let Some(version) = self.version_id() {
            write!(f, "/versions/{version}")?;
        }
        Ok(())
    }
}

impl FromStr for ClarifaiUrl {
    type Err = UrlError;

    fn from_str(input: &str) -> Result<Self, UrlError> {
        Self::parse(input)
    }
}

impl TryFrom<&str> for ClarifaiUrl {
    type Error = UrlError;

    fn try_from(input: &str) -> Result<Self, UrlError> {
        Self::parse(input)
    }
}

impl TryFrom<String> for ClarifaiUrl {
    type Error = UrlError;

    fn try_from(input: String) -> Result<Self, UrlError> {
        Self::parse(&input)
    }
}

/// Text that is not a Clarifai URL or short form: what was given, and what was wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError {
    input: String,
    reason: String,
}

impl UrlError {
    pub(crate) fn new(input: &str, reason: impl Into<String>) -> Self {
        UrlError {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    /// The text that was parsed, as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with it, e.g. ``"`modles` is not one of models, workflows, datasets, inputs"``.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for UrlError {
    /// `not a Clarifai URL: "<input>": <reason>`. The input is shown without its query string
    /// (which may hold a token) and cut at 100 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 100;
        let (shown, query) = match self.input.find(['?', '#']) {
            Some(at) => (&self.input[..at], "?…"),
            None => (self.input.as_str(), ""),
        };
        let mut chars = shown.chars();
        let head: String = chars.by_ref().take(SHOWN).collect();
        let cut = if chars.next().is_some() { "…" } else { "" };
        write!(
            f,
            "not a Clarifai URL: {:?}{cut}{query}: {}",
            head, self.reason
        )
    }
}

impl std::error::Error for UrlError {}

/// The parser behind [`ClarifaiUrl::parse`] and [`ClarifaiUrl::parse_as`]; `kindless` is the kind
/// given to the short form `user/app/id`, which is refused without one.
fn parse(input: &str, kindless: Option<ResourceKind>) -> Result<ClarifaiUrl, UrlError> {
    let fail = |reason: String| UrlError::new(input, reason);
    let text = input.trim();
    if text.is_empty() {
        return Err(fail("it is empty".into()));
    }
    // A query string and a fragment say nothing about the resource.
    let text = &text[..text.find(['?', '#']).unwrap_or(text.len())];

    let (has_host, path) = split_host(text).map_err(&fail)?;
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return Err(fail(if has_host {
            "it has no user id after the host".into()
        } else {
            "it has no ids".into()
        }));
    }
    let mut segments: Vec<&str> = path.split('/').collect();
    if let Some(empty) = segments.iter().position(|s| s.is_empty()) {
        return Err(fail(format!("id {} is empty (`//`)", empty + 1)));
    }
    for segment in &segments {
        if let Some(c) = segment.chars().find(|&c| is_refused(c)) {
            return Err(fail(format!(
                "`{}` has a character no Clarifai id has: {c:?}",
                segment.escape_debug()
            )));
        }
    }
    // The REST path, /v2/users/{user}/apps/{app}/...: the same ids with two more words.
    if has_host && segments.starts_with(&["v2", "users"]) {
        match segments.as_slice() {
            [_, _, user] => segments = vec![user],
            [_, _, user, "apps", app, rest @ ..] => {
                segments = [*user, *app]
                    .into_iter()
                    .chain(rest.iter().copied())
                    .collect();
            }
            _ => {
                return Err(fail(
                    "an API path must be /v2/users/{user_id}[/apps/{app_id}/...]".into(),
                ));
            }
        }
    }

    let owned = |s: &str| s.to_owned();
    match segments.as_slice() {
        [user] if has_host => Ok(ClarifaiUrl::User {
            user_id: owned(user),
        }),
        [_] => Err(fail(
            "a single id does not say whose it is: write user/app/models/id, or the full URL"
                .into(),
        )),
        [user, app] => Ok(ClarifaiUrl::App {
            user_id: owned(user),
            app_id: owned(app),
        }),
        [user, app, third] => {
            if let Some(kind) = ResourceKind::from_path_segment(third) {
                return Err(fail(format!(
                    "it names the list of {third} of app {user}/{app}, not one {kind}"
                )));
            }
            match kindless {
                Some(kind) if !has_host => Ok(resource(kind, user, app, third, None)),
                Some(kind) => Err(fail(format!(
                    "a web URL needs the kind before the id: .../{user}/{app}/{}/{third}",
                    kind.path_segment()
                ))),
                None => Err(fail(format!(
                    "`{user}/{app}/{third}` does not say what {third} is: write \
                     {user}/{app}/models/{third} (or workflows, datasets, inputs)"
                ))),
            }
        }
        [user, app, kind, id, rest @ ..] => {
            let Some(kind) = ResourceKind::from_path_segment(kind) else {
                return Err(fail(format!(
                    "`{kind}` is not one of models, workflows, datasets, inputs"
                )));
            };
            let version = match rest {
                [] => None,
                ["versions", version] if kind.has_versions() => Some(*version),
                ["versions", _] => {
                    return Err(fail(format!("{kind}s have no versions")));
                }
                ["versions"] => return Err(fail("`versions` is not followed by an id".into())),
                [word, ..] if *word != "versions" => {
                    return Err(fail(format!(
                        "`{word}` after the {kind} id is not `versions`"
                    )));
                }
                _ => {
                    return Err(fail(format!(
                        "it has {} ids; a {kind} version URL has 6",
                        segments.len()
                    )));
                }
            };
            Ok(resource(kind, user, app, id, version))
        }
        [] => unreachable!("split always yields a segment"),
    }
}

fn resource(
    kind: ResourceKind,
    user: &str,
    app: &str,
    id: &str,
    version: Option<&str>,
) -> ClarifaiUrl {
    let (user_id, app_id, version_id) =
        (user.to_owned(), app.to_owned(), version.map(str::to_owned));
    match kind {
        ResourceKind::Model => ClarifaiUrl::Model {
            user_id,
            app_id,
            model_id: id.to_owned(),
            version_id,
        },
        ResourceKind::Workflow => ClarifaiUrl::Workflow {
            user_id,
            app_id,
            workflow_id: id.to_owned(),
            version_id,
        },
        ResourceKind::Dataset => ClarifaiUrl::Dataset {
            user_id,
            app_id,
            dataset_id: id.to_owned(),
            version_id,
        },
        ResourceKind::Input => ClarifaiUrl::Input {
            user_id,
            app_id,
            input_id: id.to_owned(),
        },
    }
}

/// Characters refused in an id: whitespace, control characters, and those a URL must escape.
fn is_refused(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\\' | '"' | '<' | '>' | '{' | '}' | '|' | '^' | '`')
}

/// Splits off the scheme and host, if any: `(true, path)` after a clarifai.com host, `(false,
/// path)` for a short form. The first segment is a host when there is a scheme or when it has a
/// dot (no Clarifai user id has one).
fn split_host(text: &str) -> Result<(bool, &str), String> {
    let rest = match text.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                return Err(format!(
                    "the scheme `{}` is not https or http",
                    scheme.escape_debug()
                ));
            }
            rest
        }
        None => {
            let first = text.split('/').next().unwrap_or_default();
            if !first.contains('.') {
                // A short form; a leading `/` is allowed, as in a path copied alone.
                return Ok((false, text.strip_prefix('/').unwrap_or(text)));
            }
            text
        }
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err("a URL with a user name or password is not a Clarifai page".into());
    }
    // A port is allowed (and ignored): the page is the same.
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host.is_empty() {
        return Err("it has no host".into());
    }
    let is_clarifai = host == "clarifai.com"
        || host
            .strip_suffix(".clarifai.com")
            .is_some_and(|sub| !sub.is_empty() && !sub.starts_with('.'));
    if !is_clarifai {
        return Err(format!(
            "the host `{}` is not clarifai.com",
            host.escape_debug()
        ));
    }
    Ok((true, path))
}
