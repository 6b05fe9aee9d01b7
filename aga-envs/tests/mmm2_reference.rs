//! Selfish-MMM2 against the references' own code (golden files in `tests/golden/`, each with
//! the command that produced it):
//! * `smax_replay.json`: 30 steps of a 3 Marines + 1 Marauder a side battle played by JaxMARL's
//!   SMAX (`FLAIROx/JaxMARL@c793d09`, jitter off): every unit's position, hit points and
//!   cooldown after every step, replayed here under [`BattleConfig::smax`] with the same
//!   actions for both sides;
//! * `smaclite_heal.json`: the Medivac's heal and energy bookkeeping tick by tick from
//!   SMAClite's `Unit` objects (`uoe-agents/smaclite@0d6abbe`);
//! * `smaclite_targeting.json`: the targets SMAClite's attack-move picks in 16 scenes of MMM2.

use aga_envs::{
    mmm2_actions as act, BattleConfig, EnemyAi, HealerState, Mmm2, MultiAgentEnv, UnitStats,
};
use serde_json::Value;

fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn pairs(v: &Value) -> Vec<[f32; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = f32s(p);
            [p[0], p[1]]
        })
        .collect()
}

/// SMAX's action of unit `u` (allies `0..na`) in our layout: SMAX moves 0-3 are N, E, S, W,
/// 4 stops, `5 + j` attacks enemy `j` (an ally) or ally `na − 1 − j` (an enemy).
fn from_smax(a: u8, u: usize, na: usize, alive: bool) -> u8 {
    if !alive {
        return act::NO_OP;
    }
    match a {
        0 => act::NORTH,
        1 => act::EAST,
        2 => act::SOUTH,
        3 => act::WEST,
        4 => act::STOP,
        a => {
            let j = (a - 5) as usize;
            let target = if u < na { j } else { na - 1 - j };
            act::FIRST_TARGET + target as u8
        }
    }
}

