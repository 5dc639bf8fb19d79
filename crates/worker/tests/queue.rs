//! The Redis queue and the worker loop against a real Redis, with the workers' consumers
//! running in this process (the tests with separate worker processes, `kill -9` and SIGTERM
//! are in `crates/cli/tests/workers.rs`). Every test uses its own key prefix.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use redis::AsyncCommands;
use ruptura_app::wire::Resultado;
use ruptura_engine::{Mode, Params};
use ruptura_jobs::JobQueue;
use ruptura_jobs::{JobEvent, JobState};
use ruptura_store::testing::HeldStore;

const LIMIT: Duration = Duration::from_secs(60);

/// Event ids 1..=n, one `lote` per batch, then `concluido` with the final counts.
fn check_events(events: &[JobEvent], batches: usize, orders: usize) {
    assert_eq!(events.len(), batches + 1, "um evento por lote e o final");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id(), i as u64 + 1, "ids 1..n");
    }
    let mut lotes: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Lote { lote_index, .. } => Some(*lote_index),
            _ => None,
        })
        .collect();
    lotes.sort_unstable();
    assert_eq!(lotes, (0..batches).collect::<Vec<_>>(), "cada lote uma vez");
    match events.last() {
        Some(JobEvent::Concluido { estatisticas, .. }) => {
            assert_eq!(estatisticas.contagens.total_pedidos, orders);
            assert_eq!(estatisticas.contagens.processados, orders);
        }
        other => panic!("último evento: {other:?}"),
    }
    let sent: usize = events
        .iter()
        .map(|e| match e {
            JobEvent::Lote { resultados, .. } => resultados.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(sent, orders, "cada resultado em exatamente um evento");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_through_workers_equals_in_process() {
    let Some(t) = Setup::new(0, "igual", 600).await else {
        return;
    };
    let (_, store, _, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let (w1, h1) = start_worker(store, opts, 2, "a");
    let (w2, h2) = start_worker(store, opts, 1, "b");

    for mode in [Mode::Independent, Mode::Sequential] {
        let spec = spec(
            all_orders(store.as_ref()).await,
            Params::new(today()).with_mode(mode),
            25,
        );
        let want = in_process(store.as_ref(), &spec).await;
        let created = queue.submit(spec.clone()).await.unwrap();
        assert_eq!(created.total_lotes, spec.total_batches());
        let events = follow(queue, &created.job_id, LIMIT).await;
        check_events(&events, spec.total_batches(), spec.orders.len());
        let got = queue.results(&created.job_id).await.unwrap().unwrap();
        // The labels read on their own agree with the whole results.
        let labels = queue.criticalities(&created.job_id).await.unwrap().unwrap();
        let from_results: std::collections::HashMap<String, String> = got
            .iter()
            .map(|r| (r.num_pedido().to_string(), r.criticidade().to_string()))
            .collect();
        assert_eq!(labels, from_results);
        assert_same_results(&want, &got);
        // `/resultados` in pieces (the trait's default): the JSON of the same results.
        let pieces = queue.results_json(&created.job_id).await.unwrap().unwrap();
        let streamed: Vec<Vec<u8>> = futures::StreamExt::collect(pieces).await;
        // The opening, a piece per batch of 256 results, the closing.
        assert_eq!(streamed.len(), got.len().div_ceil(256) + 2);
        let whole = serde_json::to_vec(&ruptura_app::wire::Resultados(got.clone())).unwrap();
        assert!(streamed.concat() == whole, "the streamed JSON differs");
        // A batch at a time (the trait's default): the same results in the same order.
        let batches = queue
            .result_batches(&created.job_id)
            .await
            .unwrap()
            .unwrap();
        let batches: Vec<Vec<Resultado>> = futures::StreamExt::collect(batches).await;
        assert_eq!(batches.concat(), got);
        let status = queue.status(&created.job_id).await.unwrap().unwrap();
        assert_eq!(status.estado, JobState::Concluido);
        assert_eq!(status.contagens.processados, spec.orders.len());
        assert_eq!(status.lotes_concluidos, spec.total_batches());
        assert_eq!(status.modo, mode.as_str());
        assert_eq!(
            status.por_criticidade.values().sum::<usize>(),
            spec.orders.len()
        );

        // Replay from any event id, as the in-process queue does.
        let mut tail = queue.events(&created.job_id, 5).await.unwrap().unwrap();
        let first = futures::StreamExt::next(&mut tail).await.unwrap();
        assert_eq!(first.id(), 6);
        // Past the last event of a finished job: the stream ends at once.
        let mut past = queue
            .events(&created.job_id, 10_000)
            .await
            .unwrap()
            .unwrap();
        let end = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut past));
        assert!(end.await.expect("o fluxo terminou").is_none());
    }

    // An unknown job.
    assert!(queue.status("nao-existe").await.unwrap().is_none());
    assert!(queue.events("nao-existe", 0).await.unwrap().is_none());

    w1.cancel();
    w2.cancel();
    h1.await.unwrap();
    h2.await.unwrap();
    t.finish().await;
}

/// A snapshot of everything a client can see of a job.
async fn visible(
    url: &str,
    prefix: &str,
    id: &str,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    Vec<String>,
) {
    let mut c = conn(url).await;
    let mut job: BTreeMap<String, String> = c.hgetall(format!("{prefix}job:{id}")).await.unwrap();
    job.remove("concluido_ms");
    let results: BTreeMap<String, String> = c
        .hgetall(format!("{prefix}job:{id}:resultados"))
        .await
        .unwrap();
    let events: Vec<String> = c
        .lrange(format!("{prefix}job:{id}:eventos"), 0, -1)
        .await
        .unwrap();
    (job, results, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_delivered_twice_changes_nothing() {
    let Some(t) = Setup::new(0, "duplo", 300).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 20);
    let want = in_process(store.as_ref(), &spec).await;

    // Every message twice before any worker runs: each batch is delivered twice.
    let created = queue.submit(spec.clone()).await.unwrap();
    let id = created.job_id;
    let mut c = conn(url).await;
    let entries = stream_entries(url, prefix).await;
    assert_eq!(entries.len(), spec.total_batches());
    for (_, fields) in &entries {
        let _: String = c.xadd(format!("{prefix}lotes"), "*", fields).await.unwrap();
    }
    let (w, h) = start_worker(store, opts, 2, "duplo");
    let events = follow(queue, &id, LIMIT).await;
    check_events(&events, spec.total_batches(), spec.orders.len());
    assert_same_results(&want, &queue.results(&id).await.unwrap().unwrap());
    let before = visible(url, prefix, &id).await;

    // And once more after the job completed: nothing visible changes.
    for (_, fields) in entries.iter().take(3) {
        let _: String = c.xadd(format!("{prefix}lotes"), "*", fields).await.unwrap();
    }
    tokio::time::timeout(LIMIT, async {
        while !stream_entries(url, prefix).await.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("as cópias foram consumidas");
    assert_eq!(visible(url, prefix, &id).await, before);
    let status = queue.status(&id).await.unwrap().unwrap();
    assert_eq!(status.contagens.processados, spec.orders.len());
    assert_eq!(status.lotes_concluidos, spec.total_batches());

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_batch_ends_as_error_results() {
    let Some(t) = Setup::new(0, "veneno", 200).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 20);
    let want = in_process(store.as_ref(), &spec).await;
    let created = queue.submit(spec.clone()).await.unwrap();
    let id = created.job_id;

    // Corrupt the parameters of batch 3's message: every attempt at it fails.
    let mut c = conn(url).await;
    let stream = format!("{prefix}lotes");
    let entries = stream_entries(url, prefix).await;
    let (entry_id, fields) = entries
        .iter()
        .find(|(_, f)| f.iter().any(|(k, v)| k == "lote" && v == "3"))
        .unwrap();
    let poisoned: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            let v = if k == "params" {
                v.replace("\"modo\":\"independente\"", "\"modo\":\"xpto\"")
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let _: () = c.xdel(&stream, &[entry_id]).await.unwrap();
    let _: String = c.xadd(&stream, "*", &poisoned).await.unwrap();

    let (w, h) = start_worker(store, opts, 2, "veneno");
    let events = follow(queue, &id, LIMIT).await;
    check_events(&events, spec.total_batches(), spec.orders.len());
    let got = queue.results(&id).await.unwrap().unwrap();
    assert_eq!(got.len(), want.len());
    let poisoned_orders: Vec<&String> = spec.orders[60..80].iter().collect();
    for (w, g) in want.iter().zip(&got) {
        if poisoned_orders.contains(&&w.num_pedido().to_string()) {
            match g {
                Resultado::Erro(e) => {
                    assert!(e.message.starts_with("falha ao analisar"), "{}", e.message);
                    assert!(e.message.contains("3 tentativas"), "{}", e.message);
                    assert!(e.message.contains("modo desconhecido"), "{}", e.message);
                }
                other => panic!("esperava erro para {}: {other:?}", w.num_pedido()),
            }
        } else {
            assert_eq!(w, g);
        }
    }
    let status = queue.status(&id).await.unwrap().unwrap();
    assert_eq!(status.estado, JobState::Concluido);
    let errors_before = want
        .iter()
        .filter(|r| matches!(r, Resultado::Erro(_)))
        .count();
    assert_eq!(status.contagens.erros, errors_before + 20);
    let attempts: Option<u32> = c
        .hget(format!("{prefix}job:{id}:tentativas"), "3")
        .await
        .unwrap();
    assert_eq!(attempts, Some(3));

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_of_a_dead_consumer_is_reclaimed() {
    let Some(t) = Setup::new(0, "morto", 200).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 20);
    let want = in_process(store.as_ref(), &spec).await;
    let created = queue.submit(spec.clone()).await.unwrap();

    // A consumer takes two batches and dies without acknowledging them.
    let mut c = conn(url).await;
    let opts_read = redis::streams::StreamReadOptions::default()
        .group(ruptura_worker::keys::GROUP, "morto-0")
        .count(2);
    let taken: redis::streams::StreamReadReply = c
        .xread_options(&[format!("{prefix}lotes")], &[">"], &opts_read)
        .await
        .unwrap();
    assert_eq!(taken.keys[0].ids.len(), 2);

    let started = std::time::Instant::now();
    let (w, h) = start_worker(store, opts, 2, "vivo");
    let events = follow(queue, &created.job_id, LIMIT).await;
    // The two batches wait out the 2 s visibility timeout.
    assert!(started.elapsed() >= Duration::from_millis(1900));
    check_events(&events, spec.total_batches(), spec.orders.len());
    assert_same_results(
        &want,
        &queue.results(&created.job_id).await.unwrap().unwrap(),
    );
    let pending: redis::streams::StreamPendingReply = c
        .xpending(format!("{prefix}lotes"), ruptura_worker::keys::GROUP)
        .await
        .unwrap();
    assert_eq!(pending.count(), 0, "nada pendente");

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_messages_are_queued_again() {
    let Some(t) = Setup::new(0, "perdido", 200).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 20);
    let want = in_process(store.as_ref(), &spec).await;
    let created = queue.submit(spec.clone()).await.unwrap();

    // Half the messages vanish before any worker sees them.
    let mut c = conn(url).await;
    let entries = stream_entries(url, prefix).await;
    let gone: Vec<&String> = entries.iter().step_by(2).map(|(id, _)| id).collect();
    let _: () = c.xdel(format!("{prefix}lotes"), &gone).await.unwrap();

    let (w, h) = start_worker(store, opts, 2, "perdido");
    let events = follow(queue, &created.job_id, LIMIT).await;
    check_events(&events, spec.total_batches(), spec.orders.len());
    assert_same_results(
        &want,
        &queue.results(&created.job_id).await.unwrap().unwrap(),
    );
    let requeues: Option<u32> = c
        .hget(format!("{prefix}job:{}", created.job_id), "reenvios")
        .await
        .unwrap();
    assert_eq!(requeues, Some(1));

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushed_redis_ends_in_a_finished_job() {
    // Its own database: the test flushes it.
    let Some(t) = Setup::new(11, "flush", 1500).await else {
        return;
    };
    let (url, store, _, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 4);
    let want = in_process(store.as_ref(), &spec).await;
    let created = queue.submit(spec.clone()).await.unwrap();
    let id = created.job_id.clone();

    // Follow the events while the data vanishes mid-job.
    let (w, h) = start_worker(store, opts, 1, "flush");
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = {
        let queue = queue.clone();
        let id = id.clone();
        tokio::spawn(async move {
            let mut stream = queue.events(&id, 0).await.unwrap().unwrap();
            let mut all = Vec::new();
            while let Some(e) = futures::StreamExt::next(&mut stream).await {
                let _ = seen_tx.send(e.id());
                all.push(e);
            }
            all
        })
    };
    // Flush once the follower has had a few events.
    for _ in 0..3 {
        tokio::time::timeout(LIMIT, seen_rx.recv()).await.unwrap();
    }
    let mut c = conn(url).await;
    let _: () = redis::cmd("FLUSHDB").query_async(&mut c).await.unwrap();
    let events = tokio::time::timeout(LIMIT, follower)
        .await
        .expect("o job terminou")
        .unwrap();
    let status = queue.status(&id).await.unwrap().unwrap();
    eprintln!(
        "depois do FLUSHDB: {} eventos, estado {:?}, mensagem {:?}",
        events.len(),
        status.estado,
        status.mensagem
    );
    match events.last() {
        Some(JobEvent::Concluido { .. }) => {
            assert_eq!(status.estado, JobState::Concluido);
            assert_same_results(&want, &queue.results(&id).await.unwrap().unwrap());
        }
        Some(JobEvent::Falhou { message, .. }) => {
            assert_eq!(status.estado, JobState::Falhou);
            assert!(!message.is_empty());
        }
        other => panic!("fim inesperado: {other:?}"),
    }
    // Event ids never go back, whatever was lost.
    for pair in events.windows(2) {
        assert!(pair[1].id() > pair[0].id(), "ids crescentes");
    }
    // The follower never sees an order twice nor progress going backwards (SPEC 5).
    let mut seen = std::collections::HashSet::new();
    let mut progress = 0;
    for e in &events {
        if let JobEvent::Lote {
            resultados, counts, ..
        } = e
        {
            for r in resultados {
                assert!(
                    seen.insert(r.num_pedido().to_string()),
                    "pedido {} entregue duas vezes",
                    r.num_pedido()
                );
            }
            assert!(
                counts.processados >= progress,
                "progresso voltou de {progress} para {}",
                counts.processados
            );
            progress = counts.processados;
        }
    }

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_waits_for_redis_and_shuts_down() {
    // Nothing listens on this port: the worker keeps retrying and still stops on request.
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir, 30).await;
    let opts = options("redis://127.0.0.1:1/0", "ninguem:");
    let (w, h) = start_worker(&store, &opts, 1, "sem-redis");
    tokio::time::sleep(Duration::from_millis(500)).await;
    w.cancel();
    tokio::time::timeout(Duration::from_secs(10), h)
        .await
        .expect("o worker terminou")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_message_taken_over_after_partial_progress() {
    let Some(t) = Setup::new(0, "sequencial", 200).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let spec = spec(
        all_orders(store.as_ref()).await,
        Params::new(today()).with_mode(Mode::Sequential),
        20,
    );
    let want = in_process(store.as_ref(), &spec).await;
    let created = queue.submit(spec.clone()).await.unwrap();
    let id = created.job_id;
    let entries = stream_entries(url, prefix).await;
    assert_eq!(entries.len(), 1, "um job sequencial é uma só mensagem");

    // A worker takes the message, records its first two batches and dies.
    let mut c = conn(url).await;
    let read = redis::streams::StreamReadOptions::default()
        .group(ruptura_worker::keys::GROUP, "morto-0")
        .count(1);
    let _: redis::streams::StreamReadReply = c
        .xread_options(&[format!("{prefix}lotes")], &[">"], &read)
        .await
        .unwrap();
    let keys = opts.keys();
    for index in 0..2 {
        let batch = &want[index * 20..(index + 1) * 20];
        let code = ruptura_worker::worker::record_batch(
            &mut c,
            &keys,
            600,
            &id,
            ruptura_worker::worker::FinishedBatch {
                index,
                ack: "",
                results: batch,
                decisoes: &Default::default(),
            },
        )
        .await
        .unwrap();
        assert_eq!(code, 1);
    }

    // Another worker takes the message over and records the rest, once each.
    let (w, h) = start_worker(store, opts, 1, "sequencial");
    let events = follow(queue, &id, LIMIT).await;
    check_events(&events, spec.total_batches(), spec.orders.len());
    assert_same_results(&want, &queue.results(&id).await.unwrap().unwrap());
    assert!(stream_entries(url, prefix).await.is_empty());

    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

/// Ids of the wrong form name no job (never a key such as `{id}:eventos`), and a
/// `Last-Event-ID` of 2^63 or more is past the end rather than a replay from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_ids_are_validated_and_huge_cursors_replay_nothing() {
    let Some(t) = Setup::new(0, "ids", 40).await else {
        return;
    };
    let (store, opts, queue) = (&t.store, &t.opts, &t.queue);
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 10);
    let (w, h) = start_worker(store, opts, 1, "ids");
    let id = queue.submit(spec).await.unwrap().job_id;
    let all = follow(queue, &id, LIMIT).await;
    assert!(matches!(all.last(), Some(JobEvent::Concluido { .. })));

    for bad in [
        format!("{id}:eventos"),
        format!("{id}:resultados"),
        format!("{id}:pedidos"),
        "x".to_string(),
        id.to_uppercase(),
    ] {
        assert!(queue.status(&bad).await.unwrap().is_none(), "{bad}");
        assert!(queue.results(&bad).await.unwrap().is_none(), "{bad}");
        assert!(queue.criticalities(&bad).await.unwrap().is_none(), "{bad}");
        assert!(queue.events(&bad, 0).await.unwrap().is_none(), "{bad}");
    }

    for after in [1u64 << 63, u64::MAX, (1u64 << 63) + 3] {
        let mut events = queue.events(&id, after).await.unwrap().expect("job");
        let got = tokio::time::timeout(LIMIT, async {
            let mut v = Vec::new();
            while let Some(e) = futures::StreamExt::next(&mut events).await {
                v.push(e);
            }
            v
        })
        .await
        .expect("o fluxo termina");
        assert!(
            got.is_empty(),
            "Last-Event-ID {after}: {} eventos",
            got.len()
        );
    }
    w.cancel();
    h.await.unwrap();
    t.finish().await;
}

/// A live worker whose batch runs longer than the visibility timeout keeps it (its heartbeat
/// refreshes the claim), and an idle worker never takes it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_worker_keeps_a_batch_that_runs_longer_than_the_visibility_timeout() {
    let Some(t) = Setup::new(0, "vivo-lento", 40).await else {
        return;
    };
    let (url, store, prefix, opts, queue) = (&t.url, &t.store, &t.prefix, &t.opts, &t.queue);
    let orders: Vec<String> = all_orders(store.as_ref())
        .await
        .into_iter()
        .take(20)
        .collect();
    let spec = spec(orders, Params::new(today()), 20);
    let want = in_process(store.as_ref(), &spec).await;
    // Its one batch runs three visibility timeouts on the slow worker.
    let slow: std::sync::Arc<dyn ruptura_store::Store> = std::sync::Arc::new(HeldStore::delayed(
        std::sync::Arc::clone(store),
        opts.visibility * 3,
    ));
    let (ws, hs) = start_worker(&slow, opts, 1, "lento");
    let created = queue.submit(spec.clone()).await.unwrap();
    let id = created.job_id;
    let mut c = conn(url).await;
    let until = std::time::Instant::now() + LIMIT;
    loop {
        let pending: redis::streams::StreamPendingCountReply = c
            .xpending_consumer_count(
                format!("{prefix}lotes"),
                ruptura_worker::keys::GROUP,
                "-",
                "+",
                10,
                "lento-0",
            )
            .await
            .unwrap();
        if !pending.ids.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "o worker lento não pegou o lote"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A fast, idle worker looks for abandoned batches all along, and must find none.
    let (wf, hf) = start_worker(store, opts, 2, "rapido");
    let events = follow(queue, &id, LIMIT).await;
    check_events(&events, 1, 20);
    assert_same_results(&want, &queue.results(&id).await.unwrap().unwrap());
    let attempts: BTreeMap<String, String> = c.hgetall(opts.keys().attempts(&id)).await.unwrap();
    assert_eq!(
        attempts.get("0").map(String::as_str),
        Some("1"),
        "o lote foi tentado uma só vez (nunca tomado do worker vivo): {attempts:?}"
    );
    for (w, h) in [(ws, hs), (wf, hf)] {
        w.cancel();
        h.await.unwrap();
    }
    t.finish().await;
}
