//! hookscope: capture, verify and explain JWT-signed webhooks (Truora hooks).
//!
//! The core (everything but [`gui`]) knows nothing of windows: the headless
//! commands in [`cli`] and the desktop inspector in [`gui`] both stand on it.

pub mod capture;
pub mod cli;
pub mod credentials;
pub mod curl;
pub mod email;
pub mod events;
pub mod export;
pub mod forward;
pub mod gui;
pub mod health;
pub mod ndjson;
pub mod private;
pub mod probe;
pub mod receivers;
pub mod record;
pub mod relay;
pub mod replay;
pub mod samples;
pub mod schemes;
pub mod segments;
pub mod send;
pub mod service;
pub mod shapes;
pub mod terminal;
pub mod timeline;
pub mod tls;
pub mod token;
pub mod truora;
