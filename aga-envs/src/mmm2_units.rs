//! Selfish-MMM2's units as data (ENVS.md, "Selfish-MMM2"; issue 18's first piece): SC2's
//! values as SMAClite encodes them (`uoe-agents/smaclite@0d6abbe`, `smaclite/env/units/*.py`
//! and the unit JSONs), the damage rule and who may target whom. The simulator, observations
//! and rewards are still to be built; scenarios other than MMM2 are configurations of these
//! stats, not code.

use crate::EnvError;
use serde::{Deserialize, Serialize};

/// A Medivac's healing and energy (SMAClite's `heal`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealStats {
    /// Heal range (edge to edge, as weapon ranges).
    pub range: f32,
    /// Hit points restored per second of game time (9/16 per sub-step of 1/16 s).
    pub hp_per_second: f32,
    /// Hit points restored per unit of energy.
    pub hp_per_energy: f32,
    /// Energy needed to take a new target.
    pub energy_to_start: f32,
    /// Energy at the start of an episode.
    pub energy_start: f32,
    /// Most energy.
    pub energy_max: f32,
    /// Energy regained per second.
    pub energy_per_second: f32,
}

/// One unit type's stats (a radius is half the size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitStats {
    /// The type's name (`marine`, `marauder`, `medivac`, or a scenario's own).
    pub name: String,
    /// Hit points at the start.
    pub max_hp: f32,
    /// Armour, subtracted from every hit.
    pub armour: f32,
    /// Damage per attack (0 for a unit that does not attack).
    pub damage: f32,
    /// Extra damage against armoured targets.
    pub bonus_vs_armoured: f32,
    /// Seconds between attacks.
    pub cooldown: f32,
    /// Distance per second.
    pub speed: f32,
    /// Weapon range, edge to edge (range + both radii between centres).
    pub range: f32,
    /// Diameter.
    pub size: f32,
    /// Armoured (takes `bonus_vs_armoured`).
    pub armoured: bool,
    /// Flies (pushes and is pushed only by other air units; needs `hits_air` to be shot).
    pub air: bool,
    /// May attack air units.
    pub hits_air: bool,
    /// Healing, for a healer.
    pub heal: Option<HealStats>,
}

impl UnitStats {
    /// SC2's Marine: 45 HP, armour 0, 6 damage every 0.61 s, speed 3.15, range 5, size 0.75,
    /// light, hits air.
    pub fn marine() -> Self {
        Self {
            name: "marine".into(),
            max_hp: 45.0,
            armour: 0.0,
            damage: 6.0,
            bonus_vs_armoured: 0.0,
            cooldown: 0.61,
            speed: 3.15,
            range: 5.0,
            size: 0.75,
            armoured: false,
            air: false,
            hits_air: true,
            heal: None,
        }
    }

    /// SC2's Marauder: 125 HP, armour 1, 10 damage (+10 vs armoured) every 1.07 s, speed 3.15,
    /// range 6, size 1.125, armoured, ground targets only.
    pub fn marauder() -> Self {
        Self {
            name: "marauder".into(),
            max_hp: 125.0,
            armour: 1.0,
            damage: 10.0,
            bonus_vs_armoured: 10.0,
            cooldown: 1.07,
            speed: 3.15,
            range: 6.0,
            size: 1.125,
            armoured: true,
            air: false,
            hits_air: false,
            heal: None,
        }
    }

    /// SC2's Medivac: 150 HP, armour 1, speed 3.5, size 1.5, armoured, flies, no weapon; heals
    /// 9/16 HP per sub-step within 4 for 1 energy per 3 HP, from 50 of 200 energy, +0.5625
    /// energy/s, 5 energy to take a new target.
    pub fn medivac() -> Self {
        Self {
            name: "medivac".into(),
            max_hp: 150.0,
            armour: 1.0,
            damage: 0.0,
            bonus_vs_armoured: 0.0,
            cooldown: 0.0,
            speed: 3.5,
            range: 0.0,
            size: 1.5,
            armoured: true,
            air: true,
            hits_air: false,
            heal: Some(HealStats {
                range: 4.0,
                hp_per_second: 9.0,
                hp_per_energy: 3.0,
                energy_to_start: 5.0,
                energy_start: 50.0,
                energy_max: 200.0,
                energy_per_second: 0.5625,
            }),
        }
    }

