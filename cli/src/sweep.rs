//! `pinlab sweep`: the model's sweep (`mm_model::sweep`) as a table, and optionally a chart.

use std::path::PathBuf;

use mm_model::sweep::{compute, render_svg, render_table};
use mm_model::{Duration, Overrides};

use crate::{parse_cost, Usage};

/// `pinlab sweep [--svg FILE] [--cost NAME=DUR]...`
#[derive(clap::Args)]
pub struct SweepArgs {
    /// Also write a log-log line chart to FILE
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Override a cost entry, e.g. atomic=8ns (repeatable)
    #[arg(long = "cost", value_name = "NAME=DUR", value_parser = parse_cost)]
    costs: Vec<(String, Duration)>,
}

pub fn cmd_sweep(a: &SweepArgs) -> Result<u8, Usage> {
    let o = Overrides {
        costs: a.costs.clone(),
        ..Overrides::default()
    };
    let rows = compute(&o);
    if let Some(path) = &a.svg {
        std::fs::write(path, render_svg(&rows))
            .map_err(|e| Usage(format!("cannot write `{}`: {e}", path.display())))?;
    }
    print!("{}", render_table(&rows));
    Ok(0)
}
