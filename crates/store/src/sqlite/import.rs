//! The import into SQLite: one immediate transaction, each table's rows inserted with one
//! prepared statement, quantities as integer thousandths and prices as integer cents.

use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow,
};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::{ImportMode, ImportPiece, ImportReport, StoreError, IMPORT_ABANDONED};

fn to_scaled(d: Decimal, places: u32, what: &str) -> Result<i64, StoreError> {
    let scaled = ruptura_engine::round_half_away(d, places) * Decimal::from(10i64.pow(places));
    scaled
        .to_i64()
        .ok_or_else(|| StoreError::Rejected(format!("{what}: valor fora do intervalo ({d})")))
}

/// Inserts every row with one prepared statement; a repeated id rejects the whole import.
fn insert_all<T>(
    tx: &Transaction<'_>,
    table: &str,
    sql: &str,
    rows: &[T],
    mut insert: impl FnMut(&mut rusqlite::CachedStatement<'_>, &T) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    for row in rows {
        insert(&mut stmt, row).map_err(|e| match e {
            StoreError::Rejected(m) if m.contains("UNIQUE") => {
                StoreError::Rejected(format!("id repetido em {table}"))
            }
            other => other,
        })?;
    }
    Ok(())
}

pub(super) fn import(
    conn: &mut Connection,
    data: &Dataset,
    mode: ImportMode,
) -> Result<ImportReport, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = ImportReport::default();
    write_rows(&tx, data, mode, &mut Vec::new(), &mut report)?;
    tx.commit()?;
    Ok(report)
}

/// An import in pieces: one transaction, each piece written as it comes.
pub(super) fn import_pieces(
    conn: &mut Connection,
    mode: ImportMode,
    mut pieces: tokio::sync::mpsc::Receiver<ImportPiece>,
) -> Result<ImportReport, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = ImportReport::default();
    let mut cleared = Vec::new();
    loop {
        match pieces.blocking_recv() {
            Some(ImportPiece::Rows(data)) => {
                write_rows(&tx, &data, mode, &mut cleared, &mut report)?;
            }
            Some(ImportPiece::Commit) => {
                tx.commit()?;
                return Ok(report);
            }
            None => return Err(StoreError::Rejected(IMPORT_ABANDONED.to_string())),
        }
    }
}

/// Writes the tables present in `data` inside `tx`; when replacing, a table not yet in
/// `cleared` is emptied first (and added to it).
fn write_rows(
    tx: &Transaction<'_>,
    data: &Dataset,
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    if let Some(rows) = &data.carteira_principal {
        clear(tx, mode, cleared, "carteira_principal")?;
        write_carteira_principal(tx, rows)?;
        report.add("carteira_principal", rows.len());
    }
    if let Some(rows) = &data.movimentacao_estoque {
        clear(tx, mode, cleared, "movimentacao_estoque")?;
        write_movimentacao_estoque(tx, rows)?;
        report.add("movimentacao_estoque", rows.len());
    }
    if let Some(rows) = &data.separacao {
        clear(tx, mode, cleared, "separacao")?;
        write_separacao(tx, rows)?;
        report.add("separacao", rows.len());
    }
    if let Some(rows) = &data.programacao_producao {
        clear(tx, mode, cleared, "programacao_producao")?;
        write_programacao_producao(tx, rows)?;
        report.add("programacao_producao", rows.len());
    }
    if let Some(rows) = &data.unificacao_codigos {
        clear(tx, mode, cleared, "unificacao_codigos")?;
        write_unificacao_codigos(tx, rows)?;
        report.add("unificacao_codigos", rows.len());
    }
    Ok(())
}

/// When replacing, empties `table` the first time this import meets it.
fn clear(
    tx: &Transaction<'_>,
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    table: &'static str,
) -> Result<(), StoreError> {
    if mode == ImportMode::Replace && !cleared.contains(&table) {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
        cleared.push(table);
    }
    Ok(())
}

