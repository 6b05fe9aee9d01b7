//! A battle as data (ENVS.md, "Selfish-MMM2"): the unit types, both teams, the world, the
//! rules that are options (walking to out-of-range targets, cooldown jitter, the enemy's AI) and
//! the reward's weights. MMM2 is [`BattleConfig::mmm2`]; SMAX's `3m`, a `2s3z`-like battle and
//! SMAC's `MMM` are presets too, and any other scenario is a JSON file, not code.

use crate::mmm2_rewards::SelfishWeights;
use crate::mmm2_units::{SmacSizes, UnitStats};
use crate::EnvError;
use serde::{Deserialize, Serialize};

/// `count` units of the type named `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Squad {
    /// A name from [`BattleConfig::unit_types`].
    pub unit: String,
    /// How many (≥ 1).
    pub count: usize,
}

impl Squad {
    fn new(unit: &str, count: usize) -> Self {
        Self {
            unit: unit.into(),
            count,
        }
    }
}

/// How the scripted enemies play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnemyAi {
    /// SMAClite's attack-move: keep a valid target, else acquire the nearest ally within weapon
    /// range, else walk towards the allies' spawn; a healer heals the most hurt ally in reach.
    AttackMove,
    /// SMAX's `closest` heuristic: every unit attacks the closest visible ally (moving towards
    /// it when it is out of range), or walks to the allies' spawn when none is visible.
    Closest,
    /// The enemies stand still and only fire at what is in range (for tests).
    Passive,
    /// The enemies follow actions given with [`Mmm2::set_enemy_actions`](crate::Mmm2::set_enemy_actions),
    /// in the allies' layout (`6 + j` attacks ally `j`): replays of a reference's games.
    External,
}

/// When a unit's weapon (or heal) reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeRule {
    /// Centre distance ≤ range + both radii (SC2, SMAClite's `has_within_attack_range`).
    EdgeToEdge,
    /// Centre distance < range (SMAX's `update_agent_health`).
    CentreStrict,
}

/// A battle: unit types, teams, world and rules. Checked by [`BattleConfig::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BattleConfig {
    /// The scenario's name (for files and plots).
    pub name: String,
    /// Unit types; their order is the order of the type one-hot in observations and states.
    pub unit_types: Vec<UnitStats>,
    /// The learners, in agent order.
    pub allies: Vec<Squad>,
    /// The scripted side.
    pub enemies: Vec<Squad>,
    /// Width and height of the world; units are clamped inside it.
    pub map_size: [f32; 2],
    /// Centre of the allies' spawn grid (also where the enemies' attack-move heads).
    pub ally_spawn: [f32; 2],
    /// Centre of the enemies' spawn grid (where the allies' heuristic heads).
    pub enemy_spawn: [f32; 2],
    /// The gap between neighbouring units of a spawn grid (SMAClite's `__place_group`: units
    /// touching but for 0.05, rows of `⌈√n⌉`; the enemies' grid is the allies' turned by half
    /// a turn).
    pub spawn_gap: f32,
    /// The order unit types are laid out in the spawn grids (SMAClite's map file: MMM2 places
    /// the Medivac, then the Marines, then the Marauders); types not listed follow in unit
    /// order; empty: the units' order.
    pub spawn_order: Vec<String>,
    /// Every unit's start is moved by a uniform offset in `±spawn_jitter` on each axis, drawn
    /// from the episode's seed (0: the same start every episode).
    pub spawn_jitter: f32,
    /// Sub-steps per environment step (SMAX: 8).
    pub sub_steps: usize,
    /// Seconds of game time per sub-step (SMAX: 1/16).
    pub tick: f32,
    /// Steps after which the episode is truncated (SMAC's MMM2: 180).
    pub episode_limit: usize,
    /// Sight range of observations (SMAC: 9).
    pub sight_range: f32,
    /// Centre distance within which an attack order is available (SMAC: 6).
    pub shoot_range: f32,
    /// A move is available when the point this far away in its direction is inside the world
    /// (SMAC's `move_amount`: 2).
    pub move_amount: f32,
    /// An order on a target beyond weapon range walks towards it (SMAClite, SC2); off, the
    /// unit stands (SMAX).
    pub walk_to_target: bool,
    /// After firing, a unit's cooldown is its weapon's plus a uniform draw in
    /// `[−tick, 2·tick)` (SMAX's jitter), from the episode's seeded generator.
    pub cooldown_jitter: bool,
    /// The enemies' script.
    pub enemy_ai: EnemyAi,
    /// When weapons reach (SC2's edge-to-edge range by default; SMAX's centre distance).
    pub range_rule: RangeRule,
    /// A unit touching a wall dies (SMAX's `walls_cause_death`); off, walls clamp (positions
    /// are clamped after moves and pushes).
    pub wall_kills: bool,
    /// The selfish reward's weights; [`SelfishWeights::scale`] is set from the enemies by
    /// [`BattleConfig::smac_reward_scale`] in the presets.
    pub reward: SelfishWeights,
}

