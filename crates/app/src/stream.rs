//! Streaming the results of a run: batches finish in any order, but output follows the order
//! of the request. [`Streamed`] hands each batch on as soon as every batch before it has been
//! handed on, holding only the few that finished early; [`JsonStream`] writes the
//! `{"resultados": {...}, "estatisticas": {...}}` object of the batch API batch by batch, so
//! that a whole-book run keeps no more than a few batches of results in memory.

use std::collections::BTreeMap;
use std::io::Write;

use crate::run::{members, Batch, Observer};
use crate::wire::Estatisticas;

/// An observer that passes each batch to `sink` in request order (batch 0, 1, 2, ...), as soon
/// as it and all batches before it have finished. Batches that finish early wait in a small
/// buffer (a run has at most `max_workers` batches in flight, so the buffer stays that small).
pub struct Streamed<S> {
    sink: S,
    next: usize,
    early: BTreeMap<usize, Batch>,
}

/// What receives the batches of a [`Streamed`] observer, in request order.
pub trait InOrderSink {
    /// Called once, after the snapshot is loaded (see [`Observer::started`]).
    fn started(&mut self, _orders: &[String], _batches: usize) {}
    /// The next batch in request order.
    fn batch(&mut self, batch: Batch);
}

impl<S: InOrderSink> Streamed<S> {
    pub fn new(sink: S) -> Self {
        Self {
            sink,
            next: 0,
            early: BTreeMap::new(),
        }
    }

    /// The sink, once the run is over.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// The sink, during the run.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Batches that finished before an earlier one and wait for it (a measure of the buffer).
    pub fn waiting(&self) -> usize {
        self.early.len()
    }
}

impl<S: InOrderSink> Observer for Streamed<S> {
    fn started(&mut self, orders: &[String], batches: usize) {
        self.sink.started(orders, batches);
    }

    fn batch(&mut self, batch: Batch) {
        if batch.index != self.next {
            self.early.insert(batch.index, batch);
            return;
        }
        self.sink.batch(batch);
        self.next += 1;
        while let Some(batch) = self.early.remove(&self.next) {
            self.sink.batch(batch);
            self.next += 1;
        }
    }
}

/// Writes the JSON of a run to `out` as it goes: `{"resultados":{` once the run has started,
/// each batch's members in request order, and `},"estatisticas":...}` in [`Self::finish`].
/// Use it inside [`Streamed`], with [`crate::RunOptions::json`] so that each batch is
/// serialized on the thread that analysed it. The first write error is kept and returned by
/// [`Self::finish`]; nothing more is written after it.
pub struct JsonStream<W: Write> {
    out: W,
    opened: bool,
    first: bool,
    error: Option<std::io::Error>,
}

impl<W: Write> JsonStream<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            opened: false,
            first: true,
            error: None,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    fn open(&mut self) {
        if !self.opened {
            self.opened = true;
            self.write(b"{\"resultados\":{");
        }
    }

    /// Closes the object with the statistics, flushes, and gives the writer back.
    pub fn finish(mut self, stats: &Estatisticas) -> std::io::Result<W> {
        self.open();
        self.write(b"},\"estatisticas\":");
        if self.error.is_none() {
            if let Err(e) = serde_json::to_writer(&mut self.out, stats) {
                self.error = Some(e.into());
            }
        }
        self.write(b"}\n");
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> InOrderSink for JsonStream<W> {
    fn started(&mut self, _orders: &[String], _batches: usize) {
        self.open();
    }

    fn batch(&mut self, batch: Batch) {
        self.open();
        let json = match batch.json {
            Some(json) => json,
            None => members(&batch.results),
        };
        if json.is_empty() {
            return;
        }
        if !self.first {
            self.write(b",");
        }
        self.first = false;
        self.write(&json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Resultado;

    fn batch(index: usize, nums: &[&str]) -> Batch {
        Batch {
            index,
            results: nums.iter().map(|n| Resultado::erro(n, "x")).collect(),
            json: None,
            valores: Default::default(),
            produtos: Default::default(),
            records: None,
            encoded: None,
        }
    }

    #[derive(Default)]
    struct Seen(Vec<usize>);

    impl InOrderSink for Seen {
        fn batch(&mut self, batch: Batch) {
            self.0.push(batch.index);
        }
    }

    #[test]
    fn batches_come_out_in_request_order_holding_only_the_early_ones() {
        let mut s = Streamed::new(Seen::default());
        s.started(&[], 5);
        s.batch(batch(2, &["c"]));
        s.batch(batch(1, &["b"]));
        assert_eq!(s.waiting(), 2);
        assert!(s.sink_mut().0.is_empty());
        s.batch(batch(0, &["a"]));
        assert_eq!(s.waiting(), 0);
        s.batch(batch(4, &["e"]));
        s.batch(batch(3, &["d"]));
        assert_eq!(s.into_sink().0, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn json_stream_writes_one_object_in_request_order() {
        let mut s = Streamed::new(JsonStream::new(Vec::new()));
        s.started(&[], 3);
        s.batch(batch(1, &["B"]));
        s.batch(batch(2, &[]));
        s.batch(batch(0, &["A1", "A2"]));
        let stats = Estatisticas::new(3);
        let out = s.into_sink().finish(&stats).expect("written");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        let keys: Vec<&String> = v["resultados"]
            .as_object()
            .expect("object")
            .keys()
            .collect();
        assert_eq!(keys.len(), 3);
        assert_eq!(v["resultados"]["A2"]["success"], false);
        assert_eq!(v["estatisticas"]["total_pedidos"], 3);
        let text = String::from_utf8(out).expect("utf-8");
        let at = |k: &str| text.find(&format!("\"{k}\":")).expect("key written");
        assert!(
            at("A1") < at("A2") && at("A2") < at("B"),
            "request order: {text}"
        );
    }
}
