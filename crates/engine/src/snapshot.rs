//! What one analysis reads: the order lines of the orders analysed and, for every product code
//! involved, the current stock, the committed outflows, the scheduled inflows and the code links.
//!
//! The store builds a snapshot with a constant number of set-based queries from one read
//! transaction. It already applies the row flags (`ativo`, `sincronizado_nf`) and aggregates
//! per code and day; the engine applies the rules that depend on "today" and the quantity floor.
//!
//! Order numbers, product codes and product names repeat: an order has several lines, a product
//! appears in the lines of many orders and in the stock and flows. They are shared strings
//! (`Arc<str>`), one allocation per distinct value when the loader interns them (see
//! [`Interner`]); the results of the analysis share them too.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// An open order line, as the analysis needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: i64,
    pub num_pedido: Arc<str>,
    pub cod_produto: Arc<str>,
    pub nome_produto: Arc<str>,
    /// Open quantity (`qtd_saldo_produto_pedido`).
    pub qtd: Decimal,
    /// Unit price; `None` counts as 0.
    pub preco: Option<Decimal>,
    /// Planned shipping date of the line (ranking in sequential mode).
    pub expedicao: Option<NaiveDate>,
    pub data_pedido: Option<NaiveDate>,
}

/// A quantity of one code on one day (`None`: no date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedQty {
    pub cod_produto: Arc<str>,
    pub date: Option<NaiveDate>,
    pub qty: Decimal,
}

impl DatedQty {
    pub fn new(cod_produto: impl Into<Arc<str>>, date: Option<NaiveDate>, qty: Decimal) -> Self {
        Self {
            cod_produto: cod_produto.into(),
            date,
            qty,
        }
    }
}

/// An active link between two codes of the same product.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodeLink {
    pub origem: Arc<str>,
    pub destino: Arc<str>,
}

impl CodeLink {
    pub fn new(origem: impl Into<Arc<str>>, destino: impl Into<Arc<str>>) -> Self {
        Self {
            origem: origem.into(),
            destino: destino.into(),
        }
    }
}

/// Everything one analysis reads, from one consistent read of the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Active lines of the orders analysed (any order; the engine sorts by id).
    pub lines: Vec<OrderLine>,
    /// Current stock per code: the sum of its active movements. Codes may repeat (summed).
    pub stock: Vec<(Arc<str>, Decimal)>,
    /// Committed outflows not yet invoiced, per code and expedicao day (several rows per code and
    /// day are summed). Dated before today or undated: they count on today.
    pub outflows: Vec<DatedQty>,
    /// Scheduled production per code and day. Rows dated before today are ignored.
    pub inflows: Vec<DatedQty>,
    /// Active code links.
    pub links: Vec<CodeLink>,
}

/// Lines with an open quantity below this are already invoiced and are not analysed (SPEC 2.1).
pub fn min_open_qty() -> Decimal {
    Decimal::new(1, 3)
}

/// Hands out one shared string per distinct value: a loader interns the order numbers, codes
/// and names it reads, so that a value repeated over many rows is allocated once. Drop it when
/// the snapshot is built (it holds one more reference to every value).
#[derive(Debug, Default)]
pub struct Interner {
    values: foldhash::HashSet<Arc<str>>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared string equal to `value`, allocated on its first occurrence.
    pub fn intern(&mut self, value: &str) -> Arc<str> {
        if let Some(shared) = self.values.get(value) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(value);
        self.values.insert(Arc::clone(&shared));
        shared
    }

    /// How many distinct values were interned.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_allocation() {
        let mut interner = Interner::new();
        let a = interner.intern("P1");
        let b = interner.intern(&String::from("P1"));
        let c = interner.intern("A");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*c, "A");
        assert_eq!(interner.len(), 2);
    }
}
