//! Environment configuration: the SSD reference's rules as defaults, the variants as options.

use crate::EnvError;
use serde::{Deserialize, Serialize};

/// The SSD reference's Harvest map (16 × 38): `@` wall, `P` spawn, `A` apple cell.
pub const HARVEST_MAP: &str = "\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@ P   P      A    P AAAAA    P  A P  @
@  P     A P AA    P    AAA    A  A  @
@     A AAA  AAA    A    A AA AAAA   @
@ A  AAA A    A  A AAA  A  A   A A   @
@AAA  A A    A  AAA A  AAA        A P@
@ A A  AAA  AAA  A A    A AA   AA AA @
@  A A  AAA    A A  AAA    AAA  A    @
@   AAA  A      AAA  A    AAAA       @
@ P  A       A  A AAA    A  A      P @
@A  AAA  A  A  AAA A    AAAA     P   @
@    A A   AAA  A A      A AA   A  P @
@     AAA   A A  AAA      AA   AAA P @
@ A    A     AAA  A  P          A    @
@       P     A         P  P P     P @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

/// The SSD reference's Cleanup map (25 × 18): `H` river with waste, `R` clean river, `S` stream,
/// `B` orchard, `P` spawn, `@` wall.
pub const CLEANUP_MAP: &str = "\
@@@@@@@@@@@@@@@@@@
@RRRRRR     BBBBB@
@HHHHHH      BBBB@
@RRRRRR     BBBBB@
@RRRRR  P    BBBB@
@RRRRR    P BBBBB@
@HHHHH       BBBB@
@RRRRR      BBBBB@
@HHHHHHSSSSSSBBBB@
@HHHHHHSSSSSSBBBB@
@RRRRR   P P BBBB@
@HHHHH   P  BBBBB@
@RRRRRR    P BBBB@
@HHHHHH P   BBBBB@
@RRRRR       BBBB@
@HHHH    P  BBBBB@
@RRRRR       BBBB@
@HHHHH  P P BBBBB@
@RRRRR       BBBB@
@HHHH       BBBBB@
@RRRRR       BBBB@
@HHHHH      BBBBB@
@RRRRR       BBBB@
@HHHH       BBBBB@
@@@@@@@@@@@@@@@@@@";

/// SocialJax's open Harvest map (`harvest_common_open`, 16 × 22, commit 9df972d): no walls (the
/// agents stop at the map's edge, and the view shows walls beyond it), `A` apple cell, `P` spawn.
/// SocialJax's two inside spawns `Q` (agents 0 and 1 start there) are ordinary spawns `P` here.
pub const SOCIALJAX_HARVEST_MAP: &str = "\
AAA    A      A    AAA
AA    AAA    AAA    AA
A    AAAAA  AAAAA    A
      AAA    AAA      
       A      A       
  A                A  
 AAA  P        P  AAA 
AAAAA            AAAAA
 AAA              AAA 
  A                A  
                      
                      
                      
  PPPPPPPPPPPPPPPPPP  
 PPPPPPPPPPPPPPPPPPPP 
PPPPPPPPPPPPPPPPPPPPPP";

/// SocialJax's Clean Up map (`clean_up`, 19 × 28, commit 9df972d) in this crate's letters:
/// SocialJax's `H` (water that can take waste, clean at the start) is `R`, its `F` (water with
/// waste at the start) is `H`, its permanent river `S` and `~` is the stream `S`, its apple cells
/// `B` and `T` are `B`, `P` spawn; its decorative letters (`= + f ; , ^ < > s`) are walkable
/// empty cells, as SocialJax reads them. No walls: the map's edge stops the agents.
pub const SOCIALJAX_CLEANUP_MAP: &str = "\
RHHHRHHRHRHRHRHRHRHRRHRHHHRH
RHRHRHHRHRHRHRHRHRHRRHRHHHRH
RHHRHHRRHRHRHRHRHRHRRHRHHHRH
RHRHRHHRHRHRHRHRHRHRRHRHHHRH
RHHHHHHRHRHRHRHRHRHRRHRHHHRH
               SHRRRRRR     
   P    P          SSS      
     P     P   P   SS   P   
             P   P SS       
   P    P          SS    P  
               P   SS P     
     P           P SS       
           P       SS  P    
  P             P  SS       
 B B B B B B B B B SS  B B B
