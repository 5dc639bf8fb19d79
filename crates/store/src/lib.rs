//! Data access for Ruptura: SQLite (the embedded default) and PostgreSQL behind one small trait.
//!
//! The store loads what one analysis needs in a constant number of set-based queries from one
//! read transaction ([`Store::load`]), and writes imported data in one transaction
//! ([`Store::import`]). It knows the tables and their types; it knows nothing about projections,
//! criticality or the wire format, but for one row: the order list's [`OrderSummary`] goes to
//! the wire as it is read.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod fingerprint;
pub mod postgres;
mod runs;
mod shared;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_engine::Snapshot;

pub use error::StoreError;
pub use fingerprint::{Memo, MemoStats, MemoValue, MEMO_ENTRIES};
pub use runs::{connect_runs, connect_runs_read_only, NewRun, RunFacts, RunInfo, RunStore};
pub use url::{redact, DbUrl};

/// Which orders an analysis reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These orders (duplicates are read once).
    Orders(Vec<String>),
    /// Every order of the book that matches the filter (an empty filter: the whole book).
    Book(OrderFilter),
}

/// Filters of the order book (`filtros` in the jobs API). Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub vendedor: Option<String>,
    pub equipe_vendas: Option<String>,
    /// UF (`cod_uf`, or `estado` in the old system's layout).
    pub estado: Option<String>,
    /// Free text: matched against the order number, client, CNPJ/CPF, city and product codes
    /// and names, case-insensitively.
    pub busca: Option<String>,
}

impl OrderFilter {
    pub fn is_empty(&self) -> bool {
        [
            &self.vendedor,
            &self.equipe_vendas,
            &self.estado,
            &self.busca,
        ]
        .iter()
        .all(|f| f.as_deref().is_none_or(|s| s.trim().is_empty()))
    }

    /// The filter with blank fields dropped and the rest trimmed.
    pub fn normalized(&self) -> Self {
        let clean = |f: &Option<String>| {
            f.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Self {
            vendedor: clean(&self.vendedor),
            equipe_vendas: clean(&self.equipe_vendas),
            estado: clean(&self.estado),
            busca: clean(&self.busca),
        }
    }
}

/// What [`Store::load`] returns: the snapshot and the orders it was loaded for.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub snapshot: Snapshot,
    /// For [`Selection::Orders`], the orders asked (first occurrence order, no duplicates); for
    /// [`Selection::Book`], the matching orders of the book, sorted.
    pub orders: Vec<String>,
}

/// How an import treats the tables it has files for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Replace their contents (the default).
    #[default]
    Replace,
    /// Add to them.
    Append,
}

/// Rows written per table by an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub tables: Vec<(&'static str, usize)>,
}

impl ImportReport {
    /// Counts `rows` more rows written to `table`.
    pub fn add(&mut self, table: &'static str, rows: usize) {
        match self.tables.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.tables.push((table, rows)),
        }
    }
}

/// What an import carries from one piece to the next: whether it replaces, the tables it has
/// emptied, and the rows it wrote.
#[derive(Debug)]
pub(crate) struct ImportProgress {
    mode: ImportMode,
    cleared: Vec<&'static str>,
    pub(crate) report: ImportReport,
}

impl ImportProgress {
    pub(crate) fn new(mode: ImportMode) -> Self {
        ImportProgress {
            mode,
            cleared: Vec::new(),
            report: ImportReport::default(),
        }
    }

    /// Whether `table` is to be emptied before its rows are written: when replacing, the first
    /// time the import meets it (it then counts as emptied).
    pub(crate) fn clears(&mut self, table: &'static str) -> bool {
        let first = self.mode == ImportMode::Replace && !self.cleared.contains(&table);
        if first {
            self.cleared.push(table);
        }
        first
    }
}

/// What a streamed import ([`Store::import_pieces`]) receives.
#[derive(Debug)]
pub enum ImportPiece {
    /// More rows: the tables present in it get these rows (a table present for the first time
    /// is cleared first when replacing, even when it comes with no rows).
    Rows(Dataset),
    /// Every piece was sent and all was well: commit.
    Commit,
}

/// What [`Store::import_pieces`] answers when its pieces stop without [`ImportPiece::Commit`].
pub const IMPORT_ABANDONED: &str = "importação interrompida; nada foi gravado";

/// How the order list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    #[default]
    NumPedido,
    Cliente,
    Cidade,
    Vendedor,
    Expedicao,
    DataPedido,
    Valor,
    Linhas,
}

