//! Code generation for clarifai-tonic, in pure Rust (no `protoc`, no C toolchain).
//!
//! 1. `protox` compiles `proto/clarifai/api/service.proto` and its imports into a descriptor pool.
//! 2. `tonic-prost-build` turns it into messages, the `V2Client`, and (feature `mock`) the server.
//! 3. The same pool, which keeps the custom method options that prost drops, is walked once to emit
//!    the per-rpc table (auth type, scopes, streaming kind), the `user_app_id` and `status` accessors,
//!    the `StatusCode` aliases, and the mock server's dispatch.
//!
//! A missing or broken proto is reported by file and error, and the build stops without a panic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, process};

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use prost_reflect::{
    DescriptorPool, DynamicMessage, EnumDescriptor, ExtensionDescriptor, Kind, MessageDescriptor,
    MethodDescriptor, Value,
};

/// The file compiled; everything else comes in through its imports.
const ROOT_PROTO: &str = "proto/clarifai/api/service.proto";
/// The service every rpc belongs to.
const SERVICE: &str = "clarifai.api.V2";
/// Message types kept inline even though they are singular message fields (see `boxed_fields`).
const NEVER_BOXED: &[&str] = &["clarifai.api.UserAppIDSet", "clarifai.api.status.Status"];

type BuildResult<T> = Result<T, String>;

fn main() {
    if let Err(message) = run() {
        eprintln!("error: clarifai-tonic code generation failed: {message}");
        process::exit(1);
    }
}

fn run() -> BuildResult<()> {
    let manifest = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let with_server = env::var_os("CARGO_FEATURE_MOCK").is_some();
    println!("cargo:rerun-if-changed=build.rs");

    let root = manifest.join(ROOT_PROTO);
    if !root.is_file() {
        // Watch the path so that restoring the file reruns this script.
        println!("cargo:rerun-if-changed={}", root.display());
        return Err(format!(
            "{} is missing; run scripts/update-protos to vendor the Clarifai protos",
            root.display()
        ));
    }

    // Clarifai's files import each other as "proto/clarifai/...", relative to the crate root, and
    // import google/api/*.proto, which live in proto/. google/protobuf/* come with protox.
    let mut compiler = protox::Compiler::new([manifest.clone(), manifest.join("proto")])
        .map_err(|e| format!("setting up the proto compiler: {e}"))?;
    compiler.include_imports(true).include_source_info(true);
    let opened = compiler.open_file(ROOT_PROTO).map(|_| ());
    // Watch every file that was read, even when compiling failed, so that a fix reruns this script.
    for file in compiler.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    if let Err(e) = opened {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join("proto").display()
        );
        return Err(describe_protox_error(&e, &manifest));
    }

    let pool = compiler.descriptor_pool();
    let service = pool
        .get_service_by_name(SERVICE)
        .ok_or_else(|| format!("{ROOT_PROTO} does not define service {SERVICE}"))?;

    // google.api only carries the http options, so it generates no Rust. google.protobuf stays in
    // the set (prost needs its descriptors) and maps to prost-types.
    let mut fds = compiler.file_descriptor_set();
    fds.file.retain(|f| f.package() != "google.api");

    let mut builder = tonic_prost_build::configure()
        .build_client(true)
        .build_server(with_server)
        .build_transport(false)
        .generate_default_stubs(true)
        .bytes(".")
        .include_file("mod.rs")
        .out_dir(&out_dir);
    for path in boxed_fields(&pool) {
        builder = builder.boxed(path);
    }
    builder
        .compile_fds(fds)
        .map_err(|e| format!("generating Rust code from the protos: {e}"))?;

    // The pool as compiled, and a round-trip function per message type, for the fidelity tests
    // (tests/it/fidelity.rs), which compare both with the official client's descriptors.
    // (encode_file_descriptor_set keeps the extension options, which prost-types would drop.)
    fs::write(
        out_dir.join("descriptors.binpb"),
        compiler.encode_file_descriptor_set(),
    )
    .map_err(|e| format!("writing the descriptor set: {e}"))?;
    write_file(&out_dir.join("message_types.rs"), &message_types(&pool))?;

    let methods: Vec<MethodDescriptor> = service.methods().collect();
    let ext = Extensions::find(&pool)?;
    write_file(&out_dir.join("rpc_table.rs"), &rpc_table(&methods, &ext)?)?;
    write_file(&out_dir.join("scoped.rs"), &scoped_impls(&methods)?)?;
    write_file(&out_dir.join("status_aliases.rs"), &status_aliases(&pool)?)?;
    write_file(
        &out_dir.join("client_methods.rs"),
        &client_methods(&methods),
    )?;
    if with_server {
        write_file(&out_dir.join("mock_dispatch.rs"), &mock_dispatch(&methods))?;
    }
    Ok(())
}

