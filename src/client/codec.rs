//! gRPC framing, in one place: the one codec every `ClarifaiClient` call goes through (whatever
//! the rpc), the frame prefix, the response message reader of the client's own transport, and
//! the status of a response without `grpc-status`.
//!
//! Requests travel as `Arc<dyn EncodeMessage>`: the message is moved behind a pointer once and
//! encoded straight into tonic's send buffer on each attempt, so a retry neither clones the
//! message nor keeps a second encoded copy. Responses come back as the frame's `Bytes` (a slice
//! of tonic's receive buffer, no copy) and are decoded by the typed caller. That keeps the
//! transport, deadline and retry code free of type parameters: it is compiled once in this crate
//! rather than once per rpc in every crate that calls one.

use std::sync::Arc;

use bytes::{Buf, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// A request message that can be encoded any number of times through a shared pointer.
pub(crate) trait EncodeMessage: Send + Sync + 'static {
    /// Appends the message's protobuf encoding to `buf`.
    fn encode_into(&self, buf: &mut EncodeBuf<'_>) -> Result<(), Status>;

    /// The length of that encoding.
    fn encoded_size(&self) -> usize;

    /// Appends the message's encoding to `buf`, which has room for it.
    fn encode_raw(&self, buf: &mut bytes::BytesMut);
}

impl<M: prost::Message + Send + Sync + 'static> EncodeMessage for M {
    fn encode_into(&self, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        // EncodeBuf grows on demand, so prost's "not enough space" cannot happen; map it anyway
        // rather than trusting that.
        self.encode(buf)
            .map_err(|e| Status::internal(format!("encoding the request failed: {e}")))
    }

    fn encoded_size(&self) -> usize {
        self.encoded_len()
    }

    fn encode_raw(&self, buf: &mut bytes::BytesMut) {
        prost::Message::encode_raw(self, buf);
    }
}

/// A request in flight: shared by every attempt of one call.
pub(crate) type SharedMessage = Arc<dyn EncodeMessage>;

/// Encodes [`SharedMessage`]s, decodes each response message to its raw `Bytes`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawCodec;

impl Codec for RawCodec {
    type Encode = SharedMessage;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = SharedMessage;
    type Error = Status;

    fn encode(&mut self, item: SharedMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode_into(dst)
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        // DecodeBuf::copy_to_bytes splits the frame off tonic's buffer: shared, not copied.
        let len = src.remaining();
        Ok(Some(src.copy_to_bytes(len)))
    }
}

/// Reads `status.code` (field `status_field` of the response, field 1 within it) without
/// decoding the rest. `None` when the response has no status, or the bytes are not what this
/// expects (the typed decode that follows then reports the problem). Repeated occurrences merge
/// as protobuf says: the last `code` seen wins, and a status without one has code 0.
pub(crate) fn peek_status_code(message: &[u8], status_field: u32) -> Option<i32> {
    if status_field == 0 {
        return None;
    }
    let mut code = None;
    for field in Fields(message) {
        if let Field::Len(n, status) = field.ok()?
            && n == u64::from(status_field)
        {
            let mut inner = code.unwrap_or(0);
            for field in Fields(status) {
                if let Field::Varint(1, value) = field.ok()? {
                    // int32/enum: negative values arrive sign-extended to 64 bits.
                    inner = value as i32;
                }
            }
            code = Some(inner);
        }
    }
    code
}

/// The payload of the last occurrence of the response's `status` field, for reading more than
/// its code (the `req_id` for tracing).
pub(crate) fn status_payload(message: &[u8], status_field: u32) -> Option<&[u8]> {
    let mut found = None;
    for field in Fields(message) {
        if let Field::Len(n, payload) = field.ok()?
            && n == u64::from(status_field)
        {
            found = Some(payload);
        }
    }
    found
}

/// One field of an encoded message: its number and, for the two kinds read here, its value.
enum Field<'a> {
    Varint(u64, u64),
    Len(u64, &'a [u8]),
    Other,
}

/// The top-level fields of an encoded message; an `Err` ends it on bytes that are not protobuf.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = self.read();
        if field.is_err() {
            self.0 = &[];
        }
        Some(field)
    }
}

impl<'a> Fields<'a> {
    fn read(&mut self) -> Result<Field<'a>, ()> {
        let key = read_varint(&mut self.0).ok_or(())?;
        let number = key >> 3;
        Ok(match key & 7 {
            0 => Field::Varint(number, read_varint(&mut self.0).ok_or(())?),
            1 => {
                self.0 = self.0.get(8..).ok_or(())?;
                Field::Other
            }
            2 => {
                let len = usize::try_from(read_varint(&mut self.0).ok_or(())?).map_err(|_| ())?;
                let payload = self.0.get(..len).ok_or(())?;
                self.0 = &self.0[len..];
                Field::Len(number, payload)
            }
            5 => {
                self.0 = self.0.get(4..).ok_or(())?;
                Field::Other
            }
            // Groups (3, 4) do not occur in proto3; 6 and 7 are not protobuf.
            _ => return Err(()),
        })
    }
}

