//! Receiver code for the user's stack: a small server per language that verifies a
//! Truora hook the way `hookscope probe` checks for: the raw body as the token, the
//! secret from `TRUORA_HOOK_SECRET`, and the event's algorithm only. The templates
//! live in `assets/receivers/`; `scripts/check-receivers` runs each one against its
//! real library with genuine and forged tokens.

/// A language a receiver is written in (`verify --code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Go with golang-jwt v5.
    Go,
    /// Node.js with jsonwebtoken.
    Node,
    /// Python with PyJWT.
    Python,
    /// Rust with jsonwebtoken.
    Rust,
}

impl Language {
    /// Every language, in the order the window lists them.
    pub const ALL: [Language; 4] = [
        Language::Go,
        Language::Node,
        Language::Python,
        Language::Rust,
    ];

    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Node => "node",
            Language::Python => "python",
            Language::Rust => "rust",
        }
    }

    /// The library the receiver verifies with.
    pub fn library(self) -> &'static str {
        match self {
            Language::Go => "golang-jwt v5",
            Language::Node => "jsonwebtoken (npm)",
            Language::Python => "PyJWT",
            Language::Rust => "jsonwebtoken (crates.io)",
        }
    }

    fn template(self) -> &'static str {
        match self {
            Language::Go => include_str!("../assets/receivers/go.go"),
            Language::Node => include_str!("../assets/receivers/node.js"),
            Language::Python => include_str!("../assets/receivers/python.py"),
            Language::Rust => include_str!("../assets/receivers/rust.rs"),
        }
    }
}

/// The receiver in `language` for tokens signed with `alg` (HS256, HS384 or HS512;
/// anything else, HS256: only HMAC is what Truora signs with).
pub fn code(language: Language, alg: Option<&str>) -> String {
    let alg = alg
        .filter(|alg| matches!(*alg, "HS256" | "HS384" | "HS512"))
        .unwrap_or("HS256");
    language.template().replace("{ALG}", alg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_receiver_allows_only_the_events_algorithm() {
        for language in Language::ALL {
            let text = code(language, Some("HS384"));
            assert!(text.contains("HS384"), "{language:?}");
            assert!(
                !text.contains("HS256") && !text.contains("{ALG}"),
                "{language:?}"
            );
            assert!(text.contains("TRUORA_HOOK_SECRET"), "{language:?}");
            assert!(code(language, Some("none")).contains("HS256"));
        }
    }
}
