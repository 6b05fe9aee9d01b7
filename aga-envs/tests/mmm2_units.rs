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
