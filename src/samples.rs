//! Truora-shaped sample claims for every product (from `assets/samples/`), used by
//! the GUI's "Send test hook" and by `hookscope send`.

use serde_json::Value;

/// The products with a sample, as the record's `product` spells them.
pub const PRODUCTS: [&str; 5] = [
    "check",
    "continuous_check",
    "signals",
    "digital_identity",
    "validations",
];

/// The sample claims of `product` as shipped in `assets/samples/`.
pub fn raw(product: &str) -> Option<&'static str> {
    Some(match product {
        "check" => include_str!("../assets/samples/check.json"),
        "continuous_check" => include_str!("../assets/samples/continuous_check.json"),
        "signals" => include_str!("../assets/samples/signals.json"),
        "digital_identity" => include_str!("../assets/samples/digital_identity.json"),
        "validations" => include_str!("../assets/samples/validations.json"),
        _ => return None,
    })
}

/// Fresh claims for one hook of `product`: a new event id, `iat` now and, when
/// given, another `event_action`.
pub fn claims(product: &str, action: Option<&str>, now: i64, serial: u64) -> Option<Value> {
    let mut claims: Value = serde_json::from_str(raw(product)?).ok()?;
    claims["iat"] = Value::from(now);
    if let Some(events) = claims.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            event["id"] = Value::from(format!("HKE{:016x}{serial:08x}", now as u64));
            if let Some(action) = action {
                event["event_action"] = Value::from(action);
            }
        }
    }
    Some(claims)
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
}
