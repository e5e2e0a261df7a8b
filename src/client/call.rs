//! One call, from the typed request to the checked response: credentials and the PAT-only
//! check, `user_app_id`, the per-attempt request, the unary and server-streaming retry loops,
//! and Clarifai's in-band status turned into [`Error`].
//!
//! Only [`ClarifaiClient::prepare`] and the final decode depend on the rpc's types; everything
//! between works on a type-erased [`Call`] and the response's bytes, so it is compiled once for
//! all rpcs instead of once per named method.

use std::borrow::Cow;
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderValue};
use tonic::GrpcMethod;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataMap;
use tracing::Instrument;

use super::deadline::{
    GRPC_TIMEOUT, as_timeout, grpc_timeout_value, parse_grpc_timeout, timed, timed_if_pending,
};
use super::{ClarifaiClient, Config, ResponseStream};
use crate::accessors::{ClarifaiResponse, UserAppScoped};
use crate::api::UserAppIdSet;
use crate::api::status::StatusCode;
use crate::client::auth::{AuthService, check_pat_only, resolve};
use crate::client::codec::{RawCodec, SharedMessage, peek_status_code, status_payload};
use crate::client::retry::RetryKind;
use crate::rpc::{Rpc, RpcInfo, SERVICE, ServerStreamingRpc, UnaryRpc};
use crate::{Credentials, Error, RetryPolicy};

/// What one call needs for each attempt. No type parameters: the transport, deadline and retry
/// code that uses it is compiled once, not once per rpc.
pub(super) struct Call<'a> {
    pub(super) rpc: &'static RpcInfo,
    metadata: MetadataMap,
    message: SharedMessage,
    /// The response type's `status` field number, for reading the in-band code undecoded.
    status_field: u32,
    pub(super) timeout: Option<Duration>,
    /// `grpc-timeout` for the first attempt when the caller set none: the client's default,
    /// formatted once per client, so the header is the same on every call (HPACK then sends it
    /// as a one-byte table index, and nothing is formatted per call).
    timeout_header: Option<HeaderValue>,
    retry: Cow<'a, RetryPolicy>,
    /// The credentials checked in `prepare`, sent on every attempt even if they rotate meanwhile;
    /// `None` when the caller set their own `authorization`.
    creds: Option<Credentials>,
    /// Headers from [`CallOptions`](crate::CallOptions), for the tonic path (the client's own
    /// transport has them in its header block).
    extra: &'a HeaderMap,
}

impl<'a> Call<'a> {
    /// The untyped rest of [`ClarifaiClient::prepare`]: deadline and retry policy, from the
    /// request's own metadata and extensions where the caller set them, else from `config`.
    fn new(
        config: &'a Config,
        rpc: &'static RpcInfo,
        metadata: MetadataMap,
        extensions: &tonic::Extensions,
        creds: Option<Credentials>,
        message: SharedMessage,
        status_field: u32,
    ) -> Self {
        let callers_timeout = if metadata.is_empty() {
            None
        } else {
            metadata.as_ref().get(GRPC_TIMEOUT)
        };
        let (timeout, timeout_header) = match callers_timeout {
            // The caller's own `set_timeout`: it is already in the metadata.
            Some(value) => (value.to_str().ok().and_then(parse_grpc_timeout), None),
            None => (config.timeout, config.timeout_header.clone()),
        };
        let retry = match extensions.get::<RetryPolicy>() {
            Some(policy) => Cow::Owned(policy.clone()),
            None => Cow::Borrowed(&config.retry),
        };
        Call {
            rpc,
            metadata,
            message,
            status_field,
            timeout,
            timeout_header,
            retry,
            creds,
            extra: &config.metadata,
        }
    }

