//! Each kind of file gets its measured alphabet (by extension, or --for), --json says which
//! and why, verify --strict names a visible symbol and its viewer, a trimmed suffix is noted,
//! batch pages take their own kind's alphabet, and no suffix line passes column 79.

mod common;

use common::{ghostsum, hashlib_of, md5sum};
use std::path::Path;

fn search_json(input: &Path, output: &Path, prefix: &str, extra: &[&str]) -> serde_json::Value {
    let out = ghostsum()
        .args(["search", input.to_str().unwrap(), "-p", prefix, "-q", "--json", "-b", "cpu"])
        .args(["-o", output.to_str().unwrap()])
        .args(extra)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The bytes `output` has inserted into `input`'s (after its last line break by default,
/// with a line break of their own).
fn suffix_of(input: &Path, output: &Path) -> Vec<u8> {
    let (a, b) = (std::fs::read(input).unwrap(), std::fs::read(output).unwrap());
    let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let added = b.len() - a.len();
    assert!(
        b.len() > a.len() && [&b[..at], &b[at + added..]].concat() == a,
        "{} is not {} with a suffix inserted",
        output.display(),
        input.display()
    );
    b[at..at + added].to_vec()
}

#[test]
fn each_kind_gets_its_alphabet_and_json_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("notes.txt", &[][..], "text", "space-tab-lf", &b" \t\n"[..]),
        ("README.md", &[], "markdown", "space-tab-lf", b" \t\n"),
        ("deploy.yaml", &[], "yaml", "space-lf", b" \n"),
        ("run.py", &[], "python", "space-tab-lf", b" \t\n"),
        ("noextension", &[], "text", "space-tab-lf", b" \t\n"),
        ("notes.txt", &["--for", "yaml"], "yaml", "space-lf", b" \n"),
        ("notes.txt", &["--alphabet", "whitespace"], "text", "whitespace", b" \t\n\x0b\x0c"),
    ];
    for (n, (name, extra, kind, alphabet, symbols)) in cases.into_iter().enumerate() {
        let input = dir.path().join(name);
        std::fs::write(&input, "key: value\n").unwrap();
        let output = dir.path().join(format!("out{n}-{name}"));
        let report = search_json(&input, &output, "5eed", extra);
        assert_eq!(report["for"], kind, "{name} {extra:?}");
        assert_eq!(report["alphabet"], alphabet, "{name} {extra:?}");
        let reason = report["alphabet_reason"].as_str().unwrap();
        if extra.first() == Some(&"--alphabet") {
            assert_eq!(reason, "named with --alphabet");
        } else {
            assert!(reason.contains(&format!("the default for {kind} files")), "{reason}");
        }
        assert!(md5sum(&output).starts_with("5eed"));
        let suffix = suffix_of(&input, &output);
        assert!(suffix.iter().all(|b| symbols.contains(b)), "{name}: {suffix:?} outside {alphabet}");
    }
}

#[test]
fn alphabets_lists_every_kind_with_its_default() {
    let out = ghostsum().args(["alphabets", "--json"]).assert().success();
    let table: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = table["alphabets"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["space-tab-lf", "space-lf", "space-tab", "lf-space-tab", "lf-space", "whitespace", "zero-width"]
    );
    let kinds = table["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 11);
    for kind in kinds {
        assert!(names.contains(&kind["alphabet"].as_str().unwrap()), "{kind}");
        assert!(!kind["why"].as_str().unwrap().is_empty());
    }
    let text = ghostsum().arg("alphabets").assert().success();
    assert!(String::from_utf8_lossy(&text.get_output().stdout).contains("yaml      space-lf"));
}

/// Appends `tail` and then counts up until hashlib says the file's MD5 starts with `digit`.
fn with_prefix(base: &[u8], tail: &[u8], digit: char) -> Vec<u8> {
    (0u32..)
        .map(|n| {
            let mut bytes = base.to_vec();
            bytes.extend(format!("{n}\n").as_bytes());
            bytes.extend(tail);
            bytes
        })
        .find(|bytes| hashlib_of(bytes).starts_with(digit))
        .unwrap()
}

#[test]
fn verify_strict_names_a_symbol_a_viewer_shows() {
    let dir = tempfile::tempdir().unwrap();
    // A suffix holding VT: md5 first digit found by brute force with an independent MD5.
    let file = dir.path().join("page.txt");
    std::fs::write(&file, with_prefix(b"the page\n", b" \t\x0b \n\t \n", 'a')).unwrap();
    let f = file.to_str().unwrap();
    let plain = ghostsum().args(["verify", f, "-p", "a"]).assert().success();
    let text = String::from_utf8_lossy(&plain.get_output().stdout).to_string();
    assert!(text.contains("visible: VT shows as ^K in less, vim and nano, and makes Chromium download the file as binary; it is a text file (extension .txt)"), "{text}");
    let strict = ghostsum().args(["verify", f, "-p", "a", "--strict"]).assert().code(1);
    let text = String::from_utf8_lossy(&strict.get_output().stdout).to_string();
    assert!(text.contains("FAILED (--strict: VT shows as ^K in less, vim and nano"), "{text}");
    // A tab is invisible in text but breaks YAML.
    let yaml = dir.path().join("conf.yaml");
    std::fs::write(&yaml, with_prefix(b"key: value\n", b"  \n\t\n  \n", 'b')).unwrap();
    let strict = ghostsum().args(["verify", yaml.to_str().unwrap(), "-p", "b", "--strict"]).assert().code(1);
    let text = String::from_utf8_lossy(&strict.get_output().stdout).to_string();
    assert!(text.contains("a tab that starts a line is a YAML syntax error"), "{text}");
    // The same bytes, read as text, are fine (the suffix is long enough for one digit).
    ghostsum().args(["verify", yaml.to_str().unwrap(), "-p", "b", "--strict", "--for", "text"]).assert().success();
}

#[test]
fn verify_notes_a_suffix_that_was_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notes.txt");
    std::fs::write(&input, "Meet me at noon.\n").unwrap();
    let output = dir.path().join("out.txt");
    search_json(&input, &output, "c0ffee", &[]);
    // What an editor's trim-trailing-whitespace and git's whitespace fix leave: the text.
    let trimmed = dir.path().join("trimmed.txt");
    std::fs::copy(&input, &trimmed).unwrap();
    let out = ghostsum().args(["verify", trimmed.to_str().unwrap(), "-p", "c0ffee"]).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("note: it ends in no suffix: if it was never searched, search it first"), "{text}");
    assert!(text.contains("if it was, an editor's trim-trailing-whitespace"), "{text}");
    assert!(text.contains("trim_trailing_whitespace = false"), "{text}");
    // An intact result has no such note.
    let out = ghostsum().args(["verify", output.to_str().unwrap(), "-p", "c0ffee"]).assert().success();
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains("note:"));
}

