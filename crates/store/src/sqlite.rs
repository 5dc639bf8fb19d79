//! The embedded default: one SQLite file in WAL mode, through rusqlite.
//!
//! SQLite has no decimal type: quantities are stored as integer thousandths and prices as
//! integer cents, so `SUM` in SQL stays exact; they become `Decimal` on the way out.
//!
//! rusqlite is synchronous: every call runs on the blocking pool with a connection of its own
//! (at most [`MAX_CONNECTIONS`] at once), so rows are read in process, with no per-row hop
//! between threads. The schema version is SQLite's `user_version`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_engine::{CodeLink, DatedQty, Interner, Interners, OrderLine, Snapshot};
use rusqlite::types::ToSql;
use rusqlite::{Connection, DatabaseName, OpenFlags, TransactionBehavior};
use rust_decimal::Decimal;
use tokio::sync::Semaphore;

mod filter;
mod import;
mod load;
mod orders;

use crate::shared::{codes_to_load, dedup, facets_of, sort_column, sorted_orders};
use crate::{
    missing_columns, Backend, Facets, ImportMode, ImportPiece, ImportReport, Loaded, OrderFilter,
    OrderPage, OrderQuery, OrderShipment, OrderSummary, Selection, Store, StoreError,
};
use filter::Condition;
use import::{import, import_pieces};
use load::{is_scan, load_book_split, load_snapshot};
use orders::{facets, list_orders, order_numbers, order_shipment};

/// Connections open at once (readers run in parallel in WAL mode; writers wait their turn).
pub const MAX_CONNECTIONS: usize = 8;

/// The page cache of a connection, in KiB: large, for imports and repeated reads by index.
const CACHE_KIB: u32 = 65_536;

/// The page cache while a connection reads the whole book or writes a run's document, in KiB:
/// either is done once, by scans or writes larger than any cache, so a large one would only
/// hold memory (64 MB a connection).
const SCAN_CACHE_KIB: u32 = 4_096;

/// Runs `f` with `conn`'s page cache at [`SCAN_CACHE_KIB`], then sets it back to
/// [`CACHE_KIB`] (whatever `f` returned; `f`'s error comes first).
pub(crate) fn with_scan_cache<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch(&format!("PRAGMA cache_size = -{SCAN_CACHE_KIB}"))?;
    let out = f(conn);
    let restored = conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"));
    let out = out?;
    restored?;
    Ok(out)
}

/// Ruptura's schema, one script per version: `user_version` = how many have run.
const MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_covering_indexes.sql"),
    include_str!("../migrations/sqlite/0003_execucoes.sql"),
];

