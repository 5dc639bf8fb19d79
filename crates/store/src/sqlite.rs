//! The embedded default: one SQLite file in WAL mode.
//!
//! SQLite has no decimal type: quantities are stored as integer thousandths and prices as
//! integer cents, so `SUM` in SQL stays exact; they become `Decimal` on the way out.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_engine::{CodeLink, DatedQty, OrderLine, ProductGroups, Snapshot};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use crate::{
    missing_columns, Backend, Facets, ImportMode, ImportReport, Loaded, OrderFilter, OrderPage,
    OrderQuery, OrderSort, OrderSummary, Selection, Store, StoreError,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite's limit of bound parameters per statement is 32766; stay well below it.
const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::BadUrl(format!("não foi possível abrir {}: {e}", path.display()))
            })?;
        Ok(Self { pool })
    }

    /// An in-memory database on a single connection (a pooled `:memory:` would be one empty
    /// database per connection).
    pub async fn open_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn table_columns(&self, table: &str) -> Result<Option<Vec<String>>, StoreError> {
        let cols: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(&self.pool)
            .await?;
        Ok(if cols.is_empty() {
            None
        } else {
            Some(cols.into_iter().map(|c| c.0).collect())
        })
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern that matches `term` anywhere.
pub(crate) fn like_pattern(term: &str) -> String {
    let mut s = String::with_capacity(term.len() + 2);
    s.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

fn milli(v: i64) -> Decimal {
    Decimal::new(v, 3)
}

fn to_scaled(d: Decimal, places: u32, what: &str) -> Result<i64, StoreError> {
    let scaled = ruptura_engine::round_half_away(d, places) * Decimal::from(10i64.pow(places));
    scaled
        .to_i64()
        .ok_or_else(|| StoreError::Rejected(format!("{what}: valor fora do intervalo ({d})")))
}

const LINE_COLUMNS: &str = "id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, \
                            preco_produto_pedido, expedicao, data_pedido";

type LineRow = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

async fn load_lines(
    tx: &mut Transaction<'_, Sqlite>,
    selection: &Selection,
) -> Result<(Vec<OrderLine>, Vec<String>), StoreError> {
    let open = "ativo = 1 AND qtd_saldo_produto_pedido >= 1";
    let rows: Vec<LineRow> = match selection {
        Selection::Orders(orders) => {
            let sql = format!(
                "SELECT {LINE_COLUMNS} FROM carteira_principal WHERE {open} \
                 AND num_pedido IN (SELECT value FROM json_each(?))"
            );
            sqlx::query_as(&sql)
                .bind(json_array(orders))
                .fetch_all(&mut **tx)
                .await?
        }
        Selection::Book(filter) if filter.is_empty() => {
            let sql = format!("SELECT {LINE_COLUMNS} FROM carteira_principal WHERE {open}");
            sqlx::query_as(&sql).fetch_all(&mut **tx).await?
        }
        Selection::Book(filter) => {
            let f = filter.normalized();
            let sql = format!(
                "SELECT {LINE_COLUMNS} FROM carteira_principal WHERE {open} AND num_pedido IN ({})",
                FILTERED_ORDERS
            );
            bind_filter(sqlx::query_as(&sql), &f)
                .fetch_all(&mut **tx)
                .await?
        }
    };
    let lines: Vec<OrderLine> = rows
        .into_iter()
        .map(
            |(id, num_pedido, cod_produto, nome_produto, qtd, preco, expedicao, data_pedido)| {
                OrderLine {
                    id,
                    num_pedido,
                    cod_produto,
                    nome_produto,
                    qtd: milli(qtd),
                    preco: preco.map(|c| Decimal::new(c, 2)),
                    expedicao,
                    data_pedido,
                }
            },
        )
        .collect();
    let orders = match selection {
        Selection::Orders(orders) => dedup(orders),
        Selection::Book(_) => {
            let mut v: Vec<String> = lines.iter().map(|l| l.num_pedido.clone()).collect();
            v.sort_unstable();
            v.dedup();
            v
        }
    };
    Ok((lines, orders))
}

/// Orders with a line matching the filter; binds ?1 vendedor, ?2 equipe, ?3 UF, ?4 pattern.
const FILTERED_ORDERS: &str = "SELECT num_pedido FROM carteira_principal WHERE \
     (?1 IS NULL OR vendedor = ?1) AND (?2 IS NULL OR equipe_vendas = ?2) AND (?3 IS NULL OR cod_uf = ?3) \
     AND (?4 IS NULL OR num_pedido LIKE ?4 ESCAPE '\\' OR raz_social_red LIKE ?4 ESCAPE '\\' \
          OR cnpj_cpf LIKE ?4 ESCAPE '\\' OR nome_cidade LIKE ?4 ESCAPE '\\' \
          OR cod_produto LIKE ?4 ESCAPE '\\' OR nome_produto LIKE ?4 ESCAPE '\\')";

fn bind_filter<'q, O>(
    q: sqlx::query::QueryAs<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>,
    f: &OrderFilter,
) -> sqlx::query::QueryAs<'q, Sqlite, O, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(f.vendedor.clone())
        .bind(f.equipe_vendas.clone())
        .bind(f.estado.clone())
        .bind(f.busca.as_deref().map(like_pattern))
}