    /// A fresh request for one attempt. With `send_timeout`, it carries the time left as
    /// `grpc-timeout`.
    fn request(
        &self,
        attempt: u32,
        deadline: Option<Instant>,
        send_timeout: bool,
    ) -> Result<tonic::Request<SharedMessage>, Error> {
        let mut request = tonic::Request::new(self.message.clone());
        *request.metadata_mut() = self.metadata.clone();
        add_missing(request.metadata_mut().as_mut(), self.extra);
        // The credentials checked in `prepare` go on as a header here, so that the
        // `AuthService` below sees them as set and adds only the request-id prefix (it would
        // otherwise resolve the credentials and run the PAT-only check a second time).
        self.fill_headers(
            request.metadata_mut().as_mut(),
            attempt,
            deadline,
            send_timeout,
        )?;
        request
            .extensions_mut()
            .insert(GrpcMethod::new(SERVICE, self.rpc.name));
        Ok(request)
    }

    /// The whole header block of one unary attempt on the client's own transport: the
    /// client's static block (`block`: content type, `te`, user agent, request-id prefix), the
    /// caller's metadata, the credentials and `grpc-timeout`.
    fn headers(
        &self,
        block: &HeaderMap,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Result<HeaderMap, Error> {
        let mut headers = block.clone();
        if !self.metadata.is_empty() {
            headers.extend(self.metadata.clone().into_headers());
        }
        self.fill_headers(&mut headers, attempt, deadline, true)?;
        Ok(headers)
    }

    /// Adds the credentials checked in `prepare` and, with `send_timeout`, the time left as
    /// `grpc-timeout`.
    fn fill_headers(
        &self,
        headers: &mut HeaderMap,
        attempt: u32,
        deadline: Option<Instant>,
        send_timeout: bool,
    ) -> Result<(), Error> {
        if let Some(creds) = &self.creds {
            let (name, value) = creds.header();
            headers.insert(name.clone(), value.clone());
        }
        if let Some(deadline) = deadline.filter(|_| send_timeout) {
            if attempt == 1 {
                if let Some(value) = &self.timeout_header {
                    headers.insert(GRPC_TIMEOUT, value.clone());
                }
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::Timeout {
                        rpc: self.rpc.name,
                        after: self.timeout.unwrap_or_default(),
                    });
                }
                headers.insert(GRPC_TIMEOUT, grpc_timeout_value(left));
            }
        }
        Ok(())
    }

    /// The request as one gRPC frame (the 5-byte prefix, then the message), encoded into a
    /// buffer of its exact size; or [`Error::MessageTooLarge`] over `max_encoding`. Encoded
    /// again for each attempt rather than kept, so that a large request's frame is freed once
    /// it is sent, before the response comes.
    fn frame(&self, max_encoding: usize) -> Result<Bytes, Error> {
        crate::client::codec::frame(&*self.message, max_encoding)
            .map_err(|size| request_too_large(self.rpc.name, size, max_encoding))
    }

    /// Which retry an attempt's outcome earns, if any: a failure the policy retries for this
    /// rpc, or a response whose in-band code it retries.
    fn retry_kind<T>(&self, outcome: &Result<(T, Option<i32>), Error>) -> Option<RetryKind> {
        let kind = match outcome {
            Err(error) => self.retry.retry_kind(self.rpc, error),
            Ok((_, Some(code))) if *code != StatusCode::Success as i32 => {
                self.retry.retry_code(*code)
            }
            Ok(_) => None,
        };
        if let Some(kind) = kind {
            match outcome {
                Err(error) => tracing::debug!(rpc = self.rpc.name, ?kind, %error, "attempt failed"),
                Ok((_, code)) => {
                    tracing::debug!(rpc = self.rpc.name, ?kind, ?code, "attempt failed in-band")
                }
            }
        }
        kind
    }
}

