//! Receiver code for the user's stack: a small server per language that verifies a
//! Truora hook the way `hookscope probe` checks for: the token where the event
//! carried it (the raw body, a JSON or form field, `Authorization: Bearer`), the
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

    /// The file extension of its source.
    pub fn extension(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Node => "js",
            Language::Python => "py",
            Language::Rust => "rs",
        }
    }

    /// The language's name in words.
    fn title(self) -> &'static str {
        match self {
            Language::Go => "Go",
            Language::Node => "Node",
            Language::Python => "Python",
            Language::Rust => "Rust",
        }
    }

    /// How a comment line starts (Rust's module doc for the header).
    fn comment(self) -> &'static str {
        match self {
            Language::Python => "#",
            Language::Node | Language::Go => "//",
            Language::Rust => "//!",
        }
    }

    /// The server every receiver shares: bounded bodies, timeouts, a thread or
    /// task per connection; it calls the `verify` function the receiver brings.
    fn skeleton(self) -> &'static str {
        match self {
            Language::Go => include_str!("../assets/receivers/skeleton.go"),
            Language::Node => include_str!("../assets/receivers/skeleton.js"),
            Language::Python => include_str!("../assets/receivers/skeleton.py"),
            Language::Rust => include_str!("../assets/receivers/skeleton.rs"),
        }
    }

    /// Truora's JWT `verify` (what to install, imports, the function).
    fn jwt(self) -> &'static str {
        match self {
            Language::Go => include_str!("../assets/receivers/jwt.go"),
            Language::Node => include_str!("../assets/receivers/jwt.js"),
            Language::Python => include_str!("../assets/receivers/jwt.py"),
            Language::Rust => include_str!("../assets/receivers/jwt.rs"),
        }
    }
}

/// Where a receiver takes the token from: where the event carried it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Placement {
    /// The raw body, as Truora sends it.
    #[default]
    Body,
    /// A field of a JSON object body.
    Json(String),
    /// A field of a form body.
    Form(String),
    /// `Authorization: Bearer <token>`.
    Bearer,
}

impl Placement {
    /// From a record's token source (`body`, `json:FIELD`, `form:FIELD`,
    /// `header:authorization`); anything else, the body.
    pub fn from_source(source: &str) -> Placement {
        if let Some(field) = source.strip_prefix("json:") {
            Placement::Json(field.to_owned())
        } else if let Some(field) = source.strip_prefix("form:") {
            Placement::Form(field.to_owned())
        } else if source == "header:authorization" {
            Placement::Bearer
        } else {
            Placement::Body
        }
    }

    /// From the probe's `--as` (its fields are named `token`).
    pub fn from_probe(placement: crate::probe::Placement) -> Placement {
        match placement {
            crate::probe::Placement::Body => Placement::Body,
            crate::probe::Placement::Json => Placement::Json("token".to_owned()),
            crate::probe::Placement::Form => Placement::Form("token".to_owned()),
            crate::probe::Placement::Bearer => Placement::Bearer,
        }
    }

    /// The receiver's first line says where the token is.
    fn words(&self) -> String {
        match self {
            Placement::Body => "the raw body is the token".to_owned(),
            Placement::Json(field) => format!(
                "the token is the JSON body's field {}",
                literal(Language::Rust, field)
            ),
            Placement::Form(field) => format!(
                "the token is the form body's field {}",
                literal(Language::Rust, field)
            ),
            Placement::Bearer => "the token is in `Authorization: Bearer`".to_owned(),
        }
    }
}

/// A field's name as a string literal of `language`, ASCII only: quotes and
/// backslashes escaped, and every other character past printable ASCII (controls,
/// bidirectional overrides a hostile capture may hold) written as an escape, so
/// the printed code reads as it runs.
fn literal(language: Language, field: &str) -> String {
    let mut out = String::from("\"");
    for c in field.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c => {
                let code = u32::from(c);
                out.push_str(&match language {
                    Language::Node | Language::Rust => format!("\\u{{{code:x}}}"),
                    Language::Go | Language::Python if code > 0xffff => {
                        format!("\\U{code:08x}")
                    }
                    Language::Go | Language::Python => format!("\\u{code:04x}"),
                });
            }
        }
    }
    out.push('"');
    out
}

