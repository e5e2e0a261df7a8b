//! `rpc_table.rs`: what prost drops from each rpc (its auth type, scopes, streaming kind and
//! whether it works inside an app), as a table with a marker type per rpc.

use heck::ToUpperCamelCase;
use prost_reflect::{
    DescriptorPool, DynamicMessage, EnumDescriptor, ExtensionDescriptor, MethodDescriptor, Value,
};

use crate::accessors::paged_rpcs;
use crate::names::{first_doc_line, rust_type, snake};
use crate::template::fill;
use crate::{BuildResult, SERVICE};

/// The whole file: the table, then the markers.
const RPC_TABLE: &str = r#"
/// The gRPC service every rpc belongs to, from the protos.
pub const SERVICE: &str = "{service}";

/// Every rpc of `{service}`, sorted by name (so [`find`] can search it).
pub static RPCS: &[RpcInfo] = &[
{rows}];

{markers}"#;

/// One row of `RPCS`.
const RPC_INFO: &str = r#"
    RpcInfo { name: "{name}", path: "/{service}/{name}", auth: AuthType::{auth}, scopes: &[{scopes}], streaming: Streaming::{kind}, private: {private}, needs_app: {needs_app}, retry: RetrySafety::{retry}, request_type: "{req}", response_type: "{resp}" },
"#;

/// The marker type of one rpc, pointing at its row.
const MARKER: &str = r#"
/// Marker for the rpc `{name}`{doc}.
#[derive(Debug, Clone, Copy, Default)]
pub struct {name};
impl Rpc for {name} {
    type Request = {req};
    type Response = {resp};
    const INFO: &'static RpcInfo = &RPCS[{index}];
}
impl {kind}Rpc for {name} {}
"#;

/// The paging of a paged List rpc: which field of its response holds the items.
const PAGED: &str = r#"
impl PagedRpc for {name} {
    type Item = {item};
    #[inline]
    fn items(response: &mut Self::Response) -> &mut Vec<Self::Item> { &mut response.{field} }
}
"#;

/// The custom method options that prost drops.
pub struct Extensions {
    auth_type: ExtensionDescriptor,
    scopes: ExtensionDescriptor,
    private_rpc: ExtensionDescriptor,
    http: ExtensionDescriptor,
    auth_enum: EnumDescriptor,
    scope_enum: EnumDescriptor,
}

impl Extensions {
    /// Looks the options up by name, so that a proto update that renames one stops the build.
    pub fn find(pool: &DescriptorPool) -> BuildResult<Self> {
        let ext = |name: &str| {
            pool.get_extension_by_name(name)
                .ok_or_else(|| format!("the protos no longer define the method option {name}"))
        };
        let enm = |name: &str| {
            pool.get_enum_by_name(name)
                .ok_or_else(|| format!("the protos no longer define the enum {name}"))
        };
        Ok(Self {
            auth_type: ext("clarifai.auth.util.cl_auth_type")?,
            scopes: ext("clarifai.auth.util.cl_depending_scopes")?,
            private_rpc: ext("clarifai.auth.util.cl_private_rpc")?,
            http: ext("google.api.http")?,
            auth_enum: enm("clarifai.auth.types.AuthType")?,
            scope_enum: enm("clarifai.auth.scope.S")?,
        })
    }
}

/// Which side of an rpc streams; every writer picks its code by it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Streaming {
    Unary,
    Server,
    Client,
    Bidi,
}

impl Streaming {
    /// The kind of an rpc, from its descriptor.
    pub fn of(m: &MethodDescriptor) -> Self {
        match (m.is_client_streaming(), m.is_server_streaming()) {
            (false, false) => Streaming::Unary,
            (false, true) => Streaming::Server,
            (true, false) => Streaming::Client,
            (true, true) => Streaming::Bidi,
        }
    }