impl Default for BattleConfig {
    fn default() -> Self {
        Self::mmm2()
    }
}

impl BattleConfig {
    fn with_teams(
        name: &str,
        types: Vec<UnitStats>,
        allies: Vec<Squad>,
        enemies: Vec<Squad>,
    ) -> Self {
        let mut config = Self {
            name: name.into(),
            unit_types: types,
            allies,
            enemies,
            map_size: [32.0, 32.0],
            ally_spawn: [9.0, 16.0],
            enemy_spawn: [23.0, 16.0],
            spawn_gap: 0.05,
            spawn_order: Vec::new(),
            spawn_jitter: 0.0,
            sub_steps: 8,
            tick: 1.0 / 16.0,
            episode_limit: 180,
            sight_range: 9.0,
            shoot_range: 6.0,
            move_amount: 2.0,
            walk_to_target: true,
            cooldown_jitter: false,
            enemy_ai: EnemyAi::AttackMove,
            range_rule: RangeRule::EdgeToEdge,
            wall_kills: false,
            reward: SelfishWeights::default(),
        };
        config.reward.scale = config.smac_reward_scale().unwrap_or(1.0);
        config
    }

    /// SMAC's MMM2: 2 Marauders, 7 Marines and a Medivac against 3 Marauders, 8 Marines and a
    /// Medivac, 180 steps (types in SMAC's MMM order: Marauder, Marine, Medivac).
    pub fn mmm2() -> Self {
        let mut c = Self::with_teams(
            "mmm2",
            vec![
                UnitStats::marauder(),
                UnitStats::marine(),
                UnitStats::medivac(),
            ],
            vec![
                Squad::new("marauder", 2),
                Squad::new("marine", 7),
                Squad::new("medivac", 1),
            ],
            vec![
                Squad::new("marauder", 3),
                Squad::new("marine", 8),
                Squad::new("medivac", 1),
            ],
        );
        c.spawn_order = vec!["medivac".into(), "marine".into(), "marauder".into()];
        c
    }

    /// SMAC's MMM: 2 Marauders, 7 Marines and a Medivac on each side, 150 steps.
    pub fn mmm() -> Self {
        let mut c = Self::mmm2();
        c.name = "mmm".into();
        c.enemies = c.allies.clone();
        c.episode_limit = 150;
        c.reward.scale = c.smac_reward_scale().unwrap_or(1.0);
        c
    }

    /// SMAC's/SMAX's `3m`: 3 Marines a side, 60 steps.
    pub fn three_marines() -> Self {
        let mut c = Self::with_teams(
            "3m",
            vec![UnitStats::marine()],
            vec![Squad::new("marine", 3)],
            vec![Squad::new("marine", 3)],
        );
        c.episode_limit = 60;
        c
    }

    /// A `2s3z`-like battle in Terran units (we model neither shields nor Protoss): 2
    /// Marauders and 3 Marines a side, 120 steps, the role split of SMAC's `2s3z` (two tough
    /// ranged units, three light ones).
    pub fn two_three() -> Self {
        let mut c = Self::with_teams(
            "2s3z-like",
            vec![UnitStats::marauder(), UnitStats::marine()],
            vec![Squad::new("marauder", 2), Squad::new("marine", 3)],
            vec![Squad::new("marauder", 2), Squad::new("marine", 3)],
        );
        c.episode_limit = 120;
        c
    }

