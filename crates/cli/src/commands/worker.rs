//! `ruptura worker`: a Redis worker process, and the Redis flags that `serve --queue redis`
//! shares.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ruptura_store::Store;
use ruptura_worker::{RedisOptions, WorkerConfig};
use tokio_util::sync::CancellationToken;

use crate::commands::serve::{check_readable, open_run_log};

use crate::{DbArgs, RunArgs};

/// Redis settings shared by `worker` and `serve --queue redis`.
#[derive(Debug, Clone, Args)]
pub struct RedisArgs {
    /// Redis com a fila, os resultados e o estado dos jobs.
    #[arg(
        long = "redis-url",
        value_name = "URL",
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// Prefixo de todas as chaves no Redis (instalações ou testes que dividem um Redis).
    #[arg(long = "redis-prefixo", visible_alias = "redis-prefix", value_name = "PREFIXO", env = "REDIS_PREFIX", default_value = ruptura_worker::keys::DEFAULT_PREFIX)]
    pub redis_prefix: String,
    /// Segundos desde o último sinal de vida de um worker (ele renova a posse do lote a cada
    /// segundo) antes de outro worker assumir o lote.
    #[arg(long = "visibilidade", value_name = "SEGUNDOS", env = "VISIBILIDADE_SEGUNDOS", default_value_t = ruptura_worker::DEFAULT_VISIBILITY_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub visibility_secs: u64,
    /// Tentativas de um lote antes de seus pedidos receberem resultado de erro.
    #[arg(long = "max-tentativas", value_name = "N", env = "MAX_TENTATIVAS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
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
    /// Consumidores simultâneos neste processo.
    #[arg(long = "consumidores", visible_alias = "workers", value_name = "N", env = "NUM_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub workers: u32,
    /// Base dos nomes dos consumidores (padrão: HOSTNAME-PID); cada um acrescenta `-N`.
    #[arg(long = "nome", value_name = "NOME", env = "WORKER_NAME")]
    pub name: Option<String>,
    /// Segundos que as chaves de um job vivem depois do último progresso.
    #[arg(
        long = "validade-job",
        visible_alias = "job-ttl",
        value_name = "SEGUNDOS",
        env = "JOB_TTL_SEGUNDOS",
        default_value_t = 3600
    )]
    pub job_ttl_secs: u64,
    /// Segundos que um lote em andamento ainda pode rodar depois do SIGTERM antes de ser devolvido.
    #[arg(
        long = "carencia",
        value_name = "SEGUNDOS",
        env = "WORKER_CARENCIA_SEGUNDOS",
        default_value_t = 20
    )]
    pub grace_secs: u64,
    /// Onde os jobs da carteira inteira são registrados como execuções (o mesmo do `serve`).
    #[command(flatten)]
    pub runs: RunArgs,
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
    config.runs = open_run_log(&opts.runs, &opts.db).await;
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
    crate::settings::ensure_exists(url)?;
    let mut wait = Duration::from_millis(250);
    loop {
        match ruptura_store::connect_read_only(url).await {
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
