//! What a store lets its callers keep between requests, and how they know it is still true.
//!
//! [`Store::fingerprint`](crate::Store::fingerprint) answers a value that changes whenever any
//! data a load reads may have changed; [`Memo`] keeps a few values computed from a load, keyed
//! by the caller on that fingerprint (and on whatever else shaped them). A value is only found
//! again while the fingerprint is the same, so it is never stale:
//!
//! - **SQLite**: `PRAGMA data_version` on a connection of its own that never writes. Its value
//!   changes whenever any other connection, of this process or another, commits to the file
//!   (SQLite documents it for exactly this; a commit on the same connection would not change
//!   it, which is why that connection never writes). With it: the number of that connection
//!   (a new one is opened when the file at the path is another file) and the file's device,
//!   inode, size and modification time, so a file replaced or copied over is seen too. An
//!   in-memory database has no fingerprint: nothing is kept.
//! - **PostgreSQL** (Ruptura's layout and the old system's, which is only read): the current
//!   snapshot (`pg_current_snapshot()`: xmin, xmax and the transactions in progress), with the
//!   database's oid and the server's start time. Every write commits a transaction id, and a
//!   commit after a snapshot was taken makes every later snapshot different (its id is then
//!   either at or past the old `xmax`, or no longer in progress), so two equal fingerprints mean
//!   that no transaction committed in between: the rows read are the same. Any write to the
//!   cluster changes it, so it errs on the side of recomputing; no trigger is needed.
//!
//! The fingerprint is read before the data is loaded: a value computed from a load is kept under
//! the fingerprint read just before it, and the data it saw is at least as new as that
//! fingerprint. Were it newer, something committed in between, so the fingerprint had already
//! changed and nobody reads that entry again.

use std::any::Any;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

/// Values kept by a [`Memo`] at most (the least recently used goes first).
pub const MEMO_ENTRIES: usize = 2;

/// A value kept by a [`Memo`].
pub type MemoValue = Arc<dyn Any + Send + Sync>;

/// A few values computed from a store's data, each under a key that holds the store's
/// [fingerprint](crate::Store::fingerprint) of the data it was computed from. Bounded to
/// [`MEMO_ENTRIES`].
#[derive(Default)]
pub struct Memo {
    entries: Mutex<VecDeque<(String, MemoValue)>>,
    hits: AtomicU64,
    unread_hits: AtomicU64,
    misses: AtomicU64,
}

/// How a [`Memo`] has done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoStats {
    /// Uses that found a value.
    pub hits: u64,
    /// Of those, the ones that did not even read the data (the fingerprint was the same).
    pub unread_hits: u64,
    /// Uses that found none.
    pub misses: u64,
    /// Values kept now.
    pub entries: usize,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Memo {
    /// The value kept under `key` (not counted: see [`Memo::count`]).
    pub fn get(&self, key: &str) -> Option<MemoValue> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let i = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(i)?;
        let value = Arc::clone(&entry.1);
        entries.push_front(entry);
        Some(value)
    }

    /// The first value kept for which `found` holds (not counted).
    pub fn find(&self, found: impl Fn(&str, &MemoValue) -> bool) -> Option<MemoValue> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|(k, v)| found(k, v))
            .map(|(_, v)| Arc::clone(v))
    }

    /// Keeps `value` under `key`, dropping the least recently used beyond [`MEMO_ENTRIES`].
    pub fn put(&self, key: String, value: MemoValue) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(k, v)| *k != key && !Arc::ptr_eq(v, &value));
        entries.push_front((key, value));
        entries.truncate(MEMO_ENTRIES);
    }

    /// Counts one use: a value found without reading the data (`unread`), a value found after
    /// reading it (the data was the same), or none found.
    pub fn count(&self, found: bool, unread: bool) {
        let counter = match (found, unread) {
            (true, true) => &self.unread_hits,
            (true, false) => &self.hits,
            (false, _) => &self.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> MemoStats {
        let unread = self.unread_hits.load(Ordering::Relaxed);
        MemoStats {
            hits: self.hits.load(Ordering::Relaxed) + unread,
            unread_hits: unread,
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.entries.lock().map_or(0, |e| e.len()),
        }
    }
}

/// Numbers the watching connections of this process, so two of them never share a fingerprint.
static WATCHERS: AtomicU64 = AtomicU64::new(0);

/// The SQLite side: one read-only connection that never writes, kept open to ask
/// `PRAGMA data_version`.
#[derive(Debug, Default)]
pub(crate) struct SqliteWatch {
    conn: Mutex<Option<Watcher>>,
}

#[derive(Debug)]
struct Watcher {
    conn: Connection,
    number: u64,
    file: (u64, u64),
}

/// Device, inode, size and modification time (ns) of the file at `path`.
fn file_identity(path: &Path) -> Option<(u64, u64, u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    #[cfg(unix)]
    let (dev, ino) = {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let (dev, ino) = (0, 0);
    Some((dev, ino, meta.len(), mtime))
}

impl SqliteWatch {
    /// The fingerprint of the file at `path`; `None` when it cannot be read (nothing is kept).
    pub(crate) fn fingerprint(&self, path: &PathBuf) -> Option<String> {
        let mut slot = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let (dev, ino, size, mtime) = file_identity(path)?;
        if slot.as_ref().is_none_or(|w| w.file != (dev, ino)) {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .ok()?;
            let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
            *slot = Some(Watcher {
                conn,
                number: WATCHERS.fetch_add(1, Ordering::Relaxed),
                file: (dev, ino),
            });
        }
        let w = slot.as_ref()?;
        match w
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
        {
            Ok(version) => Some(format!(
                "sqlite:{}:{dev}:{ino}:{size}:{mtime}:{version}",
                w.number
            )),
            Err(e) => {
                tracing::debug!(error = %e, "data_version ilegível: nada é guardado");
                *slot = None;
                None
            }
        }
    }
}

/// The PostgreSQL side: one query, no table read.
pub(crate) const PG_FINGERPRINT: &str = "SELECT pg_current_snapshot()::text || '/' || \
     (SELECT oid FROM pg_database WHERE datname = current_database())::text || '/' || \
     pg_postmaster_start_time()::text";
