//! The application layer of Ruptura: runs an analysis from a store snapshot through the engine
//! to the wire results, in batches on worker threads, and holds the settings every entry point
//! shares. It knows no HTTP and no command line: the server, the CLI and the workers call it.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod cache;
pub mod decisions;
pub mod export;
pub mod run;
pub mod runs;
pub mod settings;
pub mod stream;
pub mod wire;

pub use decisions::{Decisoes, Produto, Produtos, RelatorioProdutos, Valores};
pub use run::{
    analyze, AnalysisError, Batch, BatchEncoder, InOrder, JsonInOrder, Observer, RunOptions,
};
pub use settings::{
    Settings, SettingsError, DEFAULT_BATCH_SIZE, DEFAULT_MAX_WORKERS, DEFAULT_TIME_ZONE,
};
pub use stream::{InOrderSink, JsonStream, Streamed};
