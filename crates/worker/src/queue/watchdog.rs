//! The watchdog: every `watchdog_interval` it looks at each running job, queues again the
//! batches that are neither counted nor on the stream (at most `max_requeues` times, then the
//! job fails), recreates a job whose keys vanished from the spec this server remembers, and
//! refreshes the TTL of every key of a running job.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Weak};

use redis::aio::ConnectionManager;
use redis::streams::StreamRangeReply;
use redis::{AsyncCommands, RedisResult};
use ruptura_jobs::JobSpec;
use tokio_util::sync::CancellationToken;

use super::{parse, Inner};
use crate::conn;
use crate::keys::Keys;
use crate::message::{field, ParamsDto};

/// Batches covered by messages on the stream, per job.
pub(super) async fn queued_batches(inner: &Inner) -> RedisResult<HashMap<String, HashSet<usize>>> {
    let mut conn = inner.conn();
    let stream = inner.keys.stream();
    let mut covered: HashMap<String, HashSet<usize>> = HashMap::new();
    let mut start = "-".to_string();
    loop {
        let page: StreamRangeReply = conn.xrange_count(&stream, &start, "+", 500).await?;
        let n = page.ids.len();
        for entry in &page.ids {
            let job: Option<String> = entry.get(field::JOB);
            let first: Option<usize> = entry
                .get::<String>(field::FIRST)
                .and_then(|s| s.parse().ok());
            let count: usize = entry
                .get::<String>(field::COUNT)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            if let (Some(job), Some(first)) = (job, first) {
                covered.entry(job).or_default().extend(first..first + count);
            }
        }
        match page.ids.last() {
            Some(last) if n == 500 => start = format!("({}", last.id),
            _ => break,
        }
    }
    Ok(covered)
}

pub(super) async fn watchdog(inner: Weak<Inner>, shutdown: CancellationToken) {
    // Jobs with batches found missing at the previous look.
    let mut suspects: HashMap<String, BTreeSet<usize>> = HashMap::new();
    loop {
        let interval = match inner.upgrade() {
            Some(i) => i.config.watchdog_interval,
            None => return,
        };
        if conn::sleep_or_cancel(interval, &shutdown).await {
            return;
        }
        let Some(inner) = inner.upgrade() else { return };
        if let Err(e) = watch_once(&inner, &mut suspects).await {
            tracing::warn!(error = %e, "vigia de jobs: Redis indisponível");
        }
    }
}

/// One look at every running job.
pub(super) async fn watch_once(
    inner: &Inner,
    suspects: &mut HashMap<String, BTreeSet<usize>>,
) -> RedisResult<()> {
    let mut conn = inner.conn();
    let k = &inner.keys;
    let ids = watched_jobs(inner, &mut conn).await?;
    if ids.is_empty() {
        suspects.clear();
        return Ok(());
    }
    // The stream first, then each job's counted batches: a batch committed in between is found
    // counted, so it never looks missing.
    let covered = queued_batches(inner).await?;
    for id in ids {
        let (state, total): (Option<String>, Option<usize>) = redis::cmd("HMGET")
            .arg(k.job(&id))
            .arg("estado")
            .arg("total_lotes")
            .query_async(&mut conn)
            .await?;
        match state.as_deref() {
            None => {
                suspects.remove(&id);
                recreate_vanished(inner, &mut conn, &id).await?;
            }
            Some("em_andamento") => {
                refresh_ttl(inner, &mut conn, &id).await?;
                let missing =
                    missing_batches(&mut conn, k, &id, total.unwrap_or(0), covered.get(&id))
                        .await?;
                if let Some(lost) = lost_twice(suspects, &id, missing) {
                    requeue(inner, &id, &lost).await?;
                }
            }
            Some(_) => {
                suspects.remove(&id);
                inner.memo().remove(&id);
                let _: () = conn.srem(k.jobs(), &id).await?;
            }
        }
    }
    Ok(())
}

/// The jobs to look at: those of the running set in Redis, and those this server remembers
/// unfinished (their keys may have vanished).
async fn watched_jobs(
    inner: &Inner,
    conn: &mut ConnectionManager,
) -> RedisResult<BTreeSet<String>> {
    let mut ids: BTreeSet<String> = conn
        .smembers::<_, HashSet<String>>(inner.keys.jobs())
        .await?
        .into_iter()
        .collect();
    {
        let mut memo = inner.memo();
        memo.retain(|_, m| !m.finished);
        ids.extend(memo.keys().cloned());
    }
    Ok(ids)
}

