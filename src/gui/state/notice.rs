//! A message in the status line, and how long it stays: a notice says what just
//! happened (a test hook sent, a replay, an export), so it goes once that is old
//! news; an error stays longer than news, and the user can dismiss either.

use std::time::{Duration, Instant};

/// How long a notice of news stays.
pub const NEWS: Duration = Duration::from_secs(10);
/// How long a notice of a failure stays.
pub const FAILURE: Duration = Duration::from_secs(30);

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// When it was said.
    pub at: Instant,
}

impl Notice {
    /// A message.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            text: text.into(),
            error: false,
            at: Instant::now(),
        }
    }

    /// A message about something that failed.
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            error: true,
            ..Notice::info(text)
        }
    }

    /// True once it has stayed its time.
    pub fn expired(&self) -> bool {
        self.left().is_zero()
    }

    /// How long it stays still.
    pub fn left(&self) -> Duration {
        let stays = if self.error { FAILURE } else { NEWS };
        stays.saturating_sub(self.at.elapsed())
    }
}
