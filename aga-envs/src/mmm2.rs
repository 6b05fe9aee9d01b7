//! Selfish-MMM2's simulator (ENVS.md, "Selfish-MMM2"): a continuous battle between learners
//! (the allies) and scripted enemies, stepped as SMAX steps (sub-steps of 1/16 s in which every
//! unit acts on the same state), with SMAC's actions, masks, observation and global state, and
//! a selfish reward per unit from a per-unit ledger.
//!
//! Units live as structure-of-arrays (allies `0..n_allies`, then the enemies); a step allocates
//! nothing.

use crate::mmm2_config::{BattleConfig, EnemyAi, RangeRule};
use crate::mmm2_metrics::BattleMetrics;
use crate::mmm2_units::{HealerState, UnitStats};
use crate::multi_agent::{ElementKind, MultiAgentEnv, ObsSpec, StepOutcome};
use crate::EnvError;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

type StdRng = rand_chacha::ChaCha12Rng;

/// No unit.
const NONE: u16 = u16::MAX;

/// SMAC's fixed actions: no-op (dead units only), stop, move north (+y), south, east (+x),
/// west; `6 + j` attacks enemy `j` (a healer: heals ally `j`).
pub mod actions {
    /// Only for dead units.
    pub const NO_OP: u8 = 0;
    /// Stand still.
    pub const STOP: u8 = 1;
    /// Move towards +y.
    pub const NORTH: u8 = 2;
    /// Move towards −y.
    pub const SOUTH: u8 = 3;
    /// Move towards +x.
    pub const EAST: u8 = 4;
    /// Move towards −x.
    pub const WEST: u8 = 5;
    /// The first attack (or heal) action.
    pub const FIRST_TARGET: u8 = 6;
}

/// How an episode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BattleEnd {
    /// The enemies were reduced to units that cannot fight (SMAC: nothing, or only Medivacs).
    Won,
    /// The allies were.
    Lost,
    /// Both at once.
    Draw,
}

/// What one unit is doing during a sub-step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    Stand,
    Move(f32, f32),
    Target(u16),
}

/// What one step did to every unit, summed over its sub-steps (hit points and kills).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepLedger {
    /// Damage dealt (a shooter's share of what its target lost).
    pub dealt: Vec<f32>,
    /// Kills (shared equally by a target's killers).
    pub kills: Vec<f32>,
    /// Hit points healed.
    pub healed: Vec<f32>,
    /// Damage taken.
    pub taken: Vec<f32>,
    /// Died in this step.
    pub died: Vec<bool>,
}

impl StepLedger {
    fn new(n: usize) -> Self {
        Self {
            dealt: vec![0.0; n],
            kills: vec![0.0; n],
            healed: vec![0.0; n],
            taken: vec![0.0; n],
            died: vec![false; n],
        }
    }

    fn clear(&mut self) {
        self.dealt.fill(0.0);
        self.kills.fill(0.0);
        self.healed.fill(0.0);
        self.taken.fill(0.0);
        self.died.fill(false);
    }
}

/// Every unit's constants, copied out of its type for the hot loops.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnitTable {
    radius: Vec<f32>,
    /// Weapon (or heal) range.
    range: Vec<f32>,
    air: Vec<bool>,
    healer: Vec<bool>,
    /// Has a weapon (a side of units without one has lost).
    fighter: Vec<bool>,
    /// Whether a healer may heal it: on the ground and not a healer.
    healable: Vec<bool>,
    /// Type-by-type: a unit of type `a` can hurt one of type `b`.
    hits: Vec<bool>,
    /// The largest radius (SMAClite's `max_unit_radius`).
    max_radius: f32,
}

impl UnitTable {
    fn new(types: &[UnitStats], kind: &[u8]) -> Self {
        let of = |u: &u8| &types[*u as usize];
        let k = types.len();
        Self {
            radius: kind.iter().map(|u| of(u).radius()).collect(),
            range: kind
                .iter()
                .map(|u| of(u).heal.as_ref().map_or(of(u).range, |h| h.range))
                .collect(),
            air: kind.iter().map(|u| of(u).air).collect(),
            healer: kind.iter().map(|u| of(u).heal.is_some()).collect(),
            fighter: kind.iter().map(|u| of(u).damage > 0.0).collect(),
            healable: kind
                .iter()
                .map(|u| of(u).heal.is_none() && !of(u).air)
                .collect(),
            hits: (0..k * k)
                .map(|ab| types[ab / k].can_attack(&types[ab % k]))
                .collect(),
            max_radius: types.iter().map(UnitStats::radius).fold(0.0, f32::max),
        }
    }
}

/// A battle (MMM2 by default) as a [`MultiAgentEnv`]: the allies are the agents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mmm2 {
    config: BattleConfig,
    allies: usize,
    /// Every unit's type index.
    kind: Vec<u8>,
    /// Every unit's constants.
    table: UnitTable,
    /// Damage of one attack by type `a` on type `b` before capping, `types × types` (0: cannot).
    damage: Vec<f32>,
    x: Vec<f32>,
    y: Vec<f32>,
    hp: Vec<f32>,
    cooldown: Vec<f32>,
    healer: Vec<HealerState>,
    /// A healer's target of the last sub-step (a different one is a new target).
    heal_target: Vec<u16>,
    /// An enemy's current target (attack-move keeps it while it is valid).
    ai_target: Vec<u16>,
    /// The allies' actions of the current (or last) step.
    actions: Vec<u8>,
    /// The enemies' actions under [`EnemyAi::External`] (the allies' layout).
    enemy_actions: Vec<u8>,
    /// The unit each ally's action attacks (none for other actions and healers).
    ally_target: Vec<u16>,
    t: usize,
    end: Option<BattleEnd>,
    rng: StdRng,
    ledger: StepLedger,
    metrics: BattleMetrics,
    /// The order units decide in within a sub-step.
    decide_order: Vec<u16>,
    /// What each unit last fired at (healed) during the current step.
    step_shot: Vec<u16>,
    step_heal: Vec<u16>,
    // Scratch, sized once.
    orders: Vec<(f32, f32, u16)>,
    fire: Vec<u16>,
    heal: Vec<u16>,
    total: Vec<f32>,
    hurt_by: Vec<u16>,
    push: Vec<(f32, f32)>,
}

