//! Results: one table per scenario (printed as a Markdown table) and the same figures as JSON.

use serde_json::{json, Map, Value};

/// The results of one scenario.
pub struct Report {
    pub id: &'static str,
    pub title: String,
    /// Rows of (column, value), columns in display order.
    pub rows: Vec<Vec<(String, Value)>>,
    /// Sub-tables: (index of the first row, id, heading), in row order; rows before the first
    /// one form an untitled table.
    pub sections: Vec<(usize, &'static str, String)>,
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
            sections: Vec::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            load_before: super::target::loadavg(),
        }
    }

    pub fn row(&mut self, cols: Vec<(&str, Value)>) {
        self.rows
            .push(cols.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    }

    /// Starts a sub-table: the rows added from now on are printed under `heading`, and carry
    /// `"table": id` in the JSON (for a scenario whose phases have different columns).
    pub fn section(&mut self, id: &'static str, heading: impl Into<String>) {
        self.sections.push((self.rows.len(), id, heading.into()));
    }

    /// The id of the sub-table row `i` belongs to.
    fn section_of(&self, i: usize) -> Option<&'static str> {
        self.sections
            .iter()
            .rev()
            .find(|(first, _, _)| *first <= i)
            .map(|(_, id, _)| *id)
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

    /// A Markdown table of the rows (one per section), then the notes and failures.
    pub fn table(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        let mut starts: Vec<(usize, Option<&str>)> = vec![(0, None)];
        starts.extend(self.sections.iter().map(|(i, _, h)| (*i, Some(h.as_str()))));
        for (k, &(first, heading)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map_or(self.rows.len(), |s| s.0);
            let rows = &self.rows[first.min(end)..end];
            if rows.is_empty() {
                continue;
            }
            if let Some(h) = heading {
                out.push_str(&format!("#### {h}\n\n"));
            }
            out.push_str(&markdown(rows));
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
            .enumerate()
            .map(|(i, r)| {
                let mut m = Map::new();
                if let Some(h) = self.section_of(i) {
                    m.insert("table".into(), json!(h));
                }
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

/// One Markdown table of these rows (columns in first-seen order, right-aligned).
fn markdown(rows: &[Vec<(String, Value)>]) -> String {
    let mut cols: Vec<&String> = Vec::new();
    for r in rows {
        for (k, _) in r {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| {
                    r.iter()
                        .find(|(k, _)| k == *c)
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
    let mut out = line(cols.iter().map(|c| c.to_string()).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in cells {
        out.push_str(&line(r));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_print_one_table_each_and_name_their_rows() {
        let mut r = Report::new("t", "T");
        r.row(vec![("a", json!(1))]);
        r.section("one", "first");
        r.row(vec![("b", json!(2))]);
        r.section("two", "second");
        r.row(vec![("c", json!(3))]);
        let text = r.table();
        assert!(text.contains("| a |\n| - |\n| 1 |\n"));
        assert!(text.contains("#### first\n\n| b |\n| - |\n| 2 |\n"));
        assert!(text.contains("#### second\n\n| c |"));
        let rows = &r.json()["rows"];
        assert_eq!(rows[0].get("table"), None);
        assert_eq!(rows[1]["table"], json!("one"));
        assert_eq!(rows[2]["table"], json!("two"));
    }
}
