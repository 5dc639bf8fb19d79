//! The in-process queue: [`LocalQueue`] runs jobs in this process, at most `max_running` at
//! once, keeps each job's results compactly (each batch's JSON, compressed) and its events for
//! replay, and forgets finished jobs past their TTL or past the budget of finished jobs and bytes.

mod facts;
mod packed;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::StreamExt;
use ruptura_app::runs::{Recorded as RunRecorded, RunLog};
use ruptura_app::wire::{Estatisticas, Resultado};
use ruptura_app::{Batch, BatchEncoder, Decisoes, Observer, RunOptions};
use ruptura_engine::Params;
use ruptura_store::{Selection, Store};
use tokio::sync::{watch, Semaphore};

use self::facts::Facts;
use self::packed::{PackedAt, Packs};
use crate::{
    json_object, Counts, Entries, FactsOf, JobCreated, JobError, JobEvent, JobQueue, JobSpec,
    JobState, JobStatus, OrderFacts,
};

/// Limits of the in-process queue.
#[derive(Debug, Clone, Copy)]
pub struct LocalQueueConfig {
    /// Jobs analysing at once; later ones wait their turn.
    pub max_running: usize,
    /// Jobs accepted and not yet finished, at most (more: 429).
    pub max_pending: usize,
    /// How long a finished job stays readable.
    pub ttl: Duration,
    /// Finished jobs kept at most; past it the oldest finished job is forgotten first.
    pub max_finished_jobs: usize,
    /// Bytes that the results of finished jobs hold at most (each batch's JSON compressed, plus
    /// what the order list filters by); past it the oldest finished job is forgotten first (the
    /// newest is always kept).
    pub max_finished_bytes: usize,
    /// Each job's results go to a temporary file of its own as they are packed (a chunk of
    /// about 1 MB at a time), not kept in memory: a job then holds in memory only what the
    /// order list filters by. `max_finished_bytes` still counts them, as the disk they take.
    pub results_in_file: bool,
}

impl Default for LocalQueueConfig {
    fn default() -> Self {
        Self {
            max_running: 2,
            max_pending: 32,
            ttl: Duration::from_secs(3600),
            max_finished_jobs: 64,
            max_finished_bytes: 256 * 1024 * 1024,
            results_in_file: true,
        }
    }
}

enum Recorded {
    Lote {
        lote_index: usize,
        /// Its results: `batches[batch]` of the job's state.
        batch: usize,
        counts: Counts,
    },
    Concluido(Estatisticas),
    Falhou(String),
}

/// A finished batch's results, packed (see [`packed`]), and the positions they take among the
/// job's results.
struct HeldBatch {
    slots: Range<usize>,
    at: PackedAt,
    /// Its `lote_index`: batches are slices of the job's orders, in this order.
    index: usize,
}

/// About what a held batch costs beyond its packed bytes (its entry and its event).
const BATCH_OVERHEAD: usize = 96;

/// Finished jobs in the order they finished, with what each holds: the budget of
/// `max_finished_jobs` and `max_finished_bytes`.
#[derive(Default)]
struct FinishedJobs {
    order: std::collections::VecDeque<(String, usize)>,
    bytes: usize,
}

impl FinishedJobs {
    /// Records a finished job; returns the ids to forget (oldest first) to stay in budget.
    fn admit(&mut self, id: String, bytes: usize, config: &LocalQueueConfig) -> Vec<String> {
        self.order.push_back((id, bytes));
        self.bytes += bytes;
        let mut evicted = Vec::new();
        while self.order.len() > 1
            && (self.order.len() > config.max_finished_jobs.max(1)
                || self.bytes > config.max_finished_bytes)
        {
            if let Some((old, b)) = self.order.pop_front() {
                self.bytes -= b;
                evicted.push(old);
            }
        }
        evicted
    }

    fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let mut bytes = 0;
        self.order.retain(|(id, b)| {
            let k = keep(id);
            if k {
                bytes += b;
            }
            k
        });
        self.bytes = bytes;
    }
}

