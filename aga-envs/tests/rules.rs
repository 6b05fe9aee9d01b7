//! The rules of ENVS.md on small hand-made maps, with expected values worked out by hand.

use aga_envs::{
    equality, Action, Cell, Env, EnvConfig, EnvError, EnvKind, EpisodeTracker, Facing,
    MultiAgentEnv, ObsKind, Policy, Regrowth, Ssd, VecEnv, Zap, AGENT_COLOURS,
};
use rand::{Rng, SeedableRng};

/// A Harvest on `map` with `agents` agents and no regrowth (unless set).
fn harvest(map: &str, agents: usize) -> Env {
    let config = EnvConfig {
        map: map.to_string(),
        agents,
        regrowth: Regrowth {
            radius_sq: 2,
            rates: vec![0.0],
        },
        ..EnvConfig::harvest()
    };
    Env::new(config).unwrap()
}

const OPEN: &str = "\
@@@@@@@@@
@PPPPPPP@
@       @
@       @
@       @
@       @
@@@@@@@@@";

fn act(a: Action) -> u8 {
    a as u8
}

#[test]
fn the_reference_maps_have_their_documented_sizes() {
    let h = Env::new(EnvConfig::harvest()).unwrap();
    assert_eq!(h.shape(), (16, 38));
    assert_eq!(h.apple_cells().len(), 155);
    assert_eq!(h.counters().apples_remaining, 155);
    assert_eq!(h.num_actions(), 8);
    let c = Env::new(EnvConfig::cleanup()).unwrap();
    assert_eq!(c.shape(), (25, 18));
    assert_eq!(c.potential_waste_area(), 119);
    // 56 H cells hold waste at the start: density 56/119 ≈ 0.47 ≥ 0.4, nothing grows.
    assert!((c.counters().waste_density - 56.0 / 119.0).abs() < 1e-15);
    assert_eq!(c.counters().apples_remaining, 0);
    assert_eq!(c.num_actions(), 9);
}

#[test]
fn moves_are_egocentric_and_turns_rotate() {
    let mut env = harvest(OPEN, 1);
    env.place_agent(0, 3, 4, Facing::Right);
    // Facing right: forward is +col, left is −row, right is +row, back is −col.
    for (a, row, col) in [
        (Action::MoveForward, 3, 5),
        (Action::MoveLeft, 2, 5),
        (Action::MoveRight, 3, 5),
        (Action::MoveBack, 3, 4),
    ] {
        env.step(&[act(a)]).unwrap();
        let ag = env.agents()[0];
        assert_eq!((ag.row, ag.col), (row, col), "{a:?}");
    }
    env.step(&[act(Action::TurnClockwise)]).unwrap();
    assert_eq!(env.agents()[0].facing, Facing::Down);
    env.step(&[act(Action::TurnAnticlockwise)]).unwrap();
    env.step(&[act(Action::TurnAnticlockwise)]).unwrap();
    assert_eq!(env.agents()[0].facing, Facing::Up);
    // Walls block: from row 2 facing up, forward twice reaches row 1 then stays.
    env.place_agent(0, 2, 1, Facing::Up);
    env.step(&[act(Action::MoveForward)]).unwrap();
    env.step(&[act(Action::MoveForward)]).unwrap();
    assert_eq!((env.agents()[0].row, env.agents()[0].col), (1, 1));
}

#[test]
fn contested_cells_go_to_one_agent_and_swaps_are_blocked() {
    // Two agents step into the same cell from both sides: exactly one gets it, and over many
    // seeds each wins sometimes (random priority).
    let mut wins = [0, 0];
    for seed in 0..40 {
        let mut env = harvest(OPEN, 2);
        env.reset(seed);
        env.place_agent(0, 3, 3, Facing::Right);
        env.place_agent(1, 3, 5, Facing::Left);
        env.step(&[act(Action::MoveForward), act(Action::MoveForward)])
            .unwrap();
        let at = |k: usize| (env.agents()[k].row, env.agents()[k].col);
        match (at(0), at(1)) {
            ((3, 4), (3, 5)) => wins[0] += 1,
            ((3, 3), (3, 4)) => wins[1] += 1,
            other => panic!("seed {seed}: {other:?}"),
        }
    }
    assert!(wins[0] > 5 && wins[1] > 5, "{wins:?}");
    // Facing each other on adjacent cells and moving forward: a swap, so both stay.
    let mut env = harvest(OPEN, 2);
    env.place_agent(0, 3, 3, Facing::Right);
    env.place_agent(1, 3, 4, Facing::Left);
    env.step(&[act(Action::MoveForward), act(Action::MoveForward)])
        .unwrap();
    assert_eq!((env.agents()[0].col, env.agents()[1].col), (3, 4));
    // An agent that stays blocks the one behind it; one that moves away lets it follow.
    env.place_agent(0, 3, 3, Facing::Right);
    env.place_agent(1, 3, 4, Facing::Right);
    env.step(&[act(Action::MoveForward), act(Action::Stay)])
        .unwrap();
    assert_eq!((env.agents()[0].col, env.agents()[1].col), (3, 4));
    env.step(&[act(Action::MoveForward), act(Action::MoveForward)])
        .unwrap();
    assert_eq!((env.agents()[0].col, env.agents()[1].col), (4, 5));
}

