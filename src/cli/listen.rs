//! `hookscope listen`: the capture core without a window, journaling NDJSON to a
//! file or standard output until SIGINT/SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::{ListenerArgs, SecretArgs};
use crate::capture::{Capture, Journal, shared_verifier};

/// Arguments of `hookscope listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    pub listener: ListenerArgs,
    /// Serve the journal to followers (`hookscope attach`, windows) on ADDR: a read
    /// API of its own, never on the capture address. Needs --out and a token.
    #[arg(long, value_name = "ADDR")]
    pub api: Option<std::net::SocketAddr>,
    /// The API's bearer token, at least 32 bytes, in a file only its owner can read
    /// (else HOOKSCOPE_API_TOKEN).
    #[arg(long, value_name = "FILE", requires = "api")]
    pub api_token_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Runs `listen` until a stop signal.
pub fn run(args: Box<ListenArgs>, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let verifier = super::secrets::verifier(&args.secrets, matches)?;
    let retention = args.listener.retention();
    if retention.is_some() && args.listener.out.is_none() {
        return Err(super::UsageError(
            "--keep-size and --keep-days bound a journal file: give --out FILE too".to_owned(),
        )
        .into());
    }
    let api_token = match args.api {
        Some(_) if args.listener.out.is_none() => {
            return Err(super::UsageError(
                "--api serves the journal file: give --out FILE too".to_owned(),
            )
            .into());
        }
        Some(_) => Some(
            crate::relay::api::read_token(args.api_token_file.as_deref())
                .map_err(|err| super::UsageError(format!("{err:#}")))?,
        ),
        None => None,
    };
    let feed = crate::relay::api::Feed::default();
    let imap = args.listener.imap()?;
    if imap.is_some() && args.listener.out.is_none() {
        return Err(super::UsageError(
            "--imap remembers what it journaled in the journal file: give --out FILE too"
                .to_owned(),
        )
        .into());
    }
    let journal = match &args.listener.out {
        Some(path) => Journal::open(path, api_token.is_some().then(|| feed.subscriber()))
            .with_context(|| format!("could not open the journal {}", path.display()))?
            .syncing(args.listener.fsync)
            .retaining(retention.unwrap_or_default()),
        // A terminal gets no control byte from a request (JSON leaves DEL and C1 as is).
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => Journal::new(
            Box::new(crate::terminal::JsonLines::new(std::io::stdout())),
            0,
            None,
        )?,
        None => Journal::new(Box::new(std::io::stdout()), 0, None)?,
    };
    let no_secret = verifier.secrets().is_empty();
    let config = args.listener.config()?;
    let capture = Capture::start(config.clone(), shared_verifier(verifier), journal.handle())?;
    capture.announce();
    let smtp = match args.listener.smtp(config.tls.clone()) {
        Some(config) => {
            let bind = config.bind;
            let dkim = crate::email::Dkim::new(args.listener.dns);
            let sink = crate::email::SmtpSink::start(config, journal.handle(), dkim)
                .with_context(|| format!("could not listen for mail on {bind}"))?;
            sink.announce();
            Some(sink)
        }
        None => None,
    };
    let api = match (args.api, api_token, &args.listener.out) {
        (Some(bind), Some(token), Some(journal)) => {
            let api = crate::relay::api::Api::start(
                crate::relay::api::ApiConfig {
                    bind,
                    token,
                    tls: config.tls.clone(),
                    journal: journal.clone(),
                },
                feed,
            )
            .with_context(|| format!("could not serve the API on {bind}"))?;
            api.announce();
            Some(api)
        }
        _ => None,
    };
    let imap = match imap {
        Some(config) => Some(crate::email::ImapFollower::start(
            config,
            journal.handle(),
            args.listener.out.clone(),
            crate::email::Dkim::new(args.listener.dns),
        )?),
        None => None,
    };
    if let Some(target) = &args.listener.forward_to {
        eprintln!(
            "forwarding every request to {}; senders get its replies",
            crate::terminal::escape(target)
        );
    }
    if no_secret {
        eprintln!(
            "warning: no secret given: tokens are decoded but reported as no_secret (use --secret, --secret-file or HOOKSCOPE_SECRET)"
        );
    }
    wait_for_stop_signal()?;
    if let Some(api) = api {
        api.stop();
    }
    if let Some(imap) = imap {
        imap.stop();
    }
    if let Some(smtp) = smtp {
        smtp.stop();
    }
    capture.stop();
    journal.flush();
    Ok(ExitCode::SUCCESS)
}

/// Blocks until SIGINT or SIGTERM (Ctrl+C elsewhere).
pub fn wait_for_stop_signal() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            let mut int = signal(SignalKind::interrupt())?;
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            Ok::<(), std::io::Error>(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })?;
    Ok(())
}
