//! The HTTP handlers, one module per part of the API.

pub mod analysis;
pub mod compat;
pub mod jobs;
pub mod produtos;
pub mod runs;
pub mod system;
