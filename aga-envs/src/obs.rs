//! Egocentric observations: a `(2r + 1)²` window centred on the agent, rotated so that the agent
//! faces up (row 0 of the window is ahead), written into caller-owned buffers in
//! height × width × channel order (the layout a Burn tensor `[H, W, C]` is built from).

use crate::env::{Cell, Env, Facing};
use crate::EnvError;

/// Agent colours 1–9 of the SSD reference (RGB); agent `k` uses colour `k mod 9`.
pub const AGENT_COLOURS: [[u8; 3]; 9] = [
    [0, 0, 255],
    [2, 81, 154],
    [204, 0, 204],
    [216, 30, 54],
    [254, 151, 0],
    [100, 255, 255],
    [99, 99, 255],
    [250, 204, 255],
    [238, 223, 16],
];

const EMPTY: [u8; 3] = [0, 0, 0];
const WALL: [u8; 3] = [180, 180, 180];
const APPLE: [u8; 3] = [0, 255, 0];
const FIRE_BEAM: [u8; 3] = [255, 255, 0];
const CLEAN_BEAM: [u8; 3] = [100, 255, 255];
const WASTE: [u8; 3] = [99, 156, 194];
const RIVER: [u8; 3] = [113, 75, 24];

/// The channels of the one-hot observation, in order: wall, apple, waste, river (and stream),
/// penalty beam, clean beam, the observing agent itself, another agent. An empty cell and the
/// outside of the map are all zeros.
pub const ONE_HOT_CHANNELS: usize = 8;

/// An agent's place on a rendered frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentMark {
    /// Row.
    pub row: usize,
    /// Column.
    pub col: usize,
    /// Facing.
    pub facing: Facing,
    /// The agent's index (its colour is `AGENT_COLOURS[agent % 9]`).
    pub agent: usize,
}

/// Which observation to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObsKind {
    /// `(2r + 1) × (2r + 1) × 3` bytes of RGB, the reference's colours.
    Rgb,
    /// `(2r + 1) × (2r + 1) × 8` bytes, one channel per cell kind ([`ONE_HOT_CHANNELS`]).
    OneHot,
}

impl ObsKind {
    /// Channels per pixel.
    pub fn channels(self) -> usize {
        match self {
            ObsKind::Rgb => 3,
            ObsKind::OneHot => ONE_HOT_CHANNELS,
        }
    }
}

/// The colour of a map cell without agents or beams.
pub(crate) fn cell_colour(cell: Cell) -> [u8; 3] {
    match cell {
        Cell::Empty => EMPTY,
        Cell::Wall => WALL,
        Cell::Apple => APPLE,
        Cell::Waste => WASTE,
        Cell::River => RIVER,
    }
}

impl Env {
    /// Bytes of one agent's observation of kind `kind`.
    pub fn obs_len(&self, kind: ObsKind) -> usize {
        let side = 2 * self.config.view_radius + 1;
        side * side * kind.channels()
    }

    /// The colour of the map at `i` as every observer sees it: an agent, else a beam drawn this
    /// step, else the cell.
    fn pixel(&self, i: usize) -> [u8; 3] {
        let who = self.occupant[i];
        if who != 0 {
            return AGENT_COLOURS[(who as usize - 1) % AGENT_COLOURS.len()];
        }
        match self.beams[i] {
            1 => FIRE_BEAM,
            2 => CLEAN_BEAM,
            _ => cell_colour(self.cells[i]),
        }
    }

    /// Write every agent's observation into `out` (`num_agents × obs_len` bytes, agent-major).
    /// A removed agent (removal variant) sees nothing: its observation is all zeros.
    pub fn observe(&self, kind: ObsKind, out: &mut [u8]) -> Result<(), EnvError> {
        let len = self.obs_len(kind);
        let expected = len * self.config.agents;
        if out.len() != expected {
            return Err(EnvError::BufferSize {
                what: "the observation buffer",
                expected,
                got: out.len(),
            });
        }
        for (k, chunk) in out.chunks_exact_mut(len).enumerate() {
            self.observe_agent(k, kind, chunk);
        }
        Ok(())
    }