/// Where the connections come from.
#[derive(Debug, Clone)]
enum Target {
    File(PathBuf),
    /// A file opened read-only (`SQLITE_OPEN_READONLY`): nothing is ever written to it. With
    /// `immutable`, SQLite also skips locks and the WAL index (`immutable=1`), for a WAL file in a
    /// folder where this process cannot create the `-shm` file (see [`SqliteStore::open_read_only`]).
    ReadOnly {
        path: PathBuf,
        immutable: bool,
    },
    /// One shared in-memory database (a second connection would see another, empty one).
    Memory,
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    target: Target,
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
    /// The fingerprint's own connection, and what callers keep under it.
    watch: Arc<crate::fingerprint::SqliteWatch>,
    memo: Arc<crate::Memo>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.is_dir() {
                return Err(StoreError::BadUrl(format!(
                    "a pasta {} do banco SQLite não existe",
                    parent.display()
                )));
            }
        }
        let store = Self {
            target: Target::File(path.to_path_buf()),
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            watch: Arc::default(),
            memo: Arc::default(),
        };
        // Open one connection now, so a file that cannot be opened fails at start-up.
        store.run(|_| Ok(())).await.map_err(|e| match e {
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("não foi possível abrir {}: {m}", path.display()))
            }
            other => StoreError::Sqlite(format!(
                "não foi possível abrir {}: {}",
                path.display(),
                inner_message(&other)
            )),
        })?;
        Ok(store)
    }

    /// Opens the existing database file at `path` read-only, for the commands that only read
    /// (analyze, produtos, execucoes, mudancas, serve and worker for the analysis): the file
    /// is never written, and works when this process may not write it.
    ///
    /// SQLite reads a WAL-mode file through its `-shm` index, which it must be able to create
    /// or open: a WAL file alone in a folder this process cannot write cannot be opened
    /// read-only (SQLite's WAL format notes: unless the database is marked immutable). Then,
    /// when no `-wal` or `-journal` file waits beside it (nothing committed outside the main
    /// file), it is opened with `immutable=1`: SQLite reads the file as it is, without locks,
    /// so a change made to it meanwhile by another process is not seen.
    pub async fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let fail = |why: String| {
            StoreError::Sqlite(format!(
                "não foi possível abrir {} para leitura: {why}",
                path.display()
            ))
        };
        if let Err(e) = std::fs::File::open(path) {
            return Err(fail(match e.kind() {
                std::io::ErrorKind::NotFound => "o arquivo não existe".to_string(),
                std::io::ErrorKind::PermissionDenied => {
                    "permissão negada (este processo não pode ler o arquivo)".to_string()
                }
                _ => e.to_string(),
            }));
        }
        let path = path.to_path_buf();
        let probe_path = path.clone();
        let first = tokio::task::spawn_blocking(move || {
            probe(&Target::ReadOnly {
                path: probe_path,
                immutable: false,
            })
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("tarefa do banco interrompida: {e}")))?;
        let immutable = match first {
            Ok(()) => false,
            Err(e) if is_busy(&e) => {
                return Err(StoreError::Unavailable(format!(
                    "banco SQLite ocupado ao abrir {} para leitura: {e}",
                    path.display()
                )))
            }
            Err(e) => {
                if let Some(pending) = pending_journal(&path) {
                    return Err(fail(format!(
                        "{e}; há um arquivo {pending} pendente ao lado do banco e este processo \
                         não pode abri-lo nem criar o índice -shm (pasta sem permissão de \
                         escrita): abra o banco uma vez com permissão de escrita para \
                         consolidá-lo, ou dê permissão de escrita na pasta"
                    )));
                }
                let retry_path = path.clone();
                tokio::task::spawn_blocking(move || {
                    probe(&Target::ReadOnly {
                        path: retry_path,
                        immutable: true,
                    })
                })
                .await
                .map_err(|e| StoreError::Unavailable(format!("tarefa do banco interrompida: {e}")))?
                .map_err(|e2| fail(format!("{e} (e sem travas, immutable=1: {e2})")))?;
                true
            }
        };
        Ok(Self {
            target: Target::ReadOnly { path, immutable },
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            watch: Arc::default(),
            memo: Arc::default(),
        })
    }

    /// Whether connections are opened read-only.
    pub fn is_read_only(&self) -> bool {
        matches!(self.target, Target::ReadOnly { .. })
    }

    /// An in-memory database on a single connection.
    pub async fn open_memory() -> Result<Self, StoreError> {
        let store = Self {
            target: Target::Memory,
            idle: Arc::default(),
            permits: Arc::new(Semaphore::new(1)),
            watch: Arc::default(),
            memo: Arc::default(),
        };
        store.run(|_| Ok(())).await?;
        Ok(store)
    }

    fn connect(target: &Target) -> Result<Connection, StoreError> {
        let conn = match target {
            Target::File(path) => {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE
                        | OpenFlags::SQLITE_OPEN_CREATE
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )?;
                // SQLite falls back to read-only when the OS refuses writing; say so here
                // rather than "attempt to write a readonly database" at the first write.
                if conn.is_readonly(DatabaseName::Main)? {
                    return Err(StoreError::Sqlite(format!(
                        "o arquivo {} é somente leitura para este processo (permissões do \
                         arquivo ou da pasta); os comandos que só leem (analyze, produtos, \
                         execucoes, mudancas, serve, worker) o abrem assim",
                        path.display()
                    )));
                }
                conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
                conn
            }
            Target::ReadOnly { .. } => open_read_only_conn(target)?,
            Target::Memory => {
                let conn = Connection::open_in_memory()?;
                conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
                conn
            }
        };
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY;"
        ))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Runs `f` on a connection of the pool, on the blocking thread pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let idle = Arc::clone(&self.idle);
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => Self::connect(&target)?,
            };
            let out = f(&mut conn);
            // A connection left inside a transaction (a panic or an error mid-way) is dropped.
            if conn.is_autocommit() {
                idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("tarefa do banco interrompida: {e}")))?
    }
}

