//! How the generated code names things: prost's Rust path of a message, identifiers that are
//! keywords, and an rpc's documentation as one inert line.

use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor};

/// Clarifai's own message types, the ones that become this crate's structs: not the `google.*` ones
/// (prost-types, or no Rust at all) and not map entries (prost makes those `HashMap`s).
pub fn clarifai_messages(pool: &DescriptorPool) -> impl Iterator<Item = MessageDescriptor> {
    pool.all_messages()
        .filter(|m| !m.package_name().starts_with("google.") && !m.is_map_entry())
}

/// The Rust path of a message, as prost names it, from inside the crate.
pub fn rust_type(message: &MessageDescriptor) -> String {
    let package = message.package_name();
    let mut path = String::from("crate::generated");
    for part in package.split('.').filter(|p| !p.is_empty()) {
        path.push_str("::");
        path.push_str(&escape_ident(&part.to_snake_case()));
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
            path.push_str(&part.to_upper_camel_case());
        } else {
            path.push_str(&escape_ident(&part.to_snake_case()));
        }
    }
    path
}

/// A proto name as a Rust identifier: a keyword becomes a raw identifier, as prost writes it.
pub fn escape_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
        "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
        "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// The first line of an rpc's proto comment as `": line"` (empty without one), to follow its name
/// in a generated doc comment.
pub fn first_doc_line(m: &MethodDescriptor) -> String {
    let doc = m
        .parent_file()
        .file_descriptor_proto()
        .source_code_info
        .as_ref()
        .and_then(|info| {
            info.location
                .iter()
                .find(|l| l.path == m.path())
                .and_then(|l| l.leading_comments.clone())
        })
        .unwrap_or_default();
    let line = doc
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = line.trim_end_matches('.');
    if line.is_empty() {
        String::new()
    } else {
        // Keep it inert inside a doc comment.
        let clean: String = line
            .chars()
            .map(|c| {
                if matches!(c, '`' | '[' | ']' | '<' | '>') {
                    '\''
                } else {
                    c
                }
            })
            .collect();
        format!(": {clean}")
    }
}
