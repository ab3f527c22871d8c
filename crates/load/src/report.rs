//! Results: one table per scenario (printed as a Markdown table) and the same figures as JSON.

use serde_json::{json, Map, Value};

/// The results of one scenario.
pub struct Report {
    pub id: &'static str,
    pub title: String,
    /// Rows of (column, value), columns in display order.
    pub rows: Vec<Vec<(String, Value)>>,
    pub notes: Vec<String>,
    /// Anything that makes the run fail (errors, nothing delivered).
    pub failures: Vec<String>,
    /// The 1/5/15-minute load average when the scenario started.
    pub load_before: String,
}

impl Report {
    pub fn new(id: &'static str, title: impl Into<String>) -> Report {
        Report {
            id,
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            load_before: super::target::loadavg(),
        }
    }

    pub fn row(&mut self, cols: Vec<(&str, Value)>) {
        self.rows
            .push(cols.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    }

    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        super::stats::PROGRESS.note(&text);
        self.notes.push(text);
    }

    pub fn fail(&mut self, text: impl Into<String>) {
        let text = text.into();
        super::stats::PROGRESS.note(&format!("FAIL: {text}"));
        self.failures.push(text);
    }

    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// A Markdown table of the rows, then the notes and failures.
    pub fn table(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        let mut cols: Vec<String> = Vec::new();
        for r in &self.rows {
            for (k, _) in r {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
        if !cols.is_empty() {
            let cells: Vec<Vec<String>> = self
                .rows
                .iter()
                .map(|r| {
                    cols.iter()
                        .map(|c| {
                            r.iter()
                                .find(|(k, _)| k == c)
                                .map(|(_, v)| cell(v))
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .collect();
            let widths: Vec<usize> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    cells
                        .iter()
                        .map(|r| r[i].chars().count())
                        .chain([c.chars().count()])
                        .max()
                        .unwrap_or(1)
                })
                .collect();
            let line = |items: Vec<String>| {
                let padded: Vec<String> = items
                    .iter()
                    .zip(&widths)
                    .map(|(s, w)| format!("{s:>w$}"))
                    .collect();
                format!("| {} |\n", padded.join(" | "))
            };
            out.push_str(&line(cols.clone()));
            out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
            for r in cells {
                out.push_str(&line(r));
            }
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str(&format!("- {n}\n"));
        }
        for f in &self.failures {
            out.push_str(&format!("- FAILED: {f}\n"));
        }
        out.push_str(&format!(
            "- load average before the scenario: {}\n",
            self.load_before
        ));
        out
    }

    pub fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut m = Map::new();
                for (k, v) in r {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m)
            })
            .collect();
        json!({
            "id": self.id,
            "title": self.title,
            "ok": self.ok(),
            "rows": rows,
            "notes": self.notes,
            "failures": self.failures,
            "load_before": self.load_before,
        })
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                if f.abs() >= 100.0 {
                    format!("{f:.0}")
                } else if f.abs() >= 10.0 {
                    format!("{f:.1}")
                } else {
                    format!("{f:.2}")
                }
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}
