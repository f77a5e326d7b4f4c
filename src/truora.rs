//! Truora's vocabulary: turn the claims of a hook into product / action / subject events.

use serde_json::{Map, Value};

use crate::record::Event;

/// A Truora product, as the record's `product` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    Check,
    ContinuousCheck,
    Signals,
    DigitalIdentity,
    Validations,
    /// WhatsApp conversations and messages (Truconnect).
    Truconnect,
    /// Other providers' webhooks, by their signature scheme.
    StandardWebhooks,
    Stripe,
    Github,
    Shopify,
    Slack,
    Other,
}

impl Product {
    /// Every product, in the order lists show them.
    pub const ALL: [Product; 12] = [
        Product::Check,
        Product::ContinuousCheck,
        Product::Signals,
        Product::DigitalIdentity,
        Product::Validations,
        Product::Truconnect,
        Product::StandardWebhooks,
        Product::Stripe,
        Product::Github,
        Product::Shopify,
        Product::Slack,
        Product::Other,
    ];

    /// Another provider's webhooks (a signature scheme's).
    pub fn is_provider(self) -> bool {
        matches!(
            self,
            Product::StandardWebhooks
                | Product::Stripe
                | Product::Github
                | Product::Shopify
                | Product::Slack
        )
    }

    /// One of Truora's own products (not another provider's, nor `Other`).
    pub fn is_truora(self) -> bool {
        !matches!(
            self,
            Product::StandardWebhooks
                | Product::Stripe
                | Product::Github
                | Product::Shopify
                | Product::Slack
                | Product::Other
        )
    }

    /// The record's spelling (`check`, `continuous_check`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Check => "check",
            Product::ContinuousCheck => "continuous_check",
            Product::Signals => "signals",
            Product::DigitalIdentity => "digital_identity",
            Product::Validations => "validations",
            Product::Truconnect => "truconnect",
            Product::StandardWebhooks => "standard_webhooks",
            Product::Stripe => "stripe",
            Product::Github => "github",
            Product::Shopify => "shopify",
            Product::Slack => "slack",
            Product::Other => "other",
        }
    }

    /// The product a record names, `Other` for a name it does not know.
    pub fn from_name(name: &str) -> Product {
        Product::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
            .unwrap_or(Product::Other)
    }

    /// The name people read.
    pub fn title(self) -> &'static str {
        match self {
            Product::Check => "Check",
            Product::ContinuousCheck => "Continuous check",
            Product::Signals => "Signals",
            Product::DigitalIdentity => "Digital identity",
            Product::Validations => "Validation",
            Product::Truconnect => "Truconnect (WhatsApp)",
            Product::StandardWebhooks => "Standard Webhooks",
            Product::Stripe => "Stripe",
            Product::Github => "GitHub",
            Product::Shopify => "Shopify",
            Product::Slack => "Slack",
            Product::Other => "Other",
        }
    }

    /// Whether an event with `action` ends a process of this product (timelines):
    /// a check `finished`; an identity process or a validation `succeeded`,
    /// `failed` or `expired`; a continuous check or a signal stands alone.
    pub fn completes(self, action: Option<&str>) -> bool {
        let action = action.unwrap_or_default();
        match self {
            Product::Check => action == "finished",
            Product::DigitalIdentity | Product::Validations => {
                matches!(action, "succeeded" | "failed" | "expired")
            }
            Product::ContinuousCheck
            | Product::Signals
            | Product::StandardWebhooks
            | Product::Stripe
            | Product::Github
            | Product::Shopify
            | Product::Slack => true,
            Product::Truconnect | Product::Other => matches!(
                action,
                "finished" | "succeeded" | "failed" | "expired" | "completed" | "closed"
            ),
        }
    }
}

/// Fields naming the thing an event is about, in the order they are preferred.
const SUBJECT_FIELDS: [&str; 8] = [
    "check_id",
    "process_id",
    "identity_process_id",
    "validation_id",
    "signal_id",
    "agent_id",
    "anomaly_id",
    "conversation_id",
];

/// Validators Truora names on their own rather than under `validation`.
const VALIDATORS: [&str; 10] = [
    "face_recognition",
    "face_search",
    "document_validation",
    "document_similarity",
    "email_verification",
    "phone_verification",
    "voice_recognition",
    "electronic_signature",
    "background_check_validation",
    "enrollment",
];

