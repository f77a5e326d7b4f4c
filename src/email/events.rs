//! Truora's events read from a mail: its mail format is not published, so the
//! reading is tolerant. The process id (`CHK...`, `IDP...`, `VLD...`) in the subject or
//! the text names the product and the subject, a known word the action, and the
//! `Message-ID` is the event's id; a mail with none of them has no event.

use crate::record::{Email, Event};
use crate::truora::Product;

/// The id prefixes of Truora's processes, and their products.
const PREFIXES: [(&str, Product); 7] = [
    ("CHK", Product::Check),
    ("CCK", Product::ContinuousCheck),
    ("IDP", Product::DigitalIdentity),
    ("IPF", Product::DigitalIdentity),
    ("VLD", Product::Validations),
    ("AGT", Product::Signals),
    ("CNV", Product::Truconnect),
];

/// Words that say what happened, in the order they are looked for.
const ACTIONS: [&str; 12] = [
    "succeeded",
    "failed",
    "finished",
    "completed",
    "expired",
    "declined",
    "approved",
    "rejected",
    "started",
    "changed",
    "detected",
    "created",
];

/// The events a mail carries (at most one: the first process id found).
pub fn read(email: &Email) -> Vec<Event> {
    let subject = email.subject.as_deref().unwrap_or_default();
    let text = email.text.as_deref().unwrap_or_default();
    let Some((id, product)) = find_id(subject).or_else(|| find_id(text)) else {
        return Vec::new();
    };
    let lower = format!("{subject}\n{text}").to_lowercase();
    let action = ACTIONS
        .iter()
        .find(|word| lower.contains(*word))
        .map(|word| (*word).to_owned());
    vec![Event {
        product: product.as_str().to_owned(),
        event_type: Some(format!("{}.email", product.as_str())),
        action,
        id: email.message_id.clone(),
        subject: Some(id),
    }]
}

/// The first Truora process id in `text`: a known prefix and at least 16 letters
/// or digits after it, standing alone as a word.
fn find_id(text: &str) -> Option<(String, Product)> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| {
            PREFIXES.iter().find_map(|(prefix, product)| {
                let rest = word.strip_prefix(prefix)?;
                (rest.len() >= 16).then(|| (word.to_owned(), *product))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(subject: &str, text: &str) -> Email {
        Email {
            subject: Some(subject.to_owned()),
            text: Some(text.to_owned()),
            message_id: Some("m1@truora.com".to_owned()),
            ..Email::default()
        }
    }

    #[test]
    fn the_process_id_and_the_action_come_from_the_subject_or_the_text() {
        let events = read(&mail(
            "Your background check finished",
            "Check CHK4f3a9e0b1c2d3e4f5a6b7c8d9e0f1a2b is completed.",
        ));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].product, "check");
        assert_eq!(
            events[0].subject.as_deref(),
            Some("CHK4f3a9e0b1c2d3e4f5a6b7c8d9e0f1a2b")
        );
        assert_eq!(events[0].action.as_deref(), Some("finished"));
        assert_eq!(events[0].id.as_deref(), Some("m1@truora.com"));
        let events = read(&mail("IDP0123456789abcdef01 succeeded", ""));
        assert_eq!(events[0].product, "digital_identity");
        assert!(read(&mail("CHECKLIST for Monday", "CHK12 is short")).is_empty());
    }
}
