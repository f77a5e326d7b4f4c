//! A secret is never logged, recorded or exported: every output of every command
//! is searched for it.

use crate::support;

use assert_cmd::Command;
use jsonwebtoken::Algorithm;
use support::{Listener, sign, truora_claims};

const SECRET: &str = "s3cr3t-that-must-never-leak-0123456789";
const OTHER: &str = "another-secret-never-to-be-seen-987654";

fn assert_clean(what: &str, text: &str) {
    for secret in [SECRET, OTHER] {
        assert!(!text.contains(secret), "{what} contains a secret:\n{text}");
    }
}

#[test]
fn no_output_of_any_command_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{OTHER}\n")).unwrap();
    let listener = Listener::start(&[
        "--secret",
        &format!(" {SECRET}\n"),
        "--secret-file",
        secret_file.to_str().unwrap(),
    ]);
    let valid = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let invalid = sign(
        &truora_claims(),
        b"wrong-wrong-wrong-wrong-wrong-wrong-00",
        Algorithm::HS256,
    );
    for body in [&valid, &invalid, &format!("  {valid}  ")] {
        listener.post("/", &[], body.as_bytes());
    }
    let url = format!("http://{}/", listener.addr);
    let send = Command::new(support::bin())
        .args(["send", "--to", &url, "--count", "3"])
        .env("HOOKSCOPE_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(send.status.success());
    assert_clean("send stdout", &String::from_utf8_lossy(&send.stdout));
    assert_clean("send stderr", &String::from_utf8_lossy(&send.stderr));

    let journal = listener.journal.clone();
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let copy = dir.path().join("journal.ndjson");
    std::fs::write(&copy, &journal_text).unwrap();
    let (_, records, stderr) = listener.terminate();
    assert_eq!(records.len(), 6);
    // The hints speak of the pasted whitespace without quoting the secret.
    assert!(
        journal_text.contains("whitespace around it"),
        "{journal_text}"
    );
    assert_clean("journal", &journal_text);
    assert_clean("listen stderr", &stderr);

    for ext in ["ndjson", "json", "har"] {
        let to = dir.path().join(format!("out.{ext}"));
        let out = support::export(&copy, &to);
        assert!(out.status.success());
        assert_clean(ext, &std::fs::read_to_string(&to).unwrap());
        assert_clean("export stderr", &String::from_utf8_lossy(&out.stderr));
    }
    for token in [&valid, &invalid] {
        let out = Command::new(support::bin())
            .args([
                "verify",
                "--secret",
                &format!("{SECRET} "),
                "--secret",
                OTHER,
                token,
            ])
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert_clean("verify stdout", &String::from_utf8_lossy(&out.stdout));
        assert_clean("verify stderr", &String::from_utf8_lossy(&out.stderr));
    }
    // A usage error about a secret names it by number, never by value.
    let out = Command::new(support::bin())
        .args([
            "verify",
            "--secret-encoding",
            "base64",
            "--secret",
            SECRET,
            &valid,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean("usage error", &String::from_utf8_lossy(&out.stderr));
}