impl Mmm2 {
    /// The battle of `config` (checked), reset with seed 0.
    pub fn new(config: BattleConfig) -> Result<Self, EnvError> {
        config.validate()?;
        let allies = config.num_allies();
        let mut kind = config.type_indices(&config.allies)?;
        kind.extend(config.type_indices(&config.enemies)?);
        let n = kind.len();
        let types = &config.unit_types;
        let k = types.len();
        let mut damage = vec![0.0; k * k];
        for (a, sa) in types.iter().enumerate() {
            for (b, sb) in types.iter().enumerate() {
                damage[a * k + b] = sa.damage_to(sb, f32::INFINITY);
            }
        }
        let healer = kind
            .iter()
            .map(|&t| {
                types[t as usize].heal.as_ref().map_or(
                    HealerState {
                        energy: 0.0,
                        healing_available: 0.0,
                    },
                    HealerState::new,
                )
            })
            .collect();
        let healer_first = |u: &usize| types[kind[*u] as usize].heal.is_none();
        let mut decide_order: Vec<u16> = (0..allies as u16).collect();
        let mut enemies: Vec<usize> = (allies..n).collect();
        enemies.sort_by_key(healer_first);
        decide_order.extend(enemies.into_iter().map(|u| u as u16));
        let table = UnitTable::new(&config.unit_types, &kind);
        let mut env = Self {
            table,
            decide_order,
            step_shot: vec![NONE; n],
            step_heal: vec![NONE; n],
            allies,
            damage,
            x: vec![0.0; n],
            y: vec![0.0; n],
            hp: vec![0.0; n],
            cooldown: vec![0.0; n],
            healer,
            heal_target: vec![NONE; n],
            ai_target: vec![NONE; n],
            actions: vec![actions::STOP; allies],
            enemy_actions: vec![actions::STOP; n - allies],
            ally_target: vec![NONE; allies],
            t: 0,
            end: None,
            rng: StdRng::seed_from_u64(0),
            ledger: StepLedger::new(n),
            metrics: BattleMetrics::empty(allies),
            orders: vec![(0.0, 0.0, NONE); n],
            fire: vec![NONE; n],
            heal: vec![NONE; n],
            total: vec![0.0; n],
            hurt_by: vec![0; n],
            push: vec![(0.0, 0.0); n],
            kind,
            config,
        };
        env.reset(0);
        Ok(env)
    }

    /// The battle's configuration.
    pub fn config(&self) -> &BattleConfig {
        &self.config
    }

    /// Learners.
    pub fn num_allies(&self) -> usize {
        self.allies
    }

    /// Every unit (allies, then enemies).
    pub fn num_units(&self) -> usize {
        self.kind.len()
    }

    /// Unit `u`'s type.
    pub fn stats(&self, u: usize) -> &UnitStats {
        &self.config.unit_types[self.kind[u] as usize]
    }

    /// Unit `u`'s type index.
    pub fn kind(&self, u: usize) -> usize {
        self.kind[u] as usize
    }

    /// Unit `u`'s position.
    pub fn position(&self, u: usize) -> [f32; 2] {
        [self.x[u], self.y[u]]
    }

    /// Unit `u`'s hit points (0: dead).
    pub fn hp(&self, u: usize) -> f32 {
        self.hp[u]
    }

    /// Unit `u`'s weapon cooldown left, in seconds.
    pub fn cooldown(&self, u: usize) -> f32 {
        self.cooldown[u]
    }

    /// Unit `u`'s energy (healers; 0 for others).
    pub fn energy(&self, u: usize) -> f32 {
        self.healer[u].energy
    }

    /// Whether unit `u` is alive.
    pub fn alive(&self, u: usize) -> bool {
        self.hp[u] > 0.0
    }

    /// Steps played in this episode.
    pub fn steps(&self) -> usize {
        self.t
    }

    /// How the episode ended, if it has.
    pub fn end(&self) -> Option<BattleEnd> {
        self.end
    }

    /// What the last step did to every unit.
    pub fn last_ledger(&self) -> &StepLedger {
        &self.ledger
    }

    /// The target a healer healed in the last sub-step, if any.
    pub fn heal_target(&self, u: usize) -> Option<usize> {
        (self.heal_target[u] != NONE).then_some(self.heal_target[u] as usize)
    }

    /// The unit `u` fired at in the last sub-step, if any.
    pub fn last_shot(&self, u: usize) -> Option<usize> {
        (self.fire[u] != NONE).then_some(self.fire[u] as usize)
    }

    /// The unit `u` last fired at during the last step, if any.
    pub fn shot_in_step(&self, u: usize) -> Option<usize> {
        (self.step_shot[u] != NONE).then_some(self.step_shot[u] as usize)
    }

    /// The unit healer `u` last healed during the last step, if any.
    pub fn healed_in_step(&self, u: usize) -> Option<usize> {
        (self.step_heal[u] != NONE).then_some(self.step_heal[u] as usize)
    }

    /// The allies' actions of the last step.
    pub fn last_actions(&self) -> &[u8] {
        &self.actions
    }

    /// Place unit `u` (for tests and replays from a reference's positions); clamped to the
    /// world.
    pub fn set_position(&mut self, u: usize, p: [f32; 2]) {
        self.x[u] = p[0].clamp(0.0, self.config.map_size[0]);
        self.y[u] = p[1].clamp(0.0, self.config.map_size[1]);
    }

    /// Set unit `u`'s hit points (clamped to `[0, max]`; for tests and replays).
    pub fn set_hp(&mut self, u: usize, hp: f32) {
        self.hp[u] = hp.clamp(0.0, self.stats(u).max_hp);
    }

    /// Set a healer's energy (for tests).
    pub fn set_energy(&mut self, u: usize, energy: f32) {
        self.healer[u].energy = energy;
    }

    /// Set unit `u`'s weapon cooldown (for replays).
    pub fn set_cooldown(&mut self, u: usize, cooldown: f32) {
        self.cooldown[u] = cooldown;
    }

    /// Set the allies' current orders without stepping (what the enemies' script sees as
    /// "attacking me"; for tests of the script).
    pub fn set_ally_actions(&mut self, actions: &[u8]) {
        self.actions.copy_from_slice(&actions[..self.allies]);
        self.refresh_ally_targets();
    }

