//! PNG plots of the experiments (plotters, bitmap backend).
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (`assets/DejaVuSans.ttf`, free
//! licence in `assets/DejaVuSans-LICENSE.txt`), so plots look the same on a machine without
//! any system fonts.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"));
    });
}

/// Ten distinguishable colours (matplotlib's tab10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A labelled set of points: a curve, a path, or a scatter group.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend label.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// A plotting failure, as text.
pub type PlotResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Area<'b> = DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>;

/// Clear `root` to white and put a titled chart over the given box on it.
fn new_chart<'a, 'b>(
    root: &'a Area<'b>,
    title: &str,
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Result<Chart<'a, 'b>, String> {
    register_font();
    root.fill(&WHITE).map_err(err)?;
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(12)
        // Room for the last x tick's label, which is centred on the right edge.
        .margin_right(28)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
        .map_err(err)
}

/// A tick label: integers without a decimal point, other numbers in at most four significant
/// digits (scientific notation outside `[1e-3, 1e5)`), trailing zeros removed.
pub fn tick_label(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.round() && v.abs() < 1e5 {
        // `-0` prints as `0`.
        return format!("{}", v as i64);
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let text = format!("{v:.2e}");
        let (mantissa, exponent) = text.split_once('e').expect("scientific notation");
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Labels of series whose points equal an earlier series' (to 1e-12 relative) get
/// `" (= that label)"`, since the later curve is drawn exactly over the earlier one.
pub fn mark_identical(labels: &[String], points: &[&[(f64, f64)]]) -> Vec<String> {
    let same = |a: &[(f64, f64)], b: &[(f64, f64)]| {
        a.len() == b.len()
            && !a.is_empty()
            && a.iter().zip(b).all(|(p, q)| {
                p.0 == q.0 && (p.1 - q.1).abs() <= 1e-12 * p.1.abs().max(q.1.abs()).max(1e-300)
            })
    };
    (0..labels.len())
        .map(|k| match (0..k).find(|&j| same(points[j], points[k])) {
            Some(j) => format!("{} (= {}, drawn under it)", labels[k], labels[j]),
            None => labels[k].clone(),
        })
        .collect()
}

/// A legend in its own panel (to the right of the chart, so that it covers no curve): a
/// coloured line and the label per entry.
fn legend_panel(area: &Area<'_>, entries: &[(String, RGBColor)]) -> PlotResult {
    let top = 60;
    for (k, (label, colour)) in entries.iter().enumerate() {
        let y = top + 24 * k as i32;
        area.draw(&PathElement::new(
            vec![(6, y), (30, y)],
            colour.stroke_width(3),
        ))
        .map_err(err)?;
        area.draw(&Text::new(
            label.clone(),
            (36, y - 9),
            ("sans-serif", 16).into_font().color(&BLACK),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The width of a legend panel for these labels (about 8.5 px per character at 16 px).
fn legend_width(labels: &[String]) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (44 + chars * 17 / 2).clamp(120, 420)
}

/// Axis labels (and the grid, unless `grid` is false).
fn draw_axes(chart: &mut Chart<'_, '_>, axes: (&str, &str), grid: bool) -> PlotResult {
    let mut mesh = chart.configure_mesh();
    if !grid {
        mesh.disable_mesh();
    }
    mesh.x_desc(axes.0)
        .y_desc(axes.1)
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)
}

/// The legend at `position`, then write the image.
fn finish<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    root: &Area<'_>,
    position: SeriesLabelPosition,
) -> PlotResult {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// A colour for `t ∈ [0, 1]` on a perceptually ordered dark-blue → green → yellow scale.
fn colour_scale(t: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = STOPS
        .windows(2)
        .position(|w| t <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let (t0, c0) = STOPS[k];
    let (t1, c1) = STOPS[k + 1];
    let u = (t - t0) / (t1 - t0);
    let mix = |i: usize| (c0[i] + u * (c1[i] - c0[i])).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

/// A filled contour map of `field` over the box (banded into `levels` colours, light to dark
/// as the value falls), with paths drawn on top (each with a marker at its end) and a legend.
#[allow(clippy::too_many_arguments)]
pub fn contour_with_paths(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    x_range: (f64, f64),
    y_range: (f64, f64),
    field: &dyn Fn(f64, f64) -> f64,
    levels: usize,
    paths: &[Series],
) -> PlotResult {
    let root = BitMapBackend::new(path, (900, 760)).into_drawing_area();
    let mut chart = new_chart(&root, title, x_range, y_range)?;
    let cells = 180;
    let dx = (x_range.1 - x_range.0) / cells as f64;
    let dy = (y_range.1 - y_range.0) / cells as f64;
    let mut values = Vec::with_capacity(cells * cells);
    for i in 0..cells {
        for j in 0..cells {
            let x = x_range.0 + (i as f64 + 0.5) * dx;
            let y = y_range.0 + (j as f64 + 0.5) * dy;
            values.push((x, y, field(x, y)));
        }
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v.2), b.max(v.2))
        });
    let span = (hi - lo).max(1e-12);
    let levels = levels.max(2);
    chart
        .draw_series(values.iter().map(|&(x, y, v)| {
            let band = (((v - lo) / span) * levels as f64)
                .floor()
                .min(levels as f64 - 1.0);
            let colour = colour_scale(band / (levels as f64 - 1.0));
            Rectangle::new(
                [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                colour.filled(),
            )
        }))
        .map_err(err)?;
    draw_axes(&mut chart, axes, false)?;
    for (k, series) in paths.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let pieces = clip_polyline(&series.points, x_range, y_range);
        // One element per segment: plotters joins thick polylines with mitres, which spike
        // to the edge of the image where a path zigzags.
        chart
            .draw_series(pieces.iter().flat_map(|piece| {
                piece
                    .windows(2)
                    .map(move |w| PathElement::new(vec![w[0], w[1]], colour.stroke_width(3)))
            }))
            .map_err(err)?
            .label(series.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
            });
        if let Some(&end) = series.points.last() {
            if inside(end, x_range, y_range) {
                chart
                    .draw_series(std::iter::once(Circle::new(end, 6, colour.filled())))
                    .map_err(err)?;
            }
        }
    }
    if let Some(start) = paths
        .first()
        .and_then(|s| s.points.first())
        .filter(|p| inside(**p, x_range, y_range))
    {
        chart
            .draw_series(std::iter::once(Cross::new(
                *start,
                9,
                WHITE.stroke_width(3),
            )))
            .map_err(err)?;
    }
    finish(&mut chart, &root, SeriesLabelPosition::UpperRight)
}

fn inside(p: (f64, f64), x_range: (f64, f64), y_range: (f64, f64)) -> bool {
    (x_range.0..=x_range.1).contains(&p.0) && (y_range.0..=y_range.1).contains(&p.1)
}

/// The parts of a polyline inside a box (Liang–Barsky clipping of every segment), as
/// separate pieces: plotters does not clip paths to the plotting area.
pub fn clip_polyline(
    points: &[(f64, f64)],
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = [x0, y0, x1, y1].iter().all(|v| v.is_finite());
        for (p, q) in [
            (-dx, x0 - x_range.0),
            (dx, x_range.1 - x0),
            (-dy, y0 - y_range.0),
            (dy, y_range.1 - y0),
        ] {
            if !visible {
                break;
            }
            if p == 0.0 {
                visible = q >= 0.0;
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
                visible = t0 < t1;
            }
        }
        if !visible {
            if current.len() > 1 {
                pieces.push(std::mem::take(&mut current));
            }
            current.clear();
            continue;
        }
        let a = (x0 + t0 * dx, y0 + t0 * dy);
        let b = (x0 + t1 * dx, y0 + t1 * dy);
        if current.last() != Some(&a) {
            if current.len() > 1 {
                pieces.push(std::mem::take(&mut current));
            }
            current = vec![a];
        }
        current.push(b);
        if t1 < 1.0 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// Curves `y(x)` with a legend.
pub fn lines(path: &Path, title: &str, axes: (&str, &str), series: &[Series]) -> PlotResult {
    let all = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.1.is_finite());
    let (x0, x1, y0, y1) = all.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    );
    if !(x0.is_finite() && y0.is_finite()) {
        return Err("nothing to plot: no curve has a finite value".into());
    }
    let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
    let points: Vec<&[(f64, f64)]> = series.iter().map(|s| s.points.as_slice()).collect();
    let labels = mark_identical(&labels, &points);
    let pad = y_pad(y0, y1);
    let width = legend_width(&labels);
    let root = BitMapBackend::new(path, (900 + width, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(900);
    let mut chart = new_chart(&left, title, (x0, x1.max(x0 + 1.0)), (y0 - pad, y1 + pad))?;
    draw_axes(&mut chart, axes, true)?;
    let mut entries = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied().filter(|p| p.1.is_finite()),
                colour.stroke_width(2),
            ))
            .map_err(err)?;
        entries.push((labels[k].clone(), colour));
    }
    legend_panel(&right, &entries)?;
    root.present().map_err(err)
}

/// A curve with a shaded band around it (e.g. a mean ± one standard deviation).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The legend label.
    pub label: String,
    /// The curve `(x, y)`.
    pub mean: Vec<(f64, f64)>,
    /// The band `(x, low, high)`.
    pub band: Vec<(f64, f64, f64)>,
}