/// The statements that take the token out of the request, for `language`.
fn token_code(language: Language, placement: &Placement) -> String {
    match (language, placement) {
        (Language::Python, Placement::Body) => {
            r#"token = body.decode("utf-8").strip()"#.to_owned()
        }
        (Language::Python, Placement::Json(field)) => {
            format!("token = json.loads(body)[{}]", literal(language, field))
        }
        (Language::Python, Placement::Form(field)) => format!(
            r#"token = urllib.parse.parse_qs(body.decode("utf-8"))[{}][0]"#,
            literal(language, field)
        ),
        (Language::Python, Placement::Bearer) => {
            r#"token = headers.get("authorization", "").removeprefix("Bearer ").strip()"#
                .to_owned()
        }
        (Language::Node, Placement::Body) => {
            "const token = body.toString('utf8').trim();".to_owned()
        }
        (Language::Node, Placement::Json(field)) => format!(
            "const token = JSON.parse(body.toString('utf8'))[{}];",
            literal(language, field)
        ),
        (Language::Node, Placement::Form(field)) => format!(
            "const token = new URLSearchParams(body.toString('utf8')).get({});",
            literal(language, field)
        ),
        (Language::Node, Placement::Bearer) => {
            "const token = (headers.authorization || '').replace(/^Bearer /, '').trim();"
                .to_owned()
        }
        (Language::Go, Placement::Body) => "raw := strings.TrimSpace(string(body))".to_owned(),
        (Language::Go, Placement::Json(field)) => format!(
            "var fields map[string]any\n\tif err := json.Unmarshal(body, &fields); err != nil {{\n\t\treturn false\n\t}}\n\traw, _ := fields[{}].(string)",
            literal(language, field)
        ),
        (Language::Go, Placement::Form(field)) => format!(
            "form, _ := url.ParseQuery(string(body))\n\traw := form.Get({})",
            literal(language, field)
        ),
        (Language::Go, Placement::Bearer) => {
            "_ = body // the token is in the header\n\traw := strings.TrimSpace(strings.TrimPrefix(h.Get(\"Authorization\"), \"Bearer \"))".to_owned()
        }
        (Language::Rust, Placement::Body) => {
            "let _ = headers; // the token is in the body\n    let token = String::from_utf8_lossy(body).trim().to_owned();".to_owned()
        }
        (Language::Rust, Placement::Json(field)) => format!(
            "let _ = headers; // the token is in the body\n    let token = serde_json::from_slice::<serde_json::Value>(body)\n        .ok()\n        .and_then(|v| v.get({})?.as_str().map(str::to_owned))\n        .unwrap_or_default();",
            literal(language, field)
        ),
        (Language::Rust, Placement::Form(field)) => format!(
            "let _ = headers; // the token is in the body\n    let token = form_urlencoded::parse(body)\n        .find(|(name, _)| name == {})\n        .map(|(_, value)| value.into_owned())\n        .unwrap_or_default();",
            literal(language, field)
        ),
        (Language::Rust, Placement::Bearer) => "let _ = body; // the token is in the header\n    let token = headers\n        .iter()\n        .find(|(name, _)| name.eq_ignore_ascii_case(\"authorization\"))\n        .and_then(|(_, value)| value.strip_prefix(\"Bearer \"))\n        .unwrap_or_default()\n        .trim()\n        .to_owned();".to_owned(),
    }
}

/// The Go package the JWT receiver reads the token with, for `placement`.
fn go_imports(placement: &Placement) -> String {
    let name = match placement {
        Placement::Body | Placement::Bearer => "strings",
        Placement::Json(_) => "encoding/json",
        Placement::Form(_) => "net/url",
    };
    format!("\t\"{name}\"")
}

