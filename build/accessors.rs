//! `scoped.rs` and `status_aliases.rs`: the accessors the client uses on every request and
//! response type (`user_app_id`, `status`, paging), and the `StatusCode` names prost drops.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use heck::{ToShoutySnakeCase, ToUpperCamelCase};
use prost_reflect::{DescriptorPool, Kind, MessageDescriptor, MethodDescriptor};

use crate::BuildResult;
use crate::names::rust_type;
use crate::rpc_table::Streaming;
use crate::template::fill;

/// A request type's `user_app_id`; `{body}` is `None` for one without the field.
const USER_APP_SCOPED: &str = r#"
impl UserAppScoped for {ty} {
    #[inline]
    fn user_app_id_mut(&mut self) -> Option<&mut Option<crate::api::UserAppIdSet>> { {body} }
}
"#;

/// A response type's `status`; `{body}` and `{body_mut}` are `None`, and `{number}` 0, for one
/// without the field.
const CLARIFAI_RESPONSE: &str = r#"
impl ClarifaiResponse for {ty} {
    const STATUS_FIELD: u32 = {number};
    #[inline]
    fn status(&self) -> Option<&crate::api::status::Status> { {body} }
    #[inline]
    fn status_mut(&mut self) -> Option<&mut Option<crate::api::status::Status>> { {body_mut} }
}
"#;

/// A paged request type's `page` and `per_page`.
const PAGED: &str = r#"
impl Paged for {ty} {
    fn page(&self) -> u32 { self.page }
    fn set_page(&mut self, page: u32) { self.page = page; }
    fn per_page(&self) -> u32 { self.per_page }
    fn set_per_page(&mut self, per_page: u32) { self.per_page = per_page; }
}
"#;

/// The whole of `status_aliases.rs`: `{consts}` is the associated constants, `{rows}` one line
/// per alias, `{names}` one line per name in either form, sorted.
const STATUS_ALIASES: &str = r#"
/// Every name of every code in both forms: the proto's (`MIXED_STATUS`, as the Python and Go
/// clients write it) and Rust's (`MixedStatus`), aliases included.
impl StatusCode {
{consts}}

/// Every alias name with its number, as written in the proto.
pub const STATUS_CODE_ALIASES: &[(&str, i32)] = &[
{rows}];

/// Every name of every code, in both forms, sorted for a binary search. Each is
/// written as the path it names, so that a missing constant fails the build.
#[allow(deprecated)]
pub(crate) const STATUS_CODE_NAMES: &[(&str, StatusCode)] = &[
{names}];
"#;

/// A primary name in the proto's form, for the code prost named `{variant}`.
const STATUS_PROTO_NAME: &str = r#"
    /// `{name}` = {n}: [`StatusCode::{variant}`] under its proto name.{deprecated}
    pub const {name}: StatusCode = StatusCode::{variant};
"#;

/// An alias (a name sharing an earlier name's number), in the form `{form}`.
const STATUS_ALIAS: &str = r#"
    /// `{alias}` = {n}, an alias of `{original}`: [`StatusCode::{variant}`]. prost keeps only
    /// the first name of a number.{deprecated}
    #[allow(non_upper_case_globals)]
    pub const {name}: StatusCode = StatusCode::{variant};
"#;

/// `scoped.rs`: `UserAppScoped` for every rpc request type and `ClarifaiResponse` for every
/// response type, found by field name and type, whatever the field number.
pub fn scoped_impls(methods: &[MethodDescriptor]) -> BuildResult<String> {
    let mut requests = BTreeMap::new();
    let mut responses = BTreeMap::new();
    for m in methods {
        requests.insert(m.input().full_name().to_owned(), m.input());
        responses.insert(m.output().full_name().to_owned(), m.output());
    }
    let mut out = String::new();
    for message in requests.values() {
        let body = if has_field(message, "user_app_id", "clarifai.api.UserAppIDSet").is_some() {
            "Some(&mut self.user_app_id)"
        } else {
            "None"
        };
        out.push_str(&fill(
            USER_APP_SCOPED,
            &[("ty", &rust_type(message)), ("body", body)],
        ));
    }
    for message in responses.values() {
        let (body, body_mut, number) =
            match has_field(message, "status", "clarifai.api.status.Status") {
                Some(number) => ("self.status.as_ref()", "Some(&mut self.status)", number),
                None => ("None", "None", 0),
            };
        out.push_str(&fill(
            CLARIFAI_RESPONSE,
            &[
                ("ty", &rust_type(message)),
                ("number", &number.to_string()),
                ("body", body),
                ("body_mut", body_mut),
            ],
        ));
    }
    for (message, _) in paged_rpcs(methods).into_values() {
        out.push_str(&fill(PAGED, &[("ty", &rust_type(&message))]));
    }
    Ok(out)
}

/// The number of `message`'s singular field `name` when it holds the message type `type_name`;
/// matching by name and type keeps the accessors right whatever number the protos give it.
fn has_field(message: &MessageDescriptor, name: &str, type_name: &str) -> Option<u32> {
    message
        .get_field_by_name(name)
        .filter(|f| {
            !f.is_list() && matches!(f.kind(), Kind::Message(t) if t.full_name() == type_name)
        })
        .map(|f| f.number())
}

