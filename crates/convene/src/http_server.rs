//! The HTTP server under `convene serve`: hyper's HTTP/1 connections
//! serving the app, like `axum::serve` with graceful shutdown, but with
//! bounds on how long a client may take to send its request headers and
//! body, so slow clients cannot hold connections open (slowloris).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::serve::stopped;

/// How long a client may take to send a request.
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// From the connection opening (or the previous response) until the
    /// request headers are complete; slower connections are closed.
    pub headers: Duration,
    /// From the headers until the whole body has arrived; a slower body
    /// fails, so the request is refused.
    pub body: Duration,
}

/// Serves `app` on `listener` like `axum::serve` with graceful shutdown, but
/// bounding how long clients may take to send requests (so slow clients
/// cannot hold connections forever). Once `stopping` turns true it stops
/// accepting connections, lets requests in flight finish, and returns when
/// every connection has closed.
pub async fn serve_http(
    mut listener: TcpListener,
    app: axum::Router,
    limits: ClientLimits,
    stopping: watch::Receiver<bool>,
) {
    // Each connection holds a receiver; `closed` resolves once all are gone.
    let (connections, _) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = stopped(stopping.clone()) => break,
        };
        let held = connections.subscribe();
        let app = app.clone();
        let stop = stopped(stopping.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let (mut parts, body) = request.into_parts();
                    parts
                        .extensions
                        .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                    let body = axum::body::Body::new(DeadlineBody::new(body, limits.body));
                    tower::ServiceExt::oneshot(
                        app.clone(),
                        axum::extract::Request::from_parts(parts, body),
                    )
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.headers);
            let connection =
                builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            let mut stop = std::pin::pin!(stop);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%peer, %error, "connection closed");
                        }
                        break;
                    }
                    () = &mut stop, if !stopping => {
                        stopping = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(held);
        });
    }
    drop(listener);
    connections.closed().await;
}

/// A request body that fails once `deadline` has passed before it has all
/// arrived.
struct DeadlineBody {
    body: hyper::body::Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    fn new(body: hyper::body::Incoming, within: Duration) -> DeadlineBody {
        DeadlineBody {
            body,
            deadline: Box::pin(tokio::time::sleep(within)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body took too long to arrive",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
