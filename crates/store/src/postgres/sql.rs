//! SQL building: the load queries written once for the layout found, the order filter written
//! with its values into a [`QueryBuilder`], and the rows the queries read.

use chrono::NaiveDate;
use futures::{Stream, TryStreamExt};
use ruptura_engine::{Interners, OrderLine};
use rust_decimal::Decimal;
use sqlx::{Postgres, QueryBuilder};

use super::layout::Columns;
use crate::shared::{filter_terms, FilterTerm};
use crate::{OrderFilter, OrderSummary};

/// One order line as the line queries select it.
#[derive(sqlx::FromRow)]
pub(super) struct LineRow {
    id: i64,
    num_pedido: String,
    cod_produto: String,
    nome_produto: String,
    qtd: Decimal,
    preco: Option<Decimal>,
    expedicao: Option<NaiveDate>,
    data_pedido: Option<NaiveDate>,
}

impl LineRow {
    /// The line, its order number, code and name interned.
    fn into_line(self, texts: &mut Interners) -> OrderLine {
        let (cod_produto, nome_produto) = texts.product(&self.cod_produto, &self.nome_produto);
        OrderLine {
            id: self.id,
            num_pedido: texts.orders.intern(&self.num_pedido),
            cod_produto,
            nome_produto,
            qtd: self.qtd,
            preco: self.preco,
            expedicao: self.expedicao,
            data_pedido: self.data_pedido,
        }
    }
}

/// The lines of `rows`, each made as it arrives: the rows as read are never all held at once.
pub(super) async fn lines_of(
    rows: impl Stream<Item = Result<LineRow, sqlx::Error>>,
    texts: &mut Interners,
) -> Result<Vec<OrderLine>, sqlx::Error> {
    rows.map_ok(|r| r.into_line(texts)).try_collect().await
}

/// One order of the order list, as [`LoadSql::summaries`] selects it.
#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    num_pedido: String,
    cliente: Option<String>,
    cnpj_cpf: Option<String>,
    cidade: Option<String>,
    uf: Option<String>,
    vendedor: Option<String>,
    equipe: Option<String>,
    data_pedido: Option<NaiveDate>,
    expedicao: Option<NaiveDate>,
    agendamento: Option<NaiveDate>,
    valor: Option<Decimal>,
    linhas: i64,
}

impl From<SummaryRow> for OrderSummary {
    fn from(r: SummaryRow) -> Self {
        OrderSummary {
            num_pedido: r.num_pedido,
            raz_social_red: r.cliente,
            cnpj_cpf: r.cnpj_cpf,
            nome_cidade: r.cidade,
            cod_uf: r.uf,
            vendedor: r.vendedor,
            equipe_vendas: r.equipe,
            data_pedido: r.data_pedido,
            expedicao: r.expedicao,
            agendamento: r.agendamento,
            valor_total: r.valor.unwrap_or_default(),
            linhas: usize::try_from(r.linhas).unwrap_or(0),
        }
    }
}

pub(super) fn with_codes<'q, O>(
    query: sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>,
    codes: &'q Option<Vec<String>>,
) -> sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments> {
    match codes {
        Some(codes) => query.bind(codes),
        None => query,
    }
}

/// The load queries, written once for the layout found.
#[derive(Debug)]
pub(super) struct LoadSql {
    /// $1: text[] of order numbers.
    pub(super) lines_of_orders: String,
    /// The open lines; [`FilterSql::push`] narrows them to the orders of a filter.
    pub(super) lines_of_book: String,
    pub(super) links: String,
    /// The `_of` variants read the codes of their last parameter (text[]), the `_all` ones every
    /// code; the dated reads (outflows, inflows) take today as $1.
    pub(super) stock_of: String,
    pub(super) stock_all: String,
    pub(super) outflows_of: String,
    pub(super) outflows_all: String,
    pub(super) inflows_of: String,
    pub(super) inflows_all: String,
    /// The condition of an open line (active, open quantity >= 0.001).
    pub(super) open: String,
    /// The order filter's condition.
    pub(super) filter: FilterSql,
    /// The order list ([`SummaryRow`]) up to the `WHERE` condition of the open lines: see
    /// [`LoadSql::push_summaries`].
    summaries: String,
    /// The UF of a line, from whichever column holds it.
    pub(super) uf: String,
}