impl SqliteStore {
    /// Runs `f` on two connections of the pool at once, on the blocking thread pool (`f` may
    /// use them from two threads).
    async fn run_pair<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permits = Arc::clone(&self.permits)
            .acquire_many_owned(2)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let idle = Arc::clone(&self.idle);
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let _permits = permits;
            let take = || {
                let pooled = idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                match pooled {
                    Some(c) => Ok(c),
                    None => Self::connect(&target),
                }
            };
            let (mut a, mut b) = (take()?, take()?);
            let out = f(&mut a, &mut b);
            // A connection left inside a transaction (a panic or an error mid-way) is dropped.
            for conn in [a, b] {
                if conn.is_autocommit() {
                    idle.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
                }
            }
            out
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("tarefa do banco interrompida: {e}")))?
    }
}

/// A read-only connection (no pragma that writes: the journal mode is the file's own).
fn open_read_only_conn(target: &Target) -> Result<Connection, rusqlite::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    match target {
        Target::ReadOnly {
            path,
            immutable: true,
        } => Connection::open_with_flags(format!("file:{}?immutable=1", uri_path(path)), flags),
        Target::ReadOnly { path, .. } | Target::File(path) => {
            Connection::open_with_flags(path, flags)
        }
        Target::Memory => Connection::open_in_memory(),
    }
}

/// Opens a read-only connection and reads the schema, so a file that cannot be read fails now.
fn probe(target: &Target) -> Result<(), rusqlite::Error> {
    let conn = open_read_only_conn(target)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The `-wal` or `-journal` file beside `path` that holds data not yet in the main file.
fn pending_journal(path: &Path) -> Option<String> {
    ["-wal", "-journal"].into_iter().find_map(|suffix| {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let len = std::fs::metadata(&name).map(|m| m.len()).unwrap_or(0);
        (len > 0).then(|| PathBuf::from(name).display().to_string())
    })
}

/// `path` as the path of a `file:` URI (absolute, percent-encoded).
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for &b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The message of a store error without its kind's prefix.
fn inner_message(e: &StoreError) -> String {
    match e {
        StoreError::Sqlite(m) | StoreError::BadUrl(m) | StoreError::Unavailable(m) => m.clone(),
        other => other.to_string(),
    }
}

fn table_columns(conn: &Connection, table: &str) -> Result<Option<Vec<String>>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1)")?;
    let cols = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if cols.is_empty() { None } else { Some(cols) })
}

fn milli(v: i64) -> Decimal {
    Decimal::new(v, 3)
}

/// Reads an ISO date column (`YYYY-MM-DD`, NULL as `None`) without chrono's format-string
/// parser: a whole-book load reads some hundred thousand dates.
fn date_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
    use rusqlite::types::{FromSqlError, ValueRef};
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => parse_iso_date(t).map(Some).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                i,
                rusqlite::types::Type::Text,
                format!("data inválida {:?}", String::from_utf8_lossy(t)).into(),
            )
        }),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            i,
            other.data_type(),
            Box::new(FromSqlError::InvalidType),
        )),
    }
}

/// `YYYY-MM-DD` (anything after the tenth byte, such as a time, is ignored).
fn parse_iso_date(t: &[u8]) -> Option<NaiveDate> {
    let digits = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    if t.len() < 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&t[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&t[5..7])?, digits(&t[8..10])?)
}

