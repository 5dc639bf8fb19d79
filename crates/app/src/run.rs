//! Running one analysis: one snapshot from the store, then the engine over batches of orders on
//! at most `max_workers` threads, each finished batch handed to the caller as it completes.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;

use ruptura_engine::{Analyzer, Mode, OrderOutcome, Params, ProductGroups};
use ruptura_store::{OrderFilter, Selection, Store, StoreError};
use thiserror::Error;

use crate::cache::{self, PriorityBook};
use crate::decisions::{Produtos, Valores};
use crate::runs::OrderRec;
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
/// order of the request (independent mode) or of the allocation (sequential and priority).
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
    /// What a recorded run keeps of each order, built on the batch's thread when the observer
    /// gives [`Observer::record_groups`].
    pub records: Option<Vec<OrderRec>>,
    /// The results in the observer's own form, made on the batch's thread when the observer
    /// gives [`Observer::batch_encoder`].
    pub encoded: Option<Vec<u8>>,
}

/// Turns a batch's results into the bytes an observer keeps of them (its JSON compressed, say),
/// on the batch's thread rather than the observer's.
pub type BatchEncoder = Arc<dyn Fn(&[Resultado]) -> Vec<u8> + Send + Sync>;

impl Batch {
    fn new(
        index: usize,
        outcomes: &[(String, OrderOutcome)],
        today: NaiveDate,
        json: bool,
        record: Option<&ProductGroups>,
        encoder: Option<&BatchEncoder>,
    ) -> Self {
        let results: Vec<Resultado> = outcomes
            .iter()
            .map(|(num, outcome)| Resultado::from_outcome(num, outcome, today))
            .collect();
        let json = json.then(|| members(&results));
        let records =
            record.map(|groups| results.iter().map(|r| OrderRec::of(r, groups)).collect());
        let encoded = encoder.map(|encode| encode(&results));
        Self {
            index,
            results,
            json,
            records,
            encoded,
            valores: Valores::of(outcomes.iter().map(|(_, o)| o)),
            produtos: Produtos::of(outcomes.iter().map(|(_, o)| o)),
        }
    }
}

/// `"num": RESULT, ...` for `results`: members of the `resultados` object.
pub(crate) fn members(results: &[Resultado]) -> Vec<u8> {
    // An order is 1.9 KB of JSON on average at 100,000 orders: room for a batch well above
    // that, so that the buffer is not copied into a larger one half way through.
    let mut buf = Vec::with_capacity(results.len() * 2560);
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
    /// keeps of its inputs comes from here). A priority run whose allocation is kept from an
    /// earlier request loads no snapshot and does not call this, unless
    /// [`Observer::needs_snapshot`] says so.
    fn snapshot(&mut self, _snapshot: &ruptura_engine::Snapshot, _today: chrono::NaiveDate) {}
    /// Whether [`Observer::snapshot`] must be called (then the run loads its data, whatever is
    /// kept).
    fn needs_snapshot(&self) -> bool {
        false
    }
    /// Product groups to build each order's [`OrderRec`] with on the batch threads
    /// ([`Batch::records`]); asked after [`Observer::snapshot`].
    fn record_groups(&self) -> Option<Arc<ProductGroups>> {
        None
    }
    /// How to encode each batch's results on the batch's thread ([`Batch::encoded`]); asked
    /// after [`Observer::snapshot`].
    fn batch_encoder(&self) -> Option<BatchEncoder> {
        None
    }
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
/// Independent mode analyses batches in parallel, in request order. Sequential and priority
/// modes allocate in one pass in priority order on one thread. Over the book, each batch of
/// outcomes goes to the workers for the wire as soon as it is decided, so the batches come in
/// allocation order (an order's place in `resultados` carries nothing: it is an object) and
/// memory does not grow with the book; a list of orders comes back in its own order.
pub async fn analyze(
    store: &dyn Store,
    selection: &Selection,
    params: Params,
    opts: RunOptions,
    observer: &mut (dyn Observer + Send),
) -> Result<Estatisticas, AnalysisError> {
    let started = Instant::now();
    let today = params.today;
    let (orders, work, analyzer) = plan(
        store,
        selection,
        params,
        opts.batch_size.max(1),
        observer,
        started,
    )
    .await?;
    let record = observer.record_groups();
    let encoder = observer.batch_encoder();
    observer.started(&orders, work.batches());
    let mut stats = Estatisticas::new(orders.len());
    let ctx = BatchContext {
        today,
        json: opts.json,
        record,
        encoder,
    };
    run_batches(work, opts.max_workers.max(1), &ctx, |batch| {
        for r in &batch.results {
            stats.count(r);
        }
        stats.add_valores(&batch.valores);
        observer.batch(batch);
    })
    .await?;
    // The snapshot and its projections can be large: free them off the caller's path.
    if let Some(analyzer) = analyzer {
        std::thread::spawn(move || drop(analyzer));
    }
    stats.finish(started.elapsed());
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        orders = stats.contagens.processados,
        pico_mb = peak_mb(),
        "análise concluída"
    );
    Ok(stats)
}

