//! The command line as a user runs it; outputs checked with the system's md5sum and
//! Python's hashlib, never only with ghostsum itself.

mod common;
use common::{ghostsum, hashlib_of, md5sum};
use std::path::Path;
use std::process::Stdio;

fn hashlib(path: &Path) -> String {
    hashlib_of(&std::fs::read(path).unwrap())
}

fn stderr_line(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

#[test]
fn search_writes_output_that_md5sum_and_hashlib_confirm() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notes.txt");
    std::fs::write(&input, "Meet me at the old oak tree at noon.\n").unwrap();
    let output = dir.path().join("notes.out.txt");
    let assert = ghostsum()
        .args(["search", input.to_str().unwrap(), "--prefix", "C0FFEE", "-o", output.to_str().unwrap(), "--json", "-q"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let from_md5sum = md5sum(&output);
    assert!(from_md5sum.starts_with("c0ffee"), "{from_md5sum}");
    assert_eq!(hashlib(&output), from_md5sum);
    assert_eq!(report["md5"], from_md5sum);
    for key in ["prefix", "md5", "index", "suffix_len", "candidates_tested", "seconds", "backend", "threads"] {
        assert!(report.get(key).is_some(), "--json lacks {key}: {report}");
    }
    // The input is untouched and is a prefix of the output.
    let original = std::fs::read(&input).unwrap();
    assert_eq!(original, b"Meet me at the old oak tree at noon.\n");
    let written = std::fs::read(&output).unwrap();
    assert!(written.starts_with(&original));
    assert!(written[original.len()..].iter().all(|b| b" \t\n\x0b\x0c".contains(b)));
    ghostsum().args(["verify", output.to_str().unwrap(), "--prefix", "c0ffee"]).assert().success();
    ghostsum().args(["verify", input.to_str().unwrap(), "--prefix", "c0ffee"]).assert().code(1);
}

#[test]
fn unix_filter_stdin_to_stdout() {
    let input = b"piped through ghostsum\n".repeat(10);
    let assert = ghostsum()
        .args(["search", "-", "--prefix", "abcd", "-o", "-", "-q"])
        .write_stdin(input.clone())
        .assert()
        .success();
    let out = assert.get_output().stdout.clone();
    assert!(out.starts_with(&input));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    std::fs::write(&path, &out).unwrap();
    assert!(md5sum(&path).starts_with("abcd"));
    // --json goes to stderr when the file goes to stdout.
    let assert =
        ghostsum().args(["search", "-", "-p", "ab", "-o", "-", "-q", "--json"]).write_stdin(input).assert().success();
    let report: serde_json::Value = serde_json::from_str(stderr_line(&assert).trim()).unwrap();
    assert!(report["md5"].as_str().unwrap().starts_with("ab"));
}

#[test]
fn in_place_rewrites_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("page.html");
    std::fs::write(&input, "<p>hello</p>").unwrap();
    ghostsum()
        .args(["search", input.to_str().unwrap(), "-p", "beef", "--in-place", "-q", "--alphabet", "space-tab"])
        .assert()
        .success();
    assert!(md5sum(&input).starts_with("beef"));
    let bytes = std::fs::read(&input).unwrap();
    assert!(bytes.starts_with(b"<p>hello</p>") && bytes[12..].iter().all(|b| b" \t".contains(b)));
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn same_output_with_one_and_four_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, vec![b'z'; 1000]).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "4"] {
        let out = dir.path().join(format!("out{threads}"));
        ghostsum()
            .args([
                "search",
                input.to_str().unwrap(),
                "-p",
                "5eed5",
                "-o",
                out.to_str().unwrap(),
                "-q",
                "--backend",
                "cpu",
                "--threads",
                threads,
            ])
            .assert()
            .success();
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn killed_in_place_search_leaves_the_input_intact() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("precious.txt");
    std::fs::write(&input, "do not lose me\n").unwrap();
    for signal in ["-KILL", "-INT"] {
        let bin = assert_cmd::cargo::cargo_bin("ghostsum");
        // 16 digits: a search that cannot finish while the test waits.
        let child = std::process::Command::new(bin)
            .args(["search", input.to_str().unwrap(), "-p", "0123456789abcdef", "--in-place", "--force", "-q"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        let status = child.wait_with_output().unwrap();
        if signal == "-INT" {
            assert_eq!(status.status.code(), Some(130), "{}", String::from_utf8_lossy(&status.stderr));
            assert!(String::from_utf8_lossy(&status.stderr).contains("SIGINT: stopped"));
        }
        assert_eq!(std::fs::read(&input).unwrap(), b"do not lose me\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "stray files after {signal}");
    }
}

#[test]
fn bad_input_gets_one_line_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x").unwrap();
    let i = input.to_str().unwrap();
    let out = dir.path().join("out.txt");
    let o = out.to_str().unwrap();
    let missing_dir = dir.path().join("no/such/dir/out.txt");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["search", "missing.txt", "-p", "00", "-o", o], "cannot read missing.txt"),
        (vec!["search", i, "-p", "zz", "-o", o], "not hex"),
        (vec!["search", i, "-p", "0123456789abcdef0123456789abcdef0", "-o", o], "33 digits"),
        (vec!["search", i, "-p", "", "-o", o], "empty"),
        (vec!["search", i, "-p", "00", "-o", o, "--alphabet", "tabs"], "unknown alphabet"),
        (vec!["search", i, "-p", "00", "-o", o, "--alphabet", "bytes:"], "at least two symbols"),
        (vec!["search", i, "-p", "00", "-o", o, "--threads", "0"], "--threads"),
        (vec!["search", i, "-p", "00"], "-o OUTPUT"),
        (vec!["search", i, "-p", "00", "-o", i], "--in-place"),
        (vec!["search", "-", "-p", "00", "--in-place"], "standard input"),
        (vec!["search", i, "-p", "00", "-o", missing_dir.to_str().unwrap()], "does not exist"),
        (vec!["search", i, "-p", "0123456789abcdef", "-o", o], "--force"),
        (vec!["verify", "missing.txt", "-p", "00"], "cannot read"),
        (vec!["search", i, "--prefix"], "--prefix"),
    ];
    for (args, expected) in cases {
        let assert = ghostsum().args(&args).write_stdin("").assert().failure();
        let err = stderr_line(&assert);
        let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("ghostsum: searching")).collect();
        assert_eq!(lines.len(), 1, "{args:?}: expected one line, got {err:?}");
        assert!(lines[0].contains(expected), "{args:?}: {err:?} lacks {expected:?}");
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{args:?}: {err}");
        assert_eq!(assert.get_output().status.code(), Some(2), "{args:?}");
    }
    assert!(!out.exists());
}

