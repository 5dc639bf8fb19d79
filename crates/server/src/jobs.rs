//! Jobs: large analyses that run in the background and report each finished batch. The
//! [`JobQueue`] trait hides where batches run: in this process ([`LocalQueue`]) or on Redis
//! workers. Either way a job is a fixed list of orders, split into batches, whose results and
//! running counts are kept for `JOB_TTL_SEGUNDOS` after it ends, and whose events can be
//! replayed from any event id.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDate;
use futures::stream::BoxStream;
use ruptura_app::runs::{Recorded as RunRecorded, RunLog};
use ruptura_app::wire::{Estatisticas, Resultado};
use ruptura_app::{Batch, Decisoes, Observer, RunOptions};
use ruptura_engine::Params;
use ruptura_store::{Selection, Store};
use serde::Serialize;
use tokio::sync::{watch, Semaphore};
use utoipa::ToSchema;

use crate::error::ApiError;

/// What a job analyses and how.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The orders, deduplicated, in the order they will be reported.
    pub orders: Vec<String>,
    pub params: Params,
    pub batch_size: usize,
    pub max_workers: usize,
    /// The job is over the whole active book (neither `pedidos` nor `filtros`): it is recorded
    /// as a run (SPEC 8.5) where the queue records runs.
    pub whole_book: bool,
}

impl JobSpec {
    pub fn total_batches(&self) -> usize {
        self.orders.len().div_ceil(self.batch_size.max(1))
    }
}

/// The answer to a job submission (202).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobCreated {
    pub job_id: String,
    pub total_pedidos: usize,
    pub total_lotes: usize,
}

/// `em_andamento`, `concluido` or `falhou`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    EmAndamento,
    Concluido,
    Falhou,
}

/// A job's state and running counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStatus {
    pub job_id: String,
    pub estado: JobState,
    pub total_pedidos: usize,
    pub total_lotes: usize,
    pub lotes_concluidos: usize,
    pub processados: usize,
    pub erros: usize,
    pub pedidos_ok: usize,
    pub pedidos_com_ruptura: usize,
    /// Orders per criticality so far.
    pub por_criticidade: std::collections::BTreeMap<String, usize>,
    /// Found orders per ship-date status so far (SPEC 8.2; every status as a key).
    pub por_prazo: std::collections::BTreeMap<String, usize>,
    /// Sums over the found orders so far (SPEC 8.3): exact, rounded once.
    pub valor_total: f64,
    pub valor_com_ruptura: f64,
    pub valor_agora: f64,
    #[schema(value_type = ruptura_app::wire::Modo)]
    pub modo: String,
    pub data_base: NaiveDate,
    /// Why the job failed, when it did; or, for a finished whole-book job, why it was not
    /// recorded as a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mensagem: Option<String>,
}

/// Running counts carried by each `lote` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub processados: usize,
    pub total_pedidos: usize,
    pub erros: usize,
    pub pedidos_ok: usize,
    pub pedidos_com_ruptura: usize,
}

/// One event of a job's stream. Ids start at 1 and grow by one per event.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    /// A finished batch.
    Lote {
        id: u64,
        lote_index: usize,
        resultados: Vec<Resultado>,
        counts: Counts,
    },
    /// The job completed: its statistics.
    Concluido { id: u64, estatisticas: Estatisticas },
    /// The job failed.
    Falhou { id: u64, message: String },
}

impl JobEvent {
    pub fn id(&self) -> u64 {
        match self {
            JobEvent::Lote { id, .. }
            | JobEvent::Concluido { id, .. }
            | JobEvent::Falhou { id, .. } => *id,
        }
    }
}

