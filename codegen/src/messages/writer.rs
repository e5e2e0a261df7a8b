//! The writer of one proto file's types: each message as a struct (its fields, maps and oneof
//! fields), then its nested types, enums and oneofs in a module named after it; each enum with
//! `as_str_name` and `from_str_name`; every element's comments as its docs. What it decides with
//! the whole set in view (boxes, derives) it asks [`super::layout`]; the Rust type of a field is
//! in [`super::rust_types`], and the services of a file in [`super::services`].

use std::collections::{BTreeMap, HashMap, HashSet};

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::source_code_info::Location;
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
    OneofDescriptorProto,
};

use super::ServiceWriter;
use super::layout::{Context, is_packable};
use super::rust_types::extern_type;
use crate::BuildResult;
use crate::comments::Comments;
use crate::names::{camel, rust_ident, snake};

/// The writer of one proto file: keeps the path of the element being written (for its comments)
/// and the module it is in (for relative type paths).
pub(super) struct FileWriter<'c, 'b> {
    context: &'c Context<'c>,
    pub(super) package: String,
    /// The enclosing messages of the current position.
    pub(super) type_path: Vec<String>,
    /// Source locations of elements (even-length paths), sorted by path.
    locations: Vec<&'c Location>,
    pub(super) proto3: bool,
    depth: u8,
    pub(super) path: Vec<i32>,
    pub(super) buf: &'b mut String,
}

/// One field with its index in the message (for its comments).
struct Field<'f> {
    proto: &'f FieldDescriptorProto,
    index: i32,
}

/// A oneof with its fields.
struct Oneof<'f> {
    proto: &'f OneofDescriptorProto,
    fields: Vec<Field<'f>>,
    index: i32,
    /// A nested type has the same Rust name, so the enum takes an `OneOf` suffix.
    name_taken: bool,
}

impl Oneof<'_> {
    fn type_name(&self) -> String {
        let name = camel(self.proto.name());
        if self.name_taken {
            format!("{name}OneOf")
        } else {
            name
        }
    }
}

impl<'c, 'b> FileWriter<'c, 'b> {
    pub(super) fn new(
        context: &'c Context<'c>,
        file: &'c FileDescriptorProto,
        buf: &'b mut String,
    ) -> BuildResult<Self> {
        let proto3 = match file.syntax.as_deref() {
            None | Some("proto2") => false,
            Some("proto3") => true,
            Some(other) => {
                return Err(format!("{}: unknown syntax {other:?}", file.name()));
            }
        };
        let mut locations: Vec<&Location> = file
            .source_code_info
            .iter()
            .flat_map(|info| &info.location)
            .filter(|l| !l.path.is_empty() && l.path.len() % 2 == 0)
            .collect();
        locations.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(FileWriter {
            context,
            package: file.package().to_owned(),
            type_path: Vec::new(),
            locations,
            proto3,
            depth: 0,
            path: Vec::new(),
            buf,
        })
    }

    /// The file's messages and enums, then its services.
    pub(super) fn write(
        mut self,
        file: &'c FileDescriptorProto,
        services: &mut dyn ServiceWriter,
    ) -> BuildResult<()> {
        self.write_types(file)?;
        self.write_services(file, services);
        Ok(())
    }

