//! The workbench: probing the user's app with genuine and forged hooks, editing an
//! event's claims and sending it again re-signed (or forged on purpose), and the
//! receiver code shown for an event.

use std::sync::Arc;
use std::time::Duration;

use super::Notice;
use super::jobs::{Inbox, Jobs};
use crate::probe::{Options, Placement, Report};
use crate::receivers::Language;
use crate::record::Record;
use crate::token::Analyze as _;

/// What the workbench's controls ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkbenchCommand {
    /// Probe the forwarding target with the first secret.
    Probe,
    /// What the probe tests the app as: a receiver of Truora's hooks (`None`) or
    /// of another provider's scheme.
    ProbeScheme(Option<crate::schemes::Name>),
    /// Open the editor on the selected event.
    Edit,
    /// The editor's fields changed.
    EditForm(EditorForm),
    /// Sign (or forge) and send what the editor holds.
    Send,
    CloseEditor,
    /// The language of the receiver code shown.
    CodeLanguage(Language),
    /// Whose receiver the code is: the event's own scheme (`None`), Truora's JWT
    /// (`Some(None)`) or another provider's scheme.
    CodeScheme(Option<Option<crate::schemes::Name>>),
    /// Open (Some) or close (None) the pane that verifies a pasted token.
    Paste(Option<String>),
}

/// How the edited token is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// With the secret of this row (0-based).
    Secret(usize),
    /// With a secret that is not the hook's: a forgery.
    WrongSecret,
    /// The original token's signature, kept: a forgery unless nothing changed.
    KeepOriginal,
}

/// Where the edited request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// This window's listener.
    Listener,
    /// The app in *Reply & forward*.
    App,
    /// Any http:// URL.
    Url(String),
}

/// The editor's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorForm {
    /// The claims as JSON text.
    pub claims: String,
    /// HS256, HS384, HS512 or none.
    pub alg: String,
    pub signing: Signing,
    pub target: Target,
}

/// An event open in the editor.
#[derive(Debug, Clone)]
pub struct Editor {
    pub original: Arc<Record>,
    pub form: EditorForm,
    /// Why the claims are not JSON, while they are not.
    pub claims_error: Option<String>,
}

/// The workbench's state.
pub struct Workbench {
    /// The last probe of the app, kept until the next.
    pub probe: Option<Report>,
    pub probing: bool,
    pub editor: Option<Editor>,
    pub code_language: Language,
    /// Whose receiver the code is (`None`: the event's own scheme's).
    pub code_scheme: Option<Option<crate::schemes::Name>>,
    /// What the probe tests the app as (`None`: a receiver of Truora's hooks).
    pub probe_scheme: Option<crate::schemes::Name>,
    /// The text in the *Verify a token* pane, while it is open.
    pub paste: Option<String>,
    /// What the probe job reports.
    inbox: Inbox<Result<Report, String>>,
}

impl Default for Workbench {
    fn default() -> Self {
        Workbench {
            probe: None,
            probing: false,
            editor: None,
            code_language: Language::Go,
            code_scheme: None,
            probe_scheme: None,
            paste: None,
            inbox: Inbox::default(),
        }
    }
}

/// What the workbench needs from the rest of the window for a command.
pub struct Context<'a> {
    pub jobs: &'a Jobs,
    /// The first usable secret's key.
    pub key: Option<Vec<u8>>,
    /// The first usable secret as pasted (a scheme reads it its own way).
    pub secret_text: Option<String>,
    /// Each secret row's key (for signing with a chosen one).
    pub keys: Vec<Option<Vec<u8>>>,
    /// The forwarding target (the form's URL).
    pub app_url: String,
    pub listener_url: Option<String>,
    /// The selected event.
    pub selected: Option<Arc<Record>>,
}

/// What a command asks of the rest of the window.
pub enum Outcome {
    Nothing,
    /// Send this record to that base URL and journal the result (as a replay).
    Send {
        record: Box<Record>,
        url: String,
    },
    Problem(String),
}

impl Workbench {
    /// Applies a command.
    pub fn handle(&mut self, command: WorkbenchCommand, ctx: Context<'_>) -> Outcome {
        match command {
            WorkbenchCommand::Probe => self.probe(ctx, self.probe_scheme),
            WorkbenchCommand::ProbeScheme(scheme) => {
                self.probe_scheme = scheme;
                Outcome::Nothing
            }
            WorkbenchCommand::Edit => {
                let Some(original) = ctx.selected else {
                    return Outcome::Problem("select an event to edit first".to_owned());
                };
                let claims = original
                    .analysis(&crate::token::Verifier::default(), 0)
                    .token
                    .and_then(|t| t.claims)
                    .map_or_else(
                        || "{}".to_owned(),
                        |c| serde_json::to_string_pretty(&c).unwrap_or_default(),
                    );
                self.editor = Some(Editor {
                    original,
                    form: EditorForm {
                        claims,
                        alg: "HS256".to_owned(),
                        signing: Signing::Secret(0),
                        target: Target::Listener,
                    },
                    claims_error: None,
                });
                Outcome::Nothing
            }
            WorkbenchCommand::EditForm(form) => {
                if let Some(editor) = &mut self.editor {
                    editor.claims_error = serde_json::from_str::<serde_json::Value>(&form.claims)
                        .err()
                        .map(|err| err.to_string());
                    editor.form = form;
                }
                Outcome::Nothing
            }
            WorkbenchCommand::Send => self.send(&ctx),
            WorkbenchCommand::CloseEditor => {
                self.editor = None;
                Outcome::Nothing
            }
            WorkbenchCommand::CodeScheme(scheme) => {
                self.code_scheme = scheme;
                Outcome::Nothing
            }
            WorkbenchCommand::CodeLanguage(language) => {
                self.code_language = language;
                Outcome::Nothing
            }
            WorkbenchCommand::Paste(text) => {
                self.paste = text;
                Outcome::Nothing
            }
        }
    }

