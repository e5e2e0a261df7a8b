//! `ClarifaiUrl`: a table of URLs and short forms that parse, each printed back and parsed again,
//! a table of text that does not, each with the reason it gives, and odd input that must not panic.

use clarifai_tonic::url::{ClarifaiUrl, ResourceKind};

const GIR: &str = "general-image-recognition";
const VERSION: &str = "aa7f35c01e0642fda5cf400f543e7c40";

fn model(user: &str, app: &str, id: &str, version: Option<&str>) -> ClarifaiUrl {
    ClarifaiUrl::Model {
        user_id: user.into(),
        app_id: app.into(),
        model_id: id.into(),
        version_id: version.map(Into::into),
    }
}

/// Text that parses, with what it parses to.
fn good() -> Vec<(&'static str, ClarifaiUrl)> {
    let main_gir = model("clarifai", "main", GIR, None);
    let main_gir_version = model("clarifai", "main", GIR, Some(VERSION));
    let user = ClarifaiUrl::User {
        user_id: "clarifai".into(),
    };
    let app = ClarifaiUrl::App {
        user_id: "clarifai".into(),
        app_id: "main".into(),
    };
    vec![
        (
            "https://clarifai.com/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "https://clarifai.com/clarifai/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40",
            main_gir_version.clone(),
        ),
        (
            "http://clarifai.com/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "HTTPS://Clarifai.COM/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "https://www.clarifai.com/clarifai/main/models/general-image-recognition/",
            main_gir.clone(),
        ),
        (
            "clarifai.com/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "www.clarifai.com/clarifai/main/models/general-image-recognition?tab=overview#top",
            main_gir.clone(),
        ),
        (
            "https://clarifai.com:443/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "  https://clarifai.com/clarifai/main/models/general-image-recognition\n",
            main_gir.clone(),
        ),
        (
            "clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "/clarifai/main/models/general-image-recognition",
            main_gir.clone(),
        ),
        (
            "clarifai/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40",
            main_gir_version.clone(),
        ),
        (
            "https://api.clarifai.com/v2/users/clarifai/apps/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40",
            main_gir_version,
        ),
        ("https://clarifai.com/clarifai", user.clone()),
        ("https://clarifai.com/clarifai/", user.clone()),
        ("https://api.clarifai.com/v2/users/clarifai", user),
        ("https://clarifai.com/clarifai/main", app.clone()),
        ("clarifai/main", app.clone()),
        ("clarifai/main/", app),
        (
            "https://clarifai.com/me/my-app/workflows/General_2",
            ClarifaiUrl::Workflow {
                user_id: "me".into(),
                app_id: "my-app".into(),
                workflow_id: "General_2".into(),
                version_id: None,
            },
        ),
        (
            "me/my-app/workflows/wf/versions/v1",
            ClarifaiUrl::Workflow {
                user_id: "me".into(),
                app_id: "my-app".into(),
                workflow_id: "wf".into(),
                version_id: Some("v1".into()),
            },
        ),
        (
            "https://clarifai.com/me/my-app/datasets/cars",
            ClarifaiUrl::Dataset {
                user_id: "me".into(),
                app_id: "my-app".into(),
                dataset_id: "cars".into(),
                version_id: None,
            },
        ),
        (
            "https://clarifai.com/me/my-app/datasets/cars/versions/2024-01",
            ClarifaiUrl::Dataset {
                user_id: "me".into(),
                app_id: "my-app".into(),
                dataset_id: "cars".into(),
                version_id: Some("2024-01".into()),
            },
        ),
        (
            "https://clarifai.com/me/my-app/inputs/4f5e0b8c1d2a",
            ClarifaiUrl::Input {
                user_id: "me".into(),
                app_id: "my-app".into(),
                input_id: "4f5e0b8c1d2a".into(),
            },
        ),
        (
            "me/my-app/inputs/photo.jpg",
            ClarifaiUrl::Input {
                user_id: "me".into(),
                app_id: "my-app".into(),
                input_id: "photo.jpg".into(),
            },
        ),
        (
            "https://web-dev.clarifai.com/Me/App/models/Llama-3_2-3B-Instruct",
            model("Me", "App", "Llama-3_2-3B-Instruct", None),
        ),
    ]
}

