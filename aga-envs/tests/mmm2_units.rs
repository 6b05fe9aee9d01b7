//! Selfish-MMM2's unit data against ENVS.md ("Selfish-MMM2"): the damage table it states, who
//! may target whom, MMM2's teams in SMAC's order, config round trips and validation.

use aga_envs::{mmm2_teams, UnitStats};

#[test]
fn damage_matches_the_table_of_envs_md() {
    let (marine, marauder, medivac) = (
        UnitStats::marine(),
        UnitStats::marauder(),
        UnitStats::medivac(),
    );
    // ENVS.md: Marine→Marine 6, Marine→Marauder 5, Marine→Medivac 5, Marauder→Marine 10,
    // Marauder→Marauder 19; Marauders cannot hit the Medivac; the Medivac has no weapon.
    let cases = [
        (&marine, &marine, 6.0),
        (&marine, &marauder, 5.0),
        (&marine, &medivac, 5.0),
        (&marauder, &marine, 10.0),
        (&marauder, &marauder, 19.0),
        (&marauder, &medivac, 0.0),
        (&medivac, &marine, 0.0),
    ];
    for (shooter, target, expected) in cases {
        let dealt = shooter.damage_to(target, target.max_hp);
        assert_eq!(dealt, expected, "{} → {}", shooter.name, target.name);
    }
    assert!(!marauder.can_attack(&medivac));
    assert!(marine.can_attack(&medivac));
    assert!(!medivac.can_attack(&marine));
    // A hit never deals more than the target has left.
    assert_eq!(marauder.damage_to(&marine, 4.0), 4.0);
    assert_eq!(marine.damage_to(&marine, 0.0), 0.0);
    assert_eq!(marauder.radius(), 0.5625);
}

#[test]
fn mmm2_teams_are_in_smacs_order() {
    let (allies, enemies) = mmm2_teams();
    let names = |units: &[UnitStats]| units.iter().map(|u| u.name.clone()).collect::<Vec<_>>();
    let mut expected = vec!["marauder"; 2];
    expected.extend(["marine"; 7]);
    expected.push("medivac");
    assert_eq!(names(&allies), expected);
    let count = |name: &str| enemies.iter().filter(|u| u.name == name).count();
    assert_eq!(
        (
            enemies.len(),
            count("medivac"),
            count("marauder"),
            count("marine")
        ),
        (12, 1, 3, 8)
    );
}

#[test]
fn units_round_trip_as_json_and_bad_values_are_errors() {
    for unit in [
        UnitStats::marine(),
        UnitStats::marauder(),
        UnitStats::medivac(),
    ] {
        unit.validate().unwrap();
        let text = serde_json::to_string(&unit).unwrap();
        let back: UnitStats = serde_json::from_str(&text).unwrap();
        assert_eq!(back, unit);
    }
    let mut nan = UnitStats::marine();
    nan.max_hp = f32::NAN;
    assert!(nan.validate().unwrap_err().to_string().contains("max_hp"));
    let mut slow = UnitStats::marauder();
    slow.speed = -1.0;
    assert!(slow.validate().unwrap_err().to_string().contains("speed"));
    let mut medivac = UnitStats::medivac();
    medivac.heal.as_mut().unwrap().energy_start = 500.0;
    assert!(medivac.validate().is_err());
}

#[test]
fn simultaneous_hits_split_overkill_and_share_kills() {
    use aga_envs::{resolve_hits, Hit};
    // Allies 0, 1 (Marines, 45 HP); enemies 2 (a Marine on 10 HP) and 3 (a Marauder).
    let mut hp = vec![45.0, 45.0, 10.0, 125.0];
    let hit = |shooter, target, damage| Hit {
        shooter,
        target,
        damage,
    };
    let ledger = resolve_hits(
        &mut hp,
        &[
            hit(0, 2, 6.0),
            hit(1, 2, 6.0),
            hit(3, 0, 10.0),
            // Simultaneous: unit 2 fires in the sub-step it dies in.
            hit(2, 1, 6.0),
        ],
    );
    // 12 damage on 10 HP: each Marine dealt 5 and half a kill.
    assert_eq!(hp, vec![35.0, 39.0, 0.0, 125.0]);
    assert_eq!(ledger.dealt, vec![5.0, 5.0, 6.0, 10.0]);
    assert_eq!(ledger.kills, vec![0.5, 0.5, 0.0, 0.0]);
    assert_eq!(ledger.taken, vec![10.0, 6.0, 10.0, 0.0]);
    assert_eq!(ledger.died, vec![false, false, true, false]);
    // A dead unit takes nothing; one shooter hitting twice gets the whole kill; overkill in
    // proportion 3 : 1.
    let mut hp = vec![0.0, 8.0, 45.0];
    let ledger = resolve_hits(&mut hp, &[hit(2, 0, 6.0), hit(2, 1, 6.0), hit(2, 1, 6.0)]);
    assert_eq!(hp, vec![0.0, 0.0, 45.0]);
    assert_eq!(ledger.dealt, vec![0.0, 0.0, 8.0]);
    assert_eq!(ledger.kills, vec![0.0, 0.0, 1.0]);
    let mut hp = vec![45.0, 45.0, 4.0];
    let ledger = resolve_hits(&mut hp, &[hit(0, 2, 9.0), hit(1, 2, 3.0)]);
    assert_eq!(ledger.dealt, vec![3.0, 1.0, 0.0]);
    assert_eq!(ledger.kills, vec![0.5, 0.5, 0.0]);
}