    /// SMAX's Marine (JaxMARL `smax_env.py`): 45 HP, 9 damage every 0.61 s, speed 3.15, range
    /// 5 (centre distance), radius 0.375, no armour.
    pub fn smax_marine() -> Self {
        Self {
            damage: 9.0,
            ..Self::marine()
        }
    }

    /// SMAX's Marauder: 125 HP, 10 damage every 1.07 s, speed 2.25, range 6 (centre distance),
    /// radius 0.5625, no armour, no bonus, ground and air alike.
    pub fn smax_marauder() -> Self {
        Self {
            armour: 0.0,
            bonus_vs_armoured: 0.0,
            speed: 2.25,
            hits_air: true,
            ..Self::marauder()
        }
    }

    /// Half the size.
    pub fn radius(&self) -> f32 {
        self.size / 2.0
    }

    /// Whether a unit of this type at `pos` has `target` at `target_pos` within its weapon (or
    /// heal) range, edge to edge: centre distance ≤ range + both radii (SMAClite's
    /// `has_within_attack_range`, inclusive).
    pub fn reaches(&self, pos: [f32; 2], target: &UnitStats, target_pos: [f32; 2]) -> bool {
        let range = match &self.heal {
            Some(h) => h.range,
            None => self.range,
        } + self.radius()
            + target.radius();
        let (dx, dy) = (pos[0] - target_pos[0], pos[1] - target_pos[1]);
        dx * dx + dy * dy <= range * range
    }

    /// Whether this unit's weapon may hit `target` (a healer has none; ground-only weapons
    /// cannot hit air).
    pub fn can_attack(&self, target: &UnitStats) -> bool {
        self.damage > 0.0 && (self.hits_air || !target.air)
    }

    /// Damage of one attack on `target` with `target_hp` left:
    /// `max(0, min(damage + bonus − armour, target_hp))` (0 where it cannot attack).
    pub fn damage_to(&self, target: &UnitStats, target_hp: f32) -> f32 {
        if !self.can_attack(target) {
            return 0.0;
        }
        let bonus = if target.armoured {
            self.bonus_vs_armoured
        } else {
            0.0
        };
        (self.damage + bonus - target.armour)
            .min(target_hp)
            .max(0.0)
    }

