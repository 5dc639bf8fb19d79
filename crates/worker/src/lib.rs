//! Scale-out over Redis (SPEC 5): the server puts a job's batches on a Redis stream read by a
//! consumer group, and `ruptura worker` processes take them, on any number of machines.
//!
//! - [`RedisQueue`] is the server side: it implements [`ruptura_jobs::JobQueue`] so the jobs
//!   API and its event stream behave as with the in-process queue, and runs a watchdog that
//!   re-queues batches that vanished from Redis.
//! - [`worker::run`] is the consumer side: `NUM_WORKERS` consumers per process, each reading
//!   with its own blocking connection, reclaiming batches of dead workers with `XAUTOCLAIM`.
//! - [`keys`], [`message`] and [`scripts`] are the contract between the two: the key layout,
//!   what a stream message and a stored event hold, and the Lua scripts that make "write the
//!   results, count the progress, acknowledge the message" one atomic step.
//!
//! Invariants: a batch is counted at most once (a set of finished batch indexes decides, never
//! a bare counter); results are written only by the run that counts the batch, so a batch run
//! twice changes nothing; every key of a job carries the job's TTL.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod commit;
pub mod conn;
pub mod keys;
pub mod message;
pub mod queue;
pub mod record;
pub mod scripts;
pub mod worker;

use std::time::Duration;

pub use keys::Keys;
pub use queue::{RedisQueue, RedisQueueConfig};
pub use worker::{WorkerConfig, WorkerError};

/// Default of [`RedisOptions::visibility`], in seconds: a killed worker's batch is taken over
/// about this long after it died.
pub const DEFAULT_VISIBILITY_SECS: u64 = 5;

/// Redis settings shared by the server side and the workers.
#[derive(Clone)]
pub struct RedisOptions {
    /// `REDIS_URL`, e.g. `redis://127.0.0.1:6379/0`.
    pub url: String,
    /// Prefix of every key (`REDIS_PREFIX`, default `ruptura:`): several deployments, or tests,
    /// can share one Redis.
    pub prefix: String,
    /// How long a job's keys live after its last progress (`JOB_TTL_SEGUNDOS`, 1 hour).
    pub job_ttl: Duration,
    /// A batch whose worker stopped refreshing its claim this long ago (the worker died) is
    /// reclaimed by another (`VISIBILIDADE_SEGUNDOS`, 5 s). A live worker refreshes the claim
    /// of its batch every [`worker::heartbeat_period`], however long the batch runs.
    pub visibility: Duration,
    /// Attempts at a batch before its orders get error results (`MAX_TENTATIVAS`, 3).
    pub max_attempts: u32,
}

impl RedisOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: keys::DEFAULT_PREFIX.to_string(),
            job_ttl: Duration::from_secs(3600),
            visibility: Duration::from_secs(DEFAULT_VISIBILITY_SECS),
            max_attempts: 3,
        }
    }

    pub fn keys(&self) -> Keys {
        Keys::new(&self.prefix)
    }

    /// The TTL in whole seconds, at least 1.
    pub fn ttl_secs(&self) -> u64 {
        self.job_ttl.as_secs().max(1)
    }
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("job_ttl", &self.job_ttl)
            .field("visibility", &self.visibility)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// A Redis URL with any password replaced by `***`, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme + 3 => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("redis://u:secret@host:6379/1"),
            "redis://u:***@host:6379/1"
        );
        assert_eq!(super::redact("redis://host:6379"), "redis://host:6379");
    }
}