    fn refresh_ally_targets(&mut self) {
        for v in 0..self.allies {
            let a = self.actions[v];
            self.ally_target[v] = match a >= actions::FIRST_TARGET && !self.table.healer[v] {
                true => self
                    .slot_target(v, (a - actions::FIRST_TARGET) as usize)
                    .map_or(NONE, |t| t as u16),
                false => NONE,
            };
        }
    }

    /// Set the enemies' actions for the next step under [`EnemyAi::External`] (the allies'
    /// layout: `6 + j` attacks ally `j`, or heals enemy `j` for a healer).
    pub fn set_enemy_actions(&mut self, actions: &[u8]) {
        let n = self.enemy_actions.len();
        self.enemy_actions.copy_from_slice(&actions[..n]);
    }

    /// Set enemy `u`'s remembered target (the attack-move script's target of the last tick).
    pub fn set_ai_target(&mut self, u: usize, target: Option<usize>) {
        self.ai_target[u] = target.map_or(NONE, |t| t as u16);
    }

    fn is_ally(&self, u: usize) -> bool {
        u < self.allies
    }

    /// The first unit and one past the last of the side opposing `u`.
    fn foes(&self, u: usize) -> std::ops::Range<usize> {
        if self.is_ally(u) {
            self.allies..self.kind.len()
        } else {
            0..self.allies
        }
    }

    /// The first unit and one past the last of `u`'s own side.
    fn friends(&self, u: usize) -> std::ops::Range<usize> {
        if self.is_ally(u) {
            0..self.allies
        } else {
            self.allies..self.kind.len()
        }
    }

    fn type_of(&self, u: usize) -> &UnitStats {
        &self.config.unit_types[self.kind[u] as usize]
    }

    #[inline]
    fn dist2(&self, a: usize, b: usize) -> f32 {
        let (dx, dy) = (self.x[b] - self.x[a], self.y[b] - self.y[a]);
        dx * dx + dy * dy
    }

    /// Whether `u` may fire at (or, a healer, heal) `t` at all, at any distance.
    #[inline]
    pub fn may_target(&self, u: usize, t: usize) -> bool {
        if self.hp[t] <= 0.0 {
            return false;
        }
        let same_side = (u < self.allies) == (t < self.allies);
        if self.table.healer[u] {
            t != u && same_side && self.table.healable[t]
        } else {
            !same_side
                && self.table.hits
                    [self.kind[u] as usize * self.config.unit_types.len() + self.kind[t] as usize]
        }
    }

    /// Whether `t` is within `u`'s weapon (or heal) range, edge to edge.
    #[inline]
    fn reaches(&self, u: usize, t: usize) -> bool {
        let d2 = self.dist2(u, t);
        match self.config.range_rule {
            RangeRule::EdgeToEdge => {
                let r = self.table.range[u] + self.table.radius[u] + self.table.radius[t];
                d2 <= r * r
            }
            RangeRule::CentreStrict => d2 < self.table.range[u] * self.table.range[u],
        }
    }

    /// The unit ally `agent`'s action slot `6 + j` names: enemy `j`, or for a healer ally `j`.
    pub fn slot_target(&self, agent: usize, j: usize) -> Option<usize> {
        if self.type_of(agent).heal.is_some() {
            (j < self.allies).then_some(j)
        } else {
            (j < self.kind.len() - self.allies).then_some(self.allies + j)
        }
    }

    /// Whether ally `agent` may take `action` now (SMAC's `get_avail_agent_actions`).
    pub fn available(&self, agent: usize, action: u8) -> bool {
        if self.hp[agent] <= 0.0 {
            return action == actions::NO_OP;
        }
        let m = self.config.move_amount;
        let [w, h] = self.config.map_size;
        let (x, y) = (self.x[agent], self.y[agent]);
        match action {
            actions::NO_OP => false,
            actions::STOP => true,
            actions::NORTH => y + m < h,
            actions::SOUTH => y - m >= 0.0,
            actions::EAST => x + m < w,
            actions::WEST => x - m >= 0.0,
            a => match self.slot_target(agent, (a - actions::FIRST_TARGET) as usize) {
                Some(t) => {
                    let r = self.config.shoot_range;
                    self.may_target(agent, t)
                        && match self.config.range_rule {
                            // SMAC: any target within the shoot range (an order beyond the
                            // weapon's reach walks, if walking is on).
                            RangeRule::EdgeToEdge => self.dist2(agent, t) <= r * r,
                            // SMAX: only targets the weapon reaches.
                            RangeRule::CentreStrict => self.reaches(agent, t),
                        }
                }
                None => false,
            },
        }
    }

    /// Lay out each side as SMAClite's `__place_group`: the units (in spawn order) in rows of
    /// `⌈√n⌉`, each touching its neighbour but for the gap, rows as tall as their largest unit,
    /// the group centred on its spawn point; the enemies' layout runs the other way (`m = −1`).
    fn reset_units(&mut self) {
        let n = self.kind.len();
        for (side, centre, m) in [
            (0..self.allies, self.config.ally_spawn, 1.0f32),
            (self.allies..n, self.config.enemy_spawn, -1.0),
        ] {
            let c = &self.config;
            let rank = |u: &usize| {
                let name = &c.unit_types[self.kind[*u] as usize].name;
                c.spawn_order
                    .iter()
                    .position(|s| s == name)
                    .unwrap_or(c.spawn_order.len())
            };
            let mut order: Vec<usize> = side.collect();
            order.sort_by_key(rank);
            let count = order.len();
            let cols = (count as f32).sqrt().ceil() as usize;
            let radius = |u: usize| c.unit_types[self.kind[u] as usize].radius();
            let rows: Vec<&[usize]> = order.chunks(cols).collect();
            let row_r: Vec<f32> = rows
                .iter()
                .map(|r| r.iter().map(|&u| radius(u)).fold(0.0, f32::max))
                .collect();
            let width = rows
                .iter()
                .map(|r| r.iter().map(|&u| 2.0 * radius(u)).sum::<f32>())
                .fold(0.0, f32::max);
            let height =
                2.0 * row_r.iter().sum::<f32>() + (cols.saturating_sub(1)) as f32 * c.spawn_gap;
            let x0 = centre[0] - m * width / 2.0;
            let mut y = centre[1] - m * height / 2.0;
            let mut prev_row = 0.0;
            for (row, &rr) in rows.iter().zip(&row_r) {
                y += m * (prev_row + rr);
                let mut x = x0;
                let mut prev = 0.0;
                for &u in row.iter() {
                    x += m * (prev + radius(u));
                    self.x[u] = x;
                    self.y[u] = y;
                    x += m * c.spawn_gap;
                    prev = radius(u);
                }
                y += m * c.spawn_gap;
                prev_row = rr;
            }
            if c.spawn_jitter > 0.0 {
                let j = c.spawn_jitter;
                for &u in &order {
                    self.x[u] += self.rng.gen_range(-j..=j);
                    self.y[u] += self.rng.gen_range(-j..=j);
                }
            }
        }
        let [w, h] = self.config.map_size;
        for u in 0..n {
            self.x[u] = self.x[u].clamp(0.0, w);
            self.y[u] = self.y[u].clamp(0.0, h);
        }
        for u in 0..self.kind.len() {
            let s = &self.config.unit_types[self.kind[u] as usize];
            self.hp[u] = s.max_hp;
            self.cooldown[u] = 0.0;
            self.healer[u] = s.heal.as_ref().map_or(
                HealerState {
                    energy: 0.0,
                    healing_available: 0.0,
                },
                HealerState::new,
            );
        }
    }

