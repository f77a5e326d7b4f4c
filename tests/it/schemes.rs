//! The other providers' schemes, with requests signed by the providers' own
//! libraries (Stripe's and Octokit's from npm, Standard Webhooks' and Slack's from
//! PyPI; `.ci/run` installs them, the test says it skipped without them).

use std::path::PathBuf;

use serde_json::Value;

use crate::support;

use support::Listener;

const STRIPE_SECRET: &str = "whsec_stripe_test_0123456789";
/// A Standard Webhooks secret: whsec_ and the base64 of its key.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GITHUB_SECRET: &str = "github-webhook-secret";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

const BODY: &str = r#"{"id":"evt_9","type":"payment_intent.succeeded","data":{"id":"msg_data","object":{"id":"pi_9"}},"action":"opened","repository":{"full_name":"octo/hello"}}"#;

/// The providers' npm packages, where `.ci/run` puts them.
fn node_modules() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/provider-libs/node_modules");
    (dir.join("stripe").is_dir() && dir.join("@octokit/webhooks-methods").is_dir()).then_some(dir)
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn requests_signed_by_the_providers_libraries_verify_and_tampered_ones_do_not() {
    let Some(modules) = node_modules() else {
        eprintln!(
            "skipped: no stripe and @octokit/webhooks-methods in target/provider-libs (.ci/run installs them)"
        );
        return;
    };
    if run("python3", &["-c", "import standardwebhooks, slack_sdk"]).is_none() {
        eprintln!("skipped: no standardwebhooks and slack_sdk for Python (pip install them)");
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Node: Stripe's test header helper and Octokit's sign().
    let node = format!(
        r#"
import {{ createRequire }} from 'node:module';
import {{ sign }} from '{m}/@octokit/webhooks-methods/dist-node/index.js';
const Stripe = createRequire('{m}/')('stripe');
const stripe = Stripe('sk_test_x');
const payload = {body:?};
console.log(JSON.stringify({{
  stripe: stripe.webhooks.generateTestHeaderString({{ payload, secret: {stripe:?} }}),
  github: await sign({github:?}, payload),
}}));
"#,
        m = modules.display(),
        body = BODY,
        stripe = STRIPE_SECRET,
        github = GITHUB_SECRET,
    );
    let node = run("node", &["--input-type=module", "-e", &node]).expect("node signs");
    let node: Value = serde_json::from_str(node.trim()).unwrap();
    // Python: Standard Webhooks' and Slack's.
    let (standard, slack) = (STANDARD_SECRET, SLACK_SECRET);
    let python = format!(
        r#"
import json, datetime
from standardwebhooks.webhooks import Webhook
from slack_sdk.signature import SignatureVerifier
body = {BODY:?}
at = datetime.datetime.fromtimestamp({now}, tz=datetime.timezone.utc)
print(json.dumps({{
  "standard": Webhook({standard:?}).sign("msg_9", at, body),
  "slack": SignatureVerifier({slack:?}).generate_signature(timestamp="{now}", body=body),
}}))
"#
    );
    let python = run("python3", &["-c", &python]).expect("python signs");
    let python: Value = serde_json::from_str(python.trim()).unwrap();
    let listener = Listener::start(&[
        "--secret",
        STRIPE_SECRET,
        "--secret",
        STANDARD_SECRET,
        "--secret",
        GITHUB_SECRET,
        "--secret",
        SLACK_SECRET,
    ]);
    let now = now.to_string();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "stripe",
            vec![(
                "Stripe-Signature",
                node["stripe"].as_str().unwrap().to_owned(),
            )],
        ),
        (
            "github",
            vec![
                (
                    "X-Hub-Signature-256",
                    node["github"].as_str().unwrap().to_owned(),
                ),
                ("X-GitHub-Event", "pull_request".to_owned()),
                ("X-GitHub-Delivery", "d-9".to_owned()),
            ],
        ),
        (
            "standard_webhooks",
            vec![
                ("webhook-id", "msg_9".to_owned()),
                ("webhook-timestamp", now.clone()),
                (
                    "webhook-signature",
                    python["standard"].as_str().unwrap().to_owned(),
                ),
            ],
        ),
        (
            "slack",
            vec![
                (
                    "X-Slack-Signature",
                    python["slack"].as_str().unwrap().to_owned(),
                ),
                ("X-Slack-Request-Timestamp", now.clone()),
            ],
        ),
    ];
    for (scheme, headers) in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(
            listener.post("/hook", &headers, BODY.as_bytes()).status,
            200
        );
        let record = listener.last();
        let v = &record["verification"];
        assert_eq!(v["scheme"], *scheme, "{v}");
        assert_eq!(v["signature"], "valid", "{scheme}: {v}");
        // The same headers over a body changed by one byte.
        let tampered = BODY.replace("evt_9", "evt_8");
        listener.post("/hook", &headers, tampered.as_bytes());
        let v = listener.last()["verification"].clone();
        assert_eq!(v["signature"], "invalid", "{scheme}: {v}");
    }
    let records = listener.records();
    assert_eq!(records[0]["events"][0]["subject"], "pi_9");
    assert_eq!(records[0]["verification"]["message_id"], "evt_9");
    assert_eq!(records[2]["events"][0]["type"], "pull_request");
    assert_eq!(records[2]["events"][0]["subject"], "octo/hello");
}

const SHOPIFY_SECRET: &str = "shpss_0123456789abcdef0123456789ab";

/// Each scheme and the secret its endpoint has.
const SECRETS: [(&str, &str); 5] = [
    ("stripe", STRIPE_SECRET),
    ("standard_webhooks", STANDARD_SECRET),
    ("github", GITHUB_SECRET),
    ("shopify", SHOPIFY_SECRET),
    ("slack", SLACK_SECRET),
];

