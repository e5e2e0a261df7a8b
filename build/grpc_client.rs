//! The generated `V2Client`: tonic's client for a service, written from templates as the message
//! writer ([`crate::messages`]) hands each service over, so that no client code generator (tonic-build, with `syn` and
//! `prettyplease`) is built for it. Its API is tonic-build's (the same constructors, settings and
//! one method per rpc, awaited the same way), except that each method is a plain `fn` returning
//! the future of a shared generic helper: the per-rpc code is one call, not an `async fn` state
//! machine of its own.
//!
//! With the feature `mock`, tonic-prost-build still writes the server, after the client, from the
//! same service converted to prost-build's type.

use heck::ToSnakeCase;

use crate::messages::{Method, Service, ServiceWriter};
use crate::template::fill;

/// The client module; `{methods}` is one method per rpc.
const CLIENT: &str = r#"
/// The generated client of `{service}`: one method per rpc.
pub mod {module} {
    #![allow(
        unused_variables,
        dead_code,
        clippy::wildcard_imports,
        clippy::let_unit_value,
    )]
    use tonic::codegen::*;
    use tonic::codegen::http::Uri;
{docs}    #[derive(Debug, Clone)]
    pub struct {client}<T> {
        inner: tonic::client::Grpc<T>,
    }
    impl<T> {client}<T>
    where
        T: tonic::client::GrpcService<tonic::body::Body>,
        T::Error: Into<StdError>,
        T::ResponseBody: Body<Data = Bytes> + std::marker::Send + 'static,
        <T::ResponseBody as Body>::Error: Into<StdError> + std::marker::Send,
    {
        /// A client over `inner`, a channel or any gRPC service; requests go to its own URI.
        pub fn new(inner: T) -> Self {
            let inner = tonic::client::Grpc::new(inner);
            Self { inner }
        }
        /// A client over `inner` whose requests take their scheme and authority from `origin`.
        pub fn with_origin(inner: T, origin: Uri) -> Self {
            let inner = tonic::client::Grpc::with_origin(inner, origin);
            Self { inner }
        }
        /// A client over `inner` that runs `interceptor` on each request before sending it.
        pub fn with_interceptor<F>(inner: T, interceptor: F) -> {client}<InterceptedService<T, F>>
        where
            F: tonic::service::Interceptor,
            T::ResponseBody: Default,
            T: tonic::codegen::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<<T as tonic::client::GrpcService<tonic::body::Body>>::ResponseBody>,
            >,
            <T as tonic::codegen::Service<http::Request<tonic::body::Body>>>::Error:
                Into<StdError> + std::marker::Send + std::marker::Sync,
        {
            {client}::new(InterceptedService::new(inner, interceptor))
        }
        /// Sends request messages compressed with `encoding`; a server that lacks it answers
        /// with an error.
        #[must_use]
        pub fn send_compressed(mut self, encoding: CompressionEncoding) -> Self {
            self.inner = self.inner.send_compressed(encoding);
            self
        }
        /// Tells the server that responses may come compressed with `encoding`, and decodes them.
        #[must_use]
        pub fn accept_compressed(mut self, encoding: CompressionEncoding) -> Self {
            self.inner = self.inner.accept_compressed(encoding);
            self
        }
        /// The largest response message this client decodes (tonic's default is 4 MiB).
        #[must_use]
        pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
            self.inner = self.inner.max_decoding_message_size(limit);
            self
        }
        /// The largest request message this client encodes (unbounded by default).
        #[must_use]
        pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
            self.inner = self.inner.max_encoding_message_size(limit);
            self
        }
        /// The request's path, with its `GrpcMethod` extension set. Shared by every method.
        fn prepare<R>(
            request: &mut tonic::Request<R>,
            (path, method): (&'static str, &'static str),
        ) -> http::uri::PathAndQuery {
            request.extensions_mut().insert(GrpcMethod::new("{service}", method));
            http::uri::PathAndQuery::from_static(path)
        }
        /// The error of a service that failed while getting ready for a request.
        fn not_ready(e: T::Error) -> tonic::Status {
            tonic::Status::unknown(format!("Service was not ready: {}", e.into()))
        }
        async fn unary_call<Req, Resp>(
            &mut self,
            mut request: tonic::Request<Req>,
            method: (&'static str, &'static str),
        ) -> std::result::Result<tonic::Response<Resp>, tonic::Status>
        where
            Req: prost::Message + Send + Sync + 'static,
            Resp: prost::Message + Default + Send + Sync + 'static,
        {
            self.inner.ready().await.map_err(Self::not_ready)?;
            let path = Self::prepare(&mut request, method);
            self.inner.unary(request, path, tonic_prost::ProstCodec::default()).await
        }
        async fn server_streaming_call<Req, Resp>(
            &mut self,
            mut request: tonic::Request<Req>,
            method: (&'static str, &'static str),
        ) -> std::result::Result<tonic::Response<tonic::codec::Streaming<Resp>>, tonic::Status>
        where
            Req: prost::Message + Send + Sync + 'static,
            Resp: prost::Message + Default + Send + Sync + 'static,
        {
            self.inner.ready().await.map_err(Self::not_ready)?;
            let path = Self::prepare(&mut request, method);
            self.inner.server_streaming(request, path, tonic_prost::ProstCodec::default()).await
        }
        async fn client_streaming_call<S, Resp>(
            &mut self,
            mut request: tonic::Request<S>,
            method: (&'static str, &'static str),
        ) -> std::result::Result<tonic::Response<Resp>, tonic::Status>
        where
            S: tonic::codegen::tokio_stream::Stream + Send + 'static,
            S::Item: prost::Message + Send + Sync + 'static,
            Resp: prost::Message + Default + Send + Sync + 'static,
        {
            self.inner.ready().await.map_err(Self::not_ready)?;
            let path = Self::prepare(&mut request, method);
            self.inner.client_streaming(request, path, tonic_prost::ProstCodec::default()).await
        }
        async fn streaming_call<S, Resp>(
            &mut self,
            mut request: tonic::Request<S>,
            method: (&'static str, &'static str),
        ) -> std::result::Result<tonic::Response<tonic::codec::Streaming<Resp>>, tonic::Status>
        where
            S: tonic::codegen::tokio_stream::Stream + Send + 'static,
            S::Item: prost::Message + Send + Sync + 'static,
            Resp: prost::Message + Default + Send + Sync + 'static,
        {
            self.inner.ready().await.map_err(Self::not_ready)?;
            let path = Self::prepare(&mut request, method);
            self.inner.streaming(request, path, tonic_prost::ProstCodec::default()).await
        }
{methods}    }
}
"#;

