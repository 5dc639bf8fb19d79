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

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::{CarteiraRow, Dataset};
use ruptura_engine::{CodeLink, DatedQty, OrderLine, ProductGroups, Snapshot};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool, Postgres, Transaction};

use crate::sqlite::{dedup, like_pattern};
use crate::{
    missing_columns, Backend, Facets, ImportMode, ImportPiece, ImportReport, Loaded, OrderFilter,
    OrderPage, OrderQuery, OrderShipment, OrderSort, OrderSummary, Selection, Store, StoreError,
    IMPORT_ABANDONED, READ_COLUMNS,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a connection (and start-up for the first one): short, so that a
/// request during an outage fails fast with [`StoreError::Unavailable`].
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one load (the snapshot's queries) may take. PostgreSQL cancels a statement past
/// it (`statement_timeout`, sent at connection start), and the client gives up at the same
/// time plus a margin, so a connection that goes silent (a network outage, a stopped host)
/// fails the load with [`StoreError::Unavailable`] instead of leaving a job waiting forever.
/// A `statement_timeout` given in the URL (`?options[statement_timeout]=30s` or
/// `?options=-c%20statement_timeout%3D30s`) replaces it.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Rows per `INSERT ... SELECT FROM UNNEST(...)` of an import.
const IMPORT_CHUNK: usize = 20_000;

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
            .application_name("ruptura");
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

        // The orders asked, first occurrence order, each once.
        let asked = match selection {
            Selection::Orders(orders) => Some(dedup(orders)),
            Selection::Book(_) => None,
        };
        let rows: Vec<LineRow> = match selection {
            Selection::Orders(_) => {
                sqlx::query_as(&sql.lines_of_orders)
                    .bind(&asked)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Selection::Book(filter) if filter.is_empty() => {
                sqlx::query_as(&sql.lines_of_book)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Selection::Book(filter) => {
                bind_filter(sqlx::query_as(&sql.lines_filtered), &filter.normalized())
                    .fetch_all(&mut **tx)
                    .await?
            }
        };
        let lines: Vec<OrderLine> = rows
            .into_iter()
            .map(
                |(
                    id,
                    num_pedido,
                    cod_produto,
                    nome_produto,
                    qtd,
                    preco,
                    expedicao,
                    data_pedido,
                )| {
                    OrderLine {
                        id,
                        num_pedido,
                        cod_produto,
                        nome_produto,
                        qtd,
                        preco,
                        expedicao,
                        data_pedido,
                    }
                },
            )
            .collect();
        let orders = match asked {
            Some(asked) => asked,
            None => {
                let mut v: Vec<String> = lines.iter().map(|l| l.num_pedido.clone()).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        };

        let links: Vec<(String, String)> = sqlx::query_as(&sql.links).fetch_all(&mut **tx).await?;
        let links: Vec<CodeLink> = links
            .into_iter()
            .map(|(a, b)| CodeLink::new(a, b))
            .collect();

        // The whole book needs every code; a subset needs the codes of its product groups.
        let codes: Option<Vec<String>> = match selection {
            Selection::Book(f) if f.is_empty() => None,
            _ => Some(
                ProductGroups::from_links(&links)
                    .expand(lines.iter().map(|l| l.cod_produto.as_str()))
                    .into_iter()
                    .collect(),
            ),
        };
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

        let snapshot = Snapshot {
            lines,
            stock: stock
                .into_iter()
                .map(|(c, q)| (c, q.unwrap_or_default()))
                .collect(),
            outflows: outflows
                .into_iter()
                .map(|(c, d, q)| DatedQty::new(c, d, q.unwrap_or_default()))
                .collect(),
            inflows: inflows
                .into_iter()
                .map(|(c, d, q)| DatedQty::new(c, Some(d), q.unwrap_or_default()))
                .collect(),
            links,
        };
        Ok(Loaded { snapshot, orders })
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

fn foreign(tables: &[String]) -> StoreError {
    StoreError::Foreign(format!(
        "este banco PostgreSQL pertence a outro sistema: já tem {} e não foi criado pelo Ruptura \
         (não tem _sqlx_migrations). O Ruptura analisa esse banco como ele está, mas nunca o migra \
         nem grava nele; para importar dados, use um banco do Ruptura (vazio, depois `ruptura \
         migrate`)",
        tables.join(", ")
    ))
}

/// Binds the filter of `filtered_orders`: $1 vendedor, $2 equipe_vendas, $3 UF, $4 pattern.
fn bind_filter<'q, O>(
    query: sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>,
    f: &OrderFilter,
) -> sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(f.vendedor.clone())
        .bind(f.equipe_vendas.clone())
        .bind(f.estado.clone())
        .bind(f.busca.as_deref().map(like_pattern))
}

fn with_codes<'q, O>(
    query: sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>,
    codes: &'q Option<Vec<String>>,
) -> sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments> {
    match codes {
        Some(codes) => query.bind(codes),
        None => query,
    }
}

/// Errors of the first connection: a clear message with the URL redacted.
fn connect_error(shown: &str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.code().as_deref() {
            Some("3D000") => {
                return StoreError::BadUrl(format!(
                    "{shown}: o banco não existe ({})",
                    db.message()
                ))
            }
            Some(c) if c.starts_with("28") => {
                return StoreError::BadUrl(format!(
                    "{shown}: acesso recusado pelo PostgreSQL ({})",
                    db.message()
                ))
            }
            _ => {}
        }
    }
    match StoreError::from(e) {
        StoreError::Unavailable(m) => StoreError::Unavailable(format!("{shown} não responde: {m}")),
        other => other,
    }
}

type LineRow = (
    i64,
    String,
    String,
    String,
    Decimal,
    Option<Decimal>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// The columns of the tables the analysis reads, with their types, as the search path resolves
/// them (the first schema of the path that has the table).
#[derive(Debug, Default)]
struct Columns(HashMap<String, Vec<Column>>);

#[derive(Debug)]
struct Column {
    name: String,
    data_type: String,
    /// Decimal places of a NUMERIC(p, s) column; `None` for an unconstrained NUMERIC.
    numeric_scale: Option<i32>,
}

impl Columns {
    async fn read(conn: &mut PgConnection) -> Result<Self, StoreError> {
        let tables: Vec<&str> = READ_COLUMNS.iter().map(|(t, _)| *t).collect();
        let rows: Vec<(String, String, String, String, Option<i32>)> = sqlx::query_as(
            "SELECT table_schema::text, table_name::text, column_name::text, data_type::text, \
             numeric_scale::int FROM information_schema.columns \
             WHERE table_name::text = ANY($1) AND table_schema::name = ANY(current_schemas(false)) \
             ORDER BY array_position(current_schemas(false), table_schema::name), ordinal_position",
        )
        .bind(&tables)
        .fetch_all(&mut *conn)
        .await?;
        let mut schema_of: HashMap<String, String> = HashMap::new();
        let mut cols: HashMap<String, Vec<Column>> = HashMap::new();
        for (schema, table, name, data_type, numeric_scale) in rows {
            // Rows come in search-path order: the first schema seen for a table is the one an
            // unqualified name resolves to.
            let first = schema_of.entry(table.clone()).or_insert(schema.clone());
            if *first == schema {
                cols.entry(table).or_default().push(Column {
                    name,
                    data_type,
                    numeric_scale,
                });
            }
        }
        Ok(Self(cols))
    }

    fn names(&self, table: &str) -> Option<Vec<String>> {
        self.0
            .get(table)
            .map(|c| c.iter().map(|col| col.name.clone()).collect())
    }

    /// The tables found, in the order of [`READ_COLUMNS`].
    fn tables(&self) -> Vec<String> {
        READ_COLUMNS
            .iter()
            .filter(|(t, _)| self.0.contains_key(*t))
            .map(|(t, _)| t.to_string())
            .collect()
    }

    fn column(&self, table: &str, column: &str) -> Option<&Column> {
        self.0
            .get(table)?
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(column))
    }

    fn type_of(&self, table: &str, column: &str) -> Option<&str> {
        self.column(table, column).map(|c| c.data_type.as_str())
    }

    fn has(&self, table: &str, column: &str) -> bool {
        self.column(table, column).is_some()
    }

    /// `column` read as exact decimal with at most `places` places: as it is when it is a
    /// NUMERIC of that scale or less, else rounded (double precision in the old layout).
    fn decimal(&self, table: &str, column: &str, places: u32) -> String {
        match self.column(table, column) {
            Some(c)
                if c.data_type == "numeric"
                    && c.numeric_scale
                        .is_some_and(|s| s >= 0 && s as u32 <= places) =>
            {
                column.to_string()
            }
            _ => format!("round({column}::numeric, {places})"),
        }
    }

    /// `column` read as text (a CHAR(n) is cast, which drops its padding).
    fn text(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("text" | "character varying") => column.to_string(),
            _ => format!("{column}::text"),
        }
    }

    /// `column` read as bigint.
    fn bigint(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("bigint") => column.to_string(),
            _ => format!("{column}::bigint"),
        }
    }

    /// `column` read as a date.
    fn date(&self, table: &str, column: &str) -> String {
        match self.type_of(table, column) {
            Some("date") => column.to_string(),
            _ => format!("{column}::date"),
        }
    }
}

