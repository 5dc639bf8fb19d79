//! Connections: a [`ConnectionManager`] (reconnects by itself) for ordinary commands, and for
//! each blocking reader a connection of its own whose response timeout exceeds the block time
//! (a blocking `XREADGROUP` on a shared multiplexed connection would hold up every other
//! command, and one with a short response timeout would be cut and poison the connection).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult};
use tokio_util::sync::CancellationToken;

use crate::keys::{Keys, GROUP};

/// Connection attempts give up after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Ordinary commands (scripts included) give up after this long.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

pub fn client(url: &str) -> RedisResult<Client> {
    Client::open(url)
}

/// A manager for ordinary (non-blocking) commands.
pub async fn manager(client: &Client) -> RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(RESPONSE_TIMEOUT)
        .set_number_of_retries(2)
        .set_max_delay(2000);
    ConnectionManager::new_with_config(client.clone(), config).await
}

/// Connects a manager, retrying with backoff until it works or `cancel` fires (then `None`).
pub async fn manager_with_retry(
    client: &Client,
    what: &str,
    cancel: &CancellationToken,
) -> Option<ConnectionManager> {
    let mut backoff = Backoff::default();
    loop {
        match manager(client).await {
            Ok(m) => return Some(m),
            Err(e) => {
                let wait = backoff.next_delay();
                tracing::warn!(error = %e, "{what}: Redis indisponível; nova tentativa em {wait:?}");
                if sleep_or_cancel(wait, cancel).await {
                    return None;
                }
            }
        }
    }
}

/// A dedicated connection for blocking reads of up to `block`.
pub async fn blocking_connection(
    client: &Client,
    block: Duration,
) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(block + Duration::from_secs(10));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Creates the stream and its consumer group if missing. The group starts at `0`, so messages
/// added before it existed (a server faster than the first worker) are delivered too.
pub async fn ensure_group<C: redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    keys: &Keys,
) -> RedisResult<()> {
    let created: RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(keys.stream())
        .arg(GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// The stream or its group is gone (Redis restarted or flushed).
pub fn is_no_group(e: &RedisError) -> bool {
    e.code() == Some("NOGROUP")
}

/// The connection itself failed (as opposed to a command error).
pub fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

/// Exponential backoff between `min` and `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            next: min,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// Sleeps `d` unless `cancel` fires first; true when cancelled.
pub async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = cancel.cancelled() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_max() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let got: Vec<u128> = (0..4).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(got, vec![100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
