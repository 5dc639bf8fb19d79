//! A batch's results held compactly: the JSON of each result, one after the other, deflated
//! together (a batch of ~20 orders compresses several times better than each order alone).
//! Packed on the batch's thread ([`pack`] is the job's [`ruptura_app::BatchEncoder`]) and
//! unpacked on each read.

use std::io::{Read, Write};
use std::ops::Range;
use std::sync::Arc;

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use ruptura_app::wire::Resultado;

/// The results' JSON, as `[raw length: u32 LE][deflate stream]`: `range` of a chunk of
/// [`Packs`] (or of bytes of its own).
#[derive(Clone)]
pub(super) struct PackedBatch {
    chunk: Arc<[u8]>,
    range: Range<usize>,
}

/// About how many bytes of packed batches a chunk of [`Packs`] holds.
const CHUNK: usize = 1 << 20;

/// A job's packed batches, one after the other in chunks of about [`CHUNK`] bytes: a few large
/// allocations, not thousands of small ones (a batch of 20 orders packs to ~8 KB) made among
/// the run's short-lived memory, where each would keep a page resident after the rest of it is
/// freed. At 100,000 orders, what a finished job kept resident went from about twice its
/// packed bytes to about its packed bytes.
#[derive(Default)]
pub(super) struct Packs {
    /// Full chunks, shared with the readers.
    sealed: Vec<Arc<[u8]>>,
    /// The chunk being filled (never grown past its capacity: nothing points into it).
    open: Vec<u8>,
}

/// Where a batch's packed bytes are in [`Packs`].
#[derive(Clone)]
pub(super) struct PackedAt {
    chunk: usize,
    range: Range<usize>,
}

impl Packs {
    /// Keeps what [`pack`] made; returns where it is.
    pub(super) fn push(&mut self, packed: &[u8]) -> PackedAt {
        if self.open.len() + packed.len() > self.open.capacity() {
            self.seal();
            self.open = Vec::with_capacity(CHUNK.max(packed.len()));
        }
        let start = self.open.len();
        self.open.extend_from_slice(packed);
        PackedAt {
            chunk: self.sealed.len(),
            range: start..self.open.len(),
        }
    }

    /// Closes the chunk being filled (at its length: a finished job keeps no spare capacity).
    pub(super) fn seal(&mut self) {
        if !self.open.is_empty() {
            let full = std::mem::take(&mut self.open);
            self.sealed.push(Arc::from(full));
        }
    }

    /// Bytes held: the full chunks, and the one being filled at its capacity.
    pub(super) fn bytes(&self) -> usize {
        self.sealed.iter().map(|c| c.len()).sum::<usize>() + self.open.capacity()
    }

    /// The batch at `at`: shares a full chunk, copies out of the one being filled.
    pub(super) fn get(&self, at: &PackedAt) -> PackedBatch {
        match self.sealed.get(at.chunk) {
            Some(chunk) => PackedBatch {
                chunk: Arc::clone(chunk),
                range: at.range.clone(),
            },
            None => PackedBatch::new(self.open.get(at.range.clone()).unwrap_or_default().to_vec()),
        }
    }
}

/// Fast deflate. On the 100,000 orders of `generate scale10` (zlib-rs, batches of 20), level 1
/// shrinks the JSON 3.9x in 0.67 s, level 2 5.1x in 1.08 s, the default level 6 6.5x in 2.5 s:
/// level 2 takes most of the gain for a fraction of the time.
const LEVEL: Compression = Compression::new(2);

/// Serializes `results` one after the other and deflates them together.
pub(super) fn pack(results: &[Resultado]) -> Vec<u8> {
    let mut json = Vec::with_capacity(results.len() * 1600);
    for r in results {
        // A plain struct serializes into a Vec without error.
        let _ = serde_json::to_writer(&mut json, r);
    }
    let raw_len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    let mut head = Vec::with_capacity(json.len() / 4 + 64);
    head.extend_from_slice(&raw_len.to_le_bytes());
    let mut out = DeflateEncoder::new(head, LEVEL);
    // Writing into a Vec cannot fail.
    let _ = out.write_all(&json);
    out.finish().unwrap_or_default()
}