    /// SMAX's world and constants (JaxMARL `smax_env.py`): its Marine and Marauder
    /// ([`UnitStats::smax_marine`], [`UnitStats::smax_marauder`]), centre-distance ranges,
    /// deadly walls, no walking to targets, no jitter; `allies` against `enemies` Marines and
    /// Marauders (counts), 100 steps. The golden replay of SMAX runs on this.
    pub fn smax(allies: (usize, usize), enemies: (usize, usize)) -> Self {
        let squads = |(marines, marauders): (usize, usize)| {
            [("marine", marines), ("marauder", marauders)]
                .into_iter()
                .filter(|&(_, n)| n > 0)
                .map(|(u, n)| Squad::new(u, n))
                .collect::<Vec<_>>()
        };
        let mut c = Self::with_teams(
            "smax",
            vec![UnitStats::smax_marine(), UnitStats::smax_marauder()],
            squads(allies),
            squads(enemies),
        );
        c.ally_spawn = [8.0, 16.0];
        c.enemy_spawn = [24.0, 16.0];
        c.episode_limit = 100;
        c.range_rule = RangeRule::CentreStrict;
        c.wall_kills = true;
        c.walk_to_target = false;
        c
    }

    /// The preset named `name` (`mmm2`, `mmm`, `3m`, `2s3z-like`, `smax-3m`).
    pub fn preset(name: &str) -> Result<Self, EnvError> {
        match name {
            "mmm2" => Ok(Self::mmm2()),
            "mmm" => Ok(Self::mmm()),
            "3m" => Ok(Self::three_marines()),
            "2s3z-like" => Ok(Self::two_three()),
            "smax-3m" => {
                let mut c = Self::smax((3, 0), (3, 0));
                c.name = "smax-3m".into();
                c.enemy_ai = EnemyAi::Closest;
                Ok(c)
            }
            other => Err(EnvError::BadParameter(format!(
                "unknown battle `{other}` (expected mmm2, mmm, 3m, 2s3z-like or smax-3m)"
            ))),
        }
    }

    /// The names [`BattleConfig::preset`] knows.
    pub const PRESETS: [&'static str; 5] = ["mmm2", "mmm", "3m", "2s3z-like", "smax-3m"];

    /// SMAC's reward divisor `max_reward / 20`, `max_reward = Σ enemy HP + 10 · enemies + 200`
    /// (MMM2: 1205 / 20 = 60.25), so that a perfect win's team reward is 20.
    pub fn smac_reward_scale(&self) -> Result<f32, EnvError> {
        let mut max_reward = 200.0;
        for squad in &self.enemies {
            let stats = self.stats(&squad.unit)?;
            max_reward += squad.count as f32 * (stats.max_hp + 10.0);
        }
        Ok(max_reward / 20.0)
    }

    /// The stats of the type named `name`.
    pub fn stats(&self, name: &str) -> Result<&UnitStats, EnvError> {
        self.unit_types
            .iter()
            .find(|u| u.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.unit_types.iter().map(|u| u.name.as_str()).collect();
                EnvError::BadParameter(format!(
                    "unknown unit type `{name}` (this battle has {})",
                    known.join(", ")
                ))
            })
    }

    /// The type index of every unit of one side, in order.
    pub fn type_indices(&self, side: &[Squad]) -> Result<Vec<u8>, EnvError> {
        let mut out = Vec::new();
        for squad in side {
            self.stats(&squad.unit)?;
            let index = self
                .unit_types
                .iter()
                .position(|u| u.name == squad.unit)
                .expect("checked above");
            out.extend(std::iter::repeat_n(index as u8, squad.count));
        }
        Ok(out)
    }

    /// Learners.
    pub fn num_allies(&self) -> usize {
        self.allies.iter().map(|s| s.count).sum()
    }

    /// Scripted units.
    pub fn num_enemies(&self) -> usize {
        self.enemies.iter().map(|s| s.count).sum()
    }

    /// Observation, state and action sizes (SMAC's layout).
    pub fn sizes(&self) -> SmacSizes {
        SmacSizes::new(self.num_allies(), self.num_enemies(), self.unit_types.len())
    }

