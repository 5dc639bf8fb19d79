//! A batch's results held compactly: the JSON of each result, one after the other, deflated
//! together (a batch of ~20 orders compresses several times better than each order alone).
//! Packed on the batch's thread ([`pack`] is the job's [`ruptura_app::BatchEncoder`]) and
//! unpacked on each read.

use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use ruptura_app::wire::Resultado;

/// The results' JSON, as `[raw length: u32 LE][deflate stream]`.
pub(super) struct PackedBatch {
    bytes: Box<[u8]>,
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

impl PackedBatch {
    /// What [`pack`] made.
    pub(super) fn new(packed: Vec<u8>) -> Self {
        Self {
            bytes: packed.into_boxed_slice(),
        }
    }

    /// Bytes held.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Bytes of the results' JSON, unpacked.
    pub(super) fn raw_len(&self) -> usize {
        self.bytes
            .first_chunk::<4>()
            .map_or(0, |b| u32::from_le_bytes(*b) as usize)
    }

    /// The results' JSON, one after the other, as [`pack`] serialized them.
    pub(super) fn json(&self) -> Vec<u8> {
        let mut json = Vec::with_capacity(self.raw_len());
        if let Some(stream) = self.bytes.get(4..) {
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
    fn an_empty_batch_packs_to_nothing_to_read() {
        let packed = PackedBatch::new(pack(&[]));
        assert!(packed.results().is_empty());
        assert!(PackedBatch::new(Vec::new()).results().is_empty());
    }
}