/// The process's peak resident memory so far, in MB (`VmHWM`; Linux only), for the debug log
/// of a run's phases.
pub(crate) fn peak_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// The orders of a run, what each batch task does and the analyzer they share: analyse its
/// orders (independent mode), or only map to the wire the outcomes the allocation already
/// decided (sequential and priority modes: the allocation is one pass over all the orders in
/// priority order, whatever the batches).
async fn plan(
    store: &dyn Store,
    selection: &Selection,
    params: Params,
    batch_size: usize,
    observer: &mut (dyn Observer + Send),
    started: Instant,
) -> Result<(Vec<String>, Work, Option<Arc<Analyzer>>), AnalysisError> {
    if params.mode == Mode::Priority {
        return priority(store, selection, params, batch_size, observer).await;
    }
    let loaded = store.load(selection, params.today).await?;
    let (snapshot, orders) = (loaded.snapshot, loaded.orders);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        lines = snapshot.lines.len(),
        pico_mb = peak_mb(),
        "snapshot carregado"
    );
    observer.snapshot(&snapshot, params.today);
    let mode = params.mode;
    let analyzer = Arc::new(blocking(move || Analyzer::new(snapshot, params)).await?);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        pico_mb = peak_mb(),
        "projeções prontas"
    );
    let work = if mode == Mode::Sequential && matches!(selection, Selection::Book(_)) {
        Work::allocated(Arc::clone(&analyzer), orders.clone(), false, batch_size)
    } else if mode == Mode::Sequential {
        // A list of orders (an API request) comes back in its own order.
        let (a, list) = (Arc::clone(&analyzer), orders.clone());
        let outcomes = blocking(move || a.analyze(&list)).await?;
        Work::Listed(map_work(&orders, outcomes, batch_size).into_iter())
    } else {
        Work::Listed(
            orders
                .chunks(batch_size)
                .map(|batch| BatchWork::Analyze(Arc::clone(&analyzer), batch.to_vec()))
                .collect::<Vec<_>>()
                .into_iter(),
        )
    };
    Ok((orders, work, Some(analyzer)))
}

/// The batches of a run: listed up front, or streamed by an allocation as it decides them.
enum Work {
    Listed(std::vec::IntoIter<BatchWork>),
    /// Sequential and priority modes: the allocation runs on its own thread and sends each
    /// batch of outcomes as soon as it is decided, in allocation priority, a few batches ahead
    /// at most; nothing holds the whole book's outcomes.
    Streamed {
        rx: tokio::sync::mpsc::Receiver<BatchWork>,
        batches: usize,
    },
}

impl Work {
    /// How many batches the run has.
    fn batches(&self) -> usize {
        match self {
            Work::Listed(list) => list.len(),
            Work::Streamed { batches, .. } => *batches,
        }
    }

    async fn next(&mut self) -> Option<BatchWork> {
        match self {
            Work::Listed(list) => list.next(),
            Work::Streamed { rx, .. } => rx.recv().await,
        }
    }

