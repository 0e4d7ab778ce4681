//! The result table printed to standard output and the optional JSON file.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::load::Measured;
use crate::memory::MemoryPeak;
use crate::stats::Summary;

/// One measured line of a benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The group of lines, such as the database backend.
    pub group: String,
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
    pub memory: MemoryPeak,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl Row {
    pub fn new(group: &str, name: &str, measured: Measured) -> Row {
        Row { group: group.to_owned(), name: name.to_owned(), summary: measured.summary, memory: measured.memory, first_error: measured.first_error }
    }
}

/// Prints `rows` as a Markdown table, so it can be pasted into docs/BENCHMARKS.md.
pub fn print_table(rows: &[Row]) {
    println!("| group | measurement | requests | errors | per second | p50 ms | p99 ms | max ms | max RSS MiB | VmHWM MiB |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let summary = &row.summary;
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} |",
            row.group,
            row.name,
            summary.requests,
            summary.errors,
            summary.rate_per_s,
            summary.p50_ms,
            summary.p99_ms,
            summary.max_ms,
            row.memory.max_rss_mib,
            row.memory.hwm_mib
        );
    }
    for row in rows.iter().filter(|row| row.first_error.is_some()) {
        println!("first error of {} / {}: {}", row.group, row.name, row.first_error.as_deref().unwrap_or_default());
    }
}

/// A comparison of a measured figure with its target.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

pub fn print_checks(checks: &[Check]) {
    println!();
    println!("| target | measured | met |");
    println!("|---|---|---|");
    for check in checks {
        println!("| {} | {} | {} |", check.target, check.measured, if check.met { "yes" } else { "**no**" });
    }
}

#[derive(Serialize)]
struct Document<'a, P: Serialize> {
    benchmark: &'a str,
    date: String,
    parameters: &'a P,
    rows: &'a [Row],
    checks: &'a [Check],
}

/// Writes the results with the run's parameters as pretty-printed JSON.
pub fn write_json<P: Serialize>(path: &Path, benchmark: &str, parameters: &P, rows: &[Row], checks: &[Check]) -> anyhow::Result<()> {
    let document = Document { benchmark, date: chrono::Utc::now().to_rfc3339(), parameters, rows, checks };
    let text = serde_json::to_string_pretty(&document)?;
    std::fs::write(path, text).with_context(|| format!("failed to write {}", path.display()))
}