struct LocalJobState {
    estado: JobState,
    stats: Estatisticas,
    /// Exact totals and products of the batches finished so far.
    decisoes: Decisoes,
    /// Each finished batch's results, packed, in completion order (their bytes are in `packs`).
    batches: Vec<HeldBatch>,
    packs: Packs,
    /// What the order list filters and sorts by, per result in completion order (never
    /// packed: the list reads it for every order), with each result's order number.
    facts: Facts,
    /// Bytes of the results' JSON, unpacked (for the log).
    json_bytes: usize,
    events: Vec<Recorded>,
    batches_done: usize,
    finished_at: Option<Instant>,
    message: Option<String>,
}

impl LocalJobState {
    /// Bytes the batches and facts hold (about): what the budget counts.
    fn bytes(&self) -> usize {
        self.packs.bytes() + self.batches.len() * BATCH_OVERHEAD + self.facts.bytes()
    }

    /// [`bytes`](Self::bytes) without the results in the job's file.
    fn in_memory(&self) -> usize {
        self.packs.in_memory() + self.batches.len() * BATCH_OVERHEAD + self.facts.bytes()
    }
}

struct LocalJob {
    id: String,
    total_batches: usize,
    params: Params,
    state: Mutex<LocalJobState>,
    /// Number of recorded events; subscribers wait for it to change.
    events_tx: watch::Sender<usize>,
}

impl LocalJob {
    fn lock(&self) -> std::sync::MutexGuard<'_, LocalJobState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn status(&self) -> JobStatus {
        let st = self.lock();
        JobStatus {
            job_id: self.id.clone(),
            estado: st.estado,
            contagens: st.stats.contagens,
            total_lotes: self.total_batches,
            lotes_concluidos: st.batches_done,
            por_criticidade: st.stats.por_criticidade.clone(),
            por_prazo: st.stats.por_prazo.clone(),
            valor_total: st.stats.valor_total,
            valor_com_ruptura: st.stats.valor_com_ruptura,
            valor_agora: st.stats.valor_agora,
            modo: self.params.mode.as_str().to_string(),
            data_base: self.params.today,
            mensagem: st.message.clone(),
        }
    }

    fn push(&self, event: Recorded) {
        let n = {
            let mut st = self.lock();
            st.events.push(event);
            st.events.len()
        };
        self.events_tx.send_replace(n);
    }

    /// The event at position `index` (id `index + 1`), rendered; a batch's results are
    /// unpacked outside the lock.
    fn event_at(&self, index: usize) -> Option<JobEvent> {
        let id = index as u64 + 1;
        let (lote_index, packed, counts) = {
            let st = self.lock();
            match st.events.get(index)? {
                Recorded::Lote {
                    lote_index,
                    batch,
                    counts,
                } => (*lote_index, st.packs.get(&st.batches[*batch].at), *counts),
                Recorded::Concluido(stats) => {
                    return Some(JobEvent::Concluido {
                        id,
                        estatisticas: stats.clone(),
                    })
                }
                Recorded::Falhou(message) => {
                    return Some(JobEvent::Falhou {
                        id,
                        message: message.clone(),
                    })
                }
            }
        };
        Some(JobEvent::Lote {
            id,
            lote_index,
            resultados: packed.results(),
            counts,
        })
    }

    fn finished(&self) -> bool {
        self.lock().estado != JobState::EmAndamento
    }

    /// The held batches finished by now, in the order of the job's orders (batches are slices
    /// of them; each holds its results in that order).
    fn batches_in_order(&self) -> Vec<usize> {
        let st = self.lock();
        let mut order: Vec<usize> = (0..st.batches.len()).collect();
        order.sort_unstable_by_key(|&b| st.batches.get(b).map_or(0, |h| h.index));
        order
    }

    /// The entries of held batch `b` in the results' JSON object, written by `entries`: each
    /// order number with its result's JSON as it was packed (unpacked outside the lock, never
    /// parsed into a result).
    fn batch_json(&self, b: usize, entries: &mut Entries) -> Vec<u8> {
        let (nums, packed) = {
            let st = self.lock();
            let Some(held) = st.batches.get(b) else {
                return Vec::new();
            };
            let nums: Vec<String> = held
                .slots
                .clone()
                .map(|i| st.facts.num(i).to_string())
                .collect();
            (nums, st.packs.get(&held.at))
        };
        let json = packed.json();
        let mut piece = Vec::with_capacity(json.len() + nums.len() * 32);
        let mut values =
            serde_json::Deserializer::from_slice(&json).into_iter::<serde::de::IgnoredAny>();
        let mut start = 0;
        for num in &nums {
            match values.next() {
                Some(Ok(_)) => {
                    let end = values.byte_offset();
                    entries.push(&mut piece, num, json.get(start..end).unwrap_or_default());
                    start = end;
                }
                _ => {
                    tracing::error!(job = %self.id, "resultados de um lote ilegíveis");
                    break;
                }
            }
        }
        piece
    }
}

