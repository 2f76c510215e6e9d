//! Linked pages from a manifest: cycles and self-links resolve, every output's MD5 (checked
//! with md5sum) starts with its page's prefix, and bad manifests name the file and line.

mod common;
use common::{ghostsum, md5sum};
use std::path::Path;

/// `ghostsum batch MANIFEST --out-dir OUT -q -b cpu`, plus `extra` arguments. A batch that
/// hangs is killed after five minutes, and its exit code then matches no expectation.
fn batch(manifest: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    ghostsum()
        .args(["batch", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "-q", "-b", "cpu"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(300))
        .assert()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn cyclic_manifest_with_self_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "m.toml", "url = \"https://p.example/{prefix}\"\ndigits = 4\nseed = 7\n[[page]]\nname = \"a\"\nfile = \"a.txt\"\nprefix = \"abc1\"\n[[page]]\nname = \"b\"\nfile = \"b.txt\"\n[[page]]\nname = \"c\"\nfile = \"c.txt\"\n");
    write(d, "a.txt", "A, at {{url:a}}, goes to {{url:b}}\n");
    write(d, "b.txt", "B ({{prefix:b}}) goes to {{url:c}}\n");
    write(d, "c.txt", "C is {{url:c}} and goes back to {{url:a}}\n");
    let out = d.join("out");
    batch(&d.join("m.toml"), &out, &[]).success();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ghostsum-report.json")).unwrap()).unwrap();
    let pages = report["pages"].as_array().unwrap();
    let prefix_of =
        |name: &str| pages.iter().find(|p| p["name"] == name).unwrap()["prefix"].as_str().unwrap().to_string();
    let (a, b, c) = (prefix_of("a"), prefix_of("b"), prefix_of("c"));
    assert_eq!(a, "abc1");
    assert!(b.len() == 4 && c.len() == 4 && b != c && b != a);
    // Every output's independent MD5 starts with its prefix...
    for (file, prefix) in [("a.txt", &a), ("b.txt", &b), ("c.txt", &c)] {
        let digest = md5sum(&out.join(file));
        assert!(digest.starts_with(prefix.as_str()), "{file}: {digest} vs {prefix}");
    }
    // ...and every placeholder became the right address, so each link leads to its page.
    let text = |f: &str| String::from_utf8_lossy(&std::fs::read(out.join(f)).unwrap()).to_string();
    assert!(text("a.txt").starts_with(&format!("A, at https://p.example/{a}, goes to https://p.example/{b}\n")));
    assert!(text("b.txt").starts_with(&format!("B ({b}) goes to https://p.example/{c}\n")));
    assert!(text("c.txt").starts_with(&format!("C is https://p.example/{c} and goes back to https://p.example/{a}\n")));
    // A re-run skips pages whose output already verifies; the same seed gives the same prefixes.
    let modified = std::fs::metadata(out.join("b.txt")).unwrap().modified().unwrap();
    let assert = batch(&d.join("m.toml"), &out, &["--json"]).success();
    let rerun: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert!(rerun["pages"].as_array().unwrap().iter().all(|p| p["skipped"] == true));
    assert_eq!(rerun["pages"][1]["prefix"], b.as_str());
    assert_eq!(std::fs::metadata(out.join("b.txt")).unwrap().modified().unwrap(), modified);
}

#[test]
fn bad_manifests_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "p.txt", "hello\nsee {{url:nowhere}}\n");
    write(d, "q.txt", "fine\n");
    std::fs::create_dir(d.join("folder")).unwrap();
    let page = |name: &str, file: &str, prefix: Option<&str>| {
        format!(
            "[[page]]\nname = \"{name}\"\nfile = \"{file}\"\n{}",
            prefix.map(|p| format!("prefix = \"{p}\"\n")).unwrap_or_default()
        )
    };
    let head = "url = \"https://x/{prefix}\"\n";
    let cases = vec![
        (format!("{head}{}", page("p", "p.txt", None)), "p.txt:2", "names no page"),
        (
            format!("{head}{}{}", page("q", "q.txt", None), page("q", "q.txt", None)),
            "m.toml:6",
            "second page named 'q'",
        ),
        (
            format!("{head}{}{}", page("q", "q.txt", Some("abc")), page("r", "q.txt", Some("ABC"))),
            "m.toml:9",
            "same prefix",
        ),
        (format!("{head}{}", page("q", "missing.txt", None)), "m.toml:4", "does not exist"),
        (format!("{head}{}", page("q", "folder", None)), "m.toml:4", "folder is a folder; give a file"),
        (format!("{head}{}", page("q", "q.txt", Some("xyz"))), "m.toml:5", "not hex"),
        (format!("url = \"https://x/\"\n{}", page("q", "q.txt", None)), "m.toml:1", "{prefix}"),
        (format!("{head}colour = 3\n{}", page("q", "q.txt", None)), "m.toml:2", "colour"),
    ];
    for (manifest, location, message) in cases {
        write(d, "m.toml", &manifest);
        let assert = batch(&d.join("m.toml"), &d.join("out"), &[]).code(2);
        let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(location) && err.contains(message),
            "{manifest}\n=> {err}\n(wanted {location} and {message})"
        );
    }
}

