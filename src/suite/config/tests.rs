use super::*;

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = "timeout = \"20m\"\ntimeot = \"5m\"\n";
    let err = from_text(Path::new("t/test.toml"), text, Scope::Test)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("t/test.toml:2:"), "{err}");
    assert!(err.contains("timeot"), "{err}");
}

#[test]
fn malformed_toml_names_the_line() {
    let err = from_text(
        Path::new("ptest.toml"),
        "jobs = 2\n[compare\n",
        Scope::Suite,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("ptest.toml:2:"), "{err}");
}

#[test]
fn full_test_config_parses() {
    let text = r#"
timeout = "90s"
threads = 2
exclusive = true
retries = 1
image = "qemu-busybox"
[env]
FOO = "bar"
[[filters]]
preset = "host-pointers"
[[filters]]
regex = 'took \d+ms'
replace = "took Nms"
files = "*.txt"
[compare]
mode = "text"
[compare.modes]
"order.txt" = "sorted"
"#;
    let cfg = from_text(Path::new("test.toml"), text, Scope::Test).unwrap();
    assert_eq!(cfg.timeout, Some(Duration::from_secs(90)));
    assert_eq!(cfg.threads, Some(2));
    assert_eq!(cfg.exclusive, Some(true));
    assert_eq!(cfg.filters.len(), 2);
    assert_eq!(cfg.env["FOO"], "bar");
    assert_eq!(cfg.compare.modes["order.txt"], "sorted");
}

#[test]
fn suite_only_key_in_test_toml_is_an_error_naming_the_line() {
    let text = "retries = 1\njobs = 4\n";
    let err = from_text(Path::new("t/test.toml"), text, Scope::Test)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t/test.toml:2:") && err.contains("ptest.toml"),
        "{err}"
    );
}

#[test]
fn bad_duration_names_key_and_fix() {
    let err = from_text(
        Path::new("p.toml"),
        "timeout = \"ten minutes\"",
        Scope::Suite,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("p.toml") && err.contains("timeout") && err.contains("20m"));
}

#[test]
fn a_refused_value_names_its_key_and_points_a_caret_at_it() {
    let text = "[images.\"my image\"]\narch = \"x86_64\"\nengine = \"qmeu\"\n";
    let err = from_text(Path::new("ptest.toml"), text, Scope::Suite).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ptest.toml:3:10: `[images.\"my image\"] engine = \"qmeu\"`: unknown engine; use one of panda, qemu"
    );
    let SuiteError::Toml {
        excerpt: Some(excerpt),
        ..
    } = err
    else {
        panic!("no excerpt: {err}");
    };
    assert_eq!(
        excerpt.to_string(),
        "  |\n3 | engine = \"qmeu\"\n  |          ^^^^^^"
    );
}

#[test]
fn a_misplaced_key_points_at_the_key() {
    let err = from_text(
        Path::new("ptest.toml"),
        "retries = 2\n  threads = 2\n",
        Scope::Suite,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("ptest.toml:2:3: key `threads`"),
        "{err}"
    );
}

#[test]
fn values_are_typed_once_read() {
    let text =
        "[engine]\nstall-timeout = \"2m\"\nmemory = 512\n[compare.modes]\n\"*.log\" = \"sortd\"\n";
    let err = from_text(Path::new("ptest.toml"), text, Scope::Suite)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ptest.toml:5:11: `[compare.modes] \"*.log\" = \"sortd\"`: unknown mode"),
        "{err}"
    );
    let cfg = from_text(
        Path::new("ptest.toml"),
        &text.replace("sortd", "sorted"),
        Scope::Suite,
    )
    .unwrap();
    assert_eq!(cfg.engine.stall_timeout, Some(Duration::from_secs(120)));
    assert_eq!(cfg.engine.memory, Some(512));
}

#[test]
fn regexes_and_globs_are_checked_where_they_are_written() {
    let text = "[[filters]]\npreset = \"host-pointers\"\n[[filters]]\nregex = \"took (\\\\d+\"\n";
    let err = from_text(Path::new("ptest.toml"), text, Scope::Suite)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "ptest.toml:4:9: `[[filters]] #2 regex = \"took (\\\\d+\"`: invalid regex:"
        ),
        "{err}"
    );
    let text = "[[filters]]\nregex = \"x\"\nfiles = \"a[\"\n";
    let err = from_text(Path::new("ptest.toml"), text, Scope::Suite)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ptest.toml:3:9: `[[filters]] #1 files = \"a[\"`: invalid glob"),
        "{err}"
    );
    let text = "[compare.modes]\n\"b[\" = \"text\"\n";
    let err = from_text(Path::new("t/test.toml"), text, Scope::Test)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t/test.toml:") && err.contains("invalid glob \"b[\""),
        "{err}"
    );
}

#[test]
fn image_map_names_known_images_and_only_in_the_suite_config() {
    let ok = "[image-map]\ni386 = \"panda-busybox-i386\"\n";
    let c = from_text(Path::new("ptest.toml"), ok, Scope::Suite).unwrap();
    assert_eq!(
        c.image_map().get("i386").map(String::as_str),
        Some("panda-busybox-i386")
    );
    let declared = "[images.mine]\nengine = \"panda\"\n[image-map]\ni386 = \"mine\"\n";
    assert!(from_text(Path::new("ptest.toml"), declared, Scope::Suite).is_ok());
    let unknown = "[image-map]\ni386 = \"panda-busybox-686\"\n";
    let err = from_text(Path::new("ptest.toml"), unknown, Scope::Suite)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ptest.toml:2:"), "{err}");
    assert!(err.contains("no image \"panda-busybox-686\""), "{err}");
    let itself = "[image-map]\ni386 = \"i386\"\n";
    let err = from_text(Path::new("ptest.toml"), itself, Scope::Suite)
        .unwrap_err()
        .to_string();
    assert!(err.contains("maps an image to itself"), "{err}");
    let err = from_text(Path::new("t/test.toml"), ok, Scope::Test)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`image-map` belongs in the suite's ptest.toml"),
        "{err}"
    );
}
