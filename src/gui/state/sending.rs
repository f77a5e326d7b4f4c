//! What the window sends: test hooks to its listener, replays, and the workbench's
//! edited requests (each journaled as a new event linked to its original).

use std::sync::Arc;
use std::time::Duration;

use super::{AppState, Notice, WorkbenchCommand, workbench};
use crate::capture::Journal;
use crate::events::Located;

/// What a sending job reports.
pub enum Report {
    /// The listener's answer to a test hook.
    TestHook(Result<u16, String>),
    Replayed {
        sent: usize,
        failed: Vec<String>,
        url: String,
    },
}

impl Report {
    /// What the status line says of it.
    pub fn notice(self) -> Notice {
        match self {
            Report::TestHook(Ok(status)) => {
                Notice::info(format!("test hook sent: the listener answered {status}"))
            }
            Report::TestHook(Err(err)) => Notice::error(format!("the test hook failed: {err}")),
            Report::Replayed { sent, failed, url } => match failed.first() {
                None => Notice::info(format!(
                    "replayed {sent} event(s) to {url}; each is a new event"
                )),
                Some(first) => Notice::error(format!(
                    "replayed {sent} event(s) to {url}; {} failed: {first}",
                    failed.len()
                )),
            },
        }
    }
}

impl AppState {
    pub(super) fn send_test_hook(&mut self) {
        let Some(url) = self.url().map(|url| format!("{url}hooks/test")) else {
            self.notice = Some(Notice::error(
                "start the listener first: the test hook is sent to it",
            ));
            return;
        };
        let product = self.view.list.test_product.clone();
        if let Some(name) = product
            .strip_prefix("scheme:")
            .and_then(crate::schemes::Name::from_scheme)
        {
            return self.send_test_request(name, url);
        }
        // Signed with the first usable secret, as Truora signs with the hook's secret;
        // never with a hidden key, whose event would stay invalid once the real secret
        // is pasted.
        let Some(key) = self.secrets.first_key() else {
            self.notice = Some(Notice::error(
                "paste the hook's secret first: the test hook is signed with it, as Truora signs with the hook's secret",
            ));
            return;
        };
        let serial = self.store.len() as u64;
        self.jobs
            .spawn("hookscope-test-hook", &self.sent, move |_| {
                let now = crate::token::unix_now();
                Report::TestHook(
                    crate::samples::claims(&product, None, now, serial)
                        .ok_or_else(|| format!("no sample for {product}"))
                        .and_then(|claims| {
                            crate::token::sign::sign(&claims, &key, jsonwebtoken::Algorithm::HS256)
                                .map_err(|err| err.to_string())
                        })
                        .and_then(|token| {
                            crate::send::post_blocking(&url, token.into(), Duration::from_secs(10))
                                .map(|d| d.status)
                                .map_err(|err| err.to_string())
                        }),
                )
            });
    }

    /// *Send test hook* as another provider: its sample, signed with the first
    /// secret as pasted (the scheme reads it its own way), with its headers.
    fn send_test_request(&mut self, name: crate::schemes::Name, url: String) {
        let Some(secret) = self.secrets.first_text() else {
            self.notice = Some(Notice::error(
                "paste the endpoint's signing secret first: the test request is signed with it",
            ));
            return;
        };
        let serial = self.store.len() as u64;
        self.jobs
            .spawn("hookscope-test-hook", &self.sent, move |_| {
                let now = crate::token::unix_now();
                let scheme = name.scheme();
                let outgoing =
                    crate::schemes::signed(scheme, &secret, &scheme.sample(serial, now), now);
                Report::TestHook(
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|err| err.to_string())
                        .and_then(|runtime| {
                            runtime
                                .block_on(crate::send::request(
                                    &url,
                                    outgoing,
                                    Duration::from_secs(10),
                                ))
                                .map(|d| d.status)
                                .map_err(|err| err.to_string())
                        }),
                )
            });
    }

    pub(super) fn replay(&mut self, shown: bool) {
        let records = if shown {
            self.store.locate_visible()
        } else {
            self.store.locate(self.view.selection.selected)
        };
        if records.is_empty() {
            self.notice = Some(Notice::info("nothing to replay: select an event first"));
            return;
        }
        let url = self.listener.replay_target();
        self.send_records(records, url);
    }

    /// Sends `records` to `url` on a job (reading each there) and journals each
    /// result as a new event linked to its original (`replay_of`).
    fn send_records(&mut self, records: Located, url: String) {
        let Some(journal) = self.journal.as_ref().map(Journal::handle) else {
            return;
        };
        let verifier = self.secrets.verifier().clone();
        let own = self.listener.own();
        self.notice = Some(Notice::info(format!(
            "replaying {} event(s) to {url}…",
            records.len()
        )));
        self.jobs
            .spawn("hookscope-replay", &self.sent, move |cancel| {
                let mut failed = Vec::new();
                let mut sent = 0;
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => {
                        for (_, original) in records.iter() {
                            if cancel.cancelled() {
                                break;
                            }
                            let result =
                                original
                                    .map_err(|err| err.to_string())
                                    .and_then(|original| {
                                        runtime.block_on(crate::replay::replay_into(
                                            &original,
                                            &url,
                                            Duration::from_secs(10),
                                            &journal,
                                            Some(&verifier),
                                            own.as_ref(),
                                        ))
                                    });
                            match result {
                                Ok(_) => sent += 1,
                                Err(err) => failed.push(err),
                            }
                        }
                    }
                    Err(err) => failed.push(err.to_string()),
                }
                Report::Replayed { sent, failed, url }
            });
    }

    pub(super) fn workbench(&mut self, command: WorkbenchCommand) {
        let context = workbench::Context {
            jobs: &self.jobs,
            key: self.secrets.first_key(),
            secret_text: self.secrets.first_text(),
            keys: self.secrets.keys(),
            app_url: self.listener.form.forward_url.clone(),
            listener_url: self.listener.url().map(str::to_owned),
            selected: self
                .view
                .selection
                .selected
                .and_then(|seq| self.store.record(seq).ok())
                .map(Arc::new),
        };
        match self.workbench.handle(command, context) {
            workbench::Outcome::Nothing => {}
            workbench::Outcome::Problem(text) => self.notice = Some(Notice::error(text)),
            workbench::Outcome::Send { record, url } => {
                self.send_records(Located::held(vec![*record]), url);
            }
        }
    }
}
