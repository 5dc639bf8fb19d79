//! PostgreSQL: the production database, and the old system's database read as it is.
//!
//! Two layouts are read:
//! - Ruptura's own (`migrations/postgres`): NUMERIC quantities, text codes, `NOT NULL` flags,
//!   city and UF in `nome_cidade` / `cod_uf`.
//! - The old system's (`../shared/spec/original_schema.sql`), never migrated nor written:
//!   `unificacao_codigos` holds INTEGER codes, `separacao.qtd_saldo` and
//!   `programacao_producao.qtd_programada` are DOUBLE PRECISION, flags may be NULL, and city and
//!   UF may be in `municipio` / `estado` as well.
//!
//! The layout is read once from `information_schema.columns` (the tables the search path
//! resolves to) and cached; the load queries are then written for it: a column is cast or
//! rounded only where its type is not the one the analysis reads, and only on the values read,
//! never on the columns the queries filter on, so the indexes of either layout are used.
//! A NULL `ativo` counts as true and a NULL `sincronizado_nf` as false (SPEC 2.1).

use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_engine::{CodeLink, DatedQty, Interner, Interners, OrderLine, Snapshot};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::ConnectOptions;
use sqlx::{Connection, PgPool, Postgres, QueryBuilder, Transaction};

use crate::shared::{codes_to_load, dedup, facets_of, sort_column, sorted_orders};
use crate::{
    missing_columns, Backend, Facets, ImportMode, ImportPiece, ImportProgress, ImportReport,
    Loaded, OrderFilter, OrderPage, OrderQuery, OrderShipment, OrderSummary, Selection, Store,
    StoreError, IMPORT_ABANDONED,
};

mod connect;
mod import;
mod layout;
mod sql;

