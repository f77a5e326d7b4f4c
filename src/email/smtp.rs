//! The SMTP sink (`--smtp ADDR`): an RFC 5321 server that accepts any recipient and
//! journals each message before its `250`, as the HTTP listener journals a request
//! before its reply. `EHLO`/`HELO`, `MAIL`, `RCPT`, `DATA`, `RSET`, `NOOP`, `QUIT`,
//! `VRFY`, `HELP`; `SIZE`, `8BITMIME`, `SMTPUTF8` and `PIPELINING` (replies are
//! flushed when the client has sent nothing more); `STARTTLS` (RFC 3207) when the
//! sink has a certificate (`--tls-cert`, `--tls-key`). Bad input gets a 5xx and loses
//! nothing already accepted; command lines, recipients, the message's size
//! (`--max-mail`: `552`, recorded cut), idle time and connections are bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
    BufWriter,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::dkim::Dkim;
use super::parse::Envelope;
use crate::capture::Journal;
use crate::record::Transport;

/// The default `--max-mail`: 10 MiB.
pub const DEFAULT_MAX_MAIL: usize = 10 << 20;

/// The longest command line RFC 5321 allows (4.5.3.1.4), its CRLF included.
const MAX_LINE: usize = 1000;

/// How the sink behaves.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub bind: SocketAddr,
    /// The largest message kept; a larger one is answered 552 and recorded cut.
    pub max_mail: usize,
    /// Recipients per message (RFC 5321 asks a server to take at least 100).
    pub max_recipients: usize,
    /// A client silent this long is told 421 and let go (RFC 5321 4.5.3.2.7: 5 minutes).
    pub idle: Duration,
    /// Clients at once; one more is told 421.
    pub max_connections: usize,
    /// Bad commands in a row before the client is let go.
    pub max_errors: usize,
    /// The certificate and key `STARTTLS` speaks with (`None`: not offered).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 2525)),
            max_mail: DEFAULT_MAX_MAIL,
            max_recipients: 100,
            idle: Duration::from_secs(300),
            max_connections: 64,
            max_errors: 20,
            tls: None,
        }
    }
}

/// The running sink; stopping it (or dropping it) closes the port and joins its thread.
pub struct SmtpSink {
    local_addr: SocketAddr,
    starttls: bool,
    service: crate::service::Service,
}

impl SmtpSink {
    /// Binds `config.bind` and serves on a thread of its own, journaling to `journal`
    /// and checking each mail's DKIM signatures with `dkim`.
    pub fn start(config: SmtpConfig, journal: Journal, dkim: Dkim) -> std::io::Result<SmtpSink> {
        let listener = std::net::TcpListener::bind(config.bind)?;
        let local_addr = listener.local_addr()?;
        let starttls = config.tls.is_some();
        let service =
            crate::service::Service::spawn("hookscope-smtp", listener, move |listener| {
                let shared = Arc::new(Shared {
                    slots: Semaphore::new(config.max_connections),
                    config,
                    journal,
                    dkim,
                });
                accept(listener, shared)
            })?;
        Ok(SmtpSink {
            local_addr,
            starttls,
            service,
        })
    }

    /// The address bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL mail is sent to: `smtp://ADDR`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.local_addr)
    }

    /// The one "smtp on" line, on stderr (scripts read the real port from it), and
    /// a warning before it when the address is not loopback.
    pub fn announce(&self) {
        let addr = self.local_addr;
        if !addr.ip().is_loopback() {
            eprintln!(
                "warning: the SMTP sink listens on {addr}, which is not loopback: anyone who can reach this machine can send it mail"
            );
        }
        eprintln!("smtp on {}", self.url());
        if self.starttls {
            eprintln!("smtp offers STARTTLS");
        }
    }

    /// Stops accepting and lets the sessions go; what was journaled stays journaled.
    pub fn stop(mut self) {
        self.service.stop();
    }
}

