//! SQL building: the load queries written once for the layout found, and the binding of their
//! filter and code parameters.

use ruptura_engine::OrderLine;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};

use super::layout::Columns;
use crate::shared::like_pattern;
use crate::OrderFilter;

/// One order line as the line queries select it: id, order, code, name, quantity, price,
/// shipping date, order date (read by position: the selected expressions depend on the layout).
pub(super) struct LineRow(pub(super) OrderLine);

impl<'r> sqlx::FromRow<'r, PgRow> for LineRow {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self(OrderLine {
            id: row.try_get(0)?,
            num_pedido: row.try_get(1)?,
            cod_produto: row.try_get(2)?,
            nome_produto: row.try_get(3)?,
            qtd: row.try_get(4)?,
            preco: row.try_get(5)?,
            expedicao: row.try_get(6)?,
            data_pedido: row.try_get(7)?,
        }))
    }
}

/// Binds the filter of `filtered_orders`: $1 vendedor, $2 equipe_vendas, $3 UF, $4 pattern.
pub(super) fn bind_filter<'q, O>(
    query: sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments>,
    f: &OrderFilter,
) -> sqlx::query::QueryAs<'q, Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(f.vendedor.clone())
        .bind(f.equipe_vendas.clone())
        .bind(f.estado.clone())
        .bind(f.busca.as_deref().map(like_pattern))
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
    pub(super) lines_of_book: String,
    /// $1 vendedor, $2 equipe_vendas, $3 UF, $4 LIKE pattern (each NULL: no filter).
    pub(super) lines_filtered: String,
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
    /// Orders with a line matching the filter: $1 vendedor, $2 equipe_vendas, $3 UF, $4 LIKE
    /// pattern (each NULL: no filter).
    pub(super) filtered_orders: String,
    /// One row per open order, as the page lists it; `{filter}` is replaced by the filter
    /// condition or nothing.
    pub(super) order_summaries: String,
    /// The UF of a line, from whichever column holds it.
    pub(super) uf: String,
}

impl LoadSql {
    pub(super) fn new(c: &Columns) -> Self {
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
        let uf = either(c, &["cod_uf", "estado"]);
        let filtered_orders = filtered_orders(c, &uf);
        let order_summaries = order_summaries(c, &open, &uf, &qty, &preco);
        Self {
            lines_of_orders: format!("{line_select} AND num_pedido = ANY($1)"),
            lines_of_book: line_select.clone(),
            lines_filtered: format!("{line_select} AND num_pedido IN ({filtered_orders})"),
            links: links(c),
            stock_of: stock(c, true),
            stock_all: stock(c, false),
            outflows_of: outflows(c, true),
            outflows_all: outflows(c, false),
            inflows_of: inflows(c, true),
            inflows_all: inflows(c, false),
            open,
            filtered_orders,
            order_summaries,
            uf,
        }
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

/// Orders with a line matching the filter: $1 vendedor, $2 equipe_vendas, $3 UF, $4 LIKE
/// pattern, matched against the order, client, CNPJ/CPF, city and product columns.
fn filtered_orders(c: &Columns, uf: &str) -> String {
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
    let busca = searched
        .iter()
        .map(|col| format!("{col} ILIKE $4 ESCAPE '\\'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "SELECT num_pedido FROM carteira_principal WHERE \
         ($1::text IS NULL OR vendedor = $1) AND ($2::text IS NULL OR equipe_vendas = $2) \
         AND ($3::text IS NULL OR {uf} = $3) AND ($4::text IS NULL OR {busca})"
    )
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

/// One row per open order, as the page lists it; `{filter}` is replaced by the filter condition
/// or nothing.
fn order_summaries(c: &Columns, open: &str, uf: &str, qty: &str, preco: &str) -> String {
    let cp = "carteira_principal";
    let city = either(c, &["nome_cidade", "municipio"]);
    format!(
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
    )
}
