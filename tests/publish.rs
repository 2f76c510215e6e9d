//! examples/web/publish.sh, the README's recipe for putting a batch's pages at their
//! addresses: it fails on a report it cannot read before publishing anything, and replaces
//! what stands at a page's address (a symlink too) by renaming a checked copy into place.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn publish(dir: &Path, report: &str) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web/publish.sh");
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022; exec sh '{}' '{report}' site", script.display()))
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn publish_checks_the_report_first_and_never_writes_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A report that is missing or not a batch's: an error, and nothing published.
    let missing = publish(d, "out/ghostsum-report.json");
    assert_ne!(missing.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not a ghostsum batch report"));
    std::fs::write(d.join("junk.json"), "not json").unwrap();
    assert_ne!(publish(d, "junk.json").status.code(), Some(0));
    assert!(!d.join("site").exists(), "nothing is published from a report that cannot be read");

    let manifest = ring_manifest(d, "p", 2, "site.example", 3, 7);
    std::fs::write(d.join("site.toml"), manifest).unwrap();
    ghostsum().args(["batch", "site.toml", "--out-dir", "out", "-b", "cpu", "-q"]).current_dir(d).assert().success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("out/ghostsum-report.json")).unwrap()).unwrap();
    let prefixes: Vec<String> =
        report["pages"].as_array().unwrap().iter().map(|p| p["prefix"].as_str().unwrap().to_string()).collect();
    // Someone's file, linked where the first page goes.
    std::fs::create_dir(d.join("site")).unwrap();
    std::fs::write(d.join("victim.txt"), "keep me\n").unwrap();
    std::os::unix::fs::symlink(d.join("victim.txt"), d.join("site").join(&prefixes[0])).unwrap();
    let out = publish(d, "out/ghostsum-report.json");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(d.join("victim.txt")).unwrap(), b"keep me\n");
    for prefix in &prefixes {
        let page = d.join("site").join(prefix);
        assert!(std::fs::symlink_metadata(&page).unwrap().file_type().is_file(), "{prefix} is a file, not a link");
        assert!(md5sum(&page).starts_with(prefix.as_str()));
        assert_eq!(mode(&page) & 0o777, 0o644, "what cp gives a new file under umask 022");
    }
    let names: Vec<String> = std::fs::read_dir(d.join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".publish"))
        .collect();
    assert!(names.is_empty(), "temporary files left: {names:?}");
}
