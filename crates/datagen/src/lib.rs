//! Seeded generators of realistic order books for Ruptura: the demo database (`ruptura demo`),
//! the scale data set of the benchmarks, and fixtures for tests.
//!
//! [`generate`] turns a [`GenConfig`] into a [`Dataset`] with all five tables; the same seed and
//! configuration always give the same rows (ChaCha8 streams, integer arithmetic for every
//! quantity, no platform maths), so [`write_csv_dir`] writes byte-identical files.
//!
//! Stock is calibrated, not random: each product gets a supply class, and its current stock is
//! solved backwards from the committed outflows, the scheduled production and the demand of the
//! book, so that a known share of the orders comes out short at the default horizon of 7 days.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod catalog;
mod csv_out;
mod generator;

use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_engine::{CodeLink, DatedQty, Interners, OrderLine, Snapshot};

pub use catalog::XSS_PRODUCT_NAME;
pub use csv_out::write_csv_dir;

/// Orders in the demo book when the caller does not say.
pub const DEFAULT_DEMO_ORDERS: usize = 3_000;

/// Sizes of a generated data set. Row counts are targets: `orders`, `movements`, `commitments`,
/// `production` and `links` are met exactly when the book is large enough to hold them; the
/// number of order lines follows from `orders` and `avg_lines_per_order`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    pub seed: u64,
    /// The reference date: order dates, shipments, production and stock calibration are relative
    /// to it, so analysing with `data_base = today` reproduces the calibrated mix.
    pub today: NaiveDate,
    pub orders: usize,
    /// Mean lines per order (each order has 1 to 12 lines); about 5 is typical.
    pub avg_lines_per_order: f64,
    pub products: usize,
    /// Rows of `movimentacao_estoque`.
    pub movements: usize,
    /// Rows of `separacao`.
    pub commitments: usize,
    /// Rows of `programacao_producao`.
    pub production: usize,
    /// Rows of `unificacao_codigos`.
    pub links: usize,
}

impl GenConfig {
    /// The scale data set of the benchmarks: 10,000 orders, about 50,000 lines, 2,000 products,
    /// about 100,000 stock movements, commitments, production and a few hundred code links.
    pub fn scale(seed: u64, today: NaiveDate) -> Self {
        Self {
            seed,
            today,
            orders: 10_000,
            avg_lines_per_order: 5.0,
            products: 2_000,
            movements: 100_000,
            commitments: 20_000,
            production: 10_000,
            links: 300,
        }
    }

    /// A demo-sized book: `orders` orders (a few thousand by default, see
    /// [`DEFAULT_DEMO_ORDERS`]) with proportionate everything, in the ratios of [`Self::scale`].
    pub fn demo(seed: u64, today: NaiveDate, orders: usize) -> Self {
        // One product per five orders keeps about 25 lines per product, enough for each
        // product's demand to spread over several orders; never fewer than 30 products so the
        // special names and every supply class fit in even a tiny book.
        let products = (orders / 5).max(30);
        Self {
            seed,
            today,
            orders,
            avg_lines_per_order: 5.0,
            products,
            movements: orders * 10,
            commitments: orders * 2,
            production: orders,
            links: products * 3 / 20,
        }
    }
}

/// Generates the data set described by `cfg`: all five tables are `Some`, every row has an id,
/// and ids run 1, 2, 3... in each table.
///
/// When the catalogue has at least 20 products, a few product and client names carry HTML
/// special characters, and exactly one product is named [`XSS_PRODUCT_NAME`]; each of them
/// appears in the first orders of the book.
pub fn generate(cfg: &GenConfig) -> Dataset {
    generator::generate(cfg)
}

/// The snapshot of every order of `ds`, as the store would load it (SPEC 2.1: active lines,
/// active movements, commitments not yet invoiced, all production, active links), for benches
/// and tests of the engine that do without a database.
pub fn snapshot(ds: &Dataset) -> Snapshot {
    // Shared strings as the store's loads make them: one per distinct value.
    let mut texts = Interners::default();
    let lines = ds
        .carteira_principal
        .iter()
        .flatten()
        .filter(|r| r.ativo)
        .map(|r| {
            let (cod_produto, nome_produto) = texts.product(&r.cod_produto, &r.nome_produto);
            OrderLine {
                id: r.id.unwrap_or_default(),
                num_pedido: texts.orders.intern(&r.num_pedido),
                cod_produto,
                nome_produto,
                qtd: r.qtd_saldo_produto_pedido,
                preco: r.preco_produto_pedido,
                expedicao: r.expedicao,
                data_pedido: r.data_pedido,
            }
        })
        .collect();
    let stock = ds
        .movimentacao_estoque
        .iter()
        .flatten()
        .filter(|r| r.ativo)
        .map(|r| (texts.codes.intern(&r.cod_produto), r.qtd_movimentacao))
        .collect();
    let outflows = ds
        .separacao
        .iter()
        .flatten()
        .filter(|r| !r.sincronizado_nf)
        .map(|r| DatedQty::new(texts.codes.intern(&r.cod_produto), r.expedicao, r.qtd_saldo))
        .collect();
    let inflows = ds
        .programacao_producao
        .iter()
        .flatten()
        .map(|r| {
            DatedQty::new(
                texts.codes.intern(&r.cod_produto),
                Some(r.data_programacao),
                r.qtd_programada,
            )
        })
        .collect();
    let links = ds
        .unificacao_codigos
        .iter()
        .flatten()
        .filter(|r| r.ativo)
        .map(|r| {
            CodeLink::new(
                texts.codes.intern(&r.codigo_origem),
                texts.codes.intern(&r.codigo_destino),
            )
        })
        .collect();
    Snapshot {
        lines,
        stock,
        outflows,
        inflows,
        links,
    }
}
