use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ruptura_store::Store;
use ruptura_worker::{RedisOptions, WorkerConfig};
use tokio_util::sync::CancellationToken;

use crate::commands::serve::check_readable;
use crate::DbArgs;

/// Redis settings shared by `worker` and `serve --queue redis`.
#[derive(Debug, Clone, Args)]
pub struct RedisArgs {
    /// Redis holding the queue, the results and the jobs' state.
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// Prefix of every Redis key (deployments or tests sharing one Redis).
    #[arg(long = "redis-prefix", env = "REDIS_PREFIX", default_value = ruptura_worker::keys::DEFAULT_PREFIX)]
    pub redis_prefix: String,
    /// Seconds after a worker's last sign of life (it refreshes the claim of its batch every
    /// second) before another worker takes its batch over.
    #[arg(long = "visibilidade", env = "VISIBILIDADE_SEGUNDOS", default_value_t = ruptura_worker::DEFAULT_VISIBILITY_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub visibility_secs: u64,
    /// Attempts at a batch before its orders get error results.
    #[arg(long = "max-tentativas", env = "MAX_TENTATIVAS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
}

impl RedisArgs {
    pub fn options(&self, job_ttl_secs: u64) -> RedisOptions {
        RedisOptions {
            url: self.redis_url.clone(),
            prefix: self.redis_prefix.clone(),
            job_ttl: Duration::from_secs(job_ttl_secs.max(1)),
            visibility: Duration::from_secs(self.visibility_secs),
            max_attempts: self.max_attempts,
        }
    }
}

#[derive(Debug, Args)]
pub struct WorkerOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    /// Concurrent consumers in this process.
    #[arg(long = "workers", env = "NUM_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// Base of the consumer names (default: HOSTNAME-PID); each consumer adds `-N`.
    #[arg(long = "nome", env = "WORKER_NAME")]
    pub name: Option<String>,
    /// Seconds the jobs' keys live after their last progress.
    #[arg(long = "job-ttl", env = "JOB_TTL_SEGUNDOS", default_value_t = 3600)]
    pub job_ttl_secs: u64,
    /// Seconds a batch in hand may still run after SIGTERM before it is given back.
    #[arg(
        long = "carencia",
        env = "WORKER_CARENCIA_SEGUNDOS",
        default_value_t = 20
    )]
    pub grace_secs: u64,
}

/// Takes batches from Redis until SIGTERM or ctrl-c, then finishes (or gives back) the batch in
/// hand and exits.
pub async fn run(opts: WorkerOpts) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        ruptura_server::shutdown_signal().await;
        signal.cancel();
    });
    let Some(store) = open_store(&opts.db.db, &shutdown).await? else {
        return Ok(());
    };
    check_readable(store.as_ref(), &opts.db.db).await?;
    let mut config = WorkerConfig::new(opts.redis.options(opts.job_ttl_secs));
    config.consumers = opts.workers as usize;
    config.shutdown_grace = Duration::from_secs(opts.grace_secs);
    if let Some(name) = opts.name.filter(|n| !n.trim().is_empty()) {
        config.name = name.trim().to_string();
    }
    eprintln!(
        "worker {}: {} consumidor(es), Redis {}, banco {}",
        config.name,
        config.consumers,
        ruptura_worker::redact(&config.redis.url),
        ruptura_store::redact(&opts.db.db)
    );
    ruptura_worker::worker::run(store, config, shutdown)
        .await
        .context("worker")?;
    eprintln!("worker encerrado");
    Ok(())
}

/// Opens the database, waiting with backoff while it does not answer (a worker may start
/// before its database); `None` when shutdown comes first.
async fn open_store(
    url: &str,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<Arc<dyn Store>>> {
    let mut wait = Duration::from_millis(250);
    loop {
        match ruptura_store::connect(url).await {
            Ok(store) => return Ok(Some(store)),
            Err(e) if e.is_unavailable() => {
                eprintln!(
                    "banco {} indisponível ({e}); nova tentativa em {wait:?}",
                    ruptura_store::redact(url)
                );
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => return Ok(None),
                }
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("banco {}", ruptura_store::redact(url)))
                )
            }
        }
    }
}
