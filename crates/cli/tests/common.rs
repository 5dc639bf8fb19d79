//! Helpers for tests that run the real `ruptura` binary.
#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

pub fn ruptura() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ruptura"));
    // The tests set everything they rely on; nothing leaks in from the environment.
    for var in [
        "DATABASE_URL",
        "HORIZONTE_DIAS",
        "LEAD_TIME_DIAS",
        "CRITICIDADE_REGRA",
        "RUPTURA_TZ",
        "BATCH_SIZE",
        "MAX_WORKERS",
        "API_TOKEN",
        "EXECUCOES_URL",
        "EXECUCOES_MANTIDAS",
        "ANALISE_AGENDADA",
        "ANALISE_AGENDADA_MODO",
        "PARCIAL_MINIMO_VALOR",
        "PARCIAL_MINIMO_PCT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `ruptura ARGS` and returns its output, panicking with stderr when it fails.
pub fn run_ok(args: &[&str]) -> Output {
    let out = ruptura().args(args).output().expect("run ruptura");
    assert!(
        out.status.success(),
        "ruptura {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
