//! `hookscope probe`: is the user's receiver safe? Genuine hooks it must accept,
//! forgeries it must refuse, and a scorecard with what to fix.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{SecretArgs, UsageError};
use crate::probe::{Options, Placement};

/// Arguments of `hookscope probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The receiver to test (http://; put a tunnel in front for https).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Where the receiver expects the token: the body (as Truora sends it), a JSON
    /// field `token`, a form field `token`, or `Authorization: Bearer`.
    #[arg(long = "as", value_name = "WHERE", default_value = "body", value_parser = ["body", "json", "form", "bearer"])]
    pub placement: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Give up on an answer after this many milliseconds (the case then fails).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Runs `probe`: exit 0 when every required case passed, 1 otherwise.
pub fn run(args: ProbeArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let (texts, encoding) = super::secrets::texts(&args.secrets, matches)?;
    super::secrets::verifier_for(&texts, encoding)?;
    let key = texts
        .first()
        .and_then(|text| encoding.decode(text))
        .ok_or_else(|| {
            UsageError(
                "probe signs genuine hooks with your receiver's secret: give it with --secret-file, HOOKSCOPE_SECRET or --secret"
                    .to_owned(),
            )
        })?;
    crate::forward::Target::parse(&args.to, Duration::from_millis(args.timeout_ms))
        .map_err(UsageError)?;
    let placement: Placement = args.placement.parse().map_err(UsageError)?;
    let options = Options {
        target: args.to.clone(),
        key,
        placement,
        timeout: Duration::from_millis(args.timeout_ms),
        now: crate::token::unix_now(),
    };
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(crate::probe::run(&options));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