/// The load queries, written once for the layout found.
#[derive(Debug)]
struct LoadSql {
    /// $1: text[] of order numbers.
    lines_of_orders: String,
    lines_of_book: String,
    /// $1 vendedor, $2 equipe_vendas, $3 UF, $4 LIKE pattern (each NULL: no filter).
    lines_filtered: String,
    links: String,
    /// The `_of` variants read the codes of their last parameter (text[]), the `_all` ones every
    /// code; the dated reads (outflows, inflows) take today as $1.
    stock_of: String,
    stock_all: String,
    outflows_of: String,
    outflows_all: String,
    inflows_of: String,
    inflows_all: String,
    /// The condition of an open line (active, open quantity >= 0.001).
    open: String,
    /// Orders with a line matching the filter: $1 vendedor, $2 equipe_vendas, $3 UF, $4 LIKE
    /// pattern (each NULL: no filter).
    filtered_orders: String,
    /// One row per open order, as the page lists it; `{filter}` is replaced by the filter
    /// condition or nothing.
    order_summaries: String,
    /// The UF of a line, from whichever column holds it.
    uf: String,
}

impl LoadSql {
    fn new(c: &Columns) -> Self {
        let cp = "carteira_principal";
        let qty = c.decimal(cp, "qtd_saldo_produto_pedido", 3);
        let preco = c.decimal(cp, "preco_produto_pedido", 2);
        let open = format!("COALESCE(ativo, TRUE) AND {qty} >= 0.001");
        let line_select = format!(
            "SELECT {id}, {num}, {cod}, COALESCE({nome}, ''), {qty}, {preco}, {exp}, {dped} \
             FROM carteira_principal WHERE {open}",
            id = c.bigint(cp, "id"),
            num = c.text(cp, "num_pedido"),
            cod = c.text(cp, "cod_produto"),
            nome = c.text(cp, "nome_produto"),
            exp = c.date(cp, "expedicao"),
            dped = c.date(cp, "data_pedido"),
        );

        // City and UF: whichever of the two spellings exist (the old layout has both).
        let present = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .filter(|n| c.has(cp, n))
                .map(|n| c.text(cp, n))
                .collect()
        };
        let either = |names: &[&str]| match present(names).as_slice() {
            [one] => one.clone(),
            [first, second] => format!("COALESCE(NULLIF({first}, ''), {second})"),
            _ => "NULL::text".to_string(),
        };
        let uf = either(&["cod_uf", "estado"]);
        let city = either(&["nome_cidade", "municipio"]);
        let mut searched: Vec<String> = ["num_pedido", "raz_social_red", "cnpj_cpf"]
            .iter()
            .map(|n| c.text(cp, n))
            .collect();
        searched.extend(present(&["nome_cidade", "municipio"]));
        searched.extend(
            ["cod_produto", "nome_produto"]
                .iter()
                .map(|n| c.text(cp, n)),
        );
        let busca = searched
            .iter()
            .map(|col| format!("{col} ILIKE $4 ESCAPE '\\'"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let filtered_orders = format!(
            "SELECT num_pedido FROM carteira_principal WHERE \
             ($1::text IS NULL OR vendedor = $1) AND ($2::text IS NULL OR equipe_vendas = $2) \
             AND ($3::text IS NULL OR {uf} = $3) AND ($4::text IS NULL OR {busca})"
        );

        let ue = "unificacao_codigos";
        let links = format!(
            "SELECT {o}, {d} FROM unificacao_codigos \
             WHERE COALESCE(ativo, TRUE) AND codigo_origem IS NOT NULL AND codigo_destino IS NOT NULL",
            o = c.text(ue, "codigo_origem"),
            d = c.text(ue, "codigo_destino"),
        );

        // The codes are the last parameter: $1 for the stock (which does not depend on the
        // day), $2 for the dated reads ($1 is today there).
        let per_code = |filtered: bool, param: &str| {
            if filtered {
                format!("cod_produto = ANY({param})")
            } else {
                "cod_produto IS NOT NULL".to_string()
            }
        };
        let stock = |filtered: bool| {
            format!(
                "SELECT {cod}, SUM({q}) FROM movimentacao_estoque \
                 WHERE COALESCE(ativo, TRUE) AND {f} GROUP BY 1",
                cod = c.text("movimentacao_estoque", "cod_produto"),
                q = c.decimal("movimentacao_estoque", "qtd_movimentacao", 3),
                f = per_code(filtered, "$1"),
            )
        };
        let outflows = |filtered: bool| {
            let exp = c.date("separacao", "expedicao");
            format!(
                "SELECT {cod}, CASE WHEN {exp} IS NULL OR {exp} < $1 THEN NULL ELSE {exp} END, \
                 SUM({q}) FROM separacao \
                 WHERE NOT COALESCE(sincronizado_nf, FALSE) AND qtd_saldo IS NOT NULL AND {f} \
                 GROUP BY 1, 2",
                cod = c.text("separacao", "cod_produto"),
                q = c.decimal("separacao", "qtd_saldo", 3),
                f = per_code(filtered, "$2"),
            )
        };
        let inflows = |filtered: bool| {
            format!(
                "SELECT {cod}, {d}, SUM({q}) FROM programacao_producao \
                 WHERE data_programacao >= $1 AND qtd_programada IS NOT NULL AND {f} GROUP BY 1, 2",
                cod = c.text("programacao_producao", "cod_produto"),
                d = c.date("programacao_producao", "data_programacao"),
                q = c.decimal("programacao_producao", "qtd_programada", 3),
                f = per_code(filtered, "$2"),
            )
        };
        let order_summaries = format!(
            "SELECT {num} AS num_pedido, MAX({raz}) AS cliente, MAX({cnpj}) AS cnpj_cpf, \
             MAX({city}) AS cidade, MAX({uf}) AS uf, MAX({vend}) AS vendedor, MAX({equipe}) AS equipe, \
             MIN({dped}) AS data_pedido, MIN({exp}) AS expedicao, MIN({agend}) AS agendamento, \
             SUM({qty} * COALESCE({preco}, 0)) AS valor, COUNT(*) AS linhas \
             FROM carteira_principal WHERE {open} {{filter}} GROUP BY num_pedido",
            num = c.text(cp, "num_pedido"),
            raz = c.text(cp, "raz_social_red"),
            cnpj = c.text(cp, "cnpj_cpf"),
            vend = c.text(cp, "vendedor"),
            equipe = c.text(cp, "equipe_vendas"),
            dped = c.date(cp, "data_pedido"),
            exp = c.date(cp, "expedicao"),
            agend = c.date(cp, "agendamento"),
        );
        Self {
            lines_of_orders: format!("{line_select} AND num_pedido = ANY($1)"),
            lines_of_book: line_select.clone(),
            lines_filtered: format!("{line_select} AND num_pedido IN ({filtered_orders})"),
            links,
            stock_of: stock(true),
            stock_all: stock(false),
            outflows_of: outflows(true),
            outflows_all: outflows(false),
            inflows_of: inflows(true),
            inflows_all: inflows(false),
            open,
            filtered_orders,
            order_summaries,
            uf,
        }
    }

    /// The five reads of a whole-book analysis, with `today` (an SQL date expression) in place
    /// of the parameter.
    fn whole_book_script(&self, today: &str) -> String {
        [
            &self.lines_of_book,
            &self.links,
            &self.stock_all,
            &self.outflows_all,
            &self.inflows_all,
        ]
        .iter()
        .map(|sql| format!("{};\n", sql.replace("$1", today)))
        .collect()
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
        let f = filter.normalized();
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let sql = self.load_sql(&mut tx).await?;
        let open = &sql.open;
        let rows: Vec<(String,)> = if f.is_empty() {
            sqlx::query_as(&format!(
                "SELECT DISTINCT num_pedido::text FROM carteira_principal WHERE {open}"
            ))
            .fetch_all(&mut *tx)
            .await?
        } else {
            let q = format!(
                "SELECT DISTINCT num_pedido::text FROM carteira_principal WHERE {open} \
                 AND num_pedido IN ({})",
                sql.filtered_orders
            );
            bind_filter(sqlx::query_as(&q), &f)
                .fetch_all(&mut *tx)
                .await?
        };
        tx.commit().await?;
        // Byte order, as the loads and SQLite give it (not the database's collation).
        let mut orders: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        orders.sort_unstable();
        Ok(orders)
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let f = query.filter.normalized();
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await?;
        let sql = self.load_sql(&mut tx).await?;
        let (filter, next) = if f.is_empty() {
            (String::new(), 1)
        } else {
            (format!("AND num_pedido IN ({})", sql.filtered_orders), 5)
        };
        let summaries = sql.order_summaries.replace("{filter}", &filter);
        let order_by = match query.sort {
            OrderSort::NumPedido => "num_pedido",
            OrderSort::Cliente => "cliente",
            OrderSort::Cidade => "cidade",
            OrderSort::Vendedor => "vendedor",
            OrderSort::Expedicao => "expedicao",
            OrderSort::DataPedido => "data_pedido",
            OrderSort::Valor => "valor",
            OrderSort::Linhas => "linhas",
        };
        let dir = if query.descending { "DESC" } else { "ASC" };
        let page_sql = format!(
            "SELECT * FROM ({summaries}) AS o \
             ORDER BY {order_by} IS NULL, {order_by} {dir}, num_pedido {dir} \
             LIMIT ${next} OFFSET ${}",
            next + 1
        );
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<Decimal>,
            i64,
        );
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        let count_sql = format!("SELECT COUNT(*) FROM ({summaries}) AS o");
        let (rows, total): (Vec<Row>, i64) = if f.is_empty() {
            let rows = sqlx::query_as(&page_sql)
                .bind(limit)
                .bind(offset)
                .fetch_all(&mut *tx)
                .await?;
            let total = sqlx::query_scalar(&count_sql).fetch_one(&mut *tx).await?;
            (rows, total)
        } else {
            let rows = bind_filter(sqlx::query_as(&page_sql), &f)
                .bind(limit)
                .bind(offset)
                .fetch_all(&mut *tx)
                .await?;
            let (total,): (i64,) = bind_filter(sqlx::query_as(&count_sql), &f)
                .fetch_one(&mut *tx)
                .await?;
            (rows, total)
        };
        tx.commit().await?;
        let orders = rows
            .into_iter()
            .map(|r| OrderSummary {
                num_pedido: r.0,
                raz_social_red: r.1,
                cnpj_cpf: r.2,
                nome_cidade: r.3,
                cod_uf: r.4,
                vendedor: r.5,
                equipe_vendas: r.6,
                data_pedido: r.7,
                expedicao: r.8,
                agendamento: r.9,
                valor_total: r.10.unwrap_or_default(),
                linhas: usize::try_from(r.11).unwrap_or(0),
            })
            .collect();
        Ok(OrderPage {
            total: usize::try_from(total).unwrap_or(0),
            orders,
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
        let estados = lists.pop().unwrap_or_default();
        let equipes = lists.pop().unwrap_or_default();
        let vendedores = lists.pop().unwrap_or_default();
        Ok(Facets {
            vendedores,
            equipes,
            estados,
        })
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
        let mut report = ImportReport::default();
        write_rows(&mut tx, data, mode, &mut Vec::new(), &mut report).await?;
        tx.commit().await?;
        Ok(report)
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
        let mut report = ImportReport::default();
        let mut cleared = Vec::new();
        loop {
            match pieces.recv().await {
                Some(ImportPiece::Rows(data)) => {
                    write_rows(&mut tx, &data, mode, &mut cleared, &mut report).await?;
                }
                Some(ImportPiece::Commit) => {
                    tx.commit().await?;
                    return Ok(report);
                }
                None => return Err(StoreError::Rejected(IMPORT_ABANDONED.to_string())),
            }
        }
    }
}

/// Writes the tables present in `data` inside `tx`; when replacing, a table not yet in
/// `cleared` is emptied first (and added to it).
async fn write_rows(
    tx: &mut Transaction<'_, Postgres>,
    data: &Dataset,
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    if let Some(rows) = &data.carteira_principal {
        let target = Target::prepare(
            tx,
            "carteira_principal",
            mode,
            cleared,
            rows.iter().map(|r| r.id),
        )
        .await?;
        for chunk in rows.chunks(IMPORT_CHUNK) {
            let text = |f: fn(&CarteiraRow) -> &Option<String>| {
                chunk.iter().map(|r| f(r).clone()).collect::<Vec<_>>()
            };
            let q = sqlx::query(
                    "INSERT INTO carteira_principal (id, num_pedido, cod_produto, nome_produto, \
                     qtd_saldo_produto_pedido, preco_produto_pedido, ativo, raz_social_red, cnpj_cpf, \
                     nome_cidade, cod_uf, vendedor, equipe_vendas, data_pedido, expedicao, agendamento) \
                     SELECT COALESCE(id, nextval($17::regclass)), num_pedido, cod_produto, nome_produto, \
                     qtd, preco, ativo, raz_social_red, cnpj_cpf, nome_cidade, cod_uf, vendedor, \
                     equipe_vendas, data_pedido, expedicao, agendamento \
                     FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::numeric[], \
                     $6::numeric[], $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[], \
                     $12::text[], $13::text[], $14::date[], $15::date[], $16::date[]) \
                     AS u(id, num_pedido, cod_produto, nome_produto, qtd, preco, ativo, raz_social_red, \
                     cnpj_cpf, nome_cidade, cod_uf, vendedor, equipe_vendas, data_pedido, expedicao, \
                     agendamento)",
                )
                .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.num_pedido.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.nome_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.qtd_saldo_produto_pedido).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.preco_produto_pedido).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
                .bind(text(|r| &r.raz_social_red))
                .bind(text(|r| &r.cnpj_cpf))
                .bind(text(|r| &r.nome_cidade))
                .bind(text(|r| &r.cod_uf))
                .bind(text(|r| &r.vendedor))
                .bind(text(|r| &r.equipe_vendas))
                .bind(chunk.iter().map(|r| r.data_pedido).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.expedicao).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.agendamento).collect::<Vec<_>>())
                .bind(&target.sequence);
            target.insert(tx, q).await?;
        }
        report.add("carteira_principal", rows.len());
    }
    if let Some(rows) = &data.movimentacao_estoque {
        let target = Target::prepare(
            tx,
            "movimentacao_estoque",
            mode,
            cleared,
            rows.iter().map(|r| r.id),
        )
        .await?;
        for chunk in rows.chunks(IMPORT_CHUNK) {
            let q = sqlx::query(
                    "INSERT INTO movimentacao_estoque (id, cod_produto, nome_produto, data_movimentacao, \
                     tipo_movimentacao, qtd_movimentacao, ativo) \
                     SELECT COALESCE(id, nextval($8::regclass)), cod_produto, nome_produto, \
                     data_movimentacao, tipo_movimentacao, qtd, ativo \
                     FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::date[], $5::text[], \
                     $6::numeric[], $7::bool[]) \
                     AS u(id, cod_produto, nome_produto, data_movimentacao, tipo_movimentacao, qtd, ativo)",
                )
                .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.nome_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.data_movimentacao).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.tipo_movimentacao.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.qtd_movimentacao).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
                .bind(&target.sequence);
            target.insert(tx, q).await?;
        }
        report.add("movimentacao_estoque", rows.len());
    }
    if let Some(rows) = &data.separacao {
        let target =
            Target::prepare(tx, "separacao", mode, cleared, rows.iter().map(|r| r.id)).await?;
        for chunk in rows.chunks(IMPORT_CHUNK) {
            let q = sqlx::query(
                    "INSERT INTO separacao (id, separacao_lote_id, num_pedido, cod_produto, qtd_saldo, \
                     expedicao, sincronizado_nf) \
                     SELECT COALESCE(id, nextval($8::regclass)), separacao_lote_id, num_pedido, \
                     cod_produto, qtd, expedicao, sincronizado_nf \
                     FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::numeric[], \
                     $6::date[], $7::bool[]) \
                     AS u(id, separacao_lote_id, num_pedido, cod_produto, qtd, expedicao, sincronizado_nf)",
                )
                .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.separacao_lote_id.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.num_pedido.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.qtd_saldo).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.expedicao).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.sincronizado_nf).collect::<Vec<_>>())
                .bind(&target.sequence);
            target.insert(tx, q).await?;
        }
        report.add("separacao", rows.len());
    }
    if let Some(rows) = &data.programacao_producao {
        let target = Target::prepare(
            tx,
            "programacao_producao",
            mode,
            cleared,
            rows.iter().map(|r| r.id),
        )
        .await?;
        for chunk in rows.chunks(IMPORT_CHUNK) {
            let q = sqlx::query(
                    "INSERT INTO programacao_producao (id, cod_produto, nome_produto, data_programacao, \
                     qtd_programada, linha_producao) \
                     SELECT COALESCE(id, nextval($7::regclass)), cod_produto, nome_produto, \
                     data_programacao, qtd, linha_producao \
                     FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::date[], $5::numeric[], \
                     $6::text[]) \
                     AS u(id, cod_produto, nome_produto, data_programacao, qtd, linha_producao)",
                )
                .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.nome_produto.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.data_programacao).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.qtd_programada).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.linha_producao.clone()).collect::<Vec<_>>())
                .bind(&target.sequence);
            target.insert(tx, q).await?;
        }
        report.add("programacao_producao", rows.len());
    }
    if let Some(rows) = &data.unificacao_codigos {
        let target = Target::prepare(
            tx,
            "unificacao_codigos",
            mode,
            cleared,
            rows.iter().map(|r| r.id),
        )
        .await?;
        for chunk in rows.chunks(IMPORT_CHUNK) {
            let q = sqlx::query(
                    "INSERT INTO unificacao_codigos (id, codigo_origem, codigo_destino, ativo) \
                     SELECT COALESCE(id, nextval($5::regclass)), codigo_origem, codigo_destino, ativo \
                     FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::bool[]) \
                     AS u(id, codigo_origem, codigo_destino, ativo)",
                )
                .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.codigo_origem.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.codigo_destino.clone()).collect::<Vec<_>>())
                .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
                .bind(&target.sequence);
            target.insert(tx, q).await?;
        }
        report.add("unificacao_codigos", rows.len());
    }
    Ok(())
}

/// A table an import writes to, cleared when replacing, with its id sequence moved past every
/// id already there or about to be written.
struct Target {
    table: &'static str,
    /// The id sequence (`regclass` text), for rows without an id.
    sequence: String,
}

impl Target {
    async fn prepare(
        tx: &mut Transaction<'_, Postgres>,
        table: &'static str,
        mode: ImportMode,
        cleared: &mut Vec<&'static str>,
        ids: impl Iterator<Item = Option<i64>>,
    ) -> Result<Self, StoreError> {
        if mode == ImportMode::Replace && !cleared.contains(&table) {
            cleared.push(table);
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

    async fn insert<'q>(
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
