//! A kind's JSON Schema (draft 2020-12), built from its fields: every event seen
//! validates against it.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Field, Shape};

impl Shape {
    /// The file name of this kind's schema: `TYPE.ACTION.schema.json`.
    pub fn schema_file_name(&self) -> String {
        let clean = |text: Option<&str>, missing: &str| {
            let text = text.filter(|t| !t.is_empty()).unwrap_or(missing);
            text.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        };
        // A name stays far under the 255 bytes a file name may have: a long part is
        // cut, with a hash of the whole so that two long names stay apart.
        let short = |text: String| {
            if text.len() <= 80 {
                return text;
            }
            let hash = crate::shapes::hash_of(&text);
            format!("{}-{:016x}", &text[..64], hash)
        };
        format!(
            "{}.{}.schema.json",
            short(clean(self.event_type.as_deref(), "unknown")),
            short(clean(self.action.as_deref(), "none"))
        )
    }

    /// A JSON Schema (draft 2020-12) that every event of this kind seen validates
    /// against: the types seen at each path; the properties every event had are
    /// required at the top and inside objects (never inside arrays, whose items vary).
    pub fn json_schema(&self) -> Value {
        let mut root = Node::default();
        for field in &self.fields {
            let segments = split(&field.path);
            root.insert(&segments, field);
        }
        let mut schema = root.schema(self.events, false);
        if let Value::Object(map) = &mut schema {
            map.insert(
                "$schema".to_owned(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            map.insert(
                "title".to_owned(),
                json!(
                    format!(
                        "{} {}",
                        self.event_type.as_deref().unwrap_or("unknown"),
                        self.action.as_deref().unwrap_or("")
                    )
                    .trim_end()
                    .to_owned()
                ),
            );
            map.insert("type".to_owned(), json!("object"));
        }
        schema
    }
}

/// A path's segments: `object.items[].name` is `object`, `items`, `[]`, `name`.
pub(super) fn split(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut name = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // An escaped `.`, `[` or `\` is part of the key.
            '\\' => name.extend(chars.next()),
            '.' => {
                if !name.is_empty() {
                    out.push(std::mem::take(&mut name));
                }
            }
            '[' if chars.peek() == Some(&']') => {
                chars.next();
                if !name.is_empty() {
                    out.push(std::mem::take(&mut name));
                }
                out.push("[]".to_owned());
            }
            c => name.push(c),
        }
    }
    if !name.is_empty() {
        out.push(name);
    }
    out
}

/// The schema tree, built from the flat fields.
#[derive(Default)]
struct Node {
    types: BTreeSet<String>,
    present: usize,
    properties: Vec<(String, Node)>,
    items: Option<Box<Node>>,
}

impl Node {
    fn insert(&mut self, segments: &[String], field: &Field) {
        let Some((first, rest)) = segments.split_first() else {
            self.types.extend(field.types.iter().cloned());
            self.present = field.present;
            return;
        };
        let child = if first == "[]" {
            self.items.get_or_insert_with(Default::default)
        } else {
            let at = match self.properties.iter().position(|(name, _)| name == first) {
                Some(at) => at,
                None => {
                    self.properties.push((first.clone(), Node::default()));
                    self.properties.len() - 1
                }
            };
            &mut self.properties[at].1
        };
        child.insert(rest, field);
    }

    /// `parent_present`: in how many events the parent was there; `in_array`: below
    /// an array's items, where presence counts events, not items.
    fn schema(&self, parent_present: usize, in_array: bool) -> Value {
        let mut map = Map::new();
        let mut types: Vec<&str> = self.types.iter().map(String::as_str).collect();
        if types.contains(&"number") {
            types.retain(|t| *t != "integer");
        }
        match types.as_slice() {
            [] => {}
            [one] => {
                map.insert("type".to_owned(), json!(one));
            }
            many => {
                map.insert("type".to_owned(), json!(many));
            }
        }
        if !self.properties.is_empty() {
            let present = if self.present == 0 {
                parent_present
            } else {
                self.present
            };
            let properties: Map<String, Value> = self
                .properties
                .iter()
                .map(|(name, node)| (name.clone(), node.schema(present, in_array)))
                .collect();
            map.insert("properties".to_owned(), Value::Object(properties));
            if !in_array {
                let required: Vec<&str> = self
                    .properties
                    .iter()
                    .filter(|(_, node)| node.present == present)
                    .map(|(name, _)| name.as_str())
                    .collect();
                if !required.is_empty() {
                    map.insert("required".to_owned(), json!(required));
                }
            }
        }
        if let Some(items) = &self.items {
            map.insert("items".to_owned(), items.schema(self.present, true));
        }
        Value::Object(map)
    }
}
