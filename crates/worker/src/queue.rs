//! The server side: [`RedisQueue`] implements [`JobQueue`] over Redis, so the jobs API and the
//! event stream behave as with the in-process queue while `ruptura worker` processes do the
//! analysis.
//!
//! A job is created in one `MULTI`: its hash, its order list, its entry in the set of running
//! jobs and its messages on the stream. Progress comes back through the job's keys (never only
//! through pub/sub), so any server, restarted or not, can answer `status`, `results` and
//! `events` from Redis alone. Event ids are `eventos_base + position + 1`, 1-based as in
//! [`ruptura_jobs::LocalQueue`].
//!
//! The watchdog (`queue/watchdog.rs`, every `watchdog_interval`) looks at each running job: a batch
//! that is neither counted nor on the stream (Redis restarted without persistence, keys flushed, a
//! message dropped) on two consecutive looks is queued again, at most `max_requeues` times per job,
//! after which the job is marked `falhou` with a message. When the job's keys vanished altogether,
//! the server that submitted it still holds its spec and recreates it (its event ids continue after
//! the last one this server saw, so a follower's `Last-Event-ID` stays meaningful). Every key of a
//! running job has its TTL refreshed, so a job waiting for workers does not expire.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::stream::BoxStream;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisError, RedisResult};
use ruptura_app::wire::{Estatisticas, Resultado, Rotulo};
use ruptura_app::{Decisoes, Produtos, Valores};
use ruptura_engine::Mode;
use ruptura_jobs::JobQueue;
use ruptura_jobs::{
    valid_job_id, Counts, JobCreated, JobError, JobEvent, JobSpec, JobState, JobStatus,
};
use rust_decimal::Decimal;
use tokio_util::sync::CancellationToken;

mod events;
mod watchdog;

use crate::conn::{self, Backoff};
use crate::keys::Keys;
use crate::message::{BatchMessage, ParamsDto, StoredEvent};
use crate::{scripts, RedisOptions};
use events::EventCursor;
use watchdog::watchdog;

/// How the server side behaves.
#[derive(Debug, Clone)]
pub struct RedisQueueConfig {
    pub redis: RedisOptions,
    /// Running jobs at most (more: 429).
    pub max_pending: usize,
    /// How often the watchdog looks at running jobs.
    pub watchdog_interval: Duration,
    /// How many times a job's lost batches are queued again (or its lost keys recreated)
    /// before it is marked `falhou`.
    pub max_requeues: u32,
    /// How often an event stream with nothing new looks again.
    pub poll_interval: Duration,
}

impl RedisQueueConfig {
    pub fn new(redis: RedisOptions) -> Self {
        Self {
            redis,
            max_pending: 32,
            watchdog_interval: Duration::from_secs(5),
            max_requeues: 3,
            poll_interval: Duration::from_millis(150),
        }
    }
}

/// What this server remembers of a job it submitted, to recreate it if Redis loses it.
struct Memo {
    spec: Arc<JobSpec>,
    /// The highest event id this server has handed out for the job.
    events_seen: u64,
    recreations: u32,
    /// Seen concluded or failed: never recreated, even if its keys vanish.
    finished: bool,
}

struct Inner {
    conn: ConnectionManager,
    keys: Keys,
    config: RedisQueueConfig,
    memo: Mutex<HashMap<String, Memo>>,
}

/// Jobs on Redis, analysed by `ruptura worker` processes.
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

fn unavailable(e: RedisError) -> JobError {
    tracing::warn!(error = %e, "Redis indisponível");
    JobError::Unavailable("fila Redis indisponível; tente novamente em instantes".into())
}

/// Field `k` of a job's hash, parsed; the default when absent or unreadable.
pub(crate) fn parse<T: std::str::FromStr + Default>(h: &HashMap<String, String>, k: &str) -> T {
    h.get(k).and_then(|v| v.parse().ok()).unwrap_or_default()
}

