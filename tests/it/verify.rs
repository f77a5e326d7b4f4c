//! `hookscope verify` against published vectors and tokens signed in the test.

use crate::support;

use assert_cmd::Command;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use support::{SECRET, sign, truora_claims};

/// RFC 7515 Appendix A.1: an HS256 JWS and its key (JWK `k`, base64url).
const RFC7515_A1: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7515_A1_KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

/// jwt.io's sample tokens and their secrets.
const JWT_IO: [(&str, &str, &str); 3] = [
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "your-256-bit-secret",
        "HS256",
    ),
    (
        "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.bQTnz6AuMJvmXXQsVPrxeQNvzDkimo7VNXxHeSBfClLufmCVZRUuyTwJF311JHuh",
        "your-384-bit-secret",
        "HS384",
    ),
    (
        "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.VFb0qJ1LRg_4ujbZoRMXnVkUgiuKq5KxWqNdbKq_G9Vvz-S1zZa9LPxtHWKa64zDl2ofkT8F6jBt_K4riU-fPg",
        "your-512-bit-secret",
        "HS512",
    ),
];

fn verify(args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let mut cmd = Command::new(support::bin());
    cmd.arg("verify").args(args).env_remove("HOOKSCOPE_SECRET");
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap(),
        json,
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn jwt_io_samples_are_valid() {
    for (token, secret, alg) in JWT_IO {
        let (code, out, _) = verify(&["--secret", secret, token], None);
        assert_eq!(code, 0, "{alg}: {out}");
        assert_eq!(out["verification"]["signature"], "valid");
        assert_eq!(out["verification"]["alg"], alg);
        assert_eq!(out["token"]["claims"]["name"], "John Doe");
        let (code, out, _) = verify(&["--secret", "your-256-bit-secreT", token], None);
        assert_eq!(code, 1);
        assert_eq!(out["verification"]["signature"], "invalid");
    }
}

#[test]
fn rfc7515_a1_with_key_as_base64url_and_as_text() {
    let (code, out, _) = verify(
        &[
            "--secret-encoding",
            "base64url",
            "--secret",
            RFC7515_A1_KEY,
            RFC7515_A1,
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["verification"]["signature"], "valid");
    assert_eq!(out["verification"]["time"], "expired");
    assert_eq!(out["token"]["header"]["typ"], "JWT");
    assert_eq!(out["token"]["claims"]["iss"], "joe");

    let (code, out, _) = verify(&["--secret", RFC7515_A1_KEY, RFC7515_A1], None);
    assert_eq!(code, 1);
    assert_eq!(out["verification"]["signature"], "invalid");
    let hints = out["verification"]["hints"].to_string();
    assert!(hints.contains("as base64url"), "{hints}");
}

#[test]
fn stdin_is_searched_like_a_body() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let body = format!(r#"{{"token": "{token}"}}"#);
    let (code, out, _) = verify(&["--secret", SECRET, "-"], Some(&body));
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["token"]["source"], "json:token");
    assert_eq!(out["events"][0]["product"], "digital_identity");
    assert_eq!(out["events"][0]["subject"], "IDP456");
    let (code, out, _) = verify(&["--secret", SECRET], Some(&format!("{token}\n")));
    assert_eq!(code, 0);
    assert_eq!(out["token"]["source"], "body");
    assert_eq!(out["verification"]["scheme"], "jwt");
    let (code, out, _) = verify(&["--secret", SECRET], Some("no token here"));
    assert_eq!(code, 1);
    assert_eq!(out["verification"]["signature"], "unsigned");
    // Nothing signs it: no scheme, written as null.
    assert!(
        out["verification"]
            .as_object()
            .unwrap()
            .contains_key("scheme")
    );
    assert_eq!(out["verification"]["scheme"], Value::Null);
    assert_eq!(out["token"], Value::Null);
}

#[test]
fn secret_order_files_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let file_arg = file.to_str().unwrap();
    let (code, out, _) = verify(
        &[
            "--secret",
            "first-wrong-secret-xxxxxxxxxxxxxxxxx",
            "--secret-file",
            file_arg,
            &token,
        ],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(out["verification"]["secret"], 1);
    // --secret-file before --secret keeps command-line order.
    let (_, out, _) = verify(&["--secret-file", file_arg, "--secret", "x", &token], None);
    assert_eq!(out["verification"]["secret"], 0);

    let output = Command::new(support::bin())
        .args(["verify", "--secret", "wrong", &token])
        .env("HOOKSCOPE_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["verification"]["secret"], 1);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(SECRET));
}

#[test]
fn usage_errors_exit_2() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let (code, _, stderr) = verify(&["--secret", "", &token], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("secret #1 is empty"), "{stderr}");
    let (code, _, _) = verify(&["--secret-encoding", "hex", "--secret", "a", &token], None);
    assert_eq!(code, 2);
    let (code, _, stderr) = verify(
        &["--secret-encoding", "base64", "--secret", "***", &token],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("not valid base64") && !stderr.contains("***"),
        "{stderr}"
    );
}

#[test]
fn alg_none_and_padding() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let payload = token.split('.').nth(1).unwrap();
    let none = format!("eyJhbGciOiJub25lIn0.{payload}.");
    let (code, out, _) = verify(&["--secret", SECRET, &none], None);
    assert_eq!(code, 1);
    assert_eq!(out["verification"]["signature"], "unsupported_alg");
    let padded = format!("{token}=");
    let (code, out, _) = verify(&["--secret", SECRET, &padded], None);
    assert_eq!(code, 1);
    assert_eq!(out["verification"]["signature"], "malformed");
}