    /// A side is beaten when none of its alive units can fight (SMAC: all dead, or only the
    /// Medivac left).
    fn beaten(&self, side: std::ops::Range<usize>) -> bool {
        side.into_iter()
            .all(|u| self.hp[u] <= 0.0 || !self.table.fighter[u])
    }

    /// The order of ally `u` from its action.
    fn ally_order(&self, u: usize) -> Order {
        let action = self.actions[u];
        match action {
            actions::NO_OP | actions::STOP => Order::Stand,
            actions::NORTH => Order::Move(0.0, 1.0),
            actions::SOUTH => Order::Move(0.0, -1.0),
            actions::EAST => Order::Move(1.0, 0.0),
            actions::WEST => Order::Move(-1.0, 0.0),
            a => match self.slot_target(u, (a - actions::FIRST_TARGET) as usize) {
                Some(t) if self.may_target(u, t) => Order::Target(t as u16),
                _ => Order::Stand,
            },
        }
    }

    /// The nearest unit of `candidates` that `u` may target within `range` (centre distance),
    /// ties to the lower index.
    fn nearest(&self, u: usize, candidates: std::ops::Range<usize>, range: f32) -> u16 {
        let mut best = (range * range, NONE);
        for t in candidates {
            if self.may_target(u, t) {
                let d = self.dist2(u, t);
                if d <= best.0 && (best.1 == NONE || d < best.0) {
                    best = (d, t as u16);
                }
            }
        }
        best.1
    }

    /// Whether `v` is attacking `u` now (an ally's attack order, an enemy's script's target).
    #[inline]
    fn attacks(&self, v: usize, u: usize) -> bool {
        if self.hp[v] <= 0.0 || self.table.healer[v] {
            return false;
        }
        if v < self.allies {
            self.ally_target[v] as usize == u
        } else {
            self.ai_target[v] as usize == u
        }
    }

    /// SMAClite's `__pick_target_damage` for `u`: among the foes it can hit that are within the
    /// scan range `5 + their radius` (centre distance, strict) or attacking it, the first by
    /// (healers first, distance); attackers beyond the scan query (`5 + max radius`) count as
    /// infinitely far (`retaliate`: they are candidates at all). Ties to the lower index.
    fn pick_damage(&self, u: usize, retaliate: bool) -> u16 {
        // Squared distances throughout (the comparisons are the same).
        const SCAN: f32 = 5.0;
        let query = SCAN + self.table.max_radius;
        let query2 = query * query;
        let mut best = ((2u8, f32::INFINITY), NONE);
        for v in self.foes(u) {
            if !self.may_target(u, v) {
                continue;
            }
            let d2 = self.dist2(u, v);
            let scan = SCAN + self.table.radius[v];
            let attacking = self.attacks(v, u);
            let listed = d2 <= query2 || (retaliate && attacking);
            if !listed || !(d2 < scan * scan || attacking) {
                continue;
            }
            let key = (
                u8::from(!self.table.healer[v]),
                if d2 <= query2 { d2 } else { 4.0e18 },
            );
            if key < best.0 {
                best = (key, v as u16);
            }
        }
        best.1
    }

    /// SMAClite's `__pick_target_healing` for healer `u`: the friend on the ground with the
    /// fewest hit points (absolute) within `5 + its radius` (strict) that is hurt or engaged
    /// (has a target). Ties to the lower index.
    fn pick_heal(&self, u: usize) -> u16 {
        let mut best = (f32::INFINITY, NONE);
        for v in self.friends(u) {
            if !self.may_target(u, v) {
                continue;
            }
            let d = self.dist2(u, v).sqrt();
            let engaged = v >= self.allies && self.ai_target[v] != NONE;
            if d < 5.0 + self.type_of(v).radius()
                && (self.hp[v] < self.type_of(v).max_hp || engaged)
                && self.hp[v] < best.0
            {
                best = (self.hp[v], v as u16);
            }
        }
        best.1
    }

    /// SMAClite's attack-move for enemy `u` this tick (`AttackMoveCommand`): drop a dead target,
    /// or one out of reach that is not attacking `u`; with no target, pick one; keeping a
    /// target that is not a healer while the allies' healer lives, switch to a new pick if
    /// there is one (healers first). Returns the target, also kept for the next tick.
    pub fn attack_move_target(&mut self, u: usize) -> Option<usize> {
        let healer = self.type_of(u).heal.is_some();
        let mut t = self.ai_target[u];
        if t != NONE {
            let ti = t as usize;
            let keep = self.may_target(u, ti) && (self.attacks(ti, u) || self.reaches(u, ti));
            if !keep {
                t = NONE;
            }
        }
        if t == NONE {
            t = if healer {
                self.pick_heal(u)
            } else {
                self.pick_damage(u, true)
            };
        } else if !healer
            && self.type_of(t as usize).heal.is_none()
            && self
                .foes(u)
                .any(|v| self.hp[v] > 0.0 && self.type_of(v).heal.is_some())
        {
            let p = self.pick_damage(u, false);
            if p != NONE {
                t = p;
            }
        }
        self.ai_target[u] = t;
        (t != NONE).then_some(t as usize)
    }

