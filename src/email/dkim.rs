//! DKIM as a mail's signature (`verification.scheme: "dkim"`): is this mail really
//! from who its From says? `valid` only when a signature whose `d=` is the From
//! domain (or a parent of it) verifies, body hash and signature; the keys are read
//! from DNS (`--dns ADDR`, else the system's resolver), with mail-auth.

use std::net::SocketAddr;
use std::sync::Arc;

use mail_auth::common::crypto::Algorithm;
use mail_auth::dkim::DkimError;
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, DnsError, Error, MessageAuthenticator};

use crate::record::{Record, Signature, TimeState, Verification};

/// Checks mails' DKIM signatures. Cheap to clone.
#[derive(Clone)]
pub struct Dkim {
    authenticator: Result<Arc<MessageAuthenticator>, String>,
}

impl Dkim {
    /// Reads keys from the DNS server at `dns`, else from the system's resolver.
    pub fn new(dns: Option<SocketAddr>) -> Dkim {
        let authenticator = match dns {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                MessageAuthenticator::new(
                    ResolverConfig::from_name_servers(vec![server]),
                    ResolverOpts::default(),
                )
            }
            None => MessageAuthenticator::new_system_conf(),
        };
        Dkim {
            authenticator: authenticator
                .map(Arc::new)
                .map_err(|err| format!("no DNS resolver: {err}")),
        }
    }

    /// [`Dkim::check`] from a thread outside any async runtime (a re-verification's).
    pub fn check_blocking(&self, record: &mut Record) {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(self.check(record)),
            Err(err) => {
                record.verification = verdict(
                    Signature::NoSecret,
                    None,
                    format!("the DKIM keys could not be read: {err}"),
                    Vec::new(),
                );
            }
        }
    }

    /// Sets the record's verification from its DKIM signatures.
    pub async fn check(&self, record: &mut Record) {
        let raw = record.body_bytes().into_owned();
        let from = record
            .email
            .as_ref()
            .and_then(|e| e.from.as_deref())
            .and_then(domain_of)
            .map(str::to_ascii_lowercase);
        let message_id = record.email.as_ref().and_then(|e| e.message_id.clone());
        record.verification = match &self.authenticator {
            Err(why) if has_signature(record) => verdict(
                Signature::NoSecret,
                None,
                format!("the DKIM keys could not be read: {why}"),
                vec!["start hookscope with --dns ADDR naming a DNS server it can reach".to_owned()],
            ),
            Err(_) => unsigned(),
            Ok(authenticator) => check(authenticator, &raw, record, from.as_deref()).await,
        };
        // DKIM is the scheme of every signed mail; the Message-ID is its delivery's id.
        if record.verification.signature != Signature::Unsigned {
            record.verification.scheme = Some("dkim".to_owned());
        }
        record.verification.message_id = message_id;
    }
}

/// Whether the mail carries a `DKIM-Signature` at all.
fn has_signature(record: &Record) -> bool {
    record
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("dkim-signature"))
}

fn unsigned() -> Verification {
    verdict(
        Signature::Unsigned,
        None,
        "no DKIM-Signature: nothing in this mail says who sent it".to_owned(),
        vec!["anyone can write any From: only a DKIM signature of the sender's domain shows a mail is genuine".to_owned()],
    )
}

/// A mail's verdict: DKIM signs no time state of its own.
fn verdict(
    signature: Signature,
    alg: Option<String>,
    detail: String,
    hints: Vec<String>,
) -> Verification {
    Verification::new(signature, alg, TimeState::Absent, detail, hints)
}

