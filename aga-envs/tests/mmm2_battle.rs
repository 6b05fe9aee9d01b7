//! Selfish-MMM2's simulator against ENVS.md ("Selfish-MMM2") and closed forms: movement and
//! walls, fire periods, the Medivac's healing and energy, masks, the push, the reward ledger,
//! SMAC's scaling, the end of an episode, determinism and bad configurations. Expected values
//! come from the rules' formulas (speed × time, ⌈cooldown / tick⌉, …), not from the simulator.

use aga_envs::{
    mmm2_actions as act, BattleConfig, BattleEnd, BattlePolicy, EnemyAi, Mmm2, MultiAgentEnv,
    Squad, UnitStats, VecEnv,
};

/// A battle of `allies` against `enemies` (type names from marine, marauder, medivac and a
/// `dummy`: a target with a million HP that does not move and fires only at what touches it —
/// it counts as a fighter, so a side with one has not lost), enemies passive.
fn battle(allies: &[(&str, usize)], enemies: &[(&str, usize)]) -> Mmm2 {
    let dummy = UnitStats {
        name: "dummy".into(),
        max_hp: 1.0e6,
        damage: 1.0,
        range: 0.0,
        speed: 0.0,
        ..UnitStats::marine()
    };
    let squads = |s: &[(&str, usize)]| {
        s.iter()
            .map(|&(unit, count)| Squad {
                unit: unit.into(),
                count,
            })
            .collect::<Vec<_>>()
    };
    let mut config = BattleConfig::mmm2();
    config.unit_types = vec![
        UnitStats::marauder(),
        UnitStats::marine(),
        UnitStats::medivac(),
        dummy,
    ];
    config.allies = squads(allies);
    config.enemies = squads(enemies);
    config.enemy_ai = EnemyAi::Passive;
    config.reward.scale = config.smac_reward_scale().unwrap();
    Mmm2::new(config).unwrap()
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

fn step(env: &mut Mmm2, actions: &[u8]) -> Vec<f32> {
    let mut rewards = vec![0.0; env.num_agents()];
    env.step(actions, &mut rewards).unwrap();
    rewards
}

#[test]
fn a_move_step_covers_speed_times_half_a_second_and_walls_clamp() {
    let mut env = battle(&[("marine", 1), ("medivac", 1)], &[("dummy", 1)]);
    env.set_position(0, [10.0, 10.0]);
    env.set_position(1, [10.0, 20.0]);
    env.set_position(2, [30.0, 30.0]);
    step(&mut env, &[act::EAST, act::NORTH]);
    // 8 sub-steps of 1/16 s: Marine 3.15 · 0.5 = 1.575, Medivac 3.5 · 0.5 = 1.75.
    let [x, y] = env.position(0);
    assert!(close(x, 11.575, 1e-5) && y == 10.0, "marine at {x}, {y}");
    let [x, y] = env.position(1);
    assert!(x == 10.0 && close(y, 21.75, 1e-5), "medivac at {x}, {y}");
    // A wall: from x = 31 east, the point 2 further is outside, so the move is masked; from
    // 29.9 it is allowed (31.9 < 32) and the unit stops at the wall, 32.
    env.set_position(0, [31.0, 10.0]);
    assert!(!env.available(0, act::EAST));
    env.set_position(0, [29.9, 10.0]);
    assert!(env.available(0, act::EAST));
    step(&mut env, &[act::EAST, act::STOP]);
    assert!(close(env.position(0)[0], 29.9 + 1.575, 1e-5));
    // Walls clamp what a push would carry outside: two Marines 0.2 apart at the east wall; each
    // sub-step's push moves both by half the overlap, the wall keeps the outer one at 32, so the
    // inner one ends (after 8 sub-steps, the overlap halving each) within 0.75 · 2⁻⁸ of 31.25.
    env.set_position(0, [32.0, 10.0]);
    env.set_position(1, [30.0, 20.0]);
    let mut env2 = battle(&[("marine", 2)], &[("dummy", 1)]);
    env2.set_position(0, [32.0, 10.0]);
    env2.set_position(1, [31.8, 10.0]);
    env2.set_position(2, [1.0, 1.0]);
    step(&mut env2, &[act::STOP, act::STOP]);
    assert_eq!(env2.position(0)[0], 32.0);
    let inner = env2.position(1)[0];
    assert!(
        (31.25 - 1e-5..=31.25 + 0.55 / 256.0 + 1e-5).contains(&inner),
        "{inner}"
    );
}

#[test]
fn units_fire_every_ceil_cooldown_over_tick_sub_steps_without_jitter() {
    for (shooter, per_shot, cooldown) in [("marine", 6.0, 0.61f32), ("marauder", 10.0, 1.07)] {
        let mut env = battle(&[(shooter, 1)], &[("dummy", 1)]);
        env.set_position(0, [10.0, 16.0]);
        env.set_position(1, [13.0, 16.0]);
        let attack = act::FIRST_TARGET;
        // 19 steps = 152 sub-steps: enough to tell a period from its neighbours.
        let steps = 19usize;
        let mut dealt = 0.0;
        for _ in 0..steps {
            step(&mut env, &[attack]);
            dealt += env.last_ledger().dealt[0];
        }
        // First shot at sub-step 0; the cooldown is reset in the sub-step that fires and falls
        // by 1/16 in each later one, firing again once it is ≤ 0: every ⌈cooldown / (1/16)⌉ + 1
        // sub-steps (SMAX: a Marine every 11th, a Marauder every 19th).
        let period = (cooldown * 16.0).ceil() as usize + 1;
        let shots = (steps * 8).div_ceil(period);
        assert_eq!(dealt, per_shot * shots as f32, "{shooter}: period {period}");
    }
}

#[test]
fn the_medivac_heals_nine_sixteenths_per_sub_step_for_one_energy_per_three_hp() {
    let mut env = battle(&[("marine", 1), ("medivac", 1)], &[("dummy", 1)]);
    env.set_position(0, [10.0, 16.0]);
    env.set_position(1, [11.0, 16.0]);
    env.set_position(2, [30.0, 30.0]);
    env.set_hp(0, 10.0);
    let heal_marine = act::FIRST_TARGET; // the Medivac's slot 0 = ally 0
    assert!(env.available(1, heal_marine));
    assert!(
        !env.available(1, act::FIRST_TARGET + 1),
        "a Medivac cannot heal itself"
    );
    step(&mut env, &[act::STOP, heal_marine]);
    // 8 × 9/16 = 4.5 HP, bought as two blocks of 3 HP for 1 energy each; +0.5625/16 energy per
    // sub-step.
    assert!(close(env.hp(0), 14.5, 1e-5), "{}", env.hp(0));
    assert!(close(env.last_ledger().healed[1], 4.5, 1e-5));
    assert!(
        close(env.energy(1), 50.0 + 8.0 * 0.5625 / 16.0 - 2.0, 1e-4),
        "{}",
        env.energy(1)
    );
    // Healing stops at full HP.
    env.set_hp(0, 44.0);
    step(&mut env, &[act::STOP, heal_marine]);
    assert_eq!(env.hp(0), 45.0);
    // Below 5 energy a new target is refused.
    env.set_hp(0, 10.0);
    // (4.7 + 8 · 0.5625/16 = 4.98 < 5 all step long; from 4.9 it would pass 5 at sub-step 3.)
    env.set_energy(1, 4.7);
    step(&mut env, &[act::STOP, heal_marine]);
    assert!(env.hp(0) == 10.0, "healed with < 5 energy: {}", env.hp(0));
    assert!(close(env.energy(1), 4.7 + 8.0 * 0.5625 / 16.0, 1e-5));
    // Energy never passes 200.
    env.set_energy(1, 199.99);
    step(&mut env, &[act::STOP, act::STOP]);
    assert_eq!(env.energy(1), 200.0);
}

#[test]
fn attacks_are_available_up_to_centre_distance_six_and_the_dead_only_no_op() {
    let mut env = battle(
        &[("marine", 1), ("marauder", 1)],
        &[("marine", 1), ("medivac", 1)],
    );
    env.set_position(0, [10.0, 16.0]);
    env.set_position(1, [10.0, 10.0]);
    env.set_position(2, [16.0, 16.0]);
    env.set_position(3, [10.0, 16.0 - 6.0 + 0.0]);
    assert!(
        env.available(0, act::FIRST_TARGET),
        "distance 6.0 is in range"
    );
    env.set_position(2, [16.01, 16.0]);
    assert!(
        !env.available(0, act::FIRST_TARGET),
        "distance 6.01 is out of range"
    );
    // The Marauder cannot hit the Medivac even at range 0 … 6; a Marine can.
    env.set_position(3, [10.0, 12.0]);
    assert!(!env.available(1, act::FIRST_TARGET + 1));
    env.set_position(3, [10.0, 20.0]);
    assert!(env.available(0, act::FIRST_TARGET + 1));
    // A dead unit: only the no-op; an alive one: never the no-op.
    assert!(!env.available(0, act::NO_OP));
    env.set_hp(0, 0.0);
    let mut masks = vec![false; 2 * env.num_actions()];
    env.action_masks(&mut masks);
    let row: Vec<bool> = masks[..env.num_actions()].to_vec();
    assert!(row[0] && row[1..].iter().all(|&m| !m), "{row:?}");
    // A dead target cannot be attacked.
    env.set_hp(0, 45.0);
    env.set_position(2, [12.0, 16.0]);
    env.set_hp(2, 0.0);
    assert!(!env.available(0, act::FIRST_TARGET));
}

#[test]
fn pushing_removes_overlaps_and_air_never_pushes_ground() {
    let mut env = battle(&[("marine", 2), ("medivac", 1)], &[("dummy", 1)]);
    env.set_position(0, [10.0, 16.0]);
    env.set_position(1, [10.2, 16.0]);
    env.set_position(2, [10.0, 16.0]);
    env.set_position(3, [30.0, 30.0]);
    step(&mut env, &[act::STOP, act::STOP, act::STOP]);
    let (a, b, m) = (env.position(0), env.position(1), env.position(2));
    let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    assert!(d >= 0.75 - 1e-5, "marines still overlap: {d}");
    // They separated along their line, symmetrically about 10.1.
    assert!(close((a[0] + b[0]) / 2.0, 10.1, 1e-5) && a[1] == 16.0 && b[1] == 16.0);
    // The Medivac sat on the first marine: neither moved the other.
    assert_eq!(m, [10.0, 16.0]);
}

#[test]
fn overkill_is_split_by_damage_and_the_ledger_adds_up_to_smacs_team_reward() {
    // Three marines fire at an enemy marine with 5 HP in the same sub-step: each is credited
    // 5/3 damage and 1/3 of the kill; Σ (dealt + 10 kills) = 5 + 10 = the enemy's loss + 10.
    let mut env = battle(&[("marine", 3)], &[("marine", 1), ("dummy", 1)]);
    for u in 0..3 {
        env.set_position(u, [10.0, 14.0 + 2.0 * u as f32]);
    }
    env.set_position(3, [14.0, 16.0]);
    env.set_position(4, [31.0, 31.0]);
    env.set_hp(3, 5.0);
    let scale = env.config().reward.scale;
    assert_eq!(scale, (45.0 + 10.0 + 1.0e6 + 10.0 + 200.0) / 20.0);
    let r = step(&mut env, &[act::FIRST_TARGET; 3]);
    let l = env.last_ledger().clone();
    for u in 0..3 {
        assert!(close(l.dealt[u], 5.0 / 3.0, 1e-6) && close(l.kills[u], 1.0 / 3.0, 1e-6));
    }
    assert!(
        close(l.dealt[..3].iter().sum(), 5.0, 1e-5),
        "the split sums to the target's HP"
    );
    assert!(l.died[3] && env.hp(3) == 0.0);
    // The enemy fired back once at the nearest ally (ally 1, at distance 4): 6 damage.
    assert_eq!(l.taken[..3], [0.0, 6.0, 0.0]);
    let expected = |u: usize| (5.0 / 3.0 + 10.0 / 3.0 - 0.5 * l.taken[u]) / scale;
    for (u, &ru) in r.iter().enumerate() {
        assert!(
            close(ru, expected(u), 1e-7),
            "agent {u}: {ru} vs {}",
            expected(u)
        );
    }
    let m = env.episode_metrics();
    let team = ((5.0 + 10.0) / scale) as f64;
    assert!(
        (m.team_return - team).abs() < 1e-7,
        "{} vs {team}",
        m.team_return
    );
    let damage: f32 = (0..3).map(|u| l.dealt[u] + 10.0 * l.kills[u]).sum();
    assert!(((damage / scale) as f64 - m.team_return).abs() < 1e-7);
}

#[test]
fn a_perfect_win_scales_to_twenty_and_a_medivac_only_side_has_lost() {
    // Five Marauders against one Marine: the team reward of the whole episode is SMAC's
    // max_reward / (max_reward / 20) = 20.
    let mut env = battle(&[("marauder", 5)], &[("marine", 1)]);
    let mut policy = BattlePolicy::Heuristic;
    let mut actions = vec![0u8; 5];
    let mut rewards = vec![0f32; 5];
    let mut outcome = Default::default();
    for _ in 0..60 {
        policy.act(&env, &mut actions);
        outcome = env.step(&actions, &mut rewards).unwrap();
        if outcome.terminated {
            break;
        }
    }
    assert!(outcome.terminated && !outcome.truncated);
    assert_eq!(env.end(), Some(BattleEnd::Won));
    let m = env.episode_metrics();
    assert!((m.team_return - 20.0).abs() < 1e-5, "{}", m.team_return);
    assert_eq!(m.win_rate, 1.0);

    // The enemy's Marine dies; its Medivac lives on; the episode is won there.
    let mut env = battle(&[("marine", 3)], &[("marine", 1), ("medivac", 1)]);
    env.set_position(3, [14.0, 16.0]);
    env.set_position(4, [30.0, 30.0]);
    for u in 0..3 {
        env.set_position(u, [10.0, 14.0 + 2.0 * u as f32]);
    }
    env.set_hp(3, 1.0);
    let mut rewards = vec![0f32; 3];
    let outcome = env.step(&[act::FIRST_TARGET; 3], &mut rewards).unwrap();
    assert!(outcome.terminated && env.alive(4));
    assert_eq!(env.end(), Some(BattleEnd::Won));
    assert!(
        env.step(&[act::STOP; 3], &mut rewards).is_err(),
        "stepping a finished episode"
    );
}

#[test]
fn the_step_limit_truncates_and_does_not_terminate() {
    let mut env = Mmm2::new(BattleConfig {
        enemy_ai: EnemyAi::Passive,
        ..BattleConfig::mmm2()
    })
    .unwrap();
    let mut rewards = vec![0f32; 10];
    for t in 1..=180 {
        let outcome = env.step(&[act::STOP; 10], &mut rewards).unwrap();
        assert!(!outcome.terminated);
        assert_eq!(outcome.truncated, t == 180, "step {t}");
    }
    assert_eq!(env.episode_metrics().truncated, 1.0);
    assert_eq!(env.episode_metrics().win_rate, 0.0);
}

#[test]
fn smacs_sizes_and_the_observation_of_a_known_scene() {
    let mut env = Mmm2::new(BattleConfig::mmm2()).unwrap();
    assert_eq!(env.obs_spec().len(), 176);
    assert_eq!(env.state_spec().unwrap().len(), 322);
    assert_eq!(env.num_actions(), 18);
    // Agent 2 (a Marine) at (10, 16); enemy 0 (a Marauder) at (13, 20): distance 5, in sight
    // and in shoot range.
    for u in 0..env.num_units() {
        env.set_position(u, [31.0, 1.0 + u as f32]);
    }
    env.set_position(2, [10.0, 16.0]);
    env.set_position(10, [13.0, 20.0]);
    env.set_hp(10, 100.0);
    env.set_position(0, [10.0, 18.0]);
    let mut obs = vec![0f32; 10 * 176];
    env.observe(&mut obs);
    let o = &obs[2 * 176..3 * 176];
    assert_eq!(o[..4], [1.0, 1.0, 1.0, 1.0]);
    // Enemy 0: [available, 5/9, 3/9, 4/9, 100/125, marauder one-hot].
    let e0 = &o[4..12];
    let expected = [1.0, 5.0 / 9.0, 3.0 / 9.0, 4.0 / 9.0, 0.8, 1.0, 0.0, 0.0];
    for (a, b) in e0.iter().zip(expected) {
        assert!(close(*a, b, 1e-6), "{e0:?}");
    }
    // Enemy 1 is out of sight: zeros.
    assert!(o[12..20].iter().all(|&v| v == 0.0));
    // Ally 0 (first of the other allies) at distance 2 north: [1, 2/9, 0, 2/9, 1, marauder].
    let a0 = &o[4 + 12 * 8..4 + 12 * 8 + 8];
    let expected = [1.0, 2.0 / 9.0, 0.0, 2.0 / 9.0, 1.0, 1.0, 0.0, 0.0];
    for (a, b) in a0.iter().zip(expected) {
        assert!(close(*a, b, 1e-6), "{a0:?}");
    }
    // Own: [hp, marine one-hot].
    assert_eq!(o[172..], [1.0, 0.0, 1.0, 0.0]);
    // The state: ally 2's [hp, cooldown, (x − 16)/32, (y − 16)/32, types].
    let mut s = vec![0f32; 322];
    env.state(&mut s);
    let a2 = &s[2 * 7..3 * 7];
    assert_eq!(a2, [1.0, 0.0, -6.0 / 32.0, 0.0, 0.0, 1.0, 0.0]);
    // The Medivac's second feature is its energy over 200.
    assert_eq!(s[9 * 7 + 1], 50.0 / 200.0);
    // A dead ally is all zeros, in its observation and its state.
    env.set_hp(2, 0.0);
    env.observe(&mut obs);
    env.state(&mut s);
    assert!(obs[2 * 176..3 * 176].iter().all(|&v| v == 0.0));
    assert!(s[14..21].iter().all(|&v| v == 0.0));
}

#[test]
fn vectorised_battles_do_not_depend_on_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut config = BattleConfig::mmm2();
            config.cooldown_jitter = true;
            config.spawn_jitter = 1.0;
            let env = Mmm2::new(config).unwrap();
            let mut v = VecEnv::from_env(env, 4, 7).unwrap();
            let mut policies: Vec<BattlePolicy> = (0..4)
                .map(|e| BattlePolicy::by_name("random", e).unwrap())
                .collect();
            let n = v.num_agents();
            let mut obs = vec![0f32; v.obs_batch_len()];
            let mut rewards = vec![0f32; 4 * n];
            let mut actions = vec![0u8; 4 * n];
            let mut outcomes = vec![Default::default(); 4];
            let mut digest = 0u64;
            for _ in 0..200 {
                for (e, p) in policies.iter_mut().enumerate() {
                    p.act(&v.envs()[e], &mut actions[e * n..(e + 1) * n]);
                }
                v.step_autoreset(&actions, &mut rewards, &mut obs, &mut outcomes)
                    .unwrap();
                for x in obs.iter().chain(&rewards) {
                    digest = digest.wrapping_mul(31).wrapping_add(u64::from(x.to_bits()));
                }
            }
            digest
        })
    };
    let a = run(1);
    assert_eq!(a, run(3));
    assert_eq!(a, run(1));
}