/// Records each batch of a running job.
struct JobRecorder(Arc<LocalJob>);

impl Observer for JobRecorder {
    fn batch_encoder(&self) -> Option<BatchEncoder> {
        Some(Arc::new(packed::pack))
    }

    fn batch(&mut self, mut batch: Batch) {
        let job = &self.0;
        // Packed on the batch's thread (see `batch_encoder`); never under the lock.
        let encoded = batch
            .encoded
            .take()
            .unwrap_or_else(|| packed::pack(&batch.results));
        let event = {
            let mut st = job.lock();
            let start = st.facts.len();
            for r in &batch.results {
                st.stats.count(r);
                st.facts.push(r.num_pedido(), &FactsOf::of(r));
            }
            st.json_bytes += packed::raw_len(&encoded);
            let slots = start..st.facts.len();
            let at = st.packs.push(&encoded);
            st.batches.push(HeldBatch {
                slots,
                at,
                index: batch.index,
            });
            st.stats.add_valores(&batch.valores);
            st.decisoes.merge(Decisoes {
                valores: batch.valores,
                produtos: batch.produtos,
            });
            st.batches_done += 1;
            Recorded::Lote {
                lote_index: batch.index,
                batch: st.batches.len() - 1,
                counts: st.stats.contagens,
            }
        };
        job.push(event);
    }
}

/// Runs jobs in this process, at most `max_running` at once.
pub struct LocalQueue {
    store: Arc<dyn Store>,
    /// Where whole-book jobs are recorded as runs, if anywhere.
    runs: Option<RunLog>,
    config: LocalQueueConfig,
    running: Arc<Semaphore>,
    jobs: Arc<RwLock<HashMap<String, Arc<LocalJob>>>>,
    finished: Arc<Mutex<FinishedJobs>>,
}

