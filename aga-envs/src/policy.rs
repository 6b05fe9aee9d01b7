//! Scripted policies: known behaviours that make the dilemmas visible without learning.

use crate::config::{Action, BeamShape, EnvKind};
use crate::env::{Cell, Env, Facing};
use crate::EnvError;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::collections::VecDeque;

/// A scripted policy for every agent of an environment.
#[derive(Debug, Clone)]
pub enum Policy {
    /// Uniformly random actions.
    Random(Box<StdRng>),
    /// Always stay.
    Stay,
    /// Walk to the nearest apple by breadth-first search; never fire or clean.
    Greedy,
    /// Cleanup: agents `0..cleaners` walk to the nearest waste and clean it, the others are
    /// greedy.
    CleanAndHarvest {
        /// How many agents clean.
        cleaners: usize,
    },
}

impl Policy {
    /// The policy called `name` (`random`, `stay`, `greedy`, `clean-and-harvest`), seeded.
    pub fn by_name(
        name: &str,
        cleaners: usize,
        seed: u64,
        kind: EnvKind,
    ) -> Result<Self, EnvError> {
        match name {
            "random" => Ok(Policy::Random(Box::new(StdRng::seed_from_u64(seed ^ 0x5EED)))),
            "stay" => Ok(Policy::Stay),
            "greedy" => Ok(Policy::Greedy),
            "clean-and-harvest" if kind == EnvKind::Cleanup => {
                Ok(Policy::CleanAndHarvest { cleaners })
            }
            "clean-and-harvest" => Err(EnvError::BadParameter(
                "the clean-and-harvest policy needs --env cleanup".into(),
            )),
            other => Err(EnvError::BadParameter(format!(
                "unknown policy `{other}` (expected one of: random, stay, greedy, clean-and-harvest)"
            ))),
        }
    }

    /// One action per agent for the environment's current state, written into `actions`.
    pub fn act(&mut self, env: &Env, actions: &mut [u8]) {
        let n = env.num_agents();
        let num_actions = env.num_actions() as u8;
        for (k, a) in actions.iter_mut().enumerate().take(n) {
            *a = match self {
                Policy::Random(rng) => rng.gen_range(0..num_actions),
                Policy::Stay => Action::Stay as u8,
                Policy::Greedy => seek(env, k, Cell::Apple),
                Policy::CleanAndHarvest { cleaners } => {
                    if k < *cleaners {
                        clean(env, k)
                    } else {
                        seek(env, k, Cell::Apple)
                    }
                }
            };
        }
    }
}

/// First step of a shortest path (4-neighbour moves through non-wall cells, ignoring agents)
/// from agent `k` to the nearest cell holding `target`, as an egocentric move; stay if none.
fn seek(env: &Env, k: usize, target: Cell) -> u8 {
    // Moves are read in the agent's frame, or in the map's with absolute moves.
    let frame = if env.config().absolute_moves {
        Facing::Up
    } else {
        env.agents()[k].facing
    };
    match first_step(env, k, target) {
        Some((dr, dc)) => egocentric_move(frame, dr, dc),
        None => Action::Stay as u8,
    }
}

/// `(d_row, d_col)` of the first step towards the nearest `target` cell, by BFS.
fn first_step(env: &Env, k: usize, target: Cell) -> Option<(i32, i32)> {
    let start = env.position(k)?;
    let (h, w) = env.shape();
    let mut first: Vec<Option<(i32, i32)>> = vec![None; h * w];
    let mut seen = vec![false; h * w];
    let mut queue = VecDeque::new();
    seen[start] = true;
    queue.push_back(start);
    while let Some(i) = queue.pop_front() {
        let (r, c) = ((i / w) as i32, (i % w) as i32);
        if i != start && env.cell(r as usize, c as usize) == target {
            return first[i];
        }
        for (dr, dc) in [(-1, 0), (0, 1), (1, 0), (0, -1)] {
            let (nr, nc) = (r + dr, c + dc);
            if nr < 0 || nc < 0 || nr as usize >= h || nc as usize >= w {
                continue;
            }
            let j = nr as usize * w + nc as usize;
            if seen[j] || env.cell(nr as usize, nc as usize) == Cell::Wall {
                continue;
            }
            seen[j] = true;
            first[j] = if i == start { Some((dr, dc)) } else { first[i] };
            queue.push_back(j);
        }
    }
    None
}

/// The egocentric move action that steps by `(dr, dc)` for an agent facing `facing`.
fn egocentric_move(facing: Facing, dr: i32, dc: i32) -> u8 {
    let f = facing.forward();
    let r = facing.right();
    if (dr, dc) == f {
        Action::MoveForward as u8
    } else if (dr, dc) == (-f.0, -f.1) {
        Action::MoveBack as u8
    } else if (dr, dc) == r {
        Action::MoveRight as u8
    } else {
        Action::MoveLeft as u8
    }
}

/// A cleaner: clean if waste is in the beam's footprint, else turn to face waste that would be
/// in it, else walk towards the nearest waste.
fn clean(env: &Env, k: usize) -> u8 {
    let agent = env.agents()[k];
    let facing = agent.facing;
    let reaches_waste = |f: Facing| {
        let turned = crate::env::Agent { facing: f, ..agent };
        match env.config().beam_shape {
            BeamShape::Rays => env
                .beam_rays_of(turned)
                .iter()
                .any(|ray| first_stop(env, k, ray) == Some(Cell::Waste)),
            // Every waste cell of the footprint that no agent stands on is cleaned.
            BeamShape::SocialJax => {
                let (_, w) = env.shape();
                env.socialjax_beam_cells(turned).into_iter().any(|i| {
                    env.cell(i / w, i % w) == Cell::Waste && env.agent_at(i / w, i % w).is_none()
                })
            }
        }
    };
    if reaches_waste(facing) {
        return Action::Clean as u8;
    }
    for (turns, action) in [
        (1, Action::TurnClockwise),
        (3, Action::TurnAnticlockwise),
        (2, Action::TurnClockwise),
    ] {
        if reaches_waste(Facing::from_index(facing as u8 + turns)) {
            return action as u8;
        }
    }
    seek(env, k, Cell::Waste)
}

/// What stops a ray first (a wall, waste, or another agent as `Cell::Empty`), as the beams do.
fn first_stop(env: &Env, k: usize, ray: &[(i32, i32)]) -> Option<Cell> {
    let (h, w) = env.shape();
    for &(r, c) in ray {
        if r < 0 || c < 0 || r as usize >= h || c as usize >= w {
            return None;
        }
        let (r, c) = (r as usize, c as usize);
        if env.cell(r, c) == Cell::Wall {
            return Some(Cell::Wall);
        }
        if matches!(env.agent_at(r, c), Some(j) if j != k) {
            return Some(Cell::Empty);
        }
        if env.cell(r, c) == Cell::Waste {
            return Some(Cell::Waste);
        }
    }
    None
}
