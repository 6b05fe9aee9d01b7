//! Pictures of Cleanup, Harvest and battles: a PNG of one frame or an animated GIF of an episode
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

/// One unit of a battle frame.
#[derive(Debug, Clone)]
pub struct UnitDot {
    /// Centre, in world units.
    pub pos: [f32; 2],
    /// Radius, in world units.
    pub radius: f32,
    /// A learner (blue) or an enemy (red).
    pub ally: bool,
    /// Type index (shade: the first type darkest).
    pub kind: usize,
    /// Flies (drawn as a ring).
    pub air: bool,
    /// Hit points left as a fraction of the maximum (0: dead, drawn as a small grey cross).
    pub hp: f32,
}

/// One frame of a battle: the units and the step's attack (red/blue) and heal (green) lines.
#[derive(Debug, Clone)]
pub struct BattleFrame {
    /// Every unit.
    pub units: Vec<UnitDot>,
    /// `(from, to, heal)` between unit indices.
    pub lines: Vec<(usize, usize, bool)>,
}

impl BattleFrame {
    /// The battle's current frame.
    pub fn of(env: &aga_envs::Mmm2) -> Self {
        let units = (0..env.num_units())
            .map(|u| {
                let s = env.stats(u);
                UnitDot {
                    pos: env.position(u),
                    radius: s.radius(),
                    ally: u < env.num_allies(),
                    kind: env.kind(u),
                    air: s.air,
                    hp: env.hp(u) / s.max_hp,
                }
            })
            .collect();
        let mut lines = Vec::new();
        for u in 0..env.num_units() {
            if let Some(t) = env.shot_in_step(u) {
                lines.push((u, t, false));
            }
            if let Some(t) = env.healed_in_step(u) {
                lines.push((u, t, true));
            }
        }
        Self { units, lines }
    }
}

fn draw_battle<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    frame: &BattleFrame,
    map: [f32; 2],
    scale: f32,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&RGBColor(28, 30, 34)).map_err(err)?;
    // World y grows upwards; pixel rows downwards.
    let px = |p: [f32; 2]| ((p[0] * scale) as i32, ((map[1] - p[1]) * scale) as i32);
    for &(from, to, heal) in &frame.lines {
        let (a, b) = (&frame.units[from], &frame.units[to]);
        let colour = match (heal, a.ally) {
            (true, _) => RGBColor(90, 230, 110),
            (false, true) => RGBColor(120, 170, 255),
            (false, false) => RGBColor(255, 120, 110),
        };
        root.draw(&PathElement::new(
            vec![px(a.pos), px(b.pos)],
            colour.stroke_width(1),
        ))
        .map_err(err)?;
    }
    for u in &frame.units {
        let (x, y) = px(u.pos);
        if u.hp <= 0.0 {
            let d = 2;
            let grey = RGBColor(90, 90, 90);
            root.draw(&PathElement::new(
                vec![(x - d, y - d), (x + d, y + d)],
                grey,
            ))
            .map_err(err)?;
            root.draw(&PathElement::new(
                vec![(x - d, y + d), (x + d, y - d)],
                grey,
            ))
            .map_err(err)?;
            continue;
        }
        // Darker shades for the first types (Marauders), lighter for the next (Marines).
        let shade = (u.kind as u8).min(3) * 45;
        let colour = if u.ally {
            RGBColor(40 + shade, 90 + shade, 220)
        } else {
            RGBColor(220, 50 + shade, 40 + shade)
        };
        let r = ((u.radius * scale) as i32).max(2);
        let style = if u.air {
            colour.stroke_width(2)
        } else {
            colour.filled()
        };
        root.draw(&Circle::new((x, y), r, style)).map_err(err)?;
        // The hit-point bar above the unit.
        let (w, top) = (2 * r, y - r - 4);
        root.draw(&Rectangle::new(
            [(x - r, top), (x - r + w, top + 2)],
            RGBColor(70, 20, 20).filled(),
        ))
        .map_err(err)?;
        let filled = ((w as f32) * u.hp.clamp(0.0, 1.0)) as i32;
        root.draw(&Rectangle::new(
            [(x - r, top), (x - r + filled, top + 2)],
            RGBColor(80, 220, 90).filled(),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Write a battle frame as a PNG, `scale` pixels per world unit.
pub fn battle_png(
    path: &Path,
    frame: &BattleFrame,
    map: [f32; 2],
    scale: u32,
) -> Result<(), String> {
    let size = (
        (map[0] * scale as f32) as u32,
        (map[1] * scale as f32) as u32,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw_battle(&root, frame, map, scale as f32)?;
    root.present().map_err(|e| e.to_string())
}

/// Write battle frames as an animated GIF, `delay_ms` per frame.
pub fn battle_gif(
    path: &Path,
    frames: &[BattleFrame],
    map: [f32; 2],
    scale: u32,
    delay_ms: u32,
) -> Result<(), String> {
    let size = (
        (map[0] * scale as f32) as u32,
        (map[1] * scale as f32) as u32,
    );
    let root = BitMapBackend::gif(path, size, delay_ms)
        .map_err(|e| e.to_string())?
        .into_drawing_area();
    for frame in frames {
        draw_battle(&root, frame, map, scale as f32)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(())
}
