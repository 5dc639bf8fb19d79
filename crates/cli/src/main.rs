//! The `ruptura` binary: see `ruptura --help`.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// mimalloc: the analysis allocates many small strings and vectors per order; it is faster than
/// the system allocator here and returns memory to the OS in larger pieces. Version 2 (see the
/// workspace's Cargo.toml): it gives freed pages back within 10 ms, version 3 after 1 s.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ruptura_cli::main()
}
