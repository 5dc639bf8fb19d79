//! Priority mode's whole-book allocation, kept between requests (SPEC 8.1: a 20-order batch in
//! `prioridade` costs the allocation of the whole book).
//!
//! What is kept: for a store, a reference date and the parameters, the outcome of every order
//! of the active book under the allocation, and the book's order numbers. Under what: the
//! store's [fingerprint](ruptura_store::Store::fingerprint) of the data, read before the book
//! is loaded, with the parameters (the reference date among them). A request reads the
//! fingerprint again (one cheap query, no table read) and uses the allocation only when it is
//! the same: the data has not changed since, so the allocation is what a fresh load would give.
//! At most [`ruptura_store::MEMO_ENTRIES`] are kept, in the store's [`Memo`](ruptura_store::Memo).

use std::collections::HashMap;
use std::sync::Arc;

use ruptura_engine::{OrderOutcome, Params};
use ruptura_store::Store;

/// The allocation of the whole active book in priority order.
#[derive(Debug)]
pub(crate) struct PriorityBook {
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

/// Where a priority allocation for `params` is (or would be) kept: the key, read now.
/// `None` when the store keeps nothing or cannot fingerprint its data (then nothing is kept).
pub(crate) async fn key(store: &dyn Store, params: &Params) -> Option<String> {
    store.memo()?;
    match store.fingerprint().await {
        Ok(Some(fingerprint)) => Some(format!("prioridade|{params:?}|{fingerprint}")),
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

/// Keeps `book` under `key`.
pub(crate) fn put(store: &dyn Store, key: String, book: Arc<PriorityBook>) {
    if let Some(memo) = store.memo() {
        memo.put(key, book);
    }
}
