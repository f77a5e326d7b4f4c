//! Truora processes, not requests: the events of a capture grouped by product and
//! subject, their steps in the order of the events' own time, with deliveries per
//! event id (retries, duplicates), Truora's delivery delay, arrivals out of order,
//! and whether the process is complete. Requests without a valid signature are
//! grouped apart, so a forged hook never completes a process.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::record::{Record, Signature, millis, timestamp_ms as text_of};
use crate::truora::Product;

/// One step of a process: an event, however many times it was delivered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub action: Option<String>,
    pub event_id: Option<String>,
    /// The records that carried this event, in arrival order.
    pub record_ids: Vec<u64>,
    /// The event's own time (its `timestamp`, else the claims' `iat`, else arrival).
    pub timestamp: String,
    /// When the first delivery arrived.
    pub received_at: String,
    /// Event time since the previous step's (`null` for the first).
    pub since_previous_ms: Option<i64>,
    /// First arrival minus the event's time: Truora's delay.
    pub delivery_ms: i64,
    /// How many records carried this event id (more than 1: a retry or duplicate).
    pub deliveries: usize,
    /// It arrived after a step of the same subject with a later event time.
    pub out_of_order: bool,
    /// It came by mail (an email hook), not as an HTTP request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_mail: bool,
    /// `timestamp` and `received_at` as unix milliseconds.
    #[serde(skip)]
    pub at_ms: i64,
    #[serde(skip)]
    pub arrived_ms: i64,
}

/// One process: the steps of one subject of one product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Process {
    pub product: String,
    pub subject: Option<String>,
    /// Whether every request in it had a valid signature.
    pub verified: bool,
    /// The last step's action.
    pub state: Option<String>,
    /// The last action ends the process (never for unverified requests).
    pub complete: bool,
    pub first_at: String,
    pub last_at: String,
    pub steps: Vec<Step>,
}

impl Process {
    /// Steps delivered more than once.
    pub fn duplicates(&self) -> usize {
        self.steps.iter().filter(|s| s.deliveries > 1).count()
    }

    /// Steps that arrived out of order.
    pub fn out_of_order(&self) -> usize {
        self.steps.iter().filter(|s| s.out_of_order).count()
    }
}

/// The event's own time in unix milliseconds: `events[i].timestamp`, else the
/// claims' `iat`, else `fallback` (the arrival).
fn event_time(claims: Option<&Value>, index: usize, fallback: i64) -> i64 {
    let Some(claims) = claims else {
        return fallback;
    };
    let stamped = match claims.get("events") {
        Some(Value::Array(events)) => events.get(index).and_then(|e| e.get("timestamp")),
        _ => claims.get("timestamp"),
    };
    if let Some(ms) = stamped.and_then(Value::as_str).and_then(millis) {
        return ms;
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_f64) {
        return (iat * 1000.0) as i64;
    }
    fallback
}

/// One event as it arrived.
struct Arrival {
    record_id: u64,
    by_mail: bool,
    action: Option<String>,
    event_id: Option<String>,
    at_ms: i64,
    arrived_ms: i64,
}

/// Groups the events of `records` into processes: verified ones first, then the
/// unverified, each ordered by product, then subject. Records are taken one at a
/// time (the window streams them from the journal).
pub fn build<R: std::borrow::Borrow<Record>>(records: impl IntoIterator<Item = R>) -> Vec<Process> {
    type Key = (bool, Product, Option<String>);
    let mut groups: BTreeMap<Key, Vec<Arrival>> = BTreeMap::new();
    for record in records {
        let record = record.borrow();
        let verified = record.verification.signature == Signature::Valid;
        let arrived_ms = millis(&record.received_at).unwrap_or_default();
        let claims = record.token.as_ref().and_then(|t| t.claims.as_ref());
        for (index, event) in record.events.iter().enumerate() {
            let key = (
                !verified,
                Product::from_name(&event.product),
                event.subject.clone(),
            );
            groups.entry(key).or_default().push(Arrival {
                record_id: record.id,
                by_mail: record.transport.is_mail(),
                action: event.action.clone(),
                event_id: event.id.clone(),
                at_ms: event_time(claims, index, arrived_ms),
                arrived_ms,
            });
        }
    }
    groups
        .into_iter()
        .map(|((unverified, product, subject), arrivals)| {
            process(product, subject, !unverified, arrivals)
        })
        .collect()
}