    /// The scripted order of enemy `u` (ENVS.md, "Enemy AI").
    fn enemy_order(&mut self, u: usize) -> Order {
        let stats = self.type_of(u);
        let healer = stats.heal.is_some();
        let r = stats.radius();
        let spawn = self.config.ally_spawn;
        let towards_spawn = |s: &Self| {
            let (dx, dy) = (spawn[0] - s.x[u], spawn[1] - s.y[u]);
            let d = (dx * dx + dy * dy).sqrt();
            if d > 1e-6 {
                Order::Move(dx / d, dy / d)
            } else {
                Order::Stand
            }
        };
        match self.config.enemy_ai {
            EnemyAi::External => {
                let a = self.enemy_actions[u - self.allies];
                match a {
                    actions::NO_OP | actions::STOP => Order::Stand,
                    actions::NORTH => Order::Move(0.0, 1.0),
                    actions::SOUTH => Order::Move(0.0, -1.0),
                    actions::EAST => Order::Move(1.0, 0.0),
                    actions::WEST => Order::Move(-1.0, 0.0),
                    a => {
                        let j = (a - actions::FIRST_TARGET) as usize;
                        let t = if healer { self.allies + j } else { j };
                        if t < self.kind.len() && self.may_target(u, t) {
                            Order::Target(t as u16)
                        } else {
                            Order::Stand
                        }
                    }
                }
            }
            EnemyAi::Passive => {
                let reach = stats.heal.as_ref().map_or(stats.range, |h| h.range) + r + 2.0;
                let t = if healer {
                    self.pick_heal(u)
                } else {
                    self.nearest(u, 0..self.allies, reach)
                };
                if t != NONE && self.reaches(u, t as usize) {
                    Order::Target(t)
                } else {
                    Order::Stand
                }
            }
            EnemyAi::AttackMove => match self.attack_move_target(u) {
                Some(t) => Order::Target(t as u16),
                None => towards_spawn(self),
            },
            EnemyAi::Closest => {
                // SMAX's heuristic: the closest foe in reach; else walk towards the closest
                // visible one; else towards the allies' spawn.
                let sight = self.config.sight_range;
                let t = if healer {
                    self.most_hurt(u, sight)
                } else {
                    self.nearest(u, 0..self.allies, sight)
                };
                if t == NONE {
                    towards_spawn(self)
                } else if self.reaches(u, t as usize) || self.config.walk_to_target {
                    Order::Target(t)
                } else {
                    let (dx, dy) = (
                        self.x[t as usize] - self.x[u],
                        self.y[t as usize] - self.y[u],
                    );
                    let d = (dx * dx + dy * dy).sqrt().max(1e-6);
                    Order::Move(dx / d, dy / d)
                }
            }
        }
    }

    /// The damaged friend of healer `u` with the smallest fraction of its hit points within
    /// `range` (centre distance), ties to the lower index.
    fn most_hurt(&self, u: usize, range: f32) -> u16 {
        let mut best = (f32::INFINITY, NONE);
        for t in self.friends(u) {
            let frac = self.hp[t] / self.type_of(t).max_hp;
            if self.may_target(u, t)
                && frac < 1.0
                && self.dist2(u, t) <= range * range
                && frac < best.0
            {
                best = (frac, t as u16);
            }
        }
        best.1
    }

    /// One sub-step: every unit decides on the same state; moves; simultaneous hits, deaths;
    /// heals; cooldowns; the push of overlapping units in a plane.
    fn sub_step(&mut self) {
        let n = self.kind.len();
        let tick = self.config.tick;
        let walk = self.config.walk_to_target;
        // Decide: the allies, then the enemies' healers (SMAClite's Medivac is the first enemy,
        // so it picks before the others re-target), then the other enemies.
        for k in 0..n {
            let u = self.decide_order[k] as usize;
            self.fire[u] = NONE;
            self.heal[u] = NONE;
            self.orders[u] = (0.0, 0.0, NONE);
            if self.hp[u] <= 0.0 {
                continue;
            }
            let order = if u < self.allies {
                self.ally_order(u)
            } else {
                self.enemy_order(u)
            };
            let speed = self.type_of(u).speed * tick;
            match order {
                Order::Stand => {}
                Order::Move(dx, dy) => self.orders[u] = (dx * speed, dy * speed, NONE),
                Order::Target(t) => {
                    let t = t as usize;
                    if self.reaches(u, t) {
                        if self.type_of(u).heal.is_some() {
                            self.heal[u] = t as u16;
                        } else if self.cooldown[u] <= 0.0 {
                            self.fire[u] = t as u16;
                        }
                    } else if walk {
                        let (dx, dy) = (self.x[t] - self.x[u], self.y[t] - self.y[u]);
                        let d = (dx * dx + dy * dy).sqrt();
                        if d > 1e-6 {
                            self.orders[u] = (dx / d * speed, dy / d * speed, NONE);
                        }
                    }
                }
            }
        }
        // Move (walls clamp).
        let [w, h] = self.config.map_size;
        for u in 0..n {
            let (dx, dy, _) = self.orders[u];
            if dx != 0.0 || dy != 0.0 {
                self.x[u] = (self.x[u] + dx).clamp(0.0, w);
                self.y[u] = (self.y[u] + dy).clamp(0.0, h);
            }
        }
        // Hit, simultaneously: each target loses min(Σ damage, hp), shared by damage. A unit
        // that fires has its cooldown reset (SMAX: `c + ((base + jitter) − c)` in f32); every
        // other unit's falls by one tick, without a floor (SMAX's `update_agent_health`).
        let k = self.config.unit_types.len();
        self.total.fill(0.0);
        self.hurt_by.fill(0);
        for u in 0..n {
            let t = self.fire[u];
            let c = self.cooldown[u];
            if t != NONE {
                let t = t as usize;
                self.total[t] += self.damage[self.kind[u] as usize * k + self.kind[t] as usize];
                self.hurt_by[t] += 1;
                self.step_shot[u] = t as u16;
                let mut base = self.type_of(u).cooldown;
                if self.config.cooldown_jitter {
                    base += self.rng.gen_range(-tick..2.0 * tick);
                }
                self.cooldown[u] = c + (base - c);
            } else {
                self.cooldown[u] = c - tick;
            }
        }
        for u in 0..n {
            let t = self.fire[u];
            if t == NONE {
                continue;
            }
            let t = t as usize;
            let d = self.damage[self.kind[u] as usize * k + self.kind[t] as usize];
            let lost = self.total[t].min(self.hp[t]);
            self.ledger.dealt[u] += lost * d / self.total[t];
        }
        for t in 0..n {
            if self.total[t] <= 0.0 {
                continue;
            }
            let lost = self.total[t].min(self.hp[t]);
            self.ledger.taken[t] += lost;
            self.hp[t] -= lost;
            if self.hp[t] <= 0.0 {
                self.hp[t] = 0.0;
                self.ledger.died[t] = true;
                let share = 1.0 / self.hurt_by[t] as f32;
                for u in 0..n {
                    if self.fire[u] as usize == t {
                        self.ledger.kills[u] += share;
                    }
                }
            }
        }
        // Heal (energy first, as SMAClite's game_step); a healer that drops its target (full
        // HP, or a new one it lacks the energy for) has none for the next tick.
        for u in 0..n {
            let Some(stats) = self.type_of(u).heal.clone() else {
                continue;
            };
            if self.hp[u] <= 0.0 {
                continue;
            }
            self.healer[u].regenerate(&stats, tick);
            let t = self.heal[u];
            if t == NONE || self.hp[t as usize] <= 0.0 {
                self.heal_target[u] = NONE;
                continue;
            }
            let ti = t as usize;
            let max_hp = self.type_of(ti).max_hp;
            let done =
                self.healer[u].heal(&stats, self.heal_target[u] != t, self.hp[ti], max_hp, tick);
            self.hp[ti] += done.healed;
            self.ledger.healed[u] += done.healed;
            if done.healed > 0.0 {
                self.step_heal[u] = t;
            }
            self.heal_target[u] = if done.keep_target { t } else { NONE };
            if !done.keep_target && u >= self.allies {
                self.ai_target[u] = NONE;
            }
        }
        // Walls: deadly (SMAX: any coordinate ≤ 0 or ≥ the size) or clamping (moves were).
        if self.config.wall_kills {
            let [w, h] = self.config.map_size;
            for u in 0..n {
                let (x, y) = (self.x[u], self.y[u]);
                if self.hp[u] > 0.0 && (x <= 0.0 || y <= 0.0 || x >= w || y >= h) {
                    self.ledger.taken[u] += self.hp[u];
                    self.ledger.died[u] = true;
                    self.hp[u] = 0.0;
                }
            }
        }
        self.push_apart();
    }

