//! Running one analysis: one snapshot from the store, then the engine over batches of orders on
//! at most `max_workers` threads, each finished batch handed to the caller as it completes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;

use ruptura_engine::{Analyzer, Mode, OrderOutcome, Params};
use ruptura_store::{OrderFilter, Selection, Store, StoreError};
use thiserror::Error;

use crate::decisions::{Produtos, Valores};
use crate::wire::{Estatisticas, Resultado};

#[derive(Debug, Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("falha interna da análise: {0}")]
    Internal(String),
}

/// Batching of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Orders per batch (`tamanho_lote`), at least 1.
    pub batch_size: usize,
    /// Batches analysed at once (`max_workers`), at least 1.
    pub max_workers: usize,
    /// Also serialize each batch to JSON on the worker thread that analysed it
    /// ([`Batch::json`]): for callers that write all results as one JSON object.
    pub json: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            batch_size: crate::settings::DEFAULT_BATCH_SIZE,
            max_workers: crate::settings::DEFAULT_MAX_WORKERS,
            json: false,
        }
    }
}

/// One finished batch: its index among the run's batches and the results of its orders, in the
/// order of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub index: usize,
    pub results: Vec<Resultado>,
    /// With [`RunOptions::json`]: the batch as JSON object members, `"num": RESULT,...`.
    pub json: Option<Vec<u8>>,
    /// Exact value sums of the batch's found orders (SPEC 8.3).
    pub valores: Valores,
    /// The products that block the batch's orders (SPEC 8.4), to merge with other batches'.
    pub produtos: Produtos,
}

impl Batch {
    fn new(
        index: usize,
        outcomes: &[(String, OrderOutcome)],
        today: NaiveDate,
        json: bool,
    ) -> Self {
        let results: Vec<Resultado> = outcomes
            .iter()
            .map(|(num, outcome)| Resultado::from_outcome(num, outcome, today))
            .collect();
        let json = json.then(|| members(&results));
        Self {
            index,
            results,
            json,
            valores: Valores::of(outcomes.iter().map(|(_, o)| o)),
            produtos: Produtos::of(outcomes.iter().map(|(_, o)| o)),
        }
    }
}

/// `"num": RESULT, ...` for `results`: members of the `resultados` object.
pub(crate) fn members(results: &[Resultado]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(results.len() * 1536);
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        // Writing a string and a plain struct into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut buf, r.num_pedido());
        buf.push(b':');
        let _ = serde_json::to_writer(&mut buf, r);
    }
    buf
}

/// Receives the progress of a run.
pub trait Observer {
    /// Called once with the snapshot the run reads, before the analysis (what a recorded run
    /// keeps of its inputs comes from here).
    fn snapshot(&mut self, _snapshot: &ruptura_engine::Snapshot, _today: chrono::NaiveDate) {}
    /// Called once, after the snapshot is loaded: the orders of the run and how many batches.
    fn started(&mut self, _orders: &[String], _batches: usize) {}
    /// Called for each batch as it finishes (in completion order).
    fn batch(&mut self, batch: Batch);
}

impl<F: FnMut(Batch)> Observer for F {
    fn batch(&mut self, batch: Batch) {
        self(batch)
    }
}

/// Collects the JSON of the batches of a run (run with [`RunOptions::json`]) in request order,
/// and writes them as one `resultados` object.
#[derive(Debug, Default)]
pub struct JsonInOrder {
    parts: Vec<Option<Vec<u8>>>,
}

impl JsonInOrder {
    /// Writes `{"num": RESULT, ...}`.
    pub fn write_object(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(b"{")?;
        let mut first = true;
        for part in self.parts.iter().flatten().filter(|p| !p.is_empty()) {
            if !first {
                out.write_all(b",")?;
            }
            out.write_all(part)?;
            first = false;
        }
        out.write_all(b"}")
    }
}

impl Observer for JsonInOrder {
    fn started(&mut self, _orders: &[String], batches: usize) {
        self.parts = vec![None; batches];
    }

    fn batch(&mut self, batch: Batch) {
        if let Some(slot) = self.parts.get_mut(batch.index) {
            *slot = Some(batch.json.unwrap_or_else(|| members(&batch.results)));
        }
    }
}

/// Collects the batches of a run in request order, whatever order they finish in.
#[derive(Debug, Default)]
pub struct InOrder {
    slots: Vec<Option<Vec<Resultado>>>,
}

impl InOrder {
    /// The results of every finished batch, in the order of the orders of the run.
    pub fn into_results(self) -> Vec<Resultado> {
        self.slots.into_iter().flatten().flatten().collect()
    }
}

impl Observer for InOrder {
    fn started(&mut self, _orders: &[String], batches: usize) {
        self.slots = vec![None; batches];
    }

    fn batch(&mut self, batch: Batch) {
        if let Some(slot) = self.slots.get_mut(batch.index) {
            *slot = Some(batch.results);
        }
    }
}