BBBBBBBBBBBBBBBBBBB  BBBBBBB
BBBBBBBBBBBBBBBBBBBBBBBBBBBB
BBBBBBBBBBBBBBBBBBBBBBBBBBBB
BBBBBBBBBBBBBBBBBBBBBBBBBBBB";

/// The most agents an environment takes (agent indices are stored in 16 bits).
pub const MAX_AGENTS: usize = 1000;

/// Which dilemma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvKind {
    /// Harvest: apples regrow only near other apples (a commons dilemma).
    Harvest,
    /// Cleanup: apples grow only while the river is clean, and cleaning pays nothing.
    Cleanup,
}

impl std::str::FromStr for EnvKind {
    type Err = EnvError;

    /// `harvest` or `cleanup` (the names of [`EnvKind::name`]): the one parser of environment
    /// names for every command.
    fn from_str(s: &str) -> Result<Self, EnvError> {
        match s {
            "harvest" => Ok(EnvKind::Harvest),
            "cleanup" => Ok(EnvKind::Cleanup),
            other => Err(EnvError::UnknownEnv(other.to_string())),
        }
    }
}

impl EnvKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            EnvKind::Harvest => "harvest",
            EnvKind::Cleanup => "cleanup",
        }
    }

    /// Number of actions: 8 for Harvest, 9 for Cleanup (with `clean`).
    pub fn num_actions(self) -> usize {
        match self {
            EnvKind::Harvest => 8,
            EnvKind::Cleanup => 9,
        }
    }
}

/// The actions, egocentric (rotated by the agent's facing), in the SSD reference's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Action {
    /// Step to the agent's left.
    MoveLeft = 0,
    /// Step to the agent's right.
    MoveRight = 1,
    /// Step forward.
    MoveForward = 2,
    /// Step back.
    MoveBack = 3,
    /// Do nothing.
    Stay = 4,
    /// Turn clockwise.
    TurnClockwise = 5,
    /// Turn anticlockwise.
    TurnAnticlockwise = 6,
    /// Fire the penalty beam.
    Fire = 7,
    /// Fire the cleaning beam (Cleanup only).
    Clean = 8,
}

impl Action {
    /// The action with index `a`, if any.
    pub fn from_index(a: u8) -> Option<Self> {
        use Action::*;
        Some(match a {
            0 => MoveLeft,
            1 => MoveRight,
            2 => MoveForward,
            3 => MoveBack,
            4 => Stay,
            5 => TurnClockwise,
            6 => TurnAnticlockwise,
            7 => Fire,
            8 => Clean,
            _ => return None,
        })
    }
}

/// Harvest's apple regrowth: an empty apple cell grows an apple with probability
/// `rates[min(k, rates.len() − 1)]`, `k` the apples at offsets `(j, l)` with
/// `j² + l² ≤ radius_sq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regrowth {
    /// Squared radius of the neighbourhood: 2 is the 3×3 square (the reference's literal
    /// behaviour), 4 the L2 radius 2 of Melting Pot and SocialJax (12 neighbours).
    pub radius_sq: i32,
    /// Probabilities by neighbour count, the last one for every larger count.
    pub rates: Vec<f64>,
}

impl Default for Regrowth {
    fn default() -> Self {
        Self {
            radius_sq: 2,
            rates: vec![0.0, 0.005, 0.02, 0.05],
        }
    }
}

/// The penalty beam's consequences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zap {
    /// Reward of the shooter per shot (the reference: −1).
    pub cost: f64,
    /// Reward of each agent hit (the reference: −50).
    pub fine: f64,
    /// Melting Pot's variant: a hit agent leaves the map and respawns at a random free spawn
    /// cell after this many steps (4 in Harvest, 50 in Cleanup there); `None` keeps it in place.
    pub removal_steps: Option<usize>,
}

impl Default for Zap {
    fn default() -> Self {
        Self {
            cost: -1.0,
            fine: -50.0,
            removal_steps: None,
        }
    }
}