    fn write_types(&mut self, file: &'c FileDescriptorProto) -> BuildResult<()> {
        self.path.push(4);
        for (i, message) in file.message_type.iter().enumerate() {
            self.path.push(i as i32);
            self.message(message)?;
            self.path.pop();
        }
        self.path.pop();

        self.path.push(5);
        for (i, e) in file.enum_type.iter().enumerate() {
            self.path.push(i as i32);
            self.enumeration(e)?;
            self.path.pop();
        }
        self.path.pop();
        Ok(())
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("    ");
        }
    }

    /// Pushes an indented line.
    fn line(&mut self, text: &str) {
        self.indent();
        self.buf.push_str(text);
        self.buf.push('\n');
    }

    /// The comments of the element at the current path.
    pub(super) fn comments(&self) -> Option<Comments> {
        self.comments_at(&self.path)
    }

    /// The comments of the element at `path`.
    pub(super) fn comments_at(&self, path: &[i32]) -> Option<Comments> {
        let i = self
            .locations
            .binary_search_by(|l| l.path.as_slice().cmp(path))
            .ok()?;
        Some(Comments::from_location(self.locations[i]))
    }

    fn docs(&mut self) {
        if let Some(comments) = self.comments() {
            comments.append_with_indent(self.depth, self.buf);
        }
    }

    /// The full proto name of `name` declared at the current position, with a leading dot.
    fn full_name(&self, name: &str) -> String {
        let mut full = String::new();
        if !self.package.is_empty() {
            full.push('.');
            full.push_str(self.package.trim_matches('.'));
        }
        if !self.type_path.is_empty() {
            full.push('.');
            full.push_str(&self.type_path.join("."));
        }
        full.push('.');
        full.push_str(name);
        full
    }

    fn message(&mut self, message: &'c DescriptorProto) -> BuildResult<()> {
        let name = message.name();
        let full = self.full_name(name);
        if extern_type(&full).is_some() {
            return Ok(());
        }

        // Map entries become HashMap fields; the other nested types keep their index.
        let mut nested = Vec::new();
        let mut maps: HashMap<String, (&FieldDescriptorProto, &FieldDescriptorProto)> =
            HashMap::new();
        for (i, ty) in message.nested_type.iter().enumerate() {
            if ty
                .options
                .as_ref()
                .and_then(|o| o.map_entry)
                .unwrap_or(false)
            {
                let (Some(key), Some(value)) = (ty.field.first(), ty.field.get(1)) else {
                    return Err(format!(
                        "{full}.{}: a map entry without key and value",
                        ty.name()
                    ));
                };
                maps.insert(format!("{full}.{}", ty.name()), (key, value));
            } else {
                nested.push((ty, i as i32));
            }
        }

        // Plain fields (proto3 `optional` ones too), and the fields of each real oneof.
        let mut fields = Vec::new();
        let mut by_oneof: BTreeMap<i32, Vec<Field>> = BTreeMap::new();
        for (i, proto) in message.field.iter().enumerate() {
            let field = Field {
                proto,
                index: i as i32,
            };
            match proto.oneof_index {
                Some(o) if !proto.proto3_optional() => by_oneof.entry(o).or_default().push(field),
                _ => fields.push(field),
            }
        }
        let oneofs: Vec<Oneof> = message
            .oneof_decl
            .iter()
            .enumerate()
            .filter_map(|(i, proto)| {
                let fields = by_oneof.remove(&(i as i32))?;
                let rust = camel(proto.name());
                let name_taken = message
                    .nested_type
                    .iter()
                    .map(|t| t.name())
                    .chain(message.enum_type.iter().map(|e| e.name()))
                    .any(|n| camel(n) == rust);
                Some(Oneof {
                    proto,
                    fields,
                    index: i as i32,
                    name_taken,
                })
            })
            .collect();

        self.docs();
        self.line(&format!(
            "#[derive(Clone, {}PartialEq, {}::prost::Message)]",
            if self.context.message_is_copy(&full) {
                "Copy, "
            } else {
                ""
            },
            if self.context.message_is_eq(&full) {
                "Eq, Hash, "
            } else {
                ""
            },
        ));
        self.line(&format!("pub struct {} {{", camel(name)));
        self.depth += 1;
        self.path.push(2);
        for field in &fields {
            self.path.push(field.index);
            match field.proto.type_name.as_deref().and_then(|t| maps.get(t)) {
                Some((key, value)) => self.map_field(field, key, value),
                None => self.field(&full, field)?,
            }
            self.path.pop();
        }
        self.path.pop();
        self.path.push(8);
        for oneof in &oneofs {
            self.path.push(oneof.index);
            self.docs();
            let ty = format!("{}::{}", snake(name), oneof.type_name());
            let tags: Vec<String> = oneof
                .fields
                .iter()
                .map(|f| f.proto.number().to_string())
                .collect();
            self.line(&format!(
                "#[prost(oneof = \"{ty}\", tags = \"{}\")]",
                tags.join(", ")
            ));
            self.line(&format!(
                "pub {}: ::core::option::Option<{ty}>,",
                snake(oneof.proto.name())
            ));
            self.path.pop();
        }
        self.path.pop();
        self.depth -= 1;
        self.line("}");

        if !message.enum_type.is_empty() || !nested.is_empty() || !oneofs.is_empty() {
            self.line(&format!(
                "/// The types declared inside `{name}`: its nested messages and enums, and its oneofs."
            ));
            self.line(&format!("pub mod {} {{", snake(name)));
            self.type_path.push(name.to_owned());
            self.depth += 1;

            self.path.push(3);
            for (ty, i) in nested {
                self.path.push(i);
                self.message(ty)?;
                self.path.pop();
            }
            self.path.pop();
            self.path.push(4);
            for (i, e) in message.enum_type.iter().enumerate() {
                self.path.push(i as i32);
                self.enumeration(e)?;
                self.path.pop();
            }
            self.path.pop();
            for oneof in &oneofs {
                self.oneof(&full, oneof);
            }

            self.depth -= 1;
            self.type_path.pop();
            self.line("}");
        }
        Ok(())
    }

    fn field(&mut self, message: &str, field: &Field) -> BuildResult<()> {
        let proto = field.proto;
        let ty = proto.r#type();
        let repeated = proto.label() == Label::Repeated;
        let optional = self.is_optional(proto);
        let boxed = self.context.must_box(message, None, proto);
        let rust_ty = self.rust_type(proto);

        self.docs();
        if is_deprecated(proto) {
            self.line("#[deprecated]");
        }
        let mut attr = format!("#[prost({}", self.type_tag(proto));
        if ty == Type::Bytes {
            attr.push_str(" = \"bytes\"");
        }
        match proto.label() {
            Label::Optional if optional => attr.push_str(", optional"),
            Label::Optional => {}
            Label::Required => attr.push_str(", required"),
            Label::Repeated => {
                attr.push_str(", repeated");
                // prost-build's rule: packed unless the options say otherwise; any options
                // without `packed`, or proto2, mean unpacked.
                let packed = proto.options.as_ref().map_or(self.proto3, |o| o.packed());
                if is_packable(ty) && !packed {
                    attr.push_str(", packed = \"false\"");
                }
            }
        }
        if boxed {
            attr.push_str(", boxed");
        }
        attr.push_str(&format!(", tag = \"{}", proto.number()));
        if let Some(default) = &proto.default_value {
            attr.push_str("\", default = \"");
            match ty {
                Type::Bytes => {
                    return Err(format!(
                        "{message}.{}: default values of bytes fields are not supported",
                        proto.name()
                    ));
                }
                Type::Enum => {
                    let enum_name = camel(proto.type_name().rsplit('.').next().unwrap_or_default());
                    attr.push_str(&strip_enum_prefix(&enum_name, &camel(default)));
                }
                _ => attr.push_str(&default.escape_default().to_string()),
            }
        }
        attr.push_str("\")]");
        self.line(&attr);

        let mut decl = format!("pub {}: ", snake(proto.name()));
        if repeated {
            decl.push_str("::prost::alloc::vec::Vec<");
        } else if optional {
            decl.push_str("::core::option::Option<");
        }
        if boxed {
            decl.push_str(&format!("::prost::alloc::boxed::Box<{rust_ty}>"));
        } else {
            decl.push_str(&rust_ty);
        }
        if repeated || optional {
            decl.push('>');
        }
        decl.push(',');
        self.line(&decl);
        Ok(())
    }

    fn map_field(
        &mut self,
        field: &Field,
        key: &FieldDescriptorProto,
        value: &FieldDescriptorProto,
    ) {
        let (key_ty, value_ty) = (self.rust_type(key), self.rust_type(value));
        self.docs();
        let value_tag = match value.r#type() {
            Type::Enum => format!("enumeration({})", self.resolve(value.type_name())),
            _ => self.type_tag(value),
        };
        self.line(&format!(
            "#[prost(map = \"{}, {value_tag}\", tag = \"{}\")]",
            self.type_tag(key),
            field.proto.number()
        ));
        self.line(&format!(
            "pub {}: ::std::collections::HashMap<{key_ty}, {value_ty}>,",
            snake(field.proto.name())
        ));
    }

    /// The enum of a oneof, in the message's module.
    fn oneof(&mut self, message: &str, oneof: &Oneof) {
        self.path.push(8);
        self.path.push(oneof.index);
        self.docs();
        self.path.pop();
        self.path.pop();

        let copy = oneof
            .fields
            .iter()
            .all(|f| self.context.field_is_copy(message, f.proto));
        let eq = oneof
            .fields
            .iter()
            .all(|f| self.context.field_is_eq(message, f.proto));
        self.line(&format!(
            "#[derive(Clone, {}PartialEq, {}::prost::Oneof)]",
            if copy { "Copy, " } else { "" },
            if eq { "Eq, Hash, " } else { "" },
        ));
        self.line(&format!("pub enum {} {{", oneof.type_name()));
        self.path.push(2);
        self.depth += 1;
        for field in &oneof.fields {
            let proto = field.proto;
            self.path.push(field.index);
            self.docs();
            self.path.pop();
            if is_deprecated(proto) {
                self.line("#[deprecated]");
            }
            self.line(&format!(
                "#[prost({}, tag = \"{}\")]",
                self.type_tag(proto),
                proto.number()
            ));
            let ty = self.rust_type(proto);
            let ty = if self
                .context
                .must_box(message, Some(oneof.proto.name()), proto)
            {
                format!("::prost::alloc::boxed::Box<{ty}>")
            } else {
                ty
            };
            self.line(&format!("{}({ty}),", camel(proto.name())));
        }
        self.depth -= 1;
        self.path.pop();
        self.line("}");
    }

    fn enumeration(&mut self, e: &EnumDescriptorProto) -> BuildResult<()> {
        let name = camel(e.name());
        let full = self.full_name(e.name());
        if extern_type(&full).is_some() {
            return Ok(());
        }

        // (proto index, proto name, number, Rust name, deprecated), aliases left out.
        let mut numbers = HashSet::new();
        let mut rust_names: HashMap<String, &str> = HashMap::new();
        let mut variants = Vec::new();
        for (i, value) in e.value.iter().enumerate() {
            if !numbers.insert(value.number()) {
                continue;
            }
            let rust = strip_enum_prefix(&name, &camel(value.name()));
            if let Some(other) = rust_names.insert(rust.clone(), value.name()) {
                return Err(format!(
                    "{full}: the values {other} and {} would both be named {rust} in Rust",
                    value.name()
                ));
            }
            let deprecated = value.options.as_ref().is_some_and(|o| o.deprecated());
            variants.push((i as i32, value.name(), value.number(), rust, deprecated));
        }

        self.docs();
        self.line("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Enumeration)]");
        self.line("#[repr(i32)]");
        self.line(&format!("pub enum {name} {{"));
        self.depth += 1;
        self.path.push(2);
        for (i, _, number, rust, deprecated) in &variants {
            self.path.push(*i);
            self.docs();
            if *deprecated {
                self.line("#[deprecated]");
            }
            self.line(&format!("{rust} = {number},"));
            self.path.pop();
        }
        self.path.pop();
        self.depth -= 1;
        self.line("}");

        self.line(&format!("impl {name} {{"));
        self.depth += 1;
        self.line("/// The value's name exactly as the proto file spells it: it stays the same as long as the");
        self.line("/// definition does, so it is safe to store, send or compare.");
        self.line("pub fn as_str_name(&self) -> &'static str {");
        self.depth += 1;
        self.line("match self {");
        self.depth += 1;
        for (_, proto, _, rust, deprecated) in &variants {
            if *deprecated {
                self.line("#[allow(deprecated)]");
            }
            self.line(&format!("Self::{rust} => \"{proto}\","));
        }
        self.depth -= 1;
        self.line("}");
        self.depth -= 1;
        self.line("}");
        self.line("/// The value the proto file names `value`, if it names one (the inverse of `as_str_name`).");
        self.line("pub fn from_str_name(value: &str) -> ::core::option::Option<Self> {");
        self.depth += 1;
        self.line("match value {");
        self.depth += 1;
        for (_, proto, _, rust, deprecated) in &variants {
            let allow = if *deprecated {
                "#[allow(deprecated)] "
            } else {
                ""
            };
            self.line(&format!("\"{proto}\" => Some({allow}Self::{rust}),"));
        }
        self.line("_ => None,");
        self.depth -= 1;
        self.line("}");
        self.depth -= 1;
        self.line("}");
        self.depth -= 1;
        self.line("}");
        Ok(())
    }
}

fn is_deprecated(field: &FieldDescriptorProto) -> bool {
    field.options.as_ref().is_some_and(|o| o.deprecated())
}

/// A value's name without its enum's name in front (`StatusCode::StatusCodeOk` → `Ok`), unless
/// what is left would not start a word.
fn strip_enum_prefix(prefix: &str, name: &str) -> String {
    let rest = match name.strip_prefix(prefix) {
        Some(rest) if rest.starts_with(char::is_uppercase) => rest,
        _ => name,
    };
    rust_ident(rest.to_owned())
}
