//! `hookscope send`: a local Truora. Signs Truora-shaped hooks and POSTs them,
//! then reports statuses, latencies and whether Truora would disable the subscription.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use serde_json::Value;

use super::{SecretArgs, UsageError};
use crate::health::{Health, describe, is_success};

/// Arguments of `hookscope send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Where to POST the hooks (http://).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Which product's sample to send; `all` takes turns.
    #[arg(long, default_value = "digital_identity", value_parser = ["check", "continuous_check", "signals", "digital_identity", "validations", "all"])]
    pub product: String,
    /// The event_action to put in the events (default: the sample's).
    #[arg(long)]
    pub action: Option<String>,
    /// Claims to sign instead of a sample: JSON text, or @FILE.
    #[arg(long, value_name = "JSON|@FILE")]
    pub claims: Option<String>,
    /// How many hooks to send.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// How many to have in flight at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// The HMAC algorithm to sign with.
    #[arg(long, default_value = "HS256", value_parser = ["HS256", "HS384", "HS512"])]
    pub alg: String,
    /// Give up on a delivery after this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Runs `send`.
pub fn run(args: SendArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let (texts, encoding) = super::secrets::texts(&args.secrets, matches)?;
    // Checked like the verifying commands, then the first secret signs.
    super::secrets::verifier_for(&texts, encoding)?;
    let key = texts
        .first()
        .and_then(|text| encoding.decode(text))
        .ok_or_else(|| {
            UsageError(
                "send needs a secret to sign with: --secret, --secret-file or HOOKSCOPE_SECRET"
                    .to_owned(),
            )
        })?;
    if args.count == 0 || args.concurrency == 0 {
        return Err(UsageError("--count and --concurrency must be at least 1".to_owned()).into());
    }
    let alg = match args.alg.as_str() {
        "HS384" => jsonwebtoken::Algorithm::HS384,
        "HS512" => jsonwebtoken::Algorithm::HS512,
        _ => jsonwebtoken::Algorithm::HS256,
    };
    let custom: Option<Value> = match &args.claims {
        None => None,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("could not read the claims file {path}"))?,
                None => text.clone(),
            };
            Some(
                serde_json::from_str(&text)
                    .map_err(|err| UsageError(format!("--claims is not JSON: {err}")))?,
            )
        }
    };
    let now = crate::token::unix_now();
    let mut tokens = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let claims = match &custom {
            Some(claims) => claims.clone(),
            None => {
                let product = if args.product == "all" {
                    crate::samples::PRODUCTS[i % crate::samples::PRODUCTS.len()]
                } else {
                    args.product.as_str()
                };
                crate::samples::claims(product, args.action.as_deref(), now, i as u64)
                    .ok_or_else(|| UsageError(format!("no sample for {product}")))?
            }
        };
        tokens.push(crate::send::sign(&claims, &key, alg).context("could not sign the hook")?);
    }
    let timeout = Duration::from_millis(args.timeout_ms);
    let outcomes = deliver(&args.to, tokens, args.concurrency, timeout)?;
    let report = Report::new(&outcomes);
    print!("{}", report.render(&args.to));
    Ok(if report.would_disable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One delivery: the status, or why there was none.
type Outcome = (Result<u16, String>, Duration);

fn deliver(
    url: &str,
    tokens: Vec<String>,
    concurrency: usize,
    timeout: Duration,
) -> anyhow::Result<Vec<Outcome>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hookscope-send")
        .enable_all()
        .build()?;
    let url: Arc<str> = Arc::from(url);
    runtime.block_on(async move {
        let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = Vec::with_capacity(tokens.len());
        for token in tokens {
            let (limit, url) = (limit.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                let started = Instant::now();
                let result = crate::send::post(&url, token.into(), timeout)
                    .await
                    .map(|d| d.status)
                    .map_err(|err| err.to_string());
                (result, started.elapsed())
            }));
        }
        let mut outcomes = Vec::with_capacity(tasks.len());
        for task in tasks {
            outcomes.push(
                task.await
                    .unwrap_or_else(|err| (Err(err.to_string()), Duration::ZERO)),
            );
        }
        Ok(outcomes)
    })
}

/// What `send` saw.
#[derive(Debug)]
struct Report {
    sent: usize,
    ok: usize,
    statuses: BTreeMap<String, usize>,
    latencies: Vec<Duration>,
    health: String,
    would_disable: bool,
}

impl Report {
    fn new(outcomes: &[Outcome]) -> Report {
        let mut statuses = BTreeMap::new();
        let mut health = Health::default();
        let mut ok = 0;
        for (result, _) in outcomes {
            let (key, delivered) = match result {
                Ok(status) => (status.to_string(), is_success(*status)),
                Err(err) => (format!("error: {err}"), false),
            };
            ok += usize::from(delivered);
            *statuses.entry(key).or_insert(0) += 1;
            // All within this run: well inside one 60-minute window.
            health.record(0.0, delivered);
        }
        let snapshot = health.snapshot(0.0);
        let mut latencies: Vec<Duration> = outcomes.iter().map(|(_, d)| *d).collect();
        latencies.sort_unstable();
        Report {
            sent: outcomes.len(),
            ok,
            statuses,
            latencies,
            health: describe(&snapshot),
            would_disable: snapshot.would_disable(),
        }
    }

    fn render(&self, url: &str) -> String {
        let pick = |q: f64| {
            let i = ((self.latencies.len() as f64 * q).ceil() as usize)
                .clamp(1, self.latencies.len())
                - 1;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        let mut out = format!(
            "sent {} hooks to {url}: {} got 2xx, {} failed\n",
            self.sent,
            self.ok,
            self.sent - self.ok
        );
        out.push_str("statuses:");
        for (status, n) in &self.statuses {
            out.push_str(&format!(" {status} ×{n};"));
        }
        out.pop();
        out.push('\n');
        out.push_str(&format!(
            "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
            pick(0.5),
            pick(0.9),
            pick(0.99),
            pick(1.0)
        ));
        out.push_str(&self.health);
        out.push('\n');
        out
    }
}
