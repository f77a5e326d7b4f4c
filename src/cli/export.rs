//! `hookscope export`: a journal or capture file converted by the extension of `--to`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::UsageError;
use crate::export::{Format, write_atomic};

/// Arguments of `hookscope export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The journal or capture file to read (NDJSON or a JSON array of records).
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Where to write: .ndjson, .json or .har.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// The listener's address, which starts the URLs in a HAR file.
    #[arg(long, value_name = "URL", default_value = crate::export::DEFAULT_ORIGIN)]
    pub origin: String,
}

/// Runs `export`.
pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = Format::from_path(&args.to).ok_or_else(|| {
        UsageError(format!(
            "cannot tell the format of {}: name it .ndjson, .json or .har",
            args.to.display()
        ))
    })?;
    let records = super::load_warning(&args.journal)?;
    write_atomic(
        &args.to,
        format,
        records.iter().map(Ok::<_, std::io::Error>),
        &args.origin,
    )
    .with_context(|| format!("could not write {}", args.to.display()))?;
    eprintln!(
        "exported {} records to {}",
        records.len(),
        args.to.display()
    );
    Ok(ExitCode::SUCCESS)
}
