//! Linked pages from a manifest: cycles and self-links resolve, every output's MD5 (checked
//! with md5sum) starts with its page's prefix, and bad manifests name the file and line.

use assert_cmd::Command;
use std::path::Path;

fn ghostsum() -> Command {
    Command::cargo_bin("ghostsum").unwrap()
}

fn md5sum(path: &Path) -> String {
    let out = std::process::Command::new("md5sum").arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

/// `ghostsum batch MANIFEST --out-dir OUT -q -b cpu`, plus `extra` arguments.
fn batch(manifest: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    ghostsum()
        .args(["batch", manifest.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "-q", "-b", "cpu"])
        .args(extra)
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
