//! The command line's contract: JSON and CSV outputs, and one-line errors with exit status 2.

use crate::common;

use common::cli::{aga, assert_error, floats, json, tempdir};

#[test]
fn direction_json_has_the_contracted_fields() {
    let out = json(&aga(&[
        "direction",
        "--game",
        "toy",
        "--method",
        "aga",
        "--at",
        "0.5,0.5",
        "--json",
    ]));
    let obj = out.as_object().unwrap();
    let mut keys: Vec<_> = obj.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["direction", "lambda", "xi", "xi_c"]);
    // ξ at (0.5, 0.5): (−cos(0.5)·0.5, sin(v)·(−2(1.5) + 2·0.25)) with v = 1.5 − 2.25 + 0.125.
    let xi = floats(&obj["xi"]);
    let v: f64 = 1.0 + 0.5 - 2.25 + 0.125;
    assert!((xi[0] - (-(0.5f64).cos() * 0.5)).abs() < 1e-15);
    assert!((xi[1] - v.sin() * (-3.0 + 0.5)).abs() < 1e-15);
    assert_eq!(obj["lambda"].as_f64(), Some(1.0));
    // Rules without λ report null.
    let out = json(&aga(&[
        "direction",
        "--game",
        "toy",
        "--method",
        "simgd",
        "--at",
        "0.5,0.5",
        "--json",
    ]));
    assert!(out["lambda"].is_null());
    assert_eq!(floats(&out["direction"]), floats(&out["xi"]));
}

#[test]
fn direction_reports_the_aligned_lambda() {
    let out = json(&aga(&[
        "direction",
        "--game",
        "toy",
        "--method",
        "aga",
        "--lambda",
        "-2",
        "--at",
        "0.5,0.5",
        "--json",
    ]));
    assert_eq!(out["lambda"].as_f64().unwrap().abs(), 2.0);
    let ablation = json(&aga(&[
        "direction",
        "--game",
        "toy",
        "--method",
        "aga",
        "--lambda",
        "-2",
        "--no-align",
        "--at",
        "0.5,0.5",
        "--json",
    ]));
    assert_eq!(ablation["lambda"].as_f64(), Some(-2.0));
}

