//! Battles (Selfish-MMM2 and the other presets) from the command line, in-process: `aga env
//! run` (JSON metrics with the win rate), `aga env render` (GIF/PNG), `aga train` (a short run
//! that resumes bit-identically) and one-line errors for bad input.

mod common;

use common::in_process::{fails, ok, run_json, scratch, write};
use serde_json::Value;
use std::path::Path;

#[test]
fn env_run_reports_the_win_rate_and_the_battle_metrics() {
    let heuristic = run_json(&[
        "env",
        "run",
        "--env",
        "mmm2",
        "--policy",
        "heuristic",
        "--json",
        "--steps",
        "200",
    ]);
    for key in [
        "env",
        "agents",
        "episodes",
        "steps",
        "win_rate",
        "truncated",
        "collective_return",
        "returns",
        "equality",
        "team_return",
        "damage_dealt",
        "damage_taken",
        "hp_healed",
        "allies_alive",
        "enemies_alive",
        "agent_steps_per_second",
    ] {
        assert!(heuristic.get(key).is_some(), "missing {key}: {heuristic}");
    }
    assert_eq!(heuristic["env"], "mmm2");
    assert_eq!(heuristic["agents"], 10);
    assert_eq!(heuristic["returns"].as_array().unwrap().len(), 10);
    assert!(heuristic["episodes"].as_u64().unwrap() >= 1);
    let win = heuristic["win_rate"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&win));
    assert!(heuristic["damage_dealt"].as_f64().unwrap() > 0.0);
    // Standing still deals nothing and loses every episode.
    let stop = run_json(&[
        "env", "run", "--env", "mmm2", "--policy", "stop", "--json", "--steps", "200",
    ]);
    assert_eq!(stop["damage_dealt"], 0.0);
    assert_eq!(stop["win_rate"], 0.0);
    assert_eq!(stop["allies_alive"], 0.0);
    // A seed gives the same episodes whatever the thread count.
    let random = |threads: &str| {
        let mut v = run_json(&[
            "env",
            "run",
            "--env",
            "3m",
            "--policy",
            "random",
            "--json",
            "--steps",
            "150",
            "--envs",
            "3",
            "--seed",
            "4",
            "--threads",
            threads,
        ]);
        v.as_object_mut().unwrap().remove("agent_steps_per_second");
        v
    };
    assert_eq!(random("1"), random("2"));
}

#[test]
fn env_render_draws_a_battle() {
    let dir = scratch("render");
    let gif = dir.join("mmm2.gif");
    let out = ok(&[
        "env",
        "render",
        "--env",
        "mmm2",
        "--policy",
        "heuristic",
        "--steps",
        "12",
        "--scale",
        "8",
        "--out",
        gif.to_str().unwrap(),
    ]);
    assert!(out.starts_with("wrote"), "{out}");
    let bytes = std::fs::read(&gif).unwrap();
    assert!(bytes.starts_with(b"GIF8") && bytes.len() > 2000);
    let png = dir.join("3m.png");
    ok(&[
        "env",
        "render",
        "--env",
        "3m",
        "--policy",
        "random",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    fails(
        &[
            "env",
            "render",
            "--env",
            "mmm2",
            "--policy",
            "heuristic",
            "--ascii",
        ],
        "--ascii draws Cleanup and Harvest",
    );
}

#[test]
fn a_battle_trains_and_resumes_bit_identically() {
    let dir = scratch("train");
    let train = r#"{"ppo": {"envs": 2, "rollout_steps": 16, "minibatches": 2, "epochs": 1,
        "anneal_steps": 128}}"#;
    let config = write(&dir, "train.json", train);
    let (a, b) = (dir.join("a"), dir.join("b"));
    let common = |out: &Path, steps: &str| -> Vec<String> {
        [
            "train",
            "--env",
            "3m",
            "--method",
            "aga",
            "--config",
            &config,
            "--seed",
            "3",
            "--quiet",
            "--steps",
            steps,
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |args: Vec<String>| ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let said = run(common(&a, "128"));
    assert!(
        said.contains("aga on 3m with 3 agents: 4 updates"),
        "{said}"
    );
    run(common(&b, "64"));
    ok(&[
        "train",
        "--resume",
        b.to_str().unwrap(),
        "--steps",
        "128",
        "--quiet",
    ]);
    let read = |dir: &Path| {
        let mut reader = csv::Reader::from_path(dir.join("metrics.csv")).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let timing: Vec<bool> = header
            .iter()
            .map(|h| h == "seconds" || h == "env_steps_per_second")
            .collect();
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| {
                r.unwrap()
                    .iter()
                    .zip(&timing)
                    .filter(|(_, &t)| !t)
                    .map(|(x, _)| x.to_string())
                    .collect()
            })
            .collect();
        (header, rows)
    };
    let ((ha, ra), (hb, rb)) = (read(&a), read(&b));
    assert!(ha.iter().any(|h| h == "win_rate"), "{ha:?}");
    assert_eq!(ha, hb);
    assert_eq!(ra.len(), 4);
    assert_eq!(
        ra, rb,
        "the resumed battle run equals the uninterrupted one"
    );
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("config.json")).unwrap()).unwrap();
    assert_eq!(record["env"]["name"], "3m");
    assert_eq!(record["train"]["centralised_critic"], true);
    assert_eq!(record["train"]["policy"], "mlp");
    // A battle run cannot be rendered as a Cleanup/Harvest checkpoint.
    fails(
        &[
            "env",
            "render",
            "--env",
            "3m",
            "--checkpoint",
            a.to_str().unwrap(),
            "--out",
            "x.gif",
        ],
        "--checkpoint renders Cleanup and Harvest runs",
    );
}

#[test]
fn bad_battle_input_is_a_one_line_error() {
    let dir = scratch("errors");
    fails(
        &["env", "run", "--env", "mmm2", "--policy", "greedy"],
        "unknown battle policy `greedy`",
    );
    fails(
        &[
            "env", "run", "--env", "mmm2", "--policy", "random", "--agents", "3",
        ],
        "--agents does not apply to mmm2",
    );
    fails(
        &["env", "run", "--env", "mmm3", "--policy", "random"],
        "unknown environment `mmm3`",
    );
    let bad = write(
        &dir,
        "bad.json",
        r#"{"allies": [{"unit": "zergling", "count": 2}]}"#,
    );
    fails(
        &[
            "env", "run", "--env", "mmm2", "--policy", "random", "--config", &bad,
        ],
        "unknown unit type `zergling`",
    );
    let nan = write(&dir, "nan.json", r#"{"tick": -1}"#);
    fails(
        &[
            "env", "run", "--env", "mmm2", "--policy", "random", "--config", &nan,
        ],
        "tick must be finite and positive",
    );
    fails(
        &[
            "env",
            "run",
            "--env",
            "mmm2",
            "--policy",
            "random",
            "--config",
            "/no/such.json",
        ],
        "cannot use config file",
    );
    fails(
        &[
            "env", "run", "--env", "3m", "--policy", "random", "--steps", "0",
        ],
        "--steps must be between 1",
    );
    fails(
        &[
            "train", "--env", "mmm2", "--method", "aga", "--steps", "64", "--agents", "4",
        ],
        "--agents does not apply to mmm2",
    );
    fails(
        &[
            "train", "--env", "mmm2", "--method", "aga", "--steps", "64", "--policy", "cnn",
        ],
        "the CNN policy needs square image observations",
    );
}