/// List rpcs that page: the request has `page` and `per_page` (uint32), and the response has
/// exactly one repeated message field besides `status`, which holds the items. Keyed by rpc name:
/// (request message, (items field, item message)).
pub fn paged_rpcs(
    methods: &[MethodDescriptor],
) -> BTreeMap<String, (MessageDescriptor, (String, MessageDescriptor))> {
    let mut out = BTreeMap::new();
    for m in methods
        .iter()
        .filter(|m| Streaming::of(m) == Streaming::Unary)
    {
        let input = m.input();
        let is_u32 = |name: &str| {
            input
                .get_field_by_name(name)
                .is_some_and(|f| !f.is_list() && matches!(f.kind(), Kind::Uint32))
        };
        if !is_u32("page") || !is_u32("per_page") {
            continue;
        }
        let lists: Vec<_> = m
            .output()
            .fields()
            .filter(|f| f.is_list() && !f.is_map())
            .filter_map(|f| match f.kind() {
                Kind::Message(item) => Some((f.name().to_owned(), item)),
                _ => None,
            })
            .collect();
        if let [(field, item)] = lists.as_slice() {
            out.insert(
                m.name().to_owned(),
                (input.clone(), (field.clone(), item.clone())),
            );
        }
    }
    out
}

/// `status_aliases.rs`: for every `StatusCode` name, the form prost did not generate, as an
/// associated constant: the proto name of each variant (`MIXED_STATUS`), and both forms of each
/// alias (`allow_alias`), which prost drops (`INPUT_DOWNLOAD_FAILED`, `InputDownloadFailed`).
/// Also the table of every name in either form, for `StatusCode::from_name`.
///
/// A name that two different codes would take is a build error naming both.
pub fn status_aliases(pool: &DescriptorPool) -> BuildResult<String> {
    let e = pool
        .get_enum_by_name("clarifai.api.status.StatusCode")
        .ok_or("the protos no longer define clarifai.api.status.StatusCode")?;
    // Declaration order decides which name prost keeps, so walk the proto's own list.
    let declared = &e.enum_descriptor_proto().value;
    let mut first: BTreeMap<i32, (&str, String)> = BTreeMap::new();
    // Every Rust name, with the variant it stands for: prost's variants, then our constants.
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut consts = String::new();
    let mut rows = String::new();
    for value in declared {
        let number = value.number();
        let deprecated = value.options.as_ref().and_then(|o| o.deprecated) == Some(true);
        // The proto name of a deprecated variant is deprecated too (and names a deprecated
        // variant). An alias is only said to be: the code itself, under its first name, is not
        // deprecated, and the existing `INPUT_DOWNLOAD_*` constants never warned.
        let variant_deprecated = if deprecated {
            "\n    #[deprecated]\n    #[allow(deprecated)]"
        } else {
            ""
        };
        let shouty = value.name().to_shouty_snake_case();
        let camel = value.name().to_upper_camel_case();
        match first.get(&number) {
            None => {
                claim(&mut names, &camel, &camel)?;
                first.insert(number, (value.name(), camel.clone()));
                if claim(&mut names, &shouty, &camel)? {
                    consts.push_str(&fill(
                        STATUS_PROTO_NAME,
                        &[
                            ("name", &shouty),
                            ("n", &number.to_string()),
                            ("variant", &camel),
                            ("deprecated", variant_deprecated),
                        ],
                    ));
                }
            }
            Some((original, variant)) => {
                let alias_deprecated = if deprecated {
                    format!(" Deprecated in the proto: prefer `{variant}`.")
                } else {
                    String::new()
                };
                for name in [&shouty, &camel] {
                    if claim(&mut names, name, variant)? {
                        consts.push_str(&fill(
                            STATUS_ALIAS,
                            &[
                                ("alias", value.name()),
                                ("name", name),
                                ("n", &number.to_string()),
                                ("original", original),
                                ("variant", variant),
                                ("deprecated", &alias_deprecated),
                            ],
                        ));
                    }
                }
                let _ = writeln!(rows, "    ({:?}, {number}),", value.name());
            }
        }
    }
    let mut table = String::new();
    for name in names.keys() {
        let _ = writeln!(table, "    ({name:?}, StatusCode::{name}),");
    }
    Ok(fill(
        STATUS_ALIASES,
        &[("consts", &consts), ("rows", &rows), ("names", &table)],
    ))
}

/// Records that the Rust name `name` stands for the variant `variant`: `true` when it is new,
/// `false` when it already does, an error when it already stands for another one.
fn claim(names: &mut BTreeMap<String, String>, name: &str, variant: &str) -> BuildResult<bool> {
    match names.get(name) {
        None => {
            names.insert(name.to_owned(), variant.to_owned());
            Ok(true)
        }
        Some(taken) if taken == variant => Ok(false),
        Some(taken) => Err(format!(
            "StatusCode names clash: `{name}` would be both `{taken}` and `{variant}`; \
             build/accessors.rs (status_aliases) must choose"
        )),
    }
}
