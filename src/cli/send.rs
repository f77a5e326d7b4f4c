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
use crate::truora::Product;

/// Arguments of `hookscope send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Where to POST the hooks (http://), or with --email where to send the mails
    /// (smtp://HOST:PORT).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Send Truora-like notification mails instead of hooks (text and HTML; the
    /// product, action and process id in the subject).
    #[arg(long)]
    pub email: bool,
    /// With --email: who the mails are from.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "Truora <notifications@truora.com>"
    )]
    pub from: String,
    /// With --email: who they go to.
    #[arg(long, value_name = "ADDRESS", default_value = "dev@example.com")]
    pub rcpt: String,
    /// With --email: DKIM-sign each mail (rsa-sha256, relaxed/relaxed) with this RSA key (PEM).
    #[arg(long, value_name = "PEM", requires_all = ["email", "dkim_domain", "dkim_selector"])]
    pub dkim_key: Option<std::path::PathBuf>,
    /// With --dkim-key: the signing domain (d=), whose DNS holds the public key.
    #[arg(long, value_name = "DOMAIN", requires = "dkim_key")]
    pub dkim_domain: Option<String>,
    /// With --dkim-key: the selector (s=): the key is at SELECTOR._domainkey.DOMAIN.
    #[arg(long, value_name = "SELECTOR", requires = "dkim_key")]
    pub dkim_selector: Option<String>,
    /// Send another provider's webhooks instead of Truora's: realistic events of
    /// that provider, signed with its scheme and sent with its headers.
    #[arg(long, value_name = "SCHEME", value_enum, conflicts_with_all = ["email", "scenario", "claims"])]
    pub scheme: Option<crate::schemes::Name>,
    /// With --scheme: the body to sign instead of the provider's sample (text, or @FILE).
    #[arg(long, value_name = "TEXT|@FILE", requires = "scheme")]
    pub body: Option<String>,
    /// Which product's sample to send; `all` takes turns.
    #[arg(long, value_enum, default_value_t = ProductChoice::One(Product::DigitalIdentity))]
    pub product: ProductChoice,
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
    #[arg(long, value_enum, default_value_t = Alg::HS256)]
    pub alg: Alg,
    /// Give up on a delivery after this many milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Send whole processes instead of single hooks: `lifecycle` sends each
    /// product's events in order (check: created, started, finished; ...).
    #[arg(long, value_name = "NAME", value_enum)]
    pub scenario: Option<Scenario>,
    /// With --scenario: the time between a process's event timestamps.
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub step_ms: u64,
    /// With --scenario: the fraction of events sent twice, as Truora's retries are.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub duplicates: f64,
    /// With --scenario: deliver each process out of order (its first event last).
    #[arg(long)]
    pub shuffle: bool,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Which product's sample `send` signs (`--product`): one of Truora's, or `all`
/// taking turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductChoice {
    One(Product),
    All,
}

/// The choices, in the order `--help` lists them: every product hooks come from.
static PRODUCT_CHOICES: std::sync::LazyLock<Vec<ProductChoice>> = std::sync::LazyLock::new(|| {
    Product::ALL
        .into_iter()
        .filter(|p| p.is_truora())
        .map(ProductChoice::One)
        .chain([ProductChoice::All])
        .collect()
});

impl clap::ValueEnum for ProductChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &PRODUCT_CHOICES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            ProductChoice::One(product) => product.as_str(),
            ProductChoice::All => "all",
        }))
    }
}

impl ProductChoice {
    /// The sample's product name for hook `i`.
    fn name(self, i: usize) -> &'static str {
        match self {
            ProductChoice::One(product) => product.as_str(),
            ProductChoice::All => crate::samples::PRODUCTS[i % crate::samples::PRODUCTS.len()],
        }
    }
}

/// The HMAC algorithm `send` signs with (`--alg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
pub enum Alg {
    #[value(name = "HS256")]
    HS256,
    #[value(name = "HS384")]
    HS384,
    #[value(name = "HS512")]
    HS512,
}

/// Whole processes instead of single hooks (`--scenario`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Each product's events in order (check: created, started, finished; ...).
    Lifecycle,
}

