//! Pictures of Cleanup and Harvest: a PNG of one frame or an animated GIF of an episode
//! (plotters' bitmap backend). Each map cell is a `scale × scale` square in the environment's
//! own colours; agents are drawn in their colours with a white notch on the side they face.

use aga_envs::{AgentMark, Env, Facing, AGENT_COLOURS};
use plotters::prelude::*;
use std::path::Path;

/// One frame: the map's RGB pixels (`height × width × 3`) and the agents on it.
#[derive(Debug, Clone)]
pub struct Frame {
    /// `height × width × 3` bytes.
    pub rgb: Vec<u8>,
    /// The agents on the map.
    pub agents: Vec<AgentMark>,
}

impl Frame {
    /// The environment's current frame.
    pub fn of(env: &Env) -> Self {
        let (rgb, agents) = env.rgb_frame();
        Self { rgb, agents }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    frame: &Frame,
    (height, width): (usize, usize),
    scale: i32,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&BLACK).map_err(err)?;
    for row in 0..height {
        for col in 0..width {
            let p = &frame.rgb[(row * width + col) * 3..(row * width + col) * 3 + 3];
            let (x, y) = (col as i32 * scale, row as i32 * scale);
            root.draw(&Rectangle::new(
                [(x, y), (x + scale, y + scale)],
                RGBColor(p[0], p[1], p[2]).filled(),
            ))
            .map_err(err)?;
        }
    }
    for mark in &frame.agents {
        let c = AGENT_COLOURS[mark.agent % AGENT_COLOURS.len()];
        let (x, y) = (mark.col as i32 * scale, mark.row as i32 * scale);
        root.draw(&Rectangle::new(
            [(x, y), (x + scale, y + scale)],
            RGBColor(c[0], c[1], c[2]).filled(),
        ))
        .map_err(err)?;
        // A white notch on the facing side: a third of the cell wide, a quarter deep.
        let (s, q, t) = (scale, (scale / 4).max(1), scale / 3);
        let notch = match mark.facing {
            Facing::Up => [(x + t, y), (x + s - t, y + q)],
            Facing::Down => [(x + t, y + s - q), (x + s - t, y + s)],
            Facing::Left => [(x, y + t), (x + q, y + s - t)],
            Facing::Right => [(x + s - q, y + t), (x + s, y + s - t)],
        };
        root.draw(&Rectangle::new(notch, WHITE.filled()))
            .map_err(err)?;
    }
    Ok(())
}

/// Write `frame` of a `height × width` map as a PNG with `scale` pixels per cell.
pub fn png(path: &Path, frame: &Frame, shape: (usize, usize), scale: u32) -> Result<(), String> {
    let size = (shape.1 as u32 * scale, shape.0 as u32 * scale);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw(&root, frame, shape, scale as i32)?;
    root.present().map_err(|e| e.to_string())
}

/// Write `frames` as an animated GIF, `delay_ms` per frame.
pub fn gif(
    path: &Path,
    frames: &[Frame],
    shape: (usize, usize),
    scale: u32,
    delay_ms: u32,
) -> Result<(), String> {
    let size = (shape.1 as u32 * scale, shape.0 as u32 * scale);
    let root = BitMapBackend::gif(path, size, delay_ms)
        .map_err(|e| e.to_string())?
        .into_drawing_area();
    for frame in frames {
        draw(&root, frame, shape, scale as i32)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(())
}