/// The margin above and below `[y0, y1]`: 5% of the range, or, for a flat metric (every run
/// at one value, e.g. a win rate of 0), a readable range around the value instead of one of
/// width 1e-9 whose ticks all print the same.
fn y_pad(y0: f64, y1: f64) -> f64 {
    if y1 - y0 > 1e-12 * y0.abs().max(1.0) {
        (y1 - y0) * 0.05
    } else {
        0.5 * y0.abs().max(1.0)
    }
}

/// Curves with shaded bands and a legend.
pub fn bands(path: &Path, title: &str, axes: (&str, &str), series: &[Band]) -> PlotResult {
    let xs = series.iter().flat_map(|s| s.band.iter().map(|p| p.0));
    let ys = series
        .iter()
        .flat_map(|s| s.band.iter().flat_map(|p| [p.1, p.2]))
        .filter(|y| y.is_finite());
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if !(x0.is_finite() && y0.is_finite()) {
        return Err("nothing to plot: no run has a finite value of this metric yet".into());
    }
    let labels: Vec<String> = series.iter().map(|s| s.label.clone()).collect();
    let points: Vec<&[(f64, f64)]> = series.iter().map(|s| s.mean.as_slice()).collect();
    let labels = mark_identical(&labels, &points);
    let pad = y_pad(y0, y1);
    let width = legend_width(&labels);
    let root = BitMapBackend::new(path, (900 + width, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (left, right) = root.split_horizontally(900);
    let mut chart = new_chart(&left, title, (x0, x1.max(x0 + 1.0)), (y0 - pad, y1 + pad))?;
    draw_axes(&mut chart, axes, true)?;
    let mut entries = Vec::new();
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        entries.push((labels[k].clone(), colour));
        let mut outline: Vec<(f64, f64)> = s.band.iter().map(|p| (p.0, p.2)).collect();
        outline.extend(s.band.iter().rev().map(|p| (p.0, p.1)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.18).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                s.mean.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(err)?;
    }
    legend_panel(&right, &entries)?;
    root.present().map_err(err)
}

/// Groups of points in a fixed box, one colour per group, with a legend.
pub fn scatter(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    x_range: (f64, f64),
    y_range: (f64, f64),
    groups: &[Series],
) -> PlotResult {
    let root = BitMapBackend::new(path, (900, 760)).into_drawing_area();
    let mut chart = new_chart(&root, title, x_range, y_range)?;
    draw_axes(&mut chart, axes, true)?;
    for (k, g) in groups.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(
                g.points
                    .iter()
                    .map(|&p| Circle::new(p, 5, colour.mix(0.7).filled())),
            )
            .map_err(err)?
            .label(g.label.clone())
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, colour.filled()));
    }
    finish(&mut chart, &root, SeriesLabelPosition::MiddleRight)
}