/// One rpc's method: `{input}` is what the request may be given as, `{into}` turns it into a
/// request, `{output}` is the response, and `{helper}` the shared call of the rpc's kind.
const METHOD: &str = r#"
{docs}        pub fn {snake}(
            &mut self,
            request: impl {input},
        ) -> impl Future<Output = std::result::Result<tonic::Response<{output}>, tonic::Status>> + '_ {
            self.{helper}(request.{into}(), ("{path}", "{name}"))
        }
"#;

/// The service writer: the client from [`CLIENT`], then (feature `mock`, when asked for)
/// tonic-prost-build's server.
pub struct Generator {
    /// tonic-prost-build's server generator (feature `mock`, and only when asked for).
    #[cfg(feature = "mock")]
    server: Option<Box<dyn prost_build::ServiceGenerator>>,
}

impl Generator {
    /// The client's writer, and the server's too `with_server` (which only the feature `mock`
    /// can ask for: without it, tonic-prost-build is not built).
    pub fn new(with_server: bool) -> Self {
        #[cfg(feature = "mock")]
        let server = with_server.then(|| {
            tonic_prost_build::configure()
                .build_client(false)
                .build_server(true)
                .build_transport(false)
                .generate_default_stubs(true)
                .service_generator()
        });
        #[cfg(not(feature = "mock"))]
        let _ = with_server;
        Generator {
            #[cfg(feature = "mock")]
            server,
        }
    }
}

impl ServiceWriter for Generator {
    fn service(&mut self, service: Service, buf: &mut String) {
        buf.push_str(&client(&service));
        #[cfg(feature = "mock")]
        if let Some(server) = &mut self.server {
            server.generate(server_side::service(service), buf);
        }
    }

