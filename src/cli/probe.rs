//! `hookscope probe`: is the user's receiver safe? Genuine hooks it must accept,
//! forgeries it must refuse, and a scorecard with what to fix.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{SecretArgs, UsageError};
use crate::probe::{Expect, Options, Placement, Report};

/// Arguments of `hookscope probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The receiver to test (http://; put a tunnel in front for https).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Where the receiver expects the token: the body (as Truora sends it), a JSON
    /// field `token`, a form field `token`, or `Authorization: Bearer`.
    #[arg(long = "as", value_name = "WHERE", value_enum, default_value_t = Placement::Body)]
    pub placement: Placement,
    /// Probe a receiver of another signed-webhook scheme instead of Truora's JWT:
    /// genuine requests of that provider, and the forgeries of its scheme.
    #[arg(long, value_name = "SCHEME", value_enum, conflicts_with = "placement")]
    pub scheme: Option<crate::schemes::Name>,
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
    let why = "probe signs genuine hooks with your receiver's secret";
    let (key, scheme) = match args.scheme {
        // A scheme reads the secret its own way (`whsec_...`): it is given as it is.
        Some(name) => {
            let (texts, _) = super::secrets::texts(&args.secrets, matches)?;
            let text = texts.into_iter().next().ok_or_else(|| {
                UsageError(format!(
                    "{why}: give it with --secret-file, HOOKSCOPE_SECRET or --secret"
                ))
            })?;
            (Vec::new(), Some((name, text)))
        }
        None => (
            super::secrets::signing_key(&args.secrets, matches, why)?,
            None,
        ),
    };
    crate::forward::Target::parse(&args.to, Duration::from_millis(args.timeout_ms))
        .map_err(|err| UsageError(err.to_string()))?;
    let placement = args.placement;
    let options = Options {
        target: args.to.clone(),
        key,
        scheme,
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
        print!("{}", render(&report));
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The scorecard as text: required cases, then advisory ones, then the verdict.
fn render(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "probing {}", report.target);
    for (title, required) in [("required", true), ("advisory (never fail the run)", false)] {
        let _ = writeln!(out, "\n{title}:");
        let _ = writeln!(
            out,
            "  {:<20} {:<7} {:<12} {:>8}  result",
            "case", "expect", "got", "time"
        );
        for case in report.cases.iter().filter(|c| c.required == required) {
            let expect = match case.expect {
                Expect::Accept => "accept",
                Expect::Refuse => "refuse",
            };
            let got = match (case.status, &case.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(_)) => "no answer".to_owned(),
                (None, None) => "-".to_owned(),
            };
            let result = match (case.passed, required) {
                (true, _) => "pass",
                (false, true) => "FAIL",
                (false, false) => "warn",
            };
            let _ = writeln!(
                out,
                "  {:<20} {:<7} {:<12} {:>6} ms  {result}",
                case.name, expect, got, case.elapsed_ms
            );
            if let Some(error) = &case.error {
                let _ = writeln!(out, "      {}", crate::terminal::escape(error));
            }
            if let Some(advice) = &case.advice {
                let _ = writeln!(out, "      -> {advice}");
            }
        }
    }
    let failed = report.failed();
    let _ = writeln!(out);
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "PASS: the receiver accepted the genuine hooks and refused every forgery"
        );
    } else {
        let _ = writeln!(
            out,
            "FAIL: {} of {} required cases failed: {}",
            failed.len(),
            report.cases.iter().filter(|c| c.required).count(),
            failed.join(", ")
        );
    }
    out
}
