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
/// and names it reads, so that a value repeated over many rows is allocated once. The last value
/// is checked first (rows often come grouped: the lines of an order, the flows of a code), so a
/// repeat of it costs no hash lookup. Drop it once the snapshot is built (it holds one more
/// reference to every value).
#[derive(Debug, Default)]
pub struct Interner {
    values: foldhash::HashSet<Arc<str>>,
    last: Option<Arc<str>>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared string equal to `value`, allocated on its first occurrence.
    pub fn intern(&mut self, value: &str) -> Arc<str> {
        if let Some(last) = self.last.as_ref().filter(|last| ***last == *value) {
            return Arc::clone(last);
        }
        let shared = match self.values.get(value) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared: Arc<str> = Arc::from(value);
                self.values.insert(Arc::clone(&shared));
                shared
            }
        };
        self.last = Some(Arc::clone(&shared));
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

/// The interners of one load, one per kind of text: each table stays small, and the last-value
/// check of each works on rows grouped by order or by code.
#[derive(Debug, Default)]
pub struct Interners {
    /// Order numbers (`num_pedido`).
    pub orders: Interner,
    /// Product codes: of the lines, the stock, the flows and the links alike.
    pub codes: Interner,
    /// Product names.
    pub names: Interner,
    /// The name last read with each code: a line's code and name then cost one lookup.
    products: foldhash::HashMap<Arc<str>, Arc<str>>,
}

impl Interners {
    /// A line's product code and name, interned.
    pub fn product(&mut self, code: &str, name: &str) -> (Arc<str>, Arc<str>) {
        if let Some((code, known)) = self.products.get_key_value(code) {
            if **known == *name {
                return (Arc::clone(code), Arc::clone(known));
            }
        }
        let (code, name) = (self.codes.intern(code), self.names.intern(name));
        self.products.insert(Arc::clone(&code), Arc::clone(&name));
        (code, name)
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
        // The last value, then an earlier one again: the same shared strings.
        assert!(Arc::ptr_eq(&interner.intern("A"), &c));
        assert!(Arc::ptr_eq(&interner.intern("P1"), &a));
        assert_eq!(interner.len(), 2);
    }

    #[test]
    fn a_product_code_and_name_are_shared_whatever_the_order_read() {
        let mut texts = Interners::default();
        let (a, name) = texts.product("A", "Produto A");
        let (a2, name2) = texts.product("A", "Produto A");
        assert!(Arc::ptr_eq(&a, &a2) && Arc::ptr_eq(&name, &name2));
        // A code read with another name keeps both names; the flows share the lines' codes.
        let (a3, other) = texts.product("A", "Outro nome");
        assert!(Arc::ptr_eq(&a, &a3));
        assert_eq!(&*other, "Outro nome");
        assert!(Arc::ptr_eq(&texts.codes.intern("A"), &a));
        assert!(Arc::ptr_eq(&texts.product("A", "Produto A").1, &name));
    }
}
