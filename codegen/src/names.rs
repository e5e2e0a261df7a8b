//! How the generated code names things: prost's Rust path of a message, and identifiers that
//! are keywords. ([`first_doc_line`], [`clean_comment`] and [`fence_code`] are
//! [`crate::comments`]'; they are re-exported here for the build scripts that name them so.)

use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_reflect::{DescriptorPool, MessageDescriptor};

pub use crate::comments::{clean_comment, fence_code, first_doc_line};

/// Clarifai's own message types, the ones that become this crate's structs: not the `google.*` ones
/// (prost-types, or no Rust at all) and not map entries (prost makes those `HashMap`s).
pub fn clarifai_messages(pool: &DescriptorPool) -> impl Iterator<Item = MessageDescriptor> {
    pool.all_messages()
        .filter(|m| !m.package_name().starts_with("google.") && !m.is_map_entry())
}

/// The Rust path of a message, as prost names it, from inside the crate. Both crates keep the
/// module tree at `crate::generated`: clarifai-tonic-types writes it, and clarifai-tonic's
/// re-exports it with the services added (see its `build/services.rs`).
pub fn rust_type(message: &MessageDescriptor) -> String {
    let package = message.package_name();
    let mut path = String::from("crate::generated");
    for part in package.split('.').filter(|p| !p.is_empty()) {
        path.push_str("::");
        path.push_str(&snake(part));
    }
    // Nested messages live in a module named after each enclosing message.
    let relative = message
        .full_name()
        .strip_prefix(package)
        .unwrap_or(message.full_name())
        .trim_start_matches('.');
    let parts: Vec<&str> = relative.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push_str("::");
        if i + 1 == parts.len() {
            path.push_str(&camel(part));
        } else {
            path.push_str(&snake(part));
        }
    }
    path
}

/// A name as a Rust identifier, as prost writes it: a keyword as a raw identifier, the keywords
/// that have no raw form with a `_` suffix, and a leading digit after a `_`.
pub fn rust_ident(name: String) -> String {
    const RAW: &[&str] = &[
        "as", "break", "const", "continue", "else", "enum", "false", "fn", "for", "if", "impl",
        "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
        "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "dyn", "abstract",
        "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
        "virtual", "yield", "async", "await", "try", "gen",
    ];
    if RAW.contains(&name.as_str()) {
        format!("r#{name}")
    } else if ["_", "super", "self", "Self", "extern", "crate"].contains(&name.as_str()) {
        format!("{name}_")
    } else if name.starts_with(|c: char| c.is_numeric()) {
        format!("_{name}")
    } else {
        name
    }
}

/// A field, module or method name: snake_case, as an identifier.
pub fn snake(name: &str) -> String {
    rust_ident(name.to_snake_case())
}

/// A type or variant name: UpperCamel, as an identifier.
pub fn camel(name: &str) -> String {
    rust_ident(name.to_upper_camel_case())
}
