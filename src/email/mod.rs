//! Email hooks, the seed's other delivery type: a mail read into a record
//! ([`parse`]), Truora's events read from it ([`events`]), its DKIM signature as its
//! verdict ([`dkim`]), and the SMTP sink that takes mail in ([`smtp`]).

pub mod dkim;
pub mod events;
pub mod parse;
pub mod smtp;

pub use dkim::Dkim;
pub use smtp::{SmtpConfig, SmtpSink};
