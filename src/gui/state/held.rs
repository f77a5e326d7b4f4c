//! The work the window runs over its held events, each on a job: verifying them
//! again, searching what the rows do not keep, and building the processes.

use super::{AppState, view};
use crate::events::Progress;
use crate::token::Analyze as _;

impl AppState {
    /// Verifies every held event again on a job, after a secret change (or when
    /// asked: a mail's DKIM key is then read from DNS again).
    pub(super) fn reverify(&mut self) {
        let (located, progress) = self.store.start_reverify();
        let verifier = self.secrets.verifier().clone();
        let dns = self.mail.dns();
        self.jobs
            .spawn("hookscope-reverify", &self.view.inbox, move |_| {
                // Reading the system's resolver settings touches the disk: here.
                let dkim = crate::email::Dkim::new(dns);
                let verdicts = crate::events::reverify(&located, &verifier, Some(&dkim), &progress);
                view::Report::Reverified(progress, verdicts)
            });
    }

    /// Searches the bodies, headers and claims of the events not searched yet for
    /// the filter text, on a job (the rows keep only a few fields).
    pub(super) fn search(&mut self) {
        if self.view.searching.is_some() {
            return;
        }
        let Some(located) = self.store.take_unsearched() else {
            return;
        };
        if located.is_empty() {
            return;
        }
        let needle = self.store.needle().to_owned();
        let progress = Progress::new(located.len() as u64);
        self.view.searching = Some(progress.clone());
        let verifier = self.secrets.verifier().clone();
        self.jobs
            .spawn("hookscope-search", &self.view.inbox, move |_| {
                let found = crate::events::search(&located, &verifier, &needle, &progress);
                view::Report::Searched(needle, found, progress)
            });
    }

    /// Builds the processes of the shown events on a job, when the tab shows them.
    pub(super) fn build_processes(&mut self) {
        let (next, held, shown) = self.store.stamp();
        let stamp = (next, held, shown, self.secrets.generation());
        if !self.view.processes_due(stamp) {
            return;
        }
        self.view.processes.building = true;
        let located = self.store.locate_visible();
        let verifier = self.secrets.verifier().clone();
        self.jobs
            .spawn("hookscope-timeline", &self.view.inbox, move |_| {
                let now = crate::token::unix_now();
                // The store keeps no decoded token: decode again, one record at a time.
                let records =
                    located
                        .iter()
                        .filter_map(|(_, record)| record.ok())
                        .map(|mut record| {
                            record.analyze(&verifier, now);
                            record
                        });
                view::Report::Timeline(stamp, crate::timeline::build(records))
            });
    }
}
