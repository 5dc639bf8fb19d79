//! The stored form of a run (format 2): a compact binary encoding of [`RunData`], written in
//! one pass and read back exactly.
//!
//! Layout: the magic `RUPX`, the format version (varint), then a table of every distinct
//! string (order numbers excepted: each appears once), then the body, where every string is
//! its index in the table. Integers are LEB128 varints (signed ones zigzag-encoded); a date is
//! its day number from 1970-01-01, zigzag-encoded, plus one (0: none). Quantities stay integer thousandths and
//! money integer cents, as in the document, so the round trip is exact.

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};

use super::record::{GroupRec, OrderGroup, OrderRec, RunData};

/// The first bytes of a run in this format.
pub const MAGIC: &[u8; 4] = b"RUPX";

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

#[derive(Default)]
struct Writer<'a> {
    body: Vec<u8>,
    strings: Vec<&'a str>,
    index: HashMap<&'a str, u64>,
}

impl<'a> Writer<'a> {
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

    fn s(&mut self, s: &'a str) {
        let next = self.strings.len() as u64;
        let i = *self.index.entry(s).or_insert(next);
        if i == next {
            self.strings.push(s);
        }
        self.u(i);
    }

    fn opt_s(&mut self, s: Option<&'a str>) {
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
}

/// `data` in format 2.
pub fn encode(data: &RunData) -> Vec<u8> {
    // Room for what a run usually takes, so the buffer is not grown and copied as it fills.
    let order_groups: usize = data.pedidos.iter().map(|o| o.grupos.len()).sum();
    let flows: usize = data
        .grupos
        .iter()
        .map(|g| g.saidas.len() + g.entradas.len())
        .sum();
    let mut w = Writer {
        body: Vec::with_capacity(
            64 + data.pedidos.len() * 24 + order_groups * 16 + data.grupos.len() * 16 + flows * 8,
        ),
        strings: Vec::with_capacity(data.grupos.len() * 2 + 16),
        index: HashMap::with_capacity(data.grupos.len() * 2 + 16),
    };
    w.date(data.data_base);
    w.u(data.pedidos.len() as u64);
    for o in &data.pedidos {
        w.bytes(o.num_pedido.as_bytes());
        w.s(&o.criticidade);
        w.u(u64::from(o.pedido_ok));
        w.opt_s(o.total.as_deref());
        w.i(o.valor_com_ruptura);
        w.opt_s(o.prazo.as_deref());
        w.u(o.grupos.len() as u64);
        for g in &o.grupos {
            w.s(&g.grupo);
            w.s(&g.cod_produto);
            w.i(g.qtd);
            w.i(g.falta);
            w.date(g.data);
            w.i(g.visto);
        }
    }
    w.u(data.grupos.len() as u64);
    for g in &data.grupos {
        w.s(&g.grupo);
        w.i(g.estoque);
        w.i(g.menor_estoque);
        w.u(g.saidas.len() as u64);
        for (d, q) in &g.saidas {
            w.date(*d);
            w.i(*q);
        }
        w.u(g.entradas.len() as u64);
        for (d, q) in &g.entradas {
            w.date(Some(*d));
            w.i(*q);
        }
    }
    let Writer { body, strings, .. } = w;
    let mut head = Writer::default();
    head.body.extend_from_slice(MAGIC);
    head.u(u64::from(data.v));
    head.u(strings.len() as u64);
    for s in &strings {
        head.bytes(s.as_bytes());
    }
    let mut out = head.body;
    out.reserve_exact(body.len());
    out.extend_from_slice(&body);
    out
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
            pedidos: vec![
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

    const FORMAT_VERSION_AFTER: u32 = super::super::FORMAT_VERSION + 1;
}