impl LocalQueue {
    /// A queue over `store`; also starts the sweeper that forgets jobs past their TTL.
    pub fn new(store: Arc<dyn Store>, config: LocalQueueConfig) -> Self {
        let jobs: Arc<RwLock<HashMap<String, Arc<LocalJob>>>> = Arc::default();
        let finished: Arc<Mutex<FinishedJobs>> = Arc::default();
        let weak = Arc::downgrade(&jobs);
        let weak_finished = Arc::downgrade(&finished);
        let ttl = config.ttl;
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_secs(30).min(ttl.max(Duration::from_secs(1))));
            loop {
                tick.tick().await;
                let Some(jobs) = weak.upgrade() else { break };
                let mut map = jobs.write().unwrap_or_else(|e| e.into_inner());
                map.retain(|_, j| j.lock().finished_at.is_none_or(|t| t.elapsed() < ttl));
                if let Some(f) = weak_finished.upgrade() {
                    f.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|id| map.contains_key(id));
                }
            }
        });
        Self {
            store,
            runs: None,
            running: Arc::new(Semaphore::new(config.max_running.max(1))),
            config,
            jobs,
            finished,
        }
    }

    /// Records whole-book jobs as runs in `runs`.
    pub fn recording(mut self, runs: Option<RunLog>) -> Self {
        self.runs = runs;
        self
    }

    /// Bytes job `id`'s results hold, as the budget of finished jobs counts them.
    pub fn held_bytes(&self, id: &str) -> Option<usize> {
        self.get(id).map(|job| job.lock().bytes())
    }

    /// Of [`held_bytes`](Self::held_bytes), what is in memory (not in the job's file).
    pub fn bytes_in_memory(&self, id: &str) -> Option<usize> {
        self.get(id).map(|job| job.lock().in_memory())
    }

    fn get(&self, id: &str) -> Option<Arc<LocalJob>> {
        self.jobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

/// A submitted job and what running it needs.
struct JobRun {
    job: Arc<LocalJob>,
    spec: JobSpec,
    /// Where the job is recorded as a run, if it is.
    runs: Option<RunLog>,
    store: Arc<dyn Store>,
    running: Arc<Semaphore>,
    jobs: Arc<RwLock<HashMap<String, Arc<LocalJob>>>>,
    finished: Arc<Mutex<FinishedJobs>>,
    config: LocalQueueConfig,
}

/// Runs the job once a place is free, records its outcome and keeps the finished jobs in budget.
async fn run_job(run: JobRun) {
    let JobRun {
        job,
        spec,
        runs,
        store,
        running,
        jobs,
        finished,
        config,
    } = run;
    let _permit = running.acquire_owned().await;
    let started = Instant::now();
    let opts = RunOptions {
        batch_size: spec.batch_size,
        max_workers: spec.max_workers,
        json: false,
    };
    let selection = Selection::Orders(spec.orders);
    let mut recorder = JobRecorder(Arc::clone(&job));
    let outcome = ruptura_app::runs::analyze_recorded(
        store.as_ref(),
        &selection,
        spec.params,
        opts,
        &mut recorder,
        runs.as_ref(),
        "job",
    )
    .await;
    record_end(&job, outcome, started);
    keep_in_budget(&job, &jobs, &finished, &config);
}

/// Records how `job` ended: the state change and the final event together, so a subscriber that
/// sees the job finished has also seen its final event.
fn record_end(
    job: &LocalJob,
    outcome: Result<(Estatisticas, RunRecorded), ruptura_app::AnalysisError>,
    started: Instant,
) {
    let count = {
        let mut st = job.lock();
        st.finished_at = Some(Instant::now());
        st.packs.seal();
        st.facts.shrink_to_fit();
        let event = match outcome {
            Ok((_, recorded)) => {
                if let RunRecorded::Failed(e) = recorded {
                    st.message = Some(format!(
                        "análise concluída, mas a execução não foi registrada: {e}"
                    ));
                }
                st.estado = JobState::Concluido;
                st.stats.finish(started.elapsed());
                Recorded::Concluido(st.stats.clone())
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "job falhou");
                let message = match e {
                    ruptura_app::AnalysisError::Store(s) if s.is_unavailable() => {
                        "banco de dados indisponível durante a análise".to_string()
                    }
                    _ => "falha na análise".to_string(),
                };
                st.estado = JobState::Falhou;
                st.message = Some(message.clone());
                Recorded::Falhou(message)
            }
        };
        st.events.push(event);
        st.events.len()
    };
    job.events_tx.send_replace(count);
}

/// Admits finished `job` to the budget of finished jobs; the oldest are forgotten first.
fn keep_in_budget(
    job: &LocalJob,
    jobs: &RwLock<HashMap<String, Arc<LocalJob>>>,
    finished: &Mutex<FinishedJobs>,
    config: &LocalQueueConfig,
) {
    let (bytes, in_memory, json_bytes) = {
        let st = job.lock();
        (st.bytes(), st.in_memory(), st.json_bytes)
    };
    tracing::debug!(job = %job.id, bytes, in_memory, json_bytes, "resultados do job mantidos");
    let evicted =
        finished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .admit(job.id.clone(), bytes, config);
    if !evicted.is_empty() {
        let mut map = jobs.write().unwrap_or_else(|e| e.into_inner());
        for id in &evicted {
            map.remove(id);
        }
        tracing::info!(
            esquecidos = evicted.len(),
            "jobs concluídos antigos esquecidos (limite de memória)"
        );
    }
}

