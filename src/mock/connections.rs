//! Connection cutting for [`MockV2::drop_connections`](super::MockV2::drop_connections): the
//! server's accepted connections, each wrapped in a [`KillableIo`] that fails at once when the
//! mock's kill generation changes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The connections `listener` accepts (with `TCP_NODELAY`), each cut when `kill_rx` changes.
pub(super) fn incoming(
    listener: TcpListener,
    kill_rx: watch::Receiver<u64>,
) -> impl Stream<Item = io::Result<KillableIo>> + Send + 'static {
    futures_util::stream::unfold((listener, kill_rx), |(listener, kill_rx)| async move {
        let accepted = listener.accept().await.map(|(io, _)| {
            let _ = io.set_nodelay(true);
            KillableIo::new(io, kill_rx.clone())
        });
        Some((accepted, (listener, kill_rx)))
    })
}

/// A connection that fails at once when
/// [`MockV2::drop_connections`](super::MockV2::drop_connections) is called.
pub(super) struct KillableIo {
    io: TcpStream,
    killed: Pin<Box<dyn Future<Output = ()> + Send + Sync>>,
    dead: bool,
}

impl KillableIo {
    fn new(io: TcpStream, mut kill: watch::Receiver<u64>) -> Self {
        kill.mark_unchanged();
        let killed = Box::pin(async move {
            let _ = kill.changed().await;
        });
        KillableIo {
            io,
            killed,
            dead: false,
        }
    }

    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if !self.dead && self.killed.as_mut().poll(cx).is_ready() {
            self.dead = true;
        }
        if self.dead {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "MockV2 dropped the connection",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for KillableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

impl tonic::transport::server::Connected for KillableIo {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}
