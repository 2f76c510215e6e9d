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
    // 64 or a few more: devices go on between the engine's looks at the count.
    let count: u32 = stderr.split("gave up: ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    assert!(count >= 64 && stderr.contains("block.yaml: gave up: ") && stderr.contains("YAML reader"), "{stderr}");
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

/// The file as a person would have it, and an output that changes it the way issue 28 found
/// (the suffix appended after the last byte): verify --strict --original names the change.
const CHANGED: [(&str, &str, &str, &str); 6] = [
    ("crlf.txt", "line one\r\nline two\r\n", " \n\t", "bare LF"),
    ("block.yaml", "data:\n  script: |\n    echo hi\n", "      \n", "YAML reader"),
    ("table.csv", "a,b\n1,2\n", "  \n", "CSV reader"),
    ("heredoc.sh", "cat <<EOF\nhello\nEOF", "  \t", "shell grammar"),
    ("fence.md", "# T\n\n```\ncode\n", "\n\n", "Markdown renderer"),
    ("noeol.txt", "first\nsecond", " \t", "last line gains"),
];

#[test]
fn verify_strict_with_the_original_names_what_a_suffix_changes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, original, appended, named) in CHANGED {
        let source = dir.path().join(name);
        std::fs::write(&source, original).unwrap();
        let changed = dir.path().join(format!("changed-{name}"));
        std::fs::write(&changed, format!("{original}{appended}")).unwrap();
        // The prefix is the file's own first digit: the digest matches, the suffix does not.
        let prefix = &md5sum(&changed)[..1];
        let args = ["verify", changed.to_str().unwrap(), "-p", prefix, "--original", source.to_str().unwrap()];
        let plain = ghostsum().args(args).assert().success();
        let said = String::from_utf8_lossy(&plain.get_output().stdout).to_string();
        assert!(said.contains(": changed: ") && said.contains(named), "{name}: {said}");
        let strict = ghostsum().args(args).arg("--strict").assert().code(1);
        let said = String::from_utf8_lossy(&strict.get_output().stdout).to_string();
        assert!(said.contains("FAILED (--strict: ") && said.contains(named), "{name}: {said}");
        // What a search writes (where it does not refuse) passes.
        let out = dir.path().join(format!("out-{name}"));
        let search = ghostsum()
            .args(["search", source.to_str().unwrap(), "-p", "c0", "-b", "cpu", "-q", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        if name.ends_with(".csv") {
            assert_eq!(search.status.code(), Some(2), "CSV is refused");
            continue;
        }
        assert!(search.status.success(), "{name}: {}", String::from_utf8_lossy(&search.stderr));
        let args = ["verify", out.to_str().unwrap(), "-p", "c0", "--strict", "--original", source.to_str().unwrap()];
        let ok = ghostsum().args(args).assert().success();
        assert!(String::from_utf8_lossy(&ok.get_output().stdout).contains(": OK"), "{name}");
    }
}

#[test]
fn batch_pages_are_placed_and_proven_as_searched_files_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.md"), "# A\r\n\r\nSee {{url:b}}\r\n").unwrap();
    std::fs::write(d.join("b.yaml"), "next: {{url:a}}\nscript: |+\n  echo hi\n\n").unwrap();
    let manifest = "url = \"https://x.example/{prefix}\"\ndigits = 3\nseed = 5\n\
                    [[page]]\nname = \"a\"\nfile = \"a.md\"\n[[page]]\nname = \"b\"\nfile = \"b.yaml\"\n";
    std::fs::write(d.join("site.toml"), manifest).unwrap();
    let out = ghostsum()
        .args(["batch", "site.toml", "--out-dir", "out", "-b", "cpu", "-q", "--json"])
        .current_dir(d)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for page in report["pages"].as_array().unwrap() {
        let (name, file) = (page["name"].as_str().unwrap(), page["file"].as_str().unwrap());
        let written = d.join("out").join(file);
        assert!(md5sum(&written).starts_with(page["prefix"].as_str().unwrap()), "{page}");
        let bytes = std::fs::read(&written).unwrap();
        match name {
            // CRLF lines keep CRLF: no bare LF.
            "a" => {
                assert_eq!(
                    bytes.iter().filter(|&&b| b == b'\n').count(),
                    bytes.windows(2).filter(|w| w == b"\r\n").count()
                );
                assert!(bytes.ends_with(b"\r\n"));
            }
            // The keep-chomping block at the end is left alone: the suffix goes above it.
            _ => {
                assert!(bytes.ends_with(b"script: |+\n  echo hi\n\n"), "{}", String::from_utf8_lossy(&bytes));
                assert!(page["placement"].as_str().unwrap().contains("above the last"), "{page}");
            }
        }
    }
    // A page no place keeps is refused before any search, by name.
    std::fs::write(d.join("c.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(d.join("site.toml"), format!("{manifest}[[page]]\nname = \"c\"\nfile = \"c.csv\"\n")).unwrap();
    let refused =
        ghostsum().args(["batch", "site.toml", "--out-dir", "out2", "-b", "cpu", "-q"]).current_dir(d).assert().code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("page 'c'") && stderr.contains("CSV reader"), "{stderr}");
    assert!(!d.join("out2").join("a.md").exists(), "nothing is searched before every page is placed");
    // A re-run finds the placed pages done.
    std::fs::write(d.join("site.toml"), manifest).unwrap();
    let again = ghostsum()
        .args(["batch", "site.toml", "--out-dir", "out", "-b", "cpu", "-q", "--json"])
        .current_dir(d)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&again.get_output().stdout).unwrap();
    assert!(report["pages"].as_array().unwrap().iter().all(|p| p["skipped"] == true), "{report}");
}

#[test]
fn an_unknown_kind_is_answered_with_the_kinds() {
    let assert = ghostsum().args(["search", "x.txt", "-p", "ab", "--for", "csvv", "-o", "y"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("use one of: text, markdown, html, shell, python, json, toml, yaml, csv, tsv, jsonl"),
        "{stderr}"
    );
}

/// A new user's first stumbles (issue 29): the README's first usage line names a file that
/// is there, a misspelt subcommand gets a suggestion, and the completions line makes its
/// folder first.
#[test]
fn a_first_run_as_the_readme_shows_it_works() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let usage = &readme[readme.find("## Usage").unwrap()..];
    let first = usage.lines().find(|l| l.starts_with("ghostsum search")).unwrap();
    let input = first.split_whitespace().nth(2).unwrap();
    assert!(root.join(input).is_file(), "the README's first usage line names {input}, which is not in the checkout");
    let completions = usage.lines().find(|l| l.contains("completions bash")).unwrap();
    assert!(completions.starts_with("mkdir -p "), "{completions}");
    let assert = ghostsum().args(["serch", "x"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("did you mean") && stderr.contains("'search'"), "{stderr}");
}

/// One usage line for search, whatever the error, and it says -o or --in-place is needed
/// (issue 29: bare `ghostsum search` printed one without -o).
#[test]
fn every_search_usage_error_gives_the_same_whole_usage_line() {
    let usage = "(usage: ghostsum search [OPTIONS] --prefix <HEX> (--output <PATH> | --in-place) <INPUT>; see --help)";
    for args in [&["search"][..], &["search", "x", "--outptu", "y"], &["search", "x", "-o", "y"]] {
        let assert = ghostsum().args(args).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(usage), "{args:?}: {stderr}");
    }
}
