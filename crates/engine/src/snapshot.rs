//! What one analysis reads: the order lines of the orders analysed and, for every product code
//! involved, the current stock, the committed outflows, the scheduled inflows and the code links.
//!
//! The store builds a snapshot with a constant number of set-based queries from one read
//! transaction. It already applies the row flags (`ativo`, `sincronizado_nf`) and aggregates
//! per code and day; the engine applies the rules that depend on "today" and the quantity floor.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// An open order line, as the analysis needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: i64,
    pub num_pedido: String,
    pub cod_produto: String,
    pub nome_produto: String,
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
    pub cod_produto: String,
    pub date: Option<NaiveDate>,
    pub qty: Decimal,
}

impl DatedQty {
    pub fn new(cod_produto: impl Into<String>, date: Option<NaiveDate>, qty: Decimal) -> Self {
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
    pub origem: String,
    pub destino: String,
}

impl CodeLink {
    pub fn new(origem: impl Into<String>, destino: impl Into<String>) -> Self {
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
    pub stock: Vec<(String, Decimal)>,
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