/// Widest line of `bytes` in terminal columns (tabs to multiples of 8).
fn widest_line(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.iter().fold(0, |col, &b| if b == b'\t' { (col / 8 + 1) * 8 } else { col + 1 }))
        .max()
        .unwrap_or(0)
}

#[test]
fn no_suffix_line_passes_column_79() {
    let dir = tempfile::tempdir().unwrap();
    // A last line of 70 columns without a newline: the suffix's first line continues it.
    let input = dir.path().join("long.txt");
    std::fs::write(&input, format!("short line\n{}", "x".repeat(70))).unwrap();
    for prefix in ["0", "1a", "2b3", "c4d5", "e6f7a"] {
        let output = dir.path().join(format!("{prefix}.txt"));
        search_json(&input, &output, prefix, &[]);
        let bytes = std::fs::read(&output).unwrap();
        assert!(md5sum(&output).starts_with(prefix));
        assert!(widest_line(&bytes) <= 79, "{prefix}: a line of {} columns in {bytes:?}", widest_line(&bytes));
    }
}

#[test]
fn batch_pages_take_their_own_kinds_alphabet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "link: {{url:b}}\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "back to {{url:a}}\n").unwrap();
    std::fs::write(dir.path().join("c.txt"), "plain, but named\n").unwrap();
    std::fs::write(
        dir.path().join("m.toml"),
        "url = \"https://paste.example/{prefix}\"\ndigits = 3\n\n[[page]]\nname = \"a\"\nfile = \"a.yaml\"\n\n\
         [[page]]\nname = \"b\"\nfile = \"b.txt\"\n\n[[page]]\nname = \"c\"\nfile = \"c.txt\"\nfor = \"yaml\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    ghostsum()
        .args([
            "batch",
            dir.path().join("m.toml").to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "-b",
            "cpu",
            "-q",
        ])
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ghostsum-report.json")).unwrap()).unwrap();
    let got: Vec<(String, String)> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["for"].as_str().unwrap().to_string(), p["alphabet"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        got,
        [("yaml", "space-lf"), ("text", "space-tab-lf"), ("yaml", "space-lf")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // The YAML pages' suffixes hold no tab: their text, then spaces and LFs only.
    let address_b = report["pages"][1]["address"].as_str().unwrap();
    for (page, text) in [("a.yaml", format!("link: {address_b}\n")), ("c.txt", "plain, but named\n".to_string())] {
        let bytes = std::fs::read(out.join(page)).unwrap();
        assert!(bytes.starts_with(text.as_bytes()), "{page}");
        assert!(bytes[text.len()..].iter().all(|b| b" \n".contains(b)), "{page}: {bytes:?}");
    }
    // An unknown kind in the manifest names the line.
    std::fs::write(
        dir.path().join("bad.toml"),
        "url = \"u/{prefix}\"\n\n[[page]]\nname = \"c\"\nfile = \"c.txt\"\nfor = \"latex\"\n",
    )
    .unwrap();
    let out = ghostsum()
        .args([
            "batch",
            dir.path().join("bad.toml").to_str().unwrap(),
            "--out-dir",
            dir.path().join("o2").to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("bad.toml:6: page 'c': unknown kind 'latex'"), "{err}");
}
