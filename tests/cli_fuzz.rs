//! The command line under random argument vectors and random or mutated config files, run
//! in-process: no input may panic; every failure is exactly one line `aga: error: …` with exit
//! status 2; every success exits 0 and writes well-formed output (JSON that parses where
//! `--json` was asked for). Sizes are drawn so that every valid combination is small, and every
//! size beyond a limit must be refused before any allocation.

use proptest::prelude::*;
use std::path::Path;

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

fn check(args: &[String], dir: &Path) -> Result<(), TestCaseError> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = aga::cli::main_with(args, &mut out, &mut err);
    let (out, err) = (
        String::from_utf8(out).expect("stdout is UTF-8"),
        String::from_utf8(err).expect("stderr is UTF-8"),
    );
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
    let _ = dir;
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
        check(&args, &dir)?;
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
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "hessian", "--game", "mlp", "--hidden", "100000", "--at", "0",
            ],
            "above the limit",
        ),
        (
            vec!["hessian", "--game", "mlp", "--hidden", "64", "--at", "0"],
            "Hessian-vector products",
        ),
        (
            vec![
                "run",
                "--game",
                "public-goods",
                "--players",
                "1000000000",
                "--method",
                "aga",
                "--lr",
                "0.1",
                "--steps",
                "1",
            ],
            "above the limit of 1000",
        ),
        (
            vec![
                "run",
                "--game",
                "mlp",
                "--hidden",
                "4000000000",
                "--method",
                "aga",
                "--lr",
                "0.1",
                "--steps",
                "1",
            ],
            "above the limit",
        ),
        (
            vec![
                "run",
                "--game",
                "mlp",
                "--players",
                "100000",
                "--method",
                "aga",
                "--lr",
                "0.1",
                "--steps",
                "1",
            ],
            "above the limit of 1000",
        ),
        (
            vec![
                "run",
                "--game",
                "toy",
                "--method",
                "aga",
                "--lr",
                "0.1",
                "--steps",
                "100000000",
            ],
            "above the limit",
        ),
        (
            vec![
                "experiment",
                "toy",
                "--runs",
                "1000000000",
                "--out",
                &out_dir,
            ],
            "above the limit",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["aga"];
        full.extend(&args);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = aga::cli::main_with(&full, &mut out, &mut err);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // A rule without a method in a config file is an error, not a silent AgA.
    let path = dir.join("no-method.json");
    std::fs::write(&path, r#"{"rule": {"lambda": 2.0}}"#).unwrap();
    let path = path.display().to_string();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = aga::cli::main_with(
        ["aga", "direction", "--config", &path, "--at", "0.5,0.5"],
        &mut out,
        &mut err,
    );
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing field `method`"), "{err}");
}

/// An extreme but valid λ makes AgA diverge at its first step: the experiment reports the
/// divergence instead of panicking.
#[test]
fn experiments_report_divergence_at_the_first_step() {
    let dir = std::env::temp_dir().join(format!("aga-diverge-{}", std::process::id()));
    for name in ["toy", "public-goods"] {
        let out_dir = dir.join(name).display().to_string();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = aga::cli::main_with(
            [
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
            ],
            &mut out,
            &mut err,
        );
        let (out, err) = (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        );
        assert_eq!(code, 0, "{name}: {err}");
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(name).join("summary.json")).unwrap(),
        )
        .unwrap();
        let text = summary.to_string();
        assert!(text.contains("diverged"), "{name}: {out}");
    }
}
