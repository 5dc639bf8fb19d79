//! The subcommands of the binary, one module each.

pub mod analyze;
pub mod demo;
pub mod import;
pub mod migrate;
pub mod produtos;
pub mod runs;
pub mod serve;
pub mod worker;
