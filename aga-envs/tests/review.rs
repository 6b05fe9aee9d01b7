//! Rules that a review found untested or wrong: colours against ENVS.md, where resets put agents,
//! where Cleanup's waste appears, metrics on apples, partial nested config files (peace in the
//! removal variant is tested in `rules.rs`, beside the removal rule).
//! Expected values are ENVS.md's numbers or probabilities worked out by hand.

use aga_envs::{
    Action, Cell, Env, EnvConfig, EnvKind, Facing, MultiAgentEnv, ObsKind, Ssd, AGENT_COLOURS,
};

/// ENVS.md's colours, copied from the document (not from the crate).
const ENVS_MAP_COLOURS: [(&str, [u8; 3]); 7] = [
    ("empty", [0, 0, 0]),
    ("wall", [180, 180, 180]),
    ("apple", [0, 255, 0]),
    ("fire beam", [255, 255, 0]),
    ("clean beam", [100, 255, 255]),
    ("waste", [99, 156, 194]),
    ("river", [113, 75, 24]),
];
const ENVS_AGENT_COLOURS: [[u8; 3]; 9] = [
    [0, 0, 255],
    [2, 81, 154],
    [204, 0, 204],
    [216, 30, 54],
    [254, 151, 0],
    [100, 255, 255],
    [99, 99, 255],
    [250, 204, 255],
    [238, 223, 16],
];

#[test]
fn agent_colours_are_envs_md_except_agent_6_and_all_distinct() {
    for (k, (&ours, &doc)) in AGENT_COLOURS.iter().zip(&ENVS_AGENT_COLOURS).enumerate() {
        if k == 5 {
            // ENVS.md (and the SSD reference) give agent 6 the clean beam's colour: a documented
            // deviation (docs/envs.md).
            assert_ne!(ours, doc, "agent 6 must not be the clean beam's colour");
        } else {
            assert_eq!(ours, doc, "agent {}", k + 1);
        }
    }
    for (i, a) in AGENT_COLOURS.iter().enumerate() {
        for b in &AGENT_COLOURS[i + 1..] {
            assert_ne!(a, b, "two agents share a colour");
        }
        for (name, c) in ENVS_MAP_COLOURS {
            assert_ne!(*a, c, "agent {} has the colour of {name}", i + 1);
        }
    }
}

#[test]
fn a_seventh_agent_next_to_a_clean_beam_is_told_apart_in_rgb() {
    // Seven agents in a row on an open Cleanup strip; agent 6 (index 5) cleans upwards, and the
    // observer (agent 0) sees both the beam cells and agent 6's own cell.
    let map = "\
@@@@@@@@@
@RRRRRRR@
@       @
@       @
@       @
@PPPPPPP@
@@@@@@@@@";
    let mut env = Env::new(EnvConfig {
        map: map.to_string(),
        agents: 7,
        kind: EnvKind::Cleanup,
        ..EnvConfig::cleanup()
    })
    .unwrap();
    let places: Vec<_> = (0..7).map(|k| (5, 1 + k, Facing::Up)).collect();
    env.place_agents(&places);
    let mut actions = [Action::Stay as u8; 7];
    actions[5] = Action::Clean as u8;
    env.step(&actions).unwrap();
    assert_eq!(env.beam_at(4, 6), 2, "a clean beam above agent 6");
    let (frame, _) = env.rgb_frame();
    let width = env.shape().1;
    let pixel = |r: usize, c: usize| {
        let i = (r * width + c) * 3;
        [frame[i], frame[i + 1], frame[i + 2]]
    };
    assert_eq!(pixel(4, 6), [100, 255, 255], "the beam");
    assert_eq!(pixel(5, 6), AGENT_COLOURS[5], "agent 6");
    assert_ne!(pixel(4, 6), pixel(5, 6));
}

/// The spawn cells (`P`) of a map, as flat indices.
fn spawn_cells(map: &str) -> Vec<usize> {
    let width = map.lines().next().unwrap().chars().count();
    map.lines()
        .enumerate()
        .flat_map(|(r, row)| {
            row.chars()
                .enumerate()
                .filter(|&(_, ch)| ch == 'P')
                .map(move |(c, _)| r * width + c)
        })
        .collect()
}

