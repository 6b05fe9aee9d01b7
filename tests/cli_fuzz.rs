//! The command line under random argument vectors and random or mutated config files, run
//! in-process: no input may panic; every failure is exactly one line `aga: error: …` with exit
//! status 2; every success exits 0 and writes well-formed output (JSON that parses where
//! `--json` was asked for). Sizes are drawn so that every valid combination is small, and every
//! size beyond a limit must be refused before any allocation.

use proptest::prelude::*;

/// Values for one option: valid, out of range, extreme, and not numbers at all.
fn pick(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(values).prop_map(str::to_string)
}

const GAMES: &[&str] = &[
    "toy",
    "bilinear",
    "matching-pennies",
    "ipd",
    "stag-hunt",
    "tandem",
    "public-goods",
    "mlp",
    "chess",
    "",
];
const METHODS: &[&str] = &[
    "simgd",
    "collective",
    "consensus",
    "sga",
    "aga",
    "la",
    "lola",
    "sos",
    "adam",
    "AGA",
];
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "0.5", "2.5", "1e308", "-1e308", "nan", "inf", "-inf", "abc", "", "1e-300",
];
const COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1001",
    "1000000000",
    "4000000000",
    "99999999999999999999999",
    "x",
];
const HIDDEN: &[&str] = &["1", "2", "0", "100000", "4000000000", "-5", "1.5"];
/// Every value beyond a limit is beyond every command's limit (run: 10⁷, experiments: 10⁶), so
/// that no valid draw is a long run.
const STEPS: &[&str] = &[
    "0",
    "1",
    "3",
    "10000001",
    "99999999999999999999",
    "-2",
    "1e3",
];
const RUNS: &[&str] = &["0", "1", "2", "10001", "-1", "many"];
const POINTS: &[&str] = &[
    "0.5,0.5",
    "0,0",
    "1,2,3",
    "0.5",
    "nan,1",
    "1e308,1e308",
    "a,b",
    ",",
    "1,,2",
    "0,0,0,0,0,0,0,0,0,0",
    "-1.5,-1.5",
];
const MATRICES: &[&str] = &[
    "1",
    "1,2;3,4",
    "1;2",
    "1,2;3",
    "nan",
    "",
    ";",
    "1e308,-1e308",
];

/// One option with a value drawn from its set, or a flag.
fn option() -> impl Strategy<Value = Vec<String>> {
    let with = |name: &'static str, values: BoxedStrategy<String>| {
        values.prop_map(move |v| vec![name.to_string(), v])
    };
    prop_oneof![
        with("--game", pick(GAMES).boxed()),
        with("--method", pick(METHODS).boxed()),
        with("--lambda", pick(NUMBERS).boxed()),
        with("--alpha", pick(NUMBERS).boxed()),
        with("--sos-a", pick(NUMBERS).boxed()),
        with("--sos-b", pick(NUMBERS).boxed()),
        with("--sga-epsilon", pick(NUMBERS).boxed()),
        with("--svo-angle", pick(NUMBERS).boxed()),
        with("--svo-weight", pick(NUMBERS).boxed()),
        with("--multiplier", pick(NUMBERS).boxed()),
        with("--gamma", pick(NUMBERS).boxed()),
        with("--players", pick(COUNTS).boxed()),
        with("--hidden", pick(HIDDEN).boxed()),
        with("--seed", pick(COUNTS).boxed()),
        with("--matrix", pick(MATRICES).boxed()),
        with("--at", pick(POINTS).boxed()),
        with("--init", pick(POINTS).boxed()),
        with("--lr", pick(NUMBERS).boxed()),
        with("--steps", pick(STEPS).boxed()),
        with("--eigen-tol", pick(NUMBERS).boxed()),
        with("--unknown-option", pick(NUMBERS).boxed()),
        with("--env", pick(&["harvest", "cleanup", "chess", ""]).boxed()),
        with(
            "--policy",
            pick(&["random", "stay", "greedy", "clean-and-harvest", "selfish"]).boxed()
        ),
        with("--cleaners", pick(COUNTS).boxed()),
        with("--agents", pick(COUNTS).boxed()),
        with("--envs", pick(COUNTS).boxed()),
        with("--obs", pick(&["rgb", "one-hot", "depth"]).boxed()),
        Just(vec!["--svo".to_string()]),
        Just(vec!["--no-align".to_string()]),
        Just(vec!["--json".to_string()]),
    ]
}

