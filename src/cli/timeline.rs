//! `hookscope timeline JOURNAL`: the captured events as Truora processes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Arguments of `hookscope timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The journal or capture file to read.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Print one JSON object per process (an array) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `timeline`.
pub fn run(args: TimelineArgs) -> anyhow::Result<ExitCode> {
    let records = super::load_warning(&args.journal)?;
    let processes = crate::timeline::build(&records);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&processes)?);
    } else {
        print!("{}", crate::timeline::render(&processes));
    }
    Ok(ExitCode::SUCCESS)
}