/// Everything an environment is built from. Every field has the SSD reference's value as its
/// default; a JSON config file may set any subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// Harvest or Cleanup.
    pub kind: EnvKind,
    /// The map, rows separated by newlines.
    pub map: String,
    /// Number of agents (5; Melting Pot and SocialJax use 7).
    pub agents: usize,
    /// Episode length (1000); the environment never ends an episode earlier.
    pub horizon: usize,
    /// Observation radius: the window is `(2r + 1)²` (7 → 15×15).
    pub view_radius: usize,
    /// Beam length (5) and width (3: a centre ray and one ray on each side).
    pub beam_length: usize,
    /// Harvest's regrowth.
    pub regrowth: Regrowth,
    /// The penalty beam.
    pub zap: Zap,
    /// Cleanup: apple growth rate at zero waste (0.05).
    pub apple_rate: f64,
    /// Cleanup: waste spawn probability per step (0.5).
    pub waste_rate: f64,
    /// Cleanup: waste density at and above which nothing grows or spawns (0.4).
    pub waste_threshold: f64,
    /// Cleanup: waste starts spawning after this many steps (0; Melting Pot and SocialJax: 50).
    pub waste_delay: usize,
    /// Cleanup: how waste spawns below the threshold. `true` (the SSD reference's code): the
    /// clean river cells are visited in a random order, each with a `waste_rate` draw, until
    /// one succeeds — so one waste cell spawns with probability `1 − (1 − waste_rate)^m`, `m`
    /// the clean cells (≈ 1). `false` (ENVS.md's wording): a single `waste_rate` draw, then one
    /// random clean cell.
    pub waste_draw_per_cell: bool,
    /// Draw the beams fired this step in the observations (ENVS.md's colours for them). The SSD
    /// reference's code since 2020 never draws them in observations (only in its renderings):
    /// `false` reproduces that.
    pub beams_in_observations: bool,
    /// Rows of the view ahead of the agent: `None` centres the window on the agent (the
    /// reference: `view_radius` ahead and behind); SocialJax sees 9 ahead and 1 behind in its
    /// 11 × 11 window (`view_radius` 5). At most `2 · view_radius`.
    #[serde(default)]
    pub view_ahead: Option<usize>,
    /// What the view shows beyond the map's edge: nothing (`false`, the reference: black, all
    /// zeros) or walls (`true`, SocialJax and Melting Pot).
    #[serde(default)]
    pub walls_outside: bool,
    /// One-hot observations carry four more channels: on each other agent's cell, its facing
    /// relative to the observer's, one-hot over (same, a quarter turn anticlockwise, opposite, a
    /// quarter turn clockwise) — SocialJax's `rel_orientation` channels, in its order.
    #[serde(default)]
    pub orientation_channels: bool,
    /// Moves: `false` relative to the agent's facing (the reference: forward, back, left and
    /// right of the agent), `true` along the map's fixed directions whatever the facing
    /// (SocialJax: [`Action::MoveForward`] is up the map, [`Action::MoveRight`] to the right).
    #[serde(default)]
    pub absolute_moves: bool,
    /// The beams' footprint.
    #[serde(default)]
    pub beam_shape: BeamShape,
    /// Every agent receives the sum of all agents' rewards this step (SocialJax's default,
    /// `shared_rewards`); `false` each its own.
    #[serde(default)]
    pub common_reward: bool,
    /// Cleanup: waste keeps spawning at and above `waste_threshold` (SocialJax; apples still
    /// stop growing there); `false` stops it (the reference).
    #[serde(default)]
    pub waste_past_threshold: bool,
    /// Cleanup: the stream cells (`S`) count in the waste density's denominator (SocialJax:
    /// waste over water and permanent river); `false` counts the cells that can hold waste only.
    #[serde(default)]
    pub stream_in_density: bool,
}

/// The cells a beam covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BeamShape {
    /// The reference's: three parallel rays (the centre one `beam_length` cells ahead, one
    /// beside the agent on each side), each stopped by a wall, the first agent it hits, or (the
    /// clean beam) the first waste it cleans.
    #[default]
    Rays,
    /// SocialJax's four cells: one and two ahead and the two diagonals one ahead, nothing
    /// stopping it (it passes walls and agents and hits every agent on those cells; the clean
    /// beam cleans every waste cell of them that no agent stands on).
    SocialJax,
}