fn env_var(name: &str) -> BuildResult<String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

fn write_file(path: &Path, text: &str) -> BuildResult<()> {
    fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// protox's error names the file; a parse or check error also has a span, turned into a line.
fn describe_protox_error(e: &protox::Error, manifest: &Path) -> String {
    use miette::Diagnostic;
    let mut text = e.to_string();
    let Some(file) = e.file() else { return text };
    let _ = write!(text, " (in {file}");
    let offset = e
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| l.offset());
    let source = [manifest.join(file), manifest.join("proto").join(file)]
        .into_iter()
        .find_map(|p| fs::read_to_string(p).ok());
    if let (Some(offset), Some(source)) = (offset, source) {
        let upto = &source.as_bytes()[..offset.min(source.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let _ = write!(text, ", line {line}");
        if let Some(label) = e
            .labels()
            .and_then(|mut l| l.next())
            .and_then(|l| l.label().map(str::to_owned))
        {
            let _ = write!(text, ": {label}");
        }
    }
    text.push(')');
    text
}

/// Singular message fields to store as `Box<T>`.
///
/// Clarifai's messages nest deeply: inline, the largest struct is about 19.5 KB and one unary call
/// future about 84 KB, which overflows a 2 MiB test thread in debug builds. Boxing every singular
/// message field keeps each struct small, with one rule users can remember: a nested message is
/// `Option<Box<T>>`. Well-known types, `UserAppIDSet` and the response `Status` stay inline, since
/// they are small and touched on every call.
fn boxed_fields(pool: &DescriptorPool) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for message in pool.all_messages() {
        if message.package_name().starts_with("google.") || message.is_map_entry() {
            continue;
        }
        for field in message.fields() {
            let Kind::Message(target) = field.kind() else {
                continue;
            };
            if field.is_list() || field.is_map() {
                continue;
            }
            let target = target.full_name();
            if target.starts_with("google.protobuf.") || NEVER_BOXED.contains(&target) {
                continue;
            }
            paths.insert(format!(".{}.{}", message.full_name(), field.name()));
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                // prost-build looks oneof fields up under the oneof's path.
                paths.insert(format!(
                    ".{}.{}.{}",
                    message.full_name(),
                    oneof.name(),
                    field.name()
                ));
            }
        }
    }
    paths
}

/// The custom method options that prost drops.
struct Extensions {
    auth_type: ExtensionDescriptor,
    scopes: ExtensionDescriptor,
    private_rpc: ExtensionDescriptor,
    http: ExtensionDescriptor,
    auth_enum: EnumDescriptor,
    scope_enum: EnumDescriptor,
}

