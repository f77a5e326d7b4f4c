//! The command line: `hookscope [listen|verify|export]`, parsed with clap.

pub mod attach;
pub mod export;
pub mod listen;
pub mod probe;
pub mod replay;
pub mod secrets;
pub mod send;
pub mod shapes;
pub mod timeline;
pub mod verify;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Inspect, verify and replay JWT-signed webhooks (Truora hooks).
#[derive(Debug, Parser)]
#[command(name = "hookscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub listener: ListenerArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Load a saved capture (NDJSON or JSON) at start.
    #[arg(long, value_name = "FILE")]
    pub open: Option<std::path::PathBuf>,
}

/// The commands; none opens the desktop inspector.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture and verify without a window: one NDJSON record per request.
    Listen(Box<listen::ListenArgs>),
    /// Verify one token and print its token, verification and events as JSON.
    Verify(verify::VerifyArgs),
    /// Convert a journal or capture file to .ndjson, .json or .har.
    Export(export::ExportArgs),
    /// Sign and POST Truora-shaped hooks, and report what came back.
    Send(Box<send::SendArgs>),
    /// Follow a relay (`listen --api` on a server): verify with the local secrets,
    /// journal locally, deliver to your app.
    Attach(attach::AttachArgs),
    /// Send captured requests again, unchanged, and journal the results (linked by replay_of).
    Replay(replay::ReplayArgs),
    /// Test your receiver: genuine hooks it must accept, forgeries it must refuse.
    Probe(probe::ProbeArgs),
    /// The captured events as Truora processes: steps, retries, delays, order.
    Timeline(timeline::TimelineArgs),
    /// The shape of each kind of event, where it changed, and JSON Schemas.
    Shapes(shapes::ShapesArgs),
}

