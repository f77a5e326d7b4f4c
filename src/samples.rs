//! Truora-shaped sample claims for every product (from `assets/samples/`), used by
//! the GUI's "Send test hook" and by `hookscope send`, and whole processes for
//! `send --scenario lifecycle`.

use serde_json::Value;

use crate::record::timestamp_ms;

/// The products with a sample, as the record's `product` spells them.
pub const PRODUCTS: [&str; 6] = [
    "check",
    "continuous_check",
    "signals",
    "digital_identity",
    "validations",
    "truconnect",
];

/// The sample claims of `product` as shipped in `assets/samples/`.
pub fn raw(product: &str) -> Option<&'static str> {
    Some(match product {
        "check" => include_str!("../assets/samples/check.json"),
        "continuous_check" => include_str!("../assets/samples/continuous_check.json"),
        "signals" => include_str!("../assets/samples/signals.json"),
        "digital_identity" => include_str!("../assets/samples/digital_identity.json"),
        "validations" => include_str!("../assets/samples/validations.json"),
        "truconnect" => include_str!("../assets/samples/truconnect.json"),
        _ => return None,
    })
}

/// The object field holding the process's id (the event's subject), per product.
fn subject_field(product: &str) -> &'static str {
    match product {
        "check" | "continuous_check" => "check_id",
        "signals" => "agent_id",
        "digital_identity" => "identity_process_id",
        "validations" => "validation_id",
        _ => "conversation_id",
    }
}

/// The id prefix Truora uses for a product's subject.
fn subject_prefix(product: &str) -> &'static str {
    match product {
        "check" | "continuous_check" => "CHK",
        "signals" => "AGT",
        "digital_identity" => "IDP",
        "validations" => "VLD",
        _ => "CNV",
    }
}

/// The actions of one whole process of `product`, in order; `variant` picks among
/// the endings (digital identity: succeeded, failed or expired).
pub fn lifecycle(product: &str, variant: u64) -> Vec<&'static str> {
    match product {
        "check" => vec!["created", "started", "finished"],
        "digital_identity" => {
            let end = ["succeeded", "failed", "expired"][(variant % 3) as usize];
            vec!["created", end]
        }
        "validations" => {
            let end = ["succeeded", "failed"][(variant % 2) as usize];
            vec!["created", end]
        }
        "continuous_check" => vec!["changed"],
        "signals" => vec!["detected"],
        _ => vec!["started", "finished"],
    }
}

/// Fresh claims for one hook of `product`: new event and subject ids, `iat` and
/// the event's `timestamp` now and, when given, another `event_action`.
pub fn claims(product: &str, action: Option<&str>, now: i64, serial: u64) -> Option<Value> {
    let subject = format!("{}{:016x}{serial:08x}", subject_prefix(product), now as u64);
    step(product, action, now * 1000, serial, 0, &subject)
}

/// One step of a process: the sample with `action`, the event stamped `at_ms`, the
/// subject `subject`, and an event id unique to (`serial`, `step`).
fn step(
    product: &str,
    action: Option<&str>,
    at_ms: i64,
    serial: u64,
    step: usize,
    subject: &str,
) -> Option<Value> {
    let mut claims: Value = serde_json::from_str(raw(product)?).ok()?;
    claims["iat"] = Value::from(at_ms.div_euclid(1000));
    if let Some(events) = claims.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            event["id"] = Value::from(format!(
                "HKE{:012x}{serial:08x}{step:02x}",
                at_ms as u64 & 0xffff_ffff_ffff
            ));
            event["timestamp"] = Value::from(timestamp_ms(at_ms));
            if let Some(action) = action {
                event["event_action"] = Value::from(action);
            }
            if let Some(object) = event.get_mut("object").and_then(Value::as_object_mut) {
                object.insert(subject_field(product).to_owned(), Value::from(subject));
            }
        }
    }
    Some(claims)
}

/// The claims of one whole process of `product` (number `serial`): its lifecycle
/// in order, one subject, timestamps `step_ms` apart from `start_ms`.
pub fn process(product: &str, start_ms: i64, serial: u64, step_ms: i64) -> Option<Vec<Value>> {
    let subject = format!(
        "{}{:012x}{serial:08x}",
        subject_prefix(product),
        start_ms as u64 & 0xffff_ffff_ffff
    );
    lifecycle(product, serial)
        .into_iter()
        .enumerate()
        .map(|(i, action)| {
            let at = start_ms + step_ms * i as i64;
            step(product, Some(action), at, serial, i, &subject)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_classifies_as_its_product() {
        for product in PRODUCTS {
            let claims = claims(product, Some("created"), 1_800_000_000, 7).unwrap();
            let events = crate::truora::classify(&claims);
            assert_eq!(events.len(), 1, "{product}");
            assert_eq!(events[0].product, product);
            assert_eq!(events[0].action.as_deref(), Some("created"));
            assert!(events[0].subject.is_some(), "{product}");
            assert_eq!(claims["iat"], 1_800_000_000);
        }
        assert!(claims("nope", None, 0, 0).is_none());
    }

    #[test]
    fn a_process_has_one_subject_fresh_event_ids_and_advancing_timestamps() {
        let steps = process("check", 1_800_000_000_000, 3, 1500).unwrap();
        assert_eq!(steps.len(), 3);
        let events: Vec<_> = steps
            .iter()
            .map(|c| crate::truora::classify(c).remove(0))
            .collect();
        assert!(events.iter().all(|e| e.subject == events[0].subject));
        let ids: std::collections::BTreeSet<_> = events.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(
            steps[0]["events"][0]["timestamp"],
            "2027-01-15T08:00:00.000Z"
        );
        assert_eq!(
            steps[1]["events"][0]["timestamp"],
            "2027-01-15T08:00:01.500Z"
        );
        let identity = process("digital_identity", 0, 0, 1).unwrap();
        let object = &identity[0]["events"][0]["object"];
        assert!(
            object.get("identity_process_id").is_some()
                && object.get("validation_status").is_some()
        );
    }
}
