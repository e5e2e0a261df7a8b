//! Request and response bodies on a connection: the first message sent at once, a streamed body piped by a task of its own, and the response body as tonic reads it.

use super::*;

/// How much of a request body went out at once.
pub(crate) enum Sent {
    /// All of it, END_STREAM included.
    All,
    /// Some (or none): the body has more to come, and maybe a frame already taken from it.
    Part(Option<Bytes>),
}

/// Sends the body's frames that are ready now. A data frame is held back until the next poll
/// says whether the body ends after it, so that a unary request goes out as one DATA frame
/// with END_STREAM. Stops after the first data frame that is not the last (the rest waits for
/// flow control, in [`Pipe`]).
pub(crate) fn send_ready(
    body: &mut Body,
    stream: &mut h2::SendStream<Bytes>,
    cx: &mut Context<'_>,
) -> Result<Sent, BoxError> {
    let mut held: Option<Bytes> = None;
    loop {
        match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) => {
                    if let Some(earlier) = held.replace(data) {
                        stream.send_data(earlier, false)?;
                        return Ok(Sent::Part(held));
                    }
                }
                Err(frame) => {
                    if let Some(earlier) = held.take() {
                        stream.send_data(earlier, false)?;
                    }
                    if let Ok(trailers) = frame.into_trailers() {
                        stream.send_trailers(trailers)?;
                        return Ok(Sent::All);
                    }
                }
            },
            Poll::Ready(None) => {
                stream.send_data(held.take().unwrap_or_default(), true)?;
                return Ok(Sent::All);
            }
            Poll::Ready(Some(Err(status))) => {
                stream.send_reset(h2::Reason::CANCEL);
                return Err(Box::new(status));
            }
            Poll::Pending => return Ok(Sent::Part(held)),
        }
    }
}

/// The rest of a request body, sent as flow control allows (a client or bidi stream).
pub(crate) struct Pipe {
    pub(crate) body: Body,
    pub(crate) stream: h2::SendStream<Bytes>,
    /// A frame taken from the body and not yet sent.
    pub(crate) held: Option<Bytes>,
}

impl Pipe {
    pub(crate) async fn run(mut self) {
        if let Err(error) = std::future::poll_fn(|cx| self.poll(cx)).await {
            tracing::debug!(%error, "the request stream ended early");
            self.stream.send_reset(h2::Reason::CANCEL);
        }
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        loop {
            // The server may end the stream (reset) while the body waits.
            if let Poll::Ready(reset) = self.stream.poll_reset(cx) {
                return Poll::Ready(match reset {
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.into()),
                });
            }
            if let Some(data) = self.held.take() {
                // Wait for window before sending more, so that memory stays bounded.
                self.stream.reserve_capacity(data.len().max(1));
                if self.stream.capacity() == 0 {
                    match self.stream.poll_capacity(cx) {
                        Poll::Pending => {
                            self.held = Some(data);
                            return Poll::Pending;
                        }
                        Poll::Ready(None) => return Poll::Ready(Ok(())),
                        Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e.into())),
                        Poll::Ready(Some(Ok(_))) => {}
                    }
                }
                self.stream.send_data(data, false)?;
                continue;
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.held = Some(data),
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.stream.send_trailers(trailers)?;
                            return Poll::Ready(Ok(()));
                        }
                    }
                },
                None => {
                    self.stream.send_data(Bytes::new(), true)?;
                    return Poll::Ready(Ok(()));
                }
                Some(Err(status)) => return Poll::Ready(Err(Box::new(status))),
            }
        }
    }
}

/// A response body: its DATA frames (their window given back as they are read), then its
/// trailers.
pub(crate) struct Incoming {
    pub(crate) recv: h2::RecvStream,
    pub(crate) conn: Arc<Conn>,
    pub(crate) trailers: bool,
}

impl http_body::Body for Incoming {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if !this.trailers {
            match ready!(this.recv.poll_data(cx)) {
                Some(Ok(data)) => {
                    let _ = this.recv.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(error)) if ends_cleanly(&error) => return Poll::Ready(None),
                Some(Err(error)) => {
                    return Poll::Ready(Some(Err(this.conn.failed(error, u64::MAX))));
                }
                None => this.trailers = true,
            }
        }
        match ready!(this.recv.poll_trailers(cx)) {
            Ok(Some(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Ok(None) => Poll::Ready(None),
            Err(error) if ends_cleanly(&error) => Poll::Ready(None),
            Err(error) => Poll::Ready(Some(Err(this.conn.failed(error, u64::MAX)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }
}