    /// Every number finite and in range, every squad's type known, both sides non-empty, at
    /// most 64 units a side, unique type names, a healer on no team's list of targets.
    pub fn validate(&self) -> Result<(), EnvError> {
        let bad = |msg: String| Err(EnvError::BadParameter(msg));
        if self.unit_types.is_empty() || self.unit_types.len() > 16 {
            return bad(format!(
                "a battle needs 1 to 16 unit types, got {}",
                self.unit_types.len()
            ));
        }
        for (i, u) in self.unit_types.iter().enumerate() {
            u.validate()?;
            if self.unit_types[..i].iter().any(|v| v.name == u.name) {
                return bad(format!("unit type `{}` is listed twice", u.name));
            }
        }
        for name in &self.spawn_order {
            self.stats(name)?;
        }
        for (side, squads) in [("allies", &self.allies), ("enemies", &self.enemies)] {
            for s in squads.iter() {
                self.stats(&s.unit)?;
                if s.count == 0 {
                    return bad(format!("{side}: a squad of zero `{}`", s.unit));
                }
            }
            let n: usize = squads.iter().map(|s| s.count).sum();
            if n == 0 || n > 64 {
                return bad(format!("{side}: need 1 to 64 units, got {n}"));
            }
        }
        if self.sizes().actions > 255 {
            return bad("more than 249 enemies: actions must fit a byte".into());
        }
        if self.num_allies() > 6 + self.num_enemies()
            && self
                .allies
                .iter()
                .any(|s| self.stats(&s.unit).is_ok_and(|u| u.heal.is_some()))
        {
            return bad(format!(
                "a healer's orders name allies by the enemy slots: {} allies need at least {} enemies",
                self.num_allies(),
                self.num_allies().saturating_sub(6)
            ));
        }
        let positive = [
            ("map width", self.map_size[0]),
            ("map height", self.map_size[1]),
            ("tick", self.tick),
            ("sight_range", self.sight_range),
            ("shoot_range", self.shoot_range),
            ("move_amount", self.move_amount),
        ];
        for (what, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return bad(format!("{what} must be finite and positive, got {v}"));
            }
        }
        for (what, v) in [
            ("spawn_gap", self.spawn_gap),
            ("spawn_jitter", self.spawn_jitter),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(format!("{what} must be finite and non-negative, got {v}"));
            }
        }
        for (what, p) in [
            ("ally_spawn", self.ally_spawn),
            ("enemy_spawn", self.enemy_spawn),
        ] {
            let inside =
                (0..2).all(|k| p[k].is_finite() && p[k] >= 0.0 && p[k] <= self.map_size[k]);
            if !inside {
                return bad(format!(
                    "{what} {p:?} is outside the {:?} world",
                    self.map_size
                ));
            }
        }
        if self.sub_steps == 0 || self.sub_steps > 64 {
            return bad(format!("sub_steps must be 1 to 64, got {}", self.sub_steps));
        }
        if self.episode_limit == 0 {
            return bad("episode_limit must be at least 1".into());
        }
        let w = &self.reward;
        for (what, v) in [
            ("kill", w.kill),
            ("heal", w.heal),
            ("penalty", w.penalty),
            ("death", w.death),
            ("win_share", w.win_share.unwrap_or(0.0)),
        ] {
            if !v.is_finite() {
                return bad(format!("reward weight {what} must be finite, got {v}"));
            }
        }
        if !(w.scale.is_finite() && w.scale > 0.0) {
            return bad(format!(
                "reward scale must be finite and positive, got {}",
                w.scale
            ));
        }
        Ok(())
    }

    /// Read a battle from a JSON file (missing fields take MMM2's values).
    pub fn from_json(text: &str) -> Result<Self, EnvError> {
        Self::mmm2().patched(text)
    }

    /// This battle with the fields of the JSON object `text` replaced (checked): a file that
    /// sets only `episode_limit` keeps everything else of the preset it patches.
    pub fn patched(&self, text: &str) -> Result<Self, EnvError> {
        let bad = |e: serde_json::Error| EnvError::BadParameter(format!("battle config: {e}"));
        let patch: serde_json::Value = serde_json::from_str(text).map_err(bad)?;
        let serde_json::Value::Object(fields) = patch else {
            return Err(EnvError::BadParameter(
                "battle config: expected a JSON object of fields".into(),
            ));
        };
        let mut merged = serde_json::to_value(self).expect("a battle serialises");
        let object = merged.as_object_mut().expect("a battle is an object");
        for (key, value) in fields {
            object.insert(key, value);
        }
        let config: Self = serde_json::from_value(merged).map_err(bad)?;
        config.validate()?;
        Ok(config)
    }
}