fn process(
    product: Product,
    subject: Option<String>,
    verified: bool,
    arrivals: Vec<Arrival>,
) -> Process {
    // One step per event id; an event without an id is a step of its own.
    let mut steps: Vec<Step> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for arrival in arrivals {
        if let Some(id) = &arrival.event_id
            && let Some(&at) = by_id.get(id)
        {
            let step = &mut steps[at];
            step.record_ids.push(arrival.record_id);
            step.deliveries += 1;
            if arrival.arrived_ms < step.arrived_ms {
                step.arrived_ms = arrival.arrived_ms;
                step.received_at = text_of(arrival.arrived_ms);
            }
            continue;
        }
        if let Some(id) = &arrival.event_id {
            by_id.insert(id.clone(), steps.len());
        }
        steps.push(Step {
            action: arrival.action,
            event_id: arrival.event_id,
            record_ids: vec![arrival.record_id],
            timestamp: text_of(arrival.at_ms),
            received_at: text_of(arrival.arrived_ms),
            since_previous_ms: None,
            delivery_ms: arrival.arrived_ms.saturating_sub(arrival.at_ms),
            deliveries: 1,
            out_of_order: false,
            by_mail: arrival.by_mail,
            at_ms: arrival.at_ms,
            arrived_ms: arrival.arrived_ms,
        });
    }
    steps.sort_by_key(|s| (s.at_ms, s.arrived_ms, s.record_ids[0]));
    // Arrival order: the time of the first delivery, then the record id (a journal
    // numbers records as they are committed), for arrivals within one millisecond.
    let arrival = |s: &Step| {
        (
            s.arrived_ms,
            s.record_ids.iter().min().copied().unwrap_or(0),
        )
    };
    // A step is out of order when a step with a later event time arrived before it:
    // from the last event time back, the earliest arrival among the later ones (one
    // pass, where comparing every pair took a forged 10,000-event batch minutes).
    let mut later_first: Option<(i64, u64)> = None;
    let mut end = steps.len();
    while end > 0 {
        let at = steps[end - 1].at_ms;
        let start = steps[..end]
            .iter()
            .rposition(|s| s.at_ms != at)
            .map_or(0, |i| i + 1);
        for step in &mut steps[start..end] {
            step.out_of_order = later_first.is_some_and(|first| first < arrival(step));
        }
        for step in &steps[start..end] {
            let arrived = arrival(step);
            later_first = Some(later_first.map_or(arrived, |first| first.min(arrived)));
        }
        end = start;
    }
    let mut previous: Option<i64> = None;
    for step in &mut steps {
        // Saturating: a forged `iat` can be anything a float holds.
        step.since_previous_ms = previous.map(|p| step.at_ms.saturating_sub(p));
        previous = Some(step.at_ms);
        step.delivery_ms = step.arrived_ms.saturating_sub(step.at_ms);
    }
    let last = steps.last();
    let state = last.and_then(|s| s.action.clone());
    let complete = verified && product.completes(state.as_deref());
    Process {
        product: product.as_str().to_owned(),
        subject,
        verified,
        state,
        complete,
        first_at: steps
            .first()
            .map(|s| s.timestamp.clone())
            .unwrap_or_default(),
        last_at: last.map(|s| s.timestamp.clone()).unwrap_or_default(),
        steps,
    }
}

