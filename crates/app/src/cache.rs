//! Priority mode's whole-book allocation, kept between requests (SPEC 8.1: a 20-order batch in
//! `prioridade` costs the allocation of the whole book).
//!
//! What is kept: for a store, a reference date and the parameters, the outcome of every order
//! of the active book under the allocation, and the book's order numbers. Under what: the
//! store's [fingerprint](ruptura_store::Store::fingerprint) of the data, read before the book
//! is loaded, with the parameters (the reference date among them). A request reads the
//! fingerprint again (one cheap query, no table read) and uses the allocation only when it is
//! the same: the data has not changed since, so the allocation is what a fresh load would give.
//! When the fingerprint moved, the book is read again; if it is exactly the data an allocation
//! was computed from (compared whole, not by a hash), that allocation is used and kept under the
//! new fingerprint. The data itself is kept with the allocation for that comparison.
//! At most [`ruptura_store::MEMO_ENTRIES`] are kept, in the store's [`Memo`](ruptura_store::Memo).

use std::collections::HashMap;
use std::sync::Arc;

use ruptura_engine::{OrderOutcome, Params, Snapshot};
use ruptura_store::Store;

/// The allocation of the whole active book in priority order.
#[derive(Debug)]
pub(crate) struct PriorityBook {
    /// The parameters it was computed with (`{:?}`, the reference date among them).
    pub params: String,
    /// The data it was computed from.
    pub snapshot: Snapshot,
    /// The orders of the book, sorted.
    pub orders: Vec<String>,
    /// Every found order's outcome (an order not here is `NotFound`).
    pub outcomes: HashMap<String, OrderOutcome>,
}

impl PriorityBook {
    /// The outcomes of `orders`, in that order.
    pub fn outcomes_of(&self, orders: &[String]) -> Vec<(String, OrderOutcome)> {
        orders
            .iter()
            .map(|n| {
                let outcome = self
                    .outcomes
                    .get(n)
                    .cloned()
                    .unwrap_or(OrderOutcome::NotFound);
                (n.clone(), outcome)
            })
            .collect()
    }
}

/// The parameters' part of a key.
pub(crate) fn params_key(params: &Params) -> String {
    format!("prioridade|{params:?}")
}

/// Where a priority allocation for `params` is (or would be) kept: the key, read now.
/// `None` when the store keeps nothing or cannot fingerprint its data.
pub(crate) async fn key(store: &dyn Store, params: &Params) -> Option<String> {
    store.memo()?;
    match store.fingerprint().await {
        Ok(Some(fingerprint)) => Some(format!("{}|{fingerprint}", params_key(params))),
        Ok(None) => None,
        Err(e) => {
            tracing::debug!(error = %e, "sem impressão digital dos dados: nada é guardado");
            None
        }
    }
}

/// The allocation kept under `key`.
pub(crate) fn get(store: &dyn Store, key: &str) -> Option<Arc<PriorityBook>> {
    store.memo()?.get(key)?.downcast::<PriorityBook>().ok()
}

/// An allocation kept for the same parameters from exactly the same data (the snapshot and the
/// book's orders compare equal): the fingerprint moved (PostgreSQL's moves with any write to
/// the server), the data did not.
pub(crate) fn same_data(
    store: &dyn Store,
    params: &str,
    snapshot: &Snapshot,
    orders: &[String],
) -> Option<Arc<PriorityBook>> {
    store
        .memo()?
        .find(|_, v| {
            v.downcast_ref::<PriorityBook>().is_some_and(|b| {
                b.params == params && b.orders == orders && b.snapshot == *snapshot
            })
        })?
        .downcast::<PriorityBook>()
        .ok()
}

/// Keeps `book` under `key`.
pub(crate) fn put(store: &dyn Store, key: String, book: Arc<PriorityBook>) {
    if let Some(memo) = store.memo() {
        memo.put(key, book);
    }
}

/// Counts one priority request.
pub(crate) fn count(store: &dyn Store, found: bool, unread: bool) {
    if let Some(memo) = store.memo() {
        memo.count(found, unread);
    }
}
