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

/// Orders past which a list is read like the book: its lines and their codes' flows cover most
/// of the database's pages, each read once (a whole-book job lists every open order).
const SCAN_ORDERS: usize = 5_000;

/// Whether loading `selection` is a scan, done with the small page cache (see
/// [`SCAN_CACHE_KIB`]): the book, filtered or not, or a list of more than [`SCAN_ORDERS`]
/// orders. Left at the large cache, each connection that served such a load would keep up to
/// 64 MB of pages no later read asks for.
pub(super) fn is_scan(selection: &Selection) -> bool {
    match selection {
        Selection::Orders(orders) => orders.len() > SCAN_ORDERS,
        Selection::Book(_) => true,
    }
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
    let links = load_links(&tx, &mut texts.codes)?;
    // The whole book needs every code; a subset needs the codes of its product groups.
    let codes = codes_to_load(selection, &links, &lines).map(json_array);
    let flows = load_flows(&tx, codes.as_deref(), today, &mut texts.codes)?;
    tx.commit()?;
    Ok(loaded(lines, links, flows, orders))
}

/// The whole book (every code's flows, whatever its lines) read on two connections at once:
/// the open lines and links on `conn`, the stock and flows on `other`, each on its own thread,
/// from the same snapshot of the database. When a write commits between the start of the two
/// read transactions (so they would not see the same data), everything is read on `conn`.
pub(super) fn load_book_split(
    conn: &mut Connection,
    other: &mut Connection,
    selection: &Selection,
    today: NaiveDate,
) -> Result<Loaded, StoreError> {
    // A small page cache while scanning (see SCAN_CACHE_KIB), the usual one after.
    with_scan_cache(conn, |conn| {
        with_scan_cache(other, |other| {
            load_book_split_in(conn, other, selection, today, || {})
        })
    })
}

/// [`load_book_split`], with `between` called between the starts of the two read transactions
/// (tests commit a write there).
fn load_book_split_in(
    conn: &mut Connection,
    other: &mut Connection,
    selection: &Selection,
    today: NaiveDate,
    between: impl FnOnce(),
) -> Result<Loaded, StoreError> {
    let version = |c: &Connection| -> rusqlite::Result<i64> {
        c.query_row("PRAGMA data_version", [], |r| r.get(0))
    };
    // `PRAGMA data_version` changes when another connection committed since this one last
    // looked. Read by `other` before `conn` starts its read transaction and again as `other`
    // starts its own: unchanged, nothing was committed between the two starts, and both see
    // the same data. (Inside an open transaction, the pragma is what starts the read.)
    let before = version(other)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    version(&tx)?;
    between();
    other.execute_batch("BEGIN DEFERRED")?;
    if version(other)? != before {
        other.execute_batch("ROLLBACK")?;
        drop(tx);
        return load_snapshot(conn, selection, today);
    }
    let (read, flows) = std::thread::scope(|s| {
        let flows = s.spawn(move || {
            let flows = load_flows(other, None, today, &mut Interner::new())?;
            other.execute_batch("COMMIT")?;
            Ok::<_, StoreError>(flows)
        });
        let read = (|| {
            let mut texts = Interners::default();
            let (lines, orders) = load_lines(&tx, selection, &mut texts)?;
            let links = load_links(&tx, &mut texts.codes)?;
            Ok::<_, StoreError>((lines, orders, links))
        })();
        let flows = flows.join().unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "a leitura do estoque e dos fluxos parou".to_string(),
            ))
        });
        (read, flows)
    });
    let ((lines, orders, links), flows) = (read?, flows?);
    tx.commit()?;
    Ok(loaded(lines, links, flows, orders))
}

fn loaded(
    lines: Vec<OrderLine>,
    links: Vec<CodeLink>,
    flows: Flows,
    orders: Vec<String>,
) -> Loaded {
    let Flows {
        stock,
        outflows,
        inflows,
    } = flows;
    Loaded {
        snapshot: Snapshot {
            lines,
            stock,
            outflows,
            inflows,
            links,
        },
        orders,
    }
}

fn load_links(conn: &Connection, codes: &mut Interner) -> Result<Vec<CodeLink>, StoreError> {
    read_all(
        conn,
        "SELECT codigo_origem, codigo_destino FROM unificacao_codigos WHERE ativo = 1",
        [],
        |r| {
            Ok(CodeLink::new(
                interned(r, 0, codes)?,
                interned(r, 1, codes)?,
            ))
        },
    )
}