    fn file_done(&mut self, buf: &mut String) {
        #[cfg(feature = "mock")]
        if let Some(server) = &mut self.server {
            server.finalize(buf);
        }
        let _ = buf;
    }

    fn package_done(&mut self, package: &str, buf: &mut String) {
        #[cfg(feature = "mock")]
        if let Some(server) = &mut self.server {
            server.finalize_package(package, buf);
        }
        let _ = (package, buf);
    }
}

/// Our service and its comments as prost-build's types, which tonic-prost-build takes.
#[cfg(feature = "mock")]
mod server_side {
    use crate::messages::{Comments, Method, Service};

    fn comments(c: Comments) -> prost_build::Comments {
        prost_build::Comments {
            leading_detached: c.leading_detached,
            leading: c.leading,
            trailing: c.trailing,
        }
    }

    fn method(m: Method) -> prost_build::Method {
        prost_build::Method {
            name: m.name,
            proto_name: m.proto_name,
            comments: comments(m.comments),
            input_type: m.input_type,
            output_type: m.output_type,
            input_proto_type: m.input_proto_type,
            output_proto_type: m.output_proto_type,
            options: m.options,
            client_streaming: m.client_streaming,
            server_streaming: m.server_streaming,
        }
    }

    pub fn service(s: Service) -> prost_build::Service {
        prost_build::Service {
            name: s.name,
            proto_name: s.proto_name,
            package: s.package,
            comments: comments(s.comments),
            methods: s.methods.into_iter().map(method).collect(),
            options: s.options,
        }
    }
}

/// The client module of one service.
fn client(service: &Service) -> String {
    let full_name = if service.package.is_empty() {
        service.proto_name.clone()
    } else {
        format!("{}.{}", service.package, service.proto_name)
    };
    let mut methods = String::new();
    for method in &service.methods {
        methods.push_str(&client_method(method, &full_name));
    }
    let mut docs = String::new();
    service.comments.append_with_indent(1, &mut docs);
    if docs.is_empty() {
        docs = format!("    /// A client of the service `{full_name}`.\n");
    }
    fill(
        CLIENT,
        &[
            (
                "module",
                &format!("{}_client", service.name.to_snake_case()),
            ),
            ("client", &format!("{}Client", service.name)),
            ("service", &full_name),
            ("docs", &docs),
            ("methods", &methods),
        ],
    )
}

/// One method of the client.
fn client_method(method: &Method, service: &str) -> String {
    let (req, resp) = (
        message_path(&method.input_type),
        message_path(&method.output_type),
    );
    let (input, into) = if method.client_streaming {
        (
            format!("tonic::IntoStreamingRequest<Message = {req}>"),
            "into_streaming_request",
        )
    } else {
        (format!("tonic::IntoRequest<{req}>"), "into_request")
    };
    let output = if method.server_streaming {
        format!("tonic::codec::Streaming<{resp}>")
    } else {
        resp
    };
    let helper = match (method.client_streaming, method.server_streaming) {
        (false, false) => "unary_call",
        (false, true) => "server_streaming_call",
        (true, false) => "client_streaming_call",
        (true, true) => "streaming_call",
    };
    let mut docs = String::new();
    method.comments.append_with_indent(2, &mut docs);
    if docs.is_empty() {
        docs = format!("        /// Calls the rpc `{}`.\n", method.proto_name);
    }
    fill(
        METHOD,
        &[
            ("docs", &docs),
            ("snake", &method.name),
            ("input", &input),
            ("output", &output),
            ("helper", helper),
            ("into", into),
            ("name", &method.proto_name),
            ("path", &format!("/{service}/{}", method.proto_name)),
        ],
    )
}

/// A request or response type as seen from inside the client module, as tonic-build writes it.
fn message_path(rust_type: &str) -> String {
    if rust_type == "()" || rust_type.starts_with("::") || rust_type.starts_with("crate::") {
        rust_type.to_owned()
    } else {
        format!(
            "super::{}",
            rust_type.replace('.', "::").trim_start_matches("::")
        )
    }
}
