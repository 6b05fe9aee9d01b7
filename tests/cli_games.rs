//! The command line's newer subcommands and options: `games`, `hessian`, config files, the
//! opponent-shaping methods and SVO, with one-line errors.

use crate::common;

use common::cli::{aga, assert_error, floats, json, tempdir};
use serde_json::Value;

#[test]
fn games_lists_every_game_with_parameters() {
    let out = aga(&["games"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "toy",
        "bilinear",
        "matching-pennies",
        "ipd",
        "stag-hunt",
        "tandem",
        "public-goods",
        "mlp",
    ] {
        assert!(
            text.lines().any(|l| l == name),
            "`{name}` missing from `aga games`"
        );
    }
    assert_eq!(text.matches("parameters:").count(), 8);
}

#[test]
fn hessian_json_classifies_known_points() {
    let analyse = |args: &[&str]| {
        let mut all = vec!["hessian", "--json"];
        all.extend_from_slice(args);
        json(&aga(&all))
    };
    // Bilinear origin: H antisymmetric and invertible, S = 0: stable for the game (MATH.md §3);
    // H_c = 0 is degenerate: a saddle for the collective loss.
    let out = analyse(&["--game", "bilinear", "--at", "0,0"]);
    let mut keys: Vec<_> = out.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["class", "class_c", "eig_h_c", "eig_s", "h", "h_c", "xi", "xi_c"]
    );
    assert_eq!(out["class"], "stable");
    assert_eq!(out["class_c"], "saddle");
    assert_eq!(floats(&out["h"][0]), [0.0, 1.0]);
    assert_eq!(floats(&out["h"][1]), [-1.0, 0.0]);
    // The toy game's joint maximum: a strict minimum of both the game and l_c.
    let out = analyse(&[
        "--game",
        "toy",
        "--at",
        "1.3249760916306899,0.7551461586404911",
    ]);
    assert_eq!(
        (out["class"].as_str(), out["class_c"].as_str()),
        (Some("stable"), Some("stable"))
    );
    // Away from a fixed point.
    let out = analyse(&["--game", "toy", "--at", "0.5,0.5"]);
    assert_eq!(
        (out["class"].as_str(), out["class_c"].as_str()),
        (Some("not-fixed"), Some("not-fixed"))
    );
    // Matching pennies' equilibrium θ = 0: H = [[0, 1], [−1, 0]] (scaled), stable; the
    // tandem game's fixed line: H = [[2, 2], [2, 2]], singular, so a saddle (degenerate).
    let out = analyse(&["--game", "matching-pennies", "--at", "0,0"]);
    assert_eq!(out["class"], "stable");
    let out = analyse(&["--game", "tandem", "--at", "0.25,0.75"]);
    assert_eq!(out["class"], "saddle");
    // Plain text mentions both classes.
    let out = aga(&["hessian", "--game", "bilinear", "--at", "0,0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("game:       stable") && text.contains("collective: saddle"),
        "{text}"
    );
}

#[test]
fn config_file_sets_the_game_and_the_rule_and_flags_override_it() {
    let dir = tempdir("config");
    let path = dir.join("pg.json");
    std::fs::write(
        &path,
        r#"{"game": "public-goods", "options": {"players": 3, "multiplier": 2.0},
            "rule": {"method": "collective"}}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let out = json(&aga(&[
        "direction",
        "--config",
        p,
        "--at",
        "0,0,0",
        "--json",
    ]));
    // l_c = Σ(a_i − 1 − m Σa/n): ∂l_c/∂θ_i = σ'(0)(1 − m) = 0.25·(1 − 2) = −0.25.
    assert!(floats(&out["direction"])
        .iter()
        .all(|x| (x + 0.25).abs() < 1e-15));
    // --method overrides the file's rule; --multiplier its game options.
    let out = json(&aga(&[
        "direction",
        "--config",
        p,
        "--method",
        "simgd",
        "--multiplier",
        "1.5",
        "--at",
        "0,0,0",
        "--json",
    ]));
    // ∂l_i/∂θ_i = σ'(0)(1 − m/n) = 0.25·0.5.
    assert!(floats(&out["direction"])
        .iter()
        .all(|x| (x - 0.125).abs() < 1e-15));

    std::fs::write(&path, r#"{"game": "toy", "colour": "red"}"#).unwrap();
    assert_error(
        &["direction", "--config", p, "--method", "aga", "--at", "0,0"],
        "unknown field",
    );
    std::fs::write(&path, "{not json").unwrap();
    assert_error(
        &["direction", "--config", p, "--method", "aga", "--at", "0,0"],
        "cannot use config file",
    );
    assert_error(
        &[
            "direction",
            "--config",
            "/nonexistent/aga.json",
            "--method",
            "aga",
            "--at",
            "0,0",
        ],
        "cannot use config file",
    );
}

#[test]
fn opponent_shaping_methods_and_svo_from_the_command_line() {
    // Tandem at (1, 1) with α = 0.1: LA = 1.6, LOLA = 0.8 (see aga-core's tests).
    let direction = |extra: &[&str]| {
        let mut args = vec![
            "direction",
            "--game",
            "tandem",
            "--at",
            "1,1",
            "--json",
            "--alpha",
            "0.1",
        ];
        args.extend_from_slice(extra);
        floats(&json(&aga(&args))["direction"])
    };
    let la = direction(&["--method", "la"]);
    let lola = direction(&["--method", "lola"]);
    assert!(
        (la[0] - 1.6).abs() < 1e-14 && (lola[0] - 0.8).abs() < 1e-14,
        "{la:?} {lola:?}"
    );
    let sos = direction(&["--method", "sos", "--sos-a", "0.25"]);
    assert!((sos[0] - 1.2).abs() < 1e-14, "{sos:?}");
    // SVO changes the direction of an unequal public goods point, and runs with any method.
    let pg = |extra: &[&str]| {
        let mut args = vec![
            "direction",
            "--game",
            "public-goods",
            "--at",
            "1,-1",
            "--json",
        ];
        args.extend_from_slice(extra);
        floats(&json(&aga(&args))["direction"])
    };
    let plain = pg(&["--method", "simgd"]);
    let shaped = pg(&["--method", "simgd", "--svo"]);
    assert!(plain.iter().zip(&shaped).any(|(a, b)| (a - b).abs() > 1e-6));
    let steeper = pg(&["--method", "aga", "--svo-weight", "3"]);
    assert!(steeper.iter().all(|x| x.is_finite()));
    let out = json(&aga(&[
        "run", "--game", "ipd", "--method", "lola", "--lr", "1", "--steps", "3", "--json",
    ]));
    assert_eq!(floats(&out["final"]).len(), 10);
    assert_error(
        &[
            "direction",
            "--game",
            "tandem",
            "--method",
            "lola",
            "--alpha",
            "0",
            "--at",
            "1,1",
        ],
        "alpha",
    );
    assert_error(
        &[
            "direction",
            "--game",
            "public-goods",
            "--method",
            "simgd",
            "--svo-weight",
            "-1",
            "--at",
            "0,0",
        ],
        "SVO",
    );
    assert_error(
        &[
            "direction",
            "--game",
            "public-goods",
            "--players",
            "3",
            "--multiplier",
            "5",
            "--method",
            "aga",
            "--at",
            "0,0,0",
        ],
        "multiplier",
    );
    assert_error(&["hessian", "--game", "mlp", "--hidden", "64"], "at most");
}

#[test]
fn experiments_run_end_to_end_at_a_tiny_size_and_their_outputs_parse() {
    let dir = tempdir("experiments");
    for (name, pngs, extra) in [
        (
            "toy",
            vec!["toy_r1.png", "toy_collective.png"],
            vec!["--runs", "2", "--steps", "10"],
        ),
        (
            "public-goods",
            vec!["public_goods_contributions.png"],
            vec!["--runs", "3", "--steps", "5"],
        ),
        (
            "ipd",
            vec!["ipd_loss.png"],
            vec!["--runs", "2", "--steps", "3"],
        ),
        (
            "matching-pennies",
            vec!["matching_pennies_distance.png"],
            vec!["--runs", "2", "--steps", "5"],
        ),
        (
            "tandem",
            vec!["tandem_sum.png"],
            vec!["--runs", "2", "--steps", "5"],
        ),
    ] {
        let out_dir = dir.join(name);
        let out_str = out_dir.to_str().unwrap().to_string();
        let mut args = vec![
            "experiment",
            name,
            "--out",
            &out_str,
            "--quiet",
            "--threads",
            "2",
        ];
        args.extend(extra.iter().copied());
        let out = aga(&args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The printed table is the Markdown table written to table.md.
        let table = std::fs::read_to_string(out_dir.join("table.md")).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), table);
        assert!(table.lines().nth(1).unwrap().starts_with("| ---"));
        let summary: Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["experiment"], name);
        let rules = summary["rules"].as_array().unwrap();
        assert!(rules.len() >= 7, "{name}: {} rules", rules.len());
        assert_eq!(table.lines().count(), rules.len() + 2);
        let mut reader = csv::Reader::from_path(out_dir.join("runs.csv")).unwrap();
        let runs: usize = extra[1].parse().unwrap();
        let showcase = usize::from(name == "toy");
        assert_eq!(reader.records().count(), rules.len() * (runs + showcase));
        for png in pngs {
            let bytes = std::fs::read(out_dir.join(png)).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}: {png}");
        }
    }
    // The same seed gives the same results; the raw CSV is identical.
    let again = dir.join("toy-again");
    let again_str = again.to_str().unwrap();
    let out = aga(&[
        "experiment",
        "toy",
        "--out",
        again_str,
        "--quiet",
        "--runs",
        "2",
        "--steps",
        "10",
        "--threads",
        "1",
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(dir.join("toy").join("runs.csv")).unwrap(),
        std::fs::read(again.join("runs.csv")).unwrap()
    );
    assert_error(&["experiment", "chess"], "unknown experiment");
    assert_error(
        &["experiment", "toy", "--runs", "0", "--out", again_str],
        "--runs",
    );
    assert_error(
        &["experiment", "toy", "--lr", "-1", "--out", again_str],
        "--lr",
    );
    std::fs::remove_dir_all(&dir).ok();
}
