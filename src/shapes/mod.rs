//! The shape of each kind of event (`type` + `action`): the JSON paths of the event
//! (`id`, `object.status`, array items as `[]`), the types seen at each and how many
//! events had it; the events whose shape differed from every earlier one of their
//! kind; and a JSON Schema (draft 2020-12) per kind that every event seen validates
//! against.
//!
//! Written here rather than with a schema-inference crate: the change report needs
//! the per-path presence counts and types anyway, and the schema follows from them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::record::Record;

mod schema;

/// One path of a kind's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub path: String,
    /// JSON types seen: `string`, `integer`, `number`, `boolean`, `null`, `object`, `array`.
    pub types: Vec<String>,
    /// How many events of the kind had this path.
    pub present: usize,
}

/// An event whose shape differed from every earlier event of its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub record_id: u64,
    /// Paths no earlier event had.
    pub added: Vec<String>,
    /// Paths every earlier event had, and this one lacks.
    pub missing: Vec<String>,
    /// Paths seen before, now with a type not seen before at them.
    pub retyped: Vec<String>,
}

/// The shape of one kind of event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub action: Option<String>,
    pub events: usize,
    pub fields: Vec<Field>,
    pub changes: Vec<Change>,
}

/// The paths of one event and the types at each.
pub type Paths = BTreeMap<String, BTreeSet<&'static str>>;

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn walk(value: &Value, prefix: &str, paths: &mut Paths) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = escape_key(key);
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                paths
                    .entry(path.clone())
                    .or_default()
                    .insert(type_name(child));
                walk(child, &path, paths);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                paths
                    .entry(path.clone())
                    .or_default()
                    .insert(type_name(item));
                walk(item, &path, paths);
            }
        }
        _ => {}
    }
}

