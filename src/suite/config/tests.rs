use super::*;

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = "timeout = \"20m\"\ntimeot = \"5m\"\n";
    let err = parse::<Config>(Path::new("t/test.toml"), text)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("t/test.toml:2:"), "{err}");
    assert!(err.contains("timeot"), "{err}");
}

#[test]
fn malformed_toml_names_the_line() {
    let err = parse::<Config>(Path::new("ptest.toml"), "jobs = 2\n[compare\n")
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
    let cfg: Config = parse(Path::new("test.toml"), text).unwrap();
    cfg.check_scope(Scope::Test, Path::new("test.toml"), text)
        .unwrap();
    assert_eq!(cfg.threads.map(|t| t.into_inner()), Some(2));
    assert_eq!(cfg.exclusive.map(|t| t.into_inner()), Some(true));
    assert_eq!(cfg.filters.len(), 2);
    assert_eq!(cfg.env["FOO"], "bar");
    assert_eq!(cfg.compare.modes["order.txt"], "sorted");
}

#[test]
fn suite_only_key_in_test_toml_is_an_error_naming_the_line() {
    let text = "retries = 1\njobs = 4\n";
    let cfg: Config = parse(Path::new("t/test.toml"), text).unwrap();
    let err = cfg
        .check_scope(Scope::Test, Path::new("t/test.toml"), text)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t/test.toml:2:") && err.contains("ptest.toml"),
        "{err}"
    );
}

#[test]
fn bad_duration_names_key_and_fix() {
    let err = parse_duration(Path::new("p.toml"), "timeout", "ten minutes")
        .unwrap_err()
        .to_string();
    assert!(err.contains("p.toml") && err.contains("timeout") && err.contains("20m"));
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
