//! The consumer side: `ruptura worker` runs [`run`], which starts `consumers` loops sharing one
//! store and one Redis connection manager. Each loop:
//!
//! 1. now and then (every `claim_interval`) reclaims with `XAUTOCLAIM` a batch left
//!    unacknowledged for longer than the visibility timeout by a consumer that died;
//! 2. otherwise reads one new message with `XREADGROUP ... BLOCK` on its own connection;
//! 3. processes it: [`scripts::BEGIN`] counts the attempt (or drops a message whose job is gone
//!    or whose batches are all counted), the analysis loads one fresh snapshot for the
//!    message's orders, and [`scripts::COMMIT`] records each batch and acknowledges.
//!
//! While a batch is in hand its claim is refreshed (`XCLAIM ... JUSTID`), so a long batch is
//! not taken by another worker. A database that does not answer is waited for with backoff
//! without using attempts; any other failure uses one, and after `max_attempts` the batch's
//! orders get error results. On shutdown a consumer stops reading, finishes the batch in hand
//! (or, past `shutdown_grace` or while waiting for the database, gives it back to the queue)
//! and returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, Client, RedisError, RedisResult};
use ruptura_app::runs::{Recording, RunLog};
use ruptura_app::wire::Resultado;
use ruptura_app::{AnalysisError, Batch, Decisoes, RunOptions};
use ruptura_store::{Selection, Store};
use tokio_util::sync::CancellationToken;

pub use crate::commit::{record_batch, FinishedBatch};
use crate::conn::{self, sleep_or_cancel, Backoff};
use crate::keys::{Keys, GROUP};
use crate::message::{BatchMessage, ParamsDto};
use crate::record;
use crate::{scripts, RedisOptions};

/// A batch in hand is kept claimed for at most this long (or ten visibility timeouts).
const MAX_HOLD: Duration = Duration::from_secs(600);

/// How often a consumer with a batch in hand refreshes its claim: five times per visibility
/// timeout, at least once a second. A batch is taken over only when its consumer missed every
/// refresh for a whole visibility timeout, so a live worker (however long its batch runs) keeps
/// it, and a dead one loses it a visibility timeout after its last refresh.
pub fn heartbeat_period(visibility: Duration) -> Duration {
    (visibility / 5).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

/// How a worker process runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub redis: RedisOptions,
    /// Concurrent consumers in this process (`NUM_WORKERS`, 2).
    pub consumers: usize,
    /// Base of the consumer names: consumer `n` is `{name}-{n}` (`WORKER_NAME`, default
    /// `{hostname}-{pid}`).
    pub name: String,
    /// How long one `XREADGROUP` waits for a message.
    pub block: Duration,
    /// How often an idle consumer looks for abandoned batches.
    pub claim_interval: Duration,
    /// How long a batch in hand may still run after shutdown starts before it is given back.
    pub shutdown_grace: Duration,
    /// Where whole-book jobs are recorded as runs (SPEC 8.5); `None`: not recorded.
    pub runs: Option<RunLog>,
}

impl WorkerConfig {
    pub fn new(redis: RedisOptions) -> Self {
        let claim_interval =
            (redis.visibility / 4).clamp(Duration::from_millis(250), Duration::from_secs(5));
        Self {
            redis,
            consumers: 2,
            name: default_name(),
            block: Duration::from_secs(2),
            claim_interval,
            shutdown_grace: Duration::from_secs(20),
            runs: None,
        }
    }
}

/// `{hostname}-{pid}`: stable for the life of the process, distinct across processes.
pub fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "worker".to_string());
    format!("{host}-{}", std::process::id())
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("REDIS_URL inválida: {0}")]
    Url(RedisError),
    #[error("um consumidor terminou com erro: {0}")]
    Task(String),
}