/// A key as a path segment: `.`, `[` and `\\` in it are escaped with `\\`, so a key
/// holding a dot is one segment, not two.
fn escape_key(key: &str) -> String {
    if !key.contains(['.', '[', '\\']) {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len() + 2);
    for c in key.chars() {
        if matches!(c, '.' | '[' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The paths of `event` (the item of `events`, or the whole claims in the flat form).
pub fn paths_of(event: &Value) -> Paths {
    let mut paths = Paths::new();
    walk(event, "", &mut paths);
    paths
}

/// The event values of a record's claims, one per entry of `record.events`.
fn event_values(record: &Record) -> Vec<&Value> {
    let claims = record.token.as_ref().and_then(|t| t.claims.as_ref());
    events_of(claims, !record.events.is_empty())
}

/// The event values of claims: the items of `events`, or the claims themselves
/// in the flat form (`flat`: the claims were classified as one event).
pub fn events_of(claims: Option<&Value>, flat: bool) -> Vec<&Value> {
    let Some(claims) = claims else {
        return Vec::new();
    };
    match claims.get("events") {
        Some(Value::Array(events)) => events.iter().collect(),
        _ if flat => vec![claims],
        _ => Vec::new(),
    }
}

/// A kind of event: its `type` and `action`.
pub type KindKey = (Option<String>, Option<String>);

/// A 64-bit hash of `value`, the same in every run (the window counts deliveries
/// and tracks kinds and shapes by such hashes).
pub fn hash_of(value: &(impl std::hash::Hash + ?Sized)) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(value)
}

/// A fingerprint of the shape of `value` worked out without building its paths:
/// keys in order with the types under them, and each array's distinct item shapes.
/// Events with the same one have the same paths, so a kind needs to look at its
/// paths only the first time.
pub fn shape_fingerprint(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(value: &Value, hasher: &mut impl Hasher) {
        match value {
            Value::Object(map) => {
                b'{'.hash(hasher);
                for (key, child) in map {
                    key.hash(hasher);
                    type_name(child).hash(hasher);
                    walk(child, hasher);
                }
                b'}'.hash(hasher);
            }
            Value::Array(items) => {
                let mut shapes: Vec<u64> = items
                    .iter()
                    .map(|item| {
                        let mut hasher = std::collections::hash_map::DefaultHasher::new();
                        type_name(item).hash(&mut hasher);
                        walk(item, &mut hasher);
                        hasher.finish()
                    })
                    .collect();
                shapes.sort_unstable();
                shapes.dedup();
                b'['.hash(hasher);
                shapes.hash(hasher);
            }
            _ => {}
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    walk(value, &mut hasher);
    hasher.finish()
}

/// The shape of a record's first event, as the window tracks it: a hash of its
/// kind (`type`, `action`), its fingerprint, and its paths (`None` when whoever
/// built it knew they were seen). Nothing in it is allocated but the paths.
#[derive(Debug, Clone)]
pub struct EventShape {
    pub kind: u64,
    pub fingerprint: u64,
    pub paths: Option<Paths>,
}

impl EventShape {
    /// The shape of the first event of `events`, classified from `claims`; its
    /// paths are worked out only when `want_paths` says so for its kind and
    /// fingerprint (the fingerprint alone costs no allocation).
    pub fn of_first(
        claims: Option<&Value>,
        events: &[crate::record::Event],
        want_paths: impl FnOnce(u64, u64) -> bool,
    ) -> Option<EventShape> {
        let event = events.first()?;
        let value = events_of(claims, true).into_iter().next()?;
        let kind = hash_of(&(&event.event_type, &event.action));
        let fingerprint = shape_fingerprint(value);
        let paths = want_paths(kind, fingerprint).then(|| paths_of(value));
        Some(EventShape {
            kind,
            fingerprint,
            paths,
        })
    }
}

/// What is known of one kind so far; the window keeps one per kind to mark the
/// events whose shape changed as they arrive.
#[derive(Debug, Default)]
pub struct Kind {
    events: usize,
    /// Paths in the order first seen.
    order: Vec<String>,
    /// Position in `order` of each path.
    index: HashMap<String, usize>,
    /// Per path (as `order`): the types seen and how many events had it.
    fields: Vec<(BTreeSet<&'static str>, usize)>,
    /// Each shape seen, by fingerprint: the positions of its paths.
    seen: HashMap<u64, Vec<usize>>,
    changes: Vec<Change>,
}

impl Kind {
    /// Takes in one event whose shape has `fingerprint`; returns its change, if
    /// its shape is new. `paths` may be left out when this kind has seen the
    /// fingerprint before (a repeated shape is never a change); an unseen one
    /// without paths is only counted.
    pub fn add(
        &mut self,
        record_id: u64,
        fingerprint: u64,
        paths: Option<&Paths>,
    ) -> Option<Change> {
        if let Some(positions) = self.seen.get(&fingerprint) {
            for &at in positions {
                self.fields[at].1 += 1;
            }
            self.events += 1;
            return None;
        }
        let paths = paths?;
        let mut change = Change {
            record_id,
            added: Vec::new(),
            missing: Vec::new(),
            retyped: Vec::new(),
        };
        if self.events > 0 {
            for (path, types) in paths {
                match self.index.get(path).map(|at| &self.fields[*at].0) {
                    None => change.added.push(path.clone()),
                    Some(seen) if !types.is_subset(seen) => change.retyped.push(path.clone()),
                    Some(_) => {}
                }
            }
            for (path, (_, present)) in self.order.iter().zip(&self.fields) {
                if *present == self.events && !paths.contains_key(path) {
                    change.missing.push(path.clone());
                }
            }
        }
        let mut positions = Vec::with_capacity(paths.len());
        for (path, types) in paths {
            let at = match self.index.get(path) {
                Some(at) => *at,
                None => {
                    self.order.push(path.clone());
                    self.index.insert(path.clone(), self.order.len() - 1);
                    self.fields.push((BTreeSet::new(), 0));
                    self.order.len() - 1
                }
            };
            self.fields[at].0.extend(types.iter().copied());
            self.fields[at].1 += 1;
            positions.push(at);
        }
        // A shape whose types are all known now is this fingerprint's for good.
        self.seen.insert(fingerprint, positions);
        self.events += 1;
        let changed =
            !(change.added.is_empty() && change.missing.is_empty() && change.retyped.is_empty());
        changed.then_some(change)
    }
}

/// One [`Kind`] per kind of event: what the window marks shape changes with.
#[derive(Debug, Default)]
pub struct Tracker {
    kinds: HashMap<u64, Kind>,
}

impl Tracker {
    /// Takes in a record's first event; its change, if its shape is new.
    pub fn add(&mut self, record_id: u64, shape: &EventShape) -> Option<Change> {
        let kind = self.kinds.entry(shape.kind).or_default();
        kind.add(record_id, shape.fingerprint, shape.paths.as_ref())
    }
}

/// The shapes of every kind of event in `records`, kinds in the order first seen.
pub fn build<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<Shape> {
    let mut kinds: Vec<(KindKey, Kind)> = Vec::new();
    for record in records {
        for (event, value) in record.events.iter().zip(event_values(record)) {
            let key = (event.event_type.clone(), event.action.clone());
            let at = match kinds.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    kinds.push((key, Kind::default()));
                    kinds.len() - 1
                }
            };
            let kind = &mut kinds[at].1;
            let paths = paths_of(value);
            if let Some(change) = kind.add(record.id, shape_fingerprint(value), Some(&paths)) {
                kind.changes.push(change);
            }
        }
    }
    kinds
        .into_iter()
        .map(|((event_type, action), kind)| Shape {
            event_type,
            action,
            events: kind.events,
            fields: kind
                .order
                .iter()
                .map(|path| Field {
                    path: path.clone(),
                    types: kind.fields[kind.index[path]]
                        .0
                        .iter()
                        .map(|t| (*t).to_owned())
                        .collect(),
                    present: kind.fields[kind.index[path]].1,
                })
                .collect(),
            changes: kind.changes,
        })
        .collect()
}

/// The shapes as text for a terminal.
pub fn render(shapes: &[Shape]) -> String {
    use std::fmt::Write as _;
    let escape = |s: &str| crate::terminal::escape(s).into_owned();
    let mut out = String::new();
    for shape in shapes {
        let _ = writeln!(
            out,
            "{} {}: {} events, {} fields, {} changes",
            escape(shape.event_type.as_deref().unwrap_or("(no type)")),
            escape(shape.action.as_deref().unwrap_or("(no action)")),
            shape.events,
            shape.fields.len(),
            shape.changes.len()
        );
        for field in &shape.fields {
            let _ = writeln!(
                out,
                "  {:<40} {:<20} {}/{}",
                escape(&field.path),
                field.types.join("|"),
                field.present,
                shape.events
            );
        }
        for change in &shape.changes {
            let mut parts = Vec::new();
            for (what, paths) in [
                ("added", &change.added),
                ("missing", &change.missing),
                ("retyped", &change.retyped),
            ] {
                if !paths.is_empty() {
                    parts.push(format!("{what} {}", escape(&paths.join(", "))));
                }
            }
            let _ = writeln!(
                out,
                "  changed at record {}: {}",
                change.record_id,
                parts.join("; ")
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fingerprint_follows_the_shape_not_the_values() {
        let a = json!({"id": "E1", "rows": [{"n": 1}, {"n": 2}], "ok": true});
        let same = json!({"id": "E2", "rows": [{"n": 7}], "ok": false});
        let retyped = json!({"id": "E3", "rows": [{"n": "7"}], "ok": false});
        let more = json!({"id": "E4", "rows": [], "ok": true, "extra": null});
        assert_eq!(shape_fingerprint(&a), shape_fingerprint(&same));
        assert_ne!(shape_fingerprint(&a), shape_fingerprint(&retyped));
        assert_ne!(shape_fingerprint(&a), shape_fingerprint(&more));
    }

    #[test]
    fn the_tracker_marks_only_new_shapes_and_counts_repeats_without_paths() {
        let shape = |claims: Value, with_paths: bool| {
            let events = [crate::record::Event {
                product: "check".to_owned(),
                event_type: Some("check".to_owned()),
                action: Some("finished".to_owned()),
                id: None,
                subject: None,
            }];
            EventShape::of_first(Some(&claims), &events, |_, _| with_paths).unwrap()
        };
        let mut tracker = Tracker::default();
        assert!(
            tracker
                .add(1, &shape(json!({"a": 1, "b": "x"}), true))
                .is_none()
        );
        // The same shape again, sent without its paths: counted, no change.
        assert!(
            tracker
                .add(2, &shape(json!({"a": 2, "b": "y"}), false))
                .is_none()
        );
        let change = tracker.add(3, &shape(json!({"a": 3}), true)).unwrap();
        assert_eq!(change.missing, ["b"]);
        // "b" was in two of three events: lacking it again is no longer a change.
        assert!(tracker.add(4, &shape(json!({"a": 4}), false)).is_none());
        let change = tracker
            .add(5, &shape(json!({"a": "5", "b": "z"}), true))
            .unwrap();
        assert_eq!(change.retyped, ["a"]);
    }

    #[test]
    fn paths_with_array_items() {
        let paths = paths_of(
            &json!({"id": "E1", "object": {"score": 0.5, "tags": ["a", 1], "rows": [{"n": 1}]}}),
        );
        let names: Vec<&str> = paths.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "id",
                "object",
                "object.rows",
                "object.rows[]",
                "object.rows[].n",
                "object.score",
                "object.tags",
                "object.tags[]"
            ]
        );
        assert_eq!(
            paths["object.tags[]"].iter().copied().collect::<Vec<_>>(),
            ["integer", "string"]
        );
        assert_eq!(
            schema::split("object.rows[].n"),
            ["object", "rows", "[]", "n"]
        );
    }

    #[test]
    fn changes_name_added_missing_and_retyped_paths() {
        let mut kind = Kind::default();
        let mut add = |id: u64, value: Value| {
            kind.add(id, shape_fingerprint(&value), Some(&paths_of(&value)))
        };
        let a = json!({"id": "1", "object": {"status": "ok", "score": 1}});
        let b = json!({"id": "2", "object": {"status": "ok", "score": 1.5, "new": true}});
        let c = json!({"id": "3", "object": {"score": 2}});
        assert_eq!(add(1, a.clone()), None);
        let change = add(2, b).unwrap();
        assert_eq!(change.added, ["object.new"]);
        assert_eq!(change.retyped, ["object.score"]);
        let change = add(3, c).unwrap();
        assert_eq!(change.missing, ["object.status"]);
        assert_eq!(add(4, a), None);
    }
}