fn load_lines(
    tx: &Connection,
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
    tx: &Connection,
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
    tx: &Connection,
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

    #[test]
    fn the_book_and_long_lists_are_read_as_scans_short_lists_are_not() {
        let list = |n: usize| Selection::Orders((0..n).map(|i| format!("P{i}")).collect());
        assert!(is_scan(&Selection::Book(OrderFilter::default())));
        assert!(is_scan(&Selection::Book(OrderFilter {
            vendedor: Some("Ana".into()),
            ..OrderFilter::default()
        })));
        assert!(is_scan(&list(SCAN_ORDERS + 1)));
        // A page's orders, or the 1,000 of one request, keep the large cache.
        assert!(!is_scan(&list(SCAN_ORDERS)));
        assert!(!is_scan(&list(1_000)));
    }

    /// A database file with the schema, two stock movements and one open line.
    fn book(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("r.db");
        let mut conn = SqliteStore::connect(&Target::File(path.clone())).expect("open");
        migrate(&mut conn).expect("migrate");
        conn.execute_batch(
            "INSERT INTO carteira_principal (id, num_pedido, cod_produto, nome_produto, \
             qtd_saldo_produto_pedido) VALUES (1, 'P1', 'A', 'Produto A', 5000);
             INSERT INTO movimentacao_estoque (cod_produto, qtd_movimentacao) VALUES ('A', 2000), ('A', 1000);",
        )
        .expect("rows");
        path
    }

    fn stock_of(loaded: &Loaded) -> Vec<(String, Decimal)> {
        let stock = &loaded.snapshot.stock;
        stock.iter().map(|(c, q)| (c.to_string(), *q)).collect()
    }

    #[test]
    fn the_split_load_reads_what_the_single_one_reads() {
        let dir = tempfile::tempdir().expect("dir");
        let target = Target::File(book(dir.path()));
        let (mut a, mut b) = (
            SqliteStore::connect(&target).expect("a"),
            SqliteStore::connect(&target).expect("b"),
        );
        let whole = Selection::Book(OrderFilter::default());
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let split = load_book_split(&mut a, &mut b, &whole, today).expect("split");
        let single = load_snapshot(&mut a, &whole, today).expect("single");
        assert_eq!(split.snapshot, single.snapshot);
        assert_eq!(split.orders, vec!["P1".to_string()]);
        assert_eq!(
            stock_of(&split),
            vec![("A".to_string(), Decimal::new(3, 0))]
        );
        // Both connections are back out of their transactions.
        assert!(a.is_autocommit() && b.is_autocommit());
    }

    #[test]
    fn a_write_between_the_two_starts_is_read_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("dir");
        let target = Target::File(book(dir.path()));
        let connect = || SqliteStore::connect(&target).expect("connect");
        let (mut a, mut b, writer) = (connect(), connect(), connect());
        let whole = Selection::Book(OrderFilter::default());
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        // One transaction adds an order and the stock for it: a load sees both or neither.
        let loaded = load_book_split_in(&mut a, &mut b, &whole, today, || {
            writer
                .execute_batch(
                    "BEGIN;
                     INSERT INTO carteira_principal (id, num_pedido, cod_produto, nome_produto, \
                     qtd_saldo_produto_pedido) VALUES (2, 'P2', 'A', 'Produto A', 1000);
                     INSERT INTO movimentacao_estoque (cod_produto, qtd_movimentacao) VALUES ('A', 1000);
                     COMMIT;",
                )
                .expect("write");
        })
        .expect("load");
        assert_eq!(loaded.orders, vec!["P1".to_string(), "P2".to_string()]);
        assert_eq!(
            stock_of(&loaded),
            vec![("A".to_string(), Decimal::new(4, 0))]
        );
        assert!(a.is_autocommit() && b.is_autocommit());
    }

    /// What the split load relies on: inside an open transaction, `PRAGMA data_version` starts
    /// the read (a later commit is not seen), and it moves when another connection committed
    /// since this one last read it.
    #[test]
    fn data_version_starts_the_read_and_sees_commits_between() {
        let dir = tempfile::tempdir().expect("dir");
        let target = Target::File(book(dir.path()));
        let connect = || SqliteStore::connect(&target).expect("connect");
        let (a, b, writer) = (connect(), connect(), connect());
        let version = |c: &Connection| -> i64 {
            c.query_row("PRAGMA data_version", [], |r| r.get(0))
                .expect("version")
        };
        let stock = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT SUM(qtd_movimentacao) FROM movimentacao_estoque",
                [],
                |r| r.get(0),
            )
            .expect("sum")
        };
        let before = version(&b);
        a.execute_batch("BEGIN DEFERRED").expect("begin");
        version(&a);
        writer
            .execute("INSERT INTO movimentacao_estoque (cod_produto, qtd_movimentacao) VALUES ('A', 500)", [])
            .expect("write");
        assert_eq!(stock(&a), 3000, "the read started at the pragma");
        a.execute_batch("COMMIT").expect("commit");
        b.execute_batch("BEGIN DEFERRED").expect("begin");
        assert_ne!(version(&b), before, "a commit in between moves the version");
        assert_eq!(stock(&b), 3500);
        b.execute_batch("COMMIT").expect("commit");
        // Nothing committed in between: the version stays.
        let again = version(&b);
        assert_eq!(version(&b), again);
    }
}
