//! The import: each table's rows written in chunks of `INSERT ... SELECT FROM UNNEST(...)` inside
//! the import's transaction, with the id sequences moved past every id.

use ruptura_engine::records::{Dataset, Kind, Layout, Rows};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Transaction};

use crate::{ImportProgress, StoreError};

/// Rows per `INSERT ... SELECT FROM UNNEST(...)` of an import.
const IMPORT_CHUNK: usize = 20_000;

/// Writes the tables present in `data` inside `tx`, each emptied first when `progress` says so.
pub(super) async fn write_rows(
    tx: &mut Transaction<'_, Postgres>,
    data: &Dataset,
    progress: &mut ImportProgress,
) -> Result<(), StoreError> {
    for rows in data.tables() {
        let table = rows.layout().name;
        write_table(tx, rows, progress.clears(table)).await?;
        progress.report.add(table, rows.len());
    }
    Ok(())
}

/// Writes `rows` into their table (emptied first when `clear`), [`IMPORT_CHUNK`] rows per
/// insert.
async fn write_table(
    tx: &mut Transaction<'_, Postgres>,
    rows: &dyn Rows,
    clear: bool,
) -> Result<(), StoreError> {
    let layout = rows.layout();
    let ids = layout
        .id_column()
        .map(|id| (0..rows.len()).map(move |row| rows.cell(row, id).id()));
    let target = Target::prepare(tx, layout.name, clear, ids.into_iter().flatten()).await?;
    let sql = insert_sql(layout);
    for start in (0..rows.len()).step_by(IMPORT_CHUNK) {
        let chunk = start..rows.len().min(start + IMPORT_CHUNK);
        let query = bind_columns(sqlx::query(&sql), rows, chunk).bind(&target.sequence);
        target.insert(tx, query).await?;
    }
    Ok(())
}

/// `INSERT INTO t (a, b, ...) SELECT COALESCE(id, nextval($n+1::regclass)), b, ... FROM
/// UNNEST($1::int8[], $2::text[], ...) AS u(a, b, ...)`: one array per column, the id sequence
/// last.
fn insert_sql(layout: &Layout) -> String {
    let names: Vec<&str> = layout.columns.iter().map(|c| c.name).collect();
    let names = names.join(", ");
    let sequence = layout.columns.len() + 1;
    let selected: Vec<String> = layout
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Id => format!("COALESCE({}, nextval(${sequence}::regclass))", c.name),
            _ => c.name.to_owned(),
        })
        .collect();
    let arrays: Vec<String> = layout
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, array_type(c.kind)))
        .collect();
    format!(
        "INSERT INTO {table} ({names}) SELECT {selected} FROM UNNEST({arrays}) AS u({names})",
        table = layout.name,
        selected = selected.join(", "),
        arrays = arrays.join(", "),
    )
}

/// The PostgreSQL type of a column's values.
fn array_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Id => "int8",
        Kind::Text => "text",
        Kind::Quantity | Kind::Price => "numeric",
        Kind::Date => "date",
        Kind::Flag { .. } => "bool",
    }
}

/// Binds one array per column of `rows`, over the rows of `chunk`.
fn bind_columns<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    rows: &'q dyn Rows,
    chunk: std::ops::Range<usize>,
) -> Query<'q, Postgres, PgArguments> {
    for (i, column) in rows.layout().columns.iter().enumerate() {
        let values = chunk.clone().map(|row| rows.cell(row, i));
        query = match column.kind {
            Kind::Id => query.bind(values.map(|v| v.id()).collect::<Vec<_>>()),
            Kind::Text => query.bind(values.map(|v| v.text()).collect::<Vec<_>>()),
            Kind::Quantity | Kind::Price => {
                query.bind(values.map(|v| v.decimal()).collect::<Vec<_>>())
            }
            Kind::Date => query.bind(values.map(|v| v.date()).collect::<Vec<_>>()),
            Kind::Flag { .. } => query.bind(values.map(|v| v.flag()).collect::<Vec<_>>()),
        };
    }
    query
}

/// A table an import writes to, emptied first when asked, with its id sequence moved past every
/// id already there or about to be written.
pub(super) struct Target {
    table: &'static str,
    /// The id sequence (`regclass` text), for rows without an id.
    sequence: String,
}

impl Target {
    pub(super) async fn prepare(
        tx: &mut Transaction<'_, Postgres>,
        table: &'static str,
        clear: bool,
        ids: impl Iterator<Item = Option<i64>>,
    ) -> Result<Self, StoreError> {
        if clear {
            // DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe, and a load whose snapshot was
            // taken before this import commits must still see the old rows.
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut **tx)
                .await?;
        }
        let sequence: Option<String> =
            sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
                .bind(table)
                .fetch_one(&mut **tx)
                .await?;
        let sequence =
            sequence.ok_or_else(|| StoreError::Schema(vec![format!("sequência de {table}.id")]))?;
        // Rows without an id take nextval: move it above every id already there and every
        // explicit id of this import, so that neither collides and later inserts follow on.
        let top_new = ids.flatten().max().unwrap_or(0);
        sqlx::query(&format!(
            "SELECT setval($1::regclass, GREATEST(top, 1), top >= 1) \
             FROM (SELECT GREATEST(COALESCE(MAX(id), 0), $2::bigint) AS top FROM {table}) AS t"
        ))
        .bind(&sequence)
        .bind(top_new)
        .execute(&mut **tx)
        .await?;
        Ok(Self { table, sequence })
    }

    pub(super) async fn insert<'q>(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<(), StoreError> {
        query.execute(&mut **tx).await.map_err(|e| {
            let table = self.table;
            match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Rejected(format!("id repetido em {table} ({})", db.message()))
                }
                // Class 22 (data exception: a number too large, ...) and 23 (integrity).
                sqlx::Error::Database(db)
                    if db
                        .code()
                        .is_some_and(|c| c.starts_with("22") || c.starts_with("23")) =>
                {
                    StoreError::Rejected(format!("{table}: {}", db.message()))
                }
                _ => StoreError::from(e),
            }
        })?;
        Ok(())
    }
}