fn read_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Some(value);
        }
    }
    None
}

/// `message` as one gRPC frame (the 5-byte prefix, then the message), encoded into a buffer of
/// its exact size; or its size, when that is over `max_encoding`.
pub(crate) fn frame(message: &dyn EncodeMessage, max_encoding: usize) -> Result<Bytes, usize> {
    let size = message.encoded_size();
    let Some(len) = u32::try_from(size).ok().filter(|_| size <= max_encoding) else {
        return Err(size);
    };
    let mut buf = bytes::BytesMut::with_capacity(5 + size);
    bytes::BufMut::put_u8(&mut buf, 0);
    bytes::BufMut::put_u32(&mut buf, len);
    message.encode_raw(&mut buf);
    Ok(buf.freeze())
}

/// The trailer that carries a call's status code.
pub(crate) const GRPC_STATUS: http::HeaderName = http::HeaderName::from_static("grpc-status");

/// The status of a response with no `grpc-status`, from its HTTP status, as gRPC maps them.
pub(crate) fn status_of_http(status: http::StatusCode) -> tonic::Status {
    use http::StatusCode as H;
    let code = match status {
        H::BAD_REQUEST => tonic::Code::Internal,
        H::UNAUTHORIZED => tonic::Code::Unauthenticated,
        H::FORBIDDEN => tonic::Code::PermissionDenied,
        H::NOT_FOUND => tonic::Code::Unimplemented,
        H::TOO_MANY_REQUESTS | H::BAD_GATEWAY | H::SERVICE_UNAVAILABLE | H::GATEWAY_TIMEOUT => {
            tonic::Code::Unavailable
        }
        _ => tonic::Code::Unknown,
    };
    tonic::Status::new(
        code,
        format!("the response has no grpc-status (HTTP status {status})"),
    )
}

/// A unary response's message, gathered from its DATA frames: the first frame kept as it is
/// when it holds the whole message (no copy), else the frames joined.
#[derive(Default)]
pub(crate) struct Message {
    pub(crate) first: Bytes,
    pub(crate) joined: Option<bytes::BytesMut>,
}

impl Message {
    pub(crate) fn push(&mut self, chunk: Bytes, max_decoding: usize) -> Result<(), tonic::Status> {
        if self.joined.is_none() && self.first.is_empty() {
            self.first = chunk;
            return self.check(max_decoding).map(|_| ());
        }
        let joined = match &mut self.joined {
            Some(joined) => joined,
            None => {
                // A buffer for the whole message once its length is known (as tonic reserves
                // it), so that joining the frames copies each once and never reallocates.
                let first = std::mem::take(&mut self.first);
                let mut joined = bytes::BytesMut::with_capacity(first.len() + chunk.len());
                joined.extend_from_slice(&first);
                self.joined.insert(joined)
            }
        };
        if let Some(len) = frame_len(joined).filter(|len| *len <= max_decoding) {
            let want = (5 + len).max(joined.len() + chunk.len());
            joined.reserve(want - joined.len());
        }
        joined.extend_from_slice(&chunk);
        self.check(max_decoding).map(|_| ())
    }

    /// The message's length once its prefix is in, refused over `max_decoding`.
    pub(crate) fn check(&self, max_decoding: usize) -> Result<Option<usize>, tonic::Status> {
        let held = self.joined.as_deref().unwrap_or(&self.first);
        match frame_len(held) {
            Some(len) if len > max_decoding => Err(super::limits::SizeLimit {
                direction: super::limits::Direction::Decoding,
                found: len,
                limit: max_decoding,
            }
            .status()),
            found => Ok(found),
        }
    }

    /// The one message, or why there is not exactly one.
    pub(crate) fn finish(self) -> Result<Bytes, tonic::Status> {
        let all = match self.joined {
            Some(joined) => joined.freeze(),
            None => self.first,
        };
        if all.is_empty() {
            return Err(tonic::Status::internal("Missing response message."));
        }
        if all[0] != 0 {
            return Err(tonic::Status::internal(
                "the response message is compressed, but no compression was asked for",
            ));
        }
        match frame_len(&all) {
            Some(len) if all.len() == 5 + len => Ok(all.slice(5..)),
            Some(len) if all.len() < 5 + len => Err(tonic::Status::internal(
                "the response message was cut short",
            )),
            Some(_) => Err(tonic::Status::internal(
                "more than one response message for a unary call",
            )),
            None => Err(tonic::Status::internal(
                "the response message was cut short",
            )),
        }
    }
}

/// The length a gRPC frame's 5-byte prefix gives, once the prefix is there.
pub(crate) fn frame_len(frame: &[u8]) -> Option<usize> {
    let prefix: [u8; 4] = frame.get(1..5)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(prefix)).ok()
}
