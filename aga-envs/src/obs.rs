//! Egocentric observations: a `(2r + 1)²` window centred on the agent, rotated so that the agent
//! faces up (row 0 of the window is ahead), written into caller-owned buffers in
//! height × width × channel order (the layout a Burn tensor `[H, W, C]` is built from).

use crate::env::{Cell, Env, Facing};
use crate::EnvError;

/// Agent colours 1–9 (RGB); agent `k` uses colour `k mod 9`. The SSD reference's, except agent
/// 6: the reference gives it the clean beam's 100,255,255, so with six or more agents a beam and
/// an agent looked the same; here it is 255,120,170, a colour nothing else uses.
pub const AGENT_COLOURS: [[u8; 3]; 9] = [
    [0, 0, 255],
    [2, 81, 154],
    [204, 0, 204],
    [216, 30, 54],
    [254, 151, 0],
    [255, 120, 170],
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
/// outside of the map are all zeros (walls with [`EnvConfig::walls_outside`]). With
/// [`EnvConfig::orientation_channels`] four more follow ([`ORIENTATION_CHANNELS`]).
///
/// [`EnvConfig::walls_outside`]: crate::EnvConfig::walls_outside
/// [`EnvConfig::orientation_channels`]: crate::EnvConfig::orientation_channels
pub const ONE_HOT_CHANNELS: usize = 8;

/// The relative-orientation channels after the one-hot ones: on another agent's cell, its facing
/// relative to the observer's — the same, a quarter turn anticlockwise, opposite, a quarter turn
/// clockwise (SocialJax's order: `(other − mine) mod 4` with its headings numbered
/// anticlockwise).
pub const ORIENTATION_CHANNELS: usize = 4;

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

/// The six cell channels of a one-hot pixel from its packed bits.
const UNPACK: [[u8; 6]; 64] = {
    let mut table = [[0u8; 6]; 64];
    let mut bits = 0;
    while bits < 64 {
        let mut c = 0;
        while c < 6 {
            table[bits][c] = ((bits >> c) & 1) as u8;
            c += 1;
        }
        bits += 1;
    }
    table
};

/// The map drawn once per observation call, padded with the view radius.
struct PaddedFrame {
    data: Vec<u8>,
    agent_of: Vec<u16>,
    width: usize,
}

/// Which observation to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ObsKind {
    /// `(2r + 1) × (2r + 1) × 3` bytes of RGB, the reference's colours.
    Rgb,
    /// `(2r + 1) × (2r + 1) × 8` bytes, one channel per cell kind ([`ONE_HOT_CHANNELS`]), and
    /// [`ORIENTATION_CHANNELS`] more where the environment asks for them.
    OneHot,
}