#[test]
fn run_json_and_trajectory_csv() {
    let dir = tempdir("run");
    let csv = dir.join("traj.csv");
    let out = json(&aga(&[
        "run",
        "--game",
        "toy",
        "--method",
        "aga",
        "--lr",
        "0.01",
        "--steps",
        "25",
        "--init",
        "0.5,0.5",
        "--json",
        "--trajectory",
        csv.to_str().unwrap(),
    ]));
    assert_eq!(out["steps"].as_u64(), Some(25));
    let fin = floats(&out["final"]);
    let losses = floats(&out["losses"]);
    assert_eq!((fin.len(), losses.len()), (2, 2));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("step,a1,a2,l1,l2"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 26, "steps + 1 rows");
    assert_eq!(rows[0], vec![0.0, 0.5, 0.5, rows[0][3], rows[0][4]]);
    assert_eq!(rows[25][0], 25.0);
    assert_eq!(
        &rows[25][1..3],
        fin.as_slice(),
        "last row is the final point"
    );
    assert_eq!(
        &rows[25][3..5],
        losses.as_slice(),
        "last row has the final losses"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn run_text_output_and_bilinear_game() {
    let out = aga(&[
        "run",
        "--game",
        "bilinear",
        "--matrix",
        "1,2;3,4",
        "--method",
        "consensus",
        "--lr",
        "0.1",
        "--steps",
        "5",
        "--init",
        "1,1,1,1",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("final") && text.contains("x1") && text.contains("y2"),
        "{text}"
    );
    let out = json(&aga(&[
        "direction",
        "--game",
        "bilinear",
        "--method",
        "simgd",
        "--at",
        "2,3",
        "--json",
    ]));
    // l1 = x y: ξ = (y, −x) = (3, −2)
    assert_eq!(floats(&out["xi"]), vec![3.0, -2.0]);
}

#[test]
fn bad_input_exits_2_with_one_line() {
    // `aga direction --game GAME --method METHOD` plus the arguments under test.
    let direction_error = |game: &str, method: &str, extra: &[&str], needle: &str| {
        let mut args = vec!["direction", "--game", game, "--method", method];
        args.extend_from_slice(extra);
        assert_error(&args, needle);
    };
    direction_error("chess", "aga", &["--at", "0,0"], "unknown game");
    direction_error("toy", "adam", &["--at", "0,0"], "unknown method");
    direction_error("toy", "aga", &["--at", "0.5"], "expected 2");
    direction_error("toy", "aga", &["--at", "1,2,3"], "expected 2");
    direction_error("toy", "aga", &["--at", "1,x"], "not a number");
    direction_error("toy", "aga", &["--at", "1,"], "empty entry");
    direction_error("toy", "aga", &["--at", "nan,1"], "not a finite");
    direction_error("toy", "aga", &["--at", "1,inf"], "not a finite");
    direction_error("toy", "aga", &[], "--at is required");
    direction_error("toy", "aga", &["--lambda", "nan", "--at", "0,0"], "lambda");
    let bad_matrix = ["--matrix", "1,2;3", "--at", "0,0,0"];
    direction_error("bilinear", "sga", &bad_matrix, "invalid matrix");
    assert_error(&["direction", "--game", "toy", "--at", "0,0"], "--method");
    let run_error = |extra: &[&str], needle: &str| {
        let mut args = vec![
            "run", "--game", "toy", "--method", "aga", "--init", "0.5,0.5",
        ];
        args.extend_from_slice(extra);
        assert_error(&args, needle);
    };
    run_error(&["--lr", "0", "--steps", "10"], "--lr");
    run_error(&["--lr", "-0.1", "--steps", "10"], "--lr");
    run_error(&["--lr", "0.1", "--steps", "0"], "--steps");
    run_error(&["--lr", "0.1", "--steps", "-3"], "--steps");
    run_error(
        &[
            "--lr",
            "0.1",
            "--steps",
            "3",
            "--trajectory",
            "/nonexistent/dir/t.csv",
        ],
        "cannot write",
    );
}

#[test]
fn a_diverging_run_reports_its_step() {
    // l1 = x y with a huge learning rate: |w| squares every step and overflows.
    let out = aga(&[
        "run", "--game", "bilinear", "--method", "simgd", "--lr", "1e200", "--steps", "50",
        "--init", "1,1", "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("at step "), "{stderr}");
    assert!(
        stderr.contains("not finite") || stderr.contains("non-finite"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);
}

#[test]
fn help_lists_games_and_methods() {
    let out = aga(&["run", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "toy",
        "bilinear",
        "--matrix",
        "simgd",
        "collective",
        "consensus",
        "sga",
        "aga",
        "--no-align",
    ] {
        assert!(text.contains(word), "`{word}` missing from --help");
    }
}

#[test]
fn backend_and_dtype_are_chosen_on_the_command_line() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run", "--game", "toy", "--method", "aga", "--lr", "0.01", "--steps", "50", "--init",
            "0.5,0.5", "--json",
        ];
        args.extend(extra);
        aga(&args)
    };
    let f64_run = common::cli::json(&run(&[]));
    let explicit = common::cli::json(&run(&["--backend", "ndarray", "--dtype", "f64"]));
    assert_eq!(f64_run, explicit);
    // f32 is the same run to f32 precision, and not bit-identical to f64.
    let f32_run = common::cli::json(&run(&["--dtype", "f32"]));
    let a = common::cli::floats(&f64_run["final"]);
    let b = common::cli::floats(&f32_run["final"]);
    assert!(common::rel_err(&b, &a) < 1e-5 && a != b, "{a:?} vs {b:?}");
    for (extra, needle) in [
        (vec!["--dtype", "f16"], "unknown --dtype"),
        (vec!["--backend", "tpu"], "unknown --backend"),
        (vec!["--backend", "wgpu", "--dtype", "f64"], "f32 only"),
    ] {
        let out = run(&extra);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
    // A backend that is not compiled in says which feature to build with.
    #[cfg(not(feature = "flex"))]
    {
        let out = run(&["--backend", "flex"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features flex"));
    }
    // Experiments take the same options, with the same errors, before any work is done.
    let dir = common::cli::tempdir("experiment-backend");
    let out_dir = dir.to_str().unwrap();
    for (extra, needle) in [
        (vec!["--dtype", "f16"], "unknown --dtype"),
        (vec!["--backend", "tpu"], "unknown --backend"),
        (vec!["--backend", "wgpu", "--dtype", "f64"], "f32 only"),
        // The toy experiment's fixed-point classes need f64 tolerances.
        (vec!["--dtype", "f32"], "f64 tolerances"),
    ] {
        let mut args = vec![
            "experiment",
            "toy",
            "--runs",
            "1",
            "--steps",
            "1",
            "--quiet",
            "--out",
            out_dir,
        ];
        args.extend(&extra);
        let out = aga(&args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
    }
}

/// `aga experiment --dtype f32` runs the experiment in f32: the public-goods table agrees with
/// the f64 one to f32 precision (its numbers are rounded to 3 decimals).
#[test]
fn experiments_run_in_f32_on_request() {
    let table = |dtype: &str| {
        let dir = common::cli::tempdir(&format!("pg-{dtype}"));
        let out = aga(&[
            "experiment",
            "public-goods",
            "--runs",
            "4",
            "--steps",
            "30",
            "--quiet",
            "--threads",
            "1",
            "--dtype",
            dtype,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                .unwrap();
        summary
    };
    let (a, b) = (table("f64"), table("f32"));
    let sw = |v: &serde_json::Value| -> Vec<f64> {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["sw"]["mean"].as_f64().unwrap())
            .collect()
    };
    let (x, y) = (sw(&a), sw(&b));
    assert!(!x.is_empty());
    assert!(common::rel_err(&y, &x) < 1e-4, "{x:?} vs {y:?}");
}
