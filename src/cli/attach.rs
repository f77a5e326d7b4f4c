//! `hookscope attach URL`: follows a relay (`listen --api` on a server) from here,
//! verifying each record with the local secrets, journaling it locally and, with
//! `--forward-to`, delivering it to the local app, until SIGINT/SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::{SecretArgs, UsageError};
use crate::capture::Journal;
use crate::relay::attach::{Follower, From, Options};

/// Arguments of `hookscope attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The relay's API (`listen --api`), e.g. https://relay.example.com:8788.
    #[arg(value_name = "URL")]
    pub url: String,
    /// The API token, in a file only its owner can read (else HOOKSCOPE_API_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<std::path::PathBuf>,
    /// Trust this CA file (PEM) for a relay with a private certificate.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,
    /// Where to start when the local journal has nothing of this relay: `start`
    /// (all it holds), `now`, or after a relay id.
    #[arg(long, value_name = "start|now|ID", default_value = "now")]
    pub from: From,
    /// Append one NDJSON record per followed record to FILE; it also says where to
    /// resume after a restart (without it, records go to stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Deliver each record, byte-exact, to your app at URL (http://) before
    /// journaling it; its reply is kept in response.forwarded.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// Give up on the app after this long.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub forward_timeout_ms: u64,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Runs `attach` until a stop signal.
pub fn run(args: AttachArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let verifier =
        crate::capture::shared_verifier(super::secrets::verifier(&args.secrets, matches)?);
    let token = read_token(args.token_file.as_deref())?;
    let forward = args
        .forward_to
        .as_deref()
        .map(|url| {
            crate::forward::Target::parse(url, Duration::from_millis(args.forward_timeout_ms))
                .map_err(|err| UsageError(err.to_string()))
        })
        .transpose()?;
    let journal = match &args.out {
        Some(path) => Journal::open(path, None)
            .with_context(|| format!("could not open the journal {}", path.display()))?,
        None => Journal::new(Box::new(std::io::stdout()), 0, None)?,
    };
    let options = Options {
        url: args.url.clone(),
        token,
        ca: args.ca.clone(),
        from: args.from,
        forward: Arc::new(std::sync::RwLock::new(forward)),
    };
    let follower = Follower::start(options, verifier, journal.handle(), args.out.clone())?;
    super::listen::wait_for_stop_signal()?;
    follower.stop();
    journal.flush();
    Ok(ExitCode::SUCCESS)
}

/// The token from `file` (trimmed), else from `HOOKSCOPE_API_TOKEN`.
fn read_token(file: Option<&std::path::Path>) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let token = match file {
        Some(path) => zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("could not read the token file {}", path.display()))?
                .trim()
                .to_owned(),
        ),
        None => zeroize::Zeroizing::new(std::env::var("HOOKSCOPE_API_TOKEN").map_err(|_| {
            UsageError(
                "attach needs the relay's token: give --token-file FILE or set HOOKSCOPE_API_TOKEN"
                    .to_owned(),
            )
        })?),
    };
    Ok(token)
}