pub(crate) fn dedup(orders: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(orders.len());
    orders
        .iter()
        .filter(|o| seen.insert(o.as_str()))
        .cloned()
        .collect()
}

fn json_array(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    serde_json::Value::Array(
        items
            .into_iter()
            .map(|s| serde_json::Value::String(s.as_ref().to_string()))
            .collect(),
    )
    .to_string()
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let ours = self.table_columns("_sqlx_migrations").await?.is_some();
        if !ours && self.table_columns("carteira_principal").await?.is_some() {
            return Err(StoreError::Foreign(
                "este banco SQLite já tem tabelas criadas fora do Ruptura; ele não será migrado"
                    .into(),
            ));
        }
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn check_schema(&self) -> Result<(), StoreError> {
        let mut found = std::collections::HashMap::new();
        for (table, _) in crate::READ_COLUMNS {
            found.insert(table, self.table_columns(table).await?);
        }
        let missing = missing_columns(&|t| found.get(t).cloned().flatten());
        if missing.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Schema(missing))
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn load(&self, selection: &Selection, today: NaiveDate) -> Result<Loaded, StoreError> {
        // One read transaction: in WAL mode every read below sees the same snapshot.
        let mut tx = self.pool.begin().await?;
        let (lines, orders) = load_lines(&mut tx, selection).await?;
        let links: Vec<(String, String)> = sqlx::query_as(
            "SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1",
        )
        .fetch_all(&mut *tx)
        .await?;
        let links: Vec<CodeLink> = links
            .into_iter()
            .map(|(a, b)| CodeLink::new(a, b))
            .collect();

        // The whole book needs every code; a subset needs the codes of its product groups.
        let codes = match selection {
            Selection::Book(f) if f.is_empty() => None,
            _ => {
                let groups = ProductGroups::from_links(&links);
                Some(json_array(
                    groups.expand(lines.iter().map(|l| l.cod_produto.as_str())),
                ))
            }
        };
        let code_filter = if codes.is_some() {
            "AND cod_produto IN (SELECT value FROM json_each(?2))"
        } else {
            ""
        };

        let stock_sql = format!(
            "SELECT cod_produto, SUM(qtd_movimentacao) FROM movimentacao_estoque \
             WHERE ativo = 1 AND ?1 IS NOT NULL {code_filter} GROUP BY cod_produto"
        );
        let stock: Vec<(String, i64)> = sqlx::query_as(&stock_sql)
            .bind(today)
            .bind(codes.as_deref())
            .fetch_all(&mut *tx)
            .await?;

        let out_sql = format!(
            "SELECT cod_produto, CASE WHEN expedicao IS NULL OR expedicao < ?1 THEN NULL ELSE expedicao END AS dia, \
             SUM(qtd_saldo) FROM separacao WHERE sincronizado_nf = 0 {code_filter} GROUP BY cod_produto, dia"
        );
        let outflows: Vec<(String, Option<NaiveDate>, i64)> = sqlx::query_as(&out_sql)
            .bind(today)
            .bind(codes.as_deref())
            .fetch_all(&mut *tx)
            .await?;

        let in_sql = format!(
            "SELECT cod_produto, data_programacao, SUM(qtd_programada) FROM programacao_producao \
             WHERE data_programacao >= ?1 {code_filter} GROUP BY cod_produto, data_programacao"
        );
        let inflows: Vec<(String, NaiveDate, i64)> = sqlx::query_as(&in_sql)
            .bind(today)
            .bind(codes.as_deref())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let snapshot = Snapshot {
            lines,
            stock: stock.into_iter().map(|(c, q)| (c, milli(q))).collect(),
            outflows: outflows
                .into_iter()
                .map(|(c, d, q)| DatedQty::new(c, d, milli(q)))
                .collect(),
            inflows: inflows
                .into_iter()
                .map(|(c, d, q)| DatedQty::new(c, Some(d), milli(q)))
                .collect(),
            links,
        };
        Ok(Loaded { snapshot, orders })
    }

    async fn order_numbers(&self, filter: &OrderFilter) -> Result<Vec<String>, StoreError> {
        let f = filter.normalized();
        let open = "ativo = 1 AND qtd_saldo_produto_pedido >= 1";
        let rows: Vec<(String,)> = if f.is_empty() {
            let sql = format!("SELECT DISTINCT num_pedido FROM carteira_principal WHERE {open} ORDER BY num_pedido");
            sqlx::query_as(&sql).fetch_all(&self.pool).await?
        } else {
            let sql = format!(
                "SELECT DISTINCT num_pedido FROM carteira_principal WHERE {open} \
                 AND num_pedido IN ({FILTERED_ORDERS}) ORDER BY num_pedido"
            );
            bind_filter(sqlx::query_as(&sql), &f)
                .fetch_all(&self.pool)
                .await?
        };
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let f = query.filter.normalized();
        let open = "ativo = 1 AND qtd_saldo_produto_pedido >= 1";
        let filter = if f.is_empty() {
            String::new()
        } else {
            format!("AND num_pedido IN ({FILTERED_ORDERS})")
        };
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
        // Value in 1e-5 units (thousandths x cents), summed exactly as integers.
        let sql = format!(
            "SELECT num_pedido, MAX(raz_social_red) AS cliente, MAX(cnpj_cpf), MAX(nome_cidade) AS cidade, MAX(cod_uf), \
             MAX(vendedor) AS vendedor, MAX(equipe_vendas), MIN(data_pedido) AS data_pedido, \
             MIN(expedicao) AS expedicao, MIN(agendamento), \
             SUM(qtd_saldo_produto_pedido * COALESCE(preco_produto_pedido, 0)) AS valor, COUNT(*) AS linhas \
             FROM carteira_principal WHERE {open} {filter} GROUP BY num_pedido \
             ORDER BY {order_by} IS NULL, {order_by} {dir}, num_pedido {dir} LIMIT ?5 OFFSET ?6"
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
            i64,
            i64,
        );
        let mut tx = self.pool.begin().await?;
        let rows: Vec<Row> = bind_filter(sqlx::query_as(&sql), &f)
            .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?;
        let count_sql =
            format!("SELECT COUNT(DISTINCT num_pedido) FROM carteira_principal WHERE {open} {filter} AND ?1 IS ?1 AND ?2 IS ?2 AND ?3 IS ?3 AND ?4 IS ?4");
        let (total,): (i64,) = bind_filter(sqlx::query_as(&count_sql), &f)
            .fetch_one(&mut *tx)
            .await?;
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
                valor_total: Decimal::new(r.10, 5),
                linhas: usize::try_from(r.11).unwrap_or(0),
            })
            .collect();
        Ok(OrderPage {
            total: usize::try_from(total).unwrap_or(0),
            orders,
        })
    }

    async fn facets(&self) -> Result<Facets, StoreError> {
        let distinct = |col: &str| {
            format!(
                "SELECT DISTINCT {col} FROM carteira_principal WHERE ativo = 1 AND qtd_saldo_produto_pedido >= 1 \
                 AND {col} IS NOT NULL AND {col} <> '' ORDER BY {col}"
            )
        };
        let mut tx = self.pool.begin().await?;
        let mut lists = Vec::new();
        for col in ["vendedor", "equipe_vendas", "cod_uf"] {
            let rows: Vec<(String,)> = sqlx::query_as(&distinct(col)).fetch_all(&mut *tx).await?;
            lists.push(rows.into_iter().map(|r| r.0).collect::<Vec<_>>());
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

    async fn import(&self, data: &Dataset, mode: ImportMode) -> Result<ImportReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut report = ImportReport::default();
        if let Some(rows) = &data.carteira_principal {
            clear(&mut tx, "carteira_principal", mode).await?;
            let mut values = Vec::with_capacity(rows.len());
            for r in rows {
                values.push((
                    r,
                    to_scaled(r.qtd_saldo_produto_pedido, 3, "qtd_saldo_produto_pedido")?,
                    r.preco_produto_pedido
                        .map(|p| to_scaled(p, 2, "preco_produto_pedido"))
                        .transpose()?,
                ));
            }
            insert_rows(
                &mut tx,
                "carteira_principal (id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, \
                 preco_produto_pedido, ativo, raz_social_red, cnpj_cpf, nome_cidade, cod_uf, vendedor, \
                 equipe_vendas, data_pedido, expedicao, agendamento)",
                16,
                &values,
                |b, (r, q, p)| {
                    b.push_bind(r.id)
                        .push_bind(&r.num_pedido)
                        .push_bind(&r.cod_produto)
                        .push_bind(&r.nome_produto)
                        .push_bind(*q)
                        .push_bind(*p)
                        .push_bind(r.ativo)
                        .push_bind(&r.raz_social_red)
                        .push_bind(&r.cnpj_cpf)
                        .push_bind(&r.nome_cidade)
                        .push_bind(&r.cod_uf)
                        .push_bind(&r.vendedor)
                        .push_bind(&r.equipe_vendas)
                        .push_bind(r.data_pedido)
                        .push_bind(r.expedicao)
                        .push_bind(r.agendamento);
                },
            )
            .await?;
            report.tables.push(("carteira_principal", rows.len()));
        }
        if let Some(rows) = &data.movimentacao_estoque {
            clear(&mut tx, "movimentacao_estoque", mode).await?;
            let values = rows
                .iter()
                .map(|r| Ok((r, to_scaled(r.qtd_movimentacao, 3, "qtd_movimentacao")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            insert_rows(
                &mut tx,
                "movimentacao_estoque (id, cod_produto, nome_produto, data_movimentacao, tipo_movimentacao, \
                 qtd_movimentacao, ativo)",
                7,
                &values,
                |b, (r, q)| {
                    b.push_bind(r.id)
                        .push_bind(&r.cod_produto)
                        .push_bind(&r.nome_produto)
                        .push_bind(r.data_movimentacao)
                        .push_bind(&r.tipo_movimentacao)
                        .push_bind(*q)
                        .push_bind(r.ativo);
                },
            )
            .await?;
            report.tables.push(("movimentacao_estoque", rows.len()));
        }
        if let Some(rows) = &data.separacao {
            clear(&mut tx, "separacao", mode).await?;
            let values = rows
                .iter()
                .map(|r| Ok((r, to_scaled(r.qtd_saldo, 3, "qtd_saldo")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            insert_rows(
                &mut tx,
                "separacao (id, separacao_lote_id, num_pedido, cod_produto, qtd_saldo, expedicao, sincronizado_nf)",
                7,
                &values,
                |b, (r, q)| {
                    b.push_bind(r.id)
                        .push_bind(&r.separacao_lote_id)
                        .push_bind(&r.num_pedido)
                        .push_bind(&r.cod_produto)
                        .push_bind(*q)
                        .push_bind(r.expedicao)
                        .push_bind(r.sincronizado_nf);
                },
            )
            .await?;
            report.tables.push(("separacao", rows.len()));
        }
        if let Some(rows) = &data.programacao_producao {
            clear(&mut tx, "programacao_producao", mode).await?;
            let values = rows
                .iter()
                .map(|r| Ok((r, to_scaled(r.qtd_programada, 3, "qtd_programada")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            insert_rows(
                &mut tx,
                "programacao_producao (id, cod_produto, nome_produto, data_programacao, qtd_programada, linha_producao)",
                6,
                &values,
                |b, (r, q)| {
                    b.push_bind(r.id)
                        .push_bind(&r.cod_produto)
                        .push_bind(&r.nome_produto)
                        .push_bind(r.data_programacao)
                        .push_bind(*q)
                        .push_bind(&r.linha_producao);
                },
            )
            .await?;
            report.tables.push(("programacao_producao", rows.len()));
        }
        if let Some(rows) = &data.unificacao_codigos {
            clear(&mut tx, "unificacao_codigos", mode).await?;
            let values: Vec<_> = rows.iter().collect();
            insert_rows(
                &mut tx,
                "unificacao_codigos (id, codigo_origem, codigo_destino, ativo)",
                4,
                &values,
                |b, r| {
                    b.push_bind(r.id)
                        .push_bind(&r.codigo_origem)
                        .push_bind(&r.codigo_destino)
                        .push_bind(r.ativo);
                },
            )
            .await?;
            report.tables.push(("unificacao_codigos", rows.len()));
        }
        tx.commit().await?;
        Ok(report)
    }
}

async fn clear(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    mode: ImportMode,
) -> Result<(), StoreError> {
    if mode == ImportMode::Replace {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Inserts `rows` with multi-row `INSERT`s sized under SQLite's parameter limit.
async fn insert_rows<'r, T>(
    tx: &mut Transaction<'_, Sqlite>,
    target: &str,
    columns: usize,
    rows: &'r [T],
    mut bind: impl FnMut(&mut sqlx::query_builder::Separated<'_, 'r, Sqlite, &'static str>, &'r T),
) -> Result<(), StoreError> {
    let table = target
        .split_whitespace()
        .next()
        .unwrap_or(target)
        .to_string();
    for chunk in rows.chunks((MAX_PARAMS / columns).max(1)) {
        let mut qb: QueryBuilder<'r, Sqlite> = QueryBuilder::new(format!("INSERT INTO {target} "));
        qb.push_values(chunk, |mut b, row| bind(&mut b, row));
        qb.build().execute(&mut **tx).await.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Rejected(format!("id repetido em {table} ({})", db.message()))
            }
            _ => StoreError::from(e),
        })?;
    }
    Ok(())
}