/// Text that does not parse, with a piece of the reason it gives.
const BAD: &[(&str, &str)] = &[
    ("", "empty"),
    ("   \n", "empty"),
    ("https://clarifai.com", "no user id"),
    ("https://clarifai.com/", "no user id"),
    ("https://", "no host"),
    ("https:///clarifai/main", "no host"),
    ("general-image-recognition", "single id"),
    (
        "https://example.com/clarifai/main/models/x",
        "`example.com` is not clarifai.com",
    ),
    (
        "https://clarifai.com.evil.io/clarifai/main/models/x",
        "is not clarifai.com",
    ),
    (
        "https://notclarifai.com/clarifai/main",
        "is not clarifai.com",
    ),
    ("github.com/clarifai/main/models/x", "is not clarifai.com"),
    ("ftp://clarifai.com/clarifai/main", "scheme `ftp`"),
    (
        "https://user:pw@clarifai.com/clarifai/main",
        "user name or password",
    ),
    (
        "clarifai/main/general-image-recognition",
        "does not say what",
    ),
    (
        "https://clarifai.com/clarifai/main/general-image-recognition",
        "does not say what",
    ),
    (
        "https://clarifai.com/clarifai/main/models",
        "list of models",
    ),
    ("clarifai/main/inputs/", "list of inputs"),
    (
        "https://clarifai.com/clarifai/main/modles/x",
        "`modles` is not one of",
    ),
    (
        "https://clarifai.com/clarifai/main/model/x",
        "`model` is not one of",
    ),
    (
        "https://clarifai.com/clarifai/main/concepts/cat",
        "`concepts` is not one of",
    ),
    ("clarifai/main/models/x/versions", "not followed by an id"),
    ("clarifai/main/models/x/versions/", "not followed by an id"),
    ("clarifai/main/models/x/train", "`train` after the model id"),
    (
        "clarifai/main/models/x/versions/v/extra",
        "a model version URL has 6",
    ),
    (
        "clarifai/main/inputs/x/versions/v",
        "inputs have no versions",
    ),
    ("clarifai//main", "empty (`//`)"),
    ("https://clarifai.com//main/models/x", "empty (`//`)"),
    ("clarifai/main/models/general image recognition", "' '"),
    ("clarifai/main\t/models/x", "'\\t'"),
    (
        "https://clarifai.com/{user_id}/{app_id}/models/{model_id}",
        "'{'",
    ),
    (
        "https://api.clarifai.com/v2/users/u/models/x",
        "an API path",
    ),
];

#[test]
fn good_urls_parse_print_and_parse_back() {
    let table = good();
    assert!(table.len() >= 15);
    for (text, expected) in table {
        let parsed: ClarifaiUrl = text
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"));
        assert_eq!(parsed, expected, "{text:?}");
        let printed = parsed.to_string();
        assert!(printed.starts_with("https://clarifai.com/"), "{printed}");
        assert_eq!(
            printed.parse::<ClarifaiUrl>().as_ref(),
            Ok(&expected),
            "{text:?} printed as {printed}"
        );
    }
}

#[test]
fn bad_urls_are_refused_with_a_reason() {
    assert!(BAD.len() >= 15);
    for (text, reason) in BAD {
        let err = match text.parse::<ClarifaiUrl>() {
            Ok(url) => panic!("{text:?} should not parse, but gave {url:?}"),
            Err(e) => e,
        };
        assert_eq!(err.input(), *text);
        assert!(
            err.reason().contains(reason),
            "{text:?}: the reason {:?} does not say {reason:?}",
            err.reason()
        );
        let shown = err.to_string();
        assert!(shown.starts_with("not a Clarifai URL: "), "{shown}");
        assert!(shown.ends_with(err.reason()), "{shown}");
    }
}

#[test]
fn canonical_urls_and_accessors() {
    let url: ClarifaiUrl =
        "clarifai/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40"
            .parse()
            .unwrap();
    assert_eq!(
        url.to_string(),
        "https://clarifai.com/clarifai/main/models/general-image-recognition/versions/aa7f35c01e0642fda5cf400f543e7c40"
    );
    assert_eq!(url.kind(), Some(ResourceKind::Model));
    assert_eq!(url.user_id(), "clarifai");
    assert_eq!(url.app_id(), Some("main"));
    assert_eq!(url.resource_id(), Some(GIR));
    assert_eq!(url.version_id(), Some(VERSION));
    let ids = url.user_app_id();
    assert_eq!(
        (ids.user_id.as_str(), ids.app_id.as_str()),
        ("clarifai", "main")
    );

    let user: ClarifaiUrl = "https://clarifai.com/clarifai".parse().unwrap();
    assert_eq!(user.to_string(), "https://clarifai.com/clarifai");
    assert_eq!(
        (user.kind(), user.app_id(), user.resource_id()),
        (None, None, None)
    );
    assert_eq!(user.user_app_id().app_id, "");

    let app = ClarifaiUrl::try_from("clarifai/main").unwrap();
    assert_eq!(app.to_string(), "https://clarifai.com/clarifai/main");
    assert_eq!(app.version_id(), None);

    let input = ClarifaiUrl::try_from(String::from("me/app/inputs/i1")).unwrap();
    assert_eq!(input.to_string(), "https://clarifai.com/me/app/inputs/i1");
    assert_eq!(ResourceKind::Input.to_string(), "input");
    assert_eq!(ResourceKind::Dataset.path_segment(), "datasets");
}

