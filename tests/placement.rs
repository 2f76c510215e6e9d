//! Where the suffix goes and what proves it, through the command line: the file's reader
//! passes over hits that read differently, and gives up, naming the file, when it passes over
//! too many (src/device/acceptance.rs). tests/real_files.py checks real files the way their
//! readers and a person read them.

mod common;
use common::*;

#[test]
fn a_place_where_nearly_every_hit_reads_differently_gives_up_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    // A literal block indented by one space: a suffix line of two or more spaces is content,
    // which nearly every hit of an LF-and-space suffix holds; the first suffixes it tries
    // (line breaks, one space last) read the same, so the place is taken.
    let yaml = dir.path().join("block.yaml");
    std::fs::write(&yaml, "k: |\n x\n").unwrap();
    let out = dir.path().join("out.yaml");
    let assert = ghostsum()
        .args(["search", yaml.to_str().unwrap(), "-p", "00000", "-b", "cpu", "-q", "--json", "-o"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("block.yaml: gave up: 64 hits") && stderr.contains("YAML reader"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["status"], "error");
    assert!(!out.exists(), "nothing is written");
    // Searching it as text takes the first hit.
    ghostsum()
        .args(["search", yaml.to_str().unwrap(), "-p", "00000", "-b", "cpu", "-q", "--for", "text", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(md5sum(&out).starts_with("00000"));
}

#[test]
fn a_script_whose_last_line_closes_a_here_document_prints_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("h.sh");
    std::fs::write(&script, "cat <<EOF\nhello\nEOF").unwrap();
    let out = dir.path().join("out.sh");
    ghostsum()
        .args(["search", script.to_str().unwrap(), "-p", "c0d", "-b", "cpu", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(md5sum(&out).starts_with("c0d"));
    let printed = std::process::Command::new("bash").arg(&out).output().unwrap();
    assert_eq!(printed.stdout, b"hello\n");
    assert!(printed.stderr.is_empty(), "{}", String::from_utf8_lossy(&printed.stderr));
    // Left open, the here-document would take the suffix: refused, with the line.
    std::fs::write(&script, "echo start\ncat <<EOF\nhello\n").unwrap();
    let assert = ghostsum()
        .args(["search", script.to_str().unwrap(), "-p", "c0d", "-b", "cpu", "-q", "-o"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("h.sh") && stderr.contains("shell grammar"), "{stderr}");
}