#[test]
fn the_selfish_reward_is_envs_mds_formula() {
    use aga_envs::SelfishWeights;
    let w = SelfishWeights::default();
    // dealt 5, half a kill, took 10: (5 + 10·0.5 − 0.5·10) / 60.25.
    let r = w.reward(5.0, 0.5, 0.0, 10.0, false, false, 10);
    assert!((r - 5.0 / 60.25).abs() < 1e-7, "{r}");
    // A Medivac that healed 9 and died after taking 150: (9 − 0.5·(150 + 10)) / 60.25.
    let r = w.reward(0.0, 0.0, 9.0, 150.0, true, false, 10);
    assert!((r - (9.0 - 80.0) / 60.25).abs() < 1e-6, "{r}");
    // The optional win share: 200 over 10 allies.
    let with_win = SelfishWeights {
        win_share: Some(200.0),
        ..SelfishWeights::default()
    };
    let r = with_win.reward(0.0, 0.0, 0.0, 0.0, false, true, 10);
    assert!((r - 20.0 / 60.25).abs() < 1e-7, "{r}");
    assert_eq!(w.reward(0.0, 0.0, 0.0, 0.0, false, true, 10), 0.0);
}

#[test]
fn smac_layout_sizes_are_mmm2s() {
    use aga_envs::SmacSizes;
    // ENVS.md / SMAC: MMM2 (10 allies, 12 enemies, 3 unit types) has a 176-float observation,
    // a 322-float state and 18 actions.
    let (allies, enemies) = mmm2_teams();
    let sizes = SmacSizes::new(allies.len(), enemies.len(), 3);
    assert_eq!(
        sizes,
        SmacSizes {
            obs: 176,
            state: 322,
            actions: 18
        }
    );
}

/// SMAClite's `heal`, traced by hand: 9/16 HP per tick, one energy buys 3 HP when the bank is
/// short, a new target needs 5 energy, a full target is dropped.
#[test]
fn healing_follows_smaclites_bookkeeping() {
    use aga_envs::HealerState;
    let tick = 1.0 / 16.0;
    let stats = UnitStats::medivac().heal.unwrap();
    let mut medivac = HealerState::new(&stats);
    assert_eq!(medivac.energy, 50.0);
    // A Marine at 40 of 45: ticks give 0.5625 eight times, then the last 0.5; energy is spent
    // twice (before ticks 1 and 6): 5 HP cost 2 energy, and 1 HP of bought healing is left.
    let mut hp = 40.0;
    let mut given = Vec::new();
    for t in 0..9 {
        let out = medivac.heal(&stats, t == 0, hp, 45.0, tick);
        assert!(out.keep_target);
        hp += out.healed;
        given.push(out.healed);
    }
    let mut expected = vec![0.5625; 8];
    expected.push(0.5);
    assert_eq!(given, expected);
    assert_eq!(hp, 45.0);
    assert_eq!(medivac.energy, 48.0);
    assert_eq!(medivac.healing_available, 1.0);
    // Full: dropped, nothing given.
    let out = medivac.heal(&stats, false, 45.0, 45.0, tick);
    assert_eq!((out.healed, out.keep_target), (0.0, false));
    // A new target with 4 energy is refused; the same target with 0.5 energy and an empty bank
    // buys 1.5 HP with it.
    let mut low = HealerState {
        energy: 4.0,
        healing_available: 0.0,
    };
    assert!(!low.heal(&stats, true, 10.0, 45.0, tick).keep_target);
    low.energy = 0.5;
    let out = low.heal(&stats, false, 10.0, 45.0, tick);
    assert_eq!(
        (out.healed, low.energy, low.healing_available),
        (0.5625, 0.0, 0.9375)
    );
    // Energy comes back at 0.5625 per second, up to 200.
    let mut full = HealerState {
        energy: 199.99,
        healing_available: 0.0,
    };
    full.regenerate(&stats, tick);
    assert_eq!(full.energy, 200.0);
    let mut some = HealerState::new(&stats);
    for _ in 0..16 {
        some.regenerate(&stats, tick);
    }
    assert!((some.energy - 50.5625).abs() < 1e-5, "{}", some.energy);
}

#[test]
fn ranges_are_edge_to_edge_and_inclusive() {
    let (marine, marauder, medivac) = (
        UnitStats::marine(),
        UnitStats::marauder(),
        UnitStats::medivac(),
    );
    // Marine on Marine: 5 + 0.375 + 0.375 = 5.75 between centres.
    assert!(marine.reaches([0.0, 0.0], &marine, [5.75, 0.0]));
    assert!(!marine.reaches([0.0, 0.0], &marine, [5.76, 0.0]));
    // Marauder on Marine: 6 + 0.5625 + 0.375 = 6.9375, along a diagonal (3-4-5 scaled).
    let d = 6.9375f32;
    assert!(marauder.reaches([1.0, 1.0], &marine, [1.0 + 0.6 * d, 1.0 + 0.8 * d - 1e-4]));
    assert!(!marauder.reaches([1.0, 1.0], &marine, [1.0 + 0.6 * d, 1.0 + 0.8 * d + 1e-3]));
    // The Medivac heals within 4 + 0.75 + 0.375.
    assert!(medivac.reaches([0.0, 0.0], &marine, [0.0, 5.125]));
    assert!(!medivac.reaches([0.0, 0.0], &marine, [0.0, 5.13]));
}