/// A named starting configuration, under any `--env-config` fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvPreset {
    /// The SSD reference's rules (ENVS.md).
    #[default]
    Reference,
    /// SocialJax's (commit 9df972d, docs/envs/socialjax_reference.md): its maps, 7 agents, an
    /// 11 × 11 view 9 cells ahead with walls beyond the map and relative-orientation channels,
    /// fixed-direction moves, the 4-cell zap without cost or fine that sends the agent hit to a
    /// random spawn cell on the next step, the common reward, its regrowth rates (Harvest) and
    /// waste rules (Cleanup).
    SocialJax,
}

impl std::str::FromStr for EnvPreset {
    type Err = EnvError;

    /// `reference` or `socialjax`.
    fn from_str(s: &str) -> Result<Self, EnvError> {
        match s {
            "reference" => Ok(EnvPreset::Reference),
            "socialjax" => Ok(EnvPreset::SocialJax),
            other => Err(EnvError::BadParameter(format!(
                "unknown environment preset `{other}` (expected reference or socialjax)"
            ))),
        }
    }
}

impl EnvConfig {
    /// The SSD reference's Harvest.
    pub fn harvest() -> Self {
        Self {
            kind: EnvKind::Harvest,
            map: HARVEST_MAP.to_string(),
            agents: 5,
            horizon: 1000,
            view_radius: 7,
            beam_length: 5,
            regrowth: Regrowth::default(),
            zap: Zap::default(),
            apple_rate: 0.05,
            waste_rate: 0.5,
            waste_threshold: 0.4,
            waste_delay: 0,
            waste_draw_per_cell: true,
            beams_in_observations: true,
            view_ahead: None,
            walls_outside: false,
            orientation_channels: false,
            absolute_moves: false,
            beam_shape: BeamShape::Rays,
            common_reward: false,
            waste_past_threshold: false,
            stream_in_density: false,
        }
    }

    /// The SSD reference's Cleanup.
    pub fn cleanup() -> Self {
        Self {
            kind: EnvKind::Cleanup,
            map: CLEANUP_MAP.to_string(),
            ..Self::harvest()
        }
    }

    /// The reference configuration of `kind`.
    pub fn of(kind: EnvKind) -> Self {
        match kind {
            EnvKind::Harvest => Self::harvest(),
            EnvKind::Cleanup => Self::cleanup(),
        }
    }

    /// The configuration of `kind` under `preset`.
    pub fn preset(kind: EnvKind, preset: EnvPreset) -> Self {
        match preset {
            EnvPreset::Reference => Self::of(kind),
            EnvPreset::SocialJax => Self::socialjax(kind),
        }
    }

    /// SocialJax's Harvest (open) or Clean Up, as far as this crate's rules reach (the
    /// differences that remain are listed in docs/envs.md, "The SocialJax preset"): its map, 7
    /// agents, 1000-step episodes, an 11 × 11 view 9 cells ahead showing walls beyond the map
    /// and the other agents' relative facings, moves along the map's directions, its 4-cell zap
    /// with neither cost nor fine whose target reappears on a random free spawn cell at the next
    /// step, the common reward (every agent gets all the apples eaten), Harvest's regrowth over
    /// the 12 cells within distance 2 with rates 0.001 / 0.005 / 0.025 for 1 / 2 / ≥ 3 apples,
    /// Cleanup's waste that starts after 50 steps (one draw of 0.5 a step, on one random clean
    /// cell), never stops, and is measured against water and permanent river together.
    pub fn socialjax(kind: EnvKind) -> Self {
        let map = match kind {
            EnvKind::Harvest => SOCIALJAX_HARVEST_MAP,
            EnvKind::Cleanup => SOCIALJAX_CLEANUP_MAP,
        };
        Self {
            kind,
            map: map.to_string(),
            agents: 7,
            horizon: 1000,
            view_radius: 5,
            beam_length: 2,
            regrowth: Regrowth {
                radius_sq: 4,
                rates: vec![0.0, 0.001, 0.005, 0.025],
            },
            zap: Zap {
                cost: 0.0,
                fine: 0.0,
                removal_steps: Some(1),
            },
            apple_rate: 0.05,
            waste_rate: 0.5,
            waste_threshold: 0.4,
            waste_delay: 50,
            waste_draw_per_cell: false,
            beams_in_observations: true,
            view_ahead: Some(9),
            walls_outside: true,
            orientation_channels: true,
            absolute_moves: true,
            beam_shape: BeamShape::SocialJax,
            common_reward: true,
            waste_past_threshold: true,
            stream_in_density: true,
        }
    }

