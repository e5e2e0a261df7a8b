//! The one substitution helper the writers share, so that a template reads like the Rust it
//! produces: no `{{ }}` escapes, no `\n\` continuations.

/// Fills a template: each `{name}` whose name is a key of `vars` becomes its value, once, and
/// values are not scanned again. Every other brace is Rust and stays as written. A template starts
/// on the line after its `r#"`, so a newline right at the start is dropped.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut rest = template.strip_prefix('\n').unwrap_or(template);
    let mut out = String::with_capacity(rest.len() + 128);
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let var = after.find('}').and_then(|close| {
            let key = &after[..close];
            vars.iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| (close, *value))
        });
        match var {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