#[test]
fn eating_gives_one_and_removes_the_apple() {
    let mut env = harvest(OPEN, 1);
    env.place_agent(0, 3, 3, Facing::Up);
    env.set_cell(2, 3, Cell::Apple);
    let r = env.step(&[act(Action::MoveForward)]).unwrap();
    assert_eq!(r.rewards, vec![1.0]);
    assert_eq!(env.cell(2, 3), Cell::Empty);
    assert_eq!(r.info.apples_eaten, 1);
}

#[test]
fn the_penalty_beam_has_the_documented_footprint_and_stops_at_walls_and_agents() {
    // Agent 0 at (5, 4) facing up on a 9-wide map: centre ray (4..0, 4) stops at the wall row
    // 0 after rows 4, 3, 2, 1; side rays at columns 3 and 5, rows 5..1.
    let mut env = harvest(OPEN, 3);
    env.place_agent(0, 5, 4, Facing::Up);
    env.place_agent(1, 1, 7, Facing::Up);
    env.place_agent(2, 2, 5, Facing::Down);
    let r = env
        .step(&[act(Action::Fire), act(Action::Stay), act(Action::Stay)])
        .unwrap();
    // Agent 2 stands on the right ray (column 5, row 2): hit, −50; the ray stops there.
    assert_eq!(r.rewards, vec![-1.0, 0.0, -50.0]);
    assert_eq!(r.tagged, vec![false, false, true]);
    assert_eq!(r.info.beams_fired, 1);
    assert_eq!(r.info.agents_tagged, 1);
    let beam: Vec<(usize, usize)> = (0..7)
        .flat_map(|row| (0..9).map(move |col| (row, col)))
        .filter(|&(row, col)| env.beam_at(row, col) == 1)
        .collect();
    let mut expected = vec![];
    for row in 1..=4 {
        expected.push((row, 4)); // centre: 4 cells, the 5th is the wall
    }
    for row in 1..=5 {
        expected.push((row, 3)); // left: beside the agent and 4 ahead
    }
    for row in 2..=5 {
        expected.push((row, 5)); // right: stops at agent 2 on row 2
    }
    expected.sort();
    assert_eq!(beam, expected);
    // A wall beside the agent stops its side ray before it: at (5, 1) facing up, the left ray
    // starts on the wall column 0 and covers nothing.
    let mut env = harvest(OPEN, 1);
    env.place_agent(0, 5, 1, Facing::Up);
    env.step(&[act(Action::Fire)]).unwrap();
    assert!((0..7).all(|row| env.beam_at(row, 0) == 0));
    assert_eq!(env.beam_at(5, 2), 1);
}

#[test]
fn removal_variant_takes_the_hit_agent_off_the_map_and_respawns_it() {
    let config = EnvConfig {
        map: OPEN.to_string(),
        agents: 2,
        zap: Zap {
            cost: 0.0,
            fine: 0.0,
            removal_steps: Some(3),
        },
        ..EnvConfig::harvest()
    };
    let mut env = Env::new(config).unwrap();
    env.place_agent(0, 5, 4, Facing::Up);
    env.place_agent(1, 3, 4, Facing::Up);
    let r = env.step(&[act(Action::Fire), act(Action::Stay)]).unwrap();
    assert_eq!(r.rewards, vec![0.0, 0.0]);
    assert!(env.position(1).is_none());
    env.step(&[act(Action::Stay), act(Action::Stay)]).unwrap();
    env.step(&[act(Action::Stay), act(Action::Stay)]).unwrap();
    assert!(env.position(1).is_none());
    env.step(&[act(Action::Stay), act(Action::Stay)]).unwrap();
    let back = env.position(1).expect("respawned after 3 steps");
    assert_eq!(back / 9, 1, "on a spawn cell (row 1)");
}

