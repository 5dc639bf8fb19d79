//! The import into SQLite: one immediate transaction, each table's rows inserted with one
//! prepared statement, quantities as integer thousandths and prices as integer cents.

use ruptura_engine::records::{Dataset, Kind, Layout, Rows};
use rusqlite::{CachedStatement, Connection, Transaction, TransactionBehavior};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::{ImportMode, ImportPiece, ImportProgress, ImportReport, StoreError, IMPORT_ABANDONED};

fn to_scaled(d: Decimal, places: u32, what: &str) -> Result<i64, StoreError> {
    let scaled = ruptura_engine::round_half_away(d, places) * Decimal::from(10i64.pow(places));
    scaled
        .to_i64()
        .ok_or_else(|| StoreError::Rejected(format!("{what}: valor fora do intervalo ({d})")))
}

pub(super) fn import(
    conn: &mut Connection,
    data: &Dataset,
    mode: ImportMode,
) -> Result<ImportReport, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut progress = ImportProgress::new(mode);
    write_rows(&tx, data, &mut progress)?;
    tx.commit()?;
    Ok(progress.report)
}

/// An import in pieces: one transaction, each piece written as it comes.
pub(super) fn import_pieces(
    conn: &mut Connection,
    mode: ImportMode,
    mut pieces: tokio::sync::mpsc::Receiver<ImportPiece>,
) -> Result<ImportReport, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut progress = ImportProgress::new(mode);
    loop {
        match pieces.blocking_recv() {
            Some(ImportPiece::Rows(data)) => {
                write_rows(&tx, &data, &mut progress)?;
            }
            Some(ImportPiece::Commit) => {
                tx.commit()?;
                return Ok(progress.report);
            }
            None => return Err(StoreError::Rejected(IMPORT_ABANDONED.to_string())),
        }
    }
}

/// Writes the tables present in `data` inside `tx`, each emptied first when `progress` says so.
fn write_rows(
    tx: &Transaction<'_>,
    data: &Dataset,
    progress: &mut ImportProgress,
) -> Result<(), StoreError> {
    for rows in data.tables() {
        let table = rows.layout().name;
        if progress.clears(table) {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        write_table(tx, rows)?;
        progress.report.add(table, rows.len());
    }
    Ok(())
}

/// Inserts every row of `rows` with one prepared statement; a repeated id rejects the whole
/// import.
fn write_table(tx: &Transaction<'_>, rows: &dyn Rows) -> Result<(), StoreError> {
    let layout = rows.layout();
    let mut stmt = tx.prepare_cached(&insert_sql(layout))?;
    for row in 0..rows.len() {
        insert_row(&mut stmt, rows, row).map_err(|e| match e {
            StoreError::Rejected(m) if m.contains("UNIQUE") => {
                StoreError::Rejected(format!("id repetido em {}", layout.name))
            }
            other => other,
        })?;
    }
    Ok(())
}

/// `INSERT INTO t (a, b, ...) VALUES (?1,?2,...)`.
fn insert_sql(layout: &Layout) -> String {
    let names: Vec<&str> = layout.columns.iter().map(|c| c.name).collect();
    let params: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        layout.name,
        names.join(", "),
        params.join(",")
    )
}

/// Binds the cells of row `row` (quantities as thousandths, prices as cents) and runs the
/// insert.
fn insert_row(
    stmt: &mut CachedStatement<'_>,
    rows: &dyn Rows,
    row: usize,
) -> Result<(), StoreError> {
    for (i, column) in rows.layout().columns.iter().enumerate() {
        let value = rows.cell(row, i);
        let scaled = |places| {
            let decimal = value.decimal();
            decimal
                .map(|d| to_scaled(d, places, column.name))
                .transpose()
        };
        let param = i + 1;
        match column.kind {
            Kind::Id => stmt.raw_bind_parameter(param, value.id())?,
            Kind::Text => stmt.raw_bind_parameter(param, value.text())?,
            Kind::Quantity => stmt.raw_bind_parameter(param, scaled(3)?)?,
            Kind::Price => stmt.raw_bind_parameter(param, scaled(2)?)?,
            Kind::Date => stmt.raw_bind_parameter(param, value.date())?,
            Kind::Flag { .. } => stmt.raw_bind_parameter(param, value.flag())?,
        }
    }
    stmt.raw_execute()?;
    Ok(())
}