use connect::{connect_error, foreign};
use import::write_rows;
use layout::Columns;
use sql::{lines_of, with_codes, LoadSql, SummaryRow};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a connection (and start-up for the first one): short, so that a
/// request during an outage fails fast with [`StoreError::Unavailable`].
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A statement slower than this is logged as a warning (sqlx's default: 1 s).
const SLOW_STATEMENT: Duration = Duration::from_secs(10);

/// How long one load (the snapshot's queries) may take. PostgreSQL cancels a statement past
/// it (`statement_timeout`, sent at connection start), and the client gives up at the same
/// time plus a margin, so a connection that goes silent (a network outage, a stopped host)
/// fails the load with [`StoreError::Unavailable`] instead of leaving a job waiting forever.
/// A `statement_timeout` given in the URL (`?options[statement_timeout]=30s` or
/// `?options=-c%20statement_timeout%3D30s`) replaces it.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// The stock, outflows and inflows of a load.
struct Flows {
    stock: Vec<(Arc<str>, Decimal)>,
    outflows: Vec<DatedQty>,
    inflows: Vec<DatedQty>,
}

/// The stock, outflows (from `today` on) and inflows (from `today` on) of `codes` (`None`: every
/// code), codes interned with `interner`.
async fn read_flows(
    tx: &mut Transaction<'_, Postgres>,
    sql: &LoadSql,
    codes: Option<Vec<String>>,
    today: NaiveDate,
    interner: &mut Interner,
) -> Result<Flows, StoreError> {
    let (stock_sql, out_sql, in_sql) = match codes {
        Some(_) => (&sql.stock_of, &sql.outflows_of, &sql.inflows_of),
        None => (&sql.stock_all, &sql.outflows_all, &sql.inflows_all),
    };
    // The dated reads bind today, and every read the codes when it reads only some.
    let stock: Vec<(String, Option<Decimal>)> = with_codes(sqlx::query_as(stock_sql), &codes)
        .fetch_all(&mut **tx)
        .await?;
    let outflows: Vec<(String, Option<NaiveDate>, Option<Decimal>)> =
        with_codes(sqlx::query_as(out_sql).bind(today), &codes)
            .fetch_all(&mut **tx)
            .await?;
    let inflows: Vec<(String, NaiveDate, Option<Decimal>)> =
        with_codes(sqlx::query_as(in_sql).bind(today), &codes)
            .fetch_all(&mut **tx)
            .await?;
    let mut code = |c: String| interner.intern(&c);
    Ok(Flows {
        stock: stock
            .into_iter()
            .map(|(c, q)| (code(c), q.unwrap_or_default()))
            .collect(),
        outflows: outflows
            .into_iter()
            .map(|(c, d, q)| DatedQty::new(code(c), d, q.unwrap_or_default()))
            .collect(),
        inflows: inflows
            .into_iter()
            .map(|(c, d, q)| DatedQty::new(code(c), Some(d), q.unwrap_or_default()))
            .collect(),
    })
}

/// The transaction every load reads from: one snapshot for all its queries, and no writes.
const READ_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The load queries for the layout found, once it is known (cleared by `migrate` and when a
    /// query meets a missing table or column).
    layout: Arc<RwLock<Option<Arc<LoadSql>>>>,
    /// The `statement_timeout` in force ([`LOAD_TIMEOUT`] unless the URL gives one).
    load_timeout: Duration,
    /// What callers keep under this store's fingerprint.
    memo: Arc<crate::Memo>,
}

impl PgStore {
    /// Connects to `url`. Fails at once, with the URL redacted, when PostgreSQL does not answer,
    /// the database does not exist or the login is refused. Nothing is migrated here.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let shown = crate::redact(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(format!("{shown}: {e}")))?
            .application_name("ruptura")
            // Reading a large book whole takes seconds (1.2 s for 480,000 lines): sqlx's
            // default warns past 1 s, on every whole-book analysis.
            .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
        let given = options
            .get_options()
            .filter(|o| o.contains("statement_timeout="))
            .map(url_statement_timeout);
        let (options, load_timeout) = match given {
            Some(limit) => (options, limit.unwrap_or(LOAD_TIMEOUT)),
            None => (
                options.options([("statement_timeout", format!("{}s", LOAD_TIMEOUT.as_secs()))]),
                LOAD_TIMEOUT,
            ),
        };
        // One direct connection first: its error says what is wrong (refused, unknown host, no
        // such database), where a pool would only report a timeout.
        match tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options)).await {
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "{shown} não respondeu em {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                )))
            }
            Ok(Err(e)) => return Err(connect_error(&shown, e)),
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // Every connection is checked before use, so connections the server dropped (restart,
            // pg_terminate_backend) are replaced instead of failing the next request.
            .test_before_acquire(true)
            .idle_timeout(Duration::from_secs(600))
            .connect_lazy_with(options);
        Ok(Self {
            pool,
            layout: Arc::default(),
            load_timeout,
            memo: Arc::default(),
        })
    }

    /// One snapshot for every query of a load, and no writes: the old system's database is
    /// only ever read.
    async fn load_snapshot(
        &self,
        selection: &Selection,
        today: NaiveDate,
    ) -> Result<Loaded, StoreError> {
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        match self.load_in(&mut tx, selection, today).await {
            Ok(loaded) => {
                tx.commit().await?;
                Ok(loaded)
            }
            Err(e) => {
                if matches!(e, StoreError::Schema(_)) {
                    // The tables changed under the cached layout: read it again next time.
                    self.forget_layout();
                }
                Err(e)
            }
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn cached_layout(&self) -> Option<Arc<LoadSql>> {
        self.layout.read().ok().and_then(|g| g.clone())
    }

    fn forget_layout(&self) {
        if let Ok(mut g) = self.layout.write() {
            *g = None;
        }
    }

    /// The load queries for this database's layout, detected on first use.
    async fn load_sql(
        &self,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<Arc<LoadSql>, StoreError> {
        if let Some(sql) = self.cached_layout() {
            return Ok(sql);
        }
        let columns = Columns::read(tx).await?;
        let missing = missing_columns(&|t| columns.names(t));
        if !missing.is_empty() {
            return Err(StoreError::Schema(missing));
        }
        let sql = Arc::new(LoadSql::new(&columns));
        if let Ok(mut g) = self.layout.write() {
            *g = Some(sql.clone());
        }
        Ok(sql)
    }

    async fn load_in(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        selection: &Selection,
        today: NaiveDate,
    ) -> Result<Loaded, StoreError> {
        let sql = self.load_sql(tx).await?;
        // The whole book reads every code's flows, whatever its lines: on a second connection,
        // at the same time, from this transaction's snapshot (exported to it).
        let flows = match selection {
            Selection::Book(f) if f.is_empty() => Some(self.flows_beside(tx, &sql, today).await?),
            _ => None,
        };

        // The orders asked, first occurrence order, each once.
        let asked = match selection {
            Selection::Orders(orders) => Some(dedup(orders)),
            Selection::Book(_) => None,
        };
        // Order numbers, codes and names: one shared string per distinct value.
        let mut texts = Interners::default();
        let lines: Vec<OrderLine> = match selection {
            Selection::Orders(_) => {
                let rows = sqlx::query_as(&sql.lines_of_orders)
                    .bind(&asked)
                    .fetch(&mut **tx);
                lines_of(rows, &mut texts).await?
            }
            Selection::Book(filter) => {
                let mut query = QueryBuilder::new(&sql.lines_of_book);
                sql.filter.push(&mut query, filter);
                lines_of(query.build_query_as().fetch(&mut **tx), &mut texts).await?
            }
        };
        let orders = match asked {
            Some(asked) => asked,
            None => sorted_orders(&lines),
        };

        let links: Vec<(String, String)> = sqlx::query_as(&sql.links).fetch_all(&mut **tx).await?;
        let links: Vec<CodeLink> = links
            .into_iter()
            .map(|(a, b)| CodeLink::new(texts.codes.intern(&a), texts.codes.intern(&b)))
            .collect();

        // The whole book needs every code; a subset needs the codes of its product groups.
        let codes = codes_to_load(selection, &links, &lines);
        let flows = match flows {
            Some(flows) => flows
                .await
                .map_err(|e| StoreError::Unavailable(format!("leitura dos fluxos parou: {e}")))??,
            None => read_flows(tx, &sql, codes, today, &mut texts.codes).await?,
        };
        let snapshot = Snapshot {
            lines,
            stock: flows.stock,
            outflows: flows.outflows,
            inflows: flows.inflows,
            links,
        };
        Ok(Loaded { snapshot, orders })
    }

    /// Starts reading every code's stock and flows on another connection of the pool, in a
    /// transaction that sees the snapshot of `tx` (`pg_export_snapshot`, `SET TRANSACTION
    /// SNAPSHOT`: the same data, whatever commits meanwhile).
    async fn flows_beside(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        sql: &Arc<LoadSql>,
        today: NaiveDate,
    ) -> Result<tokio::task::JoinHandle<Result<Flows, StoreError>>, StoreError> {
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut **tx)
            .await?;
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(StoreError::Unavailable(format!(
                "identificador de snapshot inesperado: {id}"
            )));
        }
        let mut other = self.pool.begin_with(READ_SNAPSHOT).await?;
        sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{id}'"))
            .execute(&mut *other)
            .await?;
        let sql = Arc::clone(sql);
        Ok(tokio::spawn(async move {
            let flows = read_flows(&mut other, &sql, None, today, &mut Interner::new()).await?;
            other.commit().await?;
            Ok(flows)
        }))
    }

    /// The tables of the analysis found in a database Ruptura did not create (no
    /// `_sqlx_migrations`): the old system's database, read as it is and never written. Empty
    /// for Ruptura's own database, or one with none of the tables.
    async fn foreign_tables(&self, conn: &mut PgConnection) -> Result<Vec<String>, StoreError> {
        let ours: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
        if ours {
            return Ok(Vec::new());
        }
        Ok(Columns::read(&mut *conn).await?.tables())
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn fingerprint(&self) -> Result<Option<String>, StoreError> {
        let fingerprint: String = sqlx::query_scalar(crate::fingerprint::PG_FINGERPRINT)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(fingerprint))
    }

    fn memo(&self) -> Option<&crate::Memo> {
        Some(&self.memo)
    }

    fn as_run_store(&self) -> Option<Arc<dyn crate::RunStore>> {
        Some(Arc::new(self.clone()))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let foreign_tables = self.foreign_tables(&mut conn).await?;
        drop(conn);
        if !foreign_tables.is_empty() {
            return Err(foreign(&foreign_tables));
        }
        self.forget_layout();
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let columns = Columns::read(&mut conn).await?;
        let missing = missing_columns(&|t| columns.names(t));
        if missing.is_empty() {
            Ok(())
        } else {
            self.forget_layout();
            Err(StoreError::Schema(missing))
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn load(&self, selection: &Selection, today: NaiveDate) -> Result<Loaded, StoreError> {
        let limit = self.load_timeout + Duration::from_secs(5);
        tokio::time::timeout(limit, self.load_snapshot(selection, today))
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!(
                    "o PostgreSQL não respondeu à leitura em {} s",
                    limit.as_secs()
                )))
            })
    }

    async fn order_numbers(&self, filter: &OrderFilter) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let sql = self.load_sql(&mut tx).await?;
        let mut query = QueryBuilder::new(format!(
            "SELECT DISTINCT num_pedido::text FROM carteira_principal WHERE {}",
            sql.open
        ));
        sql.filter.push(&mut query, filter);
        let mut orders: Vec<String> = query.build_query_scalar().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        // Byte order, as the loads and SQLite give it (not the database's collation).
        orders.sort_unstable();
        Ok(orders)
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let sql = self.load_sql(&mut tx).await?;
        let order_by = sort_column(query.sort);
        let dir = if query.descending { "DESC" } else { "ASC" };
        let mut page = QueryBuilder::new("SELECT * FROM (");
        sql.push_summaries(&mut page, &query.filter);
        page.push(format!(
            ") AS o ORDER BY {order_by} IS NULL, {order_by} {dir}, num_pedido {dir} LIMIT "
        ))
        .push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
        .push(" OFFSET ")
        .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows: Vec<SummaryRow> = page.build_query_as().fetch_all(&mut *tx).await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM (");
        sql.push_summaries(&mut count, &query.filter);
        count.push(") AS o");
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(OrderPage {
            total: usize::try_from(total).unwrap_or(0),
            orders: rows.into_iter().map(OrderSummary::from).collect(),
        })
    }

    async fn facets(&self) -> Result<Facets, StoreError> {
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let sql = self.load_sql(&mut tx).await?;
        let mut lists = Vec::with_capacity(3);
        for col in ["vendedor::text", "equipe_vendas::text", sql.uf.as_str()] {
            let rows: Vec<(String,)> = sqlx::query_as(&format!(
                "SELECT DISTINCT v FROM (SELECT {col} AS v FROM carteira_principal WHERE {}) AS t \
                 WHERE v IS NOT NULL AND v <> ''",
                sql.open
            ))
            .fetch_all(&mut *tx)
            .await?;
            let mut values: Vec<String> = rows.into_iter().map(|r| r.0).collect();
            values.sort_unstable();
            lists.push(values);
        }
        tx.commit().await?;
        Ok(facets_of(lists))
    }

    async fn order_shipment(&self, num_pedido: &str) -> Result<Option<OrderShipment>, StoreError> {
        // Both layouts: `expedicao` is a DATE, a NULL `sincronizado_nf` is an open commitment.
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let (lines, expedicao, tem_separacao): (i64, Option<NaiveDate>, bool) = sqlx::query_as(
            "SELECT COUNT(*), MIN(expedicao)::date, EXISTS(SELECT 1 FROM separacao \
             WHERE num_pedido::text = $1 AND sincronizado_nf IS NOT TRUE) \
             FROM carteira_principal WHERE num_pedido::text = $1",
        )
        .bind(num_pedido)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((lines > 0).then_some(OrderShipment {
            expedicao,
            tem_separacao,
        }))
    }

    async fn import(&self, data: &Dataset, mode: ImportMode) -> Result<ImportReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let foreign_tables = self.foreign_tables(&mut tx).await?;
        if !foreign_tables.is_empty() {
            return Err(foreign(&foreign_tables));
        }
        let mut progress = ImportProgress::new(mode);
        write_rows(&mut tx, data, &mut progress).await?;
        tx.commit().await?;
        Ok(progress.report)
    }

    async fn import_pieces(
        &self,
        mode: ImportMode,
        mut pieces: tokio::sync::mpsc::Receiver<ImportPiece>,
    ) -> Result<ImportReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let foreign_tables = self.foreign_tables(&mut tx).await?;
        if !foreign_tables.is_empty() {
            return Err(foreign(&foreign_tables));
        }
        let mut progress = ImportProgress::new(mode);
        loop {
            match pieces.recv().await {
                Some(ImportPiece::Rows(data)) => {
                    write_rows(&mut tx, &data, &mut progress).await?;
                }
                Some(ImportPiece::Commit) => {
                    tx.commit().await?;
                    return Ok(progress.report);
                }
                None => return Err(StoreError::Rejected(IMPORT_ABANDONED.to_string())),
            }
        }
    }
}