#[test]
fn what_send_scheme_signs_hookscope_and_the_providers_own_libraries_accept() {
    let Some(modules) = node_modules() else {
        eprintln!("skipped: no stripe and @octokit/webhooks-methods in target/provider-libs");
        return;
    };
    if run("python3", &["-c", "import standardwebhooks, slack_sdk"]).is_none() {
        eprintln!("skipped: no standardwebhooks and slack_sdk for Python");
        return;
    }
    let mut args = Vec::new();
    for (_, secret) in SECRETS {
        args.extend(["--secret", secret]);
    }
    let listener = Listener::start(&args);
    for (scheme, secret) in SECRETS {
        let output = std::process::Command::new(support::bin())
            .args([
                "send", "--scheme", scheme, "--count", "2", "--secret", secret,
            ])
            .args(["--to", &format!("http://{}/hooks/{scheme}", listener.addr)])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{scheme}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let records = listener.records();
    assert_eq!(records.len(), 10);
    for (record, (scheme, _)) in records.iter().zip(SECRETS.iter().flat_map(|s| [s, s])) {
        let v = &record["verification"];
        assert_eq!(v["scheme"], *scheme, "{v}");
        assert_eq!(v["signature"], "valid", "{scheme}: {v}");
        assert_eq!(
            v["time"],
            if ["github", "shopify"].contains(scheme) {
                "absent"
            } else {
                "ok"
            }
        );
        let event = &record["events"][0];
        assert_eq!(event["product"], *scheme);
        assert!(event["type"].is_string(), "{scheme}: {event}");
    }
    assert_ne!(
        records[0]["verification"]["message_id"], records[1]["verification"]["message_id"],
        "two sends are two deliveries"
    );
    // The providers' own libraries verify what was sent, from the bytes received.
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("captured.json");
    std::fs::write(&captured, serde_json::to_vec(&records).unwrap()).unwrap();
    let header = "const h = (r, n) => r.headers.find(([k]) => k.toLowerCase() == n)[1];";
    let node = format!(
        r#"
import {{ createRequire }} from 'node:module';
import {{ readFileSync }} from 'node:fs';
import {{ verify }} from '{m}/@octokit/webhooks-methods/dist-node/index.js';
const stripe = createRequire('{m}/')('stripe')('sk_test_x');
{header}
const records = JSON.parse(readFileSync({captured:?}, 'utf8'));
for (const r of records.filter(r => r.verification.scheme == 'stripe'))
  stripe.webhooks.constructEvent(r.body, h(r, 'stripe-signature'), {stripe:?});
for (const r of records.filter(r => r.verification.scheme == 'github'))
  if (!(await verify({github:?}, r.body, h(r, 'x-hub-signature-256')))) throw new Error('octokit refused');
console.log('node ok');
"#,
        m = modules.display(),
        captured = captured.display().to_string(),
        stripe = STRIPE_SECRET,
        github = GITHUB_SECRET,
    );
    let said = run("node", &["--input-type=module", "-e", &node]);
    assert_eq!(said.as_deref().map(str::trim), Some("node ok"));
    let python = format!(
        r#"
import json, hmac, hashlib, base64
from standardwebhooks.webhooks import Webhook
from slack_sdk.signature import SignatureVerifier
records = json.load(open({captured:?}))
h = lambda r, n: next(v for k, v in r["headers"] if k.lower() == n)
for r in records:
    s = r["verification"]["scheme"]
    if s == "standard_webhooks":
        Webhook({standard:?}).verify(r["body"], {{k.lower(): v for k, v in r["headers"]}})
    if s == "slack":
        assert SignatureVerifier({slack:?}).is_valid(r["body"], h(r, "x-slack-request-timestamp"), h(r, "x-slack-signature"))
    if s == "shopify":
        mac = base64.b64encode(hmac.new({shopify:?}.encode(), r["body"].encode(), hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(mac, h(r, "x-shopify-hmac-sha256"))
print("python ok")
"#,
        captured = captured.display().to_string(),
        standard = STANDARD_SECRET,
        slack = SLACK_SECRET,
        shopify = SHOPIFY_SECRET,
    );
    let said = run("python3", &["-c", &python]);
    assert_eq!(said.as_deref().map(str::trim), Some("python ok"));
}

#[test]
fn a_request_signed_by_svixs_own_library_with_svix_headers_verifies() {
    if run("python3", &["-c", "import svix"]).is_none() {
        eprintln!("skipped: no svix for Python (pip install svix)");
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let python = format!(
        r#"
import datetime
from svix.webhooks import Webhook
at = datetime.datetime.fromtimestamp({now}, tz=datetime.timezone.utc)
print(Webhook({STANDARD_SECRET:?}).sign("msg_svix_1", at, {BODY:?}))
"#
    );
    let signature = run("python3", &["-c", &python]).expect("svix signs");
    let listener = Listener::start(&["--secret", STANDARD_SECRET]);
    let now = now.to_string();
    let headers = [
        ("svix-id", "msg_svix_1"),
        ("svix-timestamp", now.as_str()),
        ("svix-signature", signature.trim()),
    ];
    assert_eq!(
        listener.post("/svix", &headers, BODY.as_bytes()).status,
        200
    );
    let v = listener.last()["verification"].clone();
    assert_eq!(v["scheme"], "standard_webhooks", "{v}");
    assert_eq!(v["signature"], "valid", "{v}");
    assert_eq!(v["message_id"], "msg_svix_1");
    listener.post("/svix", &headers, BODY.replace("evt_9", "evt_8").as_bytes());
    assert_eq!(listener.last()["verification"]["signature"], "invalid");
}