#[test]
fn large_input_is_streamed_in_constant_memory() {
    // A 64 MiB file: peak memory must stay far below the input size.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for _ in 0..64 {
            f.write_all(&block).unwrap();
        }
    }
    let output = dir.path().join("big.out");
    let bin = assert_cmd::cargo::cargo_bin("ghostsum");
    // Python reads the child's peak resident set (ru_maxrss, KiB on Linux).
    let script = r#"
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&bin)
        .args(["search", input.to_str().unwrap(), "-p", "abc", "-o", output.to_str().unwrap(), "-q", "-b", "cpu"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let peak_kib: u64 = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
    assert!(peak_kib < 40 * 1024, "peak memory {peak_kib} KiB for a 64 MiB input");
    assert!(md5sum(&output).starts_with("abc"));
    assert!(std::fs::metadata(&output).unwrap().len() > std::fs::metadata(&input).unwrap().len());
    eprintln!("peak memory {peak_kib} KiB");
}

/// A thread joins a search only when it is expected to give it a chunk of work (issue 19:
/// on 4-digit pages a second thread mostly searched past the hit), and --json says how many
/// searched.
#[test]
fn short_searches_run_on_fewer_threads_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("short.txt");
    std::fs::write(&input, "a short search\n").unwrap();
    let threads = |prefix: &str| {
        let out = dir.path().join(format!("{prefix}.txt"));
        let assert = ghostsum()
            .args([
                "search",
                input.to_str().unwrap(),
                "-p",
                prefix,
                "-b",
                "cpu",
                "-j",
                "4",
                "-o",
                out.to_str().unwrap(),
            ])
            .args(["--json", "-q"])
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
        assert!(md5sum(&out).starts_with(prefix));
        assert_eq!(report["threads"], report["devices"][0]["threads"], "{report}");
        report["threads"].as_u64().unwrap()
    };
    // 65,536 candidates on average: under one chunk of 2^18. 2^20: four chunks. 2^24: all four.
    assert_eq!(threads("abcd"), 1);
    assert_eq!(threads("abcde"), 4);
    assert_eq!(threads("abcdef"), 4);
}