/// A job whose keys vanished from Redis: recreated from the spec this server remembers (at most
/// `max_requeues` times, then failed), or dropped from the running set when it remembers none.
async fn recreate_vanished(
    inner: &Inner,
    conn: &mut ConnectionManager,
    id: &str,
) -> RedisResult<()> {
    let memo = inner
        .memo()
        .get(id)
        .map(|m| (Arc::clone(&m.spec), m.events_seen, m.recreations));
    match memo {
        Some((spec, seen, recreations)) if recreations < inner.config.max_requeues => {
            tracing::warn!(job = %id, "as chaves do job sumiram do Redis (reiniciado sem persistência?): recriando e reenviando todos os lotes");
            inner.create(id, &spec, seen, true).await?;
            if let Some(m) = inner.memo().get_mut(id) {
                m.recreations += 1;
            }
        }
        Some((spec, seen, _)) => {
            tracing::error!(job = %id, "job perdido no Redis repetidamente: marcado como falhou");
            inner.create(id, &spec, seen, false).await?;
            inner
                .fail(
                    id,
                    "os dados do job se perderam no Redis repetidamente; envie a análise de novo",
                )
                .await?;
            inner.memo().remove(id);
        }
        None => {
            let _: () = conn.srem(inner.keys.jobs(), id).await?;
        }
    }
    Ok(())
}

/// Refreshes the TTL of every key of a running job.
async fn refresh_ttl(inner: &Inner, conn: &mut ConnectionManager, id: &str) -> RedisResult<()> {
    let ttl = inner.config.redis.ttl_secs() as i64;
    for key in inner.keys.job_keys(id) {
        let _: () = conn.expire(key, ttl).await?;
    }
    Ok(())
}

/// The batches of a running job (of `total`) neither counted done nor `queued` on the stream.
async fn missing_batches(
    conn: &mut ConnectionManager,
    k: &Keys,
    id: &str,
    total: usize,
    queued: Option<&HashSet<usize>>,
) -> RedisResult<BTreeSet<usize>> {
    let done: HashSet<usize> = conn
        .smembers::<_, HashSet<String>>(k.done(id))
        .await?
        .into_iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok((0..total)
        .filter(|i| !done.contains(i) && !queued.is_some_and(|q| q.contains(i)))
        .collect())
}

/// The batches of job `id` missing at this look and the previous one (then the job is no longer
/// a suspect), remembering what is missing now for the next look.
fn lost_twice(
    suspects: &mut HashMap<String, BTreeSet<usize>>,
    id: &str,
    missing: BTreeSet<usize>,
) -> Option<BTreeSet<usize>> {
    if missing.is_empty() {
        suspects.remove(id);
        return None;
    }
    let before = suspects.insert(id.to_string(), missing.clone())?;
    let lost: BTreeSet<usize> = missing.intersection(&before).copied().collect();
    if lost.is_empty() {
        return None;
    }
    suspects.remove(id);
    Some(lost)
}

/// Queues `lost` batches of a running job again, or fails the job past `max_requeues`.
pub(super) async fn requeue(inner: &Inner, id: &str, lost: &BTreeSet<usize>) -> RedisResult<()> {
    let mut conn = inner.conn();
    let k = &inner.keys;
    let requeues: u32 = conn.hincr(k.job(id), "reenvios", 1).await?;
    if requeues > inner.config.max_requeues {
        tracing::error!(job = %id, "lotes perdidos no Redis repetidamente: job marcado como falhou");
        return inner
            .fail(
                id,
                &format!(
                    "{} lote(s) se perderam da fila Redis {} vezes (Redis reiniciado sem persistência?); envie a análise de novo",
                    lost.len(),
                    requeues
                ),
            )
            .await;
    }
    let spec = match inner.memo().get(id) {
        Some(m) => Some(Arc::clone(&m.spec)),
        None => None,
    };
    let spec = match spec {
        Some(s) => s,
        None => {
            // Another server's job, or this server restarted: rebuild the spec from Redis.
            let (h, orders): (HashMap<String, String>, Vec<String>) = redis::pipe()
                .hgetall(k.job(id))
                .lrange(k.orders(id), 0, -1)
                .query_async(&mut conn)
                .await?;
            let params = h
                .get("params")
                .and_then(|p| ParamsDto::parse_params(p).ok());
            let Some(params) = params.filter(|_| !orders.is_empty()) else {
                return inner
                    .fail(id, "o job no Redis está incompleto (pedidos ou parâmetros ausentes); envie a análise de novo")
                    .await;
            };
            Arc::new(JobSpec {
                orders,
                params,
                batch_size: parse::<usize>(&h, "tamanho_lote").max(1),
                max_workers: 1,
                whole_book: parse::<u8>(&h, "registrar") == 1,
            })
        }
    };
    tracing::warn!(job = %id, lotes = ?lost, "lotes ausentes da fila e não concluídos: reenviando");
    conn::ensure_group(&mut conn, k).await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    for msg in inner.messages(id, &spec, lost) {
        pipe.xadd(k.stream(), "*", &msg.fields()).ignore();
    }
    pipe.query_async::<()>(&mut conn).await
}
