pub mod analysis;
pub mod jobs;
pub mod system;