/// Bytes of the results' JSON that `packed` (made by [`pack`]) holds.
pub(super) fn raw_len(packed: &[u8]) -> usize {
    packed
        .first_chunk::<4>()
        .map_or(0, |b| u32::from_le_bytes(*b) as usize)
}

impl PackedBatch {
    /// What [`pack`] made.
    pub(super) fn new(packed: Vec<u8>) -> Self {
        let range = 0..packed.len();
        Self {
            chunk: Arc::from(packed),
            range,
        }
    }

    fn bytes(&self) -> &[u8] {
        self.chunk.get(self.range.clone()).unwrap_or_default()
    }

    /// Bytes held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.range.len()
    }

    /// Bytes of the results' JSON, unpacked.
    pub(super) fn raw_len(&self) -> usize {
        raw_len(self.bytes())
    }

    /// The results' JSON, one after the other, as [`pack`] serialized them.
    pub(super) fn json(&self) -> Vec<u8> {
        let mut json = Vec::with_capacity(self.raw_len());
        if let Some(stream) = self.bytes().get(4..) {
            if let Err(e) = DeflateDecoder::new(stream).read_to_end(&mut json) {
                tracing::error!(error = %e, "resultados de um lote ilegíveis");
                json.clear();
            }
        }
        json
    }

    /// The results, in the order they were packed.
    pub(super) fn results(&self) -> Vec<Resultado> {
        let json = self.json();
        let mut results = Vec::new();
        for r in serde_json::Deserializer::from_slice(&json).into_iter::<Resultado>() {
            match r {
                Ok(r) => results.push(r),
                Err(e) => {
                    tracing::error!(error = %e, "resultado de um lote ilegível");
                    break;
                }
            }
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_the_same_json() {
        let results: Vec<Resultado> = (0..20)
            .map(|i| Resultado::erro(&format!("P{i}"), "pedido não encontrado"))
            .collect();
        let packed = PackedBatch::new(pack(&results));
        let raw: Vec<u8> = results
            .iter()
            .flat_map(|r| serde_json::to_vec(r).expect("json"))
            .collect();
        assert_eq!(packed.json(), raw);
        assert_eq!(packed.raw_len(), raw.len());
        assert!(
            packed.len() < raw.len() / 4,
            "{} of {}",
            packed.len(),
            raw.len()
        );
        assert_eq!(packed.results(), results);
    }

    #[test]
    fn batches_kept_in_chunks_read_back_the_same_before_and_after_sealing() {
        // Packed batches of different sizes, one larger than a chunk: several chunks.
        let sizes = [
            8_000, 300_000, 900_000, 5, 1_500_000, 700_000, 12_000, 400_000,
        ];
        let batches: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(b, &n)| (0..n).map(|i| (i * 7 + b * 13) as u8).collect())
            .collect();
        let mut packs = Packs::default();
        let mut at = Vec::new();
        for (b, bytes) in batches.iter().enumerate() {
            at.push(packs.push(bytes));
            // Readable while the job runs, the chunk being filled included.
            for (a, bytes) in at.iter().zip(&batches).take(b + 1) {
                assert_eq!(packs.get(a).bytes(), &bytes[..]);
            }
        }
        assert!(packs.sealed.len() >= 3, "{} chunks", packs.sealed.len());
        packs.seal();
        assert!(packs.open.is_empty() && packs.open.capacity() == 0);
        for (a, bytes) in at.iter().zip(&batches) {
            assert_eq!(packs.get(a).bytes(), &bytes[..]);
        }
        assert_eq!(
            packs.bytes(),
            sizes.iter().sum::<usize>(),
            "no spare bytes once sealed"
        );

        // Results read back through a chunk as packed.
        let results: Vec<Resultado> = (0..20)
            .map(|i| Resultado::erro(&format!("P{i}"), "pedido não encontrado"))
            .collect();
        let at = packs.push(&pack(&results));
        assert_eq!(packs.get(&at).results(), results);
        packs.seal();
        assert_eq!(packs.get(&at).results(), results);
    }

    #[test]
    fn an_empty_batch_packs_to_nothing_to_read() {
        let packed = PackedBatch::new(pack(&[]));
        assert!(packed.results().is_empty());
        assert!(PackedBatch::new(Vec::new()).results().is_empty());
    }
}