impl OrderSort {
    /// Every sort by its wire name.
    pub const NAMES: [(&'static str, OrderSort); 8] = [
        ("num_pedido", OrderSort::NumPedido),
        ("cliente", OrderSort::Cliente),
        ("cidade", OrderSort::Cidade),
        ("vendedor", OrderSort::Vendedor),
        ("expedicao", OrderSort::Expedicao),
        ("data_pedido", OrderSort::DataPedido),
        ("valor", OrderSort::Valor),
        ("linhas", OrderSort::Linhas),
    ];

    /// Parses the wire name (one of [`OrderSort::NAMES`], or `pedido`).
    pub fn parse(s: &str) -> Option<Self> {
        if s == "pedido" {
            return Some(OrderSort::NumPedido);
        }
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }
}

/// A page of the order book.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    pub filter: OrderFilter,
    pub sort: OrderSort,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

impl OrderQuery {
    /// Every order that matches `filter`, by order number, in one page.
    pub fn all(filter: OrderFilter) -> Self {
        Self {
            filter,
            sort: OrderSort::NumPedido,
            descending: false,
            offset: 0,
            limit: usize::MAX,
        }
    }
}

/// One order of the book, as the page lists it. It is also the API's `PedidoCarteira` as it
/// stands: the order list's rows go to the wire as they are read, money rounded to cents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PedidoCarteira)]
pub struct OrderSummary {
    pub num_pedido: String,
    pub raz_social_red: Option<String>,
    pub cnpj_cpf: Option<String>,
    pub nome_cidade: Option<String>,
    pub cod_uf: Option<String>,
    pub vendedor: Option<String>,
    pub equipe_vendas: Option<String>,
    pub data_pedido: Option<NaiveDate>,
    /// Earliest shipping date of its lines.
    pub expedicao: Option<NaiveDate>,
    pub agendamento: Option<NaiveDate>,
    /// Sum of open quantity x price over its open lines.
    #[serde(serialize_with = "money")]
    #[schema(value_type = f64)]
    pub valor_total: rust_decimal::Decimal,
    /// Open lines.
    pub linhas: usize,
}

/// Money on the wire: rounded half away from zero to cents, as a JSON number.
fn money<S: serde::Serializer>(v: &rust_decimal::Decimal, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    s.serialize_f64(
        ruptura_engine::round_half_away(*v, 2)
            .to_f64()
            .unwrap_or(0.0),
    )
}

/// A page of orders and how many match in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderPage {
    pub total: usize,
    pub orders: Vec<OrderSummary>,
}

/// Distinct values for the page's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub vendedores: Vec<String>,
    pub equipes: Vec<String>,
    pub estados: Vec<String>,
}

/// What the old system's page asks about an order after it creates a shipment for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderShipment {
    /// Earliest shipping date of its lines in the order book.
    pub expedicao: Option<NaiveDate>,
    /// Whether a separacao row of the order is still open (`sincronizado_nf` false or null).
    pub tem_separacao: bool,
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The data access of Ruptura. Methods are coarse: one call, one transaction.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    fn backend(&self) -> Backend;

    /// Creates or updates Ruptura's tables. Refuses a database whose tables another system
    /// created (the old system's PostgreSQL is read as it is, never migrated).
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Checks, read-only, that every table and column the analysis reads exists; the error names
    /// each one missing.
    async fn check_schema(&self) -> Result<(), StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Loads everything the analysis of `selection` needs, as seen on `today`, from one
    /// consistent read: lines, links, stock sums, outflows and inflows per code and day, for
    /// every code in the product groups involved. A constant number of queries whatever the
    /// number of orders.
    async fn load(&self, selection: &Selection, today: NaiveDate) -> Result<Loaded, StoreError>;

    /// A value that changes whenever anything a [`Store::load`] reads may have changed, read
    /// without reading the tables (see the `fingerprint` module for how each backend makes it and
    /// why it cannot miss a change). `None`: the store cannot tell, and callers keep nothing.
    async fn fingerprint(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    /// This store as the run log of its own database, sharing its connections, when it can
    /// write runs there (PostgreSQL); `None`: open the run log apart ([`connect_runs`]; a SQLite
    /// store opened to analyse reads only).
    fn as_run_store(&self) -> Option<Arc<dyn RunStore>> {
        None
    }

    /// Where callers keep values computed from this store's data, under keys that hold its
    /// [`Store::fingerprint`]. `None`: nothing is kept.
    fn memo(&self) -> Option<&Memo> {
        None
    }

    /// The orders of the book that match `filter` (those with an open active line), sorted.
    async fn order_numbers(&self, filter: &OrderFilter) -> Result<Vec<String>, StoreError>;

    /// A page of the open orders of the book (orders with an open active line).
    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError>;

    /// Sellers, teams and UFs of the open orders, sorted.
    async fn facets(&self) -> Result<Facets, StoreError>;

    /// The shipment state of an order of the book (any of its lines, open or not); `None` when
    /// the book has no line of that order.
    async fn order_shipment(&self, num_pedido: &str) -> Result<Option<OrderShipment>, StoreError>;

    /// Writes the tables present in `data` in one transaction: all or nothing.
    async fn import(&self, data: &Dataset, mode: ImportMode) -> Result<ImportReport, StoreError>;

    /// Writes an import that arrives in pieces, as the files are read, in one transaction: all
    /// or nothing. Commits when [`ImportPiece::Commit`] comes; when `pieces` closes before it
    /// (a bad row found later in the files), nothing is written and the answer is
    /// `Rejected(IMPORT_ABANDONED)`. Memory holds a piece or two, whatever the import's size.
    ///
    /// Both backends write each piece as it comes; this default (for stores that wrap another)
    /// gathers the pieces and calls [`Store::import`].
    async fn import_pieces(
        &self,
        mode: ImportMode,
        mut pieces: tokio::sync::mpsc::Receiver<ImportPiece>,
    ) -> Result<ImportReport, StoreError> {
        let mut all = Dataset::default();
        loop {
            match pieces.recv().await {
                Some(ImportPiece::Rows(piece)) => all.append(piece),
                Some(ImportPiece::Commit) => return self.import(&all, mode).await,
                None => return Err(StoreError::Rejected(IMPORT_ABANDONED.to_string())),
            }
        }
    }
}

