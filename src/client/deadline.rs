//! Deadlines: the `grpc-timeout` header each attempt carries, and the client-side bounds that
//! turn running out into [`Error::Timeout`].

use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

use http::{HeaderName, HeaderValue};

use crate::Error;

/// The `grpc-timeout` header.
pub(super) const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// Formats a `grpc-timeout` value, rounded up, in the finest unit that fits its 8 digits.
pub(super) fn grpc_timeout_value(timeout: Duration) -> HeaderValue {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos();
    let text = [
        (1, 'n'),
        (1_000, 'u'),
        (1_000_000, 'm'),
        (1_000_000_000, 'S'),
        (60_000_000_000, 'M'),
    ]
    .into_iter()
    .find_map(|(per, unit)| {
        let n = nanos.div_ceil(per);
        (n <= MAX).then(|| format!("{n}{unit}"))
    })
    .unwrap_or_else(|| format!("{}H", nanos.div_ceil(3_600_000_000_000).min(MAX)));
    // Digits and one ASCII letter: always a valid header value.
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("99999999H"))
}

/// Parses a `grpc-timeout` value (`"5S"`, `"250m"`, ...).
pub(super) fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Runs `call` under a timer for the deadline; running out gives [`Error::Timeout`].
pub(super) async fn timed<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(deadline) = deadline else {
        return call.await;
    };
    match tokio::time::timeout_at(deadline, call).await {
        Ok(result) => as_timeout(rpc, timeout, Some(deadline), result),
        Err(_) => Err(Error::Timeout {
            rpc,
            after: timeout.unwrap_or_default(),
        }),
    }
}

/// [`timed`] for work that is usually done at once: it is polled once first, and the timer is
/// armed only if that leaves it pending. A timer costs as much as the rest of a small call's
/// client-side bookkeeping, and most calls never need theirs.
pub(super) async fn timed_if_pending<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut call = std::pin::pin!(call);
    if deadline.is_some()
        && let Poll::Ready(result) =
            std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await
    {
        return result;
    }
    timed(rpc, timeout, deadline, call).await
}

/// tonic enforces the `grpc-timeout` a call sends, and reports running out as CANCELLED (or the
/// server as DEADLINE_EXCEEDED); at or past our deadline, that is [`Error::Timeout`].
pub(super) fn as_timeout<T>(
    rpc: &'static str,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    result: Result<T, Error>,
) -> Result<T, Error> {
    match (result, deadline) {
        (Err(Error::Grpc { status, .. }), Some(deadline))
            if matches!(
                status.code(),
                tonic::Code::Cancelled | tonic::Code::DeadlineExceeded
            ) && Instant::now() + Duration::from_millis(5) >= deadline =>
        {
            Err(Error::Timeout {
                rpc,
                after: timeout.unwrap_or_default(),
            })
        }
        (result, _) => result,
    }
}
