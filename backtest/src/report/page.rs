//! The report's page: the summary as a table a person reads, then the charts.

use std::fmt::Write as _;

/// The page: the summary as a table, then the charts under their headings.
pub(super) fn page(title: &str, summary_json: &str, charts: &[(&str, String)]) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse}}td{{padding:2px 12px;border-bottom:1px solid #eee}}\
         td.v{{text-align:right;font-variant-numeric:tabular-nums}}h2{{font-size:1.1em;margin-top:2em}}</style>\
         </head><body><h1>{t}</h1><h2>Summary</h2>{table}",
        t = esc(title),
        table = summary_table(summary_json)
    );
    for (heading, svg) in charts {
        let _ = write!(page, "<h2>{}</h2>{svg}", esc(heading));
    }
    let _ = writeln!(page, "</body></html>");
    page
}

pub(super) fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The summary's figures as table rows, nested ones by their dotted path; numbers with
/// thousands apart and at most three decimals (the JSON beside the report has them all).
pub(super) fn summary_table(summary_json: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(summary_json) else {
        return format!("<pre>{}</pre>", esc(summary_json));
    };
    let mut rows = String::from("<table>");
    let mut add = |k: &str, x: &serde_json::Value| {
        let text = match x {
            serde_json::Value::Number(n) => n.as_f64().map_or(n.to_string(), readable),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "none".to_string(),
            other => other.to_string(),
        };
        let _ = write!(
            rows,
            "<tr><td>{}</td><td class=\"v\">{}</td></tr>",
            esc(k),
            esc(&text)
        );
    };
    for (k, x) in flatten(&v) {
        add(&k, x);
    }
    rows.push_str("</table>");
    rows
}

/// The plain values under object `v` by dotted path (`rolls.hours_to_fill.p50`), in order;
/// lists are left out. The report's summary table and a sweep's merged columns both read a
/// summary this way.
pub fn flatten(v: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    use serde_json::Value;
    let mut out = Vec::new();
    let Some(o) = v.as_object() else {
        return out;
    };
    for (k, x) in o {
        match x {
            Value::Object(_) => out.extend(
                flatten(x)
                    .into_iter()
                    .map(|(sub, y)| (format!("{k}.{sub}"), y)),
            ),
            Value::Array(_) => {}
            _ => out.push((k.clone(), x)),
        }
    }
    out
}

/// A number as a person reads it: 1,234,567 or 0.123.
pub(super) fn readable(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let digits = format!("{}", x.abs() as i64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if x < 0.0 { format!("-{out}") } else { out };
    }
    if x.abs() >= 1000.0 {
        return readable(x.round());
    }
    format!("{x:.3}")
}
