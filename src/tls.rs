//! TLS with rustls (and ring, which builds with a C compiler alone): the server side
//! from a PEM certificate chain and key (`--tls-cert`, `--tls-key`), and the client
//! side trusting the system's roots, or one CA file for a private server.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The provider every config here uses, whatever other crates turn on. ring rather
/// than aws-lc-rs: it builds with a C compiler alone; rustls marks it deprecated only
/// for its lack of post-quantum key exchange, which Truora and mail servers do not ask for.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM file, at least one.
fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("could not read the certificate file {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{} holds a certificate that cannot be read", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "{} holds no certificate (a PEM file with -----BEGIN CERTIFICATE----- is wanted)",
            path.display()
        );
    }
    Ok(certs)
}

/// What a server speaks TLS with: its certificate chain and private key, both PEM.
pub fn server(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "could not read a private key from {} (PKCS#8, PKCS#1 or SEC1 PEM is wanted)",
            key.display()
        )
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "the key does not go with the certificate in {}",
                cert.display()
            )
        })?;
    Ok(Arc::new(config))
}

/// What a client trusts: the CA certificates of `ca` when given (a private server),
/// else the system's roots.
pub fn client(ca: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            for cert in certificates(path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{} is no CA certificate", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                anyhow::bail!(
                    "no trusted certificate authority was found on this system: give a CA file"
                );
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
