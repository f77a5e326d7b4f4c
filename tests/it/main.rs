//! The integration tests, one binary with a module per area (one link of egui and
//! hyper instead of one per file): the real binary on real sockets bound to port
//! 0, tokens signed in the test, the window driven through egui_kittest.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

mod curl;
mod email;
mod export;
mod forward;
mod gui;
mod hardening;
mod hostile;
mod imap;
mod journal;
mod keyring;
mod listen;
mod probe;
mod properties;
mod relay;
mod retention;
mod schemes;
mod secrets;
mod send;
mod timeline;
mod tls;
mod verify;
