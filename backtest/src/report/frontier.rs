//! The frontier of a sweep: for each job, what holders paid a year (x, log scale) against what the
//! maker made (y), with its delta hedge and without it (the options book alone), with the holders' other ways out at their own cost a
//! year on the same axes (vertical lines: crossing through the puts and the future, through the
//! calls, the AMM, liquidations as borrowers) and the 0.25% goal. An HTML page with the chart and
//! the points as a table.

use super::chart::line_mark;
use super::page::{esc, readable};
use super::ReportError;
use plotters::prelude::*;
use std::fmt::Write as _;

/// One job of the sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontierPoint {
    /// The job's settings, e.g. "package.edge_bps=1".
    pub label: String,
    /// Holders' cost, percent of their notional a year.
    pub cost_pct: f64,
    /// The maker's PnL, its delta hedge's included.
    pub pnl_usd: f64,
    /// The maker's PnL without its hedge's: the options book alone.
    pub pnl_unhedged_usd: f64,
}

/// The chart and table of `points`, with `baselines` ((label, percent a year)) as vertical lines.
pub fn frontier_page(
    title: &str,
    points: &[FrontierPoint],
    baselines: &[(String, f64)],
) -> Result<String, ReportError> {
    let svg = frontier_chart(points, baselines)?;
    let mut page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse}}td,th{{padding:2px 12px;border-bottom:1px solid #eee}}\
         td.v{{text-align:right}}</style></head><body><h1>{t}</h1>{svg}<table>\
         <tr><th>job</th><th>holders, % a year</th><th>maker PnL, USD</th>\
         <th>without the hedge, USD</th></tr>",
        t = esc(title)
    );
    for p in points {
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"v\">{:.3}</td><td class=\"v\">{}</td>\
             <td class=\"v\">{}</td></tr>",
            esc(&p.label),
            p.cost_pct,
            readable(p.pnl_usd),
            readable(p.pnl_unhedged_usd)
        );
    }
    page.push_str("</table><p>Holders' other ways out, % of their notional a year: ");
    let others: Vec<String> = baselines
        .iter()
        .map(|(l, x)| format!("{} {x:.3}", esc(l)))
        .collect();
    page.push_str(&others.join("; "));
    page.push_str("</p></body></html>\n");
    Ok(page)
}

/// One figure of a point.
type Figure = fn(&FrontierPoint) -> f64;

fn frontier_chart(
    points: &[FrontierPoint],
    baselines: &[(String, f64)],
) -> Result<String, ReportError> {
    let err = |e: String| ReportError::Plot("frontier", e);
    let xs = points
        .iter()
        .map(|p| p.cost_pct)
        .chain(baselines.iter().map(|b| b.1))
        .chain([0.25])
        .filter(|x| x.is_finite() && *x > 0.0);
    let (x0, x1) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let (x0, x1) = if x0 < x1 {
        (x0 / 1.5, x1 * 1.5)
    } else {
        (0.01, 10.0)
    };
    let ys = points.iter().flat_map(|p| [p.pnl_usd, p.pnl_unhedged_usd]);
    let (y0, y1) = ys
        .filter(|y| y.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let pad = 0.05 * (y1 - y0).max(1.0);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut c = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(80)
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
            .map_err(|e| err(e.to_string()))?;
        c.configure_mesh()
            .x_desc("holders' cost, % of notional a year (log)")
            .y_desc("maker PnL, USD")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let mut sorted = points.to_vec();
        sorted.sort_by(|a, b| a.cost_pct.total_cmp(&b.cost_pct));
        let series: [(&str, Figure); 2] = [
            ("maker PnL (delta-hedged)", |p| p.pnl_usd),
            ("without the hedge", |p| p.pnl_unhedged_usd),
        ];
        for (i, (label, y)) in series.into_iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let pts: Vec<(f64, f64)> = sorted.iter().map(|p| (p.cost_pct, y(p))).collect();
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| err(e.to_string()))?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
        let goal = ("goal 0.25%".to_string(), 0.25);
        for (i, (label, x)) in baselines.iter().chain([&goal]).enumerate() {
            let color = Palette99::pick(i + 2).to_rgba();
            if !(x.is_finite() && *x > 0.0) {
                continue;
            }
            c.draw_series(LineSeries::new([(*x, y0), (*x, y1)], color.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?
                .label(label.clone())
                .legend(line_mark(color));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_plots_every_point_and_lists_the_baselines() {
        let points = [
            FrontierPoint {
                label: "edge 1".into(),
                cost_pct: 0.24,
                pnl_usd: -1000.0,
                pnl_unhedged_usd: 500.0,
            },
            FrontierPoint {
                label: "edge 10".into(),
                cost_pct: 0.37,
                pnl_usd: 2000.0,
                pnl_unhedged_usd: 900.0,
            },
        ];
        let baselines = [
            ("through the puts".to_string(), 0.67),
            ("AMM".to_string(), 12.6),
        ];
        let page = frontier_page("f", &points, &baselines).unwrap();
        assert_eq!(
            page.matches("<circle").count(),
            4 + 2,
            "four points and two legend marks"
        );
        assert!(page.contains("edge 10") && page.contains("AMM 12.600"));
        assert!(page.contains("goal 0.25%"));
    }
}