    /// Its name in `rpc::Streaming`, also the prefix of the marker trait (`UnaryRpc`, ...).
    pub fn variant(self) -> &'static str {
        match self {
            Streaming::Unary => "Unary",
            Streaming::Server => "ServerStreaming",
            Streaming::Client => "ClientStreaming",
            Streaming::Bidi => "BidiStreaming",
        }
    }
}

/// The Rust variant name of an enum option's value; an unknown number is an error.
fn enum_variant(e: &EnumDescriptor, number: i32) -> BuildResult<String> {
    let value = e
        .get_value(number)
        .ok_or_else(|| format!("{} has no value {number}", e.full_name()))?;
    Ok(value.name().to_upper_camel_case())
}

/// `rpc_table.rs`: one `RpcInfo` per rpc, sorted by name, and a marker type per rpc.
pub fn rpc_table(methods: &[MethodDescriptor], ext: &Extensions) -> BuildResult<String> {
    check_harmless(methods)?;
    let paged = paged_rpcs(methods);
    let mut sorted: Vec<&MethodDescriptor> = methods.iter().collect();
    sorted.sort_by(|a, b| a.name().cmp(b.name()));

    let mut rows = String::new();
    let mut markers = String::new();
    for (index, m) in sorted.iter().enumerate() {
        let options: DynamicMessage = m.options();
        let auth = match options.get_extension(&ext.auth_type).as_ref() {
            Value::EnumNumber(n) => enum_variant(&ext.auth_enum, *n)?,
            other => return Err(format!("{}: unexpected cl_auth_type {other:?}", m.name())),
        };
        let mut scopes = Vec::new();
        if let Value::List(values) = options.get_extension(&ext.scopes).as_ref() {
            for v in values {
                if let Value::EnumNumber(n) = v {
                    scopes.push(format!("S::{}", enum_variant(&ext.scope_enum, *n)?));
                }
            }
        }
        let private = matches!(
            options.get_extension(&ext.private_rpc).as_ref(),
            Value::Bool(true)
        );
        let kind = Streaming::of(m).variant();
        let name = m.name();
        // The REST routes tell whether an rpc works inside an app: it does unless a route names
        // the user but none names the app (ListApps: /v2/users/{user_app_id.user_id}/apps).
        // Routes that name neither (/v2/models/outputs/stream) act in an app too.
        let mut routes = Vec::new();
        if let Value::Message(rule) = options.get_extension(&ext.http).as_ref() {
            http_routes(rule, &mut routes);
        }
        let names_app = routes
            .iter()
            .any(|(_, r)| r.contains("{user_app_id.app_id}"));
        let names_user = routes
            .iter()
            .any(|(_, r)| r.contains("{user_app_id.user_id}"));
        let needs_app = names_app || !names_user;
        let retry = retry_safety(name, &routes)?;
        rows.push_str(&fill(
            RPC_INFO,
            &[
                ("service", SERVICE),
                ("name", name),
                ("auth", &auth),
                ("scopes", &scopes.join(", ")),
                ("kind", kind),
                ("private", &private.to_string()),
                ("needs_app", &needs_app.to_string()),
                ("retry", &retry),
                ("req", m.input().full_name()),
                ("resp", m.output().full_name()),
            ],
        ));
        markers.push_str(&fill(
            MARKER,
            &[
                ("name", name),
                ("doc", &first_doc_line(m)),
                ("req", &rust_type(&m.input())),
                ("resp", &rust_type(&m.output())),
                ("index", &index.to_string()),
                ("kind", kind),
            ],
        ));
        if let Some((_, (field, item))) = paged.get(name) {
            markers.push_str(&fill(
                PAGED,
                &[
                    ("name", name),
                    ("item", &rust_type(item)),
                    ("field", &snake(field.as_str())),
                ],
            ));
        }
    }
    Ok(fill(
        RPC_TABLE,
        &[("service", SERVICE), ("rows", &rows), ("markers", &markers)],
    ))
}

