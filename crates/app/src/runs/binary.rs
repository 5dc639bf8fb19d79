//! The stored form of a run (format 2): a compact binary encoding of [`RunData`], written in
//! one pass and read back exactly.
//!
//! Layout: the magic `RUPX`, the format version (varint), then a table of every distinct
//! string (order numbers excepted: each appears once), then the body, where every string is
//! its index in the table. Integers are LEB128 varints (signed ones zigzag-encoded); a date is
//! its day number from 1970-01-01, zigzag-encoded, plus one (0: none). Quantities stay integer thousandths and
//! money integer cents, as in the document, so the round trip is exact.

use chrono::NaiveDate;
use foldhash::HashMap;

use super::record::{GroupRec, OrderGroup, OrderRec, RunData};

/// The first bytes of a run in this format.
pub const MAGIC: &[u8; 4] = b"RUPX";

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

#[derive(Default)]
struct Writer {
    body: Vec<u8>,
    strings: Vec<Box<str>>,
    index: HashMap<Box<str>, u64>,
}

impl Writer {
    fn u(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.body.push(byte);
                return;
            }
            self.body.push(byte | 0x80);
        }
    }

    fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    fn s(&mut self, s: &str) {
        let i = match self.index.get(s) {
            Some(&i) => i,
            None => {
                let i = self.strings.len() as u64;
                self.strings.push(s.into());
                self.index.insert(s.into(), i);
                i
            }
        };
        self.u(i);
    }

    fn opt_s(&mut self, s: Option<&str>) {
        match s {
            None => self.u(0),
            Some(s) => {
                self.u(1);
                self.s(s);
            }
        }
    }

    fn date(&mut self, d: Option<NaiveDate>) {
        match d {
            None => self.u(0),
            Some(d) => {
                let days = (d - epoch()).num_days();
                self.u(((days << 1) ^ (days >> 63)) as u64 + 1);
            }
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.u(b.len() as u64);
        self.body.extend_from_slice(b);
    }

    fn order(&mut self, o: &OrderRec) {
        self.bytes(o.num_pedido.as_bytes());
        self.s(&o.criticidade);
        self.u(u64::from(o.pedido_ok));
        self.opt_s(o.total.as_deref());
        self.i(o.valor_com_ruptura);
        self.opt_s(o.prazo.as_deref());
        self.u(o.grupos.len() as u64);
        for g in &o.grupos {
            self.s(&g.grupo);
            self.s(&g.cod_produto);
            self.i(g.qtd);
            self.i(g.falta);
            self.date(g.data);
            self.i(g.visto);
        }
    }

    fn group(&mut self, g: &GroupRec) {
        self.s(&g.grupo);
        self.i(g.estoque);
        self.i(g.menor_estoque);
        self.u(g.saidas.len() as u64);
        for (d, q) in &g.saidas {
            self.date(*d);
            self.i(*q);
        }
        self.u(g.entradas.len() as u64);
        for (d, q) in &g.entradas {
            self.date(Some(*d));
            self.i(*q);
        }
    }
}

/// The orders of a run encoded as they come, instead of kept as records: each order's bytes in
/// one buffer, the strings in one table, and where each order's bytes start. A whole-book run
/// keeps about 10 bytes an order line this way, a tenth of its records.
/// [`OrderArena::finish`] writes the document, orders sorted by number.
#[derive(Default)]
pub struct OrderArena {
    w: Writer,
    /// Each order's number and the end of its bytes in `w.body` (it starts where the one
    /// before ends).
    ends: Vec<(Box<str>, usize)>,
}

impl OrderArena {
    /// Adds one order's record.
    pub fn push(&mut self, o: &OrderRec) {
        self.w.order(o);
        self.ends
            .push((o.num_pedido.as_str().into(), self.w.body.len()));
    }