#[async_trait]
impl JobQueue for LocalQueue {
    async fn submit(&self, spec: JobSpec) -> Result<JobCreated, JobError> {
        let pending = self
            .jobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|j| !j.finished())
            .count();
        if pending >= self.config.max_pending {
            return Err(JobError::Busy(format!(
                "{pending} análises em andamento; tente de novo quando alguma terminar"
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let total_batches = spec.total_batches();
        let (events_tx, _) = watch::channel(0);
        let job = Arc::new(LocalJob {
            id: id.clone(),
            total_batches,
            params: spec.params.clone(),
            state: Mutex::new(LocalJobState {
                estado: JobState::EmAndamento,
                stats: Estatisticas::new(spec.orders.len()),
                decisoes: Decisoes::default(),
                batches: Vec::with_capacity(total_batches),
                packs: if self.config.results_in_file {
                    Packs::in_file()
                } else {
                    Packs::default()
                },
                facts: Facts::with_capacity(spec.orders.len()),
                json_bytes: 0,
                events: Vec::new(),
                batches_done: 0,
                finished_at: None,
                message: None,
            }),
            events_tx,
        });
        self.jobs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), Arc::clone(&job));
        let created = JobCreated {
            job_id: id,
            total_pedidos: spec.orders.len(),
            total_lotes: total_batches,
        };

        let runs = self.runs.clone().filter(|_| spec.whole_book);
        tokio::spawn(run_job(JobRun {
            job,
            spec,
            runs,
            store: Arc::clone(&self.store),
            running: Arc::clone(&self.running),
            jobs: Arc::clone(&self.jobs),
            finished: Arc::clone(&self.finished),
            config: self.config,
        }));
        Ok(created)
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError> {
        Ok(self.get(id).map(|j| j.status()))
    }

    async fn decisions(
        &self,
        id: &str,
    ) -> Result<Option<(JobStatus, Estatisticas, Decisoes)>, JobError> {
        Ok(self.get(id).map(|job| {
            let status = job.status();
            let st = job.lock();
            (status, st.stats.clone(), st.decisoes.clone())
        }))
    }

    async fn results(&self, id: &str) -> Result<Option<Vec<Resultado>>, JobError> {
        let Some(batches) = self.result_batches(id).await? else {
            return Ok(None);
        };
        // Unpacked off the async threads: a whole book is ~190 MB of JSON.
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let batches: Vec<Vec<Resultado>> = runtime.block_on(batches.collect());
            batches.concat()
        })
        .await
        .map(Some)
        .map_err(|e| JobError::Internal(format!("leitura dos resultados interrompida: {e}")))
    }

    async fn results_json(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Vec<u8>>>, JobError> {
        let Some(job) = self.get(id) else {
            return Ok(None);
        };
        // One piece per batch finished by now, unpacked as the response is written: the whole
        // JSON (~190 MB for 100,000 orders) and the results are never held at once.
        let order = job.batches_in_order();
        let mut entries = Entries::default();
        let pieces = futures::stream::iter(order).map(move |b| job.batch_json(b, &mut entries));
        Ok(Some(json_object(pieces)))
    }

    async fn result_batches(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Vec<Resultado>>>, JobError> {
        let Some(job) = self.get(id) else {
            return Ok(None);
        };
        let order = job.batches_in_order();
        let batches = futures::stream::iter(order).map(move |b| {
            let packed = {
                let st = job.lock();
                st.batches.get(b).map(|held| st.packs.get(&held.at))
            };
            packed.map(|p| p.results()).unwrap_or_default()
        });
        Ok(Some(Box::pin(batches)))
    }

    async fn criticalities(&self, id: &str) -> Result<Option<HashMap<String, String>>, JobError> {
        Ok(self.get(id).map(|job| {
            let st = job.lock();
            (0..st.facts.len())
                .map(|i| {
                    (
                        st.facts.num(i).to_string(),
                        st.facts.criticidade(i).to_string(),
                    )
                })
                .collect()
        }))
    }

    async fn order_facts(&self, id: &str) -> Result<Option<HashMap<String, OrderFacts>>, JobError> {
        Ok(self.get(id).map(|job| {
            let st = job.lock();
            (0..st.facts.len())
                .filter_map(|i| Some((st.facts.num(i).to_string(), st.facts.get(i)?)))
                .collect()
        }))
    }

    async fn events(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Option<BoxStream<'static, JobEvent>>, JobError> {
        let Some(job) = self.get(id) else {
            return Ok(None);
        };
        let rx = job.events_tx.subscribe();
        let cursor = usize::try_from(after).unwrap_or(usize::MAX);
        let stream =
            futures::stream::unfold((job, rx, cursor), |(job, mut rx, cursor)| async move {
                loop {
                    if let Some(event) = job.event_at(cursor) {
                        return Some((event, (job, rx, cursor + 1)));
                    }
                    // A finished job has recorded its final event: nothing more will come.
                    if job.finished() {
                        return None;
                    }
                    if rx.changed().await.is_err() {
                        return job
                            .event_at(cursor)
                            .map(|e| (e, (job.clone(), rx, cursor + 1)));
                    }
                }
            });
        Ok(Some(Box::pin(stream)))
    }
}