#[test]
fn shipped_examples_build() {
    let out = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    batch(&root.join("adventure/adventure.toml"), out.path(), &[]).success();
    assert!(md5sum(&out.path().join("start.txt")).starts_with("c0ffe"));
    batch(&root.join("self-address/whereami.toml"), out.path(), &[]).success();
    let script = out.path().join("whereami.sh");
    let printed = std::process::Command::new("sh").arg(&script).output().unwrap();
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let printed = String::from_utf8(printed.stdout).unwrap();
    let digest = md5sum(&script);
    let address_prefix = printed.trim().rsplit('/').next().unwrap();
    assert_eq!(address_prefix.len(), 6);
    assert!(digest.starts_with(address_prefix), "the script says {printed} but its md5 is {digest}");
}

#[test]
fn outputs_that_would_overwrite_sources_or_each_other_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.txt", "A {{url:b}}\n");
    write(d, "b.txt", "B {{url:a}}\n");
    let manifest = |pages: &[(&str, &str)]| {
        let mut text = "url = \"https://x/{prefix}\"\ndigits = 3\n".to_string();
        for (name, file) in pages {
            text += &format!("[[page]]\nname = \"{name}\"\nfile = \"{file}\"\n");
        }
        write(d, "m.toml", &text);
    };
    let refused = |out: &Path, expected: &str| {
        let sources: Vec<Vec<u8>> =
            ["a.txt", "b.txt", "m.toml"].iter().map(|f| std::fs::read(d.join(f)).unwrap()).collect();
        let assert = batch(&d.join("m.toml"), out, &[]).code(2);
        let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{err} lacks {expected}");
        let after: Vec<Vec<u8>> =
            ["a.txt", "b.txt", "m.toml"].iter().map(|f| std::fs::read(d.join(f)).unwrap()).collect();
        assert_eq!(sources, after, "a source changed");
    };
    manifest(&[("a", "a.txt"), ("b", "b.txt")]);
    // --out-dir . in the manifest's folder: the pages would overwrite their own sources.
    refused(d, "the source of page 'a'");
    refused(&d.join("."), "the source of page 'a'");
    assert!(!d.join("ghostsum-report.json").exists());
    // Two pages with one file; a page called like the report.
    manifest(&[("a", "a.txt"), ("b", "a.txt")]);
    refused(&d.join("out"), "is also the output of page 'a'");
    write(d, "ghostsum-report.json", "{{url:a}}");
    manifest(&[("a", "a.txt"), ("b", "b.txt"), ("r", "ghostsum-report.json")]);
    refused(&d.join("out"), "the report ghostsum-report.json");
    assert!(!d.join("out").exists(), "nothing is written when refused");
    // --out-dir that is a file.
    manifest(&[("a", "a.txt"), ("b", "b.txt")]);
    refused(&d.join("a.txt"), "is a file, not a folder");
}

#[test]
fn a_page_reached_through_a_symlink_out_of_the_folder_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "not for publishing").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.join("innocent.txt")).unwrap();
    write(d, "m.toml", "url = \"https://x/{prefix}\"\n[[page]]\nname = \"p\"\nfile = \"innocent.txt\"\n");
    let assert = batch(&d.join("m.toml"), &d.join("out"), &[]).code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("m.toml:4") && err.contains("leads outside the manifest's folder"), "{err}");
    // A symlink that stays inside is fine.
    write(d, "real.txt", "inside\n");
    std::os::unix::fs::symlink("real.txt", d.join("alias.txt")).unwrap();
    write(d, "m.toml", "url = \"https://x/{prefix}\"\ndigits = 2\n[[page]]\nname = \"p\"\nfile = \"alias.txt\"\n");
    batch(&d.join("m.toml"), &d.join("out"), &[]).success();
}