/// A Go import block's lines: the server's own packages and `extra`, the standard
/// library's sorted first, then the others after a blank line, as gofmt keeps them.
fn go_import_block(extra: &str) -> String {
    let mut standard = vec!["errors", "io", "log", "net/http", "os", "time"];
    let mut others = Vec::new();
    for line in extra.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = line.trim_matches('"');
        // A path whose first element has a dot is a module's, not the standard library's.
        if path
            .split('/')
            .next()
            .is_some_and(|first| first.contains('.'))
        {
            others.push(path);
        } else {
            standard.push(path);
        }
    }
    standard.sort_unstable();
    standard.dedup();
    others.sort_unstable();
    let quote = |paths: &[&str]| {
        paths
            .iter()
            .map(|p| format!("\t\"{p}\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if others.is_empty() {
        quote(&standard)
    } else {
        format!("{}\n\n{}", quote(&standard), quote(&others))
    }
}

/// The receiver in `language` for tokens signed with `alg` (HS256, HS384 or HS512;
/// anything else, HS256: only HMAC is what Truora signs with), taking the token
/// from where `placement` says.
pub fn code(language: Language, alg: Option<&str>, placement: &Placement) -> String {
    let alg = alg
        .filter(|alg| matches!(*alg, "HS256" | "HS384" | "HS512"))
        .unwrap_or("HS256");
    let setup = match placement {
        Placement::Form(_) => " form_urlencoded",
        _ => "",
    };
    let verify = language
        .jwt()
        .replace("{WHERE}", &placement.words())
        .replace("{IMPORTS}", &go_imports(placement))
        .replace("{SETUP}", setup)
        .replace("{TOKEN}", &token_code(language, placement))
        .replace("{ALG}", alg);
    assemble(
        language,
        &format!(
            "A Truora hook receiver in {}: the token verified with the hook's secret and {alg} only, before any claim is used.",
            language.title()
        ),
        &verify,
        "TRUORA_HOOK_SECRET",
        "the hook's secret",
    )
}

/// The receiver in `language` for webhooks signed with another provider's scheme:
/// the provider's official library where one exists, else the language's own HMAC
/// with a constant-time compare; the secret from `WEBHOOK_SECRET`.
pub fn scheme_code(language: Language, name: crate::schemes::Name) -> String {
    let scheme = name.scheme();
    assemble(
        language,
        &format!(
            "A {} webhook receiver in {}: its signature checked with the endpoint's secret over the raw body as received, before the body is used.",
            scheme.title(),
            language.title()
        ),
        scheme.receiver(language.extension()),
        "WEBHOOK_SECRET",
        "the endpoint's signing secret",
    )
}

/// A whole receiver: the shared server around `verify` (what to install, the
/// imports and the function, separated by `---` lines), said in `about`, its secret
/// read from the environment variable `env`.
fn assemble(language: Language, about: &str, verify: &str, env: &str, env_what: &str) -> String {
    let mut parts = verify.splitn(3, "\n---\n");
    let install = parts.next().unwrap_or_default().trim();
    let imports = parts.next().unwrap_or_default().trim_matches('\n');
    let imports = match language {
        Language::Go => go_import_block(imports),
        _ => imports.to_owned(),
    };
    let verify = parts.next().unwrap_or_default().trim_matches('\n');
    let comment = language.comment();
    // Go's doc comments indent code with a tab (gofmt); the others with spaces.
    let indent = if language == Language::Go {
        "\t"
    } else {
        "   "
    };
    let install = install
        .lines()
        .map(|line| format!("{comment}{indent}{line}"))
        .collect::<Vec<_>>()
        .join("\n");
    language
        .skeleton()
        .replace("{ABOUT}", &wrap(about, comment, 86))
        .replace("{INSTALL}", &install)
        .replace("{IMPORTS}", &imports)
        .replace("{VERIFY}", verify)
        .replace("{ENV_WHAT}", env_what)
        .replace("{ENV}", env)
}

/// `text` as comment lines starting with `comment`, at most `width` characters.
fn wrap(text: &str, comment: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = comment.to_owned();
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > width && line.len() > comment.len() {
            lines.push(std::mem::replace(&mut line, comment.to_owned()));
        }
        line.push(' ');
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_name_is_a_string_literal_in_each_language_whatever_it_holds() {
        let field = "a\"b\\c\n\u{1b}\u{202e}\u{1f600}";
        let placement = Placement::Json(field.to_owned());
        for (language, expected) in [
            (Language::Go, r#""a\"b\\c\u000a\u001b\u202e\U0001f600""#),
            (Language::Python, r#""a\"b\\c\u000a\u001b\u202e\U0001f600""#),
            (Language::Node, r#""a\"b\\c\u{a}\u{1b}\u{202e}\u{1f600}""#),
            (Language::Rust, r#""a\"b\\c\u{a}\u{1b}\u{202e}\u{1f600}""#),
        ] {
            let text = code(language, None, &placement);
            assert!(text.contains(expected), "{language:?}: {text}");
            // Nothing past printable ASCII reaches the printed code from a field.
            assert!(!text.contains('\u{202e}'), "{language:?}");
        }
    }

    #[test]
    fn where_the_token_is_comes_from_the_events_source() {
        assert_eq!(
            Placement::from_source("json:jwt"),
            Placement::Json("jwt".into())
        );
        assert_eq!(
            Placement::from_source("form:t"),
            Placement::Form("t".into())
        );
        assert_eq!(
            Placement::from_source("header:authorization"),
            Placement::Bearer
        );
        assert_eq!(Placement::from_source("body"), Placement::Body);
        let python = code(Language::Python, None, &Placement::Form("jwt".into()));
        assert!(
            python.contains(r#"parse_qs(body.decode("utf-8"))["jwt"][0]"#),
            "{python}"
        );
        assert!(python.contains("the form body's field \"jwt\""), "{python}");
    }

    #[test]
    fn each_receiver_allows_only_the_events_algorithm() {
        for language in Language::ALL {
            let text = code(language, Some("HS384"), &Placement::Body);
            assert!(text.contains("HS384"), "{language:?}");
            assert!(
                !text.contains("HS256") && !text.contains("{ALG}"),
                "{language:?}"
            );
            assert!(text.contains("TRUORA_HOOK_SECRET"), "{language:?}");
            assert!(code(language, Some("none"), &Placement::Body).contains("HS256"));
        }
    }

    #[test]
    fn each_scheme_has_a_whole_receiver_in_each_language() {
        use crate::schemes::Name;
        for name in [
            Name::StandardWebhooks,
            Name::Stripe,
            Name::Github,
            Name::Shopify,
            Name::Slack,
        ] {
            for language in Language::ALL {
                let text = scheme_code(language, name);
                assert!(text.contains("WEBHOOK_SECRET"), "{name:?} {language:?}");
                assert!(text.contains("verify("), "{name:?} {language:?}");
                for placeholder in ["{TITLE}", "{INSTALL}", "{IMPORTS}", "{VERIFY}", "\n---\n"] {
                    assert!(
                        !text.contains(placeholder),
                        "{name:?} {language:?}: {placeholder}"
                    );
                }
            }
        }
    }
}