    /// Overlapping alive units of the same plane move apart: SMAX's `_push_units_away` with
    /// firmness 1, all pairs from the same positions (`pᵢ += Σⱼ Δᵢⱼ · relu((rᵢ + rⱼ) / (‖Δᵢⱼ‖ +
    /// 10⁻⁶) − 1) / 2`: a lone overlapping pair ends just touching), then walls clamp unless
    /// they kill (SMAX does not clamp after its push).
    fn push_apart(&mut self) {
        let n = self.kind.len();
        let (x, y, hp) = (&self.x[..n], &self.y[..n], &self.hp[..n]);
        let (radius, air) = (&self.table.radius[..n], &self.table.air[..n]);
        let push = &mut self.push[..n];
        push.fill((0.0, 0.0));
        let mut any = false;
        // Each pair once: the term of (b, a) is exactly minus that of (a, b), and visiting pairs
        // in order adds every unit's terms in the order of the other index, as SMAX sums them.
        for a in 0..n {
            if hp[a] <= 0.0 {
                continue;
            }
            let (ra, air_a, xa, ya) = (radius[a], air[a], x[a], y[a]);
            for b in a + 1..n {
                if hp[b] <= 0.0 || air[b] != air_a {
                    continue;
                }
                let (dx, dy) = (xa - x[b], ya - y[b]);
                let d2 = dx * dx + dy * dy;
                let reach = ra + radius[b];
                // Apart (d ≥ r, so r / (d + 10⁻⁶) − 1 < 0): the term is exactly zero.
                if d2 >= reach * reach {
                    continue;
                }
                let dist = d2.sqrt() + 1e-6;
                let overlap = (reach / dist - 1.0).max(0.0);
                let (tx, ty) = (dx * overlap, dy * overlap);
                push[a].0 += tx;
                push[a].1 += ty;
                push[b].0 += -tx;
                push[b].1 += -ty;
                any = true;
            }
        }
        if !any {
            return;
        }
        let [w, h] = self.config.map_size;
        let clamp = !self.config.wall_kills;
        for u in 0..n {
            let (px, py) = (self.push[u].0 / 2.0, self.push[u].1 / 2.0);
            if px != 0.0 || py != 0.0 {
                self.x[u] += px;
                self.y[u] += py;
                if clamp {
                    self.x[u] = self.x[u].clamp(0.0, w);
                    self.y[u] = self.y[u].clamp(0.0, h);
                }
            }
        }
    }

    /// Write the allies' available actions of the current state, `allies × actions` flags.
    pub fn write_masks(&self, out: &mut [bool]) {
        let a = self.config.sizes().actions;
        for (agent, row) in out.chunks_exact_mut(a).enumerate().take(self.allies) {
            for (action, flag) in row.iter_mut().enumerate() {
                *flag = self.available(agent, action as u8);
            }
        }
    }

    fn write_obs(&self, agent: usize, out: &mut [f32]) {
        out.fill(0.0);
        if self.hp[agent] <= 0.0 {
            return;
        }
        let k = self.config.unit_types.len();
        let sight = self.config.sight_range;
        for (i, action) in [actions::NORTH, actions::SOUTH, actions::EAST, actions::WEST]
            .into_iter()
            .enumerate()
        {
            out[i] = f32::from(u8::from(self.available(agent, action)));
        }
        let block = 5 + k;
        let mut at = 4;
        let (x, y) = (self.x[agent], self.y[agent]);
        let unit_features = |out: &mut [f32], at: usize, u: usize, first: f32| {
            let (dx, dy) = (self.x[u] - x, self.y[u] - y);
            let d = (dx * dx + dy * dy).sqrt();
            if self.hp[u] > 0.0 && d < sight {
                out[at] = first;
                out[at + 1] = d / sight;
                out[at + 2] = dx / sight;
                out[at + 3] = dy / sight;
                out[at + 4] = self.hp[u] / self.type_of(u).max_hp;
                out[at + 5 + self.kind[u] as usize] = 1.0;
            }
        };
        for j in 0..self.kind.len() - self.allies {
            let flag = f32::from(u8::from(
                self.available(agent, actions::FIRST_TARGET + j as u8),
            ));
            unit_features(out, at, self.allies + j, flag);
            at += block;
        }
        for u in (0..self.allies).filter(|&u| u != agent) {
            unit_features(out, at, u, 1.0);
            at += block;
        }
        out[at] = self.hp[agent] / self.type_of(agent).max_hp;
        out[at + 1 + self.kind[agent] as usize] = 1.0;
    }

