//! `hookscope replay`: send captured requests again, unchanged, and journal each
//! result as a new record whose `replay_of` names the original.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::UsageError;
use crate::capture::Journal;
use crate::terminal::escape;

/// Arguments of `hookscope replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The journal or capture file holding the requests.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Where to send them (http://): a URL with a path is the endpoint (the request's
    /// query appended); one without gets each request's own path and query.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Only these record ids (repeatable); default: every record.
    #[arg(long = "id", value_name = "N")]
    pub ids: Vec<u64>,
    /// Journal the replays here instead of appending them to JOURNAL.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Give up on a reply after this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
}

/// Runs `replay`; exit 1 when any replay did not get a 2xx.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    crate::forward::Target::parse(&args.to, Duration::from_millis(args.timeout_ms))
        .map_err(|err| UsageError(err.to_string()))?;
    let originals: Vec<_> = super::load_warning(&args.journal)?
        .into_iter()
        .filter(|r| args.ids.is_empty() || args.ids.contains(&r.id))
        .collect();
    if originals.is_empty() {
        return Err(UsageError("no record to replay (check --id)".to_owned()).into());
    }
    let out = args.out.as_ref().unwrap_or(&args.journal);
    let journal = Journal::open(out, None)
        .with_context(|| format!("could not open the journal {}", out.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut failed = 0;
    for original in &originals {
        let result = runtime.block_on(crate::replay::replay_into(
            original, &args.to, timeout, &journal, None, None,
        ));
        match result {
            Ok(crate::replay::Replayed {
                id,
                status,
                forwarded,
            }) => {
                let what = forwarded
                    .as_ref()
                    .and_then(|f| f.error.clone())
                    .unwrap_or_else(|| status.to_string());
                let ms = forwarded.map_or(0, |f| f.elapsed_ms);
                println!(
                    "#{} {} {} -> {} in {ms} ms (recorded as #{id})",
                    original.id,
                    escape(&original.method),
                    escape(&original.path),
                    escape(&what)
                );
                failed += usize::from(!crate::health::is_success(status));
            }
            Err(err) => {
                println!(
                    "#{} {} {} -> {}",
                    original.id,
                    escape(&original.method),
                    escape(&original.path),
                    escape(&err)
                );
                failed += 1;
            }
        }
    }
    journal.flush();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
