//! Running one analysis: one snapshot from the store, then the engine over batches of orders on
//! at most `max_workers` threads, each finished batch handed to the caller as it completes.

use std::sync::Arc;
use std::time::Instant;

use ruptura_engine::{Analyzer, Mode, Params};
use ruptura_store::{Selection, Store, StoreError};
use thiserror::Error;
use tokio::sync::{mpsc, Semaphore};

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
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            batch_size: 20,
            max_workers: 5,
        }
    }
}

/// One finished batch: its index among the run's batches and the results of its orders, in the
/// order of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub index: usize,
    pub results: Vec<Resultado>,
}

/// Receives the progress of a run.
pub trait Observer {
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
    let loaded = store.load(selection, params.today).await?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        lines = loaded.snapshot.lines.len(),
        "snapshot carregado"
    );
    let orders = loaded.orders;
    let batch_size = opts.batch_size.max(1);
    let batches: Vec<Vec<String>> = orders.chunks(batch_size).map(<[String]>::to_vec).collect();
    observer.started(&orders, batches.len());
    let mut stats = Estatisticas::new(orders.len());
    let today = params.today;
    let mode = params.mode;
    let snapshot = loaded.snapshot;
    let analyzer = Arc::new(blocking(move || Analyzer::new(snapshot, params)).await?);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "projeções prontas"
    );

    let mut emit = |batch: Batch, stats: &mut Estatisticas| {
        for r in &batch.results {
            stats.count(r);
        }
        observer.batch(batch);
    };

    match mode {
        Mode::Sequential => {
            let a = Arc::clone(&analyzer);
            let all = blocking(move || {
                a.analyze(&orders)
                    .into_iter()
                    .map(|(num, outcome)| Resultado::from_outcome(&num, &outcome, today))
                    .collect::<Vec<_>>()
            })
            .await?;
            let mut all = all.into_iter();
            for (index, batch) in batches.iter().enumerate() {
                let results: Vec<Resultado> = all.by_ref().take(batch.len()).collect();
                emit(Batch { index, results }, &mut stats);
            }
        }
        Mode::Independent => {
            let permits = Arc::new(Semaphore::new(opts.max_workers.max(1)));
            let (tx, mut rx) = mpsc::unbounded_channel::<Result<Batch, String>>();
            for (index, batch) in batches.into_iter().enumerate() {
                let (a, tx, permits) = (Arc::clone(&analyzer), tx.clone(), Arc::clone(&permits));
                tokio::spawn(async move {
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return;
                    };
                    let done = tokio::task::spawn_blocking(move || {
                        let results = batch
                            .iter()
                            .map(|num| Resultado::from_outcome(num, &a.analyze_order(num), today))
                            .collect();
                        Batch { index, results }
                    })
                    .await
                    .map_err(|e| e.to_string());
                    let _ = tx.send(done);
                });
            }
            drop(tx);
            while let Some(done) = rx.recv().await {
                emit(done.map_err(AnalysisError::Internal)?, &mut stats);
            }
        }
    }
    stats.finish(started.elapsed());
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        orders = stats.processados,
        "análise concluída"
    );
    Ok(stats)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AnalysisError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AnalysisError::Internal(e.to_string()))
}