/// A compact JWS over any header and payload text, signed HS256 with `secret`.
fn jws(header: &str, payload: &str, secret: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!("{}.{}", b64.encode(header), b64.encode(payload));
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{input}.{signature}")
}

#[test]
fn a_crit_header_is_malformed_even_when_signed() {
    for header in [
        r#"{"alg":"HS256","crit":["exp"]}"#,
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
    ] {
        let token = jws(header, r#"{"iss":"Truora"}"#, SECRET);
        let (code, out, _) = verify(&["--secret", SECRET, &token], None);
        assert_eq!(code, 1, "{out}");
        let v = &out["verification"];
        assert_eq!(v["signature"], "malformed", "{header}");
        assert!(v["detail"].as_str().unwrap().contains("crit"), "{v}");
        assert!(v["hints"].to_string().contains("crit"), "{v}");
        if header.contains("b64") {
            assert!(v["detail"].as_str().unwrap().contains("b64"), "{v}");
        }
    }
}

#[test]
fn exp_or_nbf_that_is_not_a_number_is_an_invalid_claim() {
    for claims in [
        r#"{"iss":"Truora","exp":"2030-01-01"}"#,
        r#"{"iss":"Truora","nbf":null}"#,
    ] {
        let token = jws(r#"{"alg":"HS256"}"#, claims, SECRET);
        let (code, out, _) = verify(&["--secret", SECRET, &token], None);
        assert_eq!(code, 0, "the signature is still valid: {out}");
        assert_eq!(out["verification"]["time"], "invalid_claim", "{claims}");
        assert!(
            out["verification"]["hints"]
                .to_string()
                .contains("not a number"),
            "{out}"
        );
    }
    let token = jws(r#"{"alg":"HS256"}"#, r#"{"exp":1.5e12}"#, SECRET);
    let (_, out, _) = verify(&["--secret", SECRET, &token], None);
    assert_eq!(out["verification"]["time"], "ok");
}

#[test]
fn hints_for_mangled_requests_and_wrong_secrets() {
    let token = sign(&truora_claims(), SECRET.as_bytes(), Algorithm::HS256);
    let hints = |args: &[&str], stdin: &str| {
        let (_, out, _) = verify(args, Some(stdin));
        out["verification"]["hints"].to_string()
    };
    // A byte-order mark before the token.
    let with_bom = format!("\u{feff}{token}");
    assert!(hints(&["--secret", SECRET, "-"], &with_bom).contains("byte-order mark"));
    // The token JSON-encoded as a string.
    let quoted = format!("\"{token}\"");
    assert!(hints(&["--secret", SECRET, "-"], &quoted).contains("JSON string"));
    // A public key given as the secret.
    let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----";
    let pem_arg = format!("--secret={pem}");
    assert!(hints(&[&pem_arg, "-"], &token).contains("public key"));
    // The signature matches, but what was signed is not JSON.
    let not_json = jws(r#"{"alg":"HS256"}"#, "iss=Truora", SECRET);
    let (_, out, _) = verify(&["--secret", SECRET, &not_json], None);
    assert_eq!(out["verification"]["signature"], "malformed");
    assert!(
        out["verification"]["hints"]
            .to_string()
            .contains("signature matches secret #1"),
        "{out}"
    );
    // Signed right over JSON that cannot be read: said as such, not "not JSON".
    let deep = format!(r#"{{"d":{}{}}}"#, "[".repeat(130), "]".repeat(130));
    for (payload, why) in [
        (
            r#"{"iss":"Truora","n":1e400}"#,
            "beyond the range of a 64-bit float",
        ),
        (deep.as_str(), "nested 128 levels deep or more"),
    ] {
        let token = jws(r#"{"alg":"HS256"}"#, payload, SECRET);
        let (_, out, _) = verify(&["--secret", SECRET, &token], None);
        let verification = &out["verification"];
        assert_eq!(verification["signature"], "malformed");
        let detail = verification["detail"].as_str().unwrap();
        assert!(detail.contains("the payload is JSON"), "{detail}");
        assert!(detail.contains(why), "{detail}");
        let hints = verification["hints"].to_string();
        assert!(hints.contains("really signed this payload"), "{hints}");
        assert!(!hints.contains("not JSON"), "{hints}");
    }
    // On the command line, an encoding hint names the flag.
    use base64::Engine as _;
    let key = [9u8; 32];
    let b64 = base64::engine::general_purpose::STANDARD.encode(key);
    let signed = sign(&truora_claims(), &key, Algorithm::HS256);
    assert!(hints(&["--secret", &b64, "-"], &signed).contains("--secret-encoding base64"));
}
