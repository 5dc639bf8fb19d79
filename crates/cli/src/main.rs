//! The `ruptura` binary: see `ruptura --help`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    ruptura_cli::main()
}
