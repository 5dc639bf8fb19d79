//! Rows of the five source tables, as files are imported and as the store writes them.
//!
//! These are plain data: no validation beyond their types happens here. The import crate turns
//! CSV/XLSX into them (with row-level diagnostics), the data generator makes them, and the store
//! writes and reads them. The analysis itself works on a [`crate::Snapshot`], which the store
//! derives from these tables with set-based queries. Each table's columns are described once,
//! in [`layout`].

mod layout;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use layout::{
    CellSource, Column, Kind, Layout, Record, Rows, Value, CARTEIRA, MOVIMENTACAO, PROGRAMACAO,
    SEPARACAO, UNIFICACAO,
};

/// One line of the order book (`carteira_principal`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CarteiraRow {
    /// Line id; lines of one order are checked in ascending id. `None`: assigned on insert.
    pub id: Option<i64>,
    pub num_pedido: String,
    pub cod_produto: String,
    pub nome_produto: String,
    /// Open (not yet invoiced) quantity, 3 decimal places.
    pub qtd_saldo_produto_pedido: Decimal,
    /// Unit price, 2 decimal places; `None` counts as 0.
    pub preco_produto_pedido: Option<Decimal>,
    pub ativo: bool,
    pub raz_social_red: Option<String>,
    pub cnpj_cpf: Option<String>,
    pub nome_cidade: Option<String>,
    pub cod_uf: Option<String>,
    pub vendedor: Option<String>,
    pub equipe_vendas: Option<String>,
    pub data_pedido: Option<NaiveDate>,
    pub expedicao: Option<NaiveDate>,
    pub agendamento: Option<NaiveDate>,
}

/// A signed stock movement (`movimentacao_estoque`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MovimentacaoRow {
    pub id: Option<i64>,
    pub cod_produto: String,
    pub nome_produto: Option<String>,
    pub data_movimentacao: Option<NaiveDate>,
    pub tipo_movimentacao: Option<String>,
    /// Signed quantity: entries positive, exits negative.
    pub qtd_movimentacao: Decimal,
    pub ativo: bool,
}

/// A committed (picked) shipment (`separacao`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SeparacaoRow {
    pub id: Option<i64>,
    pub separacao_lote_id: Option<String>,
    pub num_pedido: Option<String>,
    pub cod_produto: String,
    pub qtd_saldo: Decimal,
    pub expedicao: Option<NaiveDate>,
    /// True once the invoice exists: the outflow is then already in the movements.
    pub sincronizado_nf: bool,
}

/// Scheduled production (`programacao_producao`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramacaoRow {
    pub id: Option<i64>,
    pub cod_produto: String,
    pub nome_produto: Option<String>,
    pub data_programacao: NaiveDate,
    pub qtd_programada: Decimal,
    pub linha_producao: Option<String>,
}

/// A link between two codes of the same product (`unificacao_codigos`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnificacaoRow {
    pub id: Option<i64>,
    pub codigo_origem: String,
    pub codigo_destino: String,
    pub ativo: bool,
}

/// The contents of some or all of the five tables. A `None` table is left as it is by an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pub carteira_principal: Option<Vec<CarteiraRow>>,
    pub movimentacao_estoque: Option<Vec<MovimentacaoRow>>,
    pub separacao: Option<Vec<SeparacaoRow>>,
    pub programacao_producao: Option<Vec<ProgramacaoRow>>,
    pub unificacao_codigos: Option<Vec<UnificacaoRow>>,
}

impl Dataset {
    /// Adds the rows of `piece` (a table present in `piece` becomes present here, even with
    /// no rows).
    pub fn append(&mut self, piece: Dataset) {
        fn add<T>(to: &mut Option<Vec<T>>, from: Option<Vec<T>>) {
            if let Some(rows) = from {
                match to {
                    Some(existing) => existing.extend(rows),
                    None => *to = Some(rows),
                }
            }
        }
        add(&mut self.carteira_principal, piece.carteira_principal);
        add(&mut self.movimentacao_estoque, piece.movimentacao_estoque);
        add(&mut self.separacao, piece.separacao);
        add(&mut self.programacao_producao, piece.programacao_producao);
        add(&mut self.unificacao_codigos, piece.unificacao_codigos);
    }

    /// Number of rows over all tables present.
    pub fn row_count(&self) -> usize {
        self.tables().map(Rows::len).sum()
    }

    /// The tables present, in the order of [`TABLES`].
    pub fn tables(&self) -> impl Iterator<Item = &dyn Rows> {
        fn rows<R: Record>(table: &Option<Vec<R>>) -> Option<&dyn Rows> {
            table.as_ref().map(|rows| rows as &dyn Rows)
        }
        [
            rows(&self.carteira_principal),
            rows(&self.movimentacao_estoque),
            rows(&self.separacao),
            rows(&self.programacao_producao),
            rows(&self.unificacao_codigos),
        ]
        .into_iter()
        .flatten()
    }
}

/// The five tables, in the order an import writes them.
pub const LAYOUTS: [&Layout; 5] = [
    &CARTEIRA,
    &MOVIMENTACAO,
    &SEPARACAO,
    &PROGRAMACAO,
    &UNIFICACAO,
];

/// The five table names, in the order an import writes them.
pub const TABLES: [&str; 5] = [
    CARTEIRA.name,
    MOVIMENTACAO.name,
    SEPARACAO.name,
    PROGRAMACAO.name,
    UNIFICACAO.name,
];
