//! The command line run in-process (`aga::cli::main_with`), for tests that train or render and
//! would pay a process start and a backend set-up per call otherwise.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Run `aga ARGS` in this process: (exit code, stdout, stderr).
pub fn aga(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["aga"];
    argv.extend(args);
    let code = aga::cli::main_with(&argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Run `aga ARGS`, assert success, return stdout.
#[track_caller]
pub fn ok(args: &[&str]) -> String {
    let (code, out, err) = aga(args);
    assert_eq!(code, 0, "aga {args:?}: {err}");
    out
}

/// The one JSON object a successful `aga ARGS` prints.
#[track_caller]
pub fn run_json(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(out.trim()).expect("one JSON object")
}

/// Assert the error contract: exit status 2, nothing on stdout, one line on stderr starting
/// with `aga: error: ` and mentioning `expected`.
#[track_caller]
pub fn fails(args: &[&str], expected: &str) {
    let (code, out, err) = aga(args);
    assert_eq!(code, 2, "aga {args:?} should fail");
    assert!(out.is_empty(), "nothing on stdout on error: {out}");
    assert!(err.starts_with("aga: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(expected), "expected `{expected}` in: {err}");
}

/// A fresh, empty scratch folder for this test process, under `name`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aga-in-process-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Write `text` to `dir/name`; the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}
