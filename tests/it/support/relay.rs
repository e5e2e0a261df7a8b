//! [`Forwarder`], a TCP relay in front of a server, whose connections a test counts and can cut.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP relay to `target` that counts connections and can cut them all.
pub struct Forwarder {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    pipes: Arc<Mutex<Vec<JoinHandle<()>>>>,
    task: JoinHandle<()>,
}

impl Forwarder {
    pub async fn start(target: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let pipes: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (c, p) = (connections.clone(), pipes.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                p.lock().unwrap().push(pipe);
            }
        });
        Forwarder {
            addr,
            connections,
            pipes,
            task,
        }
    }

    /// Cuts every relayed connection, and returns once their sockets are closed.
    pub async fn cut(&self) {
        let pipes: Vec<JoinHandle<()>> = std::mem::take(&mut *self.pipes.lock().unwrap());
        for pipe in pipes {
            pipe.abort();
            let _ = pipe.await;
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
