//! Builders for engine tests: `Book::new("2026-03-02").stock("A", "100").order("P1", |o| o.line("A", "10"))`.
#![allow(dead_code)]

use chrono::NaiveDate;
use ruptura_engine::{CodeLink, DatedQty, OrderLine, Snapshot};
use rust_decimal::Decimal;

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("bad decimal {s}"))
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| panic!("bad date {s}"))
}

/// A snapshot under construction, with day offsets relative to `today`.
pub struct Book {
    pub today: NaiveDate,
    pub snapshot: Snapshot,
    next_id: i64,
}

pub struct OrderBuilder<'b> {
    book: &'b mut Book,
    num: String,
    expedicao: Option<NaiveDate>,
    data_pedido: Option<NaiveDate>,
}

impl Book {
    pub fn new(today: &str) -> Self {
        Self {
            today: date(today),
            snapshot: Snapshot::default(),
            next_id: 1,
        }
    }

    pub fn day(&self, offset: i64) -> NaiveDate {
        self.today + chrono::Duration::days(offset)
    }

    pub fn stock(mut self, code: &str, qty: &str) -> Self {
        self.snapshot.stock.push((code.into(), dec(qty)));
        self
    }

    /// A committed outflow on day `offset` (negative: overdue).
    pub fn out(mut self, code: &str, offset: i64, qty: &str) -> Self {
        let d = self.day(offset);
        self.snapshot
            .outflows
            .push(DatedQty::new(code, Some(d), dec(qty)));
        self
    }

    pub fn out_undated(mut self, code: &str, qty: &str) -> Self {
        self.snapshot
            .outflows
            .push(DatedQty::new(code, None, dec(qty)));
        self
    }

    /// Production on day `offset` (negative: in the past, ignored).
    pub fn prod(mut self, code: &str, offset: i64, qty: &str) -> Self {
        let d = self.day(offset);
        self.snapshot
            .inflows
            .push(DatedQty::new(code, Some(d), dec(qty)));
        self
    }

    pub fn link(mut self, a: &str, b: &str) -> Self {
        self.snapshot.links.push(CodeLink::new(a, b));
        self
    }

    pub fn order(
        mut self,
        num: &str,
        f: impl FnOnce(OrderBuilder<'_>) -> OrderBuilder<'_>,
    ) -> Self {
        f(OrderBuilder {
            book: &mut self,
            num: num.into(),
            expedicao: None,
            data_pedido: None,
        });
        self
    }

    pub fn build(self) -> Snapshot {
        self.snapshot
    }
}

impl<'b> OrderBuilder<'b> {
    pub fn shipping(mut self, offset: i64) -> Self {
        self.expedicao = Some(self.book.day(offset));
        self
    }

    pub fn ordered(mut self, offset: i64) -> Self {
        self.data_pedido = Some(self.book.day(offset));
        self
    }

    /// A line of `qty` of `code` at price 10.
    pub fn line(self, code: &str, qty: &str) -> Self {
        self.priced(code, qty, Some("10"))
    }

    pub fn priced(self, code: &str, qty: &str, price: Option<&str>) -> Self {
        let id = self.book.next_id;
        self.line_with_id(id, code, qty, price)
    }

    pub fn line_with_id(self, id: i64, code: &str, qty: &str, price: Option<&str>) -> Self {
        self.book.next_id = self.book.next_id.max(id + 1);
        self.book.snapshot.lines.push(OrderLine {
            id,
            num_pedido: self.num.as_str().into(),
            cod_produto: code.into(),
            nome_produto: format!("Produto {code}").into(),
            qtd: dec(qty),
            preco: price.map(dec),
            expedicao: self.expedicao,
            data_pedido: self.data_pedido,
        });
        self
    }
}
