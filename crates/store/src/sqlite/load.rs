//! The load of one analysis on SQLite: the open lines of the selection, the code links, and the
//! stock, outflows and inflows of the codes involved, in one read transaction. Order numbers,
//! codes and names are interned as rows are read: one shared string per distinct value.

use super::*;

const LINE_COLUMNS: &str = "id, num_pedido, cod_produto, nome_produto, qtd_saldo_produto_pedido, \
                            preco_produto_pedido, expedicao, data_pedido";

/// What a load reads of the codes involved.
struct Flows {
    stock: Vec<(Arc<str>, Decimal)>,
    outflows: Vec<DatedQty>,
    inflows: Vec<DatedQty>,
}

pub(super) fn load_snapshot(
    conn: &mut Connection,
    selection: &Selection,
    today: NaiveDate,
) -> Result<Loaded, StoreError> {
    // One read transaction: in WAL mode every read below sees the same snapshot.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let mut texts = Interners::default();
    let (lines, orders) = load_lines(&tx, selection, &mut texts)?;
    let links = read_all(
        &tx,
        "SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1",
        [],
        |r| {
            Ok(CodeLink::new(
                interned(r, 0, &mut texts.codes)?,
                interned(r, 1, &mut texts.codes)?,
            ))
        },
    )?;
    // The whole book needs every code; a subset needs the codes of its product groups.
    let codes = codes_to_load(selection, &links, &lines).map(json_array);
    let Flows {
        stock,
        outflows,
        inflows,
    } = load_flows(&tx, codes.as_deref(), today, &mut texts.codes)?;
    tx.commit()?;
    Ok(Loaded {
        snapshot: Snapshot {
            lines,
            stock,
            outflows,
            inflows,
            links,
        },
        orders,
    })
}

fn load_lines(
    tx: &Transaction<'_>,
    selection: &Selection,
    texts: &mut Interners,
) -> Result<(Vec<OrderLine>, Vec<String>), StoreError> {
    let line = |r: &rusqlite::Row<'_>| line_from_row(r, texts);
    let lines = match selection {
        Selection::Orders(orders) => read_all(
            tx,
            &format!(
                "SELECT {LINE_COLUMNS} FROM carteira_principal WHERE {OPEN} \
                 AND num_pedido IN (SELECT value FROM json_each(?1))"
            ),
            [json_array(orders)],
            line,
        )?,
        Selection::Book(filter) => {
            let open = Condition::open_lines_of(filter);
            let sql = format!(
                "SELECT {LINE_COLUMNS} FROM carteira_principal WHERE {}",
                open.sql()
            );
            read_all(tx, &sql, open.params(), line)?
        }
    };
    let orders = match selection {
        Selection::Orders(orders) => dedup(orders),
        Selection::Book(_) => sorted_orders(&lines),
    };
    Ok((lines, orders))
}

/// The stock, outflows (from `today` on; earlier and undated ones undated) and inflows (from
/// `today` on) of `codes` (a JSON array; `None`: every code).
fn load_flows(
    tx: &Transaction<'_>,
    codes: Option<&str>,
    today: NaiveDate,
    codes_interner: &mut Interner,
) -> Result<Flows, StoreError> {
    let code_filter = if codes.is_some() {
        "AND cod_produto IN (SELECT value FROM json_each(?2))"
    } else {
        ""
    };
    let today_param = today.format("%Y-%m-%d").to_string();
    let params: Vec<&dyn ToSql> = match &codes {
        Some(c) => vec![&today_param, c],
        None => vec![&today_param],
    };
    let stock_sql = format!(
        "SELECT cod_produto, SUM(qtd_movimentacao) FROM movimentacao_estoque \
         WHERE ativo = 1 AND ?1 IS NOT NULL {code_filter} GROUP BY cod_produto"
    );
    let out_sql = format!(
        "SELECT cod_produto, CASE WHEN expedicao IS NULL OR expedicao < ?1 THEN NULL ELSE expedicao END AS dia, \
         SUM(qtd_saldo) FROM separacao WHERE sincronizado_nf = 0 {code_filter} GROUP BY cod_produto, dia"
    );
    let in_sql = format!(
        "SELECT cod_produto, data_programacao, SUM(qtd_programada) FROM programacao_producao \
         WHERE data_programacao >= ?1 {code_filter} GROUP BY cod_produto, data_programacao"
    );
    Ok(Flows {
        stock: read_all(tx, &stock_sql, params.as_slice(), |r| {
            Ok((interned(r, 0, codes_interner)?, milli(r.get(1)?)))
        })?,
        outflows: read_all(tx, &out_sql, params.as_slice(), |r| {
            dated_qty(r, codes_interner)
        })?,
        inflows: read_all(tx, &in_sql, params.as_slice(), |r| {
            dated_qty(r, codes_interner)
        })?,
    })
}

/// Every row of `sql` with `params`, read by `row`.
fn read_all<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map(params, row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One line of [`LINE_COLUMNS`].
fn line_from_row(r: &rusqlite::Row<'_>, texts: &mut Interners) -> rusqlite::Result<OrderLine> {
    let (cod_produto, nome_produto) = texts.product(text(r, 2)?, text(r, 3)?);
    Ok(OrderLine {
        id: r.get(0)?,
        num_pedido: interned(r, 1, &mut texts.orders)?,
        cod_produto,
        nome_produto,
        qtd: milli(r.get(4)?),
        preco: r.get::<_, Option<i64>>(5)?.map(|c| Decimal::new(c, 2)),
        expedicao: date_col(r, 6)?,
        data_pedido: date_col(r, 7)?,
    })
}

/// Code (interned with `codes`), day (or none) and quantity in thousandths.
fn dated_qty(r: &rusqlite::Row<'_>, codes: &mut Interner) -> rusqlite::Result<DatedQty> {
    Ok(DatedQty::new(
        interned(r, 0, codes)?,
        date_col(r, 1)?,
        milli(r.get(2)?),
    ))
}

/// Text column `i` as the interned shared string: read in place, allocated only the first time
/// the value is seen.
fn interned(
    r: &rusqlite::Row<'_>,
    i: usize,
    interner: &mut Interner,
) -> rusqlite::Result<Arc<str>> {
    Ok(interner.intern(text(r, i)?))
}

/// Text column `i`, read in place (not copied into a `String`). Not text, or not UTF-8: the
/// error `Row::get::<String>` gives.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    use rusqlite::types::FromSqlError;
    let value = r.get_ref(i)?;
    value.as_str().map_err(|e| match e {
        FromSqlError::InvalidType => {
            let name = r
                .as_ref()
                .column_name(i)
                .map_or_else(|_| String::new(), str::to_string);
            rusqlite::Error::InvalidColumnType(i, name, value.data_type())
        }
        FromSqlError::Other(e) => {
            rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), e)
        }
        e => rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_column_read_in_place_fails_as_reading_a_string_does() {
        let conn = Connection::open_in_memory().expect("open");
        conn.query_row("SELECT 'A', 7, x'ff', NULL, CAST(x'ff' AS TEXT)", [], |r| {
            assert_eq!(text(r, 0)?, "A");
            for i in 1..5 {
                let in_place = text(r, i).expect_err("not text").to_string();
                let string = r.get::<_, String>(i).expect_err("not text").to_string();
                assert_eq!(in_place, string, "column {i}");
            }
            Ok(())
        })
        .expect("row");
    }
}