impl LoadSql {
    pub(super) fn new(c: &Columns) -> Self {
        let cp = "carteira_principal";
        let qty = c.decimal(cp, "qtd_saldo_produto_pedido", 3);
        let preco = c.decimal(cp, "preco_produto_pedido", 2);
        let open = format!("COALESCE(ativo, TRUE) AND {qty} >= 0.001");
        let line_columns = select_list(&[
            (c.bigint(cp, "id"), "id"),
            (c.text(cp, "num_pedido"), "num_pedido"),
            (c.text(cp, "cod_produto"), "cod_produto"),
            (
                format!("COALESCE({}, '')", c.text(cp, "nome_produto")),
                "nome_produto",
            ),
            (qty.clone(), "qtd"),
            (preco.clone(), "preco"),
            (c.date(cp, "expedicao"), "expedicao"),
            (c.date(cp, "data_pedido"), "data_pedido"),
        ]);
        let line_select = format!("SELECT {line_columns} FROM carteira_principal WHERE {open}");
        let uf = either(c, &["cod_uf", "estado"]);
        let summaries = order_summaries(c, &open, &uf, &qty, &preco);
        Self {
            lines_of_orders: format!("{line_select} AND num_pedido = ANY($1)"),
            lines_of_book: line_select,
            links: links(c),
            stock_of: stock(c, true),
            stock_all: stock(c, false),
            outflows_of: outflows(c, true),
            outflows_all: outflows(c, false),
            inflows_of: inflows(c, true),
            inflows_all: inflows(c, false),
            open,
            filter: FilterSql::new(c, &uf),
            summaries,
            uf,
        }
    }

    /// Appends the order list of the orders `filter` selects, one row per open order
    /// ([`SummaryRow`]), binding the filter's values.
    pub(super) fn push_summaries(
        &self,
        query: &mut QueryBuilder<'_, Postgres>,
        filter: &OrderFilter,
    ) {
        query.push(&self.summaries);
        self.filter.push(query, filter);
        query.push(" GROUP BY num_pedido");
    }