async fn check(
    authenticator: &MessageAuthenticator,
    raw: &[u8],
    record: &Record,
    from: Option<&str>,
) -> Verification {
    if !has_signature(record) {
        return unsigned();
    }
    let Some(message) = AuthenticatedMessage::parse(raw) else {
        return verdict(
            Signature::Malformed,
            None,
            "the message cannot be read for DKIM (its header is broken)".to_owned(),
            Vec::new(),
        );
    };
    let outputs = authenticator.verify_dkim(&message).await;
    let signed: Vec<_> = outputs
        .iter()
        .filter_map(|o| Some((o.result(), o.signature()?)))
        .collect();
    let aligned = |d: &str| {
        from.is_some_and(|from| {
            let d = d.to_ascii_lowercase();
            from == d || from.ends_with(&format!(".{d}"))
        })
    };
    // The one that counts: a passing signature of the From domain (rsa-sha1 is no
    // longer acceptable, RFC 8301).
    if let Some((_, sig)) = signed
        .iter()
        .find(|(r, s)| **r == DkimResult::Pass && aligned(&s.d) && s.a != Algorithm::RsaSha1)
    {
        let mut v = verdict(
            Signature::Valid,
            Some(alg_name(sig.a).to_owned()),
            format!("DKIM signature of {} verified (selector {})", sig.d, sig.s),
            Vec::new(),
        );
        if !from.is_some_and(|f| f.ends_with("truora.com")) {
            v.hints.push(format!(
                "the From domain ({}) is not Truora's: a genuine mail of its own sender, not a Truora notification",
                from.unwrap_or("none")
            ));
        }
        return v;
    }
    if let Some((_, sig)) = signed.iter().find(|(_, s)| s.a == Algorithm::RsaSha1) {
        return verdict(
            Signature::UnsupportedAlg,
            Some("rsa-sha1".to_owned()),
            format!(
                "the DKIM signature of {} uses rsa-sha1, which is no longer accepted (RFC 8301)",
                sig.d
            ),
            Vec::new(),
        );
    }
    if let Some((_, sig)) = signed.iter().find(|(r, _)| **r == DkimResult::Pass) {
        return verdict(
            Signature::Invalid,
            Some(alg_name(sig.a).to_owned()),
            format!(
                "a DKIM signature verified, but for {}, not for the From domain ({})",
                sig.d,
                from.unwrap_or("none")
            ),
            vec!["a signature for another domain says nothing of who wrote From: check who really sent it".to_owned()],
        );
    }
    let Some((result, sig)) = signed.first() else {
        // Signatures there, none readable (or only of an unknown algorithm).
        let unsupported = outputs.iter().any(|o| {
            matches!(
                o.result(),
                DkimResult::Neutral(Error::Dkim(DkimError::UnsupportedAlgorithm))
            )
        });
        return if unsupported {
            verdict(
                Signature::UnsupportedAlg,
                None,
                "the DKIM signature uses an algorithm other than rsa-sha256 or ed25519-sha256"
                    .to_owned(),
                Vec::new(),
            )
        } else {
            verdict(
                Signature::Malformed,
                None,
                "a DKIM-Signature is there but cannot be read (a missing tag, or bad base64)"
                    .to_owned(),
                Vec::new(),
            )
        };
    };
    let alg = Some(alg_name(sig.a).to_owned());
    match result {
        DkimResult::TempError(err) | DkimResult::PermError(err) if is_dns(err) => verdict(
            Signature::NoSecret,
            alg,
            format!(
                "the key {}._domainkey.{} could not be read from DNS: {err}",
                sig.s, sig.d
            ),
            vec!["check the DNS server (--dns) and that the selector's TXT record exists".to_owned()],
        ),
        DkimResult::Neutral(Error::Dkim(DkimError::FailedBodyHashMatch))
        | DkimResult::Fail(Error::Dkim(DkimError::FailedBodyHashMatch)) => verdict(
            Signature::Invalid,
            alg,
            format!("the body does not match the DKIM signature of {} (its body hash)", sig.d),
            vec!["the body changed in transit: a mailing list, a footer or a re-encoding added after signing".to_owned()],
        ),
        DkimResult::PermError(Error::Dkim(DkimError::UnsupportedAlgorithm))
        | DkimResult::Neutral(Error::Dkim(DkimError::UnsupportedAlgorithm)) => verdict(
            Signature::UnsupportedAlg,
            alg,
            format!("the DKIM signature of {} uses an algorithm that is not accepted", sig.d),
            Vec::new(),
        ),
        other => {
            let why = match other {
                DkimResult::Fail(err)
                | DkimResult::Neutral(err)
                | DkimResult::PermError(err)
                | DkimResult::TempError(err) => err.to_string(),
                DkimResult::Pass | DkimResult::None => "it did not verify".to_owned(),
            };
            let mut hints = Vec::new();
            if why.to_ascii_lowercase().contains("key") && why.contains("short") {
                hints.push("the signing key is too short: RSA keys need at least 1024 bits".to_owned());
            }
            verdict(
                Signature::Invalid,
                alg,
                format!("the DKIM signature of {} does not verify: {why}", sig.d),
                hints,
            )
        }
    }
}

/// A DNS lookup failure (the key could not be read).
fn is_dns(err: &Error) -> bool {
    matches!(
        err,
        Error::Dns(
            DnsError::Resolver(_) | DnsError::RecordNotFound(_) | DnsError::InvalidRecordType
        )
    )
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RsaSha256 => "rsa-sha256",
        Algorithm::RsaSha1 => "rsa-sha1",
        Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

/// The domain of an address written "Name <a@b>" or "a@b".
fn domain_of(address: &str) -> Option<&str> {
    let address = address
        .rsplit_once('<')
        .map_or(address, |(_, rest)| rest.trim_end_matches('>'));
    address.rsplit_once('@').map(|(_, domain)| domain.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_from_domain_is_read_from_either_form() {
        assert_eq!(
            domain_of("Truora <a@mail.truora.com>"),
            Some("mail.truora.com")
        );
        assert_eq!(domain_of("a@truora.com"), Some("truora.com"));
        assert_eq!(domain_of("nobody"), None);
    }
}