    fn probe(&mut self, ctx: Context<'_>, scheme: Option<crate::schemes::Name>) -> Outcome {
        let Some(key) = ctx.key else {
            return Outcome::Problem(
                "paste the hook's secret first: the probe signs genuine hooks with it".to_owned(),
            );
        };
        let target = ctx.app_url.trim().to_owned();
        if let Err(err) = crate::forward::Target::parse(&target, Duration::from_secs(10)) {
            return Outcome::Problem(format!("the app URL cannot be probed: {err}"));
        }
        self.probing = true;
        let options = Options {
            scheme: scheme.zip(ctx.secret_text),
            target,
            key,
            placement: Placement::Body,
            timeout: Duration::from_secs(10),
            now: crate::token::unix_now(),
        };
        ctx.jobs.spawn("hookscope-probe", &self.inbox, move |_| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(crate::probe::run(&options)))
                .map_err(|err| format!("could not start the probe: {err}"))
        });
        Outcome::Nothing
    }

    /// The probe finished.
    /// Takes in what the probe job reported: what the status line says of it.
    pub fn take_reports(&mut self) -> Option<Notice> {
        self.inbox
            .take()
            .into_iter()
            .map(|result| self.probed(result))
            .last()
    }

    /// The probe finished: what the status line says of it.
    fn probed(&mut self, result: Result<Report, String>) -> Notice {
        self.probing = false;
        let report = match result {
            Ok(report) => report,
            Err(text) => return Notice::error(text),
        };
        let failed = report.failed().len();
        self.probe = Some(report);
        if failed == 0 {
            Notice::info("probe: the app accepted the genuine hooks and refused every forgery")
        } else {
            Notice::error(format!(
                "probe: the app failed {failed} required case(s); see Reply & forward"
            ))
        }
    }

    fn send(&mut self, ctx: &Context<'_>) -> Outcome {
        let Some(editor) = &self.editor else {
            return Outcome::Nothing;
        };
        let form = &editor.form;
        let claims: serde_json::Value = match serde_json::from_str(&form.claims) {
            Ok(claims) => claims,
            Err(err) => return Outcome::Problem(format!("the claims are not JSON: {err}")),
        };
        let token = match token(editor, &claims, ctx) {
            Ok(token) => token,
            Err(problem) => return Outcome::Problem(problem),
        };
        let url = match &form.target {
            Target::Listener => match &ctx.listener_url {
                Some(url) => url.trim_end_matches('/').to_owned(),
                None => return Outcome::Problem("the listener is not running".to_owned()),
            },
            Target::App => ctx.app_url.trim().to_owned(),
            Target::Url(url) => url.trim().to_owned(),
        };
        let mut record = (*editor.original).clone();
        // Where the original carried its token: the body, a field, or Bearer.
        crate::token::place::replace(&mut record, &token);
        self.editor = None;
        Outcome::Send {
            record: Box::new(record),
            url,
        }
    }
}

/// The edited token: the header with the chosen `alg`, the claims, and a signature
/// as chosen (an empty one for `none` unless the original is kept).
fn token(editor: &Editor, claims: &serde_json::Value, ctx: &Context<'_>) -> Result<String, String> {
    let form = &editor.form;
    let header = serde_json::json!({"alg": form.alg, "typ": "JWT"});
    let input = crate::token::sign::signing_input(&header, claims);
    let alg = match form.alg.as_str() {
        "HS256" => Some(jsonwebtoken::Algorithm::HS256),
        "HS384" => Some(jsonwebtoken::Algorithm::HS384),
        "HS512" => Some(jsonwebtoken::Algorithm::HS512),
        _ => None,
    };
    // `none`: an unsigned token, empty signature.
    let mac =
        |key: &[u8]| alg.map_or_else(String::new, |alg| crate::token::sign::mac(&input, key, alg));
    let signature = match form.signing {
        Signing::Secret(row) => {
            let key = ctx
                .keys
                .get(row)
                .cloned()
                .flatten()
                .ok_or_else(|| format!("secret #{} is empty or not usable", row + 1))?;
            mac(&key)
        }
        Signing::WrongSecret => mac(b"hookscope-forgery-not-the-hook-secret"),
        Signing::KeepOriginal => editor
            .original
            .analysis(&crate::token::Verifier::default(), 0)
            .token
            .and_then(|t| t.raw.rsplit_once('.').map(|(_, s)| s.to_owned()))
            .unwrap_or_default(),
    };
    Ok(format!("{input}.{signature}"))
}
