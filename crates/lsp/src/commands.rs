//! The types of THE table of commands: a command's row ([`CommandSpec`]: name, summary,
//! arguments with their JSON types and docs, the named result type, project use, progress
//! title), made from a handler's declaration and the JSON Schemas of its argument and result
//! types; and the check of an argument object against a row. The table itself, built from the
//! `commands!` list, is in [`crate::handlers`]. Nothing here knows a handler.

use schemars::{generate::SchemaSettings, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value};

/// The JSON type of one argument field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ArgType {
    #[serde(rename = "string")]
    String,
    #[serde(rename = "boolean")]
    Boolean,
    #[serde(rename = "integer")]
    Integer,
    /// An array of strings, or one string with comma-separated items.
    #[serde(rename = "string[]")]
    StringList,
}

impl ArgType {
    /// How `docs/protocol.md` and the exported table name the type.
    pub fn doc_name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Boolean => "boolean",
            ArgType::Integer => "integer",
            ArgType::StringList => "string[]",
        }
    }

    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ArgType::String => value.is_string(),
            ArgType::Boolean => value.is_boolean(),
            ArgType::Integer => value.is_i64() || value.is_u64(),
            ArgType::StringList => {
                value.is_string()
                    || value
                        .as_array()
                        .is_some_and(|items| items.iter().all(Value::is_string))
            }
        }
    }

    /// The argument type a field's JSON Schema (from the handler's argument struct) says:
    /// the JSON types it allows besides `null`.
    fn of_schema(schema: &Value, defs: &Map<String, Value>) -> Option<ArgType> {
        let mut types = std::collections::BTreeSet::new();
        collect_types(schema, defs, &mut types);
        types.remove("null");
        let types: Vec<&str> = types.into_iter().collect();
        match types.as_slice() {
            ["string"] => Some(ArgType::String),
            ["boolean"] => Some(ArgType::Boolean),
            ["integer"] => Some(ArgType::Integer),
            ["array<string>", "string"] => Some(ArgType::StringList),
            _ => None,
        }
    }
}

/// The JSON types a schema allows (`array<string>` for arrays of strings), through `$ref`,
/// `anyOf` and `oneOf`.
fn collect_types<'a>(
    schema: &'a Value,
    defs: &'a Map<String, Value>,
    out: &mut std::collections::BTreeSet<&'a str>,
) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(def) = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| defs.get(name))
        {
            collect_types(def, defs, out);
        }
    }
    for key in ["anyOf", "oneOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_types(sub, defs, out);
        }
    }
    let is_string_array =
        schema.get("items").and_then(|i| i.get("type")) == Some(&Value::from("string"));
    let mut add = |ty: &'a str| {
        out.insert(if ty == "array" && is_string_array {
            "array<string>"
        } else {
            ty
        });
    };
    match schema.get("type") {
        Some(Value::String(ty)) => add(ty),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).for_each(add),
        _ => {}
    }
}

/// One field of a command's argument object.
#[derive(Debug, Clone, Serialize)]
pub struct ArgSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ArgType,
    pub doc: String,
}

/// Whether a command needs a project, and whether it may ask which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProjectUse {
    /// The command acts on a project: when it is ambiguous, the user is asked.
    Required,
    /// The project only picks the portal (its binding's): never asked.
    Optional,
}

/// A command's row of the table, from its handler's declaration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandSpec {
    pub name: &'static str,
    pub summary: &'static str,
    /// The fields of the handler's argument struct, in name order.
    pub args: Vec<ArgSpec>,
    /// The name of the result type (its schema is in the exported table's `$defs`).
    pub result: String,
    pub project: ProjectUse,
    /// Changes what `miniapp.status` shows: a `miniapp/didChangeStatus` follows it.
    pub mutating: bool,
    /// Long work: reports `$/progress` under this title (begin/report/end, cancellable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<&'static str>,
}

impl CommandSpec {
    /// A handler's row: its declared consts, and the schemas of its argument struct (a root
    /// schema, with its own `$defs`) and of its result (a `$ref` into the table's `$defs`).
    pub fn from_declaration(declared: Declared, args: &Schema, result: &Schema) -> Self {
        CommandSpec {
            name: declared.name,
            summary: declared.summary,
            args: arg_specs(declared.name, args),
            result: type_name(result),
            project: declared.project,
            mutating: declared.mutating,
            progress: declared.progress,
        }
    }
}

/// What a handler declares besides its types (`Command`'s consts).
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub name: &'static str,
    pub summary: &'static str,
    pub project: ProjectUse,
    pub mutating: bool,
    pub progress: Option<&'static str>,
}

/// The schema settings of the table: JSON Schema 2020-12, types referenced under `$defs`,
/// each as it is serialized (a field is required when it is always sent).
pub fn generator() -> SchemaGenerator {
    SchemaGenerator::new(SchemaSettings::draft2020_12().for_serialize())
}

fn arg_specs(command: &str, schema: &Schema) -> Vec<ArgSpec> {
    let value = schema.as_value();
    let empty = Map::new();
    let defs = value
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let properties = value
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    properties
        .iter()
        .map(|(name, field)| ArgSpec {
            name: name.clone(),
            ty: ArgType::of_schema(field, defs).unwrap_or_else(|| {
                panic!("{command}: argument `{name}` has a type the table cannot name: {field}")
            }),
            doc: field
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{command}: argument `{name}` has no doc comment"))
                .replace('\n', " "),
        })
        .collect()
}

/// `{"$ref": "#/$defs/PublishResult"}` → `PublishResult`.
fn type_name(schema: &Schema) -> String {
    schema
        .as_value()
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .unwrap_or_else(|| panic!("a result type must be a named type: {schema:?}"))
        .to_string()
}

/// Checks an argument object against the table: known fields, right JSON types.
/// `null` fields count as absent.
pub fn check_args(spec: &CommandSpec, args: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in args {
        if value.is_null() {
            continue;
        }
        let Some(arg) = spec.args.iter().find(|a| &a.name == key) else {
            let known: Vec<&str> = spec.args.iter().map(|a| a.name.as_str()).collect();
            return Err(format!(
                "{} has no argument `{key}`; its arguments are: {}",
                spec.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        };
        if !arg.ty.accepts(value) {
            return Err(format!(
                "argument `{key}` of {} must be a {}, not {}",
                spec.name,
                arg.ty.doc_name(),
                json_type(value)
            ));
        }
    }
    Ok(())
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An argument given as an array of strings or as one string of items (the table's
/// `string[]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum StringList {
    List(Vec<String>),
    Text(String),
}

impl StringList {
    /// The items; a single string is kept whole for the parser of its kind.
    pub fn items(&self) -> Vec<String> {
        match self {
            StringList::List(items) => items.clone(),
            StringList::Text(text) => vec![text.clone()],
        }
    }
}

impl JsonSchema for StringList {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StringList".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        })
    }
}
