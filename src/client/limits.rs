//! Message size limits, enforced where the sizes are known, and reported by type: a
//! [`SizeLimit`] rides as the failing status's source, so that [`Error::MessageTooLarge`]
//! (crate::Error::MessageTooLarge) is decided by what the encoder or decoder saw, never by a
//! message's text (a server's RESOURCE_EXHAUSTED "quota exceeds" is not a size limit).
//!
//! - Requests: the client measures each request before it frames it (`Call::frame`, and on the
//!   tonic path `start_failed`).
//! - Responses on the client's own transport: its message reader checks each frame's announced
//!   length (`transport::Message::check`).
//! - Responses on a tonic `Channel`: [`FrameGuard`] reads the gRPC frame headers as the body
//!   passes, and fails the body at the first one over the limit, before tonic buffers it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body as HttpBody, Frame};

/// Which way a message over the limit was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// A request, over `max_encoding_message_size`.
    Encoding,
    /// A response, over `max_decoding_message_size`.
    Decoding,
}

/// A message over a size limit, as the encoder or decoder that refused it saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SizeLimit {
    pub(crate) direction: Direction,
    pub(crate) found: usize,
    pub(crate) limit: usize,
}

impl std::fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let which = match self.direction {
            Direction::Encoding => "encoded",
            Direction::Decoding => "decoded",
        };
        write!(
            f,
            "{which} message length too large: found {} bytes, the limit is: {} bytes",
            self.found, self.limit
        )
    }
}

impl std::error::Error for SizeLimit {}

impl SizeLimit {
    /// The OUT_OF_RANGE status gRPC gives a message over the limit, with this as its source.
    pub(crate) fn status(self) -> tonic::Status {
        let mut status = tonic::Status::out_of_range(format!("Error, {self}"));
        status.set_source(Arc::new(self));
        status
    }

    /// The size limit a status carries as its source, if it is one.
    pub(crate) fn of(status: &tonic::Status) -> Option<&SizeLimit> {
        use std::error::Error as _;
        status.source()?.downcast_ref::<SizeLimit>()
    }
}

/// A response body that fails, with a [`SizeLimit`], at the first gRPC frame whose announced
/// length is over `limit`.
pub(crate) struct FrameGuard {
    inner: tonic::body::Body,
    limit: usize,
    /// The current frame header's bytes so far (5 in all: a flag and a big-endian length).
    header: [u8; 5],
    have: usize,
    /// The bytes of the current frame's message still to pass.
    payload: usize,
}

impl FrameGuard {
    pub(crate) fn new(inner: tonic::body::Body, limit: usize) -> Self {
        FrameGuard {
            inner,
            limit,
            header: [0; 5],
            have: 0,
            payload: 0,
        }
    }

    /// Follows the frames through `chunk`.
    fn scan(&mut self, mut chunk: &[u8]) -> Result<(), SizeLimit> {
        while !chunk.is_empty() {
            if self.payload > 0 {
                let skip = self.payload.min(chunk.len());
                self.payload -= skip;
                chunk.advance(skip);
                continue;
            }
            let take = (5 - self.have).min(chunk.len());
            self.header[self.have..self.have + take].copy_from_slice(&chunk[..take]);
            self.have += take;
            chunk.advance(take);
            if self.have == 5 {
                self.have = 0;
                let len = u32::from_be_bytes([
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ]) as usize;
                if len > self.limit {
                    return Err(SizeLimit {
                        direction: Direction::Decoding,
                        found: len,
                        limit: self.limit,
                    });
                }
                self.payload = len;
            }
        }
        Ok(())
    }
}

impl HttpBody for FrameGuard {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
            && let Err(over) = this.scan(data)
        {
            return Poll::Ready(Some(Err(over.status())));
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