#[cfg(test)]
mod tests {
    use super::{clip_polyline, mark_identical, tick_label};

    #[test]
    fn tick_labels_drop_trailing_zeros_and_use_scientific_notation_at_the_extremes() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (100.0, "100"),
            (20.0, "20"),
            (-3.0, "-3"),
            (0.5, "0.5"),
            (0.25, "0.25"),
            (1.2345678, "1.235"),
            (-2500.7, "-2501"),
            (12345.6, "12346"),
            (1.5e6, "1.5e6"),
            (2.0e-4, "2e-4"),
            (-7.25e-5, "-7.25e-5"),
        ];
        for (v, expected) in cases {
            assert_eq!(tick_label(v), expected, "{v}");
        }
    }

    #[test]
    fn identical_curves_are_named_in_the_legend() {
        let a = vec![(0.0, 1.0), (1.0, 2.0)];
        let b = vec![(0.0, 1.0), (1.0, 2.5)];
        let labels = ["simgd", "sga", "aga"].map(String::from).to_vec();
        let out = mark_identical(&labels, &[&a, &a, &b]);
        assert_eq!(out[0], "simgd");
        assert_eq!(out[1], "sga (= simgd, drawn under it)");
        assert_eq!(out[2], "aga");
    }

    #[test]
    fn clipping_keeps_inside_parts_and_cuts_at_the_border() {
        let b = ((0.0, 1.0), (0.0, 1.0));
        // Inside, out through the right edge, back in through the top.
        let path = [(0.5, 0.5), (1.5, 0.5), (0.5, 1.5), (0.5, 0.8)];
        let pieces = clip_polyline(&path, b.0, b.1);
        assert_eq!(
            pieces,
            vec![vec![(0.5, 0.5), (1.0, 0.5)], vec![(0.5, 1.0), (0.5, 0.8)]]
        );
        // Entirely outside.
        assert!(clip_polyline(&[(2.0, 2.0), (3.0, 2.0)], b.0, b.1).is_empty());
    }
}
