//! Proto comments on their way to doc comments: the noise taken out of every comment of a
//! descriptor set ([`clean_comments`], with [`clean_comment`] and [`fence_code`]), an element's
//! comments as Rust comments ([`Comments`], with bare URLs in `<>` and `[x]` escaped unless it is
//! a link), and an rpc's documentation as one inert line ([`first_doc_line`]).

use prost_reflect::MethodDescriptor;
use prost_reflect::prost_types::FileDescriptorSet;
use prost_reflect::prost_types::source_code_info::Location;

/// Takes the noise out of every comment before it becomes docs (see [`clean_comment`]), and
/// fences code blocks as text (see [`fence_code`]).
pub fn clean_comments(set: &mut FileDescriptorSet) {
    let locations = set
        .file
        .iter_mut()
        .filter_map(|f| f.source_code_info.as_mut())
        .flat_map(|info| info.location.iter_mut());
    for location in locations {
        for comment in [
            &mut location.leading_comments,
            &mut location.trailing_comments,
        ] {
            if let Some(text) = comment.as_deref() {
                let clean = fence_code(&clean_comment(text));
                *comment = (!clean.is_empty()).then_some(clean);
            }
        }
        for text in &mut location.leading_detached_comments {
            *text = fence_code(&clean_comment(text));
        }
        location.leading_detached_comments.retain(|t| !t.is_empty());
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

/// The comments of one element, as lines: what goes into its docs.
#[derive(Debug, Default, Clone)]
pub struct Comments {
    /// Blocks separated from the element by a blank line (written as plain `//` comments).
    pub leading_detached: Vec<Vec<String>>,
    /// The comment right above the element.
    pub leading: Vec<String>,
    /// The comment after the element, on its line or the next.
    pub trailing: Vec<String>,
}

impl Comments {
    /// The comments a source location holds, split into lines.
    pub(crate) fn from_location(location: &Location) -> Self {
        let lines = |text: &String| text.lines().map(str::to_owned).collect::<Vec<_>>();
        Comments {
            leading_detached: location
                .leading_detached_comments
                .iter()
                .map(lines)
                .collect(),
            leading: location
                .leading_comments
                .as_ref()
                .map(lines)
                .unwrap_or_default(),
            trailing: location
                .trailing_comments
                .as_ref()
                .map(lines)
                .unwrap_or_default(),
        }
    }

    /// Appends the comments to `out` as Rust comments, `depth` levels (4 spaces each) in: detached
    /// blocks as `//` lines with a blank line after each, then the leading and the trailing
    /// comment as doc lines, with an empty doc line between the two.
    pub fn append_with_indent(&self, depth: u8, out: &mut String) {
        let indent = "    ".repeat(usize::from(depth));
        for block in &self.leading_detached {
            for line in block {
                out.push_str(&indent);
                out.push_str("//");
                out.push_str(&doc_text(line));
                out.push('\n');
            }
            out.push('\n');
        }
        let docs = |lines: &[String], out: &mut String| {
            for line in lines {
                out.push_str(&indent);
                out.push_str("///");
                out.push_str(&doc_text(line));
                out.push('\n');
            }
        };
        docs(&self.leading, out);
        if !self.leading.is_empty() && !self.trailing.is_empty() {
            out.push_str(&indent);
            out.push_str("///\n");
        }
        docs(&self.trailing, out);
    }
}

/// One comment line as doc text: bare URLs in `<>` (so rustdoc links them), `[x]` escaped when it
/// is not a link (so rustdoc does not look for an item `x`), and a space after `///` unless the
/// line already has exactly one.
fn doc_text(line: &str) -> String {
    let mut text = escape_brackets(&wrap_urls(line));
    let mut chars = text.chars();
    if chars
        .next()
        .is_some_and(|c| c != ' ' || chars.next() == Some(' '))
    {
        text.insert(0, ' ');
    }
    text
}

/// Wraps each `http://` or `https://` URL, up to a space or `)`, in `<>`.
fn wrap_urls(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while let Some(at) = rest.find("http") {
        let after = &rest[at + 4..];
        let scheme = if after.starts_with("s://") {
            8
        } else if after.starts_with("://") {
            7
        } else {
            out.push_str(&rest[..at + 4]);
            rest = after;
            continue;
        };
        let body = &rest[at + scheme..];
        let len = body
            .find(|c: char| c.is_whitespace() || c == ')')
            .unwrap_or(body.len());
        if len == 0 {
            out.push_str(&rest[..at + 4]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..at]);
        out.push('<');
        out.push_str(&rest[at..at + scheme + len]);
        out.push('>');
        rest = &body[len..];
    }
    out.push_str(rest);
    out
}

/// Escapes `[text]` as `\[text\]` where it is not a link, as prost-build's rule does: the `[` is
/// at the start of the line or after a character other than `]` or `\`; `text` is either empty,
/// or runs to the first `]` without ending in `\`, or takes that first `]` in too when a second
/// one follows it; and the closing `]` is at the end of the line or before a character other
/// than `(` or `[`, which then belongs to the match. Matches do not overlap, and the leftmost
/// one wins.
fn escape_brackets(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut pos = 0;
    while let Some((open, close, end)) = next_brackets(&chars, pos) {
        out.extend(&chars[pos..open]);
        out.push_str("\\[");
        out.extend(&chars[open + 1..close]);
        out.push_str("\\]");
        out.extend(&chars[close + 1..end]);
        pos = end;
    }
    out.extend(&chars[pos..]);
    out
}

/// The leftmost `[text]` of [`escape_brackets`] from `pos` on: where its `[` and `]` are, and
/// where the match ends.
fn next_brackets(chars: &[char], pos: usize) -> Option<(usize, usize, usize)> {
    (pos..chars.len()).find_map(|start| {
        // Where the `[` may be: right here at the line's start, or after this character.
        let at_start = (start == 0).then_some(0);
        let after = (chars[start] != ']' && chars[start] != '\\').then_some(start + 1);
        at_start
            .into_iter()
            .chain(after)
            .find_map(|open| bracket_match(chars, open).map(|(close, end)| (open, close, end)))
    })
}

/// If a `[text]` of [`escape_brackets`] opens at `open`: the index of its closing `]`, and where
/// the match ends. The candidates in the order the rule prefers them: the text takes in the first
/// `]` (when another `]` follows it), the text up to the first `]`, then the empty text.
fn bracket_match(chars: &[char], open: usize) -> Option<(usize, usize)> {
    if chars.get(open) != Some(&'[') {
        return None;
    }
    let first = open + 1 + chars[open + 1..].iter().position(|&c| c == ']')?;
    let mut closes = Vec::with_capacity(2);
    if chars.get(first + 1) == Some(&']') {
        closes.push(first + 1);
    }
    if first == open + 1 || chars[first - 1] != '\\' {
        closes.push(first);
    }
    closes
        .into_iter()
        .find_map(|close| match chars.get(close + 1) {
            None => Some((close, close + 1)),
            Some('(' | '[') => None,
            Some(_) => Some((close, close + 2)),
        })
}