struct Shared {
    config: SmtpConfig,
    journal: Journal,
    dkim: Dkim,
    slots: Semaphore,
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, remote)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(_slot) = shared.slots.try_acquire() else {
                let mut stream = stream;
                let _ = stream
                    .write_all(b"421 4.3.2 Too many connections, try again later\r\n")
                    .await;
                return;
            };
            let _ = session(stream, remote, &shared).await;
        });
    }
}

/// One mail transaction as it builds up.
#[derive(Default)]
struct Transaction {
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

/// What one command line asks for.
enum Next {
    Reply(String),
    Data,
    StartTls,
    Quit,
}

/// One client, from the greeting to `QUIT` (or silence, or too many errors), in
/// clear and then, after `STARTTLS`, over TLS.
async fn session(stream: TcpStream, remote: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let Some(stream) = converse(stream, remote, shared, Stage::Clear).await? else {
        return Ok(());
    };
    let Some(tls) = &shared.config.tls else {
        return Ok(());
    };
    let stream = match TlsAcceptor::from(tls.clone()).accept(stream).await {
        Ok(stream) => stream,
        // A handshake that fails ends the session: nothing was accepted over it.
        Err(_) => return Ok(()),
    };
    converse(stream, remote, shared, Stage::Tls).await?;
    Ok(())
}

/// Where a session stands with TLS.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// In clear; `STARTTLS` is offered when the sink has a certificate.
    Clear,
    /// Over TLS: `STARTTLS` is not offered again.
    Tls,
}

/// The commands of one stage of a session. `Some(stream)` when the client asked for
/// `STARTTLS` and was told to go ahead: the stream is then handed back, anything it
/// pipelined after the command dropped (RFC 3207 5: no command injection).
async fn converse<S>(
    stream: S,
    remote: SocketAddr,
    shared: &Shared,
    stage: Stage,
) -> std::io::Result<Option<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = BufReader::new(BufWriter::new(stream));
    let config = &shared.config;
    let offer_tls = stage == Stage::Clear && config.tls.is_some();
    if stage == Stage::Clear {
        conn.write_all(b"220 hookscope ESMTP: every message is kept, none is delivered\r\n")
            .await?;
        conn.flush().await?;
    }
    // RFC 3207 4.2: after the handshake the client starts again from EHLO.
    let mut helo: Option<String> = None;
    let mut tx = Transaction::default();
    let mut errors = 0;
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let read = tokio::time::timeout(
            config.idle,
            (&mut conn)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut line),
        )
        .await;
        let n = match read {
            Err(_) => {
                conn.write_all(b"421 4.4.2 Idle too long, closing the connection\r\n")
                    .await?;
                conn.flush().await?;
                return Ok(None);
            }
            Ok(read) => read?,
        };
        if n == 0 {
            return Ok(None);
        }
        let next = if !line.ends_with(b"\n") {
            // Past 1,000 octets: the rest of the line is no command either.
            skip_line(&mut conn).await?;
            Next::Reply(
                "500 5.5.2 Line too long (a command line holds 1000 octets at most)".to_owned(),
            )
        } else {
            command(&line, &mut helo, &mut tx, config, offer_tls)
        };
        match next {
            Next::Quit => {
                conn.write_all(b"221 2.0.0 Bye\r\n").await?;
                conn.flush().await?;
                return Ok(None);
            }
            Next::StartTls => {
                conn.write_all(b"220 2.0.0 Ready to start TLS\r\n").await?;
                conn.flush().await?;
                return Ok(Some(conn.into_inner().into_inner()));
            }
            Next::Reply(reply) => {
                if reply.starts_with('5') {
                    errors += 1;
                    if errors >= config.max_errors {
                        conn.write_all(
                            b"421 4.7.0 Too many bad commands, closing the connection\r\n",
                        )
                        .await?;
                        conn.flush().await?;
                        return Ok(None);
                    }
                } else {
                    errors = 0;
                }
                conn.write_all(reply.as_bytes()).await?;
                conn.write_all(b"\r\n").await?;
            }
            Next::Data => {
                conn.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                conn.flush().await?;
                let Some((message, truncated)) =
                    read_data(&mut conn, config.max_mail, config.idle).await?
                else {
                    return Ok(None);
                };
                let envelope = Envelope {
                    transport: Transport::Smtp,
                    remote_addr: remote.to_string(),
                    mail_from: tx.mail_from.take(),
                    rcpt_to: std::mem::take(&mut tx.rcpt_to),
                    helo: helo.clone(),
                    ..Envelope::default()
                };
                let reply = deliver(message, truncated, envelope, shared).await;
                conn.write_all(reply.as_bytes()).await?;
                conn.write_all(b"\r\n").await?;
            }
        }
        // Pipelining: replies go out once the client has sent nothing more.
        if conn.buffer().is_empty() {
            conn.flush().await?;
        }
    }
}