impl Extensions {
    fn find(pool: &DescriptorPool) -> BuildResult<Self> {
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

/// The Rust path of a message, as prost names it, from inside the crate.
fn rust_type(message: &MessageDescriptor) -> String {
    let package = message.package_name();
    let mut path = String::from("crate::generated");
    for part in package.split('.').filter(|p| !p.is_empty()) {
        path.push_str("::");
        path.push_str(&escape_ident(&part.to_snake_case()));
    }
    // Nested messages live in a module named after each enclosing message.
    let relative = message
        .full_name()
        .strip_prefix(package)
        .unwrap_or(message.full_name())
        .trim_start_matches('.');
    let parts: Vec<&str> = relative.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push_str("::");
        if i + 1 == parts.len() {
            path.push_str(&part.to_upper_camel_case());
        } else {
            path.push_str(&escape_ident(&part.to_snake_case()));
        }
    }
    path
}

/// The path of a message from outside the crate (`clarifai_tonic::api::..`), where the tests
/// name it: `generated::clarifai::api` is `api`, `generated::clarifai::auth` is `auth`, and the
/// package-less `MatrixUint64` is re-exported from `api`.
fn public_rust_type(message: &MessageDescriptor) -> String {
    let path = rust_type(message);
    let inside = path.strip_prefix("crate::generated::").unwrap_or(&path);
    match inside.strip_prefix("clarifai::") {
        Some(rest) => format!("clarifai_tonic::{rest}"),
        None => format!("clarifai_tonic::api::{inside}"),
    }
}

/// `message_types.rs`: every Clarifai message type by full name, with its generated Rust type
/// behind `roundtrip` (a function the including test defines), as an array expression.
fn message_types(pool: &DescriptorPool) -> String {
    let mut out = String::from("&[\n");
    for message in pool.all_messages() {
        if message.package_name().starts_with("google.") || message.is_map_entry() {
            continue;
        }
        let _ = writeln!(
            out,
            "    ({name:?}, roundtrip::<{ty}> as Roundtrip),",
            name = message.full_name(),
            ty = public_rust_type(&message),
        );
    }
    out.push_str("]\n");
    out
}

fn escape_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Streaming {
    Unary,
    Server,
    Client,
    Bidi,
}

impl Streaming {
    fn of(m: &MethodDescriptor) -> Self {
        match (m.is_client_streaming(), m.is_server_streaming()) {
            (false, false) => Streaming::Unary,
            (false, true) => Streaming::Server,
            (true, false) => Streaming::Client,
            (true, true) => Streaming::Bidi,
        }
    }
    fn variant(self) -> &'static str {
        match self {
            Streaming::Unary => "Unary",
            Streaming::Server => "ServerStreaming",
            Streaming::Client => "ClientStreaming",
            Streaming::Bidi => "BidiStreaming",
        }
    }
}

fn enum_variant(e: &EnumDescriptor, number: i32) -> BuildResult<String> {
    let value = e
        .get_value(number)
        .ok_or_else(|| format!("{} has no value {number}", e.full_name()))?;
    Ok(value.name().to_upper_camel_case())
}

/// `rpc_table.rs`: one `RpcInfo` per rpc, sorted by name, and a marker type per rpc.
fn rpc_table(methods: &[MethodDescriptor], ext: &Extensions) -> BuildResult<String> {
    let mut sorted: Vec<&MethodDescriptor> = methods.iter().collect();
    sorted.sort_by(|a, b| a.name().cmp(b.name()));

    let mut table = String::from(
        "/// Every rpc of `clarifai.api.V2`, sorted by name (so [`find`] can search it).\n\
         pub static RPCS: &[RpcInfo] = &[\n",
    );
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
        let streaming = Streaming::of(m);
        let name = m.name();
        // The REST routes tell whether an rpc works inside an app: it does unless a route names
        // the user but none names the app (ListApps: /v2/users/{user_app_id.user_id}/apps).
        // Routes that name neither (/v2/models/outputs/stream) act in an app too.
        let mut routes = Vec::new();
        if let Value::Message(rule) = options.get_extension(&ext.http).as_ref() {
            http_routes(rule, &mut routes);
        }
        let names_app = routes.iter().any(|r| r.contains("{user_app_id.app_id}"));
        let names_user = routes.iter().any(|r| r.contains("{user_app_id.user_id}"));
        let needs_app = names_app || !names_user;
        let _ = writeln!(
            table,
            "    RpcInfo {{ name: {name:?}, path: \"/{SERVICE}/{name}\", auth: AuthType::{auth}, \
             scopes: &[{scopes}], streaming: Streaming::{kind}, private: {private}, needs_app: {needs_app}, \
             request_type: {req:?}, response_type: {resp:?} }},",
            scopes = scopes.join(", "),
            kind = streaming.variant(),
            req = m.input().full_name(),
            resp = m.output().full_name(),
        );
        let doc = first_doc_line(m);
        let _ = write!(
            markers,
            "/// Marker for the rpc `{name}`{doc}.\n\
             #[derive(Debug, Clone, Copy, Default)]\n\
             pub struct {name};\n\
             impl Rpc for {name} {{\n    type Request = {req};\n    type Response = {resp};\n    \
             const INFO: &'static RpcInfo = &RPCS[{index}];\n}}\n\
             impl {kind}Rpc for {name} {{}}\n",
            req = rust_type(&m.input()),
            resp = rust_type(&m.output()),
            kind = streaming.variant(),
        );
    }
    table.push_str("];\n\n");
    table.push_str(&markers);
    Ok(table)
}

