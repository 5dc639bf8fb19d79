pub mod analysis;
pub mod jobs;
pub mod produtos;
pub mod system;