impl ClarifaiClient {
    /// Prepares one call: the effective credentials, the PAT-only check, `user_app_id`. The only
    /// per-rpc code on the way out; everything after it is shared by all rpcs.
    fn prepare<R: Rpc>(&self, request: tonic::Request<R::Request>) -> Result<Call<'_>, Error> {
        let (metadata, extensions, mut message) = request.into_parts();
        let creds = self.call_credentials(R::INFO, &metadata, &extensions)?;
        if let Some(creds) = &creds {
            fill_user_app_id(R::INFO, creds, message.user_app_id_mut())?;
        }
        Ok(Call::new(
            &self.config,
            R::INFO,
            metadata,
            &extensions,
            creds,
            std::sync::Arc::new(message),
            <R::Response as ClarifaiResponse>::STATUS_FIELD,
        ))
    }

    /// The credentials this call sends, or `None` when the caller set an `authorization` (or
    /// session-token) header of their own, which is then the caller's business. A
    /// [`Credentials`] in the request's extensions replaces the client's for this call.
    fn call_credentials(
        &self,
        rpc: &'static RpcInfo,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
    ) -> Result<Option<Credentials>, Error> {
        let per_call = extensions
            .get::<Credentials>()
            .or(self.config.call_credentials.as_ref());
        let headers = [metadata.as_ref(), &self.config.metadata];
        let Some(creds) = resolve(&headers, per_call, || self.credentials()) else {
            return Ok(None);
        };
        check_pat_only(rpc, &creds)?;
        Ok(Some(creds))
    }

    /// Calls a unary rpc: credentials, `user_app_id`, deadline, retries, in-band status.
    pub async fn unary<R: UnaryRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<R::Response, Error> {
        let call = self.prepare::<R>(request)?;
        let bytes = self.unary_bytes(call).await?;
        decode_checked(R::INFO.name, bytes)
    }

    /// The shared body of every unary call: attempts under one deadline, each retried while the
    /// policy says so; gives the final response's bytes (whatever its in-band status).
    async fn unary_bytes(&self, call: Call<'_>) -> Result<Bytes, Error> {
        let rpc = call.rpc.name;
        let span = call_span(call.rpc);
        let deadline = call.timeout.and_then(|t| Instant::now().checked_add(t));
        let call = &call;
        let attempts = crate::client::retry::with_retries(
            &call.retry,
            deadline,
            |attempt| {
                tracing::Span::current().record("attempt", attempt);
                self.unary_attempt(call, attempt, deadline)
            },
            |outcome| call.retry_kind(outcome),
        );
        // No timer around the whole: each attempt bounds itself (see unary_attempt).
        // A span no subscriber wants costs nothing to skip, but moving the attempts into an
        // `Instrumented` wrapper costs a copy of their state on every call.
        let outcome = if span.is_disabled() {
            attempts.await
        } else {
            attempts.instrument(span.clone()).await
        };
        let outcome = as_timeout(rpc, call.timeout, deadline, outcome).map(|(bytes, _)| bytes);
        record_outcome(&span, outcome.as_ref().map(Some), call.status_field);
        outcome
    }

    /// One attempt of a unary call.
    async fn unary_attempt(
        &self,
        call: &Call<'_>,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Result<(Bytes, Option<i32>), Error> {
        let rpc = call.rpc;
        let (name, timeout) = (rpc.name, call.timeout);
        #[cfg(feature = "gzip")]
        let own = self.transport.pool().filter(|_| !self.config.gzip);
        #[cfg(not(feature = "gzip"))]
        let own = self.transport.pool();
        if let Some(pool) = own {
            // The client's own transport takes the request as one frame and gives the response
            // message's bytes, without tonic's request and response machinery around them.
            let headers = call.headers(&self.config.header_block, attempt, deadline)?;
            let frame = call.frame(self.config.max_encoding)?;
            let bytes = timed(name, timeout, deadline, async {
                pool.unary(rpc.path, headers, frame, self.config.max_decoding)
                    .await
                    .map_err(|status| self.failed(name, status))
            })
            .await?;
            let code = peek_status_code(&bytes, call.status_field);
            return Ok((bytes, code));
        }
        // Through tonic's `Grpc`: a tonic `Channel` of the caller's, or gzip.
        let request = call.request(attempt, deadline, true)?;
        let mut grpc = self.grpc.clone();
        // Three phases, each within the deadline. Waiting for the channel and reading the body are
        // usually done at once, so they arm a timer only when they are not. Between them, the
        // wait for the response headers is bounded by the transport's timer for the `grpc-timeout`
        // this request carries (which `request` set from the same deadline).
        timed_if_pending(name, timeout, deadline, ready(&mut grpc, name)).await?;
        let mut body = grpc
            .server_streaming(request, PathAndQuery::from_static(rpc.path), RawCodec)
            .await
            .map_err(|s| self.start_failed(call, s))?
            .into_inner();
        // What tonic's unary call does after the headers: exactly one message, then the
        // trailers, whose status may still be an error.
        let bytes = timed_if_pending(name, timeout, deadline, async {
            let message = body
                .message()
                .await
                .map_err(|s| Error::from_status(name, s))?
                .ok_or_else(|| {
                    Error::from_status(name, tonic::Status::internal("Missing response message."))
                })?;
            body.trailers()
                .await
                .map_err(|s| Error::from_status(name, s))?;
            Ok(message)
        })
        .await?;
        let code = peek_status_code(&bytes, call.status_field);
        Ok((bytes, code))
    }

    /// Calls a server-streaming rpc. Retried only until the first response arrives; after that,
    /// items are checked one by one and a failure ends the stream.
    pub async fn server_streaming<R: ServerStreamingRpc>(
        &self,
        request: tonic::Request<R::Request>,
    ) -> Result<ResponseStream<R::Response>, Error> {
        let rpc = R::INFO.name;
        let call = self.prepare::<R>(request)?;
        let (first, rest) = self.server_streaming_bytes(call).await?;
        let first = first
            .map(|bytes| {
                decode_checked_with::<R::Response>(rpc, bytes, crate::rpc::progress_codes(rpc))
            })
            .transpose()?;
        let head = futures_util::stream::iter(first.map(Ok));
        Ok(Box::pin(head.chain(checked(
            rpc,
            rest,
            self.config.stream_idle,
        ))))
    }

    /// The shared body of every server-streaming call: retried until the first message.
    async fn server_streaming_bytes(
        &self,
        call: Call<'_>,
    ) -> Result<(Option<Bytes>, tonic::Streaming<Bytes>), Error> {
        let rpc = call.rpc;
        let span = call_span(rpc);
        let deadline = call.timeout.and_then(|t| Instant::now().checked_add(t));
        let call = &call;
        let attempts = crate::client::retry::with_retries(
            &call.retry,
            deadline,
            |attempt| async move {
                tracing::Span::current().record("attempt", attempt);
                // No grpc-timeout: the deadline covers the wait for the first message, not the
                // stream.
                let request = call.request(attempt, deadline, false)?;
                let mut grpc = self.grpc.clone();
                ready(&mut grpc, rpc.name).await?;
                let mut stream = grpc
                    .server_streaming(request, PathAndQuery::from_static(rpc.path), RawCodec)
                    .await
                    .map_err(|s| self.start_failed(call, s))?
                    .into_inner();
                let first = stream
                    .message()
                    .await
                    .map_err(|s| Error::from_status(rpc.name, s))?;
                let code = first
                    .as_ref()
                    .and_then(|b| peek_status_code(b, call.status_field));
                Ok(((first, stream), code))
            },
            |outcome| call.retry_kind(outcome),
        );
        let outcome = timed(rpc.name, call.timeout, deadline, attempts)
            .instrument(span.clone())
            .await
            .map(|(start, _)| start);
        record_outcome(
            &span,
            outcome.as_ref().map(|(first, _)| first.as_ref()),
            call.status_field,
        );
        outcome
    }
}

