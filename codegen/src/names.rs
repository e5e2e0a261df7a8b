//! How the generated code names things: prost's Rust path of a message, identifiers that are
//! keywords, an rpc's documentation as one inert line, and proto comments without their noise.

use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor};

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
    let doc = clean_comment(&doc);
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

/// A proto comment without the noise that is not documentation: banner lines (`//////////`,
/// `// -----`, `// ######`), the decoration around a heading (`##### Supported fields #####`
/// becomes `Supported fields:`), `@exclude` notes (protoc-gen-doc's marker for internal text),
/// the stray backtick that opens each line of some JSON examples, and blank lines at either end
/// or twice in a row. Everything else is kept as written.
pub fn clean_comment(text: &str) -> String {
    const DECORATION: &[char] = &['/', '=', '-', '*', '#', '~', '_', '+'];
    let mut out = String::with_capacity(text.len());
    let mut blank_run = true; // at the start, blank lines are dropped
    let mut in_example = false;
    for line in text.lines() {
        let line = match line.find("@exclude") {
            Some(at) => line[..at].trim_end(),
            None => line,
        };
        let trimmed = line.trim();
        let indent = &line[..line.len() - line.trim_start().len()];
        let quoted = trimmed
            .strip_prefix('`')
            .filter(|rest| !rest.contains('`') && !rest.trim().is_empty());
        if quoted.is_some() != in_example {
            // A blank line around a quoted example, so that markdown keeps its lines, as an
            // indented block (prost-build makes that a `text` block), instead of joining them
            // into the paragraph before.
            in_example = quoted.is_some();
            if !blank_run {
                out.push('\n');
                blank_run = true;
            }
        }
        let kept = if trimmed.len() >= 3 && trimmed.chars().all(|c| DECORATION.contains(&c)) {
            // A banner: nothing to read.
            continue;
        } else if let Some(heading) = decorated_heading(trimmed, DECORATION) {
            let colon = if heading.ends_with([':', '.']) {
                ""
            } else {
                ":"
            };
            format!("{indent}{heading}{colon}")
        } else if let Some(rest) = quoted {
            // A line of a JSON example quoted with one backtick: the backtick is noise.
            format!("{indent}{rest}")
        } else {
            line.to_owned()
        };
        let blank = kept.trim().is_empty();
        if blank && blank_run {
            continue;
        }
        blank_run = blank;
        out.push_str(if blank { "" } else { &kept });
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.trim().is_empty() {
        out.clear();
    }
    out
}

/// The text between two runs of at least three of the same decoration character:
/// `##### Supported fields #####` is `Supported fields`.
fn decorated_heading<'a>(trimmed: &'a str, decoration: &[char]) -> Option<&'a str> {
    let c = trimmed.chars().next().filter(|c| decoration.contains(c))?;
    let inner = trimmed.trim_start_matches(c);
    let before = trimmed.len() - inner.len();
    let inner_trimmed = inner.trim_end_matches(c);
    let after = inner.len() - inner_trimmed.len();
    let heading = inner_trimmed.trim();
    (before >= 3 && after >= 3 && !heading.is_empty()).then_some(heading)
}

/// A comment whose code blocks rustdoc will not run: an indented code block is fenced as
/// ```` ```text ````, and a fenced block of any language is retagged `text`. Otherwise rustdoc
/// would take an indented JSON or proto example for a Rust doctest. Indentation is judged as
/// rustdoc will see it: prost-build adds a space to every line that does not start with exactly
/// one, and rustdoc removes the indentation the lines share. Markdown's rules, as far as the
/// protos need them: an indented block needs a blank line before it (it cannot interrupt a
/// paragraph), and inside a list item it is indented from the item's text, not the margin.
pub fn fence_code(text: &str) -> String {
    // The indentation prost-build emits for a line.
    let emitted = |line: &str| match line.len() - line.trim_start_matches(' ').len() {
        0 | 1 => 1,
        raw => raw + 1,
    };
    let base = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(emitted)
        .min()
        .unwrap_or(1);
    // A fence line at `indent` (as rustdoc sees it), written so that prost-build emits it there.
    let fence_line = |indent: usize, marker: &str| {
        let raw = (base + indent).saturating_sub(1).max(1);
        format!("{}{marker}\n", " ".repeat(raw))
    };
    let mut out = String::with_capacity(text.len() + 64);
    // The marker that closes an open fenced block (```` ``` ```` or `~~~`, at least as long).
    let mut fenced: Option<String> = None;
    // Inside an indented block we fenced: the indentation its lines need, and where its fence is.
    let mut indented: Option<(usize, usize)> = None;
    let mut blanks = 0;
    let mut after_blank = true;
    // The indentation of the text of the list item the lines are in, if any.
    let mut list: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let blank = trimmed.is_empty();
        let indent = if blank { 0 } else { emitted(line) - base };
        if let Some(close) = &fenced {
            out.push_str(line);
            out.push('\n');
            if trimmed.trim_end().starts_with(close.as_str())
                && trimmed.trim_end().chars().all(|c| close.starts_with(c))
            {
                fenced = None;
            }
            continue;
        }
        if let Some((need, at)) = indented {
            if blank {
                blanks += 1;
                continue;
            }
            if indent < need {
                out.push_str(&fence_line(at, "```"));
                indented = None;
                after_blank = blanks > 0;
            }
            out.push_str(&"\n".repeat(blanks));
            blanks = 0;
            if indented.is_some() {
                out.push_str(line);
                out.push('\n');
                continue;
            }
        }
        if blank {
            out.push('\n');
            after_blank = true;
            continue;
        }
        let container = list.unwrap_or(0);
        if indent >= container + 4 && after_blank {
            out.push_str(&fence_line(container, "```text"));
            out.push_str(line);
            out.push('\n');
            indented = Some((container + 4, container));
            continue;
        }
        if let Some(marker) = ["```", "~~~"].iter().find(|m| trimmed.starts_with(**m)) {
            let c = marker.chars().next().unwrap_or('`');
            let run: String = trimmed.chars().take_while(|&x| x == c).collect();
            out.push_str(&fence_line(indent, &format!("{run}text")));
            fenced = Some(run);
            after_blank = false;
            continue;
        }
        // A marker indented by four or more from the text it follows is text, not an item.
        if let Some(width) = list_marker(trimmed).filter(|_| indent < container + 4) {
            list = Some(indent + width);
        } else if after_blank && indent < container {
            list = None;
        }
        out.push_str(line);
        out.push('\n');
        after_blank = false;
    }
    if let Some((_, at)) = indented {
        out.push_str(&fence_line(at, "```"));
    }
    if let Some(close) = fenced {
        out.push_str(&close);
        out.push('\n');
    }
    out.truncate(out.trim_end_matches('\n').len());
    if text.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The width of a list item's marker and the spaces after it (`- `, `* `, `+ `, `1. `, `1) `),
/// which is where the item's text starts; `None` for a line that does not start an item.
fn list_marker(trimmed: &str) -> Option<usize> {
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    let marker = match trimmed.as_bytes().first()? {
        b'-' | b'*' | b'+' => 1,
        _ if (1..=9).contains(&digits)
            && matches!(trimmed.as_bytes().get(digits), Some(b'.' | b')')) =>
        {
            digits + 1
        }
        _ => return None,
    };
    let rest = &trimmed[marker..];
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    match spaces {
        0 if !rest.is_empty() => None,
        1..=4 => Some(marker + spaces),
        _ => Some(marker + 1),
    }
}
