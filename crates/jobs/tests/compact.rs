//! The in-process queue keeps a job's results packed (each batch's JSON compressed): what it
//! hands back, its results and its replayed events, is byte for byte the JSON of the results
//! analysed directly, and the budget of finished jobs counts the packed bytes.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures::StreamExt;
use ruptura_app::runs::RunLog;
use ruptura_app::wire::Resultado;
use ruptura_app::{InOrder, RunOptions};
use ruptura_engine::Params;
use ruptura_jobs::{JobEvent, JobQueue, JobSpec, JobState, LocalQueue, LocalQueueConfig};
use ruptura_store::{ImportMode, OrderFilter, Selection, Store};

const ORDERS: usize = 300;
const BATCH: usize = 20;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
}

/// A generated book of [`ORDERS`] orders in a SQLite file.
async fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    store_of(dir, ORDERS).await
}

/// A generated book of `orders` orders in a SQLite file.
async fn store_of(dir: &tempfile::TempDir, orders: usize) -> Arc<dyn Store> {
    let data = ruptura_datagen::generate(&ruptura_datagen::GenConfig::demo(11, today(), orders));
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = ruptura_store::connect(&url).await.expect("open");
    store.migrate().await.expect("migrate");
    store
        .import(&data, ImportMode::Replace)
        .await
        .expect("import");
    store
}

/// The book's orders, plus one that does not exist (an error result), and the JSON of each
/// result analysed directly, in that order.
async fn direct(store: &dyn Store) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut book = InOrder::default();
    let opts = RunOptions {
        batch_size: BATCH,
        max_workers: 2,
        json: false,
    };
    let selection = Selection::Book(OrderFilter::default());
    ruptura_app::analyze(store, &selection, Params::new(today()), opts, &mut book)
        .await
        .expect("book");
    let mut orders: Vec<String> = book
        .into_results()
        .iter()
        .map(|r| r.num_pedido().to_string())
        .collect();
    assert!(orders.len() > ORDERS / 2, "{} orders", orders.len());
    orders.insert(7, "NAO-EXISTE".to_string());
    let mut all = InOrder::default();
    let selection = Selection::Orders(orders.clone());
    ruptura_app::analyze(store, &selection, Params::new(today()), opts, &mut all)
        .await
        .expect("orders");
    let json = all.into_results().iter().map(to_json).collect();
    (orders, json)
}

fn batches_of(orders: usize) -> usize {
    orders.div_ceil(BATCH)
}

fn to_json(r: &Resultado) -> Vec<u8> {
    serde_json::to_vec(r).expect("json")
}

fn spec(orders: &[String], whole_book: bool) -> JobSpec {
    JobSpec {
        orders: orders.to_vec(),
        params: Params::new(today()),
        batch_size: BATCH,
        max_workers: 2,
        whole_book,
    }
}

/// Every event of job `id` after event id `after`, to the final one.
async fn events(queue: &LocalQueue, id: &str, after: u64) -> Vec<JobEvent> {
    let stream = queue.events(id, after).await.expect("events").expect("job");
    tokio::time::timeout(Duration::from_secs(60), stream.collect())
        .await
        .expect("job ends")
}

/// The results of the `lote` events, in the order of their batches, as JSON.
fn lote_json(events: &[JobEvent]) -> Vec<Vec<u8>> {
    let mut lotes: Vec<(usize, &Vec<Resultado>)> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Lote {
                lote_index,
                resultados,
                ..
            } => Some((*lote_index, resultados)),
            _ => None,
        })
        .collect();
    lotes.sort_by_key(|(i, _)| *i);
    lotes
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(to_json))
        .collect()
}

