//! `status_aliases.rs`: the `StatusCode` names prost drops (the proto form of each variant, and
//! both forms of each `allow_alias` name), with the table `StatusCode::from_name` searches.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use heck::{ToShoutySnakeCase, ToUpperCamelCase};
use prost_reflect::DescriptorPool;

use crate::BuildResult;
use crate::template::fill;

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
             codegen/src/status_aliases.rs must choose"
        )),
    }
}
