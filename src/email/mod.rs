//! Email hooks, the seed's other delivery type: a mail read into a record
//! ([`parse`]), Truora's events read from it ([`events`]), its DKIM signature as its
//! verdict ([`dkim`]), the SMTP sink that takes mail in ([`smtp`]), and Truora-like
//! mails sent out (`send --email`, [`send`]).

pub mod dkim;
pub mod events;
pub mod parse;
pub mod send;
pub mod smtp;

pub use dkim::Dkim;
pub use smtp::{SmtpConfig, SmtpSink};
