//! One environment: the map, the agents, and the step rules of ENVS.md.

use crate::config::{Action, BeamShape, EnvConfig, EnvKind};
use crate::EnvError;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The environment's generator: ChaCha12, the same stream as rand 0.8's `StdRng` for a seed,
/// and serialisable (a training checkpoint holds it).
type StdRng = rand_chacha::ChaCha12Rng;

/// What a map cell is, apart from the agents on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Cell {
    /// Walkable, nothing on it.
    Empty = 0,
    /// A wall `@`.
    Wall = 1,
    /// An apple.
    Apple = 2,
    /// Waste on the river (Cleanup).
    Waste = 3,
    /// Clean river or stream (Cleanup).
    River = 4,
}

/// The direction an agent faces, clockwise from up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Facing {
    /// Towards row 0.
    Up = 0,
    /// Towards the last column.
    Right = 1,
    /// Towards the last row.
    Down = 2,
    /// Towards column 0.
    Left = 3,
}

impl Facing {
    /// From `0..4`, clockwise from up.
    pub fn from_index(i: u8) -> Self {
        match i % 4 {
            0 => Facing::Up,
            1 => Facing::Right,
            2 => Facing::Down,
            _ => Facing::Left,
        }
    }

    /// `(d_row, d_col)` of one step forward.
    pub fn forward(self) -> (i32, i32) {
        match self {
            Facing::Up => (-1, 0),
            Facing::Right => (0, 1),
            Facing::Down => (1, 0),
            Facing::Left => (0, -1),
        }
    }

    /// `(d_row, d_col)` of one step to the agent's right.
    pub fn right(self) -> (i32, i32) {
        Facing::from_index(self as u8 + 1).forward()
    }

    fn turned(self, clockwise: bool) -> Self {
        Facing::from_index(self as u8 + if clockwise { 1 } else { 3 })
    }
}

/// An agent's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Row.
    pub row: i32,
    /// Column.
    pub col: i32,
    /// Facing.
    pub facing: Facing,
    /// Steps left out of the map after being zapped (removal variant); 0 when on the map.
    pub removed_for: usize,
}

/// The environment's counters, cumulative over the episode except where noted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Apples eaten.
    pub apples_eaten: u64,
    /// Apples on the map now.
    pub apples_remaining: u64,
    /// Waste cells cleaned.
    pub waste_cleaned: u64,
    /// Waste density now (Cleanup; 0 for Harvest).
    pub waste_density: f64,
    /// Penalty beams fired.
    pub beams_fired: u64,
    /// Agents hit by a penalty beam (one per agent per beam).
    pub agents_tagged: u64,
}

/// What one step returns.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    /// Each agent's reward this step.
    pub rewards: Vec<f64>,
    /// Whether the horizon has been reached.
    pub done: bool,
    /// The counters after the step.
    pub info: Counters,
    /// Which agents were hit by a penalty beam this step.
    pub tagged: Vec<bool>,
    /// Which agents ate an apple this step (their reward's +1, apart from beam costs and
    /// fines).
    pub ate: Vec<bool>,
    /// Waste cells each agent's clean beam cleaned this step (always 0 in Harvest); they sum to
    /// the step's increase of [`Counters::waste_cleaned`].
    pub cleaned: Vec<u32>,
}

/// One Cleanup or Harvest environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Env {
    pub(crate) config: EnvConfig,
    pub(crate) height: usize,
    pub(crate) width: usize,
    /// The map without apples, waste or agents (walls, river, empty).
    pub(crate) base: Vec<Cell>,
    /// The cells now.
    pub(crate) cells: Vec<Cell>,
    /// Apple cells (Harvest `A`, Cleanup `B`).
    pub(crate) apple_cells: Vec<usize>,
    /// River cells that can hold waste (`H`, `R`).
    pub(crate) river_cells: Vec<usize>,
    /// Cells holding waste at the start (`H`).
    pub(crate) initial_waste: Vec<usize>,
    /// Stream cells (`S`: river that never holds waste).
    #[serde(default)]
    pub(crate) stream_count: usize,
    pub(crate) spawns: Vec<usize>,
    pub(crate) agents: Vec<Agent>,
    /// Agent index + 1 on each cell, 0 for none.
    pub(crate) occupant: Vec<u16>,
    /// Beams drawn this step: 0 none, 1 fire, 2 clean.
    pub(crate) beams: Vec<u8>,
    pub(crate) beam_cells: Vec<usize>,
    pub(crate) rng: StdRng,
    pub(crate) t: usize,
    pub(crate) counters: Counters,
    pub(crate) waste_count: usize,
}