/// One event per entry of the `events` batch, or one for the older flat form with
/// `event_type`/`event_action` at the top; unknown shapes give `other`, never an error.
pub fn classify(claims: &Value) -> Vec<Event> {
    let Value::Object(map) = claims else {
        return Vec::new();
    };
    if let Some(Value::Array(events)) = map.get("events") {
        return events
            .iter()
            .map(|event| match event {
                Value::Object(event) => event_of(event, event.get("object")),
                _ => Event {
                    product: "other".to_owned(),
                    event_type: None,
                    action: None,
                    id: None,
                    subject: None,
                },
            })
            .collect();
    }
    if map.contains_key("event_type") || map.contains_key("event_action") {
        let object = map.get("object").filter(|o| o.is_object());
        return vec![event_of(map, object.or(Some(claims)))];
    }
    Vec::new()
}

fn event_of(event: &Map<String, Value>, object: Option<&Value>) -> Event {
    let text = |value: Option<&Value>| match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let event_type = text(event.get("event_type"));
    let subject = object
        .and_then(|object| SUBJECT_FIELDS.iter().find_map(|f| text(object.get(*f))))
        .or_else(|| SUBJECT_FIELDS.iter().find_map(|f| text(event.get(*f))));
    Event {
        product: product_of(event_type.as_deref().unwrap_or_default())
            .as_str()
            .to_owned(),
        action: text(event.get("event_action")),
        id: text(event.get("id")),
        event_type,
        subject,
    }
}

/// The product of an `event_type`, from the part before its first `.`.
pub fn product_of(event_type: &str) -> Product {
    let head = event_type.split('.').next().unwrap_or_default();
    let head = head.trim().to_ascii_lowercase().replace('-', "_");
    match head.as_str() {
        "check" | "checks" => Product::Check,
        "continuous_check" | "continuous_checks" => Product::ContinuousCheck,
        "signal" | "signals" => Product::Signals,
        "digital_identity" | "identity_process" | "identity_flow" | "step" => {
            Product::DigitalIdentity
        }
        "validation" | "validations" => Product::Validations,
        other if other.ends_with("_validation") || VALIDATORS.contains(&other) => {
            Product::Validations
        }
        "conversation" | "outbound_message" | "whatsapp" | "truconnect" => Product::Truconnect,
        _ => Product::Other,
    }
}

/// A product and action as people say them, e.g. "Check · finished".
pub fn describe(product: &str, action: Option<&str>) -> String {
    let name = Product::from_name(product).title();
    match action {
        Some(action) => format!("{name} · {action}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batch_of_events() {
        let claims = json!({"iss": "Truora", "iat": 1714000000, "events": [
            {"id": "HKE1", "event_type": "digital_identity.identity_process", "event_action": "succeeded",
             "object": {"flow_id": "IPF1", "process_id": "IDP1", "status": "success"}},
            {"id": "HKE2", "event_type": "check", "event_action": "finished", "object": {"check_id": "CHK9"}},
            "garbage"
        ]});
        let events = classify(&claims);
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].product, "digital_identity");
        assert_eq!(events[0].action.as_deref(), Some("succeeded"));
        assert_eq!(events[0].subject.as_deref(), Some("IDP1"));
        assert_eq!(events[0].id.as_deref(), Some("HKE1"));
        assert_eq!(events[1].product, "check");
        assert_eq!(events[1].subject.as_deref(), Some("CHK9"));
        assert_eq!(events[2].product, "other");
    }

    #[test]
    fn older_flat_form() {
        let claims = json!({"event_type": "continuous_check.score", "event_action": "changed", "check_id": "CHK1"});
        let events = classify(&claims);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].product, "continuous_check");
        assert_eq!(events[0].subject.as_deref(), Some("CHK1"));
        assert!(classify(&json!({"iss": "x"})).is_empty());
        assert!(classify(&json!([1])).is_empty());
    }

    #[test]
    fn products() {
        for (t, p) in [
            ("check.created", "check"),
            ("signal.anomaly", "signals"),
            ("signals", "signals"),
            ("identity_process.created", "digital_identity"),
            ("validation.face", "validations"),
            ("validations", "validations"),
            ("phone_validation.succeeded", "validations"),
            ("face_recognition", "validations"),
            ("document-validation.failed", "validations"),
            ("identity_flow.updated", "digital_identity"),
            ("step.succeeded", "digital_identity"),
            ("conversation.started", "truconnect"),
            ("outbound_message.delivered", "truconnect"),
            ("whatsapp.message", "truconnect"),
            ("payments.refund", "other"),
            ("", "other"),
        ] {
            assert_eq!(product_of(t).as_str(), p, "{t}");
        }
    }

    #[test]
    fn subject_prefers_spec_order() {
        let claims = json!({"events": [{"event_type": "validation", "object": {"validation_id": "VLD1", "process_id": "IDP2"}}]});
        assert_eq!(classify(&claims)[0].subject.as_deref(), Some("IDP2"));
        assert_eq!(describe("check", Some("finished")), "Check · finished");
    }
}
