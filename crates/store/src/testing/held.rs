//! A store in front of the real one whose loads are held: for a while (a slow query on a busy
//! database, requests that overlap) or until the test opens a gate, for the tests of timeouts,
//! shutdown, claims and concurrency limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use tokio::sync::Semaphore;

use crate::{
    Backend, Facets, ImportMode, ImportReport, Loaded, OrderFilter, OrderPage, OrderQuery,
    OrderShipment, Selection, Store, StoreError,
};

/// Forwards every call to `inner`; each load is first held (see [`HeldStore::delayed`] and
/// [`HeldStore::gated`]), and the loads in flight are counted. Like any store that wraps
/// another, it keeps nothing (no fingerprint, no memo), so every analysis loads.
#[derive(Debug)]
pub struct HeldStore {
    inner: Arc<dyn Store>,
    hold: Hold,
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

/// How a load is held.
#[derive(Debug)]
enum Hold {
    /// It waits this long, then loads.
    For(Duration),
    /// It loads holding a permit of the gate: the test opens the gate when it wants.
    Gate(Arc<Semaphore>),
}

impl HeldStore {
    /// Each load first waits `delay`: a slow query on a busy database, or requests that overlap.
    pub fn delayed(inner: Arc<dyn Store>, delay: Duration) -> Self {
        Self::new(inner, Hold::For(delay))
    }

    /// Each load waits for a permit of `gate` and holds it while it loads: a test keeps an
    /// analysis in flight (timeouts, shutdown) until it adds permits.
    pub fn gated(inner: Arc<dyn Store>, gate: Arc<Semaphore>) -> Self {
        Self::new(inner, Hold::Gate(gate))
    }

    fn new(inner: Arc<dyn Store>, hold: Hold) -> Self {
        Self {
            inner,
            hold,
            in_flight: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        }
    }

    /// The most loads that were in flight at once.
    pub fn most_loads_at_once(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Store for HeldStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        self.inner.check_schema().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn load(&self, selection: &Selection, today: NaiveDate) -> Result<Loaded, StoreError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        let loaded = match &self.hold {
            Hold::For(delay) => {
                tokio::time::sleep(*delay).await;
                self.inner.load(selection, today).await
            }
            Hold::Gate(gate) => match gate.acquire().await {
                Ok(_permit) => self.inner.load(selection, today).await,
                Err(e) => Err(StoreError::Unavailable(e.to_string())),
            },
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        loaded
    }

    async fn order_numbers(&self, filter: &OrderFilter) -> Result<Vec<String>, StoreError> {
        self.inner.order_numbers(filter).await
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.inner.list_orders(query).await
    }

    async fn facets(&self) -> Result<Facets, StoreError> {
        self.inner.facets().await
    }

    async fn order_shipment(&self, num_pedido: &str) -> Result<Option<OrderShipment>, StoreError> {
        self.inner.order_shipment(num_pedido).await
    }

    async fn import(&self, data: &Dataset, mode: ImportMode) -> Result<ImportReport, StoreError> {
        self.inner.import(data, mode).await
    }
}
