//! The layout of the generated types, decided before a line is written: which singular message
//! fields are boxed (the configured ones of [`boxed_fields`], and those whose type leads back to
//! their own message), which messages and oneofs derive `Copy` or `Eq, Hash`, which scalars are
//! packable, and the module tree: a package's module, its file's name, and `mod.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorSet};
use prost_reflect::{DescriptorPool, Kind};

use super::HEADER;
use crate::names::{clarifai_messages, snake};

/// Message types kept inline even though they are singular message fields (see [`boxed_fields`]).
const NEVER_BOXED: &[&str] = &["clarifai.api.UserAppIDSet", "clarifai.api.status.Status"];

/// Singular message fields to store as `Box<T>`, by the paths
/// [`write_all`](super::write_all) takes.
///
/// Clarifai's messages nest deeply: inline, the largest struct is about 19.5 KB and one unary call
/// future about 84 KB, which overflows a 2 MiB test thread in debug builds. Boxing every singular
/// message field keeps each struct small, with one rule users can remember: a nested message is
/// `Option<Box<T>>`. Well-known types, `UserAppIDSet` and the response `Status` stay inline, since
/// they are small and touched on every call.
pub fn boxed_fields(pool: &DescriptorPool) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for message in clarifai_messages(pool) {
        for field in message.fields() {
            if !is_boxed(&field) {
                continue;
            }
            paths.insert(format!(".{}.{}", message.full_name(), field.name()));
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                paths.insert(format!(
                    ".{}.{}.{}",
                    message.full_name(),
                    oneof.name(),
                    field.name()
                ));
            }
        }
    }
    paths
}

/// Whether a field is stored as `Option<Box<T>>` (see [`boxed_fields`]): a singular message
/// field, except the well-known types, `UserAppIDSet` and the response `Status`.
pub fn is_boxed(field: &prost_reflect::FieldDescriptor) -> bool {
    let Kind::Message(target) = field.kind() else {
        return false;
    };
    let target = target.full_name();
    !field.is_list()
        && !field.is_map()
        && !target.starts_with("google.protobuf.")
        && !NEVER_BOXED.contains(&target)
}

/// A package's module path: its parts in snake_case (empty for no package).
pub fn module_of(package: &str) -> Vec<String> {
    package
        .split('.')
        .filter(|p| !p.is_empty())
        .map(snake)
        .collect()
}

/// The file a module is written to: `clarifai.api.rs`, or `_.rs` for the package-less one.
pub(super) fn file_name(module: &[String]) -> String {
    if module.is_empty() {
        "_.rs".to_owned()
    } else {
        format!("{}.rs", module.join("."))
    }
}

/// `mod.rs`: nested `pub mod`s with each module's file included inside, in sorted order.
pub(super) fn module_tree<'a>(modules: impl Iterator<Item = &'a Vec<String>>) -> String {
    let mut out = format!("{HEADER}\n");
    let line = |out: &mut String, depth: usize, text: &str| {
        out.push_str(&"    ".repeat(depth));
        out.push_str(text);
        out.push('\n');
    };
    let mut open: Vec<String> = Vec::new();
    for module in modules {
        while !module.starts_with(&open) {
            open.pop();
            line(&mut out, open.len(), "}");
        }
        while open.len() < module.len() {
            let part = module[open.len()].clone();
            line(&mut out, open.len(), &format!("pub mod {part} {{"));
            open.push(part);
        }
        line(
            &mut out,
            open.len(),
            &format!("include!(\"{}\");", file_name(module)),
        );
    }
    for depth in (0..open.len()).rev() {
        line(&mut out, depth, "}");
    }
    out
}

/// What every file's writer looks up: all messages, the fields to box, and which message can
/// reach which through singular message fields.
pub(super) struct Context<'a> {
    messages: HashMap<String, &'a DescriptorProto>,
    /// Message → the types of its singular (non-repeated) message fields.
    edges: HashMap<String, Vec<&'a str>>,
    boxed: &'a BTreeSet<String>,
}

impl<'a> Context<'a> {
    pub(super) fn new(set: &'a FileDescriptorSet, boxed: &'a BTreeSet<String>) -> Self {
        let mut context = Context {
            messages: HashMap::new(),
            edges: HashMap::new(),
            boxed,
        };
        for file in &set.file {
            let package = match &file.package {
                Some(p) => format!(".{p}"),
                None => String::new(),
            };
            for message in &file.message_type {
                context.add(&package, message);
            }
        }
        context
    }

    fn add(&mut self, scope: &str, message: &'a DescriptorProto) {
        let name = format!("{scope}.{}", message.name());
        let targets = message
            .field
            .iter()
            .filter(|f| f.r#type() == Type::Message && f.label() != Label::Repeated)
            .map(|f| f.type_name())
            .collect();
        self.edges.insert(name.clone(), targets);
        self.messages.insert(name.clone(), message);
        for nested in &message.nested_type {
            self.add(&name, nested);
        }
    }

    /// Whether `to` can be reached from `from` through singular message fields (a message reaches
    /// itself): a field of type `from` inside `to` must then be boxed.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![from];
        while let Some(at) = stack.pop() {
            if at == to {
                return true;
            }
            if seen.insert(at) {
                stack.extend(self.edges.get(at).into_iter().flatten().copied());
            }
        }
        false
    }

    fn is_configured_boxed(&self, message: &str, field: &str) -> bool {
        self.boxed.contains(&format!("{message}.{field}"))
    }

    pub(super) fn must_box(
        &self,
        message: &str,
        oneof: Option<&str>,
        field: &FieldDescriptorProto,
    ) -> bool {
        if field.label() == Label::Repeated {
            return false;
        }
        if matches!(field.r#type(), Type::Message | Type::Group)
            && self.reaches(field.type_name(), message)
        {
            return true;
        }
        match oneof {
            Some(oneof) => self.is_configured_boxed(&format!("{message}.{oneof}"), field.name()),
            None => self.is_configured_boxed(message, field.name()),
        }
    }

    pub(super) fn message_is_copy(&self, name: &str) -> bool {
        self.messages
            .get(name)
            .is_some_and(|m| m.field.iter().all(|f| self.field_is_copy(name, f)))
    }

    pub(super) fn field_is_copy(&self, message: &str, field: &FieldDescriptorProto) -> bool {
        if field.label() == Label::Repeated {
            return false;
        }
        match field.r#type() {
            Type::Message => {
                !self.reaches(field.type_name(), message)
                    && !self.is_configured_boxed(message, field.name())
                    && self.message_is_copy(field.type_name())
            }
            t => is_packable(t),
        }
    }

    pub(super) fn message_is_eq(&self, name: &str) -> bool {
        self.messages
            .get(name)
            .is_some_and(|m| m.field.iter().all(|f| self.field_is_eq(name, f)))
    }

    pub(super) fn field_is_eq(&self, message: &str, field: &FieldDescriptorProto) -> bool {
        match field.r#type() {
            Type::Message => {
                field.label() != Label::Repeated
                    && !self.reaches(field.type_name(), message)
                    && self.message_is_eq(field.type_name())
            }
            Type::Float | Type::Double | Type::Group => false,
            _ => true,
        }
    }
}

/// Scalars that can be packed when repeated (and that are `Copy`).
pub(super) fn is_packable(t: Type) -> bool {
    !matches!(t, Type::String | Type::Bytes | Type::Message | Type::Group)
}