#[test]
fn replays_smaxs_own_battle_step_by_step() {
    let g = golden("smax_replay.json");
    assert_eq!(
        g["jaxmarl_commit"],
        "c793d095618c6d3edfb5632802348f57b70a4b94"
    );
    let types: Vec<u64> = g["unit_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    assert_eq!(
        types,
        [0, 0, 0, 1, 0, 0, 0, 1],
        "3 Marines and a Marauder a side"
    );
    // SMAX's constants are the preset's.
    let c = &g["unit_constants_f32"];
    for (k, stats) in [UnitStats::smax_marine(), UnitStats::smax_marauder()]
        .iter()
        .enumerate()
    {
        let at = |field: &str| c[field][k].as_f64().unwrap() as f32;
        assert_eq!(at("velocity"), stats.speed);
        assert_eq!(at("attack"), stats.damage);
        assert_eq!(at("attack_range"), stats.range);
        assert_eq!(at("radius"), stats.radius());
        assert_eq!(at("health"), stats.max_hp);
        assert_eq!(at("weapon_cooldown"), stats.cooldown);
    }
    let mut config = BattleConfig::smax((3, 1), (3, 1));
    config.enemy_ai = EnemyAi::External;
    let mut env = Mmm2::new(config).unwrap();
    let na = 4;
    for (u, p) in pairs(&g["initial_positions"]).into_iter().enumerate() {
        env.set_position(u, p);
    }
    let mut rewards = vec![0f32; na];
    let mut worst = (0f32, 0f32);
    for row in g["trajectory"].as_array().unwrap() {
        let t = row["t"].as_u64().unwrap();
        let smax: Vec<u8> = row["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_u64().unwrap() as u8)
            .collect();
        let ours: Vec<u8> = smax
            .iter()
            .enumerate()
            .map(|(u, &a)| from_smax(a, u, na, env.alive(u)))
            .collect();
        env.set_enemy_actions(&ours[na..]);
        env.step(&ours[..na], &mut rewards)
            .unwrap_or_else(|e| panic!("step {t}: {e}"));
        let state = &row["state"];
        let (pos, hp, cd) = (
            pairs(&state["pos"]),
            f32s(&state["health"]),
            f32s(&state["cooldown"]),
        );
        for u in 0..2 * na {
            let [x, y] = env.position(u);
            let dp = (x - pos[u][0]).abs().max((y - pos[u][1]).abs());
            worst.0 = worst.0.max(dp);
            // SMAX moves along f32 unit vectors of length 1 − 2⁻²⁴ and multiplies in another
            // order: positions agree to rounding, hit points and cooldowns exactly.
            assert!(dp <= 2e-5, "step {t}, unit {u}: ({x}, {y}) vs {:?}", pos[u]);
            assert_eq!(env.hp(u), hp[u], "step {t}, unit {u}: hit points");
            let dc = (env.cooldown(u) - cd[u]).abs();
            worst.1 = worst.1.max(dc);
            assert!(
                dc <= 1e-6,
                "step {t}, unit {u}: cooldown {} vs {}",
                env.cooldown(u),
                cd[u]
            );
        }
    }
    let dead = (0..2 * na).filter(|&u| !env.alive(u)).count();
    assert_eq!(dead, 3, "the replay has three deaths");
    eprintln!(
        "worst position difference {:e}, cooldown {:e}",
        worst.0, worst.1
    );
}

#[test]
fn the_medivacs_heal_matches_smaclites_unit_tick_by_tick() {
    let g = golden("smaclite_heal.json");
    let medivac = UnitStats::medivac();
    let heal = medivac.heal.as_ref().unwrap();
    let tick = 1.0 / 16.0;
    for case in g["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut hp = f32s(&case["marine_start_hp"]);
        let max_hp = case["marine_max_hp"].as_f64().unwrap() as f32;
        let mut state = HealerState::new(heal);
        state.energy = case["start_energy"].as_f64().unwrap() as f32;
        // SMAClite's ids: marines are 1..n; the order names one.
        let mut order = 1usize;
        let mut target: Option<usize> = None;
        let ticks = case["ticks"].as_array().unwrap();
        for row in &ticks[1..] {
            let k = row["tick"].as_u64().unwrap();
            if let Some(event) = case["events"].get(k.to_string()) {
                match event[0].as_str().unwrap() {
                    "command" => order = event[1].as_u64().unwrap() as usize + 1,
                    "damage" => {
                        let i = event[1][0].as_u64().unwrap() as usize;
                        hp[i] -= event[1][1].as_f64().unwrap() as f32;
                    }
                    other => panic!("{name}: unknown event {other}"),
                }
            }
            state.regenerate(heal, tick);
            let m = order - 1;
            let done = state.heal(heal, target != Some(order), hp[m], max_hp, tick);
            hp[m] += done.healed;
            target = done.keep_target.then_some(order);
            let want_hp = f32s(&row["marine_hp"]);
            let ctx = format!("{name}, tick {k}");
            assert_eq!(hp, want_hp, "{ctx}: marine hit points");
            assert_eq!(
                state.energy,
                row["energy"].as_f64().unwrap() as f32,
                "{ctx}: energy"
            );
            assert_eq!(
                state.healing_available,
                row["healing_available"].as_f64().unwrap() as f32,
                "{ctx}: banked healing"
            );
            let want_target = row["target"].as_u64().map(|t| t as usize);
            assert_eq!(target, want_target, "{ctx}: target");
        }
    }
    let cap = &g["energy_cap"];
    let mut state = HealerState::new(heal);
    state.energy = cap["start_energy"].as_f64().unwrap() as f32;
    for row in cap["ticks"].as_array().unwrap() {
        state.regenerate(heal, tick);
        assert_eq!(state.energy, row["energy"].as_f64().unwrap() as f32);
    }
}

/// Our unit index of SMAClite's ally `a` (SMAClite: Medivac 0, Marines 1-7, Marauders 8-9;
/// SMAC and we: Marauders 0-1, Marines 2-8, Medivac 9).
fn ally(a: usize) -> usize {
    match a {
        0 => 9,
        1..=7 => a + 1,
        _ => a - 8,
    }
}

/// Our unit index of SMAClite's enemy `e` (SMAClite: Medivac 0, Marines 1-8, Marauders 9-11;
/// we: Marauders 10-12, Marines 13-20, Medivac 21).
fn enemy(e: usize) -> usize {
    10 + match e {
        0 => 11,
        1..=8 => e + 2,
        _ => e - 9,
    }
}

#[test]
fn attack_move_picks_the_targets_smaclite_picks() {
    let g = golden("smaclite_targeting.json");
    let mut checked = 0;
    for case in g["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if case["implementation_defined_tie"].as_bool() == Some(true) {
            continue;
        }
        let mut env = Mmm2::new(BattleConfig::mmm2()).unwrap();
        for u in 0..env.num_units() {
            env.set_hp(u, 0.0);
        }
        let mut actions = vec![act::NO_OP; 10];
        for (id, unit) in case["allies"].as_object().unwrap() {
            let u = ally(id.parse().unwrap());
            let p = f32s(&unit["pos"]);
            env.set_position(u, [p[0], p[1]]);
            env.set_hp(u, unit["hp"].as_f64().unwrap() as f32);
            actions[u] = match unit["command"].as_str().unwrap() {
                "StopCommand" => act::STOP,
                "AttackUnitCommand" => {
                    let t = unit["command_target"].as_u64().unwrap() as usize;
                    act::FIRST_TARGET + (enemy(t) - 10) as u8
                }
                other => panic!("{name}: command {other}"),
            };
        }
        env.set_ally_actions(&actions);
        let enemies = case["enemies"].as_object().unwrap();
        for (id, unit) in enemies {
            let u = enemy(id.parse().unwrap());
            let p = f32s(&unit["pos"]);
            env.set_position(u, [p[0], p[1]]);
            env.set_hp(u, unit["hp"].as_f64().unwrap() as f32);
            env.set_energy(u, unit["energy"].as_f64().unwrap() as f32);
        }
        let healer = |id: &str| enemies[id]["type"] == "MEDIVAC";
        for (id, unit) in enemies {
            let u = enemy(id.parse().unwrap());
            let preset = unit["preset_target"].as_u64().map(|t| match healer(id) {
                true => enemy(t as usize),
                false => ally(t as usize),
            });
            env.set_ai_target(u, preset);
        }
        // SMAClite's order: its Medivac (id 0) picks first.
        let mut ids: Vec<&String> = case["expected"].as_object().unwrap().keys().collect();
        ids.sort_by_key(|id| id.parse::<usize>().unwrap());
        for id in ids {
            let want = &case["expected"][id.as_str()]["picked_target"];
            let want = want.as_u64().map(|t| match healer(id) {
                true => enemy(t as usize),
                false => ally(t as usize),
            });
            let got = env.attack_move_target(enemy(id.parse().unwrap()));
            assert_eq!(got, want, "{name}: enemy {id} ({})", case["description"]);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} picks checked");
}

#[test]
fn mmm2_starts_where_smaclite_places_its_units() {
    let g = golden("smaclite_targeting.json");
    let spawn = g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "spawn")
        .expect("the spawn scene");
    let env = Mmm2::new(BattleConfig::mmm2()).unwrap();
    let mut checked = 0;
    for (side, map) in [("allies", ally as fn(usize) -> usize), ("enemies", enemy)] {
        for (id, unit) in spawn[side].as_object().unwrap() {
            let u = map(id.parse().unwrap());
            let want = f32s(&unit["pos"]);
            let got = env.position(u);
            assert!(
                (got[0] - want[0]).abs() < 1e-5 && (got[1] - want[1]).abs() < 1e-5,
                "{side} {id} (our unit {u}): {got:?} vs {want:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 22);
}
