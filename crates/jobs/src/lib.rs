//! Jobs: large analyses that run in the background and report each finished batch. The
//! [`JobQueue`] trait hides where batches run: in this process ([`LocalQueue`]) or on Redis
//! workers. Either way a job is a fixed list of orders, split into batches, whose results and
//! running counts are kept for `JOB_TTL_SEGUNDOS` after it ends, and whose events can be
//! replayed from any event id.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod local;

pub use local::{LocalQueue, LocalQueueConfig};

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use futures::stream::BoxStream;
use futures::StreamExt;
use ruptura_app::wire::{Contagens, Estatisticas, ItemRuptura, Resultado, Rotulo};
use ruptura_app::Decisoes;
use ruptura_engine::Params;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a queue could not do what it was asked. The server maps each to an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Too many jobs are pending: try again later (429).
    #[error("{0}")]
    Busy(String),
    /// The queue's backing service does not answer (503).
    #[error("{0}")]
    Unavailable(String),
    /// Something that should not happen; the detail is logged, not sent (500).
    #[error("{0}")]
    Internal(String),
}

/// Whether `id` has the form of a job id (a hyphenated lowercase UUID, as `submit` makes them).
/// Anything else names no job, whatever the queue: it never reaches a key or a map.
pub fn valid_job_id(id: &str) -> bool {
    id.len() == 36
        && uuid::Uuid::try_parse(id).is_ok()
        && !id.bytes().any(|b| b.is_ascii_uppercase())
}

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
    #[serde(flatten)]
    #[schema(inline)]
    pub contagens: Contagens,
    pub total_lotes: usize,
    pub lotes_concluidos: usize,
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

/// The running counts each `lote` event carries: the counts of `estatisticas` and of a job's
/// status, under the name the queues use for them.
pub use ruptura_app::wire::Contagens as Counts;

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
    async fn submit(&self, spec: JobSpec) -> Result<JobCreated, JobError>;
    async fn status(&self, id: &str) -> Result<Option<JobStatus>, JobError>;
    /// Every result finished so far, in the order of the job's orders.
    async fn results(&self, id: &str) -> Result<Option<Vec<Resultado>>, JobError>;
    /// The same results a batch at a time, in the same order: what an export makes its rows
    /// from, without holding every result at once where the queue keeps them packed.
    async fn result_batches(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Vec<Resultado>>>, JobError> {
        Ok(self.results(id).await?.map(|results| {
            let mut batches = Vec::new();
            let mut rest = results.into_iter().peekable();
            while rest.peek().is_some() {
                batches.push(rest.by_ref().take(256).collect::<Vec<_>>());
            }
            Box::pin(futures::stream::iter(batches)) as BoxStream<'static, Vec<Resultado>>
        }))
    }
    /// The same results as the JSON object `/resultados` sends (`{"num_pedido": RESULT, ...}`,
    /// the entries in the order of [`results`](Self::results)), in pieces to write as they
    /// come (here a piece per batch of [`result_batches`](Self::result_batches)): a queue that
    /// keeps results serialized streams them without parsing them.
    async fn results_json(
        &self,
        id: &str,
    ) -> Result<Option<BoxStream<'static, Vec<u8>>>, JobError> {
        Ok(self.result_batches(id).await?.map(|batches| {
            let mut entries = Entries::default();
            json_object(batches.map(move |batch| {
                let mut piece = Vec::with_capacity(batch.len() * 2048);
                for r in &batch {
                    // A plain struct serializes into a Vec without error.
                    let value = serde_json::to_vec(r).unwrap_or_default();
                    entries.push(&mut piece, r.num_pedido(), &value);
                }
                piece
            }))
        }))
    }
    /// The criticality label (`OK`, `CRITICA`, ..., `ERRO`) of every order finished so far: what
    /// the page filters the book by, without copying whole results.
    async fn criticalities(&self, id: &str) -> Result<Option<HashMap<String, String>>, JobError> {
        Ok(self.results(id).await?.map(|results| {
            results
                .iter()
                .map(|r| (r.num_pedido().to_string(), r.criticidade().to_string()))
                .collect()
        }))
    }
    /// What the order list filters and sorts by, for every order finished so far, without
    /// copying whole results.
    async fn order_facts(&self, id: &str) -> Result<Option<HashMap<String, OrderFacts>>, JobError> {
        Ok(self.results(id).await?.map(|results| {
            results
                .iter()
                .map(|r| (r.num_pedido().to_string(), OrderFacts::of(r)))
                .collect()
        }))
    }
    /// The state of a job and the figures of SPEC 8.3 and 8.4 over the orders finished so far.
    async fn decisions(
        &self,
        id: &str,
    ) -> Result<Option<(JobStatus, Estatisticas, Decisoes)>, JobError>;
    /// Whether the queue's backing service answers (`/health`): `Err` says why not. The
    /// in-process queue always answers.
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
    /// The events after event id `after`, then the live ones, ending after the final event.
    async fn events(
        &self,
        id: &str,
        after: u64,
    ) -> Result<Option<BoxStream<'static, JobEvent>>, JobError>;
}