#[test]
fn resets_draw_distinct_spawn_cells_and_facings_uniformly() {
    // Harvest's reference map: 5 agents on its spawn cells. Over `trials` resets each spawn cell
    // is taken with probability 5/S and each facing has probability 1/4; counts are binomial,
    // accepted within 5 standard deviations (a reset that always used the first spawn cells, or
    // always faced up, is hundreds of deviations away).
    let config = EnvConfig::harvest();
    let spawns = spawn_cells(&config.map);
    let s = spawns.len();
    assert!(s > 5, "the reference map has more spawn cells than agents");
    let width = config.map.lines().next().unwrap().chars().count();
    let mut env = Env::new(config).unwrap();
    let trials = 4000u64;
    let mut per_cell = vec![0u64; s];
    let mut facings = [0u64; 4];
    for seed in 0..trials {
        env.reset(seed);
        let mut cells: Vec<usize> = env
            .agents()
            .iter()
            .map(|a| a.row as usize * width + a.col as usize)
            .collect();
        for (a, &cell) in env.agents().iter().zip(&cells) {
            let j = spawns
                .iter()
                .position(|&x| x == cell)
                .expect("every agent starts on a spawn cell");
            per_cell[j] += 1;
            facings[a.facing as usize] += 1;
        }
        cells.sort_unstable();
        cells.dedup();
        assert_eq!(cells.len(), 5, "agents on distinct cells (seed {seed})");
    }
    let p = 5.0 / s as f64;
    let (mean, sd) = (trials as f64 * p, (trials as f64 * p * (1.0 - p)).sqrt());
    for (j, &n) in per_cell.iter().enumerate() {
        assert!(
            (n as f64 - mean).abs() < 5.0 * sd,
            "spawn cell {j}: {n} of {trials} resets, expected {mean:.1} ± {sd:.1}"
        );
    }
    let draws = (trials * 5) as f64;
    let (mean, sd) = (draws / 4.0, (draws * 0.25 * 0.75).sqrt());
    for (f, &n) in facings.iter().enumerate() {
        assert!(
            (n as f64 - mean).abs() < 5.0 * sd,
            "facing {f}: {n}, expected {mean:.1} ± {sd:.1}"
        );
    }
    // Different seeds give different starts; one seed gives the same start.
    env.reset(7);
    let a = env.agents().to_vec();
    env.reset(7);
    assert_eq!(a, env.agents().to_vec());
    env.reset(8);
    assert_ne!(a, env.agents().to_vec());
}

#[test]
fn cleanup_waste_appears_only_on_clean_river_cells_uniformly() {
    // Clear the reference river (density 0), step once: with the reference's per-cell draws one
    // waste cell appears (probability 1 − 0.5^119), on a uniformly random clean `H`/`R` cell,
    // never on the stream `S`, the orchard, or an empty cell. Uniformity: a chi-square statistic
    // over the 119 cells (118 degrees of freedom: mean 118, sd √236 ≈ 15.4), accepted below mean
    // + 5 sd. A spawn that always picked the first clean cell scores about 119 · trials.
    let config = EnvConfig::cleanup();
    let width = config.map.lines().next().unwrap().chars().count();
    let river: Vec<usize> = config
        .map
        .lines()
        .enumerate()
        .flat_map(|(r, row)| {
            row.chars()
                .enumerate()
                .filter(|&(_, ch)| ch == 'H' || ch == 'R')
                .map(move |(c, _)| r * width + c)
        })
        .collect();
    assert_eq!(river.len(), 119, "ENVS.md's potential waste area");
    let mut env = Env::new(config).unwrap();
    let (h, w) = env.shape();
    let trials = 6000u64;
    let mut counts = vec![0u64; river.len()];
    for seed in 0..trials {
        env.reset(seed);
        for r in 0..h {
            for c in 0..w {
                if env.cell(r, c) == Cell::Waste {
                    env.set_cell(r, c, Cell::River);
                }
            }
        }
        env.step(&[Action::Stay as u8; 5]).unwrap();
        let mut new = Vec::new();
        for r in 0..h {
            for c in 0..w {
                if env.cell(r, c) == Cell::Waste {
                    new.push(r * w + c);
                }
            }
        }
        assert_eq!(new.len(), 1, "one new waste cell (seed {seed})");
        let j = river
            .iter()
            .position(|&x| x == new[0])
            .unwrap_or_else(|| panic!("waste at {} is not an H or R cell", new[0]));
        counts[j] += 1;
    }
    let expected = trials as f64 / river.len() as f64;
    let chi2: f64 = counts
        .iter()
        .map(|&n| (n as f64 - expected).powi(2) / expected)
        .sum();
    let dof = (river.len() - 1) as f64;
    assert!(
        chi2.is_finite() && chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
        "chi-square {chi2:.1} over {dof} degrees of freedom"
    );
}

