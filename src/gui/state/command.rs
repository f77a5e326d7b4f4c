//! What the panels ask the state for: a [`Command`], routed by
//! [`super::AppState::apply`] to the part it is about, and the [`Question`] asked
//! before one that cannot be undone.

use super::{FilesCommand, ListenerCommand, SecretsCommand, ViewCommand, WorkbenchCommand};

/// What a panel asks for; applied by [`super::AppState::apply`].
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Secrets(SecretsCommand),
    Listener(ListenerCommand),
    Files(FilesCommand),
    View(ViewCommand),
    Workbench(WorkbenchCommand),
    /// Empty the list and the journal, and forget the delivery health.
    Clear,
    /// Sign a sample hook with the first secret and send it to the listener.
    SendTestHook,
    /// Send the selected event (false) or every shown event (true) again.
    Replay {
        shown: bool,
    },
    Copy(String),
    /// Copy event `seq` as a curl command that sends it again to the listener.
    CopyCurl(u64),
    DismissNotice,
    /// Ask first: `then` runs only when the user says yes.
    Ask {
        question: String,
        yes: String,
        then: Box<Command>,
    },
    /// The question was answered: run its command (true) or drop it.
    Answer(bool),
    /// Leave an opened capture and show the live one again.
    BackToLive,
    /// How many MiB the window's journal keeps (`None`: everything).
    KeepJournal(Option<u64>),
    /// Take mail on this address (an SMTP sink), or stop taking it (`None`).
    Smtp(Option<String>),
    /// Follow this relay, or stop following (`None`).
    Relay(Option<super::relay::RelayAsk>),
    /// Verify every held event again (a mail's DKIM key is read from DNS again).
    VerifyAgain,
    /// Follow this mailbox (IMAP), or stop following (`None`).
    Imap(Option<super::mailbox::ImapAsk>),
}

/// A question asked before something that cannot be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub text: String,
    /// The words on the button that goes ahead.
    pub yes: String,
    pub then: Command,
}
