//! Running the `aga` binary and checking its output contract.

use serde_json::Value;
use std::process::{Command, Output};

/// Run `aga` with `args`.
pub fn aga(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aga"))
        .args(args)
        .output()
        .expect("the aga binary runs")
}

/// The one JSON object on stdout of a successful run.
pub fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "aga failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// Assert exit status 2, nothing on stdout, and exactly one line on stderr that mentions
/// `needle`.
#[track_caller]
pub fn assert_error(args: &[&str], needle: &str) {
    let out = aga(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "args {args:?}: stderr {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr:?}"
    );
    assert!(stderr.contains(needle), "`{needle}` not in {stderr:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
}

/// A fresh temporary folder for this test process, under `name`.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("aga-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
