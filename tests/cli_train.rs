//! `aga train`, `aga plot` and `aga env render --checkpoint` from the command line
//! (in-process, Flex f32: the training default, so every test in this binary shares it).

mod common;

use common::in_process::{fails, ok, scratch, write};
use std::path::Path;

/// The rows of a metrics file as (header, rows of fields).
fn read_metrics(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(dir.join("metrics.csv")).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The rows without the wall-clock columns, which no two runs share.
fn deterministic_rows(header: &[String], rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let timing = |h: &String| h == "seconds" || h == "env_steps_per_second";
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .zip(header)
                .filter(|(_, h)| !timing(h))
                .map(|(x, _)| x)
                .collect()
        })
        .collect()
}

const SMALL_ENV: &str = r#"{"map": "@@@@@@@@@@\n@P  AAAAA@\n@P  AAAAA@\n@@@@@@@@@@", "agents": 2,
  "horizon": 50, "view_radius": 2, "regrowth": {"radius_sq": 2, "rates": [0.02, 0.05, 0.1, 0.2]}}"#;

#[test]
fn train_runs_on_each_environment_and_its_metrics_parse() {
    let dir = scratch("envs");
    // The paper's setting (5 agents, the full maps, the CNN policy) for two short updates.
    let config = write(
        &dir,
        "train.json",
        r#"{"ppo": {"envs": 2, "rollout_steps": 16, "minibatches": 2, "epochs": 1}}"#,
    );
    for (env, method) in [("cleanup", "aga"), ("harvest", "svo")] {
        let out = dir.join(env);
        let text = ok(&[
            "train",
            "--env",
            env,
            "--method",
            method,
            "--steps",
            "64",
            "--seed",
            "3",
            "--config",
            &config,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--eval-episodes",
            "1",
        ]);
        assert!(text.contains("2 updates, 64 env steps"), "{text}");
        let (header, rows) = read_metrics(&out);
        for column in [
            "env_steps",
            "collective_return",
            "return_agent_0",
            "return_agent_4",
            "equality",
            "sustainability",
            "apples_eaten",
            "waste_cleaned",
            "cleaned_agent_0",
            "cleaned_agent_4",
            "beams_fired",
            "lambda",
            "xi_norm",
            "xi_c_norm",
            "cos_xi_xi_c",
            "positive_alignment",
            "approx_kl",
            "clip_fraction",
            "entropy",
            "explained_variance",
            "explained_variance_collective",
            "seconds",
            "env_steps_per_second",
        ] {
            assert!(
                header.iter().any(|h| h == column),
                "{env}: no column {column}"
            );
        }
        assert_eq!(rows.len(), 2);
        let at = |row: &Vec<String>, name: &str| -> f64 {
            let k = header.iter().position(|h| h == name).unwrap();
            row[k]
                .parse()
                .unwrap_or_else(|_| panic!("{name} = `{}`", row[k]))
        };
        assert_eq!(at(&rows[1], "env_steps"), 64.0);
        let xi = at(&rows[0], "xi_norm");
        assert!(xi.is_finite() && xi > 0.0);
        if method == "aga" {
            let cos = at(&rows[0], "cos_xi_xi_c");
            assert!((-1.0..=1.0).contains(&cos));
        } else {
            // SVO's rule (simgd) needs no ξ_c: without --diagnostics it is not computed.
            let k = header.iter().position(|h| h == "cos_xi_xi_c").unwrap();
            assert_eq!(rows[0][k], "");
        }
        // PPO's diagnostics: KL(π_old‖π_new) ≥ 0, a share, an entropy of at most ln 9
        // (Cleanup) or ln 8, a wall-clock time (its value is not checked).
        assert!(at(&rows[0], "approx_kl") >= 0.0);
        assert!((0.0..=1.0).contains(&at(&rows[0], "clip_fraction")));
        let entropy = at(&rows[0], "entropy");
        assert!(entropy > 0.0 && entropy <= 9f64.ln() + 1e-6, "{entropy}");
        assert!(at(&rows[0], "explained_variance") <= 1.0);
        assert!(at(&rows[0], "seconds") >= 0.0);
        if method == "aga" {
            assert_eq!(at(&rows[0], "lambda").abs(), 1.0);
        } else {
            // SVO has no λ: the cell is empty.
            let k = header.iter().position(|h| h == "lambda").unwrap();
            assert_eq!(rows[0][k], "");
        }
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(record["train"]["method"], method);
        assert_eq!(record["train"]["seed"], 3);
        assert_eq!(record["train"]["policy"], "cnn");
        assert_eq!(record["env"]["agents"], 5);
        assert_eq!(record["backend"], "flex");
        assert_eq!(record["dtype"], "f32");
        assert!(record["versions"]["aga"].is_string());
        let eval: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("eval.json")).unwrap()).unwrap();
        assert_eq!(eval["steps"], 1000);
    }
    // SocialJax's preset: 7 agents, its 11 × 11 view (RGB for the CNN, 12 one-hot channels for
    // the MLP), recorded in config.json.
    for (env, policy) in [("harvest", "cnn"), ("cleanup", "mlp")] {
        let out = dir.join(format!("socialjax-{env}"));
        let text = ok(&[
            "train",
            "--env",
            env,
            "--env-preset",
            "socialjax",
            "--method",
            "aga",
            "--policy",
            policy,
            "--steps",
            "32",
            "--config",
            &config,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--eval-episodes",
            "0",
        ]);
        assert!(
            text.contains("with 7 agents: 1 updates, 32 env steps"),
            "{text}"
        );
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(record["env"]["agents"], 7);
        assert_eq!(record["env"]["beam_shape"], "socialjax");
        assert_eq!(record["env"]["view_ahead"], 9);
        assert_eq!(record["env"]["common_reward"], true);
        let (_, rows) = read_metrics(&out);
        assert_eq!(rows.len(), 1);
    }
    fails(
        &[
            "train",
            "--env",
            "mmm2",
            "--method",
            "aga",
            "--env-preset",
            "socialjax",
            "--steps",
            "32",
        ],
        "--env-preset applies to cleanup and harvest",
    );
    fails(
        &[
            "train",
            "--env",
            "harvest",
            "--method",
            "aga",
            "--env-preset",
            "ssd2",
            "--steps",
            "32",
        ],
        "unknown environment preset `ssd2`",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_resumed_run_writes_the_same_metrics_and_plots_and_renders() {
    let dir = scratch("resume");
    let env = write(&dir, "env.json", SMALL_ENV);
    let train = r#"{"policy": "mlp", "ppo": {"envs": 4, "rollout_steps": 32, "minibatches": 2,
        "epochs": 2, "lr": 0.003, "anneal_steps": 1024}}"#;
    let config = write(&dir, "train.json", train);
    let (a, b) = (dir.join("a"), dir.join("b"));
    let common = |out: &Path, steps: &str| -> Vec<String> {
        [
            "train",
            "--env",
            "harvest",
            "--method",
            "aga",
            "--lambda",
            "100",
            "--env-config",
            &env,
            "--config",
            &config,
            "--seed",
            "5",
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
    run(common(&a, "1024"));
    let mut stopped = common(&b, "512");
    stopped.extend(["--checkpoint-every".into(), "3".into()]);
    run(stopped);
    // As if the run had been killed after writing a row the checkpoint does not hold.
    let metrics = b.join("metrics.csv");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    let columns = read_metrics(&b).0.len();
    text.push_str(&format!("5,640,0.002,1,0{}\n", ",".repeat(columns - 5)));
    std::fs::write(&metrics, text).unwrap();
    ok(&[
        "train",
        "--resume",
        b.to_str().unwrap(),
        "--steps",
        "1024",
        "--quiet",
    ]);
    let (ha, ra) = read_metrics(&a);
    let (hb, rb) = read_metrics(&b);
    assert_eq!(ha, hb);
    let (ra, rb) = (deterministic_rows(&ha, ra), deterministic_rows(&hb, rb));
    assert_eq!(ra.len(), 8);
    assert_eq!(
        ra, rb,
        "the resumed run's metrics equal the uninterrupted run's"
    );
    assert_ne!(ra[6], ra[7]);
    fails(
        &["train", "--resume", b.to_str().unwrap(), "--lr", "0.1"],
        "--lr is fixed by the run being resumed",
    );

    let png = dir.join("curves.png");
    let out = ok(&[
        "plot",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(out.contains("wrote"));
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    fails(
        &[
            "plot",
            a.to_str().unwrap(),
            "--metric",
            "nope",
            "--out",
            png.to_str().unwrap(),
        ],
        "no column `nope`",
    );
    let gif = dir.join("episode.gif");
    ok(&[
        "env",
        "render",
        "--env",
        "harvest",
        "--checkpoint",
        a.to_str().unwrap(),
        "--out",
        gif.to_str().unwrap(),
        "--steps",
        "20",
    ]);
    assert!(std::fs::metadata(&gif).unwrap().len() > 1000);
    fails(
        &[
            "env",
            "render",
            "--env",
            "cleanup",
            "--checkpoint",
            a.to_str().unwrap(),
            "--ascii",
        ],
        "trained on harvest",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn train_with_the_joint_surrogate() {
    // `--surrogate dice`: every agent a player of its own; SGA's adjustment is no longer zero
    // (its alignment sign is recorded), and the run records its surrogate.
    let dir = scratch("dice");
    let env = write(&dir, "env.json", SMALL_ENV);
    let config = write(
        &dir,
        "train.json",
        r#"{"policy": "mlp", "ppo": {"envs": 2, "rollout_steps": 16, "minibatches": 2, "epochs": 1}}"#,
    );
    let train = |surrogate: &str| {
        let out = dir.join(surrogate);
        let text = ok(&[
            "train",
            "--env",
            "harvest",
            "--method",
            "sga",
            "--surrogate",
            surrogate,
            "--steps",
            "64",
            "--config",
            &config,
            "--env-config",
            &env,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--eval-episodes",
            "0",
        ]);
        assert!(text.contains("2 updates, 64 env steps"), "{text}");
        let record: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(record["train"]["surrogate"], surrogate);
        let (header, rows) = read_metrics(&out);
        assert_eq!(rows.len(), 2);
        (out, deterministic_rows(&header, rows))
    };
    let (out, dice) = train("dice");
    let (_, ppo) = train("ppo");
    // Same seed, same first rollout: the updates differ.
    assert_ne!(dice, ppo);
    // The surrogate is fixed by the run being resumed.
    fails(
        &[
            "train",
            "--resume",
            out.to_str().unwrap(),
            "--surrogate",
            "ppo",
        ],
        "--surrogate is fixed by the run being resumed",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_training_options_are_one_line_errors() {
    let dir = scratch("bad");
    let bad_json = write(&dir, "bad.json", r#"{"ppo": {"minibatches": 0}}"#);
    let unknown = write(&dir, "unknown.json", r#"{"ppo": {"learning_rate": 0.1}}"#);
    let big = write(
        &dir,
        "big.json",
        r#"{"ppo": {"envs": 1, "rollout_steps": 4, "minibatches": 8}}"#,
    );
    let harvest = ["train", "--env", "harvest", "--steps", "100", "--quiet"];
    let with = |extra: &[&str]| -> Vec<String> {
        harvest.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let check = |extra: &[&str], expected: &str| {
        let args = with(extra);
        fails(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            expected,
        );
    };
    check(&["--method", "aga", "--lr", "-0.1"], "lr must be > 0");
    check(&["--method", "aga", "--lr", "nan"], "lr must be > 0");
    check(&["--method", "bogus"], "unknown method `bogus`");
    check(
        &["--method", "simul-ind", "--lambda", "10"],
        "lambda has no meaning for method simul-ind",
    );
    check(&["--method", "aga", "--lambda", "0"], "lambda must be > 0");
    check(
        &["--method", "aga", "--config", &bad_json],
        "minibatches must be >= 1",
    );
    check(
        &["--method", "aga", "--config", &unknown],
        "unknown field `learning_rate`",
    );
    check(
        &["--method", "aga", "--config", &big],
        "8 minibatches cannot be drawn",
    );
    check(
        &["--method", "aga", "--policy", "rnn"],
        "unknown policy `rnn`",
    );
    check(&["--method", "aga", "--agents", "0"], "agents");
    check(
        &["--method", "aga", "--surrogate", "reinforce"],
        "unknown surrogate `reinforce` (expected ppo or dice)",
    );
    fails(
        &["experiment", "toy", "--surrogate", "dice"],
        "--surrogate applies to the cleanup, harvest and mmm2 experiments",
    );
    check(
        &["--method", "aga", "--config", "/no/such/file.json"],
        "cannot use config file",
    );
    fails(
        &["train", "--method", "aga", "--steps", "10"],
        "--env is required",
    );
    fails(
        &["train", "--env", "harvest", "--method", "aga"],
        "--steps is required",
    );
    fails(
        &[
            "train", "--env", "desert", "--method", "aga", "--steps", "10",
        ],
        "unknown environment",
    );
    fails(
        &["train", "--resume", "/no/such/run"],
        "/no/such/run/config.json",
    );
    // One --threads check for every command that takes it.
    for command in [
        &[
            "train",
            "--env",
            "harvest",
            "--method",
            "aga",
            "--steps",
            "10",
            "--threads",
            "0",
        ][..],
        &["env", "run", "--env", "harvest", "--threads", "0"][..],
        &["experiment", "harvest", "--threads", "2000"][..],
    ] {
        fails(command, "--threads must be between 1 and 1024");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_harvest_experiment_runs_every_method_and_resumes() {
    let dir = scratch("experiment");
    let out = dir.join("harvest");
    let args = [
        "experiment",
        "harvest",
        "--runs",
        "1",
        "--steps",
        "1024",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    let first = ok(&args);
    for method in [
        "simul-ind",
        "simul-co",
        "svo",
        "consensus (λ=1)",
        "sga (λ=1)",
        "aga (λ=0.1), lr ",
        "aga (λ=1), lr ",
        "aga (λ=100), lr ",
        "aga (λ=1000), lr ",
    ] {
        assert!(
            first.contains(&format!("| {method}")),
            "{method} missing:\n{first}"
        );
    }
    for file in ["table.md", "summary.json", "reward_per_step.png"] {
        assert!(out.join(file).exists(), "{file}");
    }
    let runs: Vec<String> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(runs.len(), 9, "{runs:?}");
    // Each AgA row trains at the rate its folder and table label name (the λ sweep's search).
    for lambda in ["0.1", "1", "100", "1000"] {
        let prefix = format!("aga-lambda{lambda}-lr");
        let run = runs.iter().find(|r| r.starts_with(&prefix)).expect(&prefix);
        let lr: f64 = run[prefix.len()..run.len() - "-seed0".len()]
            .parse()
            .unwrap();
        let label = format!("| aga (λ={lambda}), lr {lr} ");
        assert!(first.contains(&label), "{label} missing:\n{first}");
        let config: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("runs").join(run).join("config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(config["train"]["ppo"]["lr"].as_f64(), Some(lr), "{run}");
        assert_eq!(
            config["train"]["lambda"].as_f64(),
            Some(lambda.parse().unwrap())
        );
    }
    let aga_100 = runs
        .iter()
        .find(|r| r.starts_with("aga-lambda100-"))
        .unwrap();
    let (_, rows) = read_metrics(&out.join("runs").join(aga_100));
    assert_eq!(rows.len(), 1);
    // `--lr` sets every row's rate: one rate, no per-row labels.
    let one_rate = dir.join("one-rate");
    let table = ok(&[
        "experiment",
        "harvest",
        "--runs",
        "1",
        "--steps",
        "1024",
        "--lr",
        "0.002",
        "--lambda",
        "10",
        "--quiet",
        "--out",
        one_rate.to_str().unwrap(),
    ]);
    assert!(table.contains("| aga (λ=10) "), "{table}");
    // The title names the one rate; with per-row rates it points at the labels.
    assert!(
        table.contains("ppo surrogate") && table.contains(", lr 0.002 ("),
        "{table}"
    );
    assert!(
        first.contains("Adam's learning rate per row (in its label)"),
        "{first}"
    );
    assert!(!table.contains("), lr "), "{table}");
    assert_eq!(std::fs::read_dir(one_rate.join("runs")).unwrap().count(), 6);
    // Run again: every run is found finished and skipped, and the table is the same.
    assert_eq!(ok(&args), first);
    fails(
        &["experiment", "toy", "--full"],
        "--full applies to the cleanup, harvest and mmm2",
    );
    fails(
        &[
            "experiment",
            "cleanup",
            "--alpha",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
        "--alpha has no meaning",
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--shard I/N` trains a deterministic share of an experiment's runs and writes no table;
/// `--collect` then writes the table from the shards' runs, and it equals what one invocation
/// writes. Unfinished runs make `--collect` fail and name them.
#[test]
fn sharded_experiment_then_collect_equals_one_invocation() {
    let dir = scratch("shards");
    let env = write(&dir, "small.json", SMALL_ENV);
    let (sharded, whole) = (dir.join("sharded"), dir.join("whole"));
    let args = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "experiment",
            "harvest",
            "--env-config",
            &env,
            "--runs",
            "2",
            "--steps",
            "1024",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| ok(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // `--collect` into `out`, which must fail: its one line.
    let collect_error = |out: &Path| -> String {
        let a = args(out, &["--collect"]);
        let (code, _, err) =
            common::in_process::aga(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(code, 2, "{err}");
        err
    };
    let run_dirs = |out: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(out.join("runs"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };

    // Shard 0 of 2: every other run in table order (9 settings × 2 seeds = 18 runs), no table.
    let said = run(args(&sharded, &["--shard", "0/2"]));
    assert!(
        said.contains(
            "shard 0/2 holds 9 of the experiment's 18 runs: trained 9, 0 already finished"
        ),
        "{said}"
    );
    assert!(!sharded.join("table.md").exists());
    assert!(!sharded.join("summary.json").exists());
    let first_half = run_dirs(&sharded);
    assert_eq!(first_half.len(), 9, "{first_half:?}");
    // Round robin: seed 0 of every setting is run 0, 2, 4, …
    assert!(
        first_half.iter().all(|r| r.ends_with("-seed0")),
        "{first_half:?}"
    );
    // Collecting now names the nine runs shard 1 owns.
    let err = collect_error(&sharded);
    assert!(err.contains("9 of 18 runs in "), "{err}");
    assert!(err.contains("simul-ind-lr0.03-seed1 (absent)"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The failed collect created nothing; nor does one where nothing ran.
    assert_eq!(run_dirs(&sharded), first_half);
    let nowhere = dir.join("nowhere");
    collect_error(&nowhere);
    assert!(!nowhere.exists());

    run(args(&sharded, &["--shard", "1/2"]));
    assert_eq!(run_dirs(&sharded).len(), 18);
    // The same shard again trains nothing, and says so run by run.
    let again = run(args(&sharded, &["--shard", "1/2"]));
    assert!(
        again.contains("holds 9 of the experiment's 18 runs: trained 0, 9 already finished"),
        "{again}"
    );
    assert_eq!(again.matches("(already finished)").count(), 9, "{again}");
    // Every file of the runs, to check that collecting writes none.
    let snapshot = |out: &Path| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![out.join("runs")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let before = snapshot(&sharded);
    let collected = run(args(&sharded, &["--collect"]));
    assert!(
        before == snapshot(&sharded),
        "--collect wrote into the runs"
    );
    let one = run(args(&whole, &[]));
    assert_eq!(collected, one);
    assert_eq!(run_dirs(&sharded), run_dirs(&whole));
    // The same summary, but for where the runs live.
    let summary = |out: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        for r in v["runs"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("dir");
        }
        v
    };
    assert_eq!(summary(&sharded), summary(&whole));
    for out in [&sharded, &whole] {
        for file in ["collective_return.png", "collective_return_second_half.png"] {
            assert!(out.join(file).exists(), "{file}");
        }
    }
    // And the same training, update by update.
    for r in run_dirs(&whole) {
        let (h, a) = read_metrics(&sharded.join("runs").join(&r));
        let (_, b) = read_metrics(&whole.join("runs").join(&r));
        assert_eq!(deterministic_rows(&h, a), deterministic_rows(&h, b), "{r}");
    }
    // A plain invocation afterwards finds every run finished: the same table again.
    assert_eq!(run(args(&sharded, &[])), one);
    // A run stopped between its checkpoint's renames (the old one moved aside) is found whole.
    let svo = sharded.join("runs").join(
        run_dirs(&sharded)
            .into_iter()
            .find(|r| r.starts_with("svo") && r.ends_with("seed0"))
            .unwrap(),
    );
    std::fs::rename(svo.join("checkpoint"), svo.join("checkpoint.old")).unwrap();
    assert_eq!(run(args(&sharded, &[])), one);
    assert!(svo.join("checkpoint").exists() && !svo.join("checkpoint.old").exists());
    // A run whose metrics.csv lost rows, or that was trained with other options, is not
    // collected.
    let metrics = std::fs::read_to_string(svo.join("metrics.csv")).unwrap();
    std::fs::write(svo.join("metrics.csv"), metrics.lines().next().unwrap()).unwrap();
    let err = collect_error(&sharded);
    assert!(err.contains("1 of 18 runs"), "{err}");
    assert!(err.contains("(metrics.csv has 0 of 1 updates)"), "{err}");
    std::fs::write(svo.join("metrics.csv"), &metrics).unwrap();
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(svo.join("config.json")).unwrap()).unwrap();
    record["train"]["steps"] = serde_json::json!(2048);
    std::fs::write(svo.join("config.json"), record.to_string()).unwrap();
    assert!(collect_error(&sharded).contains("(trained with other options)"));
    // Training it again starts afresh (the other run's checkpoint is not taken for this one's)
    // and gives the same table.
    assert_eq!(run(args(&sharded, &[])), one);

    for (extra, needle) in [
        (vec!["--shard", "2/2"], "I must be below N"),
        (vec!["--shard", "1"], "expected I/N"),
        (vec!["--shard", "a/b"], "whole numbers"),
        (vec!["--shard", "0/0"], "N must be between 1"),
        (vec!["--shard", "0/2", "--collect"], "exclude each other"),
    ] {
        let a = args(&sharded, &extra);
        fails(&a.iter().map(String::as_str).collect::<Vec<_>>(), needle);
    }
    fails(
        &["experiment", "toy", "--shard", "0/2"],
        "apply to the cleanup, harvest and mmm2",
    );
    fails(
        &["experiment", "toy", "--collect"],
        "apply to the cleanup, harvest and mmm2",
    );
    fails(
        &["experiment", "ipd", "--env-config", &env],
        "apply to the cleanup, harvest and mmm2",
    );
    fails(
        &["experiment", "mmm2", "--env-preset", "socialjax"],
        "--env-preset applies to cleanup and harvest",
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A run that starts afresh in a folder holding another run (other options) removes that
/// run's checkpoint and evaluation before anything else: were it stopped before its own first
/// checkpoint, the other run's would otherwise be taken for its own (same `config.json`).
#[test]
fn a_fresh_start_removes_what_an_earlier_run_left() {
    use aga::envs::{EnvConfig, EnvKind, EnvPreset};
    use aga::rl::{RlMethod, TrainConfig};
    use aga::training::{open_run, train_to_end, Resume, RunRecord};
    type B = burn::backend::Flex;
    let dir = scratch("fresh-start");
    let env =
        EnvConfig::from_json_over(SMALL_ENV, Some(EnvKind::Harvest), EnvPreset::Reference).unwrap();
    let mut train = TrainConfig::new(RlMethod::SimulInd, 1024);
    train.policy = aga::rl::PolicyKind::Mlp;
    let first = RunRecord::new(train.clone(), env.clone(), "flex", "f32");
    let (mut trainer, mut metrics) =
        open_run::<B>(&first, &dir, Resume::IfSame, Default::default()).unwrap();
    train_to_end(&mut trainer, &dir, &mut metrics, 10, |_| {}).unwrap();
    std::fs::write(dir.join("eval.json"), "{}").unwrap();
    assert!(dir.join("checkpoint").exists());
    // The same folder, another budget: a fresh start.
    train.steps = 2048;
    let second = RunRecord::new(train, env, "flex", "f32");
    let (trainer, _) = open_run::<B>(&second, &dir, Resume::IfSame, Default::default()).unwrap();
    assert_eq!(trainer.updates(), 0);
    assert!(
        !dir.join("checkpoint").exists(),
        "the other run's checkpoint is still there"
    );
    assert!(!dir.join("eval.json").exists());
    assert!(RunRecord::read(&dir).unwrap().same_run(&second));
    std::fs::remove_dir_all(&dir).ok();
}