    /// Orders added.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no order was added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The document in format 2: these orders sorted by number (of an order added twice, the
    /// later one kept), then `grupos`.
    pub fn finish(self, v: u32, data_base: Option<NaiveDate>, grupos: &[GroupRec]) -> Vec<u8> {
        let OrderArena { w, ends } = self;
        let Writer {
            body: arena,
            strings,
            index,
        } = w;
        let mut spans: Vec<(Box<str>, usize, usize)> = Vec::with_capacity(ends.len());
        let mut start = 0;
        for (num, end) in ends {
            spans.push((num, start, end));
            start = end;
        }
        // Stable, so that of an order added twice the later one comes last, and is kept.
        spans.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Box<str>, usize, usize)> = Vec::with_capacity(spans.len());
        for span in spans {
            match kept.last_mut() {
                Some(last) if last.0 == span.0 => *last = span,
                _ => kept.push(span),
            }
        }
        let flows: usize = grupos
            .iter()
            .map(|g| g.saidas.len() + g.entradas.len())
            .sum();
        let mut w = Writer {
            body: Vec::with_capacity(arena.len() + 16 + grupos.len() * 16 + flows * 8),
            strings,
            index,
        };
        w.date(data_base);
        w.u(kept.len() as u64);
        for (_, start, end) in &kept {
            w.body.extend_from_slice(&arena[*start..*end]);
        }
        drop(arena);
        w.u(grupos.len() as u64);
        for g in grupos {
            w.group(g);
        }
        let Writer { body, strings, .. } = w;
        let mut head = Writer::default();
        head.body.extend_from_slice(MAGIC);
        head.u(u64::from(v));
        head.u(strings.len() as u64);
        for s in &strings {
            head.bytes(s.as_bytes());
        }
        let mut out = head.body;
        out.reserve_exact(body.len());
        out.extend_from_slice(&body);
        out
    }
}

/// `data` in format 2.
pub fn encode(data: &RunData) -> Vec<u8> {
    let mut orders = OrderArena::default();
    for o in &data.pedidos {
        orders.push(o);
    }
    orders.finish(data.v, data.data_base, &data.grupos)
}

struct Reader<'b> {
    buf: &'b [u8],
    at: usize,
    strings: Vec<String>,
}

type R<T> = Result<T, String>;

impl Reader<'_> {
    fn u(&mut self) -> R<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.at).ok_or("fim inesperado")?;
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("inteiro longo demais".into())
    }

    fn i(&mut self) -> R<i64> {
        let v = self.u()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn len(&mut self) -> R<usize> {
        let n = usize::try_from(self.u()?).map_err(|e| e.to_string())?;
        // Every element takes at least one byte: a larger count is a damaged document.
        if n > self.buf.len() - self.at.min(self.buf.len()) {
            return Err("contagem maior que o documento".into());
        }
        Ok(n)
    }

    fn bytes(&mut self) -> R<String> {
        let n = self.len()?;
        let s = std::str::from_utf8(&self.buf[self.at..self.at + n]).map_err(|e| e.to_string())?;
        self.at += n;
        Ok(s.to_string())
    }

    fn s(&mut self) -> R<String> {
        let i = self.u()?;
        usize::try_from(i)
            .ok()
            .and_then(|i| self.strings.get(i))
            .cloned()
            .ok_or_else(|| format!("texto {i} fora da tabela"))
    }

    fn opt_s(&mut self) -> R<Option<String>> {
        match self.u()? {
            0 => Ok(None),
            _ => self.s().map(Some),
        }
    }

    fn date(&mut self) -> R<Option<NaiveDate>> {
        match self.u()? {
            0 => Ok(None),
            v => epoch()
                .checked_add_signed(
                    chrono::Duration::try_days((((v - 1) >> 1) as i64) ^ -(((v - 1) & 1) as i64))
                        .ok_or("data inválida")?,
                )
                .map(Some)
                .ok_or_else(|| "data inválida".to_string()),
        }
    }
}