impl ObsKind {
    /// Channels per pixel, without the optional orientation channels
    /// ([`Env::obs_channels`] has them).
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
        side * side * self.obs_channels(kind)
    }

    /// Channels per pixel of kind `kind` here (one-hot: 8, and 4 more with
    /// [`EnvConfig::orientation_channels`](crate::EnvConfig::orientation_channels)).
    pub fn obs_channels(&self, kind: ObsKind) -> usize {
        match kind {
            ObsKind::OneHot if self.config.orientation_channels => {
                ONE_HOT_CHANNELS + ORIENTATION_CHANNELS
            }
            _ => kind.channels(),
        }
    }

    /// Rows of the view ahead of the agent (the window's row 0 is this far ahead).
    pub fn view_ahead(&self) -> usize {
        self.config.view_ahead.unwrap_or(self.config.view_radius)
    }

    /// The padding around the map in the frame the views are cut from.
    fn view_pad(&self) -> usize {
        self.view_ahead().max(self.config.view_radius)
    }

    /// The colour of the map at `i` as every observer sees it: an agent, else a beam drawn this
    /// step, else the cell.
    fn pixel(&self, i: usize) -> [u8; 3] {
        let who = self.occupant[i];
        if who != 0 {
            return AGENT_COLOURS[(who as usize - 1) % AGENT_COLOURS.len()];
        }
        match (self.config.beams_in_observations, self.beams[i]) {
            (true, 1) => FIRE_BEAM,
            (true, 2) => CLEAN_BEAM,
            _ => cell_colour(self.cells[i]),
        }
    }

    /// Write every agent's observation into `out` (`num_agents × obs_len` bytes, agent-major).
    /// A removed agent (removal variant) sees nothing: its observation is all zeros.
    ///
    /// The map is first drawn once into a frame padded by the view radius on every side (the
    /// padding is the black outside of the map), so that each observation pixel is one lookup
    /// and, for an agent facing up, each window row is one contiguous copy.
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
        let frame = self.padded_frame(kind);
        for (k, chunk) in out.chunks_exact_mut(len).enumerate() {
            self.observe_agent(&frame, k, kind, chunk);
        }
        Ok(())
    }

    /// The map drawn with a border as wide as the view reaches (black, or walls with
    /// [`EnvConfig::walls_outside`](crate::EnvConfig::walls_outside)): RGB bytes, or for
    /// one-hot one byte per cell holding the cell's one-hot bits (channels 0–5), with each
    /// agent's index in `agent_of` (resolved against the observer per pixel).
    fn padded_frame(&self, kind: ObsKind) -> PaddedFrame {
        let r = self.view_pad();
        let (ph, pw) = (self.height + 2 * r, self.width + 2 * r);
        let mut data = match (kind, self.config.walls_outside) {
            (ObsKind::Rgb, false) => vec![0u8; ph * pw * 3],
            (ObsKind::Rgb, true) => WALL.repeat(ph * pw),
            (ObsKind::OneHot, walls) => vec![walls as u8; ph * pw],
        };
        let mut agent_of = vec![u16::MAX; if kind == ObsKind::OneHot { ph * pw } else { 0 }];
        for row in 0..self.height {
            for col in 0..self.width {
                let i = row * self.width + col;
                let p = (row + r) * pw + col + r;
                match kind {
                    ObsKind::Rgb => data[p * 3..p * 3 + 3].copy_from_slice(&self.pixel(i)),
                    ObsKind::OneHot => {
                        let mut bits = match self.cells[i] {
                            Cell::Empty => 0u8,
                            Cell::Wall => 1,
                            Cell::Apple => 2,
                            Cell::Waste => 4,
                            Cell::River => 8,
                        };
                        bits |= match (self.config.beams_in_observations, self.beams[i]) {
                            (true, 1) => 16,
                            (true, 2) => 32,
                            _ => 0,
                        };
                        data[p] = bits;
                        if self.occupant[i] != 0 {
                            agent_of[p] = self.occupant[i] - 1;
                        }
                    }
                }
            }
        }
        PaddedFrame {
            data,
            agent_of,
            width: pw,
        }
    }

    /// Write agent `k`'s observation into `out` (`obs_len` bytes) from the padded frame.
    fn observe_agent(&self, frame: &PaddedFrame, k: usize, kind: ObsKind, out: &mut [u8]) {
        let agent = self.agents[k];
        if agent.removed_for > 0 {
            out.fill(0);
            return;
        }
        let r = self.config.view_radius as i32;
        let ahead = self.view_ahead() as i32;
        let pad = self.view_pad() as i32;
        let side = (2 * r + 1) as usize;
        let pw = frame.width as i32;
        // Window pixel (i, j), offsets (di, dj) = (i − ahead, j − r): di < 0 is ahead, dj < 0
        // left. World cell = agent + di · back + dj · right, with back = −forward; in the padded
        // frame the agent sits at (row + pad, col + pad).
        let (fr, fc) = agent.facing.forward();
        let (rr, rc) = agent.facing.right();
        let step = (rr * pw + rc) as isize; // one pixel to the right, in frame cells
        let (ar, ac) = (agent.row + pad, agent.col + pad);
        match kind {
            ObsKind::Rgb => {
                for (i, row_out) in out.chunks_exact_mut(side * 3).enumerate() {
                    let di = i as i32 - ahead;
                    let start = ((ar - di * fr - r * rr) * pw + (ac - di * fc - r * rc)) as isize;
                    if step == 1 {
                        let s = start as usize * 3;
                        row_out.copy_from_slice(&frame.data[s..s + side * 3]);
                    } else {
                        let mut p = start;
                        for px in row_out.chunks_exact_mut(3) {
                            let s = p as usize * 3;
                            px.copy_from_slice(&frame.data[s..s + 3]);
                            p += step;
                        }
                    }
                }
            }
            ObsKind::OneHot => {
                let channels = self.obs_channels(kind);
                for (i, row_out) in out.chunks_exact_mut(side * channels).enumerate() {
                    let di = i as i32 - ahead;
                    let mut p = ((ar - di * fr - r * rr) * pw + (ac - di * fc - r * rc)) as isize;
                    for px in row_out.chunks_exact_mut(channels) {
                        px[..6].copy_from_slice(&UNPACK[frame.data[p as usize] as usize]);
                        let who = frame.agent_of[p as usize];
                        let other = who != u16::MAX && who as usize != k;
                        px[6] = (who != u16::MAX && who as usize == k) as u8;
                        px[7] = other as u8;
                        if channels > ONE_HOT_CHANNELS {
                            px[ONE_HOT_CHANNELS..].fill(0);
                            if other {
                                // Facings are numbered clockwise here, anticlockwise in
                                // SocialJax: its `(other − mine) mod 4` is our `mine − other`.
                                let turn = (agent.facing as usize + 4
                                    - self.agents[who as usize].facing as usize)
                                    % 4;
                                px[ONE_HOT_CHANNELS + turn] = 1;
                            }
                        }
                        p += step;
                    }
                }
            }
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