    /// A configuration from JSON that sets any subset of the fields, at any depth: the reference
    /// configuration of the file's `kind` (else `kind`, else Harvest) with the file's fields on
    /// top (`{"zap": {"fine": 0}}` changes the fine and keeps the reference's cost). Unknown
    /// fields and a `kind` that contradicts `kind` are errors.
    pub fn from_json(text: &str, kind: Option<EnvKind>) -> Result<Self, EnvError> {
        Self::from_json_over(text, kind, EnvPreset::Reference)
    }

    /// [`EnvConfig::from_json`] over `preset`'s configuration instead of the reference's.
    pub fn from_json_over(
        text: &str,
        kind: Option<EnvKind>,
        preset: EnvPreset,
    ) -> Result<Self, EnvError> {
        let bad = |m: String| EnvError::BadParameter(m);
        let patch: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let serde_json::Value::Object(patch) = patch else {
            return Err(bad("the environment config must be a JSON object".into()));
        };
        let file_kind = match patch.get("kind") {
            Some(k) => Some(
                serde_json::from_value::<EnvKind>(k.clone())
                    .map_err(|e| bad(format!("kind: {e}")))?,
            ),
            None => None,
        };
        if let (Some(a), Some(b)) = (file_kind, kind) {
            if a != b {
                return Err(bad(format!(
                    "the config file is for {}, the command asks for {}",
                    a.name(),
                    b.name()
                )));
            }
        }
        let base = Self::preset(file_kind.or(kind).unwrap_or(EnvKind::Harvest), preset);
        let mut merged = serde_json::to_value(base).expect("a config serialises");
        merge(&mut merged, serde_json::Value::Object(patch));
        let config: Self =
            serde_json::from_value(merged).map_err(|e| bad(format!("config: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Check every number (the map is checked when the environment is built).
    pub fn validate(&self) -> Result<(), EnvError> {
        if !(1..=64).contains(&self.view_radius) {
            return Err(EnvError::BadView(self.view_radius));
        }
        let bad = |m: String| Err(EnvError::BadParameter(m));
        if let Some(ahead) = self.view_ahead {
            if ahead > 2 * self.view_radius {
                return bad(format!(
                    "view_ahead must be at most 2 · view_radius = {}, got {ahead}",
                    2 * self.view_radius
                ));
            }
        }
        if self.horizon == 0 || self.horizon > 100_000_000 {
            return bad(format!(
                "the horizon must be between 1 and 10^8, got {}",
                self.horizon
            ));
        }
        if self.beam_length == 0 || self.beam_length > 64 {
            return bad(format!(
                "the beam length must be between 1 and 64, got {}",
                self.beam_length
            ));
        }
        if self.regrowth.rates.is_empty()
            || self.regrowth.rates.iter().any(|p| !(0.0..=1.0).contains(p))
        {
            return bad(format!(
                "regrowth rates must be probabilities (at least one), got {:?}",
                self.regrowth.rates
            ));
        }
        if !(0..=64).contains(&self.regrowth.radius_sq) {
            return bad(format!(
                "the regrowth radius_sq must be between 0 and 64, got {}",
                self.regrowth.radius_sq
            ));
        }
        for (name, p) in [
            ("apple_rate", self.apple_rate),
            ("waste_rate", self.waste_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("{name} must be a probability, got {p}"));
            }
        }
        if !(self.waste_threshold > 0.0 && self.waste_threshold <= 1.0) {
            return bad(format!(
                "waste_threshold must be in (0, 1], got {}",
                self.waste_threshold
            ));
        }
        if !(self.zap.cost.is_finite() && self.zap.fine.is_finite()) {
            return bad("the zap cost and fine must be finite".to_string());
        }
        // The lower bound and the spawn cells are checked with the map (`Env::new`).
        if self.agents > MAX_AGENTS {
            return bad(format!("at most {MAX_AGENTS} agents, got {}", self.agents));
        }
        Ok(())
    }
}

/// Lay `patch` over `base`: objects merge key by key, at every depth; anything else replaces.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}