/// The processes as a table for a terminal.
pub fn render(processes: &[Process]) -> String {
    use std::fmt::Write as _;
    let escape = |s: &str| crate::terminal::escape(s).into_owned();
    let mut out = String::new();
    let complete = processes.iter().filter(|p| p.complete).count();
    let unverified = processes.iter().filter(|p| !p.verified).count();
    let _ = writeln!(
        out,
        "{} processes: {complete} complete, {} open, {unverified} unverified (never complete)",
        processes.len(),
        processes.len() - complete - unverified
    );
    for p in processes {
        let status = match (p.verified, p.complete) {
            (false, _) => "UNVERIFIED",
            (true, true) => "complete",
            (true, false) => "open",
        };
        let _ = writeln!(
            out,
            "\n{} {}  [{status}] {}  {} steps, {} duplicated, {} out of order  {} .. {}",
            p.product,
            escape(p.subject.as_deref().unwrap_or("(no subject)")),
            escape(p.state.as_deref().unwrap_or("-")),
            p.steps.len(),
            p.duplicates(),
            p.out_of_order(),
            p.first_at,
            p.last_at
        );
        for s in &p.steps {
            let since = s
                .since_previous_ms
                .map_or_else(|| "start".to_owned(), |ms| format!("+{ms} ms"));
            let mut marks = Vec::new();
            if s.deliveries > 1 {
                marks.push(format!("delivered {}x", s.deliveries));
            }
            if s.out_of_order {
                marks.push("out of order".to_owned());
            }
            let _ = writeln!(
                out,
                "  {:<12} {:<24} {:>12}  delay {:>7} ms  records {:?}  {}",
                escape(s.action.as_deref().unwrap_or("-")),
                s.timestamp,
                since,
                s.delivery_ms,
                s.record_ids,
                marks.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: u64, received: &str, valid: bool, claims: Value) -> Record {
        let mut r = Record::request(received, "POST", "/", "x", Vec::new(), b"");
        r.id = id;
        r.verification.signature = if valid {
            Signature::Valid
        } else {
            Signature::Invalid
        };
        r.events = crate::truora::classify(&claims);
        r.token = Some(crate::record::TokenInfo {
            source: "body".to_owned(),
            raw: String::new(),
            header: json!({"alg": "HS256"}),
            claims: Some(claims),
        });
        r
    }

    fn check(id: &str, action: &str, at: &str) -> Value {
        json!({"iat": 0, "events": [{"id": id, "event_type": "check", "event_action": action,
            "timestamp": at, "object": {"check_id": "CHK1"}}]})
    }

    #[test]
    fn steps_by_event_time_with_duplicates_and_late_arrivals() {
        let records = vec![
            record(
                1,
                "2026-01-01T00:00:01.000Z",
                true,
                check("E1", "created", "2026-01-01T00:00:00Z"),
            ),
            record(
                2,
                "2026-01-01T00:00:05.000Z",
                true,
                check("E3", "finished", "2026-01-01T00:00:04Z"),
            ),
            // Started arrives last, though it happened before finished.
            record(
                3,
                "2026-01-01T00:00:06.000Z",
                true,
                check("E2", "started", "2026-01-01T00:00:02Z"),
            ),
            // A retry of created.
            record(
                4,
                "2026-01-01T00:00:07.000Z",
                true,
                check("E1", "created", "2026-01-01T00:00:00Z"),
            ),
            // A forgery claiming the same check finished.
            record(
                5,
                "2026-01-01T00:00:08.000Z",
                false,
                check("E9", "finished", "2026-01-01T00:00:09Z"),
            ),
        ];
        let processes = build(&records);
        assert_eq!(processes.len(), 2);
        let real = &processes[0];
        assert!(real.verified && real.complete);
        assert_eq!(real.state.as_deref(), Some("finished"));
        let actions: Vec<_> = real
            .steps
            .iter()
            .map(|s| s.action.as_deref().unwrap())
            .collect();
        assert_eq!(actions, ["created", "started", "finished"]);
        assert_eq!(real.steps[0].deliveries, 2);
        assert_eq!(real.steps[0].record_ids, [1, 4]);
        assert_eq!(real.steps[0].delivery_ms, 1000);
        assert_eq!(real.steps[1].since_previous_ms, Some(2000));
        let late: Vec<bool> = real.steps.iter().map(|s| s.out_of_order).collect();
        assert_eq!(late, [false, true, false]);
        let forged = &processes[1];
        assert!(!forged.verified && !forged.complete);
        assert_eq!(forged.subject.as_deref(), Some("CHK1"));
    }

    #[test]
    fn out_of_order_is_what_comparing_every_pair_says() {
        // Event times and arrivals scrambled (with ties), in one process.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let records: Vec<Record> = (1..=300u64)
            .map(|id| {
                let at = crate::record::timestamp_ms(1_000_000 + next(60) as i64 * 1000);
                let received = crate::record::timestamp_ms(2_000_000 + next(60) as i64 * 1000);
                record(
                    id,
                    &received,
                    true,
                    check(&format!("E{id}"), "started", &at),
                )
            })
            .collect();
        let steps = &build(&records)[0].steps;
        assert_eq!(steps.len(), 300);
        let arrival = |s: &Step| (s.arrived_ms, s.record_ids[0]);
        for step in steps {
            let naive = steps
                .iter()
                .any(|other| other.at_ms > step.at_ms && arrival(other) < arrival(step));
            assert_eq!(step.out_of_order, naive, "{step:?}");
        }
        assert!(steps.iter().any(|s| s.out_of_order));
    }

    #[test]
    fn extreme_event_times_do_not_wrap() {
        let at = |iat: f64| {
            json!({"iat": iat, "events": [{"id": format!("E{iat}"),
            "event_type": "check", "event_action": "started", "object": {"check_id": "CHK1"}}]})
        };
        let records = vec![
            record(1, "2026-01-01T00:00:01.000Z", true, at(1e300)),
            record(2, "2026-01-01T00:00:02.000Z", true, at(-1e300)),
        ];
        let steps = &build(&records)[0].steps;
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].since_previous_ms, Some(i64::MAX));
        assert_eq!(steps[0].delivery_ms, i64::MAX);
    }
}