    /// Check that every number is finite and in range (a config file's units).
    pub fn validate(&self) -> Result<(), EnvError> {
        let bad = |what: &str, v: f32| {
            Err(EnvError::BadParameter(format!(
                "unit `{}`: {what} must be finite and {}, got {v}",
                self.name,
                if what == "max_hp" || what == "size" {
                    "positive"
                } else {
                    "non-negative"
                }
            )))
        };
        for (what, v) in [("max_hp", self.max_hp), ("size", self.size)] {
            if !(v.is_finite() && v > 0.0) {
                return bad(what, v);
            }
        }
        for (what, v) in [
            ("armour", self.armour),
            ("damage", self.damage),
            ("bonus_vs_armoured", self.bonus_vs_armoured),
            ("cooldown", self.cooldown),
            ("speed", self.speed),
            ("range", self.range),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(what, v);
            }
        }
        if let Some(h) = &self.heal {
            for (what, v) in [
                ("heal range", h.range),
                ("hp_per_second", h.hp_per_second),
                ("hp_per_energy", h.hp_per_energy),
                ("energy_to_start", h.energy_to_start),
                ("energy_start", h.energy_start),
                ("energy_max", h.energy_max),
                ("energy_per_second", h.energy_per_second),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return bad(what, v);
                }
            }
            if h.hp_per_energy == 0.0 || h.energy_start > h.energy_max {
                return Err(EnvError::BadParameter(format!(
                    "unit `{}`: healing needs hp_per_energy > 0 and energy_start <= energy_max",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// MMM2's teams by unit type, in SMAC's ally order (Marauders 0–1, Marines 2–8, Medivac 9):
/// the allies (learners) and the enemies (1 Medivac, 3 Marauders, 8 Marines, listed in the
/// same type order).
pub fn mmm2_teams() -> (Vec<UnitStats>, Vec<UnitStats>) {
    let team = |marauders: usize, marines: usize| {
        let mut units = vec![UnitStats::marauder(); marauders];
        units.extend(vec![UnitStats::marine(); marines]);
        units.push(UnitStats::medivac());
        units
    };
    (team(2, 7), team(3, 8))
}

/// Sizes of SMAC's per-agent observation, global state and action set for a battle of `allies`
/// learners against `enemies` with `unit_types` type one-hot channels (ENVS.md: MMM2 gives 176,
/// 322 and 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmacSizes {
    /// Observation floats: 4 move flags; per enemy `[available, dist, dx, dy, hp, types…]`;
    /// per other ally `[visible, dist, dx, dy, hp, types…]`; own `[hp, types…]`.
    pub obs: usize,
    /// State floats: per ally `[hp, energy or cooldown, x, y, types…]`; per enemy `[hp, x, y,
    /// types…]`; then every ally's last action one-hot.
    pub state: usize,
    /// Actions: no-op, stop, 4 moves, one attack per enemy (SMAC's `6 + n_enemies`; a
    /// Medivac's slot `j` heals ally `j`).
    pub actions: usize,
}

impl SmacSizes {
    /// The sizes for `allies` against `enemies` with `unit_types` types.
    pub fn new(allies: usize, enemies: usize, unit_types: usize) -> Self {
        let actions = 6 + enemies;
        Self {
            obs: 4 + (enemies + allies.saturating_sub(1)) * (5 + unit_types) + 1 + unit_types,
            state: allies * (4 + unit_types) + enemies * (3 + unit_types) + allies * actions,
            actions,
        }
    }
}

/// A healer's energy bookkeeping between ticks, as SMAClite's `Unit.heal` and `game_step`
/// (`uoe-agents/smaclite@0d6abbe`, `smaclite/env/units/unit.py`): energy buys healing in
/// blocks of one energy (`hp_per_energy` HP) when the bank runs short.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HealerState {
    /// Energy left.
    pub energy: f32,
    /// Healing bought and not yet given.
    pub healing_available: f32,
}

/// What one heal tick did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealTick {
    /// Hit points given to the target.
    pub healed: f32,
    /// Whether the healer keeps its target (it drops one that is at full HP, or a new one it
    /// has too little energy to take).
    pub keep_target: bool,
}

impl HealerState {
    /// At the start of an episode.
    pub fn new(heal: &HealStats) -> Self {
        Self {
            energy: heal.energy_start,
            healing_available: 0.0,
        }
    }

    /// Energy regained over one tick of `tick` seconds, up to the maximum (before the tick's
    /// command, as SMAClite's `game_step`).
    pub fn regenerate(&mut self, heal: &HealStats, tick: f32) {
        if self.energy < heal.energy_max {
            self.energy = (self.energy + heal.energy_per_second * tick).min(heal.energy_max);
        }
    }

    /// One tick of healing a target with `hp` of `max_hp`; `new_target` when the target differs
    /// from the previous tick's. A new target needs `energy_to_start` energy; a target at full
    /// HP is dropped. Otherwise the target gets `min(missing, hp_per_second · tick)`, buying one
    /// energy's worth (or what energy is left) when the bank holds less.
    pub fn heal(
        &mut self,
        heal: &HealStats,
        new_target: bool,
        hp: f32,
        max_hp: f32,
        tick: f32,
    ) -> HealTick {
        if (new_target && self.energy < heal.energy_to_start) || hp >= max_hp {
            return HealTick {
                healed: 0.0,
                keep_target: false,
            };
        }
        let desired = (max_hp - hp).min(heal.hp_per_second * tick);
        if self.healing_available < desired {
            let spent = self.energy.min(1.0);
            self.energy -= spent;
            self.healing_available += spent * heal.hp_per_energy;
        }
        let healed = desired.min(self.healing_available);
        self.healing_available -= healed;
        HealTick {
            healed,
            keep_target: true,
        }
    }
}
