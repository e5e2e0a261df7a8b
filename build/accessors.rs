//! `scoped.rs`: the accessors the client uses on every request and response type
//! (`user_app_id`, `status`, paging). (The `StatusCode` names prost drops are the types crate's:
//! `codegen/src/status_aliases.rs`.)

use std::collections::BTreeMap;

use prost_reflect::{Kind, MessageDescriptor, MethodDescriptor};

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