/// Where jobs run.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Starts a job; it runs in the background.
    async fn submit(&self, spec: JobSpec) -> Result<JobCreated, ApiError>;
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, ApiError>;
    /// Every result finished so far, in the order of the job's orders.
    async fn results(&self, id: &str) -> Result<Option<Vec<Resultado>>, ApiError>;
    /// The criticality label (`OK`, `CRITICA`, ..., `ERRO`) of every order finished so far: what
    /// the page filters the book by, without copying whole results.
    async fn criticalities(&self, id: &str) -> Result<Option<HashMap<String, String>>, ApiError> {
        Ok(self.results(id).await?.map(|results| {
            results
                .iter()
                .map(|r| (r.num_pedido().to_string(), r.criticidade().to_string()))
                .collect()
        }))
    }
    /// The state of a job and the figures of SPEC 8.3 and 8.4 over the orders finished so far.
    async fn decisions(
        &self,
        id: &str,
    ) -> Result<Option<(JobStatus, Estatisticas, Decisoes)>, ApiError>;
    /// The events after event id `after`, then the live ones, ending after the final event.
    async fn events(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Option<BoxStream<'static, JobEvent>>, ApiError>;
}

/// Limits of the in-process queue.
#[derive(Debug, Clone, Copy)]
pub struct LocalQueueConfig {
    /// Jobs analysing at once; later ones wait their turn.
    pub max_running: usize,
    /// Jobs accepted and not yet finished, at most (more: 429).
    pub max_pending: usize,
    /// How long a finished job stays readable.
    pub ttl: Duration,
}

impl Default for LocalQueueConfig {
    fn default() -> Self {
        Self {
            max_running: 2,
            max_pending: 32,
            ttl: Duration::from_secs(3600),
        }
    }
}

enum Recorded {
    Lote {
        lote_index: usize,
        results: Range<usize>,
        counts: Counts,
    },
    Concluido(Estatisticas),
    Falhou(String),
}

struct LocalJobState {
    estado: JobState,
    stats: Estatisticas,
    /// Exact totals and products of the batches finished so far.
    decisoes: Decisoes,
    /// Results in completion order; `slot_of[i]` is the position of job order i, once finished.
    results: Vec<Resultado>,
    slot_of: HashMap<String, usize>,
    events: Vec<Recorded>,
    batches_done: usize,
    finished_at: Option<Instant>,
    message: Option<String>,
}

struct LocalJob {
    id: String,
    orders: Vec<String>,
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
            total_pedidos: self.orders.len(),
            total_lotes: self.total_batches,
            lotes_concluidos: st.batches_done,
            processados: st.stats.processados,
            erros: st.stats.erros,
            pedidos_ok: st.stats.pedidos_ok,
            pedidos_com_ruptura: st.stats.pedidos_com_ruptura,
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

    /// The event at position `index` (id `index + 1`), rendered.
    fn event_at(&self, index: usize) -> Option<JobEvent> {
        let st = self.lock();
        let id = index as u64 + 1;
        Some(match st.events.get(index)? {
            Recorded::Lote {
                lote_index,
                results,
                counts,
            } => JobEvent::Lote {
                id,
                lote_index: *lote_index,
                resultados: st.results[results.clone()].to_vec(),
                counts: *counts,
            },
            Recorded::Concluido(stats) => JobEvent::Concluido {
                id,
                estatisticas: stats.clone(),
            },
            Recorded::Falhou(message) => JobEvent::Falhou {
                id,
                message: message.clone(),
            },
        })
    }

    fn finished(&self) -> bool {
        self.lock().estado != JobState::EmAndamento
    }
}

/// Records each batch of a running job.
struct JobRecorder(Arc<LocalJob>);

