//! `send --email`: a local Truora for email hooks. Truora-like notification mails
//! (a text and an HTML part; the product, the action and the process id in the
//! subject), DKIM-signed (rsa-sha256, relaxed/relaxed) when a key is given, sent over
//! SMTP with lettre.

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

/// Where and how mails are sent.
pub struct Options {
    /// `smtp://HOST:PORT`.
    pub to: String,
    pub from: String,
    pub rcpt: String,
    /// The key (PEM, PKCS#1 or PKCS#8), domain and selector to DKIM-sign with.
    pub dkim: Option<(String, String, String)>,
    pub timeout: std::time::Duration,
}

/// What sending one mail came to: the server's reply, or why there was none.
#[derive(Debug)]
pub struct Sent {
    pub subject: String,
    pub result: Result<String, String>,
}

/// Why mails cannot be sent at all.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0:?} is no smtp://HOST:PORT address")]
    BadUrl(String),
    #[error("{0:?} is no mail address")]
    BadAddress(String),
    #[error("the DKIM key cannot be read: {0} (give an RSA key in PEM)")]
    BadKey(String),
}

/// The host and port of `smtp://HOST:PORT`.
fn host_port(url: &str) -> Result<(String, u16), SendError> {
    let bad = || SendError::BadUrl(url.to_owned());
    let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_owned(), port))
}

/// Checks the options before anything is sent (a usage error otherwise).
pub fn check(options: &Options) -> Result<(), SendError> {
    host_port(&options.to)?;
    for address in [&options.from, &options.rcpt] {
        address
            .parse::<Mailbox>()
            .map_err(|_| SendError::BadAddress(address.clone()))?;
    }
    if let Some((key, _, _)) = &options.dkim {
        signing_key(key)?;
    }
    Ok(())
}

/// The DKIM key: lettre reads PKCS#1; a PKCS#8 key (what `openssl genrsa` writes)
/// is turned into one first.
fn signing_key(pem: &str) -> Result<DkimSigningKey, SendError> {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    let pkcs1 = if pem.contains("BEGIN PRIVATE KEY") {
        rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|err| SendError::BadKey(err.to_string()))?
            .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|err| SendError::BadKey(err.to_string()))?
            .to_string()
    } else {
        pem.to_owned()
    };
    DkimSigningKey::new(&pkcs1, DkimSigningAlgorithm::Rsa)
        .map_err(|err| SendError::BadKey(err.to_string()))
}

/// The notification mail for the hook `claims` (a sample's): subject, text, HTML.
pub fn words(claims: &Value) -> (String, String, String) {
    let event = claims["events"].get(0).unwrap_or(claims);
    let event_type = event["event_type"].as_str().unwrap_or("event");
    let action = event["event_action"].as_str().unwrap_or("updated");
    let product = crate::truora::product_of(event_type);
    let events = crate::truora::classify(claims);
    let id = events
        .first()
        .and_then(|e| e.subject.clone())
        .unwrap_or_else(|| "(no process id)".to_owned());
    let title = crate::truora::describe(product.as_str(), None);
    let subject = format!("Truora: {title} {id} {action}");
    let text = format!(
        "Hello,\n\nthe {title} process {id} has {action}.\n\nEvent: {event_type}\nAction: {action}\nProcess: {id}\n\nA test notification sent by hookscope, in the manner of Truora's.\n"
    );
    let html = format!(
        "<html><body><p>Hello,</p><p>the <b>{title}</b> process <code>{id}</code> has <b>{action}</b>.</p><p><small>A test notification sent by hookscope.</small></p></body></html>"
    );
    (subject, text, html)
}

/// Sends one mail per claims, in order, and says what each got.
pub async fn send(options: &Options, all: &[Value]) -> Result<Vec<Sent>, SendError> {
    let (host, port) = host_port(&options.to)?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(options.timeout))
        .build();
    let from: Mailbox = options
        .from
        .parse()
        .map_err(|_| SendError::BadAddress(options.from.clone()))?;
    let rcpt: Mailbox = options
        .rcpt
        .parse()
        .map_err(|_| SendError::BadAddress(options.rcpt.clone()))?;
    let dkim = match &options.dkim {
        Some((key, domain, selector)) => Some(DkimConfig::new(
            selector.clone(),
            domain.clone(),
            signing_key(key)?,
            ["From", "To", "Subject", "Date", "Message-ID"]
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        )),
        None => None,
    };
    let mut sent = Vec::with_capacity(all.len());
    for claims in all {
        let (subject, text, html) = words(claims);
        let message = Message::builder()
            .from(from.clone())
            .to(rcpt.clone())
            .subject(subject.clone())
            .multipart(MultiPart::alternative_plain_html(text, html));
        let result = match message {
            Ok(mut message) => {
                if let Some(config) = &dkim {
                    message.sign(config);
                }
                transport
                    .send(message)
                    .await
                    .map(|reply| {
                        format!(
                            "{} {}",
                            reply.code(),
                            reply.message().collect::<Vec<_>>().join(" ")
                        )
                    })
                    .map_err(|err| err.to_string())
            }
            Err(err) => Err(err.to_string()),
        };
        sent.push(Sent { subject, result });
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_addresses_are_read_or_refused() {
        assert_eq!(
            host_port("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".to_owned(), 2525)
        );
        assert_eq!(
            host_port("smtp://[::1]:25/").unwrap(),
            ("::1".to_owned(), 25)
        );
        assert!(host_port("http://127.0.0.1:2525").is_err());
        assert!(host_port("smtp://127.0.0.1").is_err());
        assert!(host_port("smtp://:25").is_err());
    }

    #[test]
    fn a_notification_names_the_product_the_process_and_the_action() {
        let claims = crate::samples::claims("check", Some("finished"), 1_800_000_000, 7).unwrap();
        let (subject, text, html) = words(&claims);
        assert!(subject.starts_with("Truora: "), "{subject}");
        assert!(
            subject.contains("CHK") && subject.ends_with("finished"),
            "{subject}"
        );
        assert!(text.contains("has finished") && html.contains("<b>finished</b>"));
    }
}
