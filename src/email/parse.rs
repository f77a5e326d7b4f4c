//! A mail read into a record: its header fields in order, the raw message as the
//! body, and what a person reads of it (From, To, Subject, the text, the HTML, the
//! attachments listed), with mail-parser. Truora's mail format is not published:
//! nothing here fails on a mail that looks otherwise.

use mail_parser::{MessageParser, MimeHeaders as _};

use crate::record::{Attachment, Email, Record, Transport};

/// Who handed the mail over: the SMTP envelope, or where an IMAP message was read.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    pub transport: Transport,
    pub remote_addr: String,
    pub mail_from: Option<String>,
    pub rcpt_to: Vec<String>,
    pub helo: Option<String>,
    pub mailbox: Option<String>,
    pub uid_validity: Option<u32>,
    pub uid: Option<u32>,
}

/// The most text kept of a mail's text or HTML part in its record (the raw message,
/// the body, keeps it all).
const KEPT_TEXT: usize = 256 * 1024;

/// The record of `raw` (the whole message as received; `truncated` when it was cut
/// at `--max-mail`), received at `received_at`.
pub fn record(raw: Vec<u8>, truncated: bool, envelope: Envelope, received_at: &str) -> Record {
    let mut record = Record::request(received_at, "", "", &envelope.remote_addr, Vec::new(), &[]);
    record.transport = envelope.transport;
    let mut email = Email {
        mail_from: envelope.mail_from,
        rcpt_to: envelope.rcpt_to,
        helo: envelope.helo,
        mailbox: envelope.mailbox,
        uid_validity: envelope.uid_validity,
        uid: envelope.uid,
        ..Email::default()
    };
    if let Some(message) = MessageParser::default().parse(&raw[..]) {
        record.headers = message
            .headers_raw()
            .map(|(name, value)| (name.to_owned(), unfold(value)))
            .collect();
        email.from = message.from().and_then(|a| a.first()).map(address);
        email.to = message
            .to()
            .map(|list| list.iter().map(address).collect())
            .unwrap_or_default();
        email.subject = message.subject().map(str::to_owned);
        email.date = message.date().map(|d| d.to_rfc3339());
        email.message_id = message.message_id().map(str::to_owned);
        // Only a real HTML part: mail-parser would render a text-only mail as HTML.
        email.html = message
            .html_part(0)
            .filter(|part| matches!(part.body, mail_parser::PartType::Html(_)))
            .and_then(|_| message.body_html(0))
            .map(|h| cut(h.into_owned()));
        // The plain part; without one, the HTML's text (mail-parser renders it).
        email.text = message.body_text(0).map(|t| cut(t.into_owned()));
        email.attachments = message
            .attachments()
            .map(|part| Attachment {
                filename: part.attachment_name().map(str::to_owned),
                content_type: part
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{sub}", ct.ctype()),
                        None => ct.ctype().to_owned(),
                    })
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
                size: part.len(),
            })
            .collect();
    }
    record.events = super::events::read(&email);
    (record.body, record.body_base64) = Record::encode_body_vec(raw);
    record.body_truncated = truncated;
    record.email = Some(Box::new(email));
    record
}

/// "Name <address>", or the address alone.
fn address(addr: &mail_parser::Addr<'_>) -> String {
    match (addr.name(), addr.address()) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.to_owned(),
        (Some(name), None) => name.to_owned(),
        (None, None) => String::new(),
    }
}

/// A header field's value on one line, as a person reads it (folding undone).
fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most [`KEPT_TEXT`] bytes of a part's text.
fn cut(mut text: String) -> String {
    if text.len() > KEPT_TEXT {
        let mut end = KEPT_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIL: &str = "From: Truora <notifications@truora.com>\r\n\
To: dev@example.com\r\n\
Subject: Background check CHK0123456789abcdef0123456789abcdef finished\r\n\
Date: Tue, 8 Dec 2026 01:00:00 +0000\r\n\
Message-ID: <abc@truora.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
The check CHK0123456789abcdef0123456789abcdef has finished.\r\n\
--b\r\n\
Content-Type: application/pdf\r\n\
Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--b--\r\n";

    #[test]
    fn a_mail_reads_into_its_record() {
        let envelope = Envelope {
            transport: Transport::Smtp,
            remote_addr: "127.0.0.1:5000".to_owned(),
            mail_from: Some("bounce@truora.com".to_owned()),
            rcpt_to: vec!["dev@example.com".to_owned()],
            helo: Some("mx.truora.com".to_owned()),
            ..Envelope::default()
        };
        let record = record(
            MAIL.as_bytes().to_vec(),
            false,
            envelope,
            "2026-12-08T01:00:00.000Z",
        );
        assert_eq!(record.transport, Transport::Smtp);
        assert_eq!((record.method.as_str(), record.path.as_str()), ("", ""));
        let email = record.email.as_deref().unwrap();
        assert_eq!(
            email.from.as_deref(),
            Some("Truora <notifications@truora.com>")
        );
        assert_eq!(email.to, ["dev@example.com"]);
        assert_eq!(email.message_id.as_deref(), Some("abc@truora.com"));
        assert!(email.text.as_deref().unwrap().contains("has finished"));
        assert_eq!(email.attachments.len(), 1);
        assert_eq!(email.attachments[0].filename.as_deref(), Some("report.pdf"));
        assert_eq!(email.attachments[0].content_type, "application/pdf");
        assert_eq!(record.headers[0].0, "From");
        assert_eq!(record.body.as_deref(), Some(MAIL));
        // The record as JSON: a mail has no method and no path.
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["transport"], "smtp");
        assert!(json["method"].is_null() && json["path"].is_null());
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn bytes_that_are_no_mail_still_make_a_record() {
        let record = record(
            b"\xff\xfe not a mail".to_vec(),
            true,
            Envelope::default(),
            "x",
        );
        assert!(record.body_base64.is_some() && record.body_truncated);
        assert!(record.email.is_some());
    }
}
