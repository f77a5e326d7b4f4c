//! Putting a new token where a request carried its old one (*Edit and send*): the
//! body, the same JSON field, the same form field, or `Authorization: Bearer`, the
//! rest of the request as it was.

use serde_json::Value;

use super::find;
use crate::record::Record;

/// Replaces the token of `record` with `token`, where [`find`] found the old one;
/// a request that carried none gets it as its body (`application/jwt`). The body's
/// length is left for the sender to set.
pub fn replace(record: &mut Record, token: &str) {
    let body = record.body_bytes().into_owned();
    let source = find::find(&body, record.body_truncated, &record.headers).map(|c| c.source);
    let placed = match source.as_deref() {
        Some("header:authorization") => {
            for (name, value) in &mut record.headers {
                if name.eq_ignore_ascii_case("authorization") {
                    *value = format!("Bearer {token}");
                }
            }
            None
        }
        Some(field) if field.starts_with("json:") => json_field(&body, &field[5..], token),
        Some(field) if field.starts_with("form:") => Some(form_field(&body, &field[5..], token)),
        _ => None,
    };
    record
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("content-length"));
    if source.as_deref() == Some("header:authorization") {
        return;
    }
    let body = placed.unwrap_or_else(|| token.as_bytes().to_vec());
    (record.body, record.body_base64) = Record::encode_body_vec(body);
    record.body_truncated = false;
    if source.is_none()
        && !record
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        record
            .headers
            .push(("Content-Type".to_owned(), "application/jwt".to_owned()));
    }
}

/// The JSON body with `field` set to `token`, the other fields in their order.
fn json_field(body: &[u8], field: &str, token: &str) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    value
        .as_object_mut()?
        .insert(field.to_owned(), Value::String(token.to_owned()));
    serde_json::to_vec(&value).ok()
}

/// The form body with `field` set to `token`, the other fields as they were.
fn form_field(body: &[u8], field: &str, token: &str) -> Vec<u8> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(body) {
        if name == field {
            out.append_pair(&name, token);
        } else {
            out.append_pair(&name, &value);
        }
    }
    out.finish().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.b2xk";
    const NEW: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhIjoyfQ.bmV3";

    fn request(headers: &[(&str, &str)], body: &str) -> Record {
        Record::request(
            "2026-12-08T00:00:00Z",
            "POST",
            "/hooks",
            "127.0.0.1:1",
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body.as_bytes(),
        )
    }

    fn header<'a>(record: &'a Record, name: &str) -> Option<&'a str> {
        record
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn each_placement_is_kept() {
        let mut bearer = request(
            &[
                ("Authorization", &format!("Bearer {OLD}")),
                ("Content-Length", "2"),
            ],
            "{}",
        );
        replace(&mut bearer, NEW);
        assert_eq!(
            header(&bearer, "authorization"),
            Some(&*format!("Bearer {NEW}"))
        );
        assert_eq!(bearer.body.as_deref(), Some("{}"));
        assert_eq!(header(&bearer, "content-length"), None);

        let mut json = request(
            &[("Content-Type", "application/json")],
            &format!(r#"{{"event":"x","token":"{OLD}","n":1}}"#),
        );
        replace(&mut json, NEW);
        assert_eq!(
            json.body.as_deref(),
            Some(&*format!(r#"{{"event":"x","token":"{NEW}","n":1}}"#))
        );
        assert_eq!(header(&json, "content-type"), Some("application/json"));

        let mut form = request(&[], &format!("a=1&jwt={OLD}&b=two+words"));
        replace(&mut form, NEW);
        assert_eq!(
            form.body.as_deref(),
            Some(&*format!("a=1&jwt={NEW}&b=two+words"))
        );

        let mut body = request(&[("Content-Type", "application/jwt")], OLD);
        replace(&mut body, NEW);
        assert_eq!(body.body.as_deref(), Some(NEW));

        let mut none = request(&[], "hello");
        replace(&mut none, NEW);
        assert_eq!(none.body.as_deref(), Some(NEW));
        assert_eq!(header(&none, "content-type"), Some("application/jwt"));
    }
}