impl ClarifaiClient {
    /// The error for a call that failed to start: [`Error::from_status`], with the host named
    /// where a certificate was the trouble.
    pub(super) fn failed(&self, rpc: &'static str, status: tonic::Status) -> Error {
        Error::from_status(rpc, status).with_host(self.config.endpoint.as_deref())
    }

    /// [`failed`](Self::failed) for a unary or server-streaming call, whose one request is in
    /// hand: tonic refuses a request over `max_encoding_message_size` by resetting its own
    /// stream, which says nothing of why, so a failed call whose request is over the limit is
    /// [`Error::MessageTooLarge`]. The size is computed only on this failure path.
    fn start_failed(&self, call: &Call<'_>, status: tonic::Status) -> Error {
        let error = self.failed(call.rpc.name, status);
        // On tonic's channel the reset reads as a transport failure, or as tonic's encoder's
        // OUT_OF_RANGE: the request's measured size, not the words, says which.
        if matches!(
            error,
            Error::Transport { .. } | Error::Grpc { .. } | Error::MessageTooLarge { .. }
        ) {
            let size = call.message.encoded_size();
            if size > self.config.max_encoding {
                return request_too_large(call.rpc.name, size, self.config.max_encoding);
            }
        }
        error
    }
}

/// Adds each of `extra`'s headers that `headers` lacks (the caller's own metadata wins).
pub(super) fn add_missing(headers: &mut HeaderMap, extra: &HeaderMap) {
    for (name, value) in extra {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// A request of `size` bytes over the `limit`, as the client measured it.
fn request_too_large(rpc: &'static str, size: usize, limit: usize) -> Error {
    let limit = super::limits::SizeLimit {
        direction: super::limits::Direction::Encoding,
        found: size,
        limit,
    };
    Error::MessageTooLarge {
        rpc,
        detail: format!(
            "the request encodes to {size} bytes, over the {}-byte limit",
            limit.limit
        ),
        status: Box::new(limit.status()),
    }
}

/// The client's tonic stack, as every call path uses it.
pub(super) type Grpc = tonic::client::Grpc<AuthService<super::Transport>>;

/// Waits until the transport can take a request (the client's own always can; a tonic
/// `Channel` may not). One that cannot was never sent: a transparent retry may find it ready.
pub(super) async fn ready(grpc: &mut Grpc, rpc: &'static str) -> Result<(), Error> {
    grpc.ready().await.map_err(|e| {
        let detail = e.to_string();
        let mut status = tonic::Status::from_error(e);
        if status.code() != tonic::Code::Unavailable {
            status = tonic::Status::unavailable(format!("the channel is not ready: {detail}"));
        }
        Error::Transport {
            rpc,
            fault: crate::TransportFault::NotSent,
            detail,
            host: None,
            status: Box::new(status),
        }
    })
}

/// The span of one call, unary or streaming, with the fields of OpenTelemetry's semantic
/// conventions for RPC (so that a tracing-opentelemetry export reads like any gRPC client's),
/// plus Clarifai's in-band code, its `req_id` and the attempt number.
pub(super) fn call_span(rpc: &'static RpcInfo) -> tracing::Span {
    use tracing::field::Empty;
    tracing::debug_span!(
        "clarifai.call",
        otel.name = rpc.path.trim_start_matches('/'),
        otel.kind = "client",
        rpc.system = "grpc",
        rpc.service = SERVICE,
        rpc.method = rpc.name,
        rpc.grpc.status_code = Empty,
        clarifai.status_code = Empty,
        req_id = Empty,
        attempt = Empty,
    )
}

/// Records how a call ended on its span, when anyone listens: the gRPC status code, and for a
/// response, its in-band code and `req_id` (read from the undecoded bytes).
/// (For a stream, the response is its first message, if any.)
pub(super) fn record_outcome(
    span: &tracing::Span,
    outcome: Result<Option<&Bytes>, &Error>,
    status_field: u32,
) {
    if span.is_disabled() {
        return;
    }
    match outcome {
        Ok(response) => {
            span.record("rpc.grpc.status_code", 0);
            let Some(bytes) = response.filter(|_| status_field != 0) else {
                return;
            };
            if let Some(payload) = status_payload(bytes, status_field)
                && let Ok(status) = <crate::api::status::Status as prost::Message>::decode(payload)
            {
                span.record("clarifai.status_code", status.code);
                if !status.req_id.is_empty() {
                    span.record("req_id", status.req_id.as_str());
                }
            }
        }
        Err(Error::Grpc { status, .. }) => {
            span.record("rpc.grpc.status_code", status.code() as i32);
        }
        Err(Error::Timeout { .. }) => {
            span.record("rpc.grpc.status_code", tonic::Code::DeadlineExceeded as i32);
        }
        Err(_) => {}
    }
}

/// Fills the request's `user_app_id` from the credentials' ids, unless the caller set it;
/// a PAT with no app cannot call an rpc that acts inside an app.
pub(super) fn fill_user_app_id(
    rpc: &'static RpcInfo,
    creds: &Credentials,
    slot: Option<&mut Option<UserAppIdSet>>,
) -> Result<(), Error> {
    let (Some(ids), Some(slot)) = (creds.user_app_id(), slot) else {
        return Ok(());
    };
    if !crate::accessors::is_unset(slot) {
        return Ok(());
    }
    if ids.app_id.is_empty() && rpc.needs_app {
        return Err(Error::MissingAppId { rpc: rpc.name });
    }
    *slot = Some(ids.clone());
    Ok(())
}

/// Decodes a response and turns a non-SUCCESS in-band status into an error that keeps it whole.
pub(super) fn decode_checked<T>(rpc: &'static str, bytes: Bytes) -> Result<T, Error>
where
    T: prost::Message + Default + ClarifaiResponse + Send + Sync + 'static,
{
    decode_checked_with(rpc, bytes, &[])
}

/// [`decode_checked`], letting through the non-SUCCESS codes that are `progress` for this rpc.
pub(super) fn decode_checked_with<T>(
    rpc: &'static str,
    bytes: Bytes,
    progress: &[StatusCode],
) -> Result<T, Error>
where
    T: prost::Message + Default + ClarifaiResponse + Send + Sync + 'static,
{
    let response = T::decode(bytes).map_err(|e| {
        Error::from_status(
            rpc,
            tonic::Status::internal(format!("the {rpc} response could not be decoded: {e}")),
        )
    })?;
    match response.status() {
        Some(status)
            if status.code != StatusCode::Success as i32
                && !progress.iter().any(|&c| c as i32 == status.code) =>
        {
            let status = status.clone();
            Err(Error::Clarifai(Box::new(crate::ClarifaiError::new(
                rpc, status, response,
            ))))
        }
        None if T::STATUS_FIELD != 0 => Err(Error::MissingStatus {
            rpc,
            response: Box::new(response),
        }),
        _ => Ok(response),
    }
}

/// A response stream with each item decoded and checked; a failure ends it, and so does a wait
/// for the next item longer than `idle` ([`Error::StreamIdle`]). The rpc's progress codes
/// ([`crate::rpc::progress_codes`]) come through as items, and a stream whose silence is normal
/// ([`crate::rpc::waits_for_work`]) has no idle limit.
pub(super) fn checked<T>(
    rpc: &'static str,
    stream: tonic::Streaming<Bytes>,
    idle: Option<Duration>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: prost::Message + Default + ClarifaiResponse + Send + Sync + 'static,
{
    // The state is the stream while it may go on: after an error item, nothing more is read.
    let progress = crate::rpc::progress_codes(rpc);
    let idle = idle.filter(|_| !crate::rpc::waits_for_work(rpc));
    futures_util::stream::unfold(Some(stream), move |state| async move {
        let mut stream = state?;
        let next = match idle {
            Some(idle) => match tokio::time::timeout(idle, stream.message()).await {
                Ok(next) => next,
                Err(_) => return Some((Err(Error::StreamIdle { rpc, idle }), None)),
            },
            None => stream.message().await,
        };
        match next {
            Ok(Some(bytes)) => {
                let item = decode_checked_with(rpc, bytes, progress);
                let rest = item.is_ok().then_some(stream);
                Some((item, rest))
            }
            Ok(None) => None,
            Err(status) => Some((Err(Error::from_status(rpc, status)), None)),
        }
    })
}