    /// Allocates in priority order on a blocking thread and streams the outcomes of the orders
    /// of `report` (distinct), `batch_size` a batch, in allocation order, then those it did not
    /// reach, as not found: every order of `report` once, so the run has as many batches as if
    /// they were listed. Sequential mode allocates over `report` itself; priority mode
    /// (`whole_book`) over every order of the analyzer, reporting those of `report`.
    fn allocated(
        analyzer: Arc<Analyzer>,
        report: Vec<String>,
        whole_book: bool,
        batch_size: usize,
    ) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let batches = report.len().div_ceil(batch_size);
        tokio::task::spawn_blocking(move || {
            let mut out = Batcher {
                chunk: Vec::with_capacity(batch_size),
                size: batch_size,
                tx,
            };
            let reported: Vec<&str> = report.iter().map(String::as_str).collect();
            if !whole_book {
                // Each order of `report` comes out once: found, failed, or not found.
                analyzer.allocate_each(&reported, |num, outcome| out.push(num, outcome));
                out.flush();
                return;
            }
            let mut left: std::collections::HashSet<&str> = reported.iter().copied().collect();
            let mut stopped = false;
            analyzer.allocate_each(&analyzer.order_numbers(), |num, outcome| {
                let flow = match left.remove(num) {
                    true => out.push(num, outcome),
                    false => ControlFlow::Continue(()),
                };
                stopped = flow.is_break();
                flow
            });
            for num in reported.iter().filter(|n| left.contains(*n)) {
                if stopped || out.push(num, OrderOutcome::NotFound).is_break() {
                    return;
                }
            }
            out.flush();
        });
        Work::Streamed { rx, batches }
    }
}

/// Gathers an allocation's outcomes into batches and sends each full one.
struct Batcher {
    chunk: Vec<(String, OrderOutcome)>,
    size: usize,
    tx: tokio::sync::mpsc::Sender<BatchWork>,
}

impl Batcher {
    /// Adds one outcome; breaks once nobody reads any more (the run was dropped).
    fn push(&mut self, num: &str, outcome: OrderOutcome) -> ControlFlow<()> {
        self.chunk.push((num.to_string(), outcome));
        if self.chunk.len() < self.size {
            return ControlFlow::Continue(());
        }
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(self.size));
        match self.tx.blocking_send(BatchWork::Map(full)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

    /// Sends what is left.
    fn flush(self) {
        if !self.chunk.is_empty() {
            let _ = self.tx.blocking_send(BatchWork::Map(self.chunk));
        }
    }
}

/// What every batch of a run is made with.
#[derive(Clone)]
struct BatchContext {
    today: NaiveDate,
    json: bool,
    record: Option<Arc<ProductGroups>>,
    encoder: Option<BatchEncoder>,
}

impl BatchContext {
    /// Does one batch's work (on a blocking thread).
    fn run(&self, index: usize, work: BatchWork) -> Batch {
        let outcomes = match work {
            BatchWork::Analyze(a, orders) => orders
                .into_iter()
                .map(|num| {
                    let outcome = a.analyze_order(&num);
                    (num, outcome)
                })
                .collect(),
            BatchWork::Map(outcomes) => outcomes,
        };
        Batch::new(
            index,
            &outcomes,
            self.today,
            self.json,
            self.record.as_deref(),
            self.encoder.as_ref(),
        )
    }
}

/// Runs the batches: they start in request order, at most `workers` at a time, and never more
/// than a window ahead of the lowest unfinished one. Each is handed to `emit` as it finishes;
/// an observer that needs request order (the streamed outputs) therefore keeps only a few
/// batches waiting, and memory stays bounded whatever the size of the run. Dropping this
/// future stops the run: batches not yet started never start.
async fn run_batches(
    mut work: Work,
    workers: usize,
    ctx: &BatchContext,
    mut emit: impl FnMut(Batch),
) -> Result<(), AnalysisError> {
    let window = workers * 4;
    let mut next = 0usize;
    let mut exhausted = false;
    let mut running: BTreeSet<usize> = BTreeSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while !exhausted && running.len() < workers {
            let lowest = running.first().copied();
            if lowest.is_some_and(|l| next >= l + window) {
                break;
            }
            let Some(work) = work.next().await else {
                if next < work.batches() {
                    // The allocation thread stopped early: it panicked.
                    return Err(AnalysisError::Internal(format!(
                        "a alocação parou depois de {next} de {} lotes",
                        work.batches()
                    )));
                }
                exhausted = true;
                break;
            };
            let index = next;
            next += 1;
            running.insert(index);
            let ctx = ctx.clone();
            tasks.spawn_blocking(move || ctx.run(index, work));
        }
        let Some(done) = tasks.join_next().await else {
            return Ok(());
        };
        let batch = done.map_err(|e| AnalysisError::Internal(e.to_string()))?;
        running.remove(&batch.index);
        emit(batch);
    }
}