/// Parses, checks and journals a message; the reply to its `DATA`.
async fn deliver(message: Vec<u8>, truncated: bool, envelope: Envelope, shared: &Shared) -> String {
    let received_at = crate::record::now();
    let mut record = super::parse::record(message, truncated, envelope, &received_at);
    shared.dkim.check(&mut record).await;
    record.response.status = if truncated { 552 } else { 250 };
    match shared.journal.commit(record).await {
        Ok(id) if truncated => format!(
            "552 5.3.4 Message larger than {} bytes: kept cut as record {id}, not accepted",
            shared.config.max_mail
        ),
        Ok(id) => format!("250 2.0.0 Ok: kept as record {id}"),
        Err(err) => {
            log::error!("{err}");
            // Never acknowledge what is not on disk: the client will try again.
            "451 4.3.0 Could not keep the message; try again later".to_owned()
        }
    }
}

/// The rest of a line that was too long, read and dropped.
async fn skip_line(reader: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<()> {
    let mut rest = Vec::new();
    loop {
        rest.clear();
        let n = (&mut *reader)
            .take(64 * 1024)
            .read_until(b'\n', &mut rest)
            .await?;
        if n == 0 || rest.ends_with(b"\n") {
            return Ok(());
        }
    }
}

/// A message's lines up to the lone `.`, dot-unstuffed (RFC 5321 4.5.2): at most
/// `max` bytes are kept, the rest read and dropped (`true`: cut). `None`: the client
/// went away or fell silent before the end.
async fn read_data(
    reader: &mut (impl AsyncBufRead + Unpin),
    max: usize,
    idle: Duration,
) -> std::io::Result<Option<(Vec<u8>, bool)>> {
    let mut message = Vec::new();
    let mut truncated = false;
    let mut line = Vec::with_capacity(1024);
    let mut at_line_start = true;
    loop {
        line.clear();
        let read = tokio::time::timeout(
            idle,
            (&mut *reader).take(64 * 1024).read_until(b'\n', &mut line),
        )
        .await;
        let n = match read {
            Err(_) => return Ok(None),
            Ok(read) => read?,
        };
        if n == 0 {
            return Ok(None);
        }
        let mut piece = &line[..];
        if at_line_start {
            if piece == b".\r\n" || piece == b".\n" {
                return Ok(Some((message, truncated)));
            }
            if piece.starts_with(b".") {
                piece = &piece[1..];
            }
        }
        at_line_start = line.ends_with(b"\n");
        let room = max.saturating_sub(message.len());
        if piece.len() > room {
            truncated = true;
        }
        message.extend_from_slice(&piece[..piece.len().min(room)]);
    }
}

/// What one command line asks for, and the state it changes.
fn command(
    line: &[u8],
    helo: &mut Option<String>,
    tx: &mut Transaction,
    config: &SmtpConfig,
    offer_tls: bool,
) -> Next {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    let reply = |text: &str| Next::Reply(text.to_owned());
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" | "HELO" if rest.is_empty() => reply("501 5.5.4 Say who you are: EHLO your.domain"),
        "EHLO" => {
            *helo = Some(rest.to_owned());
            *tx = Transaction::default();
            Next::Reply(format!(
                "250-hookscope greets {}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n{}250 HELP",
                crate::terminal::escape(rest)
                    .chars()
                    .take(255)
                    .collect::<String>(),
                config.max_mail,
                if offer_tls { "250-STARTTLS\r\n" } else { "" }
            ))
        }
        "HELO" => {
            *helo = Some(rest.to_owned());
            *tx = Transaction::default();
            reply("250 hookscope")
        }
        "MAIL" => {
            if helo.is_none() {
                return reply("503 5.5.1 Say EHLO first");
            }
            if tx.mail_from.is_some() {
                return reply("503 5.5.1 A transaction is open already: RSET first");
            }
            let Some((address, params)) = path_of(rest, "FROM:") else {
                return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
            };
            let declared = params.split_whitespace().find_map(|p| {
                p.split_once('=')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("SIZE"))
                    .and_then(|(_, v)| v.parse::<u64>().ok())
            });
            if declared.is_some_and(|size| size > config.max_mail as u64) {
                return Next::Reply(format!(
                    "552 5.3.4 Message size exceeds the limit of {} bytes",
                    config.max_mail
                ));
            }
            tx.mail_from = Some(address);
            reply("250 2.1.0 Ok")
        }
        "RCPT" => {
            if tx.mail_from.is_none() {
                return reply("503 5.5.1 MAIL FROM first");
            }
            let Some((address, _)) = path_of(rest, "TO:") else {
                return reply("501 5.5.4 Syntax: RCPT TO:<address>");
            };
            if address.is_empty() {
                return reply("501 5.1.3 An empty recipient is no address");
            }
            if tx.rcpt_to.len() >= config.max_recipients {
                return Next::Reply(format!(
                    "452 4.5.3 Too many recipients: {} at most per message",
                    config.max_recipients
                ));
            }
            tx.rcpt_to.push(address);
            reply("250 2.1.5 Ok")
        }
        "DATA" if !rest.is_empty() => reply("501 5.5.4 DATA takes nothing after it"),
        "DATA" if tx.mail_from.is_none() => reply("503 5.5.1 MAIL FROM first"),
        "DATA" if tx.rcpt_to.is_empty() => reply("554 5.5.1 No recipient: RCPT TO first"),
        "DATA" => Next::Data,
        "RSET" => {
            *tx = Transaction::default();
            reply("250 2.0.0 Ok")
        }
        "NOOP" => reply("250 2.0.0 Ok"),
        "QUIT" => Next::Quit,
        "VRFY" => reply("252 2.5.2 Cannot verify the user, but every recipient is accepted"),
        "HELP" => reply("214 2.0.0 EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"),
        "STARTTLS" if !rest.is_empty() => reply("501 5.5.4 STARTTLS takes nothing after it"),
        "STARTTLS" if !offer_tls => reply("502 5.5.1 STARTTLS is not offered here"),
        "STARTTLS" => {
            *tx = Transaction::default();
            Next::StartTls
        }
        "" => reply("500 5.5.2 Empty command"),
        _ => reply("502 5.5.1 Command not implemented"),
    }
}

/// The address of `FROM:<a> params` or `TO:<a> params`, and the parameters.
fn path_of(rest: &str, keyword: &str) -> Option<(String, String)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let (address, params) = rest.split_once('>')?;
    Some((address.to_owned(), params.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_paths_and_their_parameters() {
        assert_eq!(
            path_of("FROM:<a@b.c> SIZE=100 BODY=8BITMIME", "FROM:"),
            Some(("a@b.c".to_owned(), "SIZE=100 BODY=8BITMIME".to_owned()))
        );
        assert_eq!(
            path_of("from: <>", "FROM:"),
            Some((String::new(), String::new()))
        );
        assert_eq!(path_of("TO:a@b.c", "TO:"), None);
        assert_eq!(path_of("T", "TO:"), None);
    }
}