impl RedisQueue {
    /// Connects (retrying for up to about 30 s), creates the consumer group if missing and
    /// starts the watchdog, which stops when `shutdown` fires.
    pub async fn connect(
        config: RedisQueueConfig,
        shutdown: CancellationToken,
    ) -> Result<Self, RedisError> {
        let client = conn::client(&config.redis.url)?;
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
        let started = Instant::now();
        let mut conn = loop {
            match conn::manager(&client).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let wait = backoff.next_delay();
                    tracing::warn!(error = %e, "Redis indisponível; nova tentativa em {wait:?}");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        };
        let keys = config.redis.keys();
        conn::ensure_group(&mut conn, &keys).await?;
        let inner = Arc::new(Inner {
            conn,
            keys,
            config,
            memo: Mutex::new(HashMap::new()),
        });
        tokio::spawn(watchdog(Arc::downgrade(&inner), shutdown));
        Ok(Self { inner })
    }

    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }
}

impl Inner {
    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, HashMap<String, Memo>> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remember_event(&self, id: &str, event_id: u64, last: bool) {
        if let Some(m) = self.memo().get_mut(id) {
            m.events_seen = m.events_seen.max(event_id);
            m.finished |= last;
        }
    }

    fn mark_finished(&self, id: &str) {
        if let Some(m) = self.memo().get_mut(id) {
            m.finished = true;
        }
    }

    /// A job this server submitted, still running as far as it knows.
    fn running_memo(&self, id: &str) -> bool {
        self.memo().get(id).is_some_and(|m| !m.finished)
    }

    /// The messages that cover `batches` of a job. A sequential or priority job is always one
    /// message with all its orders: its allocation runs over all of them (priority: over the
    /// whole book) in priority order, once.
    fn messages(&self, id: &str, spec: &JobSpec, batches: &BTreeSet<usize>) -> Vec<BatchMessage> {
        let size = spec.batch_size.max(1);
        let params = serde_json::to_string(&ParamsDto::from(&spec.params)).unwrap_or_default();
        if batches.is_empty() || spec.orders.is_empty() {
            return Vec::new();
        }
        match spec.params.mode {
            Mode::Sequential | Mode::Priority => vec![BatchMessage {
                job_id: id.to_string(),
                first_batch: 0,
                batches: spec.total_batches(),
                batch_size: size,
                orders: spec.orders.clone(),
                params,
                record: spec.whole_book,
            }],
            Mode::Independent => spec
                .orders
                .chunks(size)
                .enumerate()
                .filter(|(i, _)| batches.contains(i))
                .map(|(i, chunk)| BatchMessage {
                    job_id: id.to_string(),
                    first_batch: i,
                    batches: 1,
                    batch_size: size,
                    orders: chunk.to_vec(),
                    params: params.clone(),
                    record: spec.whole_book,
                })
                .collect(),
        }
    }

    /// Writes a job's keys from scratch (replacing any left) and, with `enqueue`, its messages,
    /// all in one transaction.
    async fn create(
        &self,
        id: &str,
        spec: &JobSpec,
        events_base: u64,
        enqueue: bool,
    ) -> RedisResult<()> {
        let mut conn = self.conn();
        let k = &self.keys;
        conn::ensure_group(&mut conn, k).await?;
        let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(&mut conn).await?;
        let created_ms = secs * 1000 + micros / 1000;
        let ttl = self.config.redis.ttl_secs() as i64;
        let params = serde_json::to_string(&ParamsDto::from(&spec.params)).unwrap_or_default();
        let total_batches = spec.total_batches();

        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in k.job_keys(id) {
            pipe.del(key).ignore();
        }
        pipe.hset_multiple(
            k.job(id),
            &[
                ("total_pedidos", spec.orders.len().to_string()),
                ("total_lotes", total_batches.to_string()),
                ("tamanho_lote", spec.batch_size.max(1).to_string()),
                ("modo", spec.params.mode.as_str().to_string()),
                ("data_base", spec.params.today.to_string()),
                ("params", params),
                ("estado", "em_andamento".to_string()),
                ("criado_ms", created_ms.to_string()),
                ("processados", "0".to_string()),
                ("erros", "0".to_string()),
                ("pedidos_ok", "0".to_string()),
                ("pedidos_com_ruptura", "0".to_string()),
                ("lotes_concluidos", "0".to_string()),
                ("eventos_base", events_base.to_string()),
                ("reenvios", "0".to_string()),
                ("registrar", u8::from(spec.whole_book).to_string()),
            ],
        )
        .ignore();
        for chunk in spec.orders.chunks(1000) {
            pipe.rpush(k.orders(id), chunk).ignore();
        }
        pipe.sadd(k.jobs(), id).ignore();
        if enqueue {
            let all: BTreeSet<usize> = (0..total_batches).collect();
            for msg in self.messages(id, spec, &all) {
                pipe.xadd(k.stream(), "*", &msg.fields()).ignore();
            }
        }
        for key in k.job_keys(id) {
            pipe.expire(key, ttl).ignore();
        }
        pipe.query_async::<()>(&mut conn).await
    }