impl Env {
    /// Build the environment of `config` (checked), reset with seed 0.
    pub fn new(config: EnvConfig) -> Result<Self, EnvError> {
        config.validate()?;
        let rows: Vec<&str> = config.map.lines().filter(|l| !l.is_empty()).collect();
        let height = rows.len();
        if height == 0 {
            return Err(EnvError::BadShape("the map has no rows".into()));
        }
        let width = rows[0].chars().count();
        if let Some(r) = rows.iter().position(|r| r.chars().count() != width) {
            return Err(EnvError::BadShape(format!(
                "row {r} has {} cells, row 0 has {width}",
                rows[r].chars().count()
            )));
        }
        if height > 1024 || width > 1024 {
            return Err(EnvError::BadShape(format!(
                "{height} × {width} is larger than 1024 × 1024"
            )));
        }
        let allowed = match config.kind {
            EnvKind::Harvest => "@ P A and space",
            EnvKind::Cleanup => "@ P B H R S and space",
        };
        let mut base = Vec::with_capacity(height * width);
        let (mut apple_cells, mut river_cells, mut initial_waste, mut spawns) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut stream_count = 0;
        for (r, row) in rows.iter().enumerate() {
            for (c, ch) in row.chars().enumerate() {
                let i = r * width + c;
                let cell = match (config.kind, ch) {
                    (_, '@') => Cell::Wall,
                    (_, ' ') => Cell::Empty,
                    (_, 'P') => {
                        spawns.push(i);
                        Cell::Empty
                    }
                    (EnvKind::Harvest, 'A') | (EnvKind::Cleanup, 'B') => {
                        apple_cells.push(i);
                        Cell::Empty
                    }
                    (EnvKind::Cleanup, 'H') => {
                        river_cells.push(i);
                        initial_waste.push(i);
                        Cell::River
                    }
                    (EnvKind::Cleanup, 'R') => {
                        river_cells.push(i);
                        Cell::River
                    }
                    (EnvKind::Cleanup, 'S') => {
                        stream_count += 1;
                        Cell::River
                    }
                    (_, ch) => {
                        return Err(EnvError::UnknownCell {
                            row: r,
                            col: c,
                            ch,
                            allowed,
                        })
                    }
                };
                base.push(cell);
            }
        }
        if spawns.is_empty() {
            return Err(EnvError::NoSpawn);
        }
        if config.agents == 0 || config.agents > spawns.len() {
            return Err(EnvError::AgentCount {
                agents: config.agents,
                spawns: spawns.len(),
            });
        }
        let n = height * width;
        let mut env = Self {
            height,
            width,
            cells: base.clone(),
            base,
            apple_cells,
            river_cells,
            initial_waste,
            stream_count,
            spawns,
            agents: Vec::new(),
            occupant: vec![0; n],
            beams: vec![0; n],
            beam_cells: Vec::new(),
            rng: StdRng::seed_from_u64(0),
            t: 0,
            counters: Counters::default(),
            waste_count: 0,
            config,
        };
        env.reset(0);
        Ok(env)
    }

    /// The configuration.
    pub fn config(&self) -> &EnvConfig {
        &self.config
    }

    /// Number of agents.
    pub fn num_agents(&self) -> usize {
        self.config.agents
    }

    /// Number of actions (8 Harvest, 9 Cleanup).
    pub fn num_actions(&self) -> usize {
        self.config.kind.num_actions()
    }