    /// The five reads of a whole-book analysis, with `today` (an SQL date expression) in place
    /// of the parameter.
    pub(super) fn whole_book_script(&self, today: &str) -> String {
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

/// Those of `names` (columns of `carteira_principal`) that exist, read as text.
fn present(c: &Columns, names: &[&str]) -> Vec<String> {
    let cp = "carteira_principal";
    names
        .iter()
        .filter(|n| c.has(cp, n))
        .map(|n| c.text(cp, n))
        .collect()
}

/// City or UF: whichever of the two spellings exist (the old layout has both).
fn either(c: &Columns, names: &[&str]) -> String {
    match present(c, names).as_slice() {
        [one] => one.clone(),
        [first, second] => format!("COALESCE(NULLIF({first}, ''), {second})"),
        _ => "NULL::text".to_string(),
    }
}

/// `expression AS name` (or the column `name` alone), for each pair, separated by commas.
fn select_list(columns: &[(String, &str)]) -> String {
    columns
        .iter()
        .map(|(expression, name)| {
            if expression == name {
                expression.clone()
            } else {
                format!("{expression} AS {name}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The order filter's condition for the layout found: which expression holds the UF, which
/// columns a search reads.
#[derive(Debug)]
pub(super) struct FilterSql {
    uf: String,
    /// The order, client, CNPJ/CPF, city and product columns, as text.
    searched: Vec<String>,
}

impl FilterSql {
    fn new(c: &Columns, uf: &str) -> Self {
        let cp = "carteira_principal";
        let mut searched: Vec<String> = ["num_pedido", "raz_social_red", "cnpj_cpf"]
            .iter()
            .map(|n| c.text(cp, n))
            .collect();
        searched.extend(present(c, &["nome_cidade", "municipio"]));
        searched.extend(
            ["cod_produto", "nome_produto"]
                .iter()
                .map(|n| c.text(cp, n)),
        );
        Self {
            uf: uf.to_string(),
            searched,
        }
    }

    /// Appends ` AND num_pedido IN (the orders with a line meeting every term of the filter)`
    /// to `query`, binding the terms' values; nothing for an empty filter.
    pub(super) fn push(&self, query: &mut QueryBuilder<'_, Postgres>, filter: &OrderFilter) {
        let terms = filter_terms(filter);
        if terms.is_empty() {
            return;
        }
        query.push(" AND num_pedido IN (SELECT num_pedido FROM carteira_principal WHERE ");
        for (i, term) in terms.into_iter().enumerate() {
            if i > 0 {
                query.push(" AND ");
            }
            match term {
                FilterTerm::Vendedor(v) => {
                    query.push("vendedor = ").push_bind(v);
                }
                FilterTerm::Equipe(v) => {
                    query.push("equipe_vendas = ").push_bind(v);
                }
                FilterTerm::Uf(v) => {
                    query.push(format!("{} = ", self.uf)).push_bind(v);
                }
                FilterTerm::Busca(pattern) => self.push_search(query, &pattern),
            }
        }
        query.push(")");
    }

    /// Any searched column matching `pattern`, case-insensitively.
    fn push_search(&self, query: &mut QueryBuilder<'_, Postgres>, pattern: &str) {
        query.push("(");
        for (i, column) in self.searched.iter().enumerate() {
            if i > 0 {
                query.push(" OR ");
            }
            query
                .push(format!("{column} ILIKE "))
                .push_bind(pattern.to_string())
                .push(" ESCAPE '\\'");
        }
        query.push(")");
    }
}

/// The active code links.
fn links(c: &Columns) -> String {
    let ue = "unificacao_codigos";
    format!(
        "SELECT {o}, {d} FROM unificacao_codigos \
         WHERE COALESCE(ativo, TRUE) AND codigo_origem IS NOT NULL AND codigo_destino IS NOT NULL",
        o = c.text(ue, "codigo_origem"),
        d = c.text(ue, "codigo_destino"),
    )
}

/// The codes are the last parameter: $1 for the stock (which does not depend on the day), $2
/// for the dated reads ($1 is today there).
fn per_code(filtered: bool, param: &str) -> String {
    if filtered {
        format!("cod_produto = ANY({param})")
    } else {
        "cod_produto IS NOT NULL".to_string()
    }
}

fn stock(c: &Columns, filtered: bool) -> String {
    format!(
        "SELECT {cod}, SUM({q}) FROM movimentacao_estoque \
         WHERE COALESCE(ativo, TRUE) AND {f} GROUP BY 1",
        cod = c.text("movimentacao_estoque", "cod_produto"),
        q = c.decimal("movimentacao_estoque", "qtd_movimentacao", 3),
        f = per_code(filtered, "$1"),
    )
}

fn outflows(c: &Columns, filtered: bool) -> String {
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
}

fn inflows(c: &Columns, filtered: bool) -> String {
    format!(
        "SELECT {cod}, {d}, SUM({q}) FROM programacao_producao \
         WHERE data_programacao >= $1 AND qtd_programada IS NOT NULL AND {f} GROUP BY 1, 2",
        cod = c.text("programacao_producao", "cod_produto"),
        d = c.date("programacao_producao", "data_programacao"),
        q = c.decimal("programacao_producao", "qtd_programada", 3),
        f = per_code(filtered, "$2"),
    )
}

/// One row per open order, as the page lists it ([`SummaryRow`]), up to the condition of the
/// open lines.
fn order_summaries(c: &Columns, open: &str, uf: &str, qty: &str, preco: &str) -> String {
    let cp = "carteira_principal";
    let city = either(c, &["nome_cidade", "municipio"]);
    let max = |column: &str| format!("MAX({})", c.text(cp, column));
    let min_date = |column: &str| format!("MIN({})", c.date(cp, column));
    let columns = select_list(&[
        (c.text(cp, "num_pedido"), "num_pedido"),
        (max("raz_social_red"), "cliente"),
        (max("cnpj_cpf"), "cnpj_cpf"),
        (format!("MAX({city})"), "cidade"),
        (format!("MAX({uf})"), "uf"),
        (max("vendedor"), "vendedor"),
        (max("equipe_vendas"), "equipe"),
        (min_date("data_pedido"), "data_pedido"),
        (min_date("expedicao"), "expedicao"),
        (min_date("agendamento"), "agendamento"),
        (format!("SUM({qty} * COALESCE({preco}, 0))"), "valor"),
        ("COUNT(*)".to_string(), "linhas"),
    ]);
    format!("SELECT {columns} FROM carteira_principal WHERE {open}")
}