    async fn hash(&self, id: &str) -> RedisResult<HashMap<String, String>> {
        self.conn().hgetall(self.keys.job(id)).await
    }

    fn status_of(id: &str, h: &HashMap<String, String>) -> JobStatus {
        let estado = match h.get("estado").map(String::as_str) {
            Some("concluido") => JobState::Concluido,
            Some("falhou") => JobState::Falhou,
            _ => JobState::EmAndamento,
        };
        let empty = Estatisticas::new(0);
        let (mut por_criticidade, mut por_prazo) = (empty.por_criticidade, empty.por_prazo);
        for (k, v) in h {
            if let Some(label) = k.strip_prefix("c:") {
                por_criticidade.insert(label.to_string(), v.parse().unwrap_or_default());
            } else if let Some(label) = k.strip_prefix("p:") {
                por_prazo.insert(label.to_string(), v.parse().unwrap_or_default());
            }
        }
        let mut sums = Estatisticas::default();
        sums.add_valores(&Self::valores_of(h));
        JobStatus {
            job_id: id.to_string(),
            estado,
            contagens: Counts {
                total_pedidos: parse(h, "total_pedidos"),
                processados: parse(h, "processados"),
                erros: parse(h, "erros"),
                pedidos_ok: parse(h, "pedidos_ok"),
                pedidos_com_ruptura: parse(h, "pedidos_com_ruptura"),
            },
            total_lotes: parse(h, "total_lotes"),
            lotes_concluidos: parse(h, "lotes_concluidos"),
            por_criticidade,
            por_prazo,
            valor_total: sums.valor_total,
            valor_com_ruptura: sums.valor_com_ruptura,
            valor_agora: sums.valor_agora,
            modo: h.get("modo").cloned().unwrap_or_default(),
            data_base: h
                .get("data_base")
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
            mensagem: h.get("mensagem").cloned(),
        }
    }

    /// The exact value totals of the batches counted: the sum of the `v:{index}` fields.
    fn valores_of(h: &HashMap<String, String>) -> Valores {
        let mut valores = Valores::default();
        for (_, v) in h.iter().filter(|(k, _)| k.starts_with("v:")) {
            let parts: Vec<Decimal> = v.split('|').filter_map(|x| x.parse().ok()).collect();
            if let [total, com_ruptura, agora] = parts[..] {
                valores.add(&Valores {
                    total,
                    com_ruptura,
                    agora,
                });
            }
        }
        valores
    }

    fn stats_of(h: &HashMap<String, String>) -> Estatisticas {
        let s = Self::status_of("", h);
        let created: u64 = parse(h, "criado_ms");
        let finished: u64 = parse(h, "concluido_ms");
        let mut stats = Estatisticas::new(s.contagens.total_pedidos);
        stats.contagens = s.contagens;
        stats.por_criticidade = s.por_criticidade;
        stats.por_prazo = s.por_prazo;
        stats.add_valores(&Self::valores_of(h));
        stats.finish(Duration::from_millis(finished.saturating_sub(created)));
        stats
    }

    /// The status of a job whose keys are gone but which this server is recreating.
    fn memo_status(&self, id: &str) -> Option<JobStatus> {
        let memo = self.memo();
        let m = memo.get(id).filter(|m| !m.finished)?;
        let mut h = HashMap::new();
        h.insert("total_pedidos".into(), m.spec.orders.len().to_string());
        h.insert("total_lotes".into(), m.spec.total_batches().to_string());
        h.insert("modo".into(), m.spec.params.mode.as_str().to_string());
        h.insert("data_base".into(), m.spec.params.today.to_string());
        Some(Self::status_of(id, &h))
    }

