//! A batch's results held compactly: the JSON of each result, one after the other, deflated
//! together (a batch of ~20 orders compresses several times better than each order alone).
//! Packed on the batch's thread ([`pack`] is the job's [`ruptura_app::BatchEncoder`]) and
//! unpacked on each read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::sync::{Arc, Mutex};

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
///
/// With a file ([`Packs::in_file`]), each full chunk is written to a temporary file of the
/// job's own instead (made when the first chunk is full, so a job under a chunk never makes
/// one; deleted when the job is forgotten), and a reader reads its batch back from there: a
/// job keeps in memory only the chunk being filled, whatever the size of the book.
#[derive(Default)]
pub(super) struct Packs {
    /// Full chunks, in memory or in the file.
    sealed: Vec<Chunk>,
    /// The chunk being filled (never grown past its capacity: nothing points into it).
    open: Vec<u8>,
    /// Whether full chunks go to a file, and the file once made.
    file: Option<ChunkFile>,
}

/// A full chunk of [`Packs`].
enum Chunk {
    /// In memory, shared with the readers.
    Held(Arc<[u8]>),
    /// In the file, `len` bytes at `offset`.
    Filed { offset: u64, len: usize },
}

impl Chunk {
    fn len(&self) -> usize {
        match self {
            Chunk::Held(bytes) => bytes.len(),
            Chunk::Filed { len, .. } => *len,
        }
    }
}

/// The temporary file of [`Packs::in_file`]: made with the first full chunk; its chunks are
/// the [`Chunk::Filed`] ones, one after the other.
#[derive(Default)]
struct ChunkFile {
    file: Option<Mutex<File>>,
    /// The file could not be made or written: the job's later chunks stay in memory (the ones
    /// written are still read from it).
    failed: bool,
}

/// Where a batch's packed bytes are in [`Packs`].
#[derive(Clone)]
pub(super) struct PackedAt {
    chunk: usize,
    range: Range<usize>,
}

impl Packs {
    /// Packs whose full chunks go to a temporary file (see [`Packs`]).
    pub(super) fn in_file() -> Self {
        Self {
            file: Some(ChunkFile::default()),
            ..Self::default()
        }
    }

    /// Keeps what [`pack`] made; returns where it is.
    pub(super) fn push(&mut self, packed: &[u8]) -> PackedAt {
        if self.open.len() + packed.len() > self.open.capacity() {
            self.close_open(true);
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
    /// It goes to the file if the job has one already.
    pub(super) fn seal(&mut self) {
        self.close_open(false);
    }

    /// The chunk being filled, if it holds anything, becomes a full chunk: written at the end
    /// of the file (made first if `make` and there is none yet), or held in memory: without a
    /// file, or when the file cannot be made or written (said in the log once; the job's later
    /// chunks stay in memory).
    fn close_open(&mut self, make: bool) {
        if self.open.is_empty() {
            return;
        }
        let full = std::mem::take(&mut self.open);
        let chunk = self.file_or_hold(full, make);
        self.sealed.push(chunk);
    }

    /// Bytes in the file: where the next chunk goes.
    fn filed(&self) -> u64 {
        let filed = self.sealed.iter().map(|c| match c {
            Chunk::Filed { len, .. } => *len as u64,
            Chunk::Held(_) => 0,
        });
        filed.sum()
    }

    fn file_or_hold(&mut self, full: Vec<u8>, make: bool) -> Chunk {
        let offset = self.filed();
        if let Some(spill) = self.file.as_mut().filter(|f| !f.failed) {
            if spill.file.is_none() && make {
                match tempfile::tempfile() {
                    Ok(f) => spill.file = Some(Mutex::new(f)),
                    Err(e) => {
                        tracing::warn!(error = %e, "arquivo temporário dos resultados de um job não criado: ficam na memória");
                        spill.failed = true;
                    }
                }
            }
            if let Some(file) = &spill.file {
                let written = {
                    let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                    f.seek(SeekFrom::Start(offset))
                        .and_then(|_| f.write_all(&full))
                };
                match written {
                    Ok(()) => {
                        return Chunk::Filed {
                            offset,
                            len: full.len(),
                        };
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "resultados de um job não gravados no arquivo temporário: ficam na memória");
                        spill.failed = true;
                    }
                }
            }
        }
        Chunk::Held(Arc::from(full))
    }

    /// Bytes packed: the full chunks, wherever they are, and the one being filled at its
    /// capacity (what the budget of finished jobs counts).
    pub(super) fn bytes(&self) -> usize {
        self.sealed.iter().map(Chunk::len).sum::<usize>() + self.open.capacity()
    }

    /// Bytes in memory: [`bytes`](Self::bytes) without the chunks in the file.
    pub(super) fn in_memory(&self) -> usize {
        self.bytes() - self.filed() as usize
    }

    /// The batch at `at`: shares a full chunk in memory, reads it from the file, copies it out
    /// of the chunk being filled.
    pub(super) fn get(&self, at: &PackedAt) -> PackedBatch {
        match self.sealed.get(at.chunk) {
            Some(Chunk::Held(chunk)) => PackedBatch {
                chunk: Arc::clone(chunk),
                range: at.range.clone(),
            },
            Some(Chunk::Filed { offset, .. }) => {
                let file = self.file.as_ref().and_then(|f| f.file.as_ref());
                let mut bytes = vec![0; at.range.len()];
                let read = file.map(|file| {
                    let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                    f.seek(SeekFrom::Start(offset + at.range.start as u64))
                        .and_then(|_| f.read_exact(&mut bytes))
                });
                match read {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "resultados de um lote ilegíveis no arquivo temporário");
                        bytes.clear();
                    }
                    None => bytes.clear(),
                }
                PackedBatch::new(bytes)
            }
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
        chunks_read_back(Packs::default());
    }

