//! `hookscope verify`: one token in, its verdict out as JSON; exit 0 only when valid.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::SecretArgs;
use crate::record::Signature;

/// Arguments of `hookscope verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token, or `-` (or nothing) to read standard input, searched like a request body.
    #[arg(value_name = "TOKEN|-")]
    pub token: Option<String>,
    /// Print instead a receiver in this language that verifies such tokens (the
    /// token's alg; HS256 without a token): the raw body, the secret from
    /// TRUORA_HOOK_SECRET, one algorithm.
    #[arg(long, value_name = "LANG", value_enum)]
    pub code: Option<crate::receivers::Language>,
    /// With --code: where the receiver takes the token from (default: where the
    /// given input carries it, else the body; JSON and form fields named `token`).
    #[arg(long = "as", value_name = "PLACEMENT", value_enum, requires = "code")]
    pub placement: Option<crate::probe::Placement>,
    /// With --code: a receiver of another provider's webhooks instead, verifying its
    /// scheme (the provider's official library where one exists; the secret from
    /// WEBHOOK_SECRET).
    #[arg(
        long,
        value_name = "SCHEME",
        value_enum,
        requires = "code",
        conflicts_with = "placement"
    )]
    pub scheme: Option<crate::schemes::Name>,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Runs `verify`.
pub fn run(args: VerifyArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    if let (Some(language), Some(scheme)) = (args.code, args.scheme) {
        print!("{}", crate::receivers::scheme_code(language, scheme));
        return Ok(ExitCode::SUCCESS);
    }
    let verifier = super::secrets::verifier(&args.secrets, matches)?;
    if let Some(language) = args.code {
        // Without a token there is nothing to read the algorithm from: HS256.
        let (alg, source) = match args.token.as_deref() {
            None => (None, None),
            Some(_) => {
                let input = read_input(args.token.as_deref())?;
                let analysis = crate::token::analyze_text(&input, &verifier, 0);
                (analysis.verification.alg, analysis.token.map(|t| t.source))
            }
        };
        let placement = match (args.placement, source) {
            (Some(placement), _) => crate::receivers::Placement::from_probe(placement),
            (None, Some(source)) => crate::receivers::Placement::from_source(&source),
            (None, None) => crate::receivers::Placement::Body,
        };
        print!(
            "{}",
            crate::receivers::code(language, alg.as_deref(), &placement)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let input = read_input(args.token.as_deref())?;
    let analysis = crate::token::analyze_text(&input, &verifier, crate::token::unix_now());
    let output = serde_json::json!({
        "token": analysis.token,
        "verification": analysis.verification,
        "events": analysis.events,
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(if analysis.verification.signature == Signature::Valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The token argument, or standard input for `-` or no argument.
fn read_input(token: Option<&str>) -> anyhow::Result<Vec<u8>> {
    Ok(match token {
        None | Some("-") => {
            let mut input = Vec::new();
            std::io::stdin()
                .read_to_end(&mut input)
                .context("could not read standard input")?;
            input
        }
        Some(token) => token.as_bytes().to_vec(),
    })
}