/// Runs `send`.
pub fn run(args: SendArgs, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    if args.email {
        return run_email(&args);
    }
    if let Some(name) = args.scheme {
        return run_scheme(&args, matches, name);
    }
    let key =
        super::secrets::signing_key(&args.secrets, matches, "send needs a secret to sign with")?;
    crate::forward::Target::parse(&args.to, Duration::from_millis(args.timeout_ms))
        .map_err(|err| UsageError(err.to_string()))?;
    if args.count == 0 || args.concurrency == 0 {
        return Err(UsageError("--count and --concurrency must be at least 1".to_owned()).into());
    }
    let alg = match args.alg {
        Alg::HS256 => jsonwebtoken::Algorithm::HS256,
        Alg::HS384 => jsonwebtoken::Algorithm::HS384,
        Alg::HS512 => jsonwebtoken::Algorithm::HS512,
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
    if !(0.0..=1.0).contains(&args.duplicates) {
        return Err(UsageError("--duplicates is a fraction between 0 and 1".to_owned()).into());
    }
    let sequences = match args.scenario {
        Some(_) => scenario(&args, &key, alg, now)?,
        None => singles(&args, custom.as_ref(), &key, alg, now)?,
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    let sequences = sequences
        .into_iter()
        .map(|tokens| tokens.into_iter().map(crate::send::Outgoing::jwt).collect())
        .collect();
    let outcomes = deliver(&args.to, sequences, args.concurrency, timeout)?;
    let report = Report::new(&outcomes);
    print!("{}", report.render(&args.to));
    Ok(if report.would_disable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `send --scheme S`: the provider's events (or `--body`), signed with its scheme
/// and the secret as given, sent with its headers; exit 1 as for hooks.
fn run_scheme(
    args: &SendArgs,
    matches: &clap::ArgMatches,
    name: crate::schemes::Name,
) -> anyhow::Result<ExitCode> {
    let (texts, _) = super::secrets::texts(&args.secrets, matches)?;
    let secret = texts.into_iter().next().ok_or_else(|| {
        UsageError(
            "send needs the endpoint's signing secret: give it with --secret-file, HOOKSCOPE_SECRET or --secret"
                .to_owned(),
        )
    })?;
    let timeout = Duration::from_millis(args.timeout_ms);
    crate::forward::Target::parse(&args.to, timeout).map_err(|err| UsageError(err.to_string()))?;
    if args.count == 0 || args.concurrency == 0 {
        return Err(UsageError("--count and --concurrency must be at least 1".to_owned()).into());
    }
    let body = match &args.body {
        None => None,
        Some(text) => Some(match text.strip_prefix('@') {
            Some(path) => std::fs::read(path)
                .with_context(|| format!("could not read the body file {path}"))?,
            None => text.clone().into_bytes(),
        }),
    };
    let scheme = name.scheme();
    let now = crate::token::unix_now();
    let run = run_serial();
    let sequences = (0..args.count)
        .map(|i| {
            let mut sample = scheme.sample(run + i as u64, now);
            if let Some(body) = &body {
                sample.body.clone_from(body);
            }
            vec![crate::schemes::signed(scheme, &secret, &sample, now)]
        })
        .collect();
    let outcomes = deliver(&args.to, sequences, args.concurrency, timeout)?;
    let report = Report::new(&outcomes);
    print!("{}", report.render(&args.to));
    Ok(if report.would_disable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `send --email`: the mails of the hooks `send` would sign, over SMTP; exit 1 when
/// any was not accepted.
fn run_email(args: &SendArgs) -> anyhow::Result<ExitCode> {
    if args.count == 0 {
        return Err(UsageError("--count must be at least 1".to_owned()).into());
    }
    let dkim = match (&args.dkim_key, &args.dkim_domain, &args.dkim_selector) {
        (Some(path), Some(domain), Some(selector)) => {
            let key = std::fs::read_to_string(path)
                .with_context(|| format!("could not read the DKIM key {}", path.display()))?;
            Some((key, domain.clone(), selector.clone()))
        }
        _ => None,
    };
    let options = crate::email::send::Options {
        to: args.to.clone(),
        from: args.from.clone(),
        rcpt: args.rcpt.clone(),
        dkim,
        timeout: Duration::from_millis(args.timeout_ms),
    };
    crate::email::send::check(&options).map_err(|err| UsageError(err.to_string()))?;
    let now = crate::token::unix_now();
    let run = run_serial();
    let all: Vec<Value> = match args.scenario {
        Some(Scenario::Lifecycle) => {
            let products: Vec<&str> = match args.product {
                ProductChoice::One(product) => vec![product.as_str()],
                ProductChoice::All => crate::samples::PRODUCTS.to_vec(),
            };
            products
                .iter()
                .enumerate()
                .filter_map(|(i, product)| {
                    crate::samples::process(
                        product,
                        now * 1000,
                        run + i as u64,
                        args.step_ms as i64,
                    )
                })
                .flatten()
                .collect()
        }
        None => (0..args.count)
            .filter_map(|i| {
                crate::samples::claims(
                    args.product.name(i),
                    args.action.as_deref(),
                    now,
                    run + i as u64,
                )
            })
            .collect(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sent = runtime
        .block_on(crate::email::send::send(&options, &all))
        .map_err(|err| UsageError(err.to_string()))?;
    let mut failed = 0;
    for mail in &sent {
        match &mail.result {
            Ok(reply) => println!("{reply}  {}", crate::terminal::escape(&mail.subject)),
            Err(err) => {
                failed += 1;
                println!(
                    "not sent: {}  {}",
                    crate::terminal::escape(err),
                    crate::terminal::escape(&mail.subject)
                );
            }
        }
    }
    println!(
        "{} of {} mails accepted by {}{}",
        sent.len() - failed,
        sent.len(),
        args.to,
        if options.dkim.is_some() {
            " (DKIM-signed)"
        } else {
            ""
        }
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One hook per delivery: `--claims`, or the samples of `--product` in turn.
fn singles(
    args: &SendArgs,
    custom: Option<&Value>,
    key: &[u8],
    alg: jsonwebtoken::Algorithm,
    now: i64,
) -> anyhow::Result<Vec<Vec<String>>> {
    // Ids differ from one run to the next, as Truora's do: two runs in the same
    // second must not look like retries of each other.
    let run = run_serial();
    let mut sequences = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let claims = match custom {
            Some(claims) => claims.clone(),
            None => {
                let product = args.product.name(i);
                crate::samples::claims(product, args.action.as_deref(), now, run + i as u64)
                    .ok_or_else(|| UsageError(format!("no sample for {product}")))?
            }
        };
        let token =
            crate::token::sign::sign(&claims, key, alg).context("could not sign the hook")?;
        sequences.push(vec![token]);
    }
    Ok(sequences)
}

/// `--scenario lifecycle`: one delivery sequence per process, in the order its
/// tokens are to arrive (duplicates right after their original; with `--shuffle`
/// the first event goes last).
fn scenario(
    args: &SendArgs,
    key: &[u8],
    alg: jsonwebtoken::Algorithm,
    now: i64,
) -> anyhow::Result<Vec<Vec<String>>> {
    let step_ms = i64::try_from(args.step_ms).unwrap_or(i64::MAX / 4);
    let run = run_serial();
    let mut processes = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let product = args.product.name(i);
        let steps = crate::samples::lifecycle(product, i as u64).len() as i64;
        // The process happened just before now, so Truora's delays come out positive.
        let start_ms = now * 1000 - step_ms.saturating_mul(steps);
        let claims = crate::samples::process(product, start_ms, run + i as u64, step_ms)
            .ok_or_else(|| UsageError(format!("no sample for {product}")))?;
        let tokens = claims
            .iter()
            .map(|c| crate::token::sign::sign(c, key, alg))
            .collect::<Result<Vec<_>, _>>()
            .context("could not sign the hook")?;
        processes.push(tokens);
    }
    let events: usize = processes.iter().map(Vec::len).sum();
    let twice = (args.duplicates * events as f64).round() as usize;
    // Every k-th event, spread evenly, is sent twice.
    let duplicated = |n: usize| (n + 1) * twice / events.max(1) > n * twice / events.max(1);
    let mut n = 0;
    let mut shuffled = 0;
    let sequences = processes
        .into_iter()
        .map(|mut tokens| {
            if args.shuffle && tokens.len() > 1 {
                tokens.rotate_left(1);
                shuffled += 1;
            }
            let mut sequence = Vec::with_capacity(tokens.len() + 1);
            for token in tokens {
                if duplicated(n) {
                    sequence.push(token.clone());
                }
                sequence.push(token);
                n += 1;
            }
            sequence
        })
        .collect();
    println!(
        "scenario lifecycle: {} processes, {events} events, {twice} sent twice, {shuffled} delivered out of order",
        args.count
    );
    Ok(sequences)
}

/// A number for this run, in the high bits of the serials that make event and
/// subject ids unique.
fn run_serial() -> u64 {
    let nanos = jiff::Timestamp::now().subsec_nanosecond().unsigned_abs();
    (u64::from(std::process::id()) << 40 | u64::from(nanos) << 8) & !0xff
}

/// One delivery: the status, or why there was none.
type Outcome = (Result<u16, String>, Duration);

/// Sends each sequence in its order, `concurrency` sequences at a time.
fn deliver(
    url: &str,
    sequences: Vec<Vec<crate::send::Outgoing>>,
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
        let mut tasks = Vec::with_capacity(sequences.len());
        for sequence in sequences {
            let (limit, url) = (limit.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                let mut outcomes = Vec::with_capacity(sequence.len());
                for outgoing in sequence {
                    let started = Instant::now();
                    let result = crate::send::request(&url, outgoing, timeout)
                        .await
                        .map(|d| d.status)
                        .map_err(|err| err.to_string());
                    outcomes.push((result, started.elapsed()));
                }
                outcomes
            }));
        }
        let mut outcomes = Vec::with_capacity(tasks.len());
        for task in tasks {
            match task.await {
                Ok(done) => outcomes.extend(done),
                Err(err) => outcomes.push((Err(err.to_string()), Duration::ZERO)),
            }
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
