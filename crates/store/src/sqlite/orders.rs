//! The order list of the page on SQLite: the orders matching a filter, a sorted page of order
//! summaries, one order's shipping state and the filter menus.

use super::*;

pub(super) fn order_numbers(
    conn: &Connection,
    filter: &OrderFilter,
) -> Result<Vec<String>, StoreError> {
    let open = Condition::open_lines_of(filter);
    let sql = format!(
        "SELECT DISTINCT num_pedido FROM carteira_principal WHERE {} ORDER BY num_pedido",
        open.sql()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(open.params(), |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

pub(super) fn list_orders(
    conn: &mut Connection,
    query: &OrderQuery,
) -> Result<OrderPage, StoreError> {
    let mut open = Condition::open_lines_of(&query.filter);
    let count_sql = format!(
        "SELECT COUNT(DISTINCT num_pedido) FROM carteira_principal WHERE {}",
        open.sql()
    );
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let total: i64 = tx
        .prepare_cached(&count_sql)?
        .query_row(open.params(), |r| r.get(0))?;
    let order_by = sort_column(query.sort);
    let dir = if query.descending { "DESC" } else { "ASC" };
    let limit = open.bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
    let offset = open.bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
    // Value in 1e-5 units (thousandths x cents), summed exactly as integers.
    let sql = format!(
        "SELECT num_pedido, MAX(raz_social_red) AS cliente, MAX(cnpj_cpf), MAX(nome_cidade) AS cidade, MAX(cod_uf), \
         MAX(vendedor) AS vendedor, MAX(equipe_vendas), MIN(data_pedido) AS data_pedido, \
         MIN(expedicao) AS expedicao, MIN(agendamento), \
         SUM(qtd_saldo_produto_pedido * COALESCE(preco_produto_pedido, 0)) AS valor, COUNT(*) AS linhas \
         FROM carteira_principal WHERE {} GROUP BY num_pedido \
         ORDER BY {order_by} IS NULL, {order_by} {dir}, num_pedido {dir} LIMIT {limit} OFFSET {offset}",
        open.sql()
    );
    let orders = {
        let mut stmt = tx.prepare_cached(&sql)?;
        let rows = stmt.query_map(open.params(), summary_from_row)?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    tx.commit()?;
    Ok(OrderPage {
        total: usize::try_from(total).unwrap_or(0),
        orders,
    })
}

/// One row of the order list's query.
fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderSummary> {
    Ok(OrderSummary {
        num_pedido: r.get(0)?,
        raz_social_red: r.get(1)?,
        cnpj_cpf: r.get(2)?,
        nome_cidade: r.get(3)?,
        cod_uf: r.get(4)?,
        vendedor: r.get(5)?,
        equipe_vendas: r.get(6)?,
        data_pedido: date_col(r, 7)?,
        expedicao: date_col(r, 8)?,
        agendamento: date_col(r, 9)?,
        valor_total: Decimal::new(r.get(10)?, 5),
        linhas: usize::try_from(r.get::<_, i64>(11)?).unwrap_or(0),
    })
}

pub(super) fn order_shipment(
    conn: &Connection,
    num_pedido: &str,
) -> Result<Option<OrderShipment>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT COUNT(*), MIN(expedicao), EXISTS(SELECT 1 FROM separacao \
         WHERE num_pedido = ?1 AND COALESCE(sincronizado_nf, 0) = 0) \
         FROM carteira_principal WHERE num_pedido = ?1",
    )?;
    let row = stmt.query_row([num_pedido], |r| {
        Ok((r.get::<_, i64>(0)?, date_col(r, 1)?, r.get::<_, bool>(2)?))
    })?;
    Ok(match row {
        (0, _, _) => None,
        (_, expedicao, tem_separacao) => Some(OrderShipment {
            expedicao,
            tem_separacao,
        }),
    })
}

pub(super) fn facets(conn: &mut Connection) -> Result<Facets, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let mut lists = Vec::new();
    for col in ["vendedor", "equipe_vendas", "cod_uf"] {
        let sql = format!(
            "SELECT DISTINCT {col} FROM carteira_principal WHERE {OPEN} AND {col} IS NOT NULL AND {col} <> '' ORDER BY {col}"
        );
        let mut stmt = tx.prepare_cached(&sql)?;
        lists.push(
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?,
        );
    }
    drop(tx);
    Ok(facets_of(lists))
}