    /// `(height, width)` of the map.
    pub fn shape(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// The step count since the reset.
    pub fn time(&self) -> usize {
        self.t
    }

    /// The agents.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// The cell at `(row, col)` (apples and waste included, agents not).
    pub fn cell(&self, row: usize, col: usize) -> Cell {
        self.cells[row * self.width + col]
    }

    /// The counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The number of cells that can hold waste (Cleanup's potential waste area).
    pub fn potential_waste_area(&self) -> usize {
        self.river_cells.len()
    }

    /// The apple cells (row-major indices).
    pub fn apple_cells(&self) -> &[usize] {
        &self.apple_cells
    }

    /// Start a new episode: apples on every Harvest apple cell (none in Cleanup's orchard),
    /// Cleanup's waste on its `H` cells, agents on distinct random spawn cells with random
    /// facings. Deterministic in `seed`.
    pub fn reset(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
        self.cells.copy_from_slice(&self.base);
        if self.config.kind == EnvKind::Harvest {
            for &i in &self.apple_cells {
                self.cells[i] = Cell::Apple;
            }
        }
        for &i in &self.initial_waste {
            self.cells[i] = Cell::Waste;
        }
        self.waste_count = self.initial_waste.len();
        self.occupant.fill(0);
        self.clear_beams();
        self.agents.clear();
        for k in 0..self.config.agents {
            let i = self
                .free_spawn()
                .expect("at least as many spawn cells as agents");
            let facing = Facing::from_index(self.rng.gen_range(0..4));
            self.agents.push(Agent {
                row: (i / self.width) as i32,
                col: (i % self.width) as i32,
                facing,
                removed_for: 0,
            });
            self.occupant[i] = k as u16 + 1;
        }
        self.t = 0;
        self.counters = Counters::default();
        self.refresh_counters();
    }

    /// A random spawn cell without an agent.
    fn free_spawn(&mut self) -> Option<usize> {
        let free: Vec<usize> = self
            .spawns
            .iter()
            .copied()
            .filter(|&i| self.occupant[i] == 0)
            .collect();
        if free.is_empty() {
            None
        } else {
            Some(free[self.rng.gen_range(0..free.len())])
        }
    }

    fn index(&self, row: i32, col: i32) -> Option<usize> {
        (row >= 0 && col >= 0 && (row as usize) < self.height && (col as usize) < self.width)
            .then(|| row as usize * self.width + col as usize)
    }

    fn walkable(&self, i: usize) -> bool {
        self.cells[i] != Cell::Wall
    }

    fn clear_beams(&mut self) {
        for &i in &self.beam_cells {
            self.beams[i] = 0;
        }
        self.beam_cells.clear();
    }

    fn refresh_counters(&mut self) {
        self.counters.apples_remaining = self
            .apple_cells
            .iter()
            .filter(|&&i| self.cells[i] == Cell::Apple)
            .count() as u64;
        self.counters.waste_density = self.waste_density();
    }

    /// Waste over the cells the density is measured against (the cells that can hold waste,
    /// and the stream with [`EnvConfig::stream_in_density`]); 0 without any.
    fn waste_density(&self) -> f64 {
        let area = self.river_cells.len()
            + if self.config.stream_in_density {
                self.stream_count
            } else {
                0
            };
        if area == 0 {
            0.0
        } else {
            self.waste_count as f64 / area as f64
        }
    }

    /// Check a list of actions: one per agent, each an action this environment has.
    pub fn check_actions(&self, actions: &[u8]) -> Result<(), EnvError> {
        if actions.len() != self.config.agents {
            return Err(EnvError::BadActions(format!(
                "{} actions for {} agents",
                actions.len(),
                self.config.agents
            )));
        }
        if let Some((agent, a)) = actions
            .iter()
            .enumerate()
            .find(|(_, &a)| a as usize >= self.num_actions())
        {
            return Err(EnvError::BadActions(format!(
                "agent {agent}'s action {a} is not one of the {} actions of {}",
                self.num_actions(),
                self.config.kind.name()
            )));
        }
        Ok(())
    }

    /// One step with one action per agent (indices of [`Action`]).
    ///
    /// Order (ENVS.md): moves and turns with conflict resolution; eating; beams in random agent
    /// order; apple (and waste) spawning; rewards. Observations of the new state are written by
    /// [`Env::observe`]. After the horizon, `done` is true and further steps keep counting.
    pub fn step(&mut self, actions: &[u8]) -> Result<StepResult, EnvError> {
        self.check_actions(actions)?;
        let n = self.config.agents;
        let mut rewards = vec![0.0; n];
        let mut tagged = vec![false; n];
        let mut ate = vec![false; n];
        let mut cleaned = vec![0u32; n];
        self.clear_beams();
        self.respawn_removed();
        self.move_agents(actions);
        // Eat.
        for (k, reward) in rewards.iter_mut().enumerate() {
            if let Some(i) = self.position(k) {
                if self.cells[i] == Cell::Apple {
                    self.cells[i] = Cell::Empty;
                    *reward += 1.0;
                    ate[k] = true;
                    self.counters.apples_eaten += 1;
                }
            }
        }
        // Beams, agents in random order.
        let mut order: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            let j = self.rng.gen_range(0..=k);
            order.swap(k, j);
        }
        for &k in &order {
            if self.agents[k].removed_for > 0 {
                continue;
            }
            match Action::from_index(actions[k]) {
                Some(Action::Fire) => {
                    self.counters.beams_fired += 1;
                    rewards[k] += self.config.zap.cost;
                    for hit in self.fire_beam(k, 1) {
                        if !tagged[hit] {
                            tagged[hit] = true;
                            self.counters.agents_tagged += 1;
                        }
                        rewards[hit] += self.config.zap.fine;
                    }
                }
                Some(Action::Clean) => {
                    let before = self.counters.waste_cleaned;
                    self.fire_beam(k, 2);
                    cleaned[k] = (self.counters.waste_cleaned - before) as u32;
                }
                _ => {}
            }
        }
        if let Some(steps) = self.config.zap.removal_steps {
            for (k, &hit) in tagged.iter().enumerate() {
                if hit && self.agents[k].removed_for == 0 {
                    let i = self.position(k).expect("a tagged agent is on the map");
                    self.occupant[i] = 0;
                    self.agents[k].removed_for = steps.max(1);
                }
            }
        }
        if self.config.common_reward {
            let total: f64 = rewards.iter().sum();
            rewards.fill(total);
        }
        self.spawn();
        self.t += 1;
        self.refresh_counters();
        Ok(StepResult {
            rewards,
            done: self.t >= self.config.horizon,
            info: self.counters,
            tagged,
            ate,
            cleaned,
        })
    }

