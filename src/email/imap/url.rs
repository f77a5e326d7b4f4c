//! The mailbox `--imap` follows, as a URL: `imaps://USER@HOST[:PORT]/MAILBOX`
//! (percent-encoded where the user or mailbox needs it; IMAP over TLS only).

/// An account and mailbox: `imaps://USER@HOST[:PORT]/MAILBOX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub mailbox: String,
}

impl std::str::FromStr for ImapUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<ImapUrl, String> {
        let usage = "give the mailbox as imaps://USER@HOST[:PORT]/MAILBOX";
        let Some(rest) = text.strip_prefix("imaps://") else {
            return Err(if text.starts_with("imap://") {
                format!(
                    "{text:?}: hookscope speaks IMAP over TLS only (the password would cross the network in clear): {usage}"
                )
            } else {
                format!("{text:?} is no IMAP URL: {usage}")
            });
        };
        let (authority, mailbox) = rest.split_once('/').unwrap_or((rest, ""));
        // The user may hold an @ of its own (user@example.com@imap.example.com).
        let Some((user, host_port)) = authority.rsplit_once('@') else {
            return Err(format!("{text:?} names no user: {usage}"));
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("{port:?} is no port: {usage}"))?,
            ),
            _ => (host_port, 993),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let user = decode(user);
        if user.is_empty() || host.is_empty() {
            return Err(format!("{text:?} names no user or no host: {usage}"));
        }
        let mailbox = decode(mailbox.trim_end_matches('/'));
        Ok(ImapUrl {
            user,
            host: host.to_owned(),
            port,
            mailbox: if mailbox.is_empty() {
                "INBOX".to_owned()
            } else {
                mailbox
            },
        })
    }
}

impl std::fmt::Display for ImapUrl {
    /// The URL as records and messages name the mailbox (no password is ever in it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "imaps://{}@{host}:{}/{}",
            encode(&self.user),
            self.port,
            encode(&self.mailbox)
        )
    }
}

/// Percent-decoding, for a user or mailbox written in a URL.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of what would break a URL's user or path.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_user_a_host_a_port_and_a_mailbox() {
        let url: ImapUrl = "imaps://dev%40example.com@imap.example.com/Truora%20hooks"
            .parse()
            .unwrap();
        assert_eq!(url.user, "dev@example.com");
        assert_eq!(url.host, "imap.example.com");
        assert_eq!(url.port, 993);
        assert_eq!(url.mailbox, "Truora hooks");
        assert_eq!(
            url.to_string(),
            "imaps://dev%40example.com@imap.example.com:993/Truora%20hooks"
        );
        let url: ImapUrl = "imaps://dev@example.com@127.0.0.1:9993".parse().unwrap();
        assert_eq!((url.user.as_str(), url.port), ("dev@example.com", 9993));
        assert_eq!(url.mailbox, "INBOX");
        assert!(
            "imap://dev@host/INBOX"
                .parse::<ImapUrl>()
                .unwrap_err()
                .contains("in clear")
        );
        assert!("imaps://host/INBOX".parse::<ImapUrl>().is_err());
        assert!("imaps://dev@host:x/INBOX".parse::<ImapUrl>().is_err());
    }
}