/// The entries of a JSON object written a piece at a time (see [`json_object`]): `,` before
/// every entry but the first.
#[derive(Default)]
pub(crate) struct Entries {
    written: bool,
}

impl Entries {
    /// Writes `"key":value` into `out`; `value` is JSON already.
    pub fn push(&mut self, out: &mut Vec<u8>, key: &str, value: &[u8]) {
        if std::mem::replace(&mut self.written, true) {
            out.push(b',');
        }
        // A string serializes into a Vec without error.
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        out.extend_from_slice(value);
    }
}

/// `{`, the pieces of entries written by one [`Entries`], `}`.
pub(crate) fn json_object(
    entries: impl futures::Stream<Item = Vec<u8>> + Send + 'static,
) -> BoxStream<'static, Vec<u8>> {
    let open = futures::stream::once(async { b"{".to_vec() });
    let close = futures::stream::once(async { b"}".to_vec() });
    Box::pin(open.chain(entries).chain(close))
}

/// [`OrderFacts`] read in place from a result, nothing copied (what the in-process queue keeps
/// goes straight into its buffers).
pub(crate) struct FactsOf<'a> {
    pub criticidade: &'a str,
    pub valor_com_ruptura: f64,
    pub data_pronto: Option<NaiveDate>,
    pub dias_atraso: Option<i64>,
    short: &'a [ItemRuptura],
}

impl<'a> FactsOf<'a> {
    pub fn of(r: &'a Resultado) -> Self {
        match r.analisado() {
            Some(p) => Self {
                criticidade: &p.resumo.criticidade,
                valor_com_ruptura: p.resumo.valor_com_ruptura,
                data_pronto: p.resumo.data_pronto.map(|d| d.0),
                dias_atraso: p.resumo.dias_atraso,
                short: &p.itens,
            },
            None => Self {
                criticidade: Rotulo::Erro.as_str(),
                valor_com_ruptura: 0.0,
                data_pronto: None,
                dias_atraso: None,
                short: &[],
            },
        }
    }

    /// The codes of the order's short lines.
    pub fn short_codes(&self) -> impl Iterator<Item = &'a str> {
        self.short.iter().map(|i| i.cod_produto.as_str())
    }
}

/// The figures of one order's result that the order list filters and sorts by.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    pub criticidade: String,
    pub valor_com_ruptura: f64,
    /// When the whole order can ship (None: no forecast).
    pub data_pronto: Option<NaiveDate>,
    pub dias_atraso: Option<i64>,
    /// The codes of the order's short lines.
    pub short_codes: Vec<String>,
}

impl OrderFacts {
    pub fn of(r: &Resultado) -> Self {
        let facts = FactsOf::of(r);
        Self {
            criticidade: facts.criticidade.to_string(),
            valor_com_ruptura: facts.valor_com_ruptura,
            data_pronto: facts.data_pronto,
            dias_atraso: facts.dias_atraso,
            short_codes: facts.short_codes().map(str::to_string).collect(),
        }
    }

    /// Severity for sorting: CRITICA 4 ... OK 0, an order not analysed -1.
    pub fn severity(&self) -> i8 {
        Rotulo::of(&self.criticidade).map_or(-1, Rotulo::gravidade)
    }
}
