pub mod analyze;
pub mod import;
pub mod migrate;