#[test]
fn peace_counts_each_removed_agent_step_once() {
    // The removal variant with 3 steps: agent 1 is hit at step 0 and is off the map for steps 1
    // and 2, back at step 3. Tagged agent-steps: 3 (steps 0, 1, 2). Over T = 6 steps with N = 2:
    // P = (2·6 − 3)/6 = 1.5.
    let config = EnvConfig {
        map: OPEN.to_string(),
        agents: 2,
        zap: Zap {
            cost: 0.0,
            fine: 0.0,
            removal_steps: Some(3),
        },
        ..EnvConfig::harvest()
    };
    let mut ssd = Ssd::new(config, ObsKind::Rgb).unwrap();
    ssd.env_mut().place_agent(0, 5, 4, Facing::Up);
    ssd.env_mut().place_agent(1, 3, 4, Facing::Up);
    let mut rewards = [0.0f32; 2];
    let stay = Action::Stay as u8;
    ssd.step(&[Action::Fire as u8, stay], &mut rewards).unwrap();
    assert!(ssd.env().position(1).is_none(), "removed by the hit");
    for _ in 0..5 {
        ssd.step(&[stay, stay], &mut rewards).unwrap();
    }
    assert!(ssd.env().position(1).is_some(), "back on the map");
    let m = ssd.episode_metrics();
    assert_eq!(m.steps, 6);
    assert_eq!(m.peace, (2.0 * 6.0 - 3.0) / 6.0);
}

#[test]
fn harvest_regrowth_rate_matches_the_neighbourhood_probability() {
    // A 3×3 block of apple cells on an open map: only the centre is empty, its 8 neighbours
    // hold apples, so k = 8 ≥ 3 and it regrows with probability 0.05 each step. Over 4000
    // independent trials (reset, one step) the count is Binomial(4000, 0.05): mean 200,
    // sd √(4000·0.05·0.95) ≈ 13.8; accept ±5 sd.
    let map = "\
@@@@@@@
@P    @
@ AAA @
@ AAA @
@ AAA @
@     @
@@@@@@@";
    let config = EnvConfig {
        map: map.to_string(),
        agents: 1,
        ..EnvConfig::harvest()
    };
    let mut env = Env::new(config.clone()).unwrap();
    let mut grown = 0;
    let trials = 4000;
    for seed in 0..trials {
        env.reset(seed);
        env.set_cell(3, 3, Cell::Empty);
        env.step(&[act(Action::Stay)]).unwrap();
        grown += (env.cell(3, 3) == Cell::Apple) as i32;
    }
    let (mean, sd) = (200.0, (4000.0f64 * 0.05 * 0.95).sqrt());
    assert!(
        ((grown as f64) - mean).abs() < 5.0 * sd,
        "{grown} of {trials}"
    );
    // With a single neighbouring apple (k = 1) the rate is 0.005. Over 40,000 trials: mean 200,
    // sd ≈ 14.1, so ±5 sd (130–270) rejects a rate of 0 and twice the rate (400).
    let block: Vec<(usize, usize)> = (2..=4).flat_map(|r| (2..=4).map(move |c| (r, c))).collect();
    let mut grown = 0;
    let trials = 40_000;
    for seed in 0..trials {
        env.reset(seed);
        for &(r, c) in block.iter().filter(|&&rc| rc != (2, 3)) {
            env.set_cell(r, c, Cell::Empty);
        }
        // Only (2, 3) holds an apple; (3, 3) is its neighbour (and so are others, which may
        // grow too: count (3, 3) only).
        env.step(&[act(Action::Stay)]).unwrap();
        grown += (env.cell(3, 3) == Cell::Apple) as i32;
    }
    let (mean, sd) = (200.0, (40_000.0f64 * 0.005 * 0.995).sqrt());
    assert!(
        ((grown as f64) - mean).abs() < 5.0 * sd,
        "{grown} of {trials}"
    );
    // No neighbour: never.
    env.reset(0);
    for &(r, c) in &block {
        env.set_cell(r, c, Cell::Empty);
    }
    for _ in 0..200 {
        env.step(&[act(Action::Stay)]).unwrap();
    }
    assert_eq!(env.counters().apples_remaining, 0);
}

