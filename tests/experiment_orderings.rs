//! What docs/experiments.md reports, asserted at small sizes: the orderings of the rules that
//! the full runs show, each of which follows from the games' structure (all-defect loses to
//! reciprocity in the IPD; contributing pays collectively but not individually in public goods;
//! LOLA leaves the tandem game's fixed line). Expected values are the games' closed forms.

use serde_json::Value;
use std::collections::HashMap;

/// Run `aga experiment NAME ARGS…` in-process; return each rule's summary by label.
fn summary(name: &str, args: &[&str]) -> HashMap<String, Value> {
    let dir = std::env::temp_dir().join(format!("aga-orderings-{}-{name}", std::process::id()));
    let out = dir.display().to_string();
    let mut argv = vec!["aga", "experiment", name, "--quiet", "--out", &out];
    argv.extend(args);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = aga::cli::main_with(&argv, &mut stdout, &mut stderr);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

fn mean(rule: &Value, field: &str) -> f64 {
    rule[field]["mean"].as_f64().expect("a finite mean")
}

#[test]
fn ipd_shaping_escapes_mutual_defection_and_naive_learning_does_not() {
    let rules = summary("ipd", &["--runs", "4", "--steps", "100", "--threads", "2"]);
    let loss = |label: &str| mean(&rules[label], "final_metric");
    // Naive learning ends at all-defect (average loss 2); LOLA and SOS reach reciprocity close
    // to all-cooperate (1); the collective rules reach exactly mutual cooperation.
    assert!(
        (loss("simgd") - 2.0).abs() < 0.01,
        "simgd {}",
        loss("simgd")
    );
    for shaping in ["lola", "sos"] {
        assert!(loss(shaping) < 1.4, "{shaping} {}", loss(shaping));
    }
    for collective in ["aga", "collective"] {
        assert!(
            (loss(collective) - 1.0).abs() < 0.01,
            "{collective} {}",
            loss(collective)
        );
    }
    assert!(loss("la") > loss("lola"));
}

#[test]
fn public_goods_aga_contributes_and_selfish_rules_do_not() {
    let rules = summary(
        "public-goods",
        &["--runs", "3", "--steps", "100", "--threads", "2"],
    );
    let sw = |label: &str| mean(&rules[label], "sw");
    // n = 2, m = 1.5: SW = 2 at no contribution (the Nash equilibrium), 3 at full contribution.
    assert!(sw("aga") > 2.9, "aga {}", sw("aga"));
    assert!(sw("simgd") < 2.2, "simgd {}", sw("simgd"));
    assert!(sw("aga") > sw("sga") && sw("aga") > sw("consensus"));
}

#[test]
fn tandem_lola_leaves_the_fixed_line_and_sos_keeps_it() {
    let rules = summary("tandem", &["--runs", "3", "--steps", "100"]);
    let sum = |label: &str| mean(&rules[label], "final_metric");
    // The fixed points are the line x + y = 1. LOLA with α = 0.1 stops where
    // (2s − 2)(1 − 2α) − 4αs = 0 (MATH.md §4 on tandem, s = x + y): s = 4/3.
    assert!((sum("simgd") - 1.0).abs() < 1e-3, "simgd {}", sum("simgd"));
    assert!((sum("sos") - 1.0).abs() < 1e-3, "sos {}", sum("sos"));
    assert!(
        (sum("lola") - 4.0 / 3.0).abs() < 1e-3,
        "lola {}",
        sum("lola")
    );
}
