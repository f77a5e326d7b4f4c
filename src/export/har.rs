//! A record as a HAR 1.2 entry, for other HTTP tools; `_hookscope` holds the whole
//! record, so a HAR file hookscope wrote opens back.

use serde_json::{Value, json};

use crate::record::Record;

/// One HAR 1.2 entry for a record. `_hookscope` holds the whole record, so a HAR
/// file hookscope wrote opens back.
pub fn har_entry(record: &Record, origin: &str) -> Value {
    let forwarded_ms = record
        .response
        .forwarded
        .as_ref()
        .map_or(0, |f| f.elapsed_ms);
    let mut comment = format!("signature: {}", record.verification.signature.as_str());
    if record.body_truncated {
        comment.push_str("; body truncated");
    }
    json!({
        "startedDateTime": record.received_at,
        "time": forwarded_ms,
        "request": har_request(record, origin),
        "response": har_response(record),
        "cache": {},
        "timings": {"send": 0, "wait": forwarded_ms, "receive": 0},
        "comment": comment,
        "_hookscope": record,
    })
}

fn har_request(record: &Record, origin: &str) -> Value {
    // The listener's own address: the Host header is whatever the sender wrote.
    let origin = origin.trim_end_matches('/');
    let url = if record.path.starts_with('/') {
        format!("{origin}{}", record.path)
    } else {
        format!("{origin}/{}", record.path)
    };
    let query: Vec<Value> = url
        .split_once('?')
        .map(|(_, query)| {
            form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<Value> = record
        .headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let mime = record
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or("application/octet-stream", |(_, value)| value.as_str());
    let post_data = match &record.body_base64 {
        Some(b64) => json!({"mimeType": mime, "text": b64, "encoding": "base64"}),
        None => json!({"mimeType": mime, "text": record.body.clone().unwrap_or_default()}),
    };
    json!({
        "method": record.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers,
        "queryString": query,
        "postData": post_data,
        "headersSize": -1,
        "bodySize": record.body_len(),
    })
}

fn har_response(record: &Record) -> Value {
    let (headers, body) = record.reply();
    let mime = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map_or("", |(_, value)| value.as_str())
        .to_owned();
    let headers: Vec<Value> = headers
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    json!({
        "status": record.response.status,
        "statusText": status_text(record.response.status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": headers,
        "content": {
            "size": body.len(),
            "mimeType": mime,
            "text": body,
        },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": body.len(),
    })
}

fn status_text(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}
