//! `aga env run` and `aga env render` from the command line (in-process).

mod common;

use common::in_process::aga;
use serde_json::Value;

fn metrics(args: &[&str]) -> Value {
    let (code, out, err) = aga(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

#[test]
fn env_run_json_has_every_metric_and_the_dilemmas_show() {
    let greedy = metrics(&[
        "env", "run", "--env", "harvest", "--policy", "greedy", "--json",
    ]);
    for key in [
        "env",
        "agents",
        "steps",
        "collective_return",
        "returns",
        "efficiency",
        "equality",
        "sustainability",
        "peace",
        "apples_eaten",
        "apples_remaining",
        "waste_cleaned",
        "waste_density",
        "beams_fired",
        "agents_tagged",
    ] {
        assert!(greedy.get(key).is_some(), "missing {key}: {greedy}");
    }
    assert_eq!(greedy["steps"], 1000);
    assert_eq!(greedy["agents"], 5);
    // Tragedy of the commons: greedy agents leave no apple, having eaten at least the 155 that
    // were there, and never fire.
    assert_eq!(greedy["apples_remaining"], 0.0);
    assert!(greedy["apples_eaten"].as_f64().unwrap() >= 155.0);
    assert_eq!(greedy["beams_fired"], 0.0);
    assert_eq!(greedy["collective_return"], greedy["apples_eaten"]);
    // Cleanup with nobody cleaning yields exactly zero; with two cleaners the others eat.
    let nobody = metrics(&[
        "env", "run", "--env", "cleanup", "--policy", "greedy", "--json",
    ]);
    assert_eq!(nobody["collective_return"], 0.0);
    let cleaners = metrics(&[
        "env",
        "run",
        "--env",
        "cleanup",
        "--policy",
        "clean-and-harvest",
        "--cleaners",
        "2",
        "--steps",
        "400",
        "--json",
    ]);
    assert!(cleaners["waste_cleaned"].as_f64().unwrap() > 0.0);
    assert!(cleaners["collective_return"].as_f64().unwrap() > 0.0);
    let returns: Vec<f64> = cleaners["returns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(&returns[..2], &[0.0, 0.0], "cleaning pays nothing");
    // Several copies on two threads: the same metrics as on one thread.
    let a = metrics(&[
        "env",
        "run",
        "--env",
        "harvest",
        "--policy",
        "random",
        "--envs",
        "3",
        "--threads",
        "1",
        "--steps",
        "50",
        "--obs",
        "one-hot",
        "--json",
    ]);
    let b = metrics(&[
        "env",
        "run",
        "--env",
        "harvest",
        "--policy",
        "random",
        "--envs",
        "3",
        "--threads",
        "2",
        "--steps",
        "50",
        "--obs",
        "one-hot",
        "--json",
    ]);
    for key in [
        "collective_return",
        "returns",
        "beams_fired",
        "apples_eaten",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn env_render_writes_png_gif_and_ascii() {
    let dir = std::env::temp_dir().join(format!("aga-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("h.png").display().to_string();
    let (code, _, err) = aga(&[
        "env", "render", "--env", "harvest", "--policy", "greedy", "--steps", "5", "--out", &png,
    ]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let gif = dir.join("c.gif").display().to_string();
    let (code, _, err) = aga(&[
        "env", "render", "--env", "cleanup", "--policy", "random", "--steps", "4", "--out", &gif,
        "--scale", "4",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");
    let (code, out, _) = aga(&[
        "env", "render", "--env", "harvest", "--policy", "stay", "--steps", "1", "--ascii",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 16);
    assert!(lines.iter().all(|l| l.chars().count() == 38));
    assert_eq!(out.matches(['^', '>', 'v', '<']).count(), 5, "{out}");
}

#[test]
fn env_errors_are_one_line() {
    let dir = std::env::temp_dir().join(format!("aga-envcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_map = dir.join("bad.json");
    std::fs::write(&bad_map, r#"{"map": "@@@\n@X@\n@@@", "agents": 1}"#).unwrap();
    let bad_map = bad_map.display().to_string();
    let cases = [
        ("--env chess --policy greedy", "unknown environment"),
        ("--env harvest --policy selfless", "unknown policy"),
        (
            "--env harvest --policy clean-and-harvest",
            "needs --env cleanup",
        ),
        ("--env harvest --policy greedy --cleaners 2", "only applies"),
        ("--env harvest --policy greedy --agents 0", "need between 1"),
        ("--env harvest --policy greedy --agents 500", "spawn cells"),
        ("--env harvest --policy greedy --steps 0", "--steps"),
        ("--env harvest --policy greedy --steps 1001", "horizon"),
        ("--env harvest --policy greedy --envs 0", "--envs"),
        (
            "--env harvest --policy greedy --obs depth",
            "unknown observation",
        ),
        (
            &format!("--env harvest --policy greedy --config {bad_map}"),
            "unknown map character `X`",
        ),
        (
            "--env harvest --policy greedy --config /nonexistent.json",
            "cannot use config file",
        ),
        (
            "--env harvest --policy greedy --preset meltingpot",
            "unknown environment preset `meltingpot`",
        ),
        (
            "--env mmm2 --policy random --preset socialjax",
            "--preset applies",
        ),
    ];
    for (line, needle) in cases {
        let full: Vec<&str> = ["env", "run"].into_iter().chain(line.split(' ')).collect();
        let (code, _, err) = aga(&full);
        assert_eq!(code, 2, "{line}: {err}");
        assert_eq!(err.lines().count(), 1, "{line}: {err}");
        assert!(err.contains(needle), "{line}: {err}");
    }
    let (code, _, err) = aga(&["env", "render", "--env", "harvest", "--policy", "greedy"]);
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
}

#[test]
fn the_socialjax_preset_runs_with_its_own_rules() {
    // SocialJax's Harvest: 7 agents on its 16 × 22 map, 64 apples at the start, and the common
    // reward: every agent's return is the collective apples eaten.
    let m = metrics(&[
        "env",
        "run",
        "--env",
        "harvest",
        "--preset",
        "socialjax",
        "--policy",
        "greedy",
        "--steps",
        "200",
        "--json",
    ]);
    assert_eq!(m["agents"], 7, "{m}");
    let eaten = m["apples_eaten"].as_f64().unwrap();
    assert!(eaten > 0.0, "{m}");
    for r in m["returns"].as_array().unwrap() {
        assert_eq!(r.as_f64().unwrap(), eaten, "{m}");
    }
    // --config fields go on top of the preset: 3 agents, the rest SocialJax's.
    let dir = std::env::temp_dir().join(format!("aga-sjcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let three = dir.join("three.json");
    std::fs::write(&three, r#"{"agents": 3}"#).unwrap();
    let m = metrics(&[
        "env",
        "run",
        "--env",
        "cleanup",
        "--preset",
        "socialjax",
        "--policy",
        "clean-and-harvest",
        "--config",
        three.to_str().unwrap(),
        "--steps",
        "100",
        "--json",
    ]);
    assert_eq!(m["agents"], 3, "{m}");
    // The cleaner aims with SocialJax's footprint and cleans.
    assert!(m["waste_cleaned"].as_f64().unwrap() > 0.0, "{m}");
    std::fs::remove_dir_all(&dir).ok();
}
