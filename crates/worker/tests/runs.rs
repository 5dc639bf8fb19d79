//! Whole-book jobs on Redis workers are recorded as runs (SPEC 8.5), exactly as the same
//! analysis in process records them.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ruptura_app::runs::{analyze_recorded, Recorded, RunData, RunLog};
use ruptura_app::{InOrder, RunOptions};
use ruptura_engine::{Mode, Params};
use ruptura_jobs::JobQueue;
use ruptura_store::{OrderFilter, RunStore, Selection};
use ruptura_worker::WorkerConfig;

const LIMIT: Duration = Duration::from_secs(120);

async fn run_log(dir: &tempfile::TempDir, name: &str) -> (Arc<dyn RunStore>, RunLog) {
    let url = format!("sqlite://{}", dir.path().join(name).display());
    let store = ruptura_store::connect_runs(&url).await.unwrap();
    store.migrate_runs().await.unwrap();
    (Arc::clone(&store), RunLog::new(store, 30))
}

async fn data(store: &dyn RunStore, id: i64) -> RunData {
    let (_, bytes) = store.run_data(id).await.unwrap().expect("run kept");
    RunData::decode(&bytes).unwrap()
}

/// Waits for the run log to hold `n` runs (the run is saved just after the job completes).
async fn runs_become(store: &dyn RunStore, n: usize) -> Vec<ruptura_store::RunInfo> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let runs = store.list_runs().await.unwrap();
        if runs.len() >= n || tokio::time::Instant::now() > deadline {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_book_job_on_workers_is_recorded_as_in_process() {
    let Some(t) = Setup::new(0, "registro", 400).await else {
        return;
    };
    let (store, opts, queue) = (&t.store, &t.opts, &t.queue);
    let (worker_runs, worker_log) = run_log(&t.dir, "execucoes-worker.db").await;
    let (local_runs, local_log) = run_log(&t.dir, "execucoes-local.db").await;
    let mut workers = Vec::new();
    for (name, consumers) in [("a", 2), ("b", 1)] {
        let mut cfg = WorkerConfig::new(opts.clone());
        cfg.consumers = consumers;
        cfg.name = name.to_string();
        cfg.runs = Some(worker_log.clone());
        workers.push(start_worker_with(store, cfg));
    }

    let mut recorded = 0;
    for mode in [Mode::Independent, Mode::Priority] {
        let params = Params::new(today()).with_mode(mode);
        let mut spec = spec(all_orders(store.as_ref()).await, params.clone(), 25);
        spec.whole_book = true;
        let created = queue.submit(spec.clone()).await.unwrap();
        follow(queue, &created.job_id, LIMIT).await;
        recorded += 1;
        let runs = runs_become(worker_runs.as_ref(), recorded).await;
        assert_eq!(runs.len(), recorded, "{mode:?}: the job's run is recorded");
        let run = &runs[0];
        assert_eq!(run.facts.origem, "job");
        assert_eq!(run.facts.modo, mode.as_str());
        assert_eq!(run.facts.total_pedidos, spec.orders.len() as i64);

        // The same analysis in process, over the whole book, recorded as the CLI records it.
        let mut sink = InOrder::default();
        let (stats, saved) = analyze_recorded(
            store.as_ref(),
            &Selection::Book(OrderFilter::default()),
            params,
            RunOptions {
                batch_size: 25,
                max_workers: 2,
                json: false,
            },
            &mut sink,
            Some(&local_log),
            "analyze",
        )
        .await
        .unwrap();
        let Recorded::Saved(local_id) = saved else {
            panic!("not recorded in process: {saved:?}");
        };
        assert_eq!(
            run.facts.pedidos_com_ruptura,
            stats.contagens.pedidos_com_ruptura as i64
        );
        let want = data(local_runs.as_ref(), local_id).await;
        let got = data(worker_runs.as_ref(), run.id).await;
        assert_eq!(got.pedidos.len(), spec.orders.len());
        assert!(!got.grupos.is_empty());
        assert_eq!(
            got, want,
            "{mode:?}: the run on workers equals the run in process"
        );
    }

    // A job over named orders is not a run.
    let spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 25);
    let created = queue.submit(spec).await.unwrap();
    follow(queue, &created.job_id, LIMIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(worker_runs.list_runs().await.unwrap().len(), recorded);

    for (token, handle) in workers {
        token.cancel();
        handle.await.unwrap();
    }
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_be_saved_leaves_the_job_done_and_says_so() {
    let Some(t) = Setup::new(0, "registro-falha", 120).await else {
        return;
    };
    let (store, opts, queue) = (&t.store, &t.opts, &t.queue);
    // A run log whose table was never created: saving fails.
    let url = format!("sqlite://{}", t.dir.path().join("sem-tabela.db").display());
    let broken = RunLog::new(ruptura_store::connect_runs(&url).await.unwrap(), 30);
    let mut cfg = WorkerConfig::new(opts.clone());
    cfg.name = "falha".to_string();
    cfg.runs = Some(broken);
    let (token, handle) = start_worker_with(store, cfg);

    let mut spec = spec(all_orders(store.as_ref()).await, Params::new(today()), 25);
    spec.whole_book = true;
    let created = queue.submit(spec.clone()).await.unwrap();
    follow(queue, &created.job_id, LIMIT).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status = queue.status(&created.job_id).await.unwrap().expect("job");
        if status.mensagem.is_some() || tokio::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.estado, ruptura_jobs::JobState::Concluido);
    let mensagem = status.mensagem.unwrap_or_default();
    assert!(
        mensagem.contains("não foi registrada"),
        "the job says the run was not recorded: {mensagem:?}"
    );
    assert_eq!(
        queue.results(&created.job_id).await.unwrap().unwrap().len(),
        spec.orders.len(),
        "the results stand"
    );

    token.cancel();
    handle.await.unwrap();
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_missing_a_part_is_not_saved() {
    let Some(url) = redis_url(0).await else {
        return;
    };
    let prefix = prefix("registro-parte");
    let keys = ruptura_worker::keys::Keys::new(&prefix);
    let dir = tempfile::tempdir().unwrap();
    let (runs_store, log) = run_log(&dir, "execucoes.db").await;
    let mut conn = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection_manager()
        .await
        .unwrap();
    let params = serde_json::to_string(&ruptura_worker::message::ParamsDto::from(&Params::new(
        today(),
    )))
    .unwrap();
    let job = "j1";
    let _: () = redis::AsyncCommands::hset_multiple(
        &mut conn,
        keys.job(job),
        &[
            ("registrar", "1"),
            ("params", params.as_str()),
            ("total_pedidos", "3"),
            ("pedidos_com_ruptura", "0"),
        ],
    )
    .await
    .unwrap();
    let message = |first: usize, orders: &[&str]| ruptura_worker::message::BatchMessage {
        job_id: job.to_string(),
        first_batch: first,
        batches: 1,
        batch_size: 2,
        orders: orders.iter().map(|o| o.to_string()).collect(),
        params: params.clone(),
        record: true,
    };
    let part = |orders: &[&str]| {
        let results: Vec<ruptura_app::wire::Resultado> = orders
            .iter()
            .map(|o| ruptura_app::wire::Resultado::erro(o, "x"))
            .collect();
        ruptura_worker::record::error_part(&results)
    };
    use ruptura_worker::record::{keep_part, save_run};
    keep_part(
        &mut conn,
        &keys,
        600,
        &message(0, &["A", "B"]),
        &part(&["A", "B"]),
    )
    .await
    .unwrap();
    let missing = save_run(&mut conn, &keys, job, &log).await;
    assert!(
        missing.as_ref().is_err_and(|e| e.contains("2 de 3")),
        "{missing:?}"
    );
    assert!(runs_store.list_runs().await.unwrap().is_empty());

    keep_part(&mut conn, &keys, 600, &message(1, &["C"]), &part(&["C"]))
        .await
        .unwrap();
    let saved = save_run(&mut conn, &keys, job, &log).await.unwrap();
    let runs = runs_store.list_runs().await.unwrap();
    assert_eq!(saved, Some(runs[0].id));
    assert_eq!(data(runs_store.as_ref(), runs[0].id).await.pedidos.len(), 3);
    let left: bool = redis::AsyncCommands::exists(&mut conn, keys.record(job))
        .await
        .unwrap();
    assert!(!left, "the parts are deleted once the run is saved");
    cleanup(&url, &prefix).await;
}