/// Open lines: active, with at least 0.001 open (1 thousandth).
const OPEN: &str = "ativo = 1 AND qtd_saldo_produto_pedido >= 1";

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    // Databases made by earlier builds (sqlx migrations) hold version 1 in `_sqlx_migrations`.
    let legacy_ours = table_columns(conn, "_sqlx_migrations")?.is_some();
    if version == 0 && legacy_ours {
        conn.execute_batch("PRAGMA user_version = 1")?;
        return migrate(conn);
    }
    if version == 0 && table_columns(conn, "carteira_principal")?.is_some() {
        return Err(StoreError::Foreign(
            "este banco SQLite já tem tabelas criadas fora do Ruptura; ele não será migrado".into(),
        ));
    }
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(StoreError::Foreign(format!(
            "este banco está na versão {version} do esquema, mais nova que a deste Ruptura ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, script) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(script)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

fn check_schema(conn: &Connection) -> Result<(), StoreError> {
    let mut found = std::collections::HashMap::new();
    for (table, _) in crate::READ_COLUMNS {
        found.insert(table, table_columns(conn, table)?);
    }
    let missing = missing_columns(&|t| found.get(t).cloned().flatten());
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Schema(missing))
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.run(migrate).await
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        self.run(|c| check_schema(c)).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
            Ok(())
        })
        .await
    }

    async fn load(&self, selection: &Selection, today: NaiveDate) -> Result<Loaded, StoreError> {
        let selection = selection.clone();
        match &selection {
            // Every code's flows are read whatever the lines: both at once, on two connections.
            Selection::Book(f) if f.is_empty() && !matches!(self.target, Target::Memory) => {
                self.run_pair(move |a, b| load_book_split(a, b, &selection, today))
                    .await
            }
            // A read of many orders touches most pages once: with the small cache too.
            _ if is_scan(&selection) => {
                self.run(move |c| with_scan_cache(c, |c| load_snapshot(c, &selection, today)))
                    .await
            }
            _ => self.run(move |c| load_snapshot(c, &selection, today)).await,
        }
    }

    async fn order_numbers(&self, filter: &OrderFilter) -> Result<Vec<String>, StoreError> {
        let filter = filter.clone();
        // Every matching line is read once (the whole book for a whole-book job): a scan.
        self.run(move |c| with_scan_cache(c, |c| order_numbers(c, &filter)))
            .await
    }

    async fn fingerprint(&self) -> Result<Option<String>, StoreError> {
        // An immutable file has no WAL index to watch: nothing is kept for it.
        let (Target::File(path)
        | Target::ReadOnly {
            path,
            immutable: false,
        }) = &self.target
        else {
            return Ok(None);
        };
        let (watch, path) = (Arc::clone(&self.watch), path.clone());
        tokio::task::spawn_blocking(move || watch.fingerprint(&path))
            .await
            .map_err(|e| StoreError::Unavailable(format!("tarefa do banco interrompida: {e}")))
    }

    fn memo(&self) -> Option<&crate::Memo> {
        Some(&self.memo)
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let query = query.clone();
        self.run(move |c| list_orders(c, &query)).await
    }

    async fn facets(&self) -> Result<Facets, StoreError> {
        self.run(facets).await
    }

    async fn order_shipment(&self, num_pedido: &str) -> Result<Option<OrderShipment>, StoreError> {
        let num_pedido = num_pedido.to_string();
        self.run(move |c| order_shipment(c, &num_pedido)).await
    }

    async fn import(&self, data: &Dataset, mode: ImportMode) -> Result<ImportReport, StoreError> {
        // The import owns its rows on the blocking thread; cloning is cheap next to the writes.
        let data = data.clone();
        self.run(move |c| import(c, &data, mode)).await
    }

    async fn import_pieces(
        &self,
        mode: ImportMode,
        pieces: tokio::sync::mpsc::Receiver<ImportPiece>,
    ) -> Result<ImportReport, StoreError> {
        self.run(move |c| import_pieces(c, mode, pieces)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_parse_fast_and_strictly() {
        assert_eq!(
            parse_iso_date(b"2026-03-02"),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(
            parse_iso_date(b"2026-03-02 10:00:00"),
            NaiveDate::from_ymd_opt(2026, 3, 2)
        );
        assert_eq!(parse_iso_date(b"2026-02-30"), None);
        assert_eq!(parse_iso_date(b"02/03/2026"), None);
        assert_eq!(parse_iso_date(b"2026-3-2"), None);
        assert_eq!(parse_iso_date(b"20x6-03-02"), None);
    }
}