    #[test]
    fn chunks_in_a_file_read_back_the_same_and_leave_nothing_in_memory() {
        let packs = chunks_read_back(Packs::in_file());
        assert_eq!(packs.in_memory(), 0, "every chunk in the file");
        assert_eq!(packs.filed(), packs.bytes() as u64);
        let on_disk = packs.file.as_ref().and_then(|f| f.file.as_ref());
        let on_disk = on_disk.map(|f| f.lock().expect("file").metadata().expect("size").len());
        assert_eq!(
            on_disk,
            Some(packs.bytes() as u64),
            "the file holds every chunk"
        );
    }

    #[test]
    fn a_job_under_a_chunk_makes_no_file() {
        let mut packs = Packs::in_file();
        let at = packs.push(&[7; 9_000]);
        packs.seal();
        assert!(packs.file.as_ref().is_some_and(|f| f.file.is_none()));
        assert_eq!(packs.in_memory(), 9_000);
        assert_eq!(packs.get(&at).bytes(), &[7; 9_000][..]);
    }

    /// Fills `packs` with batches over several chunks, checks every batch reads back the same
    /// while the job runs and once sealed, and returns them sealed.
    fn chunks_read_back(mut packs: Packs) -> Packs {
        let in_file = packs.file.is_some();
        // Packed batches of different sizes, one larger than a chunk: several chunks.
        let sizes = [
            8_000, 300_000, 900_000, 5, 1_500_000, 700_000, 12_000, 400_000,
        ];
        let batches: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(b, &n)| (0..n).map(|i| (i * 7 + b * 13) as u8).collect())
            .collect();
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
        if !in_file {
            assert_eq!(packs.in_memory(), packs.bytes());
        }

        // Results read back through a chunk as packed.
        let results: Vec<Resultado> = (0..20)
            .map(|i| Resultado::erro(&format!("P{i}"), "pedido não encontrado"))
            .collect();
        let at = packs.push(&pack(&results));
        assert_eq!(packs.get(&at).results(), results);
        packs.seal();
        assert_eq!(packs.get(&at).results(), results);
        packs
    }

    #[test]
    fn an_empty_batch_packs_to_nothing_to_read() {
        let packed = PackedBatch::new(pack(&[]));
        assert!(packed.results().is_empty());
        assert!(PackedBatch::new(Vec::new()).results().is_empty());
    }
}
