//! `client_methods.rs`: a named method on `ClarifaiClient` for every rpc, in one `impl` block per
//! API domain. Rustdoc shows each block's doc comment as a chapter of the `ClarifaiClient` page, so
//! the ~270 methods read as Models, Inputs, ... rather than as one list.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use prost_reflect::MethodDescriptor;

use crate::accessors::paged_rpcs;
use crate::names::{first_doc_line, rust_type};
use crate::rpc_table::Streaming;
use crate::template::fill;

/// One domain's block: its heading and description, then its methods.
const BLOCK: &str = r#"
/// # {heading}
///
/// {about}
impl ClarifaiClient {
{methods}}
"#;

/// A unary rpc.
const UNARY: &str = r#"
    /// Calls `{name}`{doc}.
    ///
    /// See [`crate::rpc::{name}`] for its auth type and scopes. A non-SUCCESS Clarifai status is an [`Error`].
    pub fn {snake}(&self, request: impl tonic::IntoRequest<{req}>) -> impl Future<Output = Result<{resp}, Error>> + '_ {
        self.unary::<crate::rpc::{name}>(request.into_request())
    }
"#;

/// A server-streaming rpc.
const SERVER_STREAMING: &str = r#"
    /// Calls the server-streaming rpc `{name}`{doc}.
    ///
    /// Each item is checked for a non-SUCCESS Clarifai status.
    pub fn {snake}(&self, request: impl tonic::IntoRequest<{req}>) -> impl Future<Output = Result<ResponseStream<{resp}>, Error>> + '_ {
        self.server_streaming::<crate::rpc::{name}>(request.into_request())
    }
"#;

/// A client-streaming rpc.
const CLIENT_STREAMING: &str = r#"
    /// Calls the client-streaming rpc `{name}`{doc}.
    ///
    /// `user_app_id` is filled on every outgoing message; the response is checked for a non-SUCCESS Clarifai status.
    pub async fn {snake}<S>(&self, requests: S) -> Result<{resp}, Error>
    where
        S: futures_core::Stream<Item = {req}> + Send + 'static,
    {
        self.client_streaming::<crate::rpc::{name}, S>(requests).await
    }
"#;

/// A bidirectional streaming rpc.
const BIDI_STREAMING: &str = r#"
    /// Calls the streaming rpc `{name}`{doc}.
    ///
    /// `user_app_id` is filled on every outgoing message; each response is checked for a non-SUCCESS Clarifai status.
    pub async fn {snake}<S>(&self, requests: S) -> Result<ResponseStream<{resp}>, Error>
    where
        S: futures_core::Stream<Item = {req}> + Send + 'static,
    {
        self.streaming::<crate::rpc::{name}, S>(requests).await
    }
"#;

/// The `_stream` helper of a paged rpc, right after the rpc's own method.
const PAGINATED: &str = r#"
    /// Every item of `{name}`, page after page, fetched lazily until a page comes back empty;
    /// `per_page` 0 means the client's page size, `page` 0 the first page. A `tonic::Request`'s
    /// metadata and extensions go with every page. Read it with [`StreamExt`](crate::StreamExt).
    pub fn {snake}_stream(&self, request: impl tonic::IntoRequest<{req}>) -> ResponseStream<{item}> {
        self.paginate::<crate::rpc::{name}>(request)
    }
"#;

/// The API domains, one `impl` block each, in the order of the blocks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Domain {
    Models,
    Inputs,
    Search,
    Concepts,
    Workflows,
    Pipelines,
    Compute,
    Apps,
    Tasks,
    Other,
}

impl Domain {
    /// The block's heading and its one-line description.
    fn heading(self) -> (&'static str, &'static str) {
        match self {
            Domain::Models => (
                "Models",
                "Models and their versions: predictions, training, evaluations, exports and publishing.",
            ),
            Domain::Inputs => (
                "Inputs",
                "Inputs, datasets and their versions, annotations, uploads and bulk operations.",
            ),
            Domain::Search => (
                "Search",
                "Searches over inputs and annotations, and saved searches.",
            ),
            Domain::Concepts => (
                "Concepts",
                "Concepts, their relations and languages, and knowledge graphs.",
            ),
            Domain::Workflows => (
                "Workflows",
                "Workflows and their versions, results and evaluations.",
            ),
            Domain::Pipelines => (
                "Pipelines",
                "Pipelines, their steps, versions, runs and templates, and artifacts.",
            ),
            Domain::Compute => (
                "Compute",
                "Compute clusters, nodepools, deployments and runners, and the clouds, regions and instance types they run on.",
            ),
            Domain::Apps => (
                "Apps, users and keys",
                "Apps, keys, collaborators, users, scopes and secrets.",
            ),
            Domain::Tasks => (
                "Tasks and labeling",
                "Labeling tasks, their assignments and workers, and label orders.",
            ),
            Domain::Other => (
                "Other rpcs",
                "Every rpc that belongs to none of the domains above.",
            ),
        }
    }
}

/// What an rpc name starts with before its resource noun. `My` is not a verb, but `MyScopes` is
/// about scopes.
const VERBS: &[&str] = &[
    "Post", "Get", "List", "Patch", "Put", "Delete", "Stream", "Generate", "Cancel", "Process",
    "My",
];