#[test]
fn bad_battles_are_clear_errors() {
    let mut c = BattleConfig::mmm2();
    c.allies[0].unit = "zergling".into();
    let e = Mmm2::new(c).unwrap_err().to_string();
    assert!(e.contains("unknown unit type `zergling`"), "{e}");
    let mut c = BattleConfig::mmm2();
    c.enemies.clear();
    let e = Mmm2::new(c).unwrap_err().to_string();
    assert!(e.contains("need 1 to 64 units"), "{e}");
    let mut c = BattleConfig::mmm2();
    c.allies[1].count = 0;
    assert!(Mmm2::new(c).unwrap_err().to_string().contains("zero"));
    let mut c = BattleConfig::mmm2();
    c.unit_types[1].max_hp = f32::NAN;
    let e = Mmm2::new(c).unwrap_err().to_string();
    assert!(e.contains("max_hp") && e.contains("NaN"), "{e}");
    let e = BattleConfig::from_json("{\"allies\": 3}")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("battle config:"), "{e}");
    let e = BattleConfig::from_json("{\"foo\": 1}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field"), "{e}");
    assert!(BattleConfig::preset("zzz").is_err());
    for name in BattleConfig::PRESETS {
        let c = BattleConfig::preset(name).unwrap();
        let back = BattleConfig::from_json(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
    // An unavailable action is refused, not played.
    let mut env = Mmm2::new(BattleConfig::mmm2()).unwrap();
    let mut r = vec![0f32; 10];
    let e = env.step(&[act::NO_OP; 10], &mut r).unwrap_err().to_string();
    assert!(e.contains("not available"), "{e}");
}
