//! Turning `--secret`, `--secret-file` and `HOOKSCOPE_SECRET` into a [`Verifier`],
//! numbered in the order they were given.

use anyhow::Context as _;

use super::{SecretArgs, UsageError};
use crate::token::secret::strip_one_newline;
use crate::token::{Secret, SecretEncoding, Verifier};

/// The environment variable read after the command-line secrets.
pub const SECRET_ENV: &str = "HOOKSCOPE_SECRET";

/// Reads every secret in order: `--secret` and `--secret-file` interleaved as on the
/// command line, then `HOOKSCOPE_SECRET`.
pub fn verifier(args: &SecretArgs, matches: &clap::ArgMatches) -> anyhow::Result<Verifier> {
    let (texts, encoding) = texts(args, matches)?;
    verifier_for(&texts, encoding)
}

/// A verifier for secret texts already read; an empty or undecodable one is a usage error.
pub fn verifier_for(texts: &[String], encoding: SecretEncoding) -> anyhow::Result<Verifier> {
    let secrets = texts
        .iter()
        .enumerate()
        .map(|(index, text)| Secret::new(text, encoding, index))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| UsageError(err.to_string()))?;
    Ok(Verifier::new(secrets))
}

/// The key bytes of the first secret, for the commands that sign (`send`, `probe`):
/// every secret is checked as the verifying commands check them; none is a usage
/// error that says `why` one is needed.
pub fn signing_key(
    args: &SecretArgs,
    matches: &clap::ArgMatches,
    why: &str,
) -> anyhow::Result<Vec<u8>> {
    let (texts, encoding) = texts(args, matches)?;
    verifier_for(&texts, encoding)?;
    texts
        .first()
        .and_then(|text| encoding.decode(text))
        .ok_or_else(|| {
            UsageError(format!(
                "{why}: give it with --secret-file, HOOKSCOPE_SECRET or --secret"
            ))
            .into()
        })
}

/// The secret texts in order, and the encoding to read them with.
pub fn texts(
    args: &SecretArgs,
    matches: &clap::ArgMatches,
) -> anyhow::Result<(Vec<String>, SecretEncoding)> {
    let encoding: SecretEncoding = args.secret_encoding;
    let mut texts: Vec<(usize, String)> = Vec::new();
    let positions = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(|indices| indices.collect())
            .unwrap_or_default()
    };
    for (text, at) in args.secret.iter().zip(positions("secret")) {
        texts.push((at, text.clone()));
    }
    for (path, at) in args.secret_file.iter().zip(positions("secret_file")) {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the secret file {}", path.display()))?;
        texts.push((at, strip_one_newline(&text).to_owned()));
    }
    texts.sort_by_key(|(at, _)| *at);
    if let Ok(text) = std::env::var(SECRET_ENV) {
        texts.push((usize::MAX, text));
    }
    Ok((texts.into_iter().map(|(_, text)| text).collect(), encoding))
}