/// Runs a job over `orders` on `queue` and checks everything it hands back against `expected`;
/// returns the job's id.
async fn check_job(
    queue: &LocalQueue,
    orders: &[String],
    expected: &[Vec<u8>],
    whole_book: bool,
) -> String {
    let id = queue
        .submit(spec(orders, whole_book))
        .await
        .expect("submit")
        .job_id;
    let live = events(queue, &id, 0).await;
    let batches = orders.len().div_ceil(BATCH);
    assert!(batches >= 10, "{batches} batches");
    assert_eq!(
        live.len(),
        batches + 1,
        "one event per batch and the final one"
    );
    let ids: Vec<u64> = live.iter().map(JobEvent::id).collect();
    assert_eq!(ids, (1..=live.len() as u64).collect::<Vec<_>>());
    assert!(matches!(live.last(), Some(JobEvent::Concluido { .. })));
    let status = queue.status(&id).await.expect("status").expect("job");
    assert_eq!(status.estado, JobState::Concluido, "{:?}", status.mensagem);

    assert!(
        lote_json(&live) == expected,
        "the live events' results differ"
    );
    let results = queue.results(&id).await.expect("results").expect("job");
    let results: Vec<Vec<u8>> = results.iter().map(to_json).collect();
    assert_eq!(results.len(), expected.len());
    assert!(results == expected, "the job's results differ");
    // `/resultados` as the queue streams it, one piece per batch: the object of the results
    // by order number, in the job's order, byte for byte.
    let pieces = queue.results_json(&id).await.expect("json").expect("job");
    let pieces: Vec<Vec<u8>> = pieces.collect().await;
    assert_eq!(
        pieces.len(),
        batches + 2,
        "the opening, a piece per batch, the closing"
    );
    let mut object = b"{".to_vec();
    for (i, (num, json)) in orders.iter().zip(expected).enumerate() {
        if i > 0 {
            object.push(b',');
        }
        object.extend_from_slice(&serde_json::to_vec(num).expect("key"));
        object.push(b':');
        object.extend_from_slice(json);
    }
    object.push(b'}');
    assert!(pieces.concat() == object, "the streamed results differ");
    // A batch at a time, as the exports read them: the same results in the same order.
    let batches = queue
        .result_batches(&id)
        .await
        .expect("batches")
        .expect("job");
    let batches: Vec<Vec<Resultado>> = batches.collect().await;
    assert_eq!(batches.len(), batches_of(orders.len()));
    let batched: Vec<Vec<u8>> = batches.iter().flatten().map(to_json).collect();
    assert!(batched == expected, "the batches' results differ");

    // Replayed from the start and from the middle: the same events again.
    assert_eq!(events(queue, &id, 0).await, live);
    assert_eq!(events(queue, &id, 5).await, live[5..].to_vec());
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_read_back_are_the_json_of_the_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    let (orders, expected) = direct(store.as_ref()).await;
    let queue = LocalQueue::new(Arc::clone(&store), LocalQueueConfig::default());
    check_job(&queue, &orders, &expected, false).await;

    // Recorded as a run in the analysed database (the encoder passes through the recording
    // observer): the same.
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let runs = RunLog::new(ruptura_store::connect_runs(&url).await.expect("runs"), 5);
    let queue =
        LocalQueue::new(Arc::clone(&store), LocalQueueConfig::default()).recording(Some(runs));
    let id = check_job(&queue, &orders, &expected, true).await;
    let status = queue.status(&id).await.expect("status").expect("job");
    assert_eq!(status.mensagem, None, "recorded as a run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_counts_the_packed_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store(&dir).await;
    let (orders, expected) = direct(store.as_ref()).await;
    let raw: usize = expected.iter().map(Vec::len).sum();
    // Room for one job's raw JSON: two jobs fit only if what they hold is counted packed.
    let config = LocalQueueConfig {
        max_finished_bytes: raw,
        ..LocalQueueConfig::default()
    };
    let queue = LocalQueue::new(Arc::clone(&store), config);
    let first = check_job(&queue, &orders, &expected, false).await;
    let held = queue.held_bytes(&first).expect("held");
    assert!(held * 3 < raw, "held {held} bytes for {raw} bytes of JSON");
    let second = check_job(&queue, &orders, &expected, false).await;
    assert!(
        queue.status(&first).await.expect("status").is_some(),
        "first kept"
    );
    assert!(queue.status(&second).await.expect("status").is_some());

    // A budget below one packed job keeps only the newest.
    let config = LocalQueueConfig {
        max_finished_bytes: held,
        ..LocalQueueConfig::default()
    };
    let queue = LocalQueue::new(Arc::clone(&store), config);
    let first = check_job(&queue, &orders, &expected, false).await;
    let second = check_job(&queue, &orders, &expected, false).await;
    assert!(
        queue.status(&first).await.expect("status").is_none(),
        "first forgotten"
    );
    assert!(queue.status(&second).await.expect("status").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_in_the_jobs_file_read_back_as_in_memory() {
    // Enough orders for several chunks of packed results (about 1 MB each).
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_of(&dir, 6_000).await;
    let (orders, expected) = direct(store.as_ref()).await;
    let in_file = LocalQueue::new(Arc::clone(&store), LocalQueueConfig::default());
    let id = check_job(&in_file, &orders, &expected, false).await;
    let held = in_file.held_bytes(&id).expect("held");
    let in_memory = in_file.bytes_in_memory(&id).expect("in memory");
    assert!(held > 2 << 20, "{held} bytes: more than one chunk");
    assert!(
        in_memory * 4 < held,
        "{in_memory} of {held} bytes in memory"
    );

    let config = LocalQueueConfig {
        results_in_file: false,
        ..LocalQueueConfig::default()
    };
    let in_memory = LocalQueue::new(Arc::clone(&store), config);
    let id = check_job(&in_memory, &orders, &expected, false).await;
    assert_eq!(in_memory.bytes_in_memory(&id), in_memory.held_bytes(&id));
    assert_eq!(
        in_memory.held_bytes(&id),
        Some(held),
        "the same bytes, held"
    );
}