    /// Renders the stored event at id `event_id`.
    async fn render(&self, id: &str, event_id: u64, raw: &str) -> RedisResult<Option<JobEvent>> {
        let stored: StoredEvent = match serde_json::from_str(raw) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "evento ilegível ignorado");
                return Ok(None);
            }
        };
        Ok(Some(match stored {
            StoredEvent::Lote {
                lote,
                pedidos,
                processados,
                total_pedidos,
                erros,
                pedidos_ok,
                pedidos_com_ruptura,
            } => {
                let raw: Vec<Option<String>> = if pedidos.is_empty() {
                    Vec::new()
                } else {
                    redis::cmd("HMGET")
                        .arg(self.keys.results(id))
                        .arg(&pedidos)
                        .query_async(&mut self.conn())
                        .await?
                };
                let resultados = raw
                    .into_iter()
                    .flatten()
                    .filter_map(|j| serde_json::from_str::<Resultado>(&j).ok())
                    .collect();
                JobEvent::Lote {
                    id: event_id,
                    lote_index: lote,
                    resultados,
                    counts: Counts {
                        processados,
                        total_pedidos,
                        erros,
                        pedidos_ok,
                        pedidos_com_ruptura,
                    },
                }
            }
            StoredEvent::Concluido => JobEvent::Concluido {
                id: event_id,
                estatisticas: Self::stats_of(&self.hash(id).await?),
            },
            StoredEvent::Falhou { mensagem } => JobEvent::Falhou {
                id: event_id,
                message: mensagem,
            },
        }))
    }

    /// Marks a running job failed with `message`.
    async fn fail(&self, id: &str, message: &str) -> RedisResult<()> {
        let event = serde_json::to_string(&StoredEvent::Falhou {
            mensagem: message.to_string(),
        })
        .unwrap_or_default();
        let _: i64 = scripts::FAIL_JOB
            .key(self.keys.job(id))
            .key(self.keys.events(id))
            .key(self.keys.jobs())
            .arg(id)
            .arg(message)
            .arg(event)
            .arg(self.config.redis.ttl_secs())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }
}

