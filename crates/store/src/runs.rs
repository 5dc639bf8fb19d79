//! Recorded runs ("execucoes", SPEC 8.5): one row per whole-book analysis, holding a compressed
//! document that the application layer writes and reads. The store only keeps the rows: one
//! transaction writes a run and drops the oldest beyond the retention, so a failure never leaves
//! half a run.
//!
//! Runs live in Ruptura's own schema. When the analysed database is the old system's (read, never
//! written), the runs go to another database: [`connect_runs`] opens whichever URL is given.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, QueryBuilder, Row};

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DbUrl, StoreError};

/// What a recorded run is, without its document: when, of which day and how it ran, and what
/// it found.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunFacts {
    pub criada_em: DateTime<Utc>,
    pub data_base: NaiveDate,
    pub modo: String,
    /// The parameters other than the date and the mode, as canonical JSON: two runs are
    /// comparable by default when these and the mode are equal.
    pub parametros: String,
    /// What recorded it: `analyze`, `job`, `agendada`.
    pub origem: String,
    pub total_pedidos: i64,
    pub pedidos_com_ruptura: i64,
    pub duracao_ms: i64,
}

/// A run to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub facts: RunFacts,
    /// The compressed document of the run (outcomes and inputs).
    pub dados: Vec<u8>,
}

/// A recorded run, without its document.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunInfo {
    pub id: i64,
    #[sqlx(flatten)]
    pub facts: RunFacts,
    /// Size of the stored document.
    pub bytes: i64,
}

/// Where runs are kept.
#[async_trait]
pub trait RunStore: Send + Sync + std::fmt::Debug {
    /// Creates the runs table when missing (the whole of Ruptura's schema, in fact).
    async fn migrate_runs(&self) -> Result<(), StoreError>;

    /// Writes `run` and keeps only the `keep` most recent runs, in one transaction. Returns the
    /// new run's id.
    async fn save_run(&self, run: NewRun, keep: usize) -> Result<i64, StoreError>;

    /// Every run kept, newest first.
    async fn list_runs(&self) -> Result<Vec<RunInfo>, StoreError>;

    /// One run and its document.
    async fn run_data(&self, id: i64) -> Result<Option<(RunInfo, Vec<u8>)>, StoreError>;
}

/// Opens the database where runs are kept (see [`DbUrl`]); nothing is migrated here.
pub async fn connect_runs(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(&path).await?)),
        DbUrl::SqliteMemory => Ok(Arc::new(SqliteStore::open_memory().await?)),
        DbUrl::Postgres(url) => Ok(Arc::new(PgStore::connect(&url).await?)),
    }
}

/// Opens the database where runs are kept for reading only (`execucoes`, `mudancas`): a SQLite
/// file is opened read-only, as [`crate::connect_read_only`] does.
pub async fn connect_runs_read_only(url: &str) -> Result<Arc<dyn RunStore>, StoreError> {
    match DbUrl::parse(url)? {
        DbUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open_read_only(&path).await?)),
        DbUrl::SqliteMemory => Ok(Arc::new(SqliteStore::open_memory().await?)),
        DbUrl::Postgres(url) => Ok(Arc::new(PgStore::connect(&url).await?)),
    }
}

/// The columns of [`RunFacts`], in its order.
const FACT_COLUMNS: &str = "criada_em, data_base, modo, parametros, origem, total_pedidos, \
     pedidos_com_ruptura, duracao_ms";

fn keep_limit(keep: usize) -> i64 {
    i64::try_from(keep.max(1)).unwrap_or(i64::MAX)
}

#[async_trait]
impl RunStore for SqliteStore {
    async fn migrate_runs(&self) -> Result<(), StoreError> {
        crate::Store::migrate(self).await
    }

    async fn save_run(&self, run: NewRun, keep: usize) -> Result<i64, StoreError> {
        self.run(move |c| {
            // The document goes to the file through a small page cache, not a copy in the
            // cache (about 10 MB at 100,000 orders).
            let id = crate::sqlite::with_scan_cache(c, |c| insert_run(c, &run, keep))?;
            settle_wal(c);
            Ok(id)
        })
        .await
    }

    async fn list_runs(&self) -> Result<Vec<RunInfo>, StoreError> {
        self.run(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT id, {FACT_COLUMNS}, length(dados) FROM execucoes ORDER BY id DESC"
            ))?;
            let rows = stmt.query_map([], sqlite_info)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn run_data(&self, id: i64) -> Result<Option<(RunInfo, Vec<u8>)>, StoreError> {
        self.run(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT id, {FACT_COLUMNS}, length(dados), dados FROM execucoes WHERE id = ?1"
            ))?;
            let mut rows = stmt.query([id])?;
            match rows.next()? {
                Some(row) => Ok(Some((sqlite_info(row)?, row.get(10)?))),
                None => Ok(None),
            }
        })
        .await
    }
}

