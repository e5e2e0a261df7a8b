//! The Rust type of each field, as prost-build writes it: scalars, `bytes` as `Bytes`,
//! `google.protobuf` types as prost-types' (the wrappers as plain Rust types), and Clarifai's
//! types by a path relative to the module being written; with the `#[prost(..)]` kind of each.

use prost_reflect::prost_types::FieldDescriptorProto;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};

use super::writer::FileWriter;
use crate::names::{camel, snake};

/// The `google.protobuf` wrappers that become plain Rust types, as prost maps them.
const WRAPPERS: &[(&str, &str)] = &[
    (".google.protobuf.BoolValue", "bool"),
    (
        ".google.protobuf.BytesValue",
        "::prost::alloc::vec::Vec<u8>",
    ),
    (".google.protobuf.DoubleValue", "f64"),
    (".google.protobuf.Empty", "()"),
    (".google.protobuf.FloatValue", "f32"),
    (".google.protobuf.Int32Value", "i32"),
    (".google.protobuf.Int64Value", "i64"),
    (
        ".google.protobuf.StringValue",
        "::prost::alloc::string::String",
    ),
    (".google.protobuf.UInt32Value", "u32"),
    (".google.protobuf.UInt64Value", "u64"),
];

/// The Rust path of a type outside the crate's generated code, if it is one: the
/// `google.protobuf` types.
pub(super) fn extern_type(proto_name: &str) -> Option<String> {
    if let Some((_, rust)) = WRAPPERS.iter().find(|(p, _)| *p == proto_name) {
        return Some((*rust).to_owned());
    }
    let rest = proto_name.strip_prefix(".google.protobuf.")?;
    let mut parts: Vec<&str> = rest.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut path = String::from("::prost_types");
    for part in parts {
        path.push_str("::");
        path.push_str(&snake(part));
    }
    path.push_str("::");
    path.push_str(&camel(last));
    Some(path)
}

impl FileWriter<'_, '_> {
    /// Whether a singular field is an `Option`: a message, or a proto3 `optional` or proto2 field.
    pub(super) fn is_optional(&self, field: &FieldDescriptorProto) -> bool {
        if field.proto3_optional() {
            return true;
        }
        field.label() == Label::Optional && (field.r#type() == Type::Message || !self.proto3)
    }

    /// The Rust type of a field's values.
    pub(super) fn rust_type(&self, field: &FieldDescriptorProto) -> String {
        match field.r#type() {
            Type::Float => "f32".to_owned(),
            Type::Double => "f64".to_owned(),
            Type::Uint32 | Type::Fixed32 => "u32".to_owned(),
            Type::Uint64 | Type::Fixed64 => "u64".to_owned(),
            Type::Int32 | Type::Sfixed32 | Type::Sint32 | Type::Enum => "i32".to_owned(),
            Type::Int64 | Type::Sfixed64 | Type::Sint64 => "i64".to_owned(),
            Type::Bool => "bool".to_owned(),
            Type::String => "::prost::alloc::string::String".to_owned(),
            Type::Bytes => "::prost::bytes::Bytes".to_owned(),
            Type::Group | Type::Message => self.resolve(field.type_name()),
        }
    }

    /// The `#[prost(..)]` kind of a field.
    pub(super) fn type_tag(&self, field: &FieldDescriptorProto) -> String {
        let tag = match field.r#type() {
            Type::Float => "float",
            Type::Double => "double",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Uint32 => "uint32",
            Type::Uint64 => "uint64",
            Type::Sint32 => "sint32",
            Type::Sint64 => "sint64",
            Type::Fixed32 => "fixed32",
            Type::Fixed64 => "fixed64",
            Type::Sfixed32 => "sfixed32",
            Type::Sfixed64 => "sfixed64",
            Type::Bool => "bool",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Group => "group",
            Type::Message => "message",
            Type::Enum => return format!("enumeration = \"{}\"", self.resolve(field.type_name())),
        };
        tag.to_owned()
    }

    /// The Rust path of a type by its full proto name, relative to the current module: `super::`
    /// up to the common ancestor, then down.
    pub(super) fn resolve(&self, proto_name: &str) -> String {
        if let Some(path) = extern_type(proto_name) {
            return path;
        }
        let here: Vec<&str> = self
            .package
            .split('.')
            .filter(|p| !p.is_empty())
            .chain(self.type_path.iter().map(String::as_str))
            .collect();
        let mut there: Vec<&str> = proto_name.trim_start_matches('.').split('.').collect();
        let ty = there.pop().unwrap_or_default();
        let common = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<String> = vec!["super".to_owned(); here.len() - common];
        parts.extend(there[common..].iter().map(|p| snake(p)));
        parts.push(camel(ty));
        parts.join("::")
    }
}