#[async_trait]
impl JobQueue for RedisQueue {
    async fn submit(&self, spec: JobSpec) -> Result<JobCreated, JobError> {
        let inner = &self.inner;
        let running: usize = inner
            .conn()
            .scard(inner.keys.jobs())
            .await
            .map_err(unavailable)?;
        if running >= inner.config.max_pending {
            return Err(JobError::Busy(format!(
                "{running} análises em andamento; tente de novo quando alguma terminar"
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let created = JobCreated {
            job_id: id.clone(),
            total_pedidos: spec.orders.len(),
            total_lotes: spec.total_batches(),
        };
        if spec.orders.is_empty() {
            // Nothing to queue: complete at once, as the in-process queue does.
            inner
                .create(&id, &spec, 0, false)
                .await
                .map_err(unavailable)?;
            let mut conn = inner.conn();
            let (s, us): (u64, u64) = redis::cmd("TIME")
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            let ttl = inner.config.redis.ttl_secs() as i64;
            let _: () = redis::pipe()
                .atomic()
                .hset(inner.keys.job(&id), "estado", "concluido")
                .ignore()
                .hset(inner.keys.job(&id), "concluido_ms", s * 1000 + us / 1000)
                .ignore()
                .rpush(inner.keys.events(&id), r#"{"t":"concluido"}"#)
                .ignore()
                .expire(inner.keys.events(&id), ttl)
                .ignore()
                .srem(inner.keys.jobs(), &id)
                .ignore()
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            return Ok(created);
        }
        inner
            .create(&id, &spec, 0, true)
            .await
            .map_err(unavailable)?;
        // Remembered once created, so the watchdog never mistakes a job being created for one
        // whose keys vanished.
        inner.memo().insert(
            id.clone(),
            Memo {
                spec: Arc::new(spec.clone()),
                events_seen: 0,
                recreations: 0,
                finished: false,
            },
        );
        tracing::info!(job = %id, pedidos = created.total_pedidos, lotes = created.total_lotes, "job enviado ao Redis");
        Ok(created)
    }

    async fn ping(&self) -> Result<(), String> {
        let reply: RedisResult<String> = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PING").query_async(&mut self.inner.conn()),
        )
        .await
        .unwrap_or_else(|_| {
            Err(RedisError::from((
                redis::ErrorKind::IoError,
                "sem resposta em 2 s",
            )))
        });
        reply
            .map(|_| ())
            .map_err(|e| format!("Redis indisponível: {e}"))
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        if !valid_job_id(id) {
            return Ok(None);
        }
        let h = self.inner.hash(id).await.map_err(unavailable)?;
        if h.is_empty() {
            return Ok(self.inner.memo_status(id));
        }
        let status = Inner::status_of(id, &h);
        if status.estado != JobState::EmAndamento {
            self.inner.mark_finished(id);
        }
        Ok(Some(status))
    }

    async fn decisions(
        &self,
        id: &str,
    ) -> Result<Option<(JobStatus, Estatisticas, Decisoes)>, JobError> {
        let inner = &self.inner;
        let (h, parts): (HashMap<String, String>, Vec<String>) = redis::pipe()
            .hgetall(inner.keys.job(id))
            .hvals(inner.keys.decisions(id))
            .query_async(&mut inner.conn())
            .await
            .map_err(unavailable)?;
        if h.is_empty() {
            return Ok(None);
        }
        let mut decisoes = Decisoes {
            valores: Inner::valores_of(&h),
            produtos: Produtos::default(),
        };
        for part in parts {
            let produtos: Produtos = serde_json::from_str(&part)
                .map_err(|e| JobError::Internal(format!("produtos ilegíveis no Redis: {e}")))?;
            decisoes.produtos.merge(produtos);
        }
        Ok(Some((
            Inner::status_of(id, &h),
            Inner::stats_of(&h),
            decisoes,
        )))
    }

    async fn results(&self, id: &str) -> Result<Option<Vec<Resultado>>, JobError> {
        if !valid_job_id(id) {
            return Ok(None);
        }
        let inner = &self.inner;
        let (exists, orders, raw): (bool, Vec<String>, HashMap<String, String>) = redis::pipe()
            .exists(inner.keys.job(id))
            .lrange(inner.keys.orders(id), 0, -1)
            .hgetall(inner.keys.results(id))
            .query_async(&mut inner.conn())
            .await
            .map_err(unavailable)?;
        let orders = if exists && !orders.is_empty() {
            orders
        } else {
            match inner.memo().get(id).filter(|m| !m.finished) {
                Some(m) => m.spec.orders.clone(),
                None if exists => orders,
                None => return Ok(None),
            }
        };
        let mut raw = raw;
        Ok(Some(
            orders
                .iter()
                .filter_map(|o| raw.remove(o))
                .filter_map(|j| serde_json::from_str::<Resultado>(&j).ok())
                .collect(),
        ))
    }

    async fn criticalities(&self, id: &str) -> Result<Option<HashMap<String, String>>, JobError> {
        /// Only the label of a stored result; the rest of its JSON is skipped, not built.
        #[derive(serde::Deserialize)]
        struct Label {
            resumo: Option<Resumo>,
        }
        #[derive(serde::Deserialize)]
        struct Resumo {
            criticidade: String,
        }
        if !valid_job_id(id) {
            return Ok(None);
        }
        let inner = &self.inner;
        let (exists, raw): (bool, HashMap<String, String>) = redis::pipe()
            .exists(inner.keys.job(id))
            .hgetall(inner.keys.results(id))
            .query_async(&mut inner.conn())
            .await
            .map_err(unavailable)?;
        if !exists && raw.is_empty() && inner.memo().get(id).is_none() {
            return Ok(None);
        }
        Ok(Some(
            raw.into_iter()
                .filter_map(|(num, json)| {
                    let label = serde_json::from_str::<Label>(&json).ok()?;
                    let crit = label
                        .resumo
                        .map_or_else(|| Rotulo::Erro.as_str().to_string(), |r| r.criticidade);
                    Some((num, crit))
                })
                .collect(),
        ))
    }

    async fn events(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Option<BoxStream<'static, JobEvent>>, JobError> {
        if !valid_job_id(id) {
            return Ok(None);
        }
        let inner = Arc::clone(&self.inner);
        let exists: bool = inner
            .conn()
            .exists(inner.keys.job(id))
            .await
            .map_err(unavailable)?;
        if !exists && !inner.running_memo(id) {
            return Ok(None);
        }
        let state = EventCursor {
            inner,
            id: id.to_string(),
            cursor: after,
            pending: VecDeque::new(),
            finished: false,
            delivered: HashSet::new(),
            high: None,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
        };
        let stream = futures::stream::unfold(state, |mut st| async move {
            let event = st.next().await?;
            Some((event, st))
        });
        Ok(Some(Box::pin(stream)))
    }
}