#[test]
fn cleanup_waste_and_apples_follow_the_density_rule() {
    // The reference map starts at density 56/119 ≥ 0.4: nothing grows, nothing spawns.
    let mut env = Env::new(EnvConfig::cleanup()).unwrap();
    for _ in 0..100 {
        env.step(&[4; 5]).unwrap();
    }
    assert_eq!(env.counters().apples_remaining, 0);
    assert!((env.counters().waste_density - 56.0 / 119.0).abs() < 1e-15);
    // With the river clean (density 0), apples grow at 0.05 per empty orchard cell. Waste: the
    // reference's per-cell draws spawn one waste with probability 1 − 0.5^119 (≈ 1); ENVS.md's
    // single draw spawns one with probability 0.5. One step over many seeds each way.
    let mut apples = 0u64;
    let mut cells = 0u64;
    let trials = 2000;
    for per_cell in [true, false] {
        let mut env = Env::new(EnvConfig {
            waste_draw_per_cell: per_cell,
            ..EnvConfig::cleanup()
        })
        .unwrap();
        let (h, w) = env.shape();
        let mut waste = 0u64;
        for seed in 0..trials {
            env.reset(seed);
            for r in 0..h {
                for c in 0..w {
                    if env.cell(r, c) == Cell::Waste {
                        env.set_cell(r, c, Cell::River);
                    }
                }
            }
            cells += env.apple_cells().len() as u64;
            env.step(&[4; 5]).unwrap();
            apples += env.counters().apples_remaining;
            waste += (env.counters().waste_density * 119.0).round() as u64;
        }
        let p_waste = waste as f64 / trials as f64;
        if per_cell {
            assert_eq!(waste, trials, "one waste cell every step");
        } else {
            assert!(
                (p_waste - 0.5).abs() < 5.0 * (0.25f64 / trials as f64).sqrt(),
                "{p_waste}"
            );
        }
    }
    let mut env = Env::new(EnvConfig::cleanup()).unwrap();
    let (h, w) = env.shape();
    let p_apple = apples as f64 / cells as f64;
    let sd = (0.05 * 0.95 / cells as f64).sqrt();
    assert!((p_apple - 0.05).abs() < 5.0 * sd, "{p_apple}");
    // At density 0.2 (24 waste cells), apples grow at 0.05 (1 − 0.2/0.4) = 0.025.
    let mut apples = 0u64;
    let mut cells = 0u64;
    for seed in 0..trials {
        env.reset(seed);
        let mut kept = 0;
        for r in 0..h {
            for c in 0..w {
                if env.cell(r, c) == Cell::Waste {
                    if kept < 24 {
                        kept += 1;
                    } else {
                        env.set_cell(r, c, Cell::River);
                    }
                }
            }
        }
        assert!((env.counters().waste_density - 24.0 / 119.0).abs() < 1e-15);
        cells += env.apple_cells().len() as u64;
        env.step(&[4; 5]).unwrap();
        apples += env.counters().apples_remaining;
    }
    let rho = 24.0 / 119.0;
    let p = 0.05 * (1.0 - rho / 0.4);
    let got = apples as f64 / cells as f64;
    assert!(
        (got - p).abs() < 5.0 * (p * (1.0 - p) / cells as f64).sqrt(),
        "{got} vs {p}"
    );
}

#[test]
fn the_clean_beam_turns_the_first_waste_of_each_ray_into_river() {
    let map = "\
@@@@@@@
@HHHHH@
@HHHHH@
@  P  @
@BBBBB@
@@@@@@@";
    let config = EnvConfig {
        kind: EnvKind::Cleanup,
        map: map.to_string(),
        agents: 1,
        ..EnvConfig::cleanup()
    };
    let mut env = Env::new(config).unwrap();
    env.place_agent(0, 3, 3, Facing::Up);
    let r = env.step(&[act(Action::Clean)]).unwrap();
    assert_eq!(r.rewards, vec![0.0]);
    // Left ray: (3,2) empty, then (2,2) waste → cleaned. Centre: (2,3). Right: (2,4).
    for c in 2..=4 {
        assert_eq!(env.cell(2, c), Cell::River, "column {c}");
        assert_eq!(env.cell(1, c), Cell::Waste, "column {c}");
    }
    assert_eq!(r.info.waste_cleaned, 3);
    assert_eq!(r.cleaned, vec![3], "the three cells are the cleaner's");
}

