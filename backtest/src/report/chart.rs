//! The report's charts: lines over calendar dates (a gap in the data breaks a line) or over
//! hours, drawn as inline SVG.

use plotters::prelude::*;

use super::ReportError;

/// Lines on one chart: (label, points as (x, value)).
pub(super) type Lines = Vec<(String, Vec<(f64, f64)>)>;

/// A chart's x axis: days since `t0` (nanoseconds), labelled with calendar dates; or hours.
#[derive(Clone, Copy)]
pub(super) enum Axis {
    Dates(i64),
    Hours,
}

/// Points further apart than this (days) are a gap in the data: the line breaks there.
pub(super) const GAP_DAYS: f64 = 0.5;

/// `points` cut where x jumps by more than `gap` or y is not finite.
pub(super) fn segments(points: &[(f64, f64)], gap: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(x, y) in points {
        let last = out.last().and_then(|s| s.last()).map(|p| p.0);
        if !y.is_finite() || last.is_some_and(|l| x - l > gap) {
            out.push(Vec::new());
        }
        if let (true, Some(seg)) = (y.is_finite(), out.last_mut()) {
            seg.push((x, y));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The x and y ranges of `lines` (unit ranges where there is nothing to span).
fn bounds(lines: &Lines) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in lines.iter().flat_map(|l| l.1.iter()) {
        if y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    // No finite points, or one x: a unit range (NaN bounds compare false).
    if x0.partial_cmp(&x1) != Some(std::cmp::Ordering::Less) {
        x0 = 0.0;
        x1 = 1.0;
    }
    if y0.partial_cmp(&y1) != Some(std::cmp::Ordering::Less) {
        let c = if y0.is_finite() { y0 } else { 0.0 };
        y0 = c - 1.0;
        y1 = c + 1.0;
    }
    let pad = 0.05 * (y1 - y0);
    ((x0, x1), (y0 - pad, y1 + pad))
}

/// A line's mark in a chart's legend.
pub(super) fn line_mark(color: RGBAColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
}

pub(super) fn chart(
    name: &'static str,
    y_label: &str,
    axis: Axis,
    lines: &Lines,
) -> Result<String, ReportError> {
    let err = |e: String| ReportError::Plot(name, e);
    let ((x0, x1), (y0, y1)) = bounds(lines);
    let date = |x: &f64| match axis {
        Axis::Dates(t0) => engine::Timestamp(t0 + (x * 86_400e9) as i64)
            .to_string()
            .get(..10)
            .unwrap_or_default()
            .to_string(),
        Axis::Hours => format!("{x:.0}"),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut c = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(e.to_string()))?;
        c.configure_mesh()
            .x_desc(match axis {
                Axis::Dates(_) => "date (UTC)",
                Axis::Hours => "hours after the request",
            })
            .x_label_formatter(&date)
            .x_labels(8)
            .y_desc(y_label)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let gap = match axis {
            Axis::Dates(_) => GAP_DAYS,
            Axis::Hours => f64::INFINITY,
        };
        for (i, (label, points)) in lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            for (k, seg) in segments(points, gap).into_iter().enumerate() {
                let drawn = c
                    .draw_series(LineSeries::new(seg, color.stroke_width(2)))
                    .map_err(|e| err(e.to_string()))?;
                if k == 0 {
                    drawn.label(label.clone()).legend(line_mark(color));
                }
            }
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}