/// Priority mode (SPEC 8.1): the allocation runs over the whole active book and the requested
/// orders are reported. A request for a list of orders (the server's pages) keeps the
/// allocation in the store's memo under the fingerprint of the data read (see
/// [`crate::cache`]), and takes it from there while the data is the same (not when the
/// observer needs the snapshot: a recorded run keeps its inputs). A run over the book (whole or
/// filtered) that finds nothing kept streams the allocation instead, keeping nothing.
async fn priority(
    store: &dyn Store,
    selection: &Selection,
    params: Params,
    batch_size: usize,
    observer: &mut (dyn Observer + Send),
) -> Result<(Vec<String>, Work, Option<Arc<Analyzer>>), AnalysisError> {
    let key = cache::key(store, &params).await;
    let kept = match &key {
        Some(key) if !observer.needs_snapshot() => cache::get(store, key),
        _ => None,
    };
    let book = match kept {
        Some(book) => {
            tracing::debug!("alocação por prioridade reaproveitada (dados inalterados)");
            cache::count(store, true, true);
            book
        }
        None => {
            let loaded = store
                .load(&Selection::Book(OrderFilter::default()), params.today)
                .await?;
            observer.snapshot(&loaded.snapshot, params.today);
            if let Selection::Book(filter) = selection {
                cache::count(store, false, false);
                let report = if filter.is_empty() {
                    loaded.orders
                } else {
                    store.order_numbers(filter).await?
                };
                let snapshot = loaded.snapshot;
                let analyzer = Arc::new(blocking(move || Analyzer::new(snapshot, params)).await?);
                let work = Work::allocated(Arc::clone(&analyzer), report.clone(), true, batch_size);
                return Ok((report, work, Some(analyzer)));
            }
            allocate_and_keep(store, key, params, loaded).await?
        }
    };
    let orders = match selection {
        Selection::Orders(list) => dedup(list),
        Selection::Book(filter) if filter.is_empty() => book.orders.clone(),
        Selection::Book(filter) => store.order_numbers(filter).await?,
    };
    let outcomes = book.outcomes_of(&orders);
    let work = Work::Listed(map_work(&orders, outcomes, batch_size).into_iter());
    Ok((orders, work, None))
}

/// The whole book's priority allocation, taken from the memo when the data read is the same
/// under other keys, else computed; kept in the memo either way.
async fn allocate_and_keep(
    store: &dyn Store,
    key: Option<String>,
    params: Params,
    loaded: ruptura_store::Loaded,
) -> Result<Arc<PriorityBook>, AnalysisError> {
    let params_key = cache::params_key(&params);
    let same = store
        .memo()
        .and_then(|_| cache::same_data(store, &params_key, &loaded.snapshot, &loaded.orders));
    cache::count(store, same.is_some(), false);
    let book = match same {
        Some(book) => book,
        None => {
            let kept = store.memo().map(|_| loaded.snapshot.clone());
            let snapshot = loaded.snapshot;
            let outcomes = blocking(move || {
                let analyzer = Analyzer::new(snapshot, params);
                let outcomes = analyzer.allocate_all();
                std::thread::spawn(move || drop(analyzer));
                outcomes
            })
            .await?;
            Arc::new(PriorityBook {
                params: params_key.clone(),
                snapshot: kept.unwrap_or_default(),
                orders: loaded.orders,
                outcomes,
            })
        }
    };
    if store.memo().is_some() {
        let key = key.unwrap_or_else(|| format!("{params_key}|-"));
        cache::put(store, key, Arc::clone(&book));
    }
    Ok(book)
}

/// Batches of outcomes already decided, `batch_size` orders each.
fn map_work(
    orders: &[String],
    outcomes: Vec<(String, OrderOutcome)>,
    batch_size: usize,
) -> Vec<BatchWork> {
    let mut outcomes = outcomes.into_iter();
    orders
        .chunks(batch_size)
        .map(|batch| BatchWork::Map(outcomes.by_ref().take(batch.len()).collect()))
        .collect()
}

/// The work of one batch task.
enum BatchWork {
    /// Analyse these orders on their own.
    Analyze(Arc<Analyzer>, Vec<String>),
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