/// Resource nouns by prefix; the longest prefix that matches wins, so `AnnotationsSearch` (Search)
/// beats `Annotation` (Inputs). A noun that matches none is [`Domain::Other`].
const NOUNS: &[(&str, Domain)] = &[
    ("Model", Domain::Models),
    ("Evaluation", Domain::Models),
    ("Input", Domain::Inputs),
    ("Dataset", Domain::Inputs),
    ("Annotation", Domain::Inputs),
    ("LivestreamAnnotation", Domain::Inputs),
    ("Upload", Domain::Inputs),
    ("BulkOperation", Domain::Inputs),
    ("Search", Domain::Search),
    ("InputsSearch", Domain::Search),
    ("AnnotationsSearch", Domain::Search),
    ("TrackAnnotationsSearch", Domain::Search),
    ("Concept", Domain::Concepts),
    ("KnowledgeGraph", Domain::Concepts),
    ("Workflow", Domain::Workflows),
    ("Pipeline", Domain::Pipelines),
    ("Artifact", Domain::Pipelines),
    ("ComputeCluster", Domain::Compute),
    ("ComputePlane", Domain::Compute),
    ("Nodepool", Domain::Compute),
    ("Deployment", Domain::Compute),
    ("Runner", Domain::Compute),
    ("CloudProvider", Domain::Compute),
    ("CloudRegion", Domain::Compute),
    ("InstanceType", Domain::Compute),
    ("App", Domain::Apps),
    ("Key", Domain::Apps),
    ("Collaborator", Domain::Apps),
    ("Collaboration", Domain::Apps),
    ("User", Domain::Apps),
    ("Scope", Domain::Apps),
    ("ValidatePassword", Domain::Apps),
    ("Secret", Domain::Apps),
    ("ResourceCount", Domain::Apps),
    ("Task", Domain::Tasks),
    ("NextTaskAssignment", Domain::Tasks),
    ("LabelOrder", Domain::Tasks),
    ("AnnotationWorker", Domain::Tasks),
];

/// The domain of an rpc: its name without the verb, looked up in [`NOUNS`].
fn domain(rpc: &str) -> Domain {
    let noun = VERBS
        .iter()
        .filter_map(|verb| rpc.strip_prefix(verb))
        .find(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(rpc);
    NOUNS
        .iter()
        .filter(|(prefix, _)| noun.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(Domain::Other, |&(_, domain)| domain)
}

/// `client_methods.rs`: a named method on `ClarifaiClient` for every rpc, grouped by domain and
/// sorted by rpc name.
pub fn client_methods(methods: &[MethodDescriptor]) -> String {
    named_methods(methods, &ASYNC)
}

/// The templates a writer of named methods fills: the domain block, one per kind of rpc, and
/// the `_stream` helper of a paged rpc.
pub struct Templates {
    pub block: &'static str,
    pub unary: &'static str,
    pub server_streaming: &'static str,
    pub client_streaming: &'static str,
    pub bidi_streaming: &'static str,
    pub paginated: &'static str,
}

/// `ClarifaiClient`'s async methods.
const ASYNC: Templates = Templates {
    block: BLOCK,
    unary: UNARY,
    server_streaming: SERVER_STREAMING,
    client_streaming: CLIENT_STREAMING,
    bidi_streaming: BIDI_STREAMING,
    paginated: PAGINATED,
};

/// A method for every rpc from `templates`, grouped by domain and sorted by rpc name; the
/// async client and the blocking one share it.
pub fn named_methods(methods: &[MethodDescriptor], templates: &Templates) -> String {
    let paged = paged_rpcs(methods);
    let mut sorted: Vec<&MethodDescriptor> = methods.iter().collect();
    sorted.sort_by(|a, b| a.name().cmp(b.name()));
    let mut blocks: BTreeMap<Domain, String> = BTreeMap::new();
    for m in sorted {
        let out = blocks.entry(domain(m.name())).or_default();
        let name = m.name();
        let snake = name.to_snake_case();
        let template = match Streaming::of(m) {
            Streaming::Unary => templates.unary,
            Streaming::Server => templates.server_streaming,
            Streaming::Client => templates.client_streaming,
            Streaming::Bidi => templates.bidi_streaming,
        };
        out.push_str(&fill(
            template,
            &[
                ("name", name),
                ("doc", &first_doc_line(m)),
                ("snake", &snake),
                ("req", &rust_type(&m.input())),
                ("resp", &rust_type(&m.output())),
            ],
        ));
        if let Some((input, (_, item))) = paged.get(name) {
            out.push_str(&fill(
                templates.paginated,
                &[
                    ("name", name),
                    ("snake", &snake),
                    ("req", &rust_type(input)),
                    ("item", &rust_type(item)),
                ],
            ));
        }
    }
    let blocks: Vec<String> = blocks
        .into_iter()
        .map(|(domain, methods)| {
            let (heading, about) = domain.heading();
            fill(
                templates.block,
                &[
                    ("heading", heading),
                    ("about", about),
                    ("methods", &methods),
                ],
            )
        })
        .collect();
    blocks.join("\n")
}