/// Inserts `rows` into `carteira_principal`.
fn write_carteira_principal(tx: &Transaction<'_>, rows: &[CarteiraRow]) -> Result<(), StoreError> {
    insert_all(
        tx,
        "carteira_principal",
        "INSERT INTO carteira_principal (id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, \
         preco_produto_pedido, ativo, raz_social_red, cnpj_cpf, nome_cidade, cod_uf, vendedor, equipe_vendas, \
         data_pedido, expedicao, agendamento) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
        rows,
        |stmt, r| {
            let qtd = to_scaled(r.qtd_saldo_produto_pedido, 3, "qtd_saldo_produto_pedido")?;
            let preco = r.preco_produto_pedido.map(|p| to_scaled(p, 2, "preco_produto_pedido")).transpose()?;
            stmt.execute(params![
                r.id,
                r.num_pedido,
                r.cod_produto,
                r.nome_produto,
                qtd,
                preco,
                r.ativo,
                r.raz_social_red,
                r.cnpj_cpf,
                r.nome_cidade,
                r.cod_uf,
                r.vendedor,
                r.equipe_vendas,
                r.data_pedido,
                r.expedicao,
                r.agendamento
            ])?;
            Ok(())
        },
    )?;
    Ok(())
}

/// Inserts `rows` into `movimentacao_estoque`.
fn write_movimentacao_estoque(
    tx: &Transaction<'_>,
    rows: &[MovimentacaoRow],
) -> Result<(), StoreError> {
    insert_all(
        tx,
        "movimentacao_estoque",
        "INSERT INTO movimentacao_estoque (id, cod_produto, nome_produto, data_movimentacao, tipo_movimentacao, \
         qtd_movimentacao, ativo) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        rows,
        |stmt, r| {
            let qtd = to_scaled(r.qtd_movimentacao, 3, "qtd_movimentacao")?;
            stmt.execute(params![
                r.id,
                r.cod_produto,
                r.nome_produto,
                r.data_movimentacao,
                r.tipo_movimentacao,
                qtd,
                r.ativo
            ])?;
            Ok(())
        },
    )?;
    Ok(())
}

/// Inserts `rows` into `separacao`.
fn write_separacao(tx: &Transaction<'_>, rows: &[SeparacaoRow]) -> Result<(), StoreError> {
    insert_all(
        tx,
        "separacao",
        "INSERT INTO separacao (id, separacao_lote_id, num_pedido, cod_produto, qtd_saldo, expedicao, \
         sincronizado_nf) VALUES (?1,?2,?3,?4,?5,?6,?7)",
        rows,
        |stmt, r| {
            let qtd = to_scaled(r.qtd_saldo, 3, "qtd_saldo")?;
            stmt.execute(params![
                r.id,
                r.separacao_lote_id,
                r.num_pedido,
                r.cod_produto,
                qtd,
                r.expedicao,
                r.sincronizado_nf
            ])?;
            Ok(())
        },
    )?;
    Ok(())
}

/// Inserts `rows` into `programacao_producao`.
fn write_programacao_producao(
    tx: &Transaction<'_>,
    rows: &[ProgramacaoRow],
) -> Result<(), StoreError> {
    insert_all(
        tx,
        "programacao_producao",
        "INSERT INTO programacao_producao (id, cod_produto, nome_produto, data_programacao, qtd_programada, \
         linha_producao) VALUES (?1,?2,?3,?4,?5,?6)",
        rows,
        |stmt, r| {
            let qtd = to_scaled(r.qtd_programada, 3, "qtd_programada")?;
            stmt.execute(params![r.id, r.cod_produto, r.nome_produto, r.data_programacao, qtd, r.linha_producao])?;
            Ok(())
        },
    )?;
    Ok(())
}

/// Inserts `rows` into `unificacao_codigos`.
fn write_unificacao_codigos(
    tx: &Transaction<'_>,
    rows: &[UnificacaoRow],
) -> Result<(), StoreError> {
    insert_all(
        tx,
        "unificacao_codigos",
        "INSERT INTO unificacao_codigos (id, codigo_origem, codigo_destino, ativo) VALUES (?1,?2,?3,?4)",
        rows,
        |stmt, r| {
            stmt.execute(params![r.id, r.codigo_origem, r.codigo_destino, r.ativo])?;
            Ok(())
        },
    )?;
    Ok(())
}