    /// Write agent `k`'s observation into `out` (`obs_len` bytes).
    pub(crate) fn observe_agent(&self, k: usize, kind: ObsKind, out: &mut [u8]) {
        let agent = self.agents[k];
        if agent.removed_for > 0 {
            out.fill(0);
            return;
        }
        let r = self.config.view_radius as i32;
        let side = 2 * r + 1;
        let (h, w) = (self.height as i32, self.width as i32);
        // Window pixel (i, j), offsets (di, dj) = (i − r, j − r): di < 0 is ahead, dj < 0 left.
        // World cell = agent + di · back + dj · right, with back = −forward.
        let (fr, fc) = agent.facing.forward();
        let (rr, rc) = agent.facing.right();
        let channels = kind.channels();
        let mut o = 0;
        for i in 0..side {
            let di = i - r;
            // Start of the row in world coordinates, then one step right per pixel.
            let mut row = agent.row - di * fr - r * rr;
            let mut col = agent.col - di * fc - r * rc;
            for _ in 0..side {
                let px = &mut out[o..o + channels];
                if row >= 0 && col >= 0 && row < h && col < w {
                    let idx = row as usize * self.width + col as usize;
                    match kind {
                        ObsKind::Rgb => px.copy_from_slice(&self.pixel(idx)),
                        ObsKind::OneHot => self.one_hot(idx, k, px),
                    }
                } else {
                    px.fill(0);
                }
                o += channels;
                row += rr;
                col += rc;
            }
        }
        debug_assert_eq!(o, out.len());
    }

    fn one_hot(&self, idx: usize, observer: usize, px: &mut [u8]) {
        px.fill(0);
        let who = self.occupant[idx];
        if who != 0 {
            px[if who as usize - 1 == observer { 6 } else { 7 }] = 1;
        }
        match self.beams[idx] {
            1 => px[4] = 1,
            2 => px[5] = 1,
            _ => {}
        }
        match self.cells[idx] {
            Cell::Empty => {}
            Cell::Wall => px[0] = 1,
            Cell::Apple => px[1] = 1,
            Cell::Waste => px[2] = 1,
            Cell::River => px[3] = 1,
        }
    }

    /// The map as text: `@` wall, `A` apple, `W` waste, `~` river, `*` penalty beam,
    /// `+` clean beam, agents as `^ > v <` by facing (agent 0's facing in upper case is not
    /// distinguished), empty as space.
    pub fn ascii(&self) -> String {
        let mut s = String::with_capacity((self.width + 1) * self.height);
        for row in 0..self.height {
            for col in 0..self.width {
                let i = row * self.width + col;
                let ch = if self.occupant[i] != 0 {
                    match self.agents[self.occupant[i] as usize - 1].facing {
                        Facing::Up => '^',
                        Facing::Right => '>',
                        Facing::Down => 'v',
                        Facing::Left => '<',
                    }
                } else if self.beams[i] == 1 {
                    '*'
                } else if self.beams[i] == 2 {
                    '+'
                } else {
                    match self.cells[i] {
                        Cell::Empty => ' ',
                        Cell::Wall => '@',
                        Cell::Apple => 'A',
                        Cell::Waste => 'W',
                        Cell::River => '~',
                    }
                };
                s.push(ch);
            }
            s.push('\n');
        }
        s
    }

    /// The whole map as RGB (`height × width × 3`), as [`Env::observe`] colours it, with each
    /// agent on the map returned separately for drawing its facing.
    pub fn rgb_frame(&self) -> (Vec<u8>, Vec<AgentMark>) {
        let mut frame = Vec::with_capacity(self.height * self.width * 3);
        for i in 0..self.height * self.width {
            frame.extend_from_slice(&self.pixel(i));
        }
        let agents = (0..self.agents.len())
            .filter_map(|k| {
                self.position(k).map(|i| AgentMark {
                    row: i / self.width,
                    col: i % self.width,
                    facing: self.agents[k].facing,
                    agent: k,
                })
            })
            .collect();
        (frame, agents)
    }
}