/// Runs the consumers until `shutdown` fires and each has put down its batch.
pub async fn run(
    store: Arc<dyn Store>,
    config: WorkerConfig,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let client = conn::client(&config.redis.url).map_err(WorkerError::Url)?;
    let Some(mut manager) = conn::manager_with_retry(&client, "worker", &shutdown).await else {
        return Ok(());
    };
    let keys = config.redis.keys();
    if let Err(e) = conn::ensure_group(&mut manager, &keys).await {
        tracing::warn!(error = %e, "não foi possível criar o grupo de consumidores (nova tentativa ao ler)");
    }
    tracing::info!(
        name = %config.name,
        consumers = config.consumers,
        redis = %crate::redact(&config.redis.url),
        "worker pronto"
    );
    let config = Arc::new(config);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..config.consumers.max(1) {
        let consumer = Consumer {
            name: format!("{}-{n}", config.name),
            janitor: n == 0,
            store: Arc::clone(&store),
            client: client.clone(),
            conn: manager.clone(),
            keys: keys.clone(),
            config: Arc::clone(&config),
            shutdown: shutdown.clone(),
        };
        tasks.spawn(consumer.run());
    }
    let mut failure = None;
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            failure = Some(e.to_string());
        }
    }
    match failure {
        Some(e) => Err(WorkerError::Task(e)),
        None => Ok(()),
    }
}

enum Outcome {
    /// The batches, and the message's part of the run when its job is recorded.
    Done(Vec<Batch>, Option<Vec<u8>>),
    Failed {
        error: String,
        unavailable: bool,
    },
    /// Shutdown came and the grace period passed.
    Cancelled,
}

struct Consumer {
    name: String,
    /// This consumer also forgets consumers of dead processes now and then.
    janitor: bool,
    store: Arc<dyn Store>,
    client: Client,
    conn: ConnectionManager,
    keys: Keys,
    config: Arc<WorkerConfig>,
    shutdown: CancellationToken,
}

impl Consumer {
    async fn run(mut self) {
        let stream = self.keys.stream();
        let mut reader: Option<MultiplexedConnection> = None;
        let mut backoff = Backoff::default();
        let mut claim_cursor = "0-0".to_string();
        let mut next_claim = Instant::now();
        let mut next_janitor = Instant::now() + Duration::from_secs(60);
        tracing::debug!(consumer = %self.name, "consumidor iniciado");

        while !self.shutdown.is_cancelled() {
            if self.janitor && Instant::now() >= next_janitor {
                next_janitor = Instant::now() + Duration::from_secs(60);
                self.forget_dead_consumers().await;
            }
            // Batches abandoned by dead consumers first, then new ones.
            let stop = if Instant::now() >= next_claim {
                self.claim_abandoned(&mut claim_cursor, &mut next_claim, &mut backoff)
                    .await
            } else {
                self.read_new(&stream, &mut reader, &mut next_claim, &mut backoff)
                    .await
            };
            if stop {
                break;
            }
        }
        tracing::debug!(consumer = %self.name, "consumidor encerrado");
    }

    /// Takes over and processes batches left too long by consumers that stopped. True when
    /// shutdown came while waiting for Redis.
    async fn claim_abandoned(
        &mut self,
        cursor: &mut String,
        next_claim: &mut Instant,
        backoff: &mut Backoff,
    ) -> bool {
        match self.autoclaim(cursor).await {
            Ok(reply) => {
                backoff.reset();
                *cursor = reply.next_stream_id;
                if reply.claimed.is_empty() {
                    *next_claim = Instant::now() + self.config.claim_interval;
                }
                for entry in reply.claimed {
                    tracing::info!(consumer = %self.name, id = %entry.id, "lote retomado de um consumidor parado");
                    self.process(entry).await;
                }
                false
            }
            Err(e) => {
                self.on_redis_error("XAUTOCLAIM", &e).await;
                sleep_or_cancel(backoff.next_delay(), &self.shutdown).await
            }
        }
    }

    /// Reads and processes one new batch, on this consumer's own connection (opened again when
    /// lost). True when shutdown came while waiting for Redis.
    async fn read_new(
        &mut self,
        stream: &str,
        reader: &mut Option<MultiplexedConnection>,
        next_claim: &mut Instant,
        backoff: &mut Backoff,
    ) -> bool {
        if reader.is_none() {
            match conn::blocking_connection(&self.client, self.config.block).await {
                Ok(c) => *reader = Some(c),
                Err(e) => {
                    let wait = backoff.next_delay();
                    tracing::warn!(consumer = %self.name, error = %e, "Redis indisponível; nova tentativa em {wait:?}");
                    return sleep_or_cancel(wait, &self.shutdown).await;
                }
            }
        }
        let Some(read_conn) = reader.as_mut() else {
            return false;
        };
        let block_ms = self.config.block.as_millis().max(1) as usize;
        let opts = StreamReadOptions::default()
            .group(GROUP, &self.name)
            .count(1)
            .block(block_ms);
        let read: RedisResult<Option<StreamReadReply>> =
            read_conn.xread_options(&[stream], &[">"], &opts).await;
        match read {
            Ok(reply) => {
                backoff.reset();
                let entries: Vec<StreamId> = reply
                    .into_iter()
                    .flat_map(|r| r.keys)
                    .flat_map(|k| k.ids)
                    .collect();
                if entries.is_empty() {
                    // Idle: a good moment to look for abandoned batches.
                    *next_claim = (*next_claim).min(Instant::now() + self.config.claim_interval);
                }
                for entry in entries {
                    self.process(entry).await;
                }
                false
            }
            Err(e) => {
                if conn::is_connection_error(&e) {
                    *reader = None;
                }
                self.on_redis_error("XREADGROUP", &e).await;
                sleep_or_cancel(backoff.next_delay(), &self.shutdown).await
            }
        }
    }

