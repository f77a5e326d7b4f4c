//! Request text printed to a terminal: control characters are shown escaped, so a
//! crafted path cannot move the cursor, set the window title or clear the screen.

use std::fmt::Write as _;

/// `text` with C0 and C1 control characters and DEL written as `\x1b` / `\u{9b}`,
/// and the invisible characters that change how a line reads (bidirectional
/// overrides and isolates, zero-width characters) as `\u{202e}`.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || invisible(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if c.is_control() && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters a terminal shows as nothing, or that reorder what follows them.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' // zero-width space, joiners, LRM/RLM
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{feff}' // zero-width no-break space
    )
}

/// A writer of JSON lines for a terminal: DEL and the C1 controls (U+0080 to
/// U+009F), which JSON leaves as they are, are written as `\u` escapes; the JSON
/// means the same, and the terminal sees no control byte.
pub struct JsonLines<W: std::io::Write> {
    out: W,
    /// A 0xC2 byte ended the last write: the next byte may complete a C1 character.
    pending_c2: bool,
}

impl<W: std::io::Write> JsonLines<W> {
    /// Wraps `out`.
    pub fn new(out: W) -> Self {
        JsonLines {
            out,
            pending_c2: false,
        }
    }
}

impl<W: std::io::Write> std::io::Write for JsonLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len());
        for &b in buf {
            if self.pending_c2 {
                self.pending_c2 = false;
                if (0x80..=0x9f).contains(&b) {
                    let _ = write!(out, "\\u{b:04x}");
                    continue;
                }
                out.push(0xc2);
            }
            match b {
                0xc2 => self.pending_c2 = true,
                0x7f => out.extend_from_slice(b"\\u007f"),
                _ => out.push(b),
            }
        }
        self.out.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.out.write_all(&[0xc2])?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn controls_are_shown_not_sent() {
        assert_eq!(escape("/hooks?x=1"), "/hooks?x=1");
        assert_eq!(
            escape("/a\u{1b}]0;pwned\u{7}b\u{9b}c\u{7f}"),
            "/a\\x1b]0;pwned\\x07b\\u{9b}c\\x7f"
        );
    }

    #[test]
    fn bidi_and_zero_width_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape("/a\u{202e}gpj.exe\u{200b}b"),
            "/a\\u{202e}gpj.exe\\u{200b}b"
        );
        assert_eq!(escape("/héllo"), "/héllo");
    }

    #[test]
    fn json_lines_escape_c1_and_del_and_keep_their_meaning() {
        use std::io::Write as _;
        let line = serde_json::to_vec(&serde_json::json!({"path": "/a\u{9b}2J\u{7f}é"})).unwrap();
        let mut out = super::JsonLines::new(Vec::new());
        // Split inside the two-byte C1 character.
        let split = line.iter().position(|&b| b == 0xc2).unwrap() + 1;
        out.write_all(&line[..split]).unwrap();
        out.write_all(&line[split..]).unwrap();
        out.flush().unwrap();
        let written = out.out;
        assert!(
            !written.iter().any(|&b| b == 0x7f || b == 0x9b),
            "{written:?}"
        );
        let back: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(back["path"], "/a\u{9b}2J\u{7f}é");
    }
}