impl Observer for JobRecorder {
    fn batch(&mut self, batch: Batch) {
        let job = &self.0;
        let event = {
            let mut st = job.lock();
            let start = st.results.len();
            for r in batch.results {
                st.stats.count(&r);
                let slot = st.results.len();
                st.slot_of.insert(r.num_pedido().to_string(), slot);
                st.results.push(r);
            }
            st.stats.add_valores(&batch.valores);
            st.decisoes.merge(Decisoes {
                valores: batch.valores,
                produtos: batch.produtos,
            });
            st.batches_done += 1;
            let s = &st.stats;
            Recorded::Lote {
                lote_index: batch.index,
                results: start..st.results.len(),
                counts: Counts {
                    processados: s.processados,
                    total_pedidos: job.orders.len(),
                    erros: s.erros,
                    pedidos_ok: s.pedidos_ok,
                    pedidos_com_ruptura: s.pedidos_com_ruptura,
                },
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
}

impl LocalQueue {
    /// A queue over `store`; also starts the sweeper that forgets jobs past their TTL.
    pub fn new(store: Arc<dyn Store>, config: LocalQueueConfig) -> Self {
        let jobs: Arc<RwLock<HashMap<String, Arc<LocalJob>>>> = Arc::default();
        let weak = Arc::downgrade(&jobs);
        let ttl = config.ttl;
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_secs(30).min(ttl.max(Duration::from_secs(1))));
            loop {
                tick.tick().await;
                let Some(jobs) = weak.upgrade() else { break };
                let mut map = jobs.write().unwrap_or_else(|e| e.into_inner());
                map.retain(|_, j| j.lock().finished_at.is_none_or(|t| t.elapsed() < ttl));
            }
        });
        Self {
            store,
            runs: None,
            running: Arc::new(Semaphore::new(config.max_running.max(1))),
            config,
            jobs,
        }
    }

    /// Records whole-book jobs as runs in `runs`.
    pub fn recording(mut self, runs: Option<RunLog>) -> Self {
        self.runs = runs;
        self
    }

    fn get(&self, id: &str) -> Option<Arc<LocalJob>> {
        self.jobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

#[async_trait]
impl JobQueue for LocalQueue {
    async fn submit(&self, spec: JobSpec) -> Result<JobCreated, ApiError> {
        let pending = self
            .jobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|j| !j.finished())
            .count();
        if pending >= self.config.max_pending {
            return Err(ApiError::TooManyRequests(format!(
                "{pending} análises em andamento; tente de novo quando alguma terminar"
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let total_batches = spec.total_batches();
        let (events_tx, _) = watch::channel(0);
        let job = Arc::new(LocalJob {
            id: id.clone(),
            orders: spec.orders.clone(),
            total_batches,
            params: spec.params.clone(),
            state: Mutex::new(LocalJobState {
                estado: JobState::EmAndamento,
                stats: Estatisticas::new(spec.orders.len()),
                decisoes: Decisoes::default(),
                results: Vec::with_capacity(spec.orders.len()),
                slot_of: HashMap::with_capacity(spec.orders.len()),
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

        let (store, running) = (Arc::clone(&self.store), Arc::clone(&self.running));
        let runs = self.runs.clone().filter(|_| spec.whole_book);
        tokio::spawn(async move {
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
            // The state change and the final event are recorded together, so a subscriber that
            // sees the job finished has also seen its final event.
            let count = {
                let mut st = job.lock();
                st.finished_at = Some(Instant::now());
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
        });
        Ok(created)
    }

    async fn status(&self, id: &str) -> Result<Option<JobStatus>, ApiError> {
        Ok(self.get(id).map(|j| j.status()))
    }

    async fn decisions(
        &self,
        id: &str,
    ) -> Result<Option<(JobStatus, Estatisticas, Decisoes)>, ApiError> {
        Ok(self.get(id).map(|job| {
            let status = job.status();
            let st = job.lock();
            (status, st.stats.clone(), st.decisoes.clone())
        }))
    }

    async fn results(&self, id: &str) -> Result<Option<Vec<Resultado>>, ApiError> {
        Ok(self.get(id).map(|job| {
            let st = job.lock();
            job.orders
                .iter()
                .filter_map(|o| st.slot_of.get(o).map(|&i| st.results[i].clone()))
                .collect()
        }))
    }

    async fn criticalities(&self, id: &str) -> Result<Option<HashMap<String, String>>, ApiError> {
        Ok(self.get(id).map(|job| {
            let st = job.lock();
            st.results
                .iter()
                .map(|r| (r.num_pedido().to_string(), r.criticidade().to_string()))
                .collect()
        }))
    }

    async fn events(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Option<BoxStream<'static, JobEvent>>, ApiError> {
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
