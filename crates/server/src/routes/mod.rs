pub mod analysis;
pub mod jobs;
pub mod runs;
pub mod system;
