//! Following one job's events on Redis: the stored events after a cursor, then the live ones,
//! until the final event.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use redis::{AsyncCommands, RedisResult};
use ruptura_jobs::{Counts, JobEvent};

use super::Inner;
use crate::conn::Backoff;

/// A follower of one job's events.
pub(super) struct EventCursor {
    pub(super) inner: Arc<Inner>,
    pub(super) id: String,
    /// The last event id handed out.
    pub(super) cursor: u64,
    pub(super) pending: VecDeque<JobEvent>,
    pub(super) finished: bool,
    /// Orders whose result this follower has handed out: a job recreated after Redis lost its
    /// data analyses them again, and the follower must not see them twice.
    pub(super) delivered: HashSet<String>,
    /// The highest running counts handed out: progress never goes backwards.
    pub(super) high: Option<Counts>,
    pub(super) backoff: Backoff,
}

impl EventCursor {
    pub(super) async fn next(&mut self) -> Option<JobEvent> {
        loop {
            if let Some(mut e) = self.pending.pop_front() {
                self.cursor = e.id();
                if let JobEvent::Lote {
                    resultados, counts, ..
                } = &mut e
                {
                    resultados.retain(|r| self.delivered.insert(r.num_pedido().to_string()));
                    let high = self.high.get_or_insert(*counts);
                    high.processados = high.processados.max(counts.processados);
                    high.erros = high.erros.max(counts.erros);
                    high.pedidos_ok = high.pedidos_ok.max(counts.pedidos_ok);
                    high.pedidos_com_ruptura =
                        high.pedidos_com_ruptura.max(counts.pedidos_com_ruptura);
                    *counts = *high;
                }
                let last = !matches!(e, JobEvent::Lote { .. });
                self.inner.remember_event(&self.id, self.cursor, last);
                if last {
                    self.finished = true;
                    self.pending.clear();
                }
                return Some(e);
            }
            if self.finished {
                return None;
            }
            match self.fetch().await {
                Ok(true) => self.backoff.reset(),
                Ok(false) => tokio::time::sleep(self.inner.config.poll_interval).await,
                Err(e) => {
                    let wait = self.backoff.next_delay();
                    tracing::warn!(job = %self.id, error = %e, "eventos: Redis indisponível; nova tentativa em {wait:?}");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Reads what follows the cursor; true when something was queued.
    async fn fetch(&mut self) -> RedisResult<bool> {
        let inner = &self.inner;
        let (state, base): (Option<String>, Option<u64>) = redis::cmd("HMGET")
            .arg(inner.keys.job(&self.id))
            .arg("estado")
            .arg("eventos_base")
            .query_async(&mut inner.conn())
            .await?;
        if state.is_none() {
            if inner.running_memo(&self.id) {
                // Lost from Redis: the watchdog recreates it.
                return Ok(false);
            }
            self.pending.push_back(JobEvent::Falhou {
                id: self.cursor + 1,
                message:
                    "o job se perdeu no Redis (expirou, ou o Redis reiniciou sem persistência); \
                          envie a análise de novo"
                        .into(),
            });
            return Ok(true);
        }
        let base = base.unwrap_or(0);
        // A cursor past anything a list can hold (a Last-Event-ID of 2^63 or more) is past the
        // end: nothing to replay, never a wrap to a negative index.
        let Ok(start) = isize::try_from(self.cursor.saturating_sub(base)) else {
            if state.as_deref() != Some("em_andamento") {
                self.finished = true;
                return Ok(true);
            }
            return Ok(false);
        };
        let raw: Vec<String> = inner
            .conn()
            .lrange(inner.keys.events(&self.id), start, start.saturating_add(49))
            .await?;
        if raw.is_empty() {
            // The state changes in the same script that appends the final event: a finished
            // job with nothing after the cursor has nothing more to send.
            if state.as_deref() != Some("em_andamento") {
                self.finished = true;
                return Ok(true);
            }
            return Ok(false);
        }
        for (i, text) in raw.iter().enumerate() {
            let event_id = base + start as u64 + i as u64 + 1;
            if let Some(e) = inner.render(&self.id, event_id, text).await? {
                self.pending.push_back(e);
            }
        }
        Ok(!self.pending.is_empty())
    }
}
