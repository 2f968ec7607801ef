//! `pinlab sweep`: the model's sweep (`mm_model::sweep`) as a table, and optionally a chart.

use mm_model::sweep::{compute, render_svg, render_table};
use mm_model::Overrides;

use crate::{parse_cost, split_args, Usage};

/// `pinlab sweep [--svg FILE] [--cost NAME=DUR]...`
pub fn cmd_sweep(args: &[String]) -> Result<u8, Usage> {
    let (opts, pos) = split_args(args, &["--svg", "--cost"])?;
    if !pos.is_empty() {
        return Err(Usage(format!("sweep: unexpected argument `{}`", pos[0])));
    }
    let mut o = Overrides::default();
    let mut svg = None;
    for (k, v) in opts {
        match k.as_str() {
            "--svg" => svg = Some(v),
            "--cost" => o.costs.push(parse_cost(&v)?),
            _ => unreachable!("split_args only returns known options"),
        }
    }
    let rows = compute(&o);
    if let Some(path) = svg {
        std::fs::write(&path, render_svg(&rows))
            .map_err(|e| Usage(format!("cannot write `{path}`: {e}")))?;
    }
    print!("{}", render_table(&rows));
    Ok(0)
}
