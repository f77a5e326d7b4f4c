//! A captured request as a `curl` command that sends it again byte for byte.

use crate::record::Record;

/// Headers curl works out itself from what it sends.
const COMPUTED: [&str; 3] = ["content-length", "transfer-encoding", "expect"];

/// Quotes bytes for bash as `$'...'`, so any byte (binary, quotes, newlines) survives.
fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push_str("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// The body as a `printf` format in single quotes: `printf` turns `\NNN` back into
/// any byte, NUL included (which no shell string can hold).
fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('\'');
    for &b in bytes {
        match b {
            b'\'' => out.push_str("'\\''"),
            b'\\' => out.push_str("\\\\"),
            b'%' => out.push_str("%%"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('\'');
    out
}

/// The command, sending to `base` (e.g. `http://127.0.0.1:8787`) plus the record's path.
/// Headers go as recorded (curl's own defaults are switched off where the record has
/// them); the body is sent exactly, with `--data-binary`.
pub fn command(record: &Record, base: &str) -> String {
    // Joined with `/` as replay joins them: a recorded path like `@host:port` must
    // stay a path, not become the URL's user and host.
    let url = match record.path.strip_prefix('/') {
        Some(_) => format!("{}{}", base.trim_end_matches('/'), record.path),
        None => format!("{}/{}", base.trim_end_matches('/'), record.path),
    };
    let mut parts = vec![
        "curl".to_owned(),
        "-sS".to_owned(),
        // A path like /z[1-500] is a URL range to curl: one paste, 500 requests.
        "--globoff".to_owned(),
        "-X".to_owned(),
        quote(record.method.as_bytes()),
        quote(url.as_bytes()),
    ];
    let has = |name: &str| {
        record
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for (name, value) in &record.headers {
        // CR, LF or NUL would end the header (and start another) in curl's request.
        let breaks = |text: &str| text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if COMPUTED.contains(&name.to_ascii_lowercase().as_str())
            || name.eq_ignore_ascii_case("host")
            || breaks(name)
            || breaks(value)
        {
            continue;
        }
        parts.push("-H".to_owned());
        // `Name;` is curl's way to send a header with an empty value.
        let header = if value.is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        parts.push(quote(header.as_bytes()));
    }
    // Without these, curl would add its own headers the sender never sent.
    for name in ["User-Agent", "Accept", "Content-Type"] {
        if !has(name) {
            parts.push("-H".to_owned());
            parts.push(quote(format!("{name}:").as_bytes()));
        }
    }
    parts.push("-H".to_owned());
    parts.push(quote(b"Expect:"));
    let body = record.body_bytes();
    if body.is_empty() && record.method == "GET" {
        return parts.join(" ");
    }
    parts.push("--data-binary".to_owned());
    parts.push("@-".to_owned());
    // `--` ends printf's options: a body starting with '-' is data, not a flag.
    format!("printf -- {} | {}", printf_format(&body), parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_stays_a_path_and_a_header_cannot_start_another() {
        let mut record = Record::request(
            "2026-11-26T13:45:11.123Z",
            "POST",
            "@evil.example:9",
            "127.0.0.1:1",
            vec![
                ("X-Ok".to_owned(), "fine".to_owned()),
                ("X-Bad".to_owned(), "a\r\nX-Injected: 1".to_owned()),
            ],
            b"x",
        );
        let command = command(&record, "http://127.0.0.1:8787");
        assert!(
            command.contains("$'http://127.0.0.1:8787/@evil.example:9'"),
            "{command}"
        );
        assert!(command.contains("X-Ok: fine") && !command.contains("X-Injected"));
        record.path = "/hooks".to_owned();
        assert!(command_has(&record, "$'http://127.0.0.1:8787/hooks'"));
    }

    fn command_has(record: &Record, text: &str) -> bool {
        command(record, "http://127.0.0.1:8787/").contains(text)
    }

    #[test]
    fn quoting_keeps_every_byte() {
        assert_eq!(quote(b"a'b\\c\n\xff"), r"$'a\'b\\c\x0a\xff'");
        assert_eq!(printf_format(b"a'%\\\x00\n"), r"'a'\''%%\\\000\012'");
    }
}