    async fn on_redis_error(&mut self, what: &str, e: &RedisError) {
        if conn::is_no_group(e) {
            tracing::warn!(consumer = %self.name, "grupo de consumidores ausente (Redis reiniciado?): recriando");
            if let Err(e) = conn::ensure_group(&mut self.conn, &self.keys).await {
                tracing::warn!(consumer = %self.name, error = %e, "falha ao recriar o grupo");
            }
        } else {
            tracing::warn!(consumer = %self.name, error = %e, "{what} falhou");
        }
    }

    async fn autoclaim(&mut self, cursor: &str) -> RedisResult<StreamAutoClaimReply> {
        redis::cmd("XAUTOCLAIM")
            .arg(self.keys.stream())
            .arg(GROUP)
            .arg(&self.name)
            .arg(self.config.redis.visibility.as_millis() as u64)
            .arg(cursor)
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.conn)
            .await
    }

    /// Forgets consumers with nothing pending that have been idle for an hour (processes that
    /// exited; a restarted process has a new name).
    async fn forget_dead_consumers(&mut self) {
        let stream = self.keys.stream();
        let info: RedisResult<redis::streams::StreamInfoConsumersReply> =
            self.conn.xinfo_consumers(&stream, GROUP).await;
        let Ok(info) = info else { return };
        let idle_limit = Duration::from_secs(3600).max(self.config.redis.visibility * 10);
        for c in info.consumers {
            if c.pending == 0 && c.idle as u128 > idle_limit.as_millis() && c.name != self.name {
                let _: RedisResult<i64> =
                    self.conn.xgroup_delconsumer(&stream, GROUP, &c.name).await;
                tracing::debug!(consumer = %c.name, "consumidor inativo removido do grupo");
            }
        }
    }

    /// Acknowledges and deletes a message without recording anything.
    async fn drop_message(&mut self, id: &str) {
        let stream = self.keys.stream();
        let _: RedisResult<()> = redis::pipe()
            .xack(&stream, GROUP, &[id])
            .ignore()
            .xdel(&stream, &[id])
            .ignore()
            .query_async(&mut self.conn)
            .await;
    }

    async fn process(&mut self, entry: StreamId) {
        let id = entry.id.clone();
        let msg = match BatchMessage::from_fields(&entry.map) {
            Ok(m) => m,
            Err(why) => {
                // Without a readable envelope the orders are unknown; the server's watchdog
                // re-queues any batch of a running job that is neither done nor queued.
                tracing::error!(consumer = %self.name, %id, %why, "mensagem ilegível descartada");
                self.drop_message(&id).await;
                return;
            }
        };
        let Some((first_attempt, mut last_error)) = self.begin(&msg, &id).await else {
            return;
        };
        if first_attempt <= 0 {
            tracing::debug!(consumer = %self.name, job = %msg.job_id, lote = msg.first_batch, "nada a fazer (job encerrado ou lote já contado)");
            return;
        }
        let max = i64::from(self.config.redis.max_attempts.max(1));
        let mut attempt = first_attempt;
        let mut db_backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        loop {
            if attempt > max {
                self.give_up(&msg, &id, attempt - 1, &last_error).await;
                return;
            }
            let started = Instant::now();
            match self.analyze(&msg, &id).await {
                Outcome::Done(batches, part) => {
                    self.record_done(&msg, &id, batches, part, started).await;
                    return;
                }
                Outcome::Cancelled => {
                    self.release(&msg, &id).await;
                    return;
                }
                Outcome::Failed {
                    error,
                    unavailable: true,
                } => {
                    // The database is restarting: wait for it without using an attempt.
                    let wait = db_backoff.next_delay();
                    tracing::warn!(consumer = %self.name, job = %msg.job_id, lote = msg.first_batch, %error, "banco indisponível; nova tentativa em {wait:?}");
                    if self.pause(wait, &id).await {
                        self.release(&msg, &id).await;
                        return;
                    }
                }
                Outcome::Failed { error, .. } => {
                    tracing::warn!(consumer = %self.name, job = %msg.job_id, lote = msg.first_batch, attempt, %error, "lote falhou");
                    last_error = error;
                    self.record_error(&msg, &last_error).await;
                    if attempt >= max {
                        self.give_up(&msg, &id, attempt, &last_error).await;
                        return;
                    }
                    let wait = Duration::from_millis(200 * attempt as u64);
                    if self.pause(wait, &id).await {
                        self.release(&msg, &id).await;
                        return;
                    }
                    attempt = match self.next_attempt(&msg).await {
                        Some(n) => n,
                        None => return,
                    };
                }
            }
        }
    }

    /// Records an analysed message: its part of the run (a recorded job), then its batches.
    async fn record_done(
        &mut self,
        msg: &BatchMessage,
        id: &str,
        batches: Vec<Batch>,
        part: Option<Vec<u8>>,
        started: Instant,
    ) {
        let analysed = started.elapsed();
        if let Some(part) = part {
            self.keep_part(msg, &part).await;
        }
        self.commit_batches(msg, id, batches).await;
        tracing::debug!(
            consumer = %self.name,
            job = %msg.job_id,
            lote = msg.first_batch,
            pedidos = msg.orders.len(),
            analise_ms = analysed.as_secs_f64() * 1e3,
            gravacao_ms = (started.elapsed() - analysed).as_secs_f64() * 1e3,
            "lote gravado"
        );
    }

    /// Runs [`scripts::BEGIN`], retrying while Redis does not answer. `None` on shutdown (the
    /// message stays pending and is reclaimed later).
    async fn begin(&mut self, msg: &BatchMessage, id: &str) -> Option<(i64, String)> {
        let mut backoff = Backoff::default();
        loop {
            let r: RedisResult<(i64, String)> = scripts::BEGIN
                .key(self.keys.job(&msg.job_id))
                .key(self.keys.done(&msg.job_id))
                .key(self.keys.attempts(&msg.job_id))
                .key(self.keys.stream())
                .arg(GROUP)
                .arg(id)
                .arg(msg.first_batch)
                .arg(msg.batches)
                .arg(self.config.redis.ttl_secs())
                .invoke_async(&mut self.conn)
                .await;
            match r {
                Ok(v) => return Some(v),
                Err(e) => {
                    tracing::warn!(consumer = %self.name, error = %e, "Redis: falha ao iniciar o lote");
                    if sleep_or_cancel(backoff.next_delay(), &self.shutdown).await {
                        return None;
                    }
                }
            }
        }
    }

    async fn next_attempt(&mut self, msg: &BatchMessage) -> Option<i64> {
        let mut backoff = Backoff::default();
        loop {
            let r: RedisResult<i64> = self
                .conn
                .hincr(self.keys.attempts(&msg.job_id), msg.first_batch, 1)
                .await;
            match r {
                Ok(n) => return Some(n),
                Err(e) => {
                    tracing::warn!(consumer = %self.name, error = %e, "Redis: falha ao contar a tentativa");
                    if sleep_or_cancel(backoff.next_delay(), &self.shutdown).await {
                        return None;
                    }
                }
            }
        }
    }

    async fn record_error(&mut self, msg: &BatchMessage, error: &str) {
        let _: RedisResult<()> = self
            .conn
            .hset(
                self.keys.attempts(&msg.job_id),
                format!("erro:{}", msg.first_batch),
                error,
            )
            .await;
    }

    /// Loads one snapshot for the message's orders and analyses them, refreshing the claim on
    /// the message meanwhile.
    async fn analyze(&mut self, msg: &BatchMessage, id: &str) -> Outcome {
        let params = match ParamsDto::parse_params(&msg.params) {
            Ok(p) => p,
            Err(error) => {
                return Outcome::Failed {
                    error,
                    unavailable: false,
                }
            }
        };
        let store = Arc::clone(&self.store);
        let orders = msg.orders.clone();
        let opts = RunOptions {
            batch_size: msg.batch_size,
            max_workers: 1,
            json: false,
        };
        let record = msg.record;
        let work = async move {
            let mut batches: Vec<Batch> = Vec::new();
            let mut part = None;
            let outcome = {
                let mut collect = |b: Batch| batches.push(b);
                let selection = Selection::Orders(orders);
                if record {
                    let mut recording = Recording::new(&mut collect);
                    let outcome = ruptura_app::analyze(
                        store.as_ref(),
                        &selection,
                        params,
                        opts,
                        &mut recording,
                    )
                    .await;
                    part = Some(recording.finish());
                    outcome
                } else {
                    ruptura_app::analyze(store.as_ref(), &selection, params, opts, &mut collect)
                        .await
                }
            };
            outcome.map(|_| (batches, part))
        };
        tokio::pin!(work);
        let shutdown = self.shutdown.clone();
        let grace = self.config.shutdown_grace;
        let deadline = async move {
            shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        tokio::pin!(deadline);
        let period = heartbeat_period(self.config.redis.visibility);
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        // A batch that hangs (a query that never returns) stops being claimed after a while, so
        // another worker can take it over.
        let hold_until = Instant::now() + MAX_HOLD.max(self.config.redis.visibility * 10);
        loop {
            tokio::select! {
                done = &mut work => {
                    return match done {
                        Ok((mut batches, part)) => {
                            batches.sort_by_key(|b| b.index);
                            Outcome::Done(batches, part)
                        }
                        Err(AnalysisError::Store(e)) if e.is_unavailable() => Outcome::Failed {
                            error: e.to_string(),
                            unavailable: true,
                        },
                        Err(e) => Outcome::Failed { error: e.to_string(), unavailable: false },
                    };
                }
                _ = beat.tick(), if Instant::now() < hold_until => self.heartbeat(id).await,
                _ = &mut deadline => return Outcome::Cancelled,
            }
        }
    }

    /// Waits `d` with a message in hand, keeping it claimed; true when shutdown came.
    async fn pause(&mut self, d: Duration, id: &str) -> bool {
        let period = heartbeat_period(self.config.redis.visibility);
        let until = Instant::now() + d;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            if sleep_or_cancel(left.min(period), &self.shutdown).await {
                return true;
            }
            self.heartbeat(id).await;
        }
    }

    /// Resets the idle time of a message in hand, so it is not reclaimed while it runs.
    async fn heartbeat(&mut self, id: &str) {
        let r: RedisResult<redis::Value> = redis::cmd("XCLAIM")
            .arg(self.keys.stream())
            .arg(GROUP)
            .arg(&self.name)
            .arg(0)
            .arg(id)
            .arg("JUSTID")
            .query_async(&mut self.conn)
            .await;
        if let Err(e) = r {
            tracing::debug!(consumer = %self.name, error = %e, "XCLAIM (pulsação) falhou");
        }
    }

    async fn commit_batches(&mut self, msg: &BatchMessage, id: &str, batches: Vec<Batch>) {
        let last = batches.len().saturating_sub(1);
        let period = heartbeat_period(self.config.redis.visibility);
        let mut last_beat = Instant::now();
        for (i, batch) in batches.into_iter().enumerate() {
            // A sequential message records many batches: keep it claimed meanwhile.
            if last_beat.elapsed() >= period {
                self.heartbeat(id).await;
                last_beat = Instant::now();
            }
            let ack = if i == last { id } else { "" };
            let decisoes = Decisoes {
                valores: batch.valores,
                produtos: batch.produtos,
            };
            self.commit(
                msg,
                msg.first_batch + batch.index,
                ack,
                &batch.results,
                &decisoes,
            )
            .await;
        }
    }

    /// The orders of the message get error results: the batch failed `attempts` times.
    async fn give_up(&mut self, msg: &BatchMessage, id: &str, attempts: i64, last_error: &str) {
        let why = if last_error.is_empty() {
            "o processo que analisava o lote parou".to_string()
        } else {
            last_error.to_string()
        };
        let message = format!("falha ao analisar: {why} ({attempts} tentativas)");
        tracing::error!(consumer = %self.name, job = %msg.job_id, lote = msg.first_batch, %message, "lote desistido: resultados de erro");
        let slices: Vec<(usize, Vec<Resultado>)> = msg
            .batch_slices()
            .map(|(index, orders)| {
                (
                    index,
                    orders
                        .iter()
                        .map(|o| Resultado::erro(o, &message))
                        .collect(),
                )
            })
            .collect();
        if msg.record {
            let all: Vec<Resultado> = slices.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
            self.keep_part(msg, &record::error_part(&all)).await;
        }
        let last = slices.len().saturating_sub(1);
        let period = heartbeat_period(self.config.redis.visibility);
        let mut last_beat = Instant::now();
        for (i, (index, results)) in slices.into_iter().enumerate() {
            if last_beat.elapsed() >= period {
                self.heartbeat(id).await;
                last_beat = Instant::now();
            }
            let ack = if i == last { id } else { "" };
            self.commit(msg, index, ack, &results, &Decisoes::default())
                .await;
        }
    }

    /// Runs [`scripts::COMMIT`] for one batch, retrying while Redis does not answer (it is
    /// idempotent). After shutdown it stops retrying after a few tries: the message stays
    /// pending and another worker redoes it.
    async fn commit(
        &mut self,
        msg: &BatchMessage,
        index: usize,
        ack: &str,
        results: &[Resultado],
        decisoes: &Decisoes,
    ) {
        let mut backoff = Backoff::default();
        let mut tries = 0;
        loop {
            let outcome = record_batch(
                &mut self.conn,
                &self.keys,
                self.config.redis.ttl_secs(),
                &msg.job_id,
                FinishedBatch {
                    index,
                    ack,
                    results,
                    decisoes,
                },
            )
            .await;
            match outcome {
                Ok(code) => {
                    match code {
                        2 => {
                            tracing::info!(job = %msg.job_id, "job concluído");
                            self.save_run(&msg.job_id).await;
                        }
                        0 => {
                            tracing::debug!(job = %msg.job_id, lote = index, "lote já contado: nada mudou")
                        }
                        -1 => {
                            tracing::debug!(job = %msg.job_id, lote = index, "job encerrado ou expirado: resultado descartado")
                        }
                        _ => {}
                    }
                    return;
                }
                Err(e) => {
                    tries += 1;
                    tracing::warn!(consumer = %self.name, job = %msg.job_id, lote = index, error = %e, "falha ao gravar o lote; nova tentativa");
                    if self.shutdown.is_cancelled() && tries >= 5 {
                        return;
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }

    /// Keeps the message's part of its job's run, retrying while Redis does not answer. If it
    /// cannot, the run is not recorded (its parts do not cover the job), and the job is not
    /// failed for it.
    async fn keep_part(&mut self, msg: &BatchMessage, part: &[u8]) {
        let mut backoff = Backoff::default();
        for _ in 0..5 {
            let ttl = self.config.redis.ttl_secs();
            match record::keep_part(&mut self.conn, &self.keys, ttl, msg, part).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(job = %msg.job_id, lote = msg.first_batch, error = %e, "falha ao guardar a parte da execução; nova tentativa");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }

    /// Records the run of a job this consumer just completed, when it is one to record.
    async fn save_run(&mut self, job_id: &str) {
        let Some(runs) = self.config.runs.clone() else {
            return;
        };
        match record::save_run(&mut self.conn, &self.keys, job_id, &runs).await {
            Ok(Some(id)) => tracing::info!(job = %job_id, execucao = id, "execução registrada"),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(job = %job_id, error = %e, "o job terminou, mas a execução não foi registrada");
                // Said in the job's status too, as the in-process queue does.
                let _: RedisResult<()> = self
                    .conn
                    .hset(
                        self.keys.job(job_id),
                        "mensagem",
                        format!("análise concluída, mas a execução não foi registrada: {e}"),
                    )
                    .await;
            }
        }
    }

    /// Gives the message back to the queue (shutdown with a batch that cannot finish now).
    async fn release(&mut self, msg: &BatchMessage, id: &str) {
        let mut inv = scripts::RELEASE.prepare_invoke();
        inv.key(self.keys.stream())
            .key(self.keys.attempts(&msg.job_id))
            .arg(GROUP)
            .arg(id)
            .arg(msg.first_batch);
        for (k, v) in msg.fields() {
            inv.arg(k).arg(v);
        }
        let r: RedisResult<i64> = inv.invoke_async(&mut self.conn).await;
        match r {
            Ok(_) => {
                tracing::info!(consumer = %self.name, job = %msg.job_id, lote = msg.first_batch, "lote devolvido à fila")
            }
            Err(e) => {
                tracing::warn!(consumer = %self.name, error = %e, "não foi possível devolver o lote; outro worker o retoma após o tempo de visibilidade")
            }
        }
    }
}