/// Every route of a `google.api.HttpRule`, its additional bindings included.
fn http_routes(rule: &DynamicMessage, out: &mut Vec<String>) {
    for verb in ["get", "put", "post", "delete", "patch"] {
        if let Some(Value::String(route)) = rule.get_field_by_name(verb).as_deref()
            && !route.is_empty()
        {
            out.push(route.clone());
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

fn first_doc_line(m: &MethodDescriptor) -> String {
    let doc = m
        .parent_file()
        .file_descriptor_proto()
        .source_code_info
        .as_ref()
        .and_then(|info| {
            info.location
                .iter()
                .find(|l| l.path == m.path())
                .and_then(|l| l.leading_comments.clone())
        })
        .unwrap_or_default();
    let line = doc
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = line.trim_end_matches('.');
    if line.is_empty() {
        String::new()
    } else {
        // Keep it inert inside a doc comment.
        let clean: String = line
            .chars()
            .map(|c| {
                if matches!(c, '`' | '[' | ']' | '<' | '>') {
                    '\''
                } else {
                    c
                }
            })
            .collect();
        format!(": {clean}")
    }
}

/// `scoped.rs`: `UserAppScoped` for every rpc request type and `ClarifaiResponse` for every
/// response type, found by field name and type, whatever the field number.
fn scoped_impls(methods: &[MethodDescriptor]) -> BuildResult<String> {
    let mut requests = BTreeMap::new();
    let mut responses = BTreeMap::new();
    for m in methods {
        requests.insert(m.input().full_name().to_owned(), m.input());
        responses.insert(m.output().full_name().to_owned(), m.output());
    }
    let mut out = String::new();
    for message in requests.values() {
        let field = message.get_field_by_name("user_app_id").filter(|f| {
            !f.is_list()
                && matches!(f.kind(), Kind::Message(t) if t.full_name() == "clarifai.api.UserAppIDSet")
        });
        let body = if field.is_some() {
            "Some(&mut self.user_app_id)"
        } else {
            "None"
        };
        let _ = writeln!(
            out,
            "impl UserAppScoped for {ty} {{\n    #[inline]\n    fn user_app_id_mut(&mut self) -> \
             Option<&mut Option<crate::api::UserAppIdSet>> {{ {body} }}\n}}",
            ty = rust_type(message),
        );
    }
    for message in responses.values() {
        let field = message.get_field_by_name("status").filter(|f| {
            !f.is_list()
                && matches!(f.kind(), Kind::Message(t) if t.full_name() == "clarifai.api.status.Status")
        });
        let (body, number) = match &field {
            Some(f) => ("self.status.as_ref()", f.number()),
            None => ("None", 0),
        };
        let _ = writeln!(
            out,
            "impl ClarifaiResponse for {ty} {{\n    const STATUS_FIELD: u32 = {number};\n    \
             #[inline]\n    fn status(&self) -> \
             Option<&crate::api::status::Status> {{ {body} }}\n}}",
            ty = rust_type(message),
        );
    }
    for (message, _) in paged_rpcs(methods).into_values() {
        let _ = writeln!(
            out,
            "impl Paged for {ty} {{\n    fn page(&self) -> u32 {{ self.page }}\n    \
             fn set_page(&mut self, page: u32) {{ self.page = page; }}\n    \
             fn per_page(&self) -> u32 {{ self.per_page }}\n    \
             fn set_per_page(&mut self, per_page: u32) {{ self.per_page = per_page; }}\n}}",
            ty = rust_type(&message),
        );
    }
    Ok(out)
}

/// List rpcs that page: the request has `page` and `per_page` (uint32), and the response has
/// exactly one repeated message field besides `status`, which holds the items. Keyed by rpc name:
/// (request message, (items field, item message)).
fn paged_rpcs(
    methods: &[MethodDescriptor],
) -> BTreeMap<String, (MessageDescriptor, (String, MessageDescriptor))> {
    let mut out = BTreeMap::new();
    for m in methods
        .iter()
        .filter(|m| Streaming::of(m) == Streaming::Unary)
    {
        let input = m.input();
        let is_u32 = |name: &str| {
            input
                .get_field_by_name(name)
                .is_some_and(|f| !f.is_list() && matches!(f.kind(), Kind::Uint32))
        };
        if !is_u32("page") || !is_u32("per_page") {
            continue;
        }
        let lists: Vec<_> = m
            .output()
            .fields()
            .filter(|f| f.is_list() && !f.is_map())
            .filter_map(|f| match f.kind() {
                Kind::Message(item) => Some((f.name().to_owned(), item)),
                _ => None,
            })
            .collect();
        if let [(field, item)] = lists.as_slice() {
            out.insert(
                m.name().to_owned(),
                (input.clone(), (field.clone(), item.clone())),
            );
        }
    }
    out
}

/// `status_aliases.rs`: the `StatusCode` names that share a number with an earlier one
/// (`allow_alias`), which prost drops, as associated constants.
fn status_aliases(pool: &DescriptorPool) -> BuildResult<String> {
    let e = pool
        .get_enum_by_name("clarifai.api.status.StatusCode")
        .ok_or("the protos no longer define clarifai.api.status.StatusCode")?;
    // Declaration order decides which name prost keeps, so walk the proto's own list.
    let declared = &e.enum_descriptor_proto().value;
    let mut first: BTreeMap<i32, &str> = BTreeMap::new();
    let mut aliases = Vec::new();
    let mut out = String::from("impl StatusCode {\n");
    for value in declared {
        match first.get(&value.number()) {
            None => {
                first.insert(value.number(), value.name());
            }
            Some(original) => {
                aliases.push((value.name(), value.number()));
                let _ = writeln!(
                    out,
                    "    /// `{alias}` = {n}, an alias of `{original}` (prost keeps only the first name of a number).\n    \
                     pub const {alias}: StatusCode = StatusCode::{variant};",
                    alias = value.name().to_shouty_snake_case(),
                    n = value.number(),
                    variant = original.to_upper_camel_case(),
                );
            }
        }
    }
    out.push_str("}\n\n/// Every alias name with its number, as written in the proto.\n");
    out.push_str("pub const STATUS_CODE_ALIASES: &[(&str, i32)] = &[\n");
    for (name, number) in aliases {
        let _ = writeln!(out, "    ({name:?}, {number}),");
    }
    out.push_str("];\n");
    Ok(out)
}

/// `client_methods.rs`: a named method on `ClarifaiClient` for every rpc.
fn client_methods(methods: &[MethodDescriptor]) -> String {
    let mut out = String::from("impl ClarifaiClient {\n");
    for (name, (input, (field, item))) in paged_rpcs(methods) {
        let snake = name.to_snake_case();
        let _ = writeln!(
            out,
            "    /// Every item of `{name}`, page after page, fetched lazily. Stops after an empty or short \
             page;\n    /// `per_page` 0 means the client's page size, `page` 0 the first page.\n    \
             pub fn {snake}_stream(&self, request: {req}) -> ResponseStream<{item_ty}> {{\n        \
             self.paginate::<crate::rpc::{name}, _, _>(request, |r| std::mem::take(&mut r.{field}))\n    }}",
            req = rust_type(&input),
            item_ty = rust_type(&item),
            field = escape_ident(&field.to_snake_case()),
        );
    }
    for m in methods {
        let name = m.name();
        let snake = name.to_snake_case();
        let req = rust_type(&m.input());
        let resp = rust_type(&m.output());
        let doc = first_doc_line(m);
        let _ = match Streaming::of(m) {
            Streaming::Unary => writeln!(
                out,
                "    /// Calls `{name}`{doc}.\n    ///\n    /// See [`crate::rpc::{name}`] for its auth type and scopes. \
                 A non-SUCCESS Clarifai status is an [`Error`].\n    \
                 pub async fn {snake}(&self, request: impl IntoCall<{req}>) -> Result<{resp}, Error> {{\n        \
                 self.unary::<crate::rpc::{name}>(request.into_call()).await\n    }}"
            ),
            Streaming::Server => writeln!(
                out,
                "    /// Calls the server-streaming rpc `{name}`{doc}.\n    ///\n    /// Each item is checked for a \
                 non-SUCCESS Clarifai status.\n    \
                 pub async fn {snake}(&self, request: impl IntoCall<{req}>) -> Result<ResponseStream<{resp}>, Error> {{\n        \
                 self.server_streaming::<crate::rpc::{name}>(request.into_call()).await\n    }}"
            ),
            Streaming::Client => writeln!(
                out,
                "    /// Calls the client-streaming rpc `{name}`{doc}.\n    ///\n    /// `user_app_id` is filled on every \
                 outgoing message; the response is checked for a non-SUCCESS Clarifai status.\n    \
                 pub async fn {snake}<S>(&self, requests: S) -> Result<{resp}, Error>\n    \
                 where\n        S: futures_core::Stream<Item = {req}> + Send + 'static,\n    {{\n        \
                 self.client_streaming::<crate::rpc::{name}, S>(requests).await\n    }}"
            ),
            Streaming::Bidi => writeln!(
                out,
                "    /// Calls the streaming rpc `{name}`{doc}.\n    ///\n    /// `user_app_id` is filled on every \
                 outgoing message; each response is checked for a non-SUCCESS Clarifai status.\n    \
                 pub async fn {snake}<S>(&self, requests: S) -> Result<ResponseStream<{resp}>, Error>\n    \
                 where\n        S: futures_core::Stream<Item = {req}> + Send + 'static,\n    {{\n        \
                 self.streaming::<crate::rpc::{name}, S>(requests).await\n    }}"
            ),
        };
    }
    out.push_str("}\n");
    out
}

/// `mock_dispatch.rs`: the generated `V2` server trait implemented for `MockService`, each rpc
/// handing off to the handler registered for it (or UNIMPLEMENTED).
fn mock_dispatch(methods: &[MethodDescriptor]) -> String {
    let mut out = String::from(
        "#[tonic::async_trait]\nimpl crate::generated::clarifai::api::v2_server::V2 for MockService {\n",
    );
    for m in methods {
        let name = m.name();
        let snake = name.to_snake_case();
        let req = rust_type(&m.input());
        let resp = rust_type(&m.output());
        let _ = match Streaming::of(m) {
            Streaming::Unary => writeln!(
                out,
                "    async fn {snake}(&self, request: tonic::Request<{req}>) -> Result<tonic::Response<{resp}>, tonic::Status> {{\n        \
                 self.unary::<crate::rpc::{name}>(request).await\n    }}"
            ),
            Streaming::Server => writeln!(
                out,
                "    async fn {snake}(&self, request: tonic::Request<{req}>) -> Result<tonic::Response<tonic::codegen::BoxStream<{resp}>>, tonic::Status> {{\n        \
                 self.server_streaming::<crate::rpc::{name}>(request).await\n    }}"
            ),
            Streaming::Bidi => writeln!(
                out,
                "    async fn {snake}(&self, request: tonic::Request<tonic::Streaming<{req}>>) -> Result<tonic::Response<tonic::codegen::BoxStream<{resp}>>, tonic::Status> {{\n        \
                 self.bidi_streaming::<crate::rpc::{name}>(request).await\n    }}"
            ),
            Streaming::Client => writeln!(
                out,
                "    async fn {snake}(&self, request: tonic::Request<tonic::Streaming<{req}>>) -> Result<tonic::Response<{resp}>, tonic::Status> {{\n        \
                 self.client_streaming::<crate::rpc::{name}>(request).await\n    }}"
            ),
        };
    }
    out.push_str("}\n");
    out
}