#[test]
fn more_pages_than_prefixes_is_an_error_not_a_spin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "p.txt", "page\n");
    let pages = |n: usize| (0..n).map(|i| format!("[[page]]\nname = \"p{i}\"\nfile = \"p.txt\"\n")).collect::<String>();
    write(d, "m.toml", &format!("url = \"https://x/{{prefix}}\"\ndigits = 1\n{}", pages(17)));
    // The old code spun here for ever; batch() kills a hang, so the exit code tells.
    let assert = batch(&d.join("m.toml"), &d.join("out"), &[]).code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("17 pages need a 1-digit prefix, but only 16 are free"), "{err}");
    // Prefixes given by hand take places too.
    write(d, "m.toml", &format!("url = \"https://x/{{prefix}}\"\ndigits = 1\n[[page]]\nname = \"given\"\nfile = \"p.txt\"\nprefix = \"a\"\n{}", pages(16)));
    let assert = batch(&d.join("m.toml"), &d.join("out"), &[]).code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("only 15 are free"));
}

#[test]
fn a_rerun_keeps_the_first_runs_figures_and_new_pages_follow_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.txt", "first {{url:a}}\n");
    write(d, "m.toml", "url = \"https://x/{prefix}\"\n[[page]]\nname = \"a\"\nfile = \"a.txt\"\nprefix = \"c0ff\"\n");
    let out = d.join("out");
    let run = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "umask 022; exec '{}' batch '{}' --out-dir '{}' -q -b cpu",
            assert_cmd::cargo::cargo_bin("ghostsum").display(),
            d.join("m.toml").display(),
            out.display()
        ))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    use std::os::unix::fs::MetadataExt;
    for f in ["a.txt", "ghostsum-report.json"] {
        assert_eq!(std::fs::metadata(out.join(f)).unwrap().mode() & 0o777, 0o644, "{f}");
    }
    let read = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("ghostsum-report.json")).unwrap()).unwrap()
    };
    let first = read();
    assert!(first["pages"][0]["candidates"].as_u64().unwrap() > 0);
    batch(&d.join("m.toml"), &out, &[]).success();
    let second = read();
    assert_eq!(second["pages"][0]["skipped"], true);
    assert_eq!(second["pages"][0]["candidates"], first["pages"][0]["candidates"]);
    assert_eq!(second["pages"][0]["seconds"], first["pages"][0]["seconds"]);
}

mod parser_on_arbitrary_bytes {
    use ghostsum::batch::manifest::Manifest;
    use ghostsum::batch::resolve_placeholders;
    use proptest::prelude::*;
    use std::path::Path;

    /// A one-page manifest in `dir` (each case's own, removed after it: nothing is left in
    /// the system's temporary folder).
    fn manifest(dir: &Path) -> Manifest {
        std::fs::write(dir.join("page.txt"), "x").unwrap();
        let text = "url = \"https://x/{prefix}\"\n[[page]]\nname = \"a\"\nfile = \"page.txt\"\nprefix = \"ab\"\n";
        Manifest::parse(&dir.join("m.toml"), text).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn placeholders_never_panic_and_errors_name_file_and_line(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"{{url:a}}".to_vec()), Just(b"{{prefix:a}}".to_vec()), Just(b"{{url:zz}}".to_vec()),
                    Just(b"{{".to_vec()), Just(b"}}".to_vec()), Just(b"\n".to_vec()), Just(vec![0xff, 0xfe]),
                    Just("é".as_bytes().to_vec()), proptest::collection::vec(any::<u8>(), 0..8),
                ],
                0..24,
            )
        ) {
            let text: Vec<u8> = parts.concat();
            let dir = tempfile::tempdir().unwrap();
            let m = manifest(dir.path());
            match resolve_placeholders(&m, &m.pages[0], &text) {
                Ok(out) => prop_assert!(!out.windows(9).any(|w| w == b"{{url:a}}")),
                Err(e) => {
                    // "<page source>:<line>: ... names no page": a line that exists.
                    let message = e.to_string();
                    let source = m.pages[0].source.display().to_string();
                    prop_assert!(message.starts_with(&format!("{source}:")), "{}", message);
                    let line: usize = message[source.len() + 1..].split(':').next().unwrap().parse().unwrap();
                    prop_assert!(line >= 1 && line <= text.iter().filter(|&&b| b == b'\n').count() + 1);
                    prop_assert!(message.contains("names no page"));
                }
            }
        }

        #[test]
        fn manifests_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = String::from_utf8_lossy(&bytes);
            if let Err(e) = Manifest::parse(Path::new("m.toml"), &text) {
                prop_assert!(e.to_string().starts_with("m.toml"), "{}", e);
            }
        }
    }
}