/// Analyses `selection` as of `params.today`: loads one snapshot (a constant number of queries),
/// then analyses the orders in batches of `opts.batch_size` on at most `opts.max_workers`
/// threads, telling `observer` when it starts and as each batch finishes. Returns the
/// statistics.
///
/// Independent mode analyses batches in parallel. Sequential mode allocates over all the orders
/// in priority order first (it is one pass, whatever the batches), then reports the batches.
pub async fn analyze(
    store: &dyn Store,
    selection: &Selection,
    params: Params,
    opts: RunOptions,
    observer: &mut (dyn Observer + Send),
) -> Result<Estatisticas, AnalysisError> {
    let started = Instant::now();
    let (snapshot, orders) = if params.mode.needs_whole_book() {
        // Priority mode (SPEC 8.1): the allocation runs over the whole active book; the
        // requested orders are reported.
        let loaded = store
            .load(&Selection::Book(OrderFilter::default()), params.today)
            .await?;
        let orders = match selection {
            Selection::Orders(list) => dedup(list),
            Selection::Book(filter) if filter.is_empty() => loaded.orders,
            Selection::Book(filter) => store.order_numbers(filter).await?,
        };
        (loaded.snapshot, orders)
    } else {
        let loaded = store.load(selection, params.today).await?;
        (loaded.snapshot, loaded.orders)
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        lines = snapshot.lines.len(),
        "snapshot carregado"
    );
    observer.snapshot(&snapshot, params.today);
    let batch_size = opts.batch_size.max(1);
    let batches: Vec<Vec<String>> = orders.chunks(batch_size).map(<[String]>::to_vec).collect();
    observer.started(&orders, batches.len());
    let mut stats = Estatisticas::new(orders.len());
    let today = params.today;
    let mode = params.mode;
    let analyzer = Arc::new(blocking(move || Analyzer::new(snapshot, params)).await?);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "projeções prontas"
    );

    let mut emit = |batch: Batch, stats: &mut Estatisticas| {
        for r in &batch.results {
            stats.count(r);
        }
        stats.add_valores(&batch.valores);
        observer.batch(batch);
    };

    // What each batch task does: analyse its orders (independent mode), or only map to the wire
    // the outcomes the allocation already decided (sequential and priority modes: the
    // allocation is one pass over all the orders in priority order, whatever the batches).
    let work: Vec<BatchWork> = match mode {
        Mode::Sequential | Mode::Priority => {
            let a = Arc::clone(&analyzer);
            let mut outcomes = blocking(move || a.analyze(&orders)).await?.into_iter();
            batches
                .iter()
                .map(|batch| BatchWork::Map(outcomes.by_ref().take(batch.len()).collect()))
                .collect()
        }
        Mode::Independent => batches.into_iter().map(BatchWork::Analyze).collect(),
    };
    // Batches start in request order, at most `max_workers` at a time, and never more than a
    // window ahead of the lowest unfinished one. Each is handed to the observer as it finishes;
    // an observer that needs request order (the streamed outputs) therefore keeps only a few
    // batches waiting, and memory stays bounded whatever the size of the run. Dropping this
    // future stops the run: batches not yet started never start.
    let workers = opts.max_workers.max(1);
    let window = workers * 4;
    let mut queue = work.into_iter().enumerate().peekable();
    let mut running: BTreeSet<usize> = BTreeSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while running.len() < workers {
            let lowest = running.first().copied();
            match queue.peek() {
                Some((index, _)) if lowest.is_none_or(|l| *index < l + window) => {}
                _ => break,
            }
            let Some((index, work)) = queue.next() else {
                break;
            };
            running.insert(index);
            let a = Arc::clone(&analyzer);
            let json = opts.json;
            tasks.spawn_blocking(move || {
                let outcomes = match work {
                    BatchWork::Analyze(orders) => orders
                        .into_iter()
                        .map(|num| {
                            let outcome = a.analyze_order(&num);
                            (num, outcome)
                        })
                        .collect(),
                    BatchWork::Map(outcomes) => outcomes,
                };
                Batch::new(index, &outcomes, today, json)
            });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        let batch = done.map_err(|e| AnalysisError::Internal(e.to_string()))?;
        running.remove(&batch.index);
        emit(batch, &mut stats);
    }
    // The snapshot and its projections can be large: free them off the caller's path.
    std::thread::spawn(move || drop(analyzer));
    stats.finish(started.elapsed());
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        orders = stats.processados,
        "análise concluída"
    );
    Ok(stats)
}

/// The work of one batch task.
enum BatchWork {
    /// Analyse these orders on their own.
    Analyze(Vec<String>),
    /// Map these outcomes, decided by the allocation, to the wire.
    Map(Vec<(String, ruptura_engine::OrderOutcome)>),
}

/// `orders` without duplicates, in first-occurrence order.
fn dedup(orders: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(orders.len());
    orders
        .iter()
        .filter(|n| seen.insert(n.as_str()))
        .cloned()
        .collect()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AnalysisError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AnalysisError::Internal(e.to_string()))
}