/// Moves a run just written from the write-ahead log into the database file and empties the
/// log, when no reader is in the way (waiting at most a moment; otherwise SQLite's own
/// checkpoint does it later). A run is about a megabyte of log; left there by a process that
/// ends (as `ruptura analyze` does) the log grows run after run, and the next process to open
/// the file reads all of it back and copies it again: tens of milliseconds a run, growing.
/// Inserts `run` in one transaction, its document written in place (incremental blob I/O: no
/// copy of it is bound), and forgets the runs past the newest `keep`.
fn insert_run(c: &mut rusqlite::Connection, run: &NewRun, keep: usize) -> Result<i64, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let f = &run.facts;
    tx.execute(
        &format!(
            "INSERT INTO execucoes ({FACT_COLUMNS}, dados) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, zeroblob(?9))"
        ),
        rusqlite::params![
            f.criada_em
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            f.data_base.format("%Y-%m-%d").to_string(),
            f.modo,
            f.parametros,
            f.origem,
            f.total_pedidos,
            f.pedidos_com_ruptura,
            f.duracao_ms,
            run.dados.len() as i64,
        ],
    )?;
    let id = tx.last_insert_rowid();
    let mut blob = tx.blob_open(
        rusqlite::DatabaseName::Main,
        "execucoes",
        "dados",
        id,
        false,
    )?;
    blob.write_all_at(&run.dados, 0)?;
    blob.close()?;
    tx.execute(
        "DELETE FROM execucoes WHERE id NOT IN \
         (SELECT id FROM execucoes ORDER BY id DESC LIMIT ?1)",
        [keep_limit(keep)],
    )?;
    tx.commit()?;
    Ok(id)
}

fn settle_wal(c: &rusqlite::Connection) {
    let _ = c.busy_timeout(std::time::Duration::from_millis(50));
    if let Err(e) = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::debug!(error = %e, "checkpoint após registrar a execução adiado");
    }
    let _ = c.busy_timeout(std::time::Duration::from_secs(30));
}

fn sqlite_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunInfo> {
    let text = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    };
    let criada_em = DateTime::parse_from_rfc3339(&text(1)?)
        .map_err(|e| bad(1, e.to_string()))?
        .with_timezone(&Utc);
    let data_base =
        NaiveDate::parse_from_str(&text(2)?, "%Y-%m-%d").map_err(|e| bad(2, e.to_string()))?;
    let facts = RunFacts {
        criada_em,
        data_base,
        modo: text(3)?,
        parametros: text(4)?,
        origem: text(5)?,
        total_pedidos: r.get(6)?,
        pedidos_com_ruptura: r.get(7)?,
        duracao_ms: r.get(8)?,
    };
    Ok(RunInfo {
        id: r.get(0)?,
        facts,
        bytes: r.get(9)?,
    })
}

#[async_trait]
impl RunStore for PgStore {
    async fn migrate_runs(&self) -> Result<(), StoreError> {
        crate::Store::migrate(self).await
    }

    async fn save_run(&self, run: NewRun, keep: usize) -> Result<i64, StoreError> {
        let f = &run.facts;
        let mut insert = QueryBuilder::new(format!(
            "INSERT INTO execucoes ({FACT_COLUMNS}, dados) VALUES ("
        ));
        let mut values = insert.separated(", ");
        values.push_bind(f.criada_em).push_bind(f.data_base);
        for text in [&f.modo, &f.parametros, &f.origem] {
            values.push_bind(text);
        }
        for count in [f.total_pedidos, f.pedidos_com_ruptura, f.duracao_ms] {
            values.push_bind(count);
        }
        values.push_bind(&run.dados);
        insert.push(") RETURNING id");
        let mut tx = self.pool().begin().await?;
        // Still all or nothing; only a crash in the next moment could lose the run just written
        // (never half of it), and the commit does not wait for the log to reach the disk.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        let id: i64 = insert.build_query_scalar().fetch_one(&mut *tx).await?;
        sqlx::query(
            "DELETE FROM execucoes WHERE id NOT IN \
             (SELECT id FROM execucoes ORDER BY id DESC LIMIT $1)",
        )
        .bind(keep_limit(keep))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn list_runs(&self) -> Result<Vec<RunInfo>, StoreError> {
        let runs = sqlx::query_as(&format!(
            "SELECT id, {FACT_COLUMNS}, octet_length(dados)::BIGINT AS bytes FROM execucoes \
             ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(runs)
    }

    async fn run_data(&self, id: i64) -> Result<Option<(RunInfo, Vec<u8>)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT id, {FACT_COLUMNS}, octet_length(dados)::BIGINT AS bytes, dados \
             FROM execucoes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(Some((RunInfo::from_row(&row)?, row.try_get("dados")?))),
            None => Ok(None),
        }
    }
}