/// A config file's text: a valid one, a mutated one, or noise.
fn config_text() -> impl Strategy<Value = String> {
    let valid = r#"{"game": "public-goods", "options": {"players": 3, "multiplier": 2.0}, "rule": {"method": "aga", "lambda": 0.5}, "svo": {"angle": 0.785, "weight": 1.0}}"#;
    prop_oneof![
        Just(valid.to_string()),
        // Drop a random span of the valid file.
        (0..valid.len(), 0..20usize).prop_map(move |(at, len)| {
            let end = (at + len).min(valid.len());
            format!("{}{}", &valid[..at], &valid[end..])
        }),
        // Replace a random byte with a random printable character.
        (0..valid.len(), 32u8..127).prop_map(move |(at, c)| {
            let mut bytes = valid.as_bytes().to_vec();
            bytes[at] = c;
            String::from_utf8(bytes).expect("ASCII")
        }),
        Just(r#"{"rule": {"lambda": 2.0}}"#.to_string()),
        Just(r#"{"rule": {"method": "lola", "alpha": -1}}"#.to_string()),
        Just(r#"{"options": {"players": 1000000000}, "game": "public-goods"}"#.to_string()),
        Just(r#"{"options": {"hidden": 4000000000}, "game": "mlp"}"#.to_string()),
        Just(r#"{"game": 3}"#.to_string()),
        Just(r#"{"surprise": true}"#.to_string()),
        Just(String::new()),
        "[ -~]{0,40}",
    ]
}

/// A valid command line with one option possibly replaced or added: mostly successes.
fn near_valid() -> impl Strategy<Value = (Vec<String>, Option<String>)> {
    let base = pick(&[
        "run --game toy --method {m} --lr 0.01 --steps 3 --init 0.5,0.5",
        "run --game public-goods --players 3 --multiplier 2 --method {m} --lr 0.1 --steps 2 --json",
        "run --game ipd --method {m} --lr 1 --steps 2 --json",
        "direction --game matching-pennies --method {m} --at 0.3,-0.2 --json",
        "direction --game mlp --hidden 2 --method {m}",
        "direction --game bilinear --matrix 1,2;3,4 --method {m} --at 1,0,0,1 --json",
        "hessian --game tandem --at 0.5,0.5 --json",
        "hessian --game stag-hunt --at 0,0",
        "games",
        "experiment matching-pennies --runs 1 --steps 2 --quiet",
        "experiment public-goods --runs 2 --steps 1 --quiet",
        "env run --env harvest --policy greedy --steps 20 --json",
        "env run --env cleanup --policy clean-and-harvest --cleaners 1 --steps 10 --envs 2 --json",
        "env render --env cleanup --policy random --steps 3 --ascii",
    ]);
    (
        base,
        pick(METHODS),
        prop::option::of(option()),
        any::<bool>(),
    )
        .prop_map(|(base, method, extra, json)| {
            let line = base.replace("{m}", &method);
            let mut args: Vec<String> = std::iter::once("aga".to_string())
                .chain(line.split(' ').map(str::to_string))
                .collect();
            if let Some(extra) = extra {
                // Replace the option if present (clap refuses repeats), else add it.
                match args.iter().position(|a| *a == extra[0]) {
                    Some(i) if extra.len() == 2 && i + 1 < args.len() => {
                        args[i + 1] = extra[1].clone()
                    }
                    Some(_) => {}
                    None if !line.starts_with("experiment") && !line.starts_with("games") => {
                        args.extend(extra)
                    }
                    None => {}
                }
            }
            if json
                && !line.starts_with("experiment")
                && !line.starts_with("games")
                && !args.contains(&"--json".to_string())
            {
                args.push("--json".into());
            }
            (args, None)
        })
}

/// A subcommand with its options: hostile or near-valid.
fn command() -> impl Strategy<Value = (Vec<String>, Option<String>)> {
    prop_oneof![hostile(), near_valid()]
}

/// A subcommand with random options.
fn hostile() -> impl Strategy<Value = (Vec<String>, Option<String>)> {
    let sub = pick(&[
        "run",
        "direction",
        "hessian",
        "games",
        "experiment",
        "fly",
        "",
    ]);
    let experiment = pick(&[
        "toy",
        "public-goods",
        "ipd",
        "matching-pennies",
        "tandem",
        "nope",
    ]);
    (
        sub,
        experiment,
        prop::collection::vec(option(), 0..7),
        pick(RUNS),
        pick(STEPS),
        prop::option::of(config_text()),
        any::<bool>(),
    )
        .prop_map(|(sub, exp, options, runs, steps, config, missing_config)| {
            let mut args = vec!["aga".to_string()];
            if !sub.is_empty() {
                args.push(sub.clone());
            }
            if sub == "experiment" {
                // Experiments always get small --runs/--steps values (or invalid ones): their
                // defaults are minutes of work in a debug build.
                args.extend([exp, "--runs".into(), runs, "--steps".into(), steps]);
                args.push("--quiet".into());
            } else {
                for o in options {
                    args.extend(o);
                }
            }
            if missing_config {
                args.extend(["--config".into(), "/nonexistent/aga.json".into()]);
            }
            (args, config)
        })
}

/// Run the command line in-process: exit code, stdout, stderr.
fn aga_in_process<S: AsRef<str>>(args: &[S]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let code = aga::cli::main_with(&args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).expect("stdout is UTF-8"),
        String::from_utf8(err).expect("stderr is UTF-8"),
    )
}

fn check(args: &[String]) -> Result<(), TestCaseError> {
    let (code, out, err) = aga_in_process(args);
    prop_assert!(code == 0 || code == 2, "exit code {code} for {args:?}");
    if code == 2 {
        if args.len() == 1 {
            // `aga` alone: clap prints the help (several lines) and exits 2.
            prop_assert!(err.contains("Usage:"), "{}", err);
            return Ok(());
        }
        let lines: Vec<&str> = err.lines().collect();
        prop_assert_eq!(lines.len(), 1, "not one line for {:?}: {}", args, err);
        prop_assert!(
            lines[0].starts_with("aga: error: ") && lines[0].len() > "aga: error: ".len(),
            "{:?}: {}",
            args,
            err
        );
    } else {
        prop_assert!(!out.trim().is_empty(), "no output for {args:?}");
        if args.iter().any(|a| a == "--json") && !args.iter().any(|a| a == "--help") {
            let value: serde_json::Value = serde_json::from_str(out.trim())
                .map_err(|e| TestCaseError::fail(format!("{args:?}: not JSON ({e}): {out}")))?;
            prop_assert!(value.is_object());
        }
    }
    SUCCESSES.fetch_add(u64::from(code == 0), std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

static SUCCESSES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_command_lines_never_panic((mut args, config) in command()) {
        let dir = std::env::temp_dir().join(format!("aga-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(text) = config {
            let path = dir.join("config.json");
            std::fs::write(&path, text).unwrap();
            args.extend(["--config".into(), path.display().to_string()]);
        }
        if args.get(1).map(String::as_str) == Some("experiment") {
            args.extend(["--out".into(), dir.join("out").display().to_string()]);
        }
        check(&args)?;
    }
}

#[test]
fn the_fuzzer_reaches_successful_runs_too() {
    // Run the property first (same process, so the counter is shared), then check that the
    // generator is not only producing errors.
    random_command_lines_never_panic();
    let ok = SUCCESSES.load(std::sync::atomic::Ordering::Relaxed);
    println!("successful command lines: {ok}");
    assert!(
        ok >= 40,
        "only {ok} successful command lines: the generator is too hostile"
    );
}

/// The inputs of the reliability issue, each refused (or run and reported) without a panic.
#[test]
fn hostile_inputs_fail_with_one_line_errors() {
    let dir = std::env::temp_dir().join(format!("aga-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_dir = dir.join("toy").display().to_string();
    let no_method = dir.join("no-method.json");
    std::fs::write(&no_method, r#"{"rule": {"lambda": 2.0}}"#).unwrap();
    let cases = [
        (
            "hessian --game mlp --hidden 100000 --at 0",
            "above the limit",
        ),
        (
            "hessian --game mlp --hidden 64 --at 0",
            "Hessian-vector products",
        ),
        (
            "run --game public-goods --players 1000000000 --method aga --lr 0.1 --steps 1",
            "above the limit of 1000",
        ),
        (
            "run --game mlp --hidden 4000000000 --method aga --lr 0.1 --steps 1",
            "above the limit",
        ),
        (
            "run --game mlp --players 100000 --method aga --lr 0.1 --steps 1",
            "above the limit of 1000",
        ),
        (
            "run --game toy --method aga --lr 0.1 --steps 100000000",
            "above the limit",
        ),
        (
            &format!("experiment toy --runs 1000000000 --out {out_dir}"),
            "above the limit",
        ),
        // A rule without a method in a config file is an error, not a silent AgA.
        (
            &format!("direction --config {} --at 0.5,0.5", no_method.display()),
            "missing field `method`",
        ),
    ];
    for (line, needle) in cases {
        let args: Vec<&str> = std::iter::once("aga").chain(line.split(' ')).collect();
        let (code, _, err) = aga_in_process(&args);
        assert_eq!(code, 2, "{line}: {err}");
        assert_eq!(err.lines().count(), 1, "{line}: {err}");
        assert!(err.contains(needle), "{line}: {err}");
    }
}

/// An extreme but valid λ makes AgA diverge at its first step: the experiment reports the
/// divergence instead of panicking.
#[test]
fn experiments_report_divergence_at_the_first_step() {
    let dir = std::env::temp_dir().join(format!("aga-diverge-{}", std::process::id()));
    for name in ["toy", "public-goods"] {
        let out_dir = dir.join(name).display().to_string();
        let (code, _, err) = aga_in_process(&[
            "aga",
            "experiment",
            name,
            "--lambda",
            "1e308",
            "--runs",
            "2",
            "--steps",
            "10",
            "--quiet",
            "--out",
            &out_dir,
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let text = std::fs::read_to_string(dir.join(name).join("summary.json")).unwrap();
        let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        let aga = summary["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["label"] == "aga")
            .expect("an aga rule");
        // toy reports the diverged fraction, public goods the count: every AgA run diverged.
        let diverged = aga["diverged"].as_f64().unwrap();
        assert!(diverged == 1.0 || diverged == 2.0, "{name}: {aga}");
    }
}
