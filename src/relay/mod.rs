//! The relay: a `listen` on a server serves its journal to followers over a read
//! API ([`api`]), and `attach` ([`attach`]) follows it from a laptop, verifying
//! with the laptop's secrets, journaling locally and delivering to the local app.
//! Secrets never leave the laptops: the relay stores and serves raw requests.

pub mod api;
pub mod attach;
pub mod backlog;
pub mod client;