/// Reads a run written by [`encode`] (the caller has checked [`MAGIC`]).
pub fn decode(buf: &[u8]) -> R<RunData> {
    let mut r = Reader {
        buf,
        at: MAGIC.len(),
        strings: Vec::new(),
    };
    let v = u32::try_from(r.u()?).map_err(|e| e.to_string())?;
    let n = r.len()?;
    r.strings.reserve(n);
    for _ in 0..n {
        let s = r.bytes()?;
        r.strings.push(s);
    }
    let data_base = r.date()?;
    let n = r.len()?;
    let mut pedidos = Vec::with_capacity(n);
    for _ in 0..n {
        let num_pedido = r.bytes()?;
        let criticidade = r.s()?;
        let pedido_ok = r.u()? != 0;
        let total = r.opt_s()?;
        let valor_com_ruptura = r.i()?;
        let prazo = r.opt_s()?;
        let k = r.len()?;
        let mut grupos = Vec::with_capacity(k);
        for _ in 0..k {
            grupos.push(OrderGroup {
                grupo: r.s()?,
                cod_produto: r.s()?,
                qtd: r.i()?,
                falta: r.i()?,
                data: r.date()?,
                visto: r.i()?,
            });
        }
        pedidos.push(OrderRec {
            num_pedido,
            criticidade,
            pedido_ok,
            total,
            valor_com_ruptura,
            prazo,
            grupos,
        });
    }
    let n = r.len()?;
    let mut grupos = Vec::with_capacity(n);
    for _ in 0..n {
        let grupo = r.s()?;
        let estoque = r.i()?;
        let menor_estoque = r.i()?;
        let k = r.len()?;
        let mut saidas = Vec::with_capacity(k);
        for _ in 0..k {
            saidas.push((r.date()?, r.i()?));
        }
        let k = r.len()?;
        let mut entradas = Vec::with_capacity(k);
        for _ in 0..k {
            let d = r.date()?.ok_or("produção sem data")?;
            entradas.push((d, r.i()?));
        }
        grupos.push(GroupRec {
            grupo,
            estoque,
            menor_estoque,
            saidas,
            entradas,
        });
    }
    if r.at != buf.len() {
        return Err("bytes sobrando depois do documento".into());
    }
    Ok(RunData {
        v,
        data_base,
        pedidos,
        grupos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RunData {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        RunData {
            v: 2,
            data_base: Some(d(2026, 3, 2)),
            // Sorted by number, as a run's orders are.
            pedidos: vec![
                OrderRec {
                    num_pedido: "P2".into(),
                    criticidade: "ERRO".into(),
                    pedido_ok: false,
                    total: None,
                    valor_com_ruptura: 0,
                    prazo: None,
                    grupos: Vec::new(),
                },
                OrderRec {
                    num_pedido: "P3".into(),
                    criticidade: "OK".into(),
                    pedido_ok: true,
                    total: Some("agora".into()),
                    valor_com_ruptura: i64::MIN,
                    prazo: Some("no_prazo".into()),
                    grupos: vec![OrderGroup {
                        grupo: "4000218".into(),
                        cod_produto: "4000218".into(),
                        qtd: i64::MAX,
                        falta: 0,
                        data: Some(d(1969, 12, 31)),
                        visto: 0,
                    }],
                },
                OrderRec {
                    num_pedido: "PÉ-1".into(),
                    criticidade: "CRITICA".into(),
                    pedido_ok: false,
                    total: Some("2026-03-09".into()),
                    valor_com_ruptura: 1_234_567,
                    prazo: Some("atrasado".into()),
                    grupos: vec![OrderGroup {
                        grupo: "4000218".into(),
                        cod_produto: "4000219".into(),
                        qtd: 120_000,
                        falta: 15_500,
                        data: None,
                        visto: -3_000_000_000,
                    }],
                },
            ],
            grupos: vec![GroupRec {
                grupo: "4000218".into(),
                estoque: -5,
                menor_estoque: i64::MIN,
                saidas: vec![(None, 50_000), (Some(d(2026, 3, 4)), -1)],
                entradas: vec![(d(2026, 3, 12), 7_000)],
            }],
        }
    }

    #[test]
    fn a_run_reads_back_exactly() {
        let data = sample();
        let bytes = encode(&data);
        assert!(bytes.starts_with(MAGIC));
        assert_eq!(decode(&bytes), Ok(data.clone()));
        assert_eq!(RunData::decode(&data.encode().expect("encode")), Ok(data));
        assert_eq!(decode(&encode(&RunData::default())), Ok(RunData::default()));
    }

    #[test]
    fn runs_recorded_as_json_still_read() {
        let mut data = sample();
        data.v = 1;
        let old = data.encode_json().expect("json");
        assert_eq!(RunData::decode(&old), Ok(data));
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        let mut newer = sample();
        newer.v = FORMAT_VERSION_AFTER;
        assert!(RunData::decode(&encode(&newer)).is_err_and(|e| e.contains("versão mais nova")));
    }

    /// Orders pushed as batches finish (any order, one done again) read back sorted by number,
    /// the later of an order pushed twice kept: what the document of the records sorted holds.
    #[test]
    fn orders_pushed_in_any_order_read_back_sorted() {
        let data = sample();
        let mut redone = data.pedidos[0].clone();
        redone.criticidade = "ALTA".into();
        let mut arena = OrderArena::default();
        for o in [
            &data.pedidos[2],
            &data.pedidos[0],
            &data.pedidos[1],
            &redone,
        ] {
            arena.push(o);
        }
        assert_eq!(arena.len(), 4);
        let bytes = arena.finish(data.v, data.data_base, &data.grupos);
        let mut want = data.clone();
        want.pedidos.sort_by(|a, b| a.num_pedido.cmp(&b.num_pedido));
        let at = want
            .pedidos
            .iter()
            .position(|o| o.num_pedido == redone.num_pedido);
        want.pedidos[at.expect("redone order")] = redone;
        assert_eq!(decode(&bytes), Ok(want));
    }

    const FORMAT_VERSION_AFTER: u32 = super::super::FORMAT_VERSION + 1;
}
