//! `setters.rs`: for every singular message field of Clarifai's messages, setters that hide the
//! `Option<Box<T>>`: `set_x(v)` (in place), `with_x(v)` (builder style) and `clear_x()`. Each
//! takes `impl Into<T>`, so a value or anything that converts into it will do.
//!
//! The setters are generic or `#[inline]`: nothing is compiled for one a program never calls.

use std::fmt::Write as _;

use prost_reflect::{DescriptorPool, Kind};

use crate::messages::is_boxed;
use crate::names::{clarifai_messages, rust_type, snake};

/// One message's setters; `{setters}` is one `SETTER` per field.
const IMPL: &str = r#"
#[allow(deprecated)]
impl {ty} {
{setters}}
"#;

/// The setters of one field; `{value}` is `Box::new(value.into())` for a boxed field,
/// `value.into()` for an inline one.
const SETTER: &str = r#"
    /// Sets `{field}` to `value`.{deprecated}
    #[inline]
    pub fn set_{name}(&mut self, value: impl Into<{target}>) -> &mut Self { self.{ident} = Some({value}); self }
    /// This message with `{field}` set to `value`.{deprecated}
    #[inline]
    pub fn with_{name}(mut self, value: impl Into<{target}>) -> Self { self.{ident} = Some({value}); self }
    /// Unsets `{field}`.{deprecated}
    #[inline]
    pub fn clear_{name}(&mut self) -> &mut Self { self.{ident} = None; self }
"#;

/// `setters.rs`: a `set_`/`with_`/`clear_` trio for each singular message field that is not in
/// a oneof (a oneof's fields are an enum's variants, set as a whole).
pub fn setters(pool: &DescriptorPool) -> String {
    let mut out = String::new();
    for message in clarifai_messages(pool) {
        let mut setters = String::new();
        for field in message.fields() {
            let Kind::Message(target) = field.kind() else {
                continue;
            };
            if field.is_list() || field.is_map() {
                continue;
            }
            if field.containing_oneof().is_some_and(|o| !o.is_synthetic()) {
                continue;
            }
            let name = field.name();
            let target_path = if target.package_name() == "google.protobuf" {
                // prost turns the wrapper types into `Option` of the plain value.
                match target.name() {
                    "BoolValue" => "bool".to_owned(),
                    "Int32Value" => "i32".to_owned(),
                    "Int64Value" => "i64".to_owned(),
                    "UInt32Value" => "u32".to_owned(),
                    "UInt64Value" => "u64".to_owned(),
                    "FloatValue" => "f32".to_owned(),
                    "DoubleValue" => "f64".to_owned(),
                    "StringValue" => "::prost::alloc::string::String".to_owned(),
                    "BytesValue" | "Empty" => continue,
                    other => format!("::prost_types::{other}"),
                }
            } else {
                rust_type(&target)
            };
            let boxed = is_boxed(&field);
            let deprecated = field
                .field_descriptor_proto()
                .options
                .as_ref()
                .and_then(|o| o.deprecated)
                .unwrap_or(false);
            let _ = write!(
                setters,
                "{}",
                crate::template::fill(
                    SETTER,
                    &[
                        ("field", name),
                        (
                            "deprecated",
                            if deprecated {
                                "\n    #[deprecated = \"the field is deprecated in the protos\"]"
                            } else {
                                ""
                            },
                        ),
                        ("name", name),
                        ("ident", &snake(name)),
                        ("target", &target_path),
                        (
                            "value",
                            if boxed {
                                "Box::new(value.into())"
                            } else {
                                "value.into()"
                            },
                        ),
                    ],
                )
            );
        }
        if !setters.is_empty() {
            out.push_str(&crate::template::fill(
                IMPL,
                &[("ty", &rust_type(&message)), ("setters", &setters)],
            ));
        }
    }
    out
}