/// The rpcs that are safe to send a second time though none of their REST routes is a GET, each with
/// the reason, as `rpc::RetrySafety::Harmless` shows it. Everything else that is not a GET may do
/// its work twice (a second copy, a change applied twice, a job started twice), so only transparent
/// retries (of requests that never reached the server) apply to it by default.
const HARMLESS_TWICE: &[(&str, &str)] = &[
    ("PostAnnotationsSearches", SEARCH),
    ("PostAppsSearches", SEARCH),
    ("PostAuditLogSearches", SEARCH),
    ("PostConceptsSearches", SEARCH),
    ("PostInputsSearches", SEARCH),
    ("PostMetricsQuery", "a query: it stores nothing"),
    ("PostModelOutputs", PREDICT),
    (
        "PostModelVersionsTrainingTimeEstimate",
        "an estimate: it stores nothing",
    ),
    ("PostModelsSearches", SEARCH),
    ("PostSearches", SEARCH),
    ("PostSearchesByID", SEARCH),
    ("PostTrackAnnotationsSearches", SEARCH),
    ("PostValidatePassword", "a check: it stores nothing"),
    ("PostWorkflowResults", PREDICT),
    ("GenerateModelOutputs", PREDICT),
    ("StreamAnnotations", "it only reads annotations"),
    ("StreamLivestreamAnnotations", "it only reads annotations"),
];

/// Why a search is harmless twice.
const SEARCH: &str = "a search: it stores nothing, and a saved search is stored under the id it \
                      names, so a repeat cannot make a second copy";
/// Why a prediction is harmless twice.
const PREDICT: &str = "a prediction: it stores nothing, so a repeat gives an equivalent answer; \
                       a prediction that ran before the failure is billed again";

/// `RetrySafety` of one rpc, as Rust: `Read` when its REST route is a GET (for the few without
/// a route, the name starts with Get or List), `Harmless(..)` for [`HARMLESS_TWICE`],
/// else `Unsafe`.
fn retry_safety(name: &str, routes: &[(&'static str, String)]) -> BuildResult<String> {
    let harmless = HARMLESS_TWICE.iter().find(|(n, _)| *n == name);
    // The first route is the rule's own; additional bindings are not always the same kind
    // (PostPipelines has a GET among them, ListModelVersionRunners a POST).
    let reads = match routes.first() {
        Some((verb, _)) => *verb == "get",
        None => name.starts_with("Get") || name.starts_with("List"),
    };
    match (reads, harmless) {
        (true, Some(_)) => Err(format!(
            "{name} is a GET now: take it out of build/rpc_table.rs's HARMLESS_TWICE"
        )),
        (true, None) => Ok("Read".into()),
        (false, Some((_, why))) => Ok(format!("Harmless({why:?})")),
        (false, None) => Ok("Unsafe".into()),
    }
}

/// Fails the build when an entry of [`HARMLESS_TWICE`] names no rpc (renamed or removed).
fn check_harmless(methods: &[MethodDescriptor]) -> BuildResult<()> {
    for (name, _) in HARMLESS_TWICE {
        if !methods.iter().any(|m| m.name() == *name) {
            return Err(format!(
                "build/rpc_table.rs's HARMLESS_TWICE names {name}, which the protos no longer have"
            ));
        }
    }
    Ok(())
}

/// Every route of a `google.api.HttpRule`, its additional bindings included.
fn http_routes(rule: &DynamicMessage, out: &mut Vec<(&'static str, String)>) {
    for verb in ["get", "put", "post", "delete", "patch"] {
        if let Some(Value::String(route)) = rule.get_field_by_name(verb).as_deref()
            && !route.is_empty()
        {
            out.push((verb, route.clone()));
        }
    }
    if let Some(Value::List(more)) = rule.get_field_by_name("additional_bindings").as_deref() {
        for binding in more {
            if let Value::Message(binding) = binding {
                http_routes(binding, out);
            }
        }
    }
}
