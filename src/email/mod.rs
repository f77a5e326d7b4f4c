//! Email hooks, the seed's other delivery type: a mail read into a record
//! ([`parse`]), Truora's events read from it ([`events`]), its DKIM signature as its
//! verdict ([`dkim`]), the SMTP sink that takes mail in ([`smtp`]), the
//! follower of a real mailbox ([`imap`]), and Truora-like
//! mails sent out (`send --email`, [`send`]).

pub mod dkim;
pub mod events;
pub mod imap;
pub mod parse;
pub mod send;
pub mod smtp;

pub use dkim::Dkim;
pub use imap::{ImapConfig, ImapFollower, ImapUrl};
pub use smtp::{SmtpConfig, SmtpSink};