    /// The global state (SMAC's `get_state`): per ally `[hp, energy or cooldown, x, y,
    /// types…]`, per enemy `[hp, x, y, types…]` (positions relative to the centre, divided by
    /// the world's size; zeros for the dead), then every ally's last action one-hot.
    pub fn write_state(&self, out: &mut [f32]) {
        out.fill(0.0);
        let k = self.config.unit_types.len();
        let [w, h] = self.config.map_size;
        let mut at = 0;
        for u in 0..self.kind.len() {
            let ally = u < self.allies;
            let width = if ally { 4 + k } else { 3 + k };
            if self.hp[u] > 0.0 {
                let s = self.type_of(u);
                out[at] = self.hp[u] / s.max_hp;
                let mut f = at + 1;
                if ally {
                    out[f] = match &s.heal {
                        Some(heal) => self.healer[u].energy / heal.energy_max,
                        None if s.cooldown > 0.0 => self.cooldown[u].max(0.0) / s.cooldown,
                        None => 0.0,
                    };
                    f += 1;
                }
                out[f] = (self.x[u] - w / 2.0) / w;
                out[f + 1] = (self.y[u] - h / 2.0) / h;
                out[f + 2 + self.kind[u] as usize] = 1.0;
            }
            at += width;
        }
        let a = self.config.sizes().actions;
        for (agent, &action) in self.actions.iter().enumerate() {
            if self.t > 0 {
                out[at + agent * a + action as usize] = 1.0;
            }
        }
    }

    /// The allies' actions the enemies' script would take in their place (the `heuristic`
    /// policy): attack (heal) what the attack-move AI would, from the available actions, else
    /// move towards the enemies' spawn along the larger axis.
    pub fn heuristic_actions(&self, out: &mut [u8]) {
        let target = self.config.enemy_spawn;
        for (agent, slot) in out.iter_mut().enumerate().take(self.allies) {
            if self.hp[agent] <= 0.0 {
                *slot = actions::NO_OP;
                continue;
            }
            let stats = self.type_of(agent);
            // The attack-move's pick (healers first, then the nearest in scan range; a healer:
            // the most hurt friend in reach), else the nearest foe it can attack.
            let t = if stats.heal.is_some() {
                self.pick_heal(agent)
            } else {
                match self.pick_damage(agent, true) {
                    NONE => self.nearest(agent, self.foes(agent), f32::INFINITY),
                    t => t,
                }
            };
            let attack = |t: u16| {
                let j = if stats.heal.is_some() {
                    t as usize
                } else {
                    t as usize - self.allies
                };
                actions::FIRST_TARGET + j as u8
            };
            let action = if t != NONE && self.available(agent, attack(t)) {
                let j = if stats.heal.is_some() {
                    t as usize
                } else {
                    t as usize - self.allies
                };
                actions::FIRST_TARGET + j as u8
            } else {
                // No target it may attack now: walk towards it (or the enemies' spawn); a
                // healer follows its team's centre.
                let goal = if stats.heal.is_some() {
                    self.team_centre(agent)
                } else if t != NONE {
                    [self.x[t as usize], self.y[t as usize]]
                } else {
                    target
                };
                let (dx, dy) = (goal[0] - self.x[agent], goal[1] - self.y[agent]);
                let pick = if dx.abs() >= dy.abs() {
                    if dx >= 0.0 {
                        actions::EAST
                    } else {
                        actions::WEST
                    }
                } else if dy >= 0.0 {
                    actions::NORTH
                } else {
                    actions::SOUTH
                };
                if dx * dx + dy * dy < 0.25 || !self.available(agent, pick) {
                    actions::STOP
                } else {
                    pick
                }
            };
            *slot = if self.available(agent, action) {
                action
            } else {
                actions::STOP
            };
        }
    }

    /// The mean position of `u`'s other alive friends that are not healers (its own when none).
    fn team_centre(&self, u: usize) -> [f32; 2] {
        let (mut sx, mut sy, mut k) = (0.0, 0.0, 0.0);
        for v in self.friends(u) {
            if v != u && self.hp[v] > 0.0 && self.type_of(v).heal.is_none() {
                sx += self.x[v];
                sy += self.y[v];
                k += 1.0;
            }
        }
        if k > 0.0 {
            [sx / k, sy / k]
        } else {
            [self.x[u], self.y[u]]
        }
    }
}

impl MultiAgentEnv for Mmm2 {
    type Obs = f32;
    type Metrics = BattleMetrics;

    fn num_agents(&self) -> usize {
        self.allies
    }

    fn num_actions(&self) -> usize {
        self.config.sizes().actions
    }

    fn obs_spec(&self) -> ObsSpec {
        ObsSpec {
            shape: vec![self.config.sizes().obs],
            element: ElementKind::Floats,
            divisor: 1.0,
        }
    }

    fn reset(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
        self.reset_units();
        self.heal_target.fill(NONE);
        self.ai_target.fill(NONE);
        self.fire.fill(NONE);
        self.heal.fill(NONE);
        self.step_shot.fill(NONE);
        self.step_heal.fill(NONE);
        self.enemy_actions.fill(actions::STOP);
        self.actions.fill(actions::STOP);
        self.ally_target.fill(NONE);
        self.t = 0;
        self.end = None;
        self.ledger.clear();
        self.metrics = BattleMetrics::empty(self.allies);
        self.metrics.enemies_alive = (self.kind.len() - self.allies) as f64;
    }