#[test]
fn each_agent_is_credited_with_the_waste_its_own_beam_cleaned() {
    // Two cleaners under their own strips of waste, a third agent idle: the left one's beam
    // reaches three waste cells, the right one's two (its right ray leaves the map at a wall).
    let map = "\
@@@@@@@@@@
@HHHH HH @
@        @
@PPP     @
@BBBBBBBB@
@@@@@@@@@@";
    let mut env = Env::new(EnvConfig {
        kind: EnvKind::Cleanup,
        map: map.to_string(),
        agents: 3,
        // No waste respawns onto the cleaned cells within the step.
        waste_rate: 0.0,
        ..EnvConfig::cleanup()
    })
    .unwrap();
    env.place_agents(&[(2, 2, Facing::Up), (2, 7, Facing::Up), (3, 5, Facing::Down)]);
    let r = env
        .step(&[act(Action::Clean), act(Action::Clean), act(Action::Stay)])
        .unwrap();
    // Agent 0's rays: columns 1, 2, 3 of row 1 (all waste). Agent 1's: columns 6, 7 (waste)
    // and 8 (empty, then the wall).
    for (c, cell) in [
        (1, Cell::River),
        (2, Cell::River),
        (3, Cell::River),
        (4, Cell::Waste),
    ] {
        assert_eq!(env.cell(1, c), cell, "column {c}");
    }
    assert_eq!(env.cell(1, 6), Cell::River);
    assert_eq!(env.cell(1, 7), Cell::River);
    assert_eq!(r.cleaned, vec![3, 2, 0]);
    assert_eq!(r.info.waste_cleaned, 5);
}

#[test]
fn per_agent_cleaning_sums_to_the_waste_cleaned_over_an_episode() {
    // Random actions over the reference Cleanup map, SSD and SocialJax beams: the tracker's
    // per-agent counts add up to the environment's own counter, step by step summed.
    for config in [EnvConfig::cleanup(), EnvConfig::socialjax(EnvKind::Cleanup)] {
        let config = EnvConfig {
            horizon: 300,
            ..config
        };
        let n = config.agents;
        let mut env = Env::new(config).unwrap();
        env.reset(7);
        let mut tracker = EpisodeTracker::new(n);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut actions = vec![0u8; n];
        let mut by_agent = vec![0u64; n];
        loop {
            for a in actions.iter_mut() {
                // Half the time the clean beam, so that there is cleaning to count.
                *a = if rng.gen_bool(0.5) {
                    Action::Clean as u8
                } else {
                    rng.gen_range(0..9u8)
                };
            }
            let step = env.step(&actions).unwrap();
            for (k, &w) in step.cleaned.iter().enumerate() {
                by_agent[k] += u64::from(w);
                assert!(
                    w == 0 || actions[k] == Action::Clean as u8,
                    "agent {k} cleaned {w}"
                );
            }
            tracker.record(&step, &[]);
            if step.done {
                break;
            }
        }
        let total = env.counters().waste_cleaned;
        assert!(total > 0, "no cleaning to count");
        assert_eq!(by_agent.iter().sum::<u64>(), total);
        let m = tracker.metrics();
        let by_agent: Vec<f64> = by_agent.iter().map(|&w| w as f64).collect();
        assert_eq!(m.cleaned, by_agent);
        assert_eq!(m.waste_cleaned, total as f64);
    }
}

#[test]
fn horizon_ends_the_episode() {
    let config = EnvConfig {
        horizon: 3,
        ..EnvConfig::harvest()
    };
    let mut env = Env::new(config).unwrap();
    assert!(!env.step(&[4; 5]).unwrap().done);
    assert!(!env.step(&[4; 5]).unwrap().done);
    assert!(env.step(&[4; 5]).unwrap().done);
}

