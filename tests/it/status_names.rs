//! Every `StatusCode` name in the compiled protos, aliases included, found by `from_name` in both
//! forms (`MIXED_STATUS` and `MixedStatus`) as the code with its number; the constants for the
//! forms prost does not generate; unknown numbers kept.

use std::collections::BTreeMap;

use clarifai_tonic::api::status::StatusCode;
use clarifai_tonic::error::ClarifaiCode;

use crate::support::descriptors::ours;

/// `INPUT_DOWNLOAD_FAILED` -> `InputDownloadFailed`, as prost names variants.
fn upper_camel(proto_name: &str) -> String {
    proto_name
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect()
}

#[test]
fn every_proto_name_resolves_in_both_forms() {
    let pool = ours();
    let e = pool
        .get_enum_by_name("clarifai.api.status.StatusCode")
        .expect("clarifai.api.status.StatusCode");
    // The proto's own list, aliases included, in declaration order (the first name is prost's).
    let values = &e.enum_descriptor_proto().value;
    assert!(values.len() > 400, "{} names", values.len());
    let mut first: BTreeMap<i32, String> = BTreeMap::new();
    let mut aliases = 0;
    for value in values {
        let (name, number) = (value.name(), value.number());
        let camel = upper_camel(name);
        for form in [name, camel.as_str()] {
            let code = StatusCode::from_name(form)
                .unwrap_or_else(|| panic!("StatusCode::from_name({form:?}) found nothing"));
            assert_eq!(code as i32, number, "StatusCode::from_name({form:?})");
        }
        match first.get(&number) {
            None => {
                // A primary name: prost's variant is the Rust form, and its proto name is this.
                let code = StatusCode::try_from(number).expect("a known number");
                assert_eq!(format!("{code:?}"), camel, "the variant of {name}");
                assert_eq!(code.as_str_name(), name);
                first.insert(number, name.to_owned());
            }
            Some(original) => {
                aliases += 1;
                assert_eq!(
                    StatusCode::from_name(name).map(|c| c.as_str_name()),
                    Some(original.as_str()),
                    "{name} is an alias of {original}"
                );
            }
        }
    }
    assert_eq!(aliases, clarifai_tonic::api::STATUS_CODE_ALIASES.len());
}

#[test]
fn both_forms_are_constants() {
    assert_eq!(StatusCode::MIXED_STATUS, StatusCode::MixedStatus);
    assert_eq!(StatusCode::SUCCESS as i32, 10000);
    assert_eq!(StatusCode::ZERO, StatusCode::Zero);
    // The alias of the issue: both forms, and not the code rustc used to suggest instead.
    assert_eq!(StatusCode::InputDownloadFailed as i32, 30002);
    assert_eq!(
        StatusCode::INPUT_DOWNLOAD_FAILED,
        StatusCode::InputDownloadFailed
    );
    assert_eq!(StatusCode::InputDownloadFailed, StatusCode::InputFailed);
    assert_ne!(
        StatusCode::InputDownloadFailed,
        StatusCode::InputVideoDownloadFailed
    );
    assert_eq!(StatusCode::InputDownloadSuccess, StatusCode::InputSuccess);
    assert_eq!(StatusCode::InputDownloadPending, StatusCode::InputPending);
    assert_eq!(
        StatusCode::InputDownloadInProgress,
        StatusCode::InputInProgress
    );
}

#[test]
fn names_not_in_the_protos_find_nothing() {
    for name in [
        "",
        " ",
        "mixed_status",
        "Mixed_Status",
        "MIXED_STATUS ",
        "MIXEDSTATUS",
        "Mixedstatus",
        "StatusCode::MixedStatus",
        "StatusCode.MIXED_STATUS",
        "10010",
        "NO_SUCH_CODE",
        "\u{0}",
    ] {
        assert_eq!(StatusCode::from_name(name), None, "{name:?}");
    }
}

#[test]
fn numbers_keep_unknown_codes() {
    assert_eq!(ClarifaiCode(10010).known(), Some(StatusCode::MIXED_STATUS));
    assert_eq!(ClarifaiCode(10010), StatusCode::MixedStatus);
    let unknown = ClarifaiCode(99_999);
    assert_eq!(unknown.known(), None);
    assert_eq!(unknown.0, 99_999);
    assert_eq!(unknown.to_string(), "unknown status code 99999");
    assert_eq!(StatusCode::try_from(99_999).unwrap_err().0, 99_999);
}