/// Options of the listener (GUI and `listen`).
#[derive(Debug, Clone, Args)]
pub struct ListenerArgs {
    /// Address to listen on; port 0 picks a free one. Non-loopback addresses are exposed to the network.
    #[arg(long, value_name = "ADDR", default_value = crate::capture::DEFAULT_BIND)]
    pub bind: std::net::SocketAddr,
    /// Append one NDJSON record per request to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// fdatasync each group of records before its replies go out: what a sender saw
    /// acknowledged survives a crash of the machine, not only of hookscope.
    #[arg(long)]
    pub fsync: bool,
    /// Bound the journal's size on disk (500MB, 1GiB): it is kept in segment files
    /// beside --out, the oldest deleted. The window's own journal keeps 1GiB unless told.
    #[arg(long, value_name = "SIZE", value_parser = crate::segments::parse_size)]
    pub keep_size: Option<u64>,
    /// Delete the journal's segments whose newest record is older than D days.
    #[arg(long, value_name = "D", value_parser = crate::segments::parse_days)]
    pub keep_days: Option<std::time::Duration>,
    /// Status every request is answered with: a final answer, 200 to 599.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u16).range(200..=599))]
    pub respond_status: u16,
    /// Wait this long before answering.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub respond_delay_ms: u64,
    /// Body of every reply (default: a small JSON acknowledgement).
    #[arg(long, value_name = "TEXT")]
    pub respond_body: Option<String>,
    /// Larger bodies are answered 413 and recorded cut.
    #[arg(long, value_name = "BYTES", default_value_t = crate::capture::DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// How many events the window holds: a row of a few hundred bytes each, the
    /// records staying in the journal (which keeps all).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_events: usize,
    /// Also deliver each request, unchanged, to your app at URL (http://); the sender gets its reply.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// Give up on the app after this long: the sender then gets 504.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub forward_timeout_ms: u64,
    /// How long a client may take to send a request head.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// How long a client may take to send a body (then 408, still recorded).
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub body_timeout_ms: u64,
    /// How long a reply may wait for the client to read it; then the connection is
    /// closed (a client that never reads holds no slot).
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    pub write_timeout_ms: u64,
    /// Threads serving requests (default: every core the process may use).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Most body bytes held by all requests in flight together; beyond it, 503 (recorded).
    #[arg(long, value_name = "BYTES", default_value_t = crate::capture::DEFAULT_BODY_BUDGET)]
    pub body_budget: usize,
    /// While forwarding, let requests a web browser made (Origin, Sec-Fetch-Site) through too.
    #[arg(long)]
    pub allow_browser: bool,
    /// Also take mail on ADDR (an SMTP sink, e.g. 127.0.0.1:2525): each message is
    /// journaled before its 250. Non-loopback addresses are exposed to the network.
    #[arg(long, value_name = "ADDR")]
    pub smtp: Option<std::net::SocketAddr>,
    /// Larger mails are answered 552 and recorded cut.
    #[arg(long, value_name = "BYTES", default_value_t = crate::email::smtp::DEFAULT_MAX_MAIL)]
    pub max_mail: usize,
    /// The DNS server mails' DKIM keys are read from (IP, or IP:PORT; default: the system's).
    #[arg(long, value_name = "ADDR", value_parser = parse_dns)]
    pub dns: Option<std::net::SocketAddr>,
    /// Follow a real mailbox, read-only (imaps://USER@HOST[:PORT]/MAILBOX): each new
    /// message is journaled once, across restarts.
    #[arg(long, value_name = "URL", value_parser = clap::value_parser!(crate::email::ImapUrl))]
    pub imap: Option<crate::email::ImapUrl>,
    /// The mailbox's password, from this file (else from HOOKSCOPE_IMAP_PASSWORD).
    #[arg(long, value_name = "FILE", requires = "imap")]
    pub imap_password_file: Option<std::path::PathBuf>,
    /// Trust this CA file (PEM) for the IMAP server (a private server).
    #[arg(long, value_name = "FILE", requires = "imap")]
    pub imap_ca: Option<std::path::PathBuf>,
    /// Speak TLS with this certificate chain (PEM): the capture listener takes
    /// HTTPS, and the SMTP sink offers STARTTLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) that goes with --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// A DNS server: an IP (port 53) or IP:PORT.
fn parse_dns(text: &str) -> Result<std::net::SocketAddr, String> {
    text.parse::<std::net::SocketAddr>()
        .or_else(|_| {
            text.parse::<std::net::IpAddr>()
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .map_err(|_| format!("{text:?} is no DNS server address: give an IP, or IP:PORT"))
}

impl ListenerArgs {
    /// The SMTP sink these options ask for (`None`: no `--smtp`).
    pub fn smtp(
        &self,
        tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    ) -> Option<crate::email::SmtpConfig> {
        self.smtp.map(|bind| crate::email::SmtpConfig {
            bind,
            max_mail: self.max_mail,
            tls,
            ..crate::email::SmtpConfig::default()
        })
    }

    /// The mailbox `--imap` follows, with its password (`None`: no `--imap`).
    pub fn imap(&self) -> anyhow::Result<Option<crate::email::ImapConfig>> {
        self.imap
            .clone()
            .map(|url| {
                crate::email::ImapConfig::new(
                    url,
                    self.imap_password_file.as_deref(),
                    self.imap_ca.clone(),
                )
            })
            .transpose()
    }

    /// The TLS config `--tls-cert` and `--tls-key` give (`None`: neither was given).
    pub fn tls(&self) -> anyhow::Result<Option<std::sync::Arc<rustls::ServerConfig>>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => crate::tls::server(cert, key).map(Some),
            _ => Ok(None),
        }
    }

    /// The journal's bounds these options set (`None`: none was given).
    pub fn retention(&self) -> Option<crate::segments::Retention> {
        let retention = crate::segments::Retention {
            size: self.keep_size,
            age: self.keep_days,
        };
        retention.bounded().then_some(retention)
    }

    /// The listener configuration these options describe.
    pub fn config(&self) -> Result<crate::capture::ListenerConfig, UsageError> {
        let forward = self
            .forward_to
            .as_deref()
            .map(|url| {
                crate::forward::Target::parse(
                    url,
                    std::time::Duration::from_millis(self.forward_timeout_ms),
                )
            })
            .transpose()
            .map_err(|err| UsageError(err.to_string()))?;
        Ok(crate::capture::ListenerConfig {
            forward,
            header_timeout: std::time::Duration::from_millis(self.header_timeout_ms),
            body_timeout: std::time::Duration::from_millis(self.body_timeout_ms),
            write_timeout: std::time::Duration::from_millis(self.write_timeout_ms),
            bind: self.bind,
            max_body: self.max_body,
            workers: self
                .workers
                .map_or_else(crate::capture::default_workers, usize::from),
            body_budget: self.body_budget,
            allow_browser: self.allow_browser,
            tls: self.tls().map_err(|err| UsageError(format!("{err:#}")))?,
            reply: crate::capture::ReplyPolicy {
                status: self.respond_status,
                delay: std::time::Duration::from_millis(self.respond_delay_ms),
                body: self.respond_body.clone(),
                ..Default::default()
            },
        })
    }
}

/// Options shared by the commands that verify.
#[derive(Debug, Clone, Args)]
pub struct SecretArgs {
    /// A shared secret (repeatable; tried in order). Also read from HOOKSCOPE_SECRET.
    #[arg(long = "secret", value_name = "S")]
    pub secret: Vec<String>,
    /// A file holding a secret; one trailing newline is dropped (repeatable).
    #[arg(long = "secret-file", value_name = "F")]
    pub secret_file: Vec<std::path::PathBuf>,
    /// How secret text turns into key bytes.
    #[arg(long, value_name = "ENC", value_enum, default_value_t = crate::token::SecretEncoding::Utf8)]
    pub secret_encoding: crate::token::SecretEncoding,
}

/// Reads a capture for a command that reports on it; each problem (a torn line,
/// an entry that is not a record) is a warning on stderr. A file that held
/// something and gave no record is an error: nothing is written from it.
pub fn load_warning(path: &std::path::Path) -> anyhow::Result<Vec<crate::record::Record>> {
    use anyhow::Context as _;
    let loaded =
        crate::export::load(path).with_context(|| format!("could not read {}", path.display()))?;
    for problem in &loaded.problems {
        // A problem quotes the file's own bytes: a hostile capture's, maybe.
        eprintln!(
            "warning: {}: {}",
            path.display(),
            crate::terminal::escape(problem)
        );
    }
    if loaded.records.is_empty() && !loaded.problems.is_empty() {
        anyhow::bail!(
            "no record could be read from {} ({} problem(s), the first above)",
            path.display(),
            loaded.problems.len()
        );
    }
    Ok(loaded.records)
}

/// A mistake in how the command was called: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the command line (exiting with clap's message on a mistake) and sets up
/// logging: the options, and the matches that say which were given where.
pub fn parse() -> (Cli, clap::ArgMatches) {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp_millis()
        .init();
    (cli, matches)
}

/// The exit code of a command's outcome; an error is printed once, with its causes
/// (exit 2 for a usage mistake, 1 otherwise).
pub fn exit_code(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("hookscope: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs a headless command.
pub fn run(command: Command, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    match command {
        Command::Listen(args) => {
            let sub = matches.subcommand_matches("listen").unwrap_or(matches);
            listen::run(args, sub)
        }
        Command::Verify(args) => {
            let sub = matches.subcommand_matches("verify").unwrap_or(matches);
            verify::run(args, sub)
        }
        Command::Export(args) => export::run(args),
        Command::Attach(args) => {
            let sub = matches.subcommand_matches("attach").unwrap_or(matches);
            attach::run(args, sub)
        }
        Command::Replay(args) => replay::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Shapes(args) => shapes::run(args),
        Command::Probe(args) => {
            let sub = matches.subcommand_matches("probe").unwrap_or(matches);
            probe::run(args, sub)
        }
        Command::Send(args) => {
            let sub = matches.subcommand_matches("send").unwrap_or(matches);
            send::run(*args, sub)
        }
    }
}