#[test]
fn observations_are_egocentric_with_known_pixels_for_each_facing() {
    // One apple 2 cells "north" of the agent in map terms; where it appears in the 15×15 window
    // depends on the facing: ahead (row 5, col 7) facing up; to the left (row 7, col 5) facing
    // right; behind (row 9, col 7) facing down; to the right (row 7, col 9) facing left.
    let mut env = harvest(OPEN, 1);
    env.set_cell(1, 4, Cell::Apple);
    let len = env.obs_len(ObsKind::Rgb);
    let mut obs = vec![0u8; len];
    for (facing, (pr, pc)) in [
        (Facing::Up, (5, 7)),
        (Facing::Right, (7, 5)),
        (Facing::Down, (9, 7)),
        (Facing::Left, (7, 9)),
    ] {
        env.place_agent(0, 3, 4, facing);
        env.observe(ObsKind::Rgb, &mut obs).unwrap();
        let px = |r: usize, c: usize| &obs[(r * 15 + c) * 3..(r * 15 + c) * 3 + 3];
        assert_eq!(px(pr, pc), &[0, 255, 0], "{facing:?}");
        assert_eq!(px(7, 7), &AGENT_COLOURS[0], "the agent is at the centre");
        // Outside the map is black: the map has 7 rows, so 8 rows behind is off the map.
        assert_eq!(
            px(14, 7).to_vec(),
            match facing {
                Facing::Down | Facing::Up | Facing::Left | Facing::Right => vec![0, 0, 0],
            }
        );
    }
    // Walls are grey: facing up at row 3, the wall row 0 is 3 ahead (window row 4).
    env.place_agent(0, 3, 4, Facing::Up);
    env.observe(ObsKind::Rgb, &mut obs).unwrap();
    assert_eq!(
        &obs[(4 * 15 + 7) * 3..(4 * 15 + 7) * 3 + 3],
        &[180, 180, 180]
    );
    // One-hot: the apple's channel 1, the agent itself channel 6.
    let mut hot = vec![0u8; env.obs_len(ObsKind::OneHot)];
    env.observe(ObsKind::OneHot, &mut hot).unwrap();
    let at = |r: usize, c: usize| &hot[(r * 15 + c) * 8..(r * 15 + c) * 8 + 8];
    assert_eq!(at(5, 7), &[0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(at(7, 7), &[0, 0, 0, 0, 0, 0, 1, 0]);
    assert_eq!(at(4, 7), &[1, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn vectorised_runs_are_deterministic_and_independent_of_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut v = VecEnv::new(EnvConfig::harvest(), 6, 42, ObsKind::Rgb).unwrap();
            let mut policies: Vec<Policy> = (0..6)
                .map(|e| Policy::by_name("random", 0, e, EnvKind::Harvest).unwrap())
                .collect();
            let n = v.num_agents();
            let mut obs = vec![0u8; v.obs_batch_len()];
            let mut rewards = vec![0f32; 6 * n];
            let mut actions = vec![0u8; 6 * n];
            let mut digest = 0u64;
            for _ in 0..60 {
                for (e, p) in policies.iter_mut().enumerate() {
                    p.act(v.envs()[e].env(), &mut actions[e * n..(e + 1) * n]);
                }
                v.step(&actions, &mut rewards, &mut obs).unwrap();
                for (i, b) in obs.iter().enumerate() {
                    digest = digest.wrapping_mul(31).wrapping_add(*b as u64 ^ i as u64);
                }
            }
            (digest, v.metrics())
        })
    };
    let (a, ma) = run(1);
    let (b, mb) = run(2);
    assert_eq!(a, b);
    assert_eq!(ma, mb);
    let (c, _) = run(2);
    assert_eq!(a, c);
}

#[test]
fn metrics_on_hand_made_returns() {
    assert_eq!(equality(&[1.0, 1.0, 1.0]), 1.0);
    assert_eq!(equality(&[0.0, 0.0]), 1.0);
    // (0, 0, 3): Σ|R_i − R_j| = 12, 2·3·3 = 18: E = 1 − 2/3.
    assert!((equality(&[0.0, 0.0, 3.0]) - 1.0 / 3.0).abs() < 1e-15);
    // A tracker over 4 steps, 2 agents: agent 0 rewarded +1 at t = 1 and t = 3, agent 1 hit by a
    // beam at t = 2 (−50) and never positive.
    let mut t = EpisodeTracker::new(2);
    let info = aga_envs::Counters::default();
    let step = |rewards: Vec<f64>, tagged: Vec<bool>| aga_envs::StepResult {
        ate: rewards.iter().map(|&r| r == 1.0).collect(),
        cleaned: vec![0; rewards.len()],
        rewards,
        done: false,
        info,
        tagged,
    };
    t.record(&step(vec![0.0, 0.0], vec![false, false]), &[]);
    t.record(&step(vec![1.0, 0.0], vec![false, false]), &[]);
    t.record(&step(vec![-1.0, -50.0], vec![false, true]), &[]);
    t.record(&step(vec![1.0, 0.0], vec![false, false]), &[]);
    let m = t.metrics();
    assert_eq!(m.returns, vec![1.0, -50.0]);
    assert_eq!(m.collective_return, -49.0);
    assert_eq!(m.efficiency, -49.0 / 4.0);
    assert_eq!(m.sustainability, 2.0); // mean of {1, 3}; agent 1 had no positive reward
    assert_eq!(m.peace, (2.0 * 4.0 - 1.0) / 4.0);
    // On apples (agent 0 ate at t = 1 and 3, agent 1 never): A = (2, 0), efficiency 2/4,
    // equality 1 − 2·2/(2·2·2) = 0.5, sustainability mean{1, 3} = 2 over the one eater.
    assert_eq!(m.apples, vec![2.0, 0.0]);
    assert_eq!(m.apple_efficiency, 0.5);
    assert_eq!(m.apple_equality, 0.5);
    assert_eq!(m.apple_sustainability, 2.0);
    assert!((m.equality - (1.0 - 2.0 * 51.0 / (2.0 * 2.0 * 51.0))).abs() < 1e-15);
}

#[test]
fn scripted_policies_have_known_outcomes() {
    // Stay on Cleanup: nothing grows (density above 0.4), so every return is exactly zero.
    let mut env = Env::new(EnvConfig::cleanup()).unwrap();
    let mut policy = Policy::by_name("stay", 0, 0, EnvKind::Cleanup).unwrap();
    let mut tracker = EpisodeTracker::new(5);
    let mut actions = [0u8; 5];
    for _ in 0..1000 {
        policy.act(&env, &mut actions);
        let r = env.step(&actions).unwrap();
        tracker.record(&r, &[]);
    }
    assert_eq!(tracker.metrics().collective_return, 0.0);
    // Greedy on a tiny Harvest: one agent, apples in a line, no regrowth: it eats all 4 in
    // 4 + 1 steps (walk to the first, then one per step).
    let map = "\
@@@@@@@
@P AAAA@
@@@@@@@";
    let map = map.replace("@P AAAA@", "@PAAAA@");
    let mut env = harvest(&map, 1);
    env.place_agent(0, 1, 1, Facing::Up);
    let mut policy = Policy::by_name("greedy", 0, 0, EnvKind::Harvest).unwrap();
    let mut total = 0.0;
    for _ in 0..4 {
        let mut a = [0u8];
        policy.act(&env, &mut a);
        total += env.step(&a).unwrap().rewards[0];
    }
    assert_eq!(total, 4.0);
    assert_eq!(env.counters().apples_remaining, 0);
    // Clean-and-harvest: one cleaner next to a river cleans it.
    let map = "\
@@@@@@
@HHHH@
@ P  @
@BBBB@
@@@@@@";
    let config = EnvConfig {
        map: map.to_string(),
        agents: 1,
        ..EnvConfig::cleanup()
    };
    let mut env = Env::new(config).unwrap();
    env.place_agent(0, 2, 2, Facing::Down);
    let mut policy = Policy::by_name("clean-and-harvest", 1, 0, EnvKind::Cleanup).unwrap();
    for _ in 0..6 {
        let mut a = [0u8];
        policy.act(&env, &mut a);
        env.step(&a).unwrap();
    }
    assert!(env.counters().waste_cleaned >= 3, "{:?}", env.counters());
}

#[test]
fn bad_configurations_are_clear_errors() {
    let with_map = |map: &str, agents: usize| {
        Env::new(EnvConfig {
            map: map.to_string(),
            agents,
            ..EnvConfig::harvest()
        })
    };
    assert!(matches!(
        with_map("@@@\n@X@\n@@@", 1),
        Err(EnvError::UnknownCell { ch: 'X', .. })
    ));
    assert!(matches!(
        with_map("@@@\n@ @\n@@@", 1),
        Err(EnvError::NoSpawn)
    ));
    assert!(matches!(
        with_map("@@@\n@P@\n@@@", 2),
        Err(EnvError::AgentCount {
            agents: 2,
            spawns: 1
        })
    ));
    assert!(matches!(
        with_map("@@@\n@P@\n@@@", 0),
        Err(EnvError::AgentCount { agents: 0, .. })
    ));
    assert!(matches!(
        with_map("@@@\n@P\n@@@", 1),
        Err(EnvError::BadShape(_))
    ));
    assert!(matches!(
        Env::new(EnvConfig {
            view_radius: 0,
            ..EnvConfig::harvest()
        }),
        Err(EnvError::BadView(0))
    ));
    // Cleanup letters are not Harvest's.
    assert!(matches!(
        with_map("@@@\n@H@\n@P@\n@@@", 1),
        Err(EnvError::UnknownCell { ch: 'H', .. })
    ));
    let mut env = Env::new(EnvConfig::harvest()).unwrap();
    assert!(matches!(env.step(&[0; 4]), Err(EnvError::BadActions(_))));
    assert!(matches!(env.step(&[8; 5]), Err(EnvError::BadActions(_))));
    // Unknown config fields are refused when read from JSON.
    let bad: Result<EnvConfig, _> = serde_json::from_str(r#"{"kind": "harvest", "agnets": 3}"#);
    assert!(bad.is_err());
}

/// The colour ENVS.md gives each thing, written out here independently of the crate.
fn reference_colour(env: &Env, row: i32, col: i32) -> [u8; 3] {
    let (h, w) = env.shape();
    if row < 0 || col < 0 || row as usize >= h || col as usize >= w {
        return [0, 0, 0];
    }
    let (r, c) = (row as usize, col as usize);
    if let Some(k) = env.agent_at(r, c) {
        return AGENT_COLOURS[k % 9];
    }
    match env.beam_at(r, c) {
        1 => return [255, 255, 0],
        2 => return [100, 255, 255],
        _ => {}
    }
    match env.cell(r, c) {
        Cell::Empty => [0, 0, 0],
        Cell::Wall => [180, 180, 180],
        Cell::Apple => [0, 255, 0],
        Cell::Waste => [99, 156, 194],
        Cell::River => [113, 75, 24],
    }
}

#[test]
fn observations_equal_a_pixel_by_pixel_reference_in_every_state() {
    for config in [EnvConfig::harvest(), EnvConfig::cleanup()] {
        let mut env = Env::new(config.clone()).unwrap();
        env.reset(3);
        let kind = config.kind;
        let mut policy = Policy::by_name("random", 0, 9, kind).unwrap();
        let n = env.num_agents();
        let mut actions = vec![0u8; n];
        let mut rgb = vec![0u8; n * env.obs_len(ObsKind::Rgb)];
        let mut hot = vec![0u8; n * env.obs_len(ObsKind::OneHot)];
        for _ in 0..60 {
            policy.act(&env, &mut actions);
            env.step(&actions).unwrap();
            env.observe(ObsKind::Rgb, &mut rgb).unwrap();
            env.observe(ObsKind::OneHot, &mut hot).unwrap();
            for k in 0..n {
                let a = env.agents()[k];
                let (fr, fc) = a.facing.forward();
                let (rr, rc) = a.facing.right();
                for i in 0..15i32 {
                    for j in 0..15i32 {
                        let (di, dj) = (i - 7, j - 7);
                        let (row, col) = (a.row - di * fr + dj * rr, a.col - di * fc + dj * rc);
                        let want = reference_colour(&env, row, col);
                        let o = k * 675 + ((i * 15 + j) * 3) as usize;
                        assert_eq!(&rgb[o..o + 3], &want, "agent {k} pixel ({i}, {j})");
                        // One-hot: exactly the kinds present at the cell.
                        let o = k * 1800 + ((i * 15 + j) * 8) as usize;
                        let px = &hot[o..o + 8];
                        let (h, w) = env.shape();
                        if row < 0 || col < 0 || row as usize >= h || col as usize >= w {
                            assert_eq!(px, &[0; 8]);
                            continue;
                        }
                        let (r, c) = (row as usize, col as usize);
                        let cell = env.cell(r, c);
                        let who = env.agent_at(r, c);
                        let want = [
                            (cell == Cell::Wall) as u8,
                            (cell == Cell::Apple) as u8,
                            (cell == Cell::Waste) as u8,
                            (cell == Cell::River) as u8,
                            (env.beam_at(r, c) == 1) as u8,
                            (env.beam_at(r, c) == 2) as u8,
                            (who == Some(k)) as u8,
                            (who.is_some() && who != Some(k)) as u8,
                        ];
                        assert_eq!(px, &want, "agent {k} one-hot pixel ({i}, {j})");
                    }
                }
            }
        }
    }
}

#[test]
fn the_regrowth_neighbourhood_is_the_3x3_square_or_the_l2_radius_2_variant() {
    // Rates [0, 1]: an empty apple cell grows for sure once it has one neighbouring apple.
    // The only apple is two cells to the right of (2, 2): inside j² + l² ≤ 4, outside ≤ 2.
    // Diagonal (3, 3) is inside both.
    let map = "\
@@@@@@@@
@P     @
@ AAA  @
@  A   @
@@@@@@@@";
    for (radius_sq, grows_far, grows_diagonal) in [(2, false, true), (4, true, true)] {
        let config = EnvConfig {
            map: map.to_string(),
            agents: 1,
            regrowth: Regrowth {
                radius_sq,
                rates: vec![0.0, 1.0],
            },
            ..EnvConfig::harvest()
        };
        let mut env = Env::new(config).unwrap();
        // Keep only the apple at (2, 4); the cells (2, 2) and (3, 3) are empty apple cells.
        env.set_cell(2, 2, Cell::Empty);
        env.set_cell(2, 3, Cell::Empty);
        env.set_cell(3, 3, Cell::Empty);
        env.step(&[act(Action::Stay)]).unwrap();
        assert_eq!(
            env.cell(2, 2) == Cell::Apple,
            grows_far,
            "radius² {radius_sq}"
        );
        assert_eq!(
            env.cell(3, 3) == Cell::Apple,
            grows_diagonal,
            "radius² {radius_sq}"
        );
        assert_eq!(env.cell(2, 3), Cell::Apple, "adjacent: always");
    }
}