#[test]
fn a_config_file_may_set_part_of_a_nested_object() {
    let c = EnvConfig::from_json(r#"{"zap": {"fine": 0}}"#, Some(EnvKind::Harvest)).unwrap();
    let reference = EnvConfig::harvest();
    assert_eq!(c.zap.fine, 0.0);
    assert_eq!(c.zap.cost, reference.zap.cost, "the cost kept");
    assert_eq!(c.zap.removal_steps, reference.zap.removal_steps);
    let c = EnvConfig::from_json(r#"{"regrowth": {"radius_sq": 4}}"#, None).unwrap();
    assert_eq!(c.regrowth.radius_sq, 4);
    assert_eq!(c.regrowth.rates, reference.regrowth.rates, "the rates kept");
    let c = EnvConfig::from_json(r#"{"zap": {"removal_steps": 4}}"#, None).unwrap();
    assert_eq!(c.zap.removal_steps, Some(4));
    assert_eq!(c.zap.fine, reference.zap.fine);
    // Unknown nested fields are still errors, and so are wrong types.
    let e = EnvConfig::from_json(r#"{"zap": {"fien": 0}}"#, None).unwrap_err();
    assert!(e.to_string().contains("fien"), "{e}");
    assert!(EnvConfig::from_json(r#"{"zap": 3}"#, None).is_err());
}

#[test]
fn apple_metrics_count_apples_where_reward_metrics_count_fines() {
    // Agent 0 steps onto the apple ahead of it while agent 1, behind it, fires up and hits it:
    // rewards (1 − 50, −1), apples (1, 0). On net rewards E = 1 − 2·48/(2·2·50) = 0.52; on apples
    // E = 1 − 2·1/(2·2·1) = 0.5, efficiency 1 apple per step, sustainability t = 0.
    let config = EnvConfig {
        map: "\
@@@@@
@ A @
@ P @
@ P @
@   @
@@@@@"
            .to_string(),
        agents: 2,
        regrowth: aga_envs::Regrowth {
            radius_sq: 2,
            rates: vec![0.0],
        },
        ..EnvConfig::harvest()
    };
    let mut ssd = Ssd::new(config, ObsKind::Rgb).unwrap();
    ssd.env_mut()
        .place_agents(&[(2, 2, Facing::Up), (3, 2, Facing::Up)]);
    let mut rewards = [0.0f32; 2];
    ssd.step(
        &[Action::MoveForward as u8, Action::Fire as u8],
        &mut rewards,
    )
    .unwrap();
    assert_eq!(rewards, [1.0 - 50.0, -1.0]);
    let m = ssd.episode_metrics();
    assert_eq!(m.returns, vec![-49.0, -1.0]);
    assert_eq!(m.apples, vec![1.0, 0.0]);
    assert_eq!(m.apple_efficiency, 1.0);
    assert_eq!(m.apple_equality, 0.5);
    assert_eq!(m.apple_sustainability, 0.0);
    assert!((m.equality - 0.52).abs() < 1e-12, "{}", m.equality);
}