    /// The cell of agent `k`, `None` while it is removed.
    pub fn position(&self, k: usize) -> Option<usize> {
        let a = &self.agents[k];
        (a.removed_for == 0).then(|| a.row as usize * self.width + a.col as usize)
    }

    fn respawn_removed(&mut self) {
        for k in 0..self.agents.len() {
            if self.agents[k].removed_for == 0 {
                continue;
            }
            self.agents[k].removed_for -= 1;
            if self.agents[k].removed_for == 0 {
                match self.free_spawn() {
                    Some(i) => {
                        self.agents[k].row = (i / self.width) as i32;
                        self.agents[k].col = (i % self.width) as i32;
                        self.agents[k].facing = Facing::from_index(self.rng.gen_range(0..4));
                        self.occupant[i] = k as u16 + 1;
                    }
                    // Every spawn cell is taken: wait one more step.
                    None => self.agents[k].removed_for = 1,
                }
            }
        }
    }

    /// Moves and turns. A move into a wall, into a cell another agent ends up in, or a swap with
    /// another agent fails (the agent stays); several agents moving into one cell are resolved by
    /// a random priority.
    fn move_agents(&mut self, actions: &[u8]) {
        let n = self.agents.len();
        let mut target: Vec<Option<usize>> = vec![None; n];
        let mut current: Vec<Option<usize>> = (0..n).map(|k| self.position(k)).collect();
        for k in 0..n {
            let Some(here) = current[k] else { continue };
            let a = self.agents[k];
            // The frame moves are read in: the agent's, or the map's (forward is up).
            let frame = if self.config.absolute_moves {
                Facing::Up
            } else {
                a.facing
            };
            let (fr, fc) = frame.forward();
            let (rr, rc) = frame.right();
            let delta = match Action::from_index(actions[k]) {
                Some(Action::MoveForward) => Some((fr, fc)),
                Some(Action::MoveBack) => Some((-fr, -fc)),
                Some(Action::MoveRight) => Some((rr, rc)),
                Some(Action::MoveLeft) => Some((-rr, -rc)),
                Some(Action::TurnClockwise) => {
                    self.agents[k].facing = a.facing.turned(true);
                    None
                }
                Some(Action::TurnAnticlockwise) => {
                    self.agents[k].facing = a.facing.turned(false);
                    None
                }
                _ => None,
            };
            target[k] = Some(here);
            if let Some((dr, dc)) = delta {
                if let Some(i) = self.index(a.row + dr, a.col + dc) {
                    if self.walkable(i) {
                        target[k] = Some(i);
                    }
                }
            }
        }
        // Random priority for contested cells.
        let mut priority: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            let j = self.rng.gen_range(0..=k);
            priority.swap(k, j);
        }
        let mut rank = vec![0usize; n];
        for (r, &k) in priority.iter().enumerate() {
            rank[k] = r;
        }
        loop {
            let mut changed = false;
            for k in 0..n {
                let (Some(t), Some(here)) = (target[k], current[k]) else {
                    continue;
                };
                if t == here {
                    continue;
                }
                let mut blocked = false;
                for j in 0..n {
                    if j == k || current[j].is_none() {
                        continue;
                    }
                    // Someone who stays (or was sent back) is in the way.
                    if current[j] == Some(t) && target[j] == Some(t) {
                        blocked = true;
                    }
                    // A swap through each other.
                    if current[j] == Some(t) && target[j] == Some(here) {
                        blocked = true;
                    }
                    // Another mover with higher priority claims the same cell.
                    if target[j] == Some(t) && current[j] != Some(t) && rank[j] < rank[k] {
                        blocked = true;
                    }
                }
                if blocked {
                    target[k] = Some(here);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for k in 0..n {
            if let (Some(from), Some(to)) = (current[k], target[k]) {
                if from != to {
                    self.occupant[from] = 0;
                }
            }
        }
        for k in 0..n {
            if let Some(to) = target[k] {
                self.occupant[to] = k as u16 + 1;
                self.agents[k].row = (to / self.width) as i32;
                self.agents[k].col = (to % self.width) as i32;
                current[k] = Some(to);
            }
        }
    }

    /// The cells of agent `k`'s beam footprint, ray by ray: the centre ray is the
    /// `beam_length` cells ahead; each side ray is the cell beside the agent and the
    /// `beam_length − 1` cells ahead of it (ENVS.md). Cells off the map are left out.
    pub fn beam_rays(&self, k: usize) -> [Vec<(i32, i32)>; 3] {
        self.beam_rays_of(self.agents[k])
    }

    /// The beam footprint of an agent in state `a` (see [`Env::beam_rays`]).
    pub(crate) fn beam_rays_of(&self, a: Agent) -> [Vec<(i32, i32)>; 3] {
        let (fr, fc) = a.facing.forward();
        let (rr, rc) = a.facing.right();
        let len = self.config.beam_length as i32;
        let centre = (1..=len)
            .map(|s| (a.row + s * fr, a.col + s * fc))
            .collect();
        let side = |sign: i32| {
            (0..len)
                .map(|s| (a.row + sign * rr + s * fr, a.col + sign * rc + s * fc))
                .collect()
        };
        [side(-1), centre, side(1)]
    }

    /// The cells of SocialJax's beam from an agent in state `a`: one and two ahead, then the
    /// two cells diagonally ahead; cells off the map are left out.
    pub fn socialjax_beam_cells(&self, a: Agent) -> Vec<usize> {
        let (fr, fc) = a.facing.forward();
        let (rr, rc) = a.facing.right();
        [
            (fr, fc),
            (2 * fr, 2 * fc),
            (fr - rr, fc - rc),
            (fr + rr, fc + rc),
        ]
        .into_iter()
        .filter_map(|(dr, dc)| self.index(a.row + dr, a.col + dc))
        .collect()
    }

    /// Fire agent `k`'s beam (1 penalty, 2 clean); returns the agents hit.
    fn fire_beam(&mut self, k: usize, kind: u8) -> Vec<usize> {
        if self.config.beam_shape == BeamShape::SocialJax {
            return self.fire_socialjax_beam(k, kind);
        }
        let mut hits = Vec::new();
        for ray in self.beam_rays(k) {
            for (r, c) in ray {
                let Some(i) = self.index(r, c) else { break };
                if self.cells[i] == Cell::Wall {
                    break;
                }
                if self.beams[i] == 0 {
                    self.beam_cells.push(i);
                }
                self.beams[i] = kind;
                // As in the SSD reference: the clean beam cleans the cell first (waste under an
                // agent too), then an agent on the cell stops the ray.
                if kind == 2 && self.cells[i] == Cell::Waste {
                    self.cells[i] = Cell::River;
                    self.waste_count -= 1;
                    self.counters.waste_cleaned += 1;
                    break;
                }
                let who = self.occupant[i];
                if who != 0 && who as usize - 1 != k {
                    if kind == 1 && !hits.contains(&(who as usize - 1)) {
                        hits.push(who as usize - 1);
                    }
                    break;
                }
            }
        }
        hits
    }

    /// SocialJax's beam: every cell of the footprint, nothing stops it; the clean beam cleans
    /// the waste cells no agent stands on.
    fn fire_socialjax_beam(&mut self, k: usize, kind: u8) -> Vec<usize> {
        let mut hits = Vec::new();
        for i in self.socialjax_beam_cells(self.agents[k]) {
            if self.beams[i] == 0 {
                self.beam_cells.push(i);
            }
            self.beams[i] = kind;
            let who = self.occupant[i];
            if kind == 2 && self.cells[i] == Cell::Waste && who == 0 {
                self.cells[i] = Cell::River;
                self.waste_count -= 1;
                self.counters.waste_cleaned += 1;
            }
            if kind == 1 && who != 0 && who as usize - 1 != k && !hits.contains(&(who as usize - 1))
            {
                hits.push(who as usize - 1);
            }
        }
        hits
    }

    /// Harvest's regrowth, or Cleanup's waste and apple spawning.
    fn spawn(&mut self) {
        match self.config.kind {
            EnvKind::Harvest => self.regrow(),
            EnvKind::Cleanup => self.cleanup_spawn(),
        }
    }

    fn regrow(&mut self) {
        let r2 = self.config.regrowth.radius_sq;
        let reach = (r2 as f64).sqrt().floor() as i32;
        let rates = &self.config.regrowth.rates;
        // Counts from the grid before this step's growth (simultaneous growth).
        let mut grow = Vec::new();
        for &i in &self.apple_cells {
            if self.cells[i] != Cell::Empty || self.occupant[i] != 0 {
                continue;
            }
            let (row, col) = ((i / self.width) as i32, (i % self.width) as i32);
            let mut k = 0usize;
            for dr in -reach..=reach {
                for dc in -reach..=reach {
                    if dr * dr + dc * dc > r2 || (dr == 0 && dc == 0) {
                        continue;
                    }
                    if let Some(j) = self.index(row + dr, col + dc) {
                        if self.cells[j] == Cell::Apple {
                            k += 1;
                        }
                    }
                }
            }
            let p = rates[k.min(rates.len() - 1)];
            if p > 0.0 {
                grow.push((i, p));
            }
        }
        for (i, p) in grow {
            if self.rng.gen::<f64>() < p {
                self.cells[i] = Cell::Apple;
            }
        }
    }

    fn cleanup_spawn(&mut self) {
        if self.river_cells.is_empty() {
            return;
        }
        let density = self.waste_density();
        let threshold = self.config.waste_threshold;
        if density >= threshold && !self.config.waste_past_threshold {
            return;
        }
        if self.t >= self.config.waste_delay {
            let clean: Vec<usize> = self
                .river_cells
                .iter()
                .copied()
                .filter(|&i| self.cells[i] == Cell::River)
                .collect();
            let rate = self.config.waste_rate;
            let spawn = if clean.is_empty() {
                None
            } else if self.config.waste_draw_per_cell {
                // The reference: a random order of the clean cells, one draw each, the first
                // success spawns. Equivalently: a success with probability 1 − (1 − p)^m, on a
                // uniformly random cell.
                let mut found = None;
                let mut order = clean.clone();
                for j in 0..order.len() {
                    let pick = self.rng.gen_range(j..order.len());
                    order.swap(j, pick);
                    if self.rng.gen::<f64>() < rate {
                        found = Some(order[j]);
                        break;
                    }
                }
                found
            } else if self.rng.gen::<f64>() < rate {
                Some(clean[self.rng.gen_range(0..clean.len())])
            } else {
                None
            };
            if let Some(i) = spawn {
                self.cells[i] = Cell::Waste;
                self.waste_count += 1;
            }
        }
        // No growth at and above the threshold (waste may still spawn there).
        let p = self.config.apple_rate * (1.0 - density / threshold).max(0.0);
        for idx in 0..self.apple_cells.len() {
            let i = self.apple_cells[idx];
            if self.cells[i] == Cell::Empty && self.occupant[i] == 0 && self.rng.gen::<f64>() < p {
                self.cells[i] = Cell::Apple;
            }
        }
    }

    /// Place agent `k` at `(row, col)` facing `facing` (for tests and scripted set-ups).
    ///
    /// # Panics
    /// If the cell is off the map, a wall, or taken by another agent.
    pub fn place_agent(&mut self, k: usize, row: usize, col: usize, facing: Facing) {
        let i = row * self.width + col;
        assert!(
            self.cells[i] != Cell::Wall,
            "cannot place an agent on a wall"
        );
        assert!(
            self.occupant[i] == 0 || self.occupant[i] as usize == k + 1,
            "the cell is taken"
        );
        if let Some(old) = self.position(k) {
            self.occupant[old] = 0;
        }
        self.agents[k] = Agent {
            row: row as i32,
            col: col as i32,
            facing,
            removed_for: 0,
        };
        self.occupant[i] = k as u16 + 1;
    }

    /// Place every agent at once (for tests and scripted set-ups): `(row, col, facing)` per
    /// agent, removed agents included.
    ///
    /// # Panics
    /// If the list has the wrong length, or a cell is off the map, a wall, or used twice.
    pub fn place_agents(&mut self, places: &[(usize, usize, Facing)]) {
        assert_eq!(places.len(), self.agents.len(), "one place per agent");
        self.occupant.fill(0);
        for (k, &(row, col, facing)) in places.iter().enumerate() {
            let i = row * self.width + col;
            assert!(
                self.cells[i] != Cell::Wall,
                "cannot place an agent on a wall"
            );
            assert!(self.occupant[i] == 0, "two agents placed on one cell");
            self.agents[k] = Agent {
                row: row as i32,
                col: col as i32,
                facing,
                removed_for: 0,
            };
            self.occupant[i] = k as u16 + 1;
        }
    }

    /// Set the cell at `(row, col)` (for tests and scripted set-ups); keeps the waste count.
    ///
    /// # Panics
    /// If the cell is off the map.
    pub fn set_cell(&mut self, row: usize, col: usize, cell: Cell) {
        let i = row * self.width + col;
        if self.cells[i] == Cell::Waste {
            self.waste_count -= 1;
        }
        if cell == Cell::Waste {
            self.waste_count += 1;
        }
        self.cells[i] = cell;
        self.refresh_counters();
    }

    /// The agent index on `(row, col)`, if any.
    pub fn agent_at(&self, row: usize, col: usize) -> Option<usize> {
        let o = self.occupant[row * self.width + col];
        (o != 0).then(|| o as usize - 1)
    }

    /// The beam drawn on `(row, col)` this step: 0 none, 1 penalty, 2 clean.
    pub fn beam_at(&self, row: usize, col: usize) -> u8 {
        self.beams[row * self.width + col]
    }
}