    fn step(&mut self, actions: &[u8], rewards: &mut [f32]) -> Result<StepOutcome, EnvError> {
        self.check_actions(actions)?;
        if self.end.is_some() || self.t >= self.config.episode_limit {
            return Err(EnvError::BadActions(
                "the episode is over: reset before stepping again".into(),
            ));
        }
        for (agent, &a) in actions.iter().enumerate() {
            if !self.available(agent, a) {
                return Err(EnvError::BadActions(format!(
                    "agent {agent}: action {a} is not available now (see the action mask)"
                )));
            }
        }
        if rewards.len() != self.allies {
            return Err(EnvError::BufferSize {
                what: "rewards",
                expected: self.allies,
                got: rewards.len(),
            });
        }
        self.actions.copy_from_slice(actions);
        self.refresh_ally_targets();
        self.ledger.clear();
        self.step_shot.fill(NONE);
        self.step_heal.fill(NONE);
        let enemy_hp_before: f32 = self.hp[self.allies..].iter().sum();
        let enemies_alive_before = self.hp[self.allies..].iter().filter(|&&h| h > 0.0).count();
        let allies = 0..self.allies;
        let enemies = self.allies..self.kind.len();
        for _ in 0..self.config.sub_steps {
            self.sub_step();
            if self.beaten(allies.clone()) || self.beaten(enemies.clone()) {
                break;
            }
        }
        self.t += 1;
        let (lost, won) = (self.beaten(allies.clone()), self.beaten(enemies.clone()));
        self.end = match (won, lost) {
            (true, true) => Some(BattleEnd::Draw),
            (true, false) => Some(BattleEnd::Won),
            (false, true) => Some(BattleEnd::Lost),
            (false, false) => None,
        };
        let victory = self.end == Some(BattleEnd::Won);
        let w = &self.config.reward;
        for (i, r) in rewards.iter_mut().enumerate() {
            let l = &self.ledger;
            *r = w.reward(
                l.dealt[i],
                l.kills[i],
                l.healed[i],
                l.taken[i],
                l.died[i],
                victory,
                self.allies,
            );
        }
        // SMAC's team reward, signed: enemy HP lost (net of their healing), 10 per enemy death,
        // 200 for a win, over max_reward / 20.
        let enemy_hp_after: f32 = self.hp[self.allies..].iter().sum();
        let enemies_alive = self.hp[self.allies..].iter().filter(|&&h| h > 0.0).count();
        let deaths = (enemies_alive_before - enemies_alive) as f32;
        let team =
            (enemy_hp_before - enemy_hp_after + 10.0 * deaths + if victory { 200.0 } else { 0.0 })
                / self.config.smac_reward_scale().unwrap_or(1.0);
        let m = &mut self.metrics;
        m.steps = self.t as f64;
        m.team_return += f64::from(team);
        for (i, &r) in rewards.iter().enumerate() {
            m.returns[i] += f64::from(r);
        }
        m.damage_dealt += self.ledger.dealt[..self.allies]
            .iter()
            .map(|&d| f64::from(d))
            .sum::<f64>();
        m.damage_taken += self.ledger.taken[..self.allies]
            .iter()
            .map(|&d| f64::from(d))
            .sum::<f64>();
        m.hp_healed += self.ledger.healed[..self.allies]
            .iter()
            .map(|&d| f64::from(d))
            .sum::<f64>();
        m.allies_alive = self.hp[..self.allies].iter().filter(|&&h| h > 0.0).count() as f64;
        m.enemies_alive = enemies_alive as f64;
        m.win_rate = f64::from(u8::from(victory));
        let truncated = self.end.is_none() && self.t >= self.config.episode_limit;
        m.truncated = f64::from(u8::from(truncated));
        m.finish();
        Ok(StepOutcome {
            terminated: self.end.is_some(),
            truncated,
        })
    }

    fn observe(&self, out: &mut [f32]) {
        let len = self.config.sizes().obs;
        for (agent, chunk) in out.chunks_exact_mut(len).enumerate().take(self.allies) {
            self.write_obs(agent, chunk);
        }
    }

    fn episode_metrics(&self) -> BattleMetrics {
        self.metrics.clone()
    }

    fn has_action_masks(&self) -> bool {
        true
    }

    fn action_masks(&self, out: &mut [bool]) {
        self.write_masks(out);
    }

    fn state_spec(&self) -> Option<ObsSpec> {
        Some(ObsSpec {
            shape: vec![self.config.sizes().state],
            element: ElementKind::Floats,
            divisor: 1.0,
        })
    }

    fn state(&self, out: &mut [f32]) {
        self.write_state(out);
    }

    fn compatible(&self, other: &Self) -> bool {
        self.config == other.config
    }
}

/// A scripted policy for a battle's allies.
#[derive(Debug, Clone)]
pub enum BattlePolicy {
    /// Uniformly random among each ally's available actions.
    Random(Box<StdRng>),
    /// The enemies' script playing the allies ([`Mmm2::heuristic_actions`]).
    Heuristic,
    /// Every alive ally stops (the dead take the no-op).
    Stop,
}

impl BattlePolicy {
    /// The policy called `name` (`random`, `heuristic`, `stop`), seeded.
    pub fn by_name(name: &str, seed: u64) -> Result<Self, EnvError> {
        match name {
            "random" => Ok(Self::Random(Box::new(StdRng::seed_from_u64(seed ^ 0x5EED)))),
            "heuristic" => Ok(Self::Heuristic),
            "stop" => Ok(Self::Stop),
            other => Err(EnvError::BadParameter(format!(
                "unknown battle policy `{other}` (expected one of: random, heuristic, stop)"
            ))),
        }
    }

    /// One available action per ally for the battle's current state.
    pub fn act(&mut self, env: &Mmm2, out: &mut [u8]) {
        match self {
            Self::Heuristic => env.heuristic_actions(out),
            Self::Stop => {
                for (agent, a) in out.iter_mut().enumerate().take(env.num_allies()) {
                    *a = if env.alive(agent) {
                        actions::STOP
                    } else {
                        actions::NO_OP
                    };
                }
            }
            Self::Random(rng) => {
                let n = env.num_actions() as u8;
                for (agent, a) in out.iter_mut().enumerate().take(env.num_allies()) {
                    let count = (0..n).filter(|&x| env.available(agent, x)).count();
                    let pick = rng.gen_range(0..count);
                    *a = (0..n)
                        .filter(|&x| env.available(agent, x))
                        .nth(pick)
                        .expect("every unit has an available action");
                }
            }
        }
    }
}