/// The five raw reads a whole-book analysis of this database runs, as a `psql -f` script that
/// takes the reference date from the psql variable `today` (`psql -v today=2026-03-02`): what
/// the benchmark times against `ruptura analyze`.
pub async fn whole_book_reads(store: &PgStore) -> Result<String, StoreError> {
    let mut tx = store.pool.begin_with(READ_SNAPSHOT).await?;
    let sql = store.load_sql(&mut tx).await?;
    tx.commit().await?;
    Ok(sql.whole_book_script("DATE :'today'"))
}

/// The `statement_timeout` a URL's `options` set, when it is a positive time PostgreSQL
/// accepts (a bare number is milliseconds; `ms`, `s`, `min`, `h`): the client-side limit of a
/// load follows it. `0` (no limit) and other spellings leave [`LOAD_TIMEOUT`] on the client.
fn url_statement_timeout(options: &str) -> Option<Duration> {
    let (_, rest) = options.split_once("statement_timeout=")?;
    let value = rest.split_whitespace().next()?.trim_matches(['\'', '"']);
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u64 = digits.trim().parse().ok().filter(|n| *n > 0)?;
    let ms = match value[digits.len()..].trim() {
        "" | "ms" => n,
        "s" => n.checked_mul(1_000)?,
        "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_timeout_of_the_url() {
        let secs = |o: &str| url_statement_timeout(o).map(|d| d.as_millis());
        assert_eq!(secs("-c statement_timeout=2s"), Some(2_000));
        assert_eq!(secs("-c statement_timeout=1500"), Some(1_500));
        assert_eq!(
            secs("-c search_path=x -c statement_timeout=1min"),
            Some(60_000)
        );
        assert_eq!(secs("-c statement_timeout=250ms -c x=y"), Some(250));
        assert_eq!(secs("-c statement_timeout=0"), None);
        assert_eq!(secs("-c statement_timeout=2d"), None);
        assert_eq!(secs("-c search_path=x"), None);
    }
}