/// Opens the database named by `url` (see [`DbUrl`]). SQLite files are created when missing.
/// Nothing is migrated here.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open(&path).await?)),
        DbUrl::SqliteMemory => Ok(Arc::new(sqlite::SqliteStore::open_memory().await?)),
        DbUrl::Postgres(url) => Ok(Arc::new(postgres::PgStore::connect(&url).await?)),
    }
}

/// Opens the database named by `url` for reading only: a SQLite file must exist and is opened
/// read-only ([`sqlite::SqliteStore::open_read_only`]), so it is never written and works when this
/// process may not write it. For the commands that only read (analyze, produtos, serve, worker).
pub async fn connect_read_only(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => Ok(Arc::new(sqlite::SqliteStore::open_read_only(&path).await?)),
        DbUrl::SqliteMemory => Ok(Arc::new(sqlite::SqliteStore::open_memory().await?)),
        DbUrl::Postgres(url) => Ok(Arc::new(postgres::PgStore::connect(&url).await?)),
    }
}

/// The columns the analysis and the page read, per table. `a|b` accepts either name (the old
/// system's layout has `municipio` and `estado` beside `nome_cidade` and `cod_uf`).
pub const READ_COLUMNS: [(&str, &[&str]); 5] = [
    (
        "carteira_principal",
        &[
            "id",
            "num_pedido",
            "cod_produto",
            "nome_produto",
            "qtd_saldo_produto_pedido",
            "preco_produto_pedido",
            "ativo",
            "raz_social_red",
            "cnpj_cpf",
            "nome_cidade|municipio",
            "cod_uf|estado",
            "vendedor",
            "equipe_vendas",
            "data_pedido",
            "expedicao",
            "agendamento",
        ],
    ),
    (
        "movimentacao_estoque",
        &["cod_produto", "qtd_movimentacao", "ativo"],
    ),
    (
        "separacao",
        &["cod_produto", "qtd_saldo", "expedicao", "sincronizado_nf"],
    ),
    (
        "programacao_producao",
        &["cod_produto", "data_programacao", "qtd_programada"],
    ),
    (
        "unificacao_codigos",
        &["codigo_origem", "codigo_destino", "ativo"],
    ),
];

/// Compares the columns found per table with [`READ_COLUMNS`] and names what is missing.
pub(crate) fn missing_columns(found: &dyn Fn(&str) -> Option<Vec<String>>) -> Vec<String> {
    let mut missing = Vec::new();
    for (table, columns) in READ_COLUMNS {
        let Some(have) = found(table) else {
            missing.push(format!("tabela {table}"));
            continue;
        };
        for col in columns {
            if !col
                .split('|')
                .any(|c| have.iter().any(|h| h.eq_ignore_ascii_case(c)))
            {
                missing.push(format!(
                    "coluna {table}.{}",
                    col.replace('|', " (ou ") + if col.contains('|') { ")" } else { "" }
                ));
            }
        }
    }
    missing
}