#[test]
fn parse_as_takes_the_kindless_short_form_and_checks_the_kind() {
    let kinds = [
        ResourceKind::Model,
        ResourceKind::Workflow,
        ResourceKind::Dataset,
        ResourceKind::Input,
    ];
    for kind in kinds {
        let url = ClarifaiUrl::parse_as("me/app/thing", kind).unwrap();
        assert_eq!(url.kind(), Some(kind));
        assert_eq!(url.resource_id(), Some("thing"));
        assert_eq!(
            url.to_string(),
            format!("https://clarifai.com/me/app/{}/thing", kind.path_segment())
        );
        // The full forms of the same kind are accepted as they are.
        assert_eq!(ClarifaiUrl::parse_as(&url.to_string(), kind), Ok(url));
    }
    assert_eq!(
        ClarifaiUrl::parse_as(
            "clarifai/main/general-image-recognition",
            ResourceKind::Model
        ),
        Ok(model("clarifai", "main", GIR, None))
    );

    let refused = [
        (
            "me/app/workflows/w",
            ResourceKind::Model,
            "it names a workflow, where a model is expected",
        ),
        (
            "me/app",
            ResourceKind::Model,
            "it names an app, where a model is expected",
        ),
        (
            "https://clarifai.com/me",
            ResourceKind::Input,
            "it names a user, where an input is expected",
        ),
        (
            "me/app/models/m",
            ResourceKind::Input,
            "it names a model, where an input is expected",
        ),
        ("me/app/models", ResourceKind::Model, "list of models"),
        (
            "https://clarifai.com/me/app/thing",
            ResourceKind::Model,
            ".../me/app/models/thing",
        ),
    ];
    for (text, kind, reason) in refused {
        let err = ClarifaiUrl::parse_as(text, kind).unwrap_err();
        assert!(err.reason().contains(reason), "{text:?}: {}", err.reason());
    }
}

#[test]
fn the_error_display_hides_the_query_and_cuts_long_input() {
    let err = "https://example.com/u/a?key=secret-token"
        .parse::<ClarifaiUrl>()
        .unwrap_err();
    let shown = err.to_string();
    assert!(!shown.contains("secret-token"), "{shown}");
    assert_eq!(
        shown,
        "not a Clarifai URL: \"https://example.com/u/a\"?…: the host `example.com` is not clarifai.com"
    );

    let long = format!("ftp://{}", "x".repeat(10_000));
    let shown = long.parse::<ClarifaiUrl>().unwrap_err().to_string();
    assert!(shown.len() < 300, "{}", shown.len());
}

#[test]
fn odd_input_never_panics() {
    let mut odd: Vec<String> = [
        "/",
        "//",
        "///",
        "?",
        "#",
        "://",
        ":",
        "a:",
        "http://",
        "https://:",
        "https://:443",
        "https://clarifai.com:",
        "https://clarifai.com:x/u",
        ".",
        "..",
        "./a",
        "a/./b",
        ".clarifai.com/u",
        "..clarifai.com/u",
        "clarifai.com.",
        "clarifai.com./u",
        "😀",
        "😀/😀",
        "é/é/models/é",
        "u/a/models/😀/versions/é",
        "\u{0}",
        "u/a\u{0}",
        "u/\u{200b}a",
        "\u{feff}u/a",
        "%",
        "u/a/%2F",
        "@",
        "a@b/c",
        "https://@clarifai.com/u",
        "https://clarifai.com@evil.com/u",
        "https://clarifai.com/v2",
        "https://clarifai.com/v2/users",
        "https://clarifai.com/v2/users/",
        "https://api.clarifai.com/v2/users/u/apps",
        "https://api.clarifai.com/v2/users/u/apps/a/",
        "models/models/models/models",
        "u/a/versions/x",
        "versions",
        "u/a/models/x/versions/y/versions/z",
        "HTTP://",
        "hTtPs://WWW.CLARIFAI.COM/U",
        "https:/clarifai.com/u/a",
        "https:clarifai.com/u",
        "javascript:alert(1)",
        "\\\\server\\share",
        "u\\a",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    odd.push("a/".repeat(10_000));
    odd.push("/".repeat(10_000));
    odd.push("x".repeat(100_000));
    odd.push(format!("https://clarifai.com/{}", "é".repeat(1_000)));
    // Every cut of a long URL, at every character boundary.
    let full = "https://www.clarifai.com:443/clarifai/main/models/gir/versions/v?x=1#f";
    for (i, _) in full.char_indices() {
        odd.push(full[..i].to_owned());
        odd.push(full[i..].to_owned());
    }
    for text in &odd {
        for result in [
            ClarifaiUrl::parse(text),
            ClarifaiUrl::parse_as(text, ResourceKind::Model),
            ClarifaiUrl::parse_as(text, ResourceKind::Input),
        ] {
            match result {
                Ok(url) => {
                    let again = ClarifaiUrl::parse(&url.to_string());
                    assert_eq!(again.as_ref(), Ok(&url), "{text:?}");
                }
                Err(e) => {
                    assert!(!e.reason().is_empty());
                    let _ = e.to_string();
                }
            }
        }
    }
}
