//! The second trust pass (issue 16): results written into descriptors the shell opened,
//! inputs that change or never end, reports and leftovers that are not what they seem.
#![cfg(unix)]

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `-o /dev/stdout` and `-o /dev/fd/N` write into the descriptor the shell opened: `>>`
/// keeps what the file held, and a file opened read-write (`3<>`) ends where the result ends,
/// so its MD5 is the one found (a reopened path would overwrite a log's first bytes, or keep
/// a longer file's stale tail).
#[test]
fn descriptors_are_written_as_the_shell_opened_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), "hello\n").unwrap();
    let bin = bin();
    let run = |redirect: &str, output: &str| {
        let out = sh(&format!(
            "cd {} && {} search a.txt -p abc -q -o {output} {redirect}",
            path_str(d),
            bin.display()
        ));
        assert!(out.status.success(), "{output} {redirect}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let result = {
        run("> result", "/dev/stdout");
        std::fs::read(d.join("result")).unwrap()
    };
    assert!(md5sum(&d.join("result")).starts_with("abc"));
    for output in ["/dev/stdout", "-"] {
        std::fs::write(d.join("log"), "previous log line, must stay\n").unwrap();
        run(">> log", output);
        let log = std::fs::read(d.join("log")).unwrap();
        assert_eq!(log, [&b"previous log line, must stay\n"[..], &result].concat(), "{output} >> log");
    }
    for (output, redirect) in [("/dev/fd/3", "3<> big.txt"), ("/dev/stdout", "1<> big.txt"), ("-", "1<> big.txt")] {
        std::fs::write(d.join("big.txt"), "x".repeat(5000)).unwrap();
        run(redirect, output);
        assert_eq!(std::fs::read(d.join("big.txt")).unwrap(), result, "{output} {redirect}: a stale tail is left");
    }
    // The descriptor's own offset is kept: `{ echo head; ghostsum ... -o /dev/stdout; } > f`.
    let out = sh(&format!(
        "cd {} && {{ echo head; {} search a.txt -p abc -q -o /dev/stdout; echo tail; }} > both",
        path_str(d),
        bin.display()
    ));
    assert!(out.status.success());
    assert_eq!(std::fs::read(d.join("both")).unwrap(), [&b"head\n"[..], &result, b"tail\n"].concat());
}

/// A regular input that changes during the search: nothing reaches a pipe reader (the result
/// is copied aside and re-hashed before any of it goes out), and the error says so.
#[test]
fn an_input_that_changes_during_the_search_sends_nothing_down_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.txt");
    std::fs::write(&input, "the input that will change\n").unwrap();
    let received = dir.path().join("received");
    // Prefix 2222222 is found at candidate 356,785,642 with this alphabet: about a second on
    // two cores, so the search is still running when it is paused.
    let mut child = Command::new("bash")
        .args([
            "-c",
            &format!(
                "set -o pipefail; {} search {} -p 2222222 --alphabet space-tab --progress-every 0.1 -o - | cat > {}",
                bin().display(),
                path_str(&input),
                path_str(&received)
            ),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let first = lines_rx.recv_timeout(Duration::from_secs(60)).expect("ghostsum says it is searching");
    assert!(first.contains("searching on"), "{first}");
    // Paused, changed in place (same inode, same length), resumed.
    let pid = ghostsum_pid_under(child.id());
    kill(pid, "STOP");
    std::fs::write(&input, "THE input that will change\n").unwrap();
    kill(pid, "CONT");
    let status = child.wait().unwrap();
    let said: Vec<String> = lines_rx.try_iter().collect();
    let said = said.join("\n");
    assert!(!status.success());
    assert!(said.contains("changed while ghostsum was searching; nothing was written"), "{said}");
    assert_eq!(std::fs::read(&received).unwrap(), b"", "the reader got bytes of a wrong result");
}

/// The ghostsum process a `bash -c 'ghostsum ... | cat'` started.
fn ghostsum_pid_under(shell: u32) -> u32 {
    let mut found = None;
    assert!(wait_until(Duration::from_secs(10), || {
        let out = Command::new("pgrep").args(["-P", &shell.to_string(), "ghostsum"]).output().unwrap();
        found = String::from_utf8_lossy(&out.stdout).lines().next().and_then(|l| l.trim().parse().ok());
        found.is_some()
    }));
    found.unwrap()
}
