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
        let out = sh(&format!("cd {} && {} search a.txt -p abc -q -o {output} {redirect}", path_str(d), bin.display()));
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

/// `ghostsum batch MANIFEST --out-dir OUT -q -b cpu EXTRA`, killed after two minutes (a hang
/// then fails on its exit code).
fn batch(manifest: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    ghostsum()
        .args(["batch", path_str(manifest), "--out-dir", path_str(out), "-q", "-b", "cpu"])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .assert()
}

/// One error line containing `expected`, and nothing else said.
fn fails_with(assert: assert_cmd::assert::Assert, expected: &str) {
    let assert = assert.code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(expected), "{err:?} lacks {expected:?}");
}

/// A two-page manifest in `d`: start.txt links to end.txt.
fn two_pages(d: &Path, extra_manifest: &str) -> std::path::PathBuf {
    std::fs::write(d.join("start.txt"), "Start. Next: {{url:end}}\n").unwrap();
    std::fs::write(d.join("end.txt"), "The end. Back: {{url:start}}\n").unwrap();
    let manifest = d.join("m.toml");
    std::fs::write(
        &manifest,
        format!(
            "url = \"https://u.example/{{prefix}}\"\ndigits = 3\n{extra_manifest}[[page]]\nname = \"start\"\nfile = \"start.txt\"\n[[page]]\nname = \"end\"\nfile = \"end.txt\"\n"
        ),
    )
    .unwrap();
    manifest
}

/// The report is an output like the pages: it may not overwrite a source page or the
/// manifest, by name or through a symlink.
#[test]
fn the_batch_report_never_overwrites_a_source_or_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A page whose source is where the report would go (--out-dir is the pages' folder).
    std::fs::create_dir(d.join("pages")).unwrap();
    std::fs::write(d.join("pages/ghostsum-report.json"), "A page named like the report.\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "url = \"https://u/{prefix}\"\ndigits = 2\n[[page]]\nname = \"r\"\nfile = \"pages/ghostsum-report.json\"\n",
    )
    .unwrap();
    fails_with(batch(&d.join("m.toml"), &d.join("pages"), &[]), "the report");
    assert_eq!(
        std::fs::read_to_string(d.join("pages/ghostsum-report.json")).unwrap(),
        "A page named like the report.\n"
    );
    // The report's name a symlink to the manifest.
    let manifest = two_pages(d, "");
    let before = std::fs::read(&manifest).unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    std::os::unix::fs::symlink(&manifest, d.join("out/ghostsum-report.json")).unwrap();
    fails_with(batch(&manifest, &d.join("out"), &[]), "would overwrite the manifest");
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
    assert!(!d.join("out/start.txt").exists(), "a page was searched before the refusal");
}

/// Something other than a regular file where a page goes (a FIFO, a link to /dev/zero, a
/// folder, a file where its folder must be) is refused before any search: never read (a
/// FIFO would block, /dev/zero never ends) and never written into.
#[test]
fn batch_refuses_fifos_devices_and_folders_where_pages_go_before_searching() {
    type MakeInTheWay = fn(&Path);
    let cases: [(&str, MakeInTheWay, &str); 5] = [
        (
            "a FIFO",
            |out| assert!(sh(&format!("mkfifo {}", path_str(&out.join("start.txt")))).status.success()),
            "a FIFO",
        ),
        (
            "/dev/zero",
            |out| std::os::unix::fs::symlink("/dev/zero", out.join("start.txt")).unwrap(),
            "a character device",
        ),
        ("a folder", |out| std::fs::create_dir(out.join("end.txt")).unwrap(), "a folder"),
        (
            "a dangling link",
            |out| std::os::unix::fs::symlink("nowhere", out.join("end.txt")).unwrap(),
            "does not exist",
        ),
        (
            "a FIFO report",
            |out| assert!(sh(&format!("mkfifo {}", path_str(&out.join("ghostsum-report.json")))).status.success()),
            "a FIFO",
        ),
    ];
    for (what, make, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let manifest = two_pages(dir.path(), "");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        make(&out);
        let assert = batch(&manifest, &out, &[]);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert_eq!(assert.get_output().status.code(), Some(2), "{what}: {err}");
        assert!(err.contains(expected) && err.contains("remove it"), "{what}: {err}");
        assert!(!out.join("start.txt").is_file(), "{what}: a page was written before the refusal");
    }
    // A file where a page's folder must be (page 2 of 2): refused before page 1 is searched.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("deep")).unwrap();
    std::fs::write(d.join("a.txt"), "a\n").unwrap();
    std::fs::write(d.join("deep/b.txt"), "b\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "url = \"https://u/{prefix}\"\ndigits = 2\n[[page]]\nname = \"a\"\nfile = \"a.txt\"\n[[page]]\nname = \"b\"\nfile = \"deep/b.txt\"\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    std::fs::write(d.join("out/deep"), "in the way").unwrap();
    fails_with(batch(&d.join("m.toml"), &d.join("out"), &[]), "is a file, not a folder");
    assert!(!d.join("out/a.txt").exists());
}

/// Peak resident memory of a command, in MiB (the kernel's high-water mark, from Python's
/// getrusage of its child).
fn peak_rss_mib(args: &[&str]) -> (i32, u64) {
    let out = Command::new("python3")
        .args([
            "-c",
            "import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\nprint(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        ])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut parts = text.split_whitespace().map(|p| p.parse::<i64>().unwrap());
    let (code, kib) = (parts.next().unwrap() as i32, parts.next().unwrap() as u64);
    (code, kib / 1024)
}

/// Memory stays flat whatever the size of a page or of a leftover output: a 3 GiB sparse
/// leftover is not read into memory to see whether the page is done, and a 256 MiB page is
/// resolved and written streaming.
#[test]
fn batch_memory_does_not_grow_with_pages_or_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let manifest = two_pages(d, "");
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::File::create(out.join("start.txt")).unwrap().set_len(3 << 30).unwrap();
    let bin = bin();
    let args = ["batch", path_str(&manifest), "--out-dir", path_str(&out), "-b", "cpu", "-j", "1", "-q"];
    let (code, mib) = peak_rss_mib(&[&[bin.to_str().unwrap()][..], &args].concat());
    assert_eq!(code, 0);
    assert!(mib < 200, "a 3 GiB leftover output took {mib} MiB");
    assert!(md5sum(&out.join("start.txt")).starts_with(&prefix_in_report(&out, "start")));
    // A 256 MiB page: a placeholder at its start, then zeros.
    let big = d.join("end.txt");
    std::fs::write(&big, "Back: {{url:start}}\n").unwrap();
    let file = std::fs::OpenOptions::new().append(true).open(&big).unwrap();
    file.set_len(256 << 20).unwrap();
    let (code, mib) = peak_rss_mib(&[&[bin.to_str().unwrap()][..], &args].concat());
    assert_eq!(code, 0);
    assert!(mib < 200, "a 256 MiB page took {mib} MiB");
    assert!(md5sum(&out.join("end.txt")).starts_with(&prefix_in_report(&out, "end")));
    assert_eq!(std::fs::metadata(out.join("end.txt")).unwrap().len() / (1 << 20), 256);
}

fn prefix_in_report(out: &Path, page: &str) -> String {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ghostsum-report.json")).unwrap()).unwrap();
    let pages = report["pages"].as_array().unwrap();
    pages.iter().find(|p| p["name"] == page).unwrap()["prefix"].as_str().unwrap().to_string()
}

/// batch estimates as search does: pages that would take more than a day are refused at
/// once, naming the costliest page, unless --force.
#[test]
fn batch_refuses_pages_that_would_take_years_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_pages(dir.path(), "");
    let text = std::fs::read_to_string(&manifest).unwrap().replace("digits = 3", "digits = 16");
    std::fs::write(&manifest, text).unwrap();
    fails_with(batch(&manifest, &dir.path().join("out"), &[]), "pass --force");
    assert!(!dir.path().join("out/start.txt").exists());
}

/// A manifest prefix with blanks or capitals is the prefix searched, and the address.
#[test]
fn manifest_prefixes_are_normalised_into_the_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), "I am {{url:a}}\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "url = \"https://u/{prefix}\"\n[[page]]\nname = \"a\"\nfile = \"a.txt\"\nprefix = \" ABC \"\n",
    )
    .unwrap();
    batch(&d.join("m.toml"), &d.join("out"), &[]).success();
    let text = std::fs::read_to_string(d.join("out/a.txt")).unwrap();
    assert!(text.starts_with("I am https://u/abc\n"), "{text:?}");
    assert!(md5sum(&d.join("out/a.txt")).starts_with("abc"));
    // A page file with a trailing slash names the problem.
    std::fs::write(d.join("m.toml"), "url = \"https://u/{prefix}\"\n[[page]]\nname = \"a\"\nfile = \"a.txt/\"\n")
        .unwrap();
    fails_with(batch(&d.join("m.toml"), &d.join("out2"), &[]), "drop the trailing /");
}

/// The last JSON object a command printed on a stream.
fn last_json(text: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON in {text:?}"));
    serde_json::from_str(line).unwrap()
}

/// --json prints one object whatever the outcome: errors (status "error" with the message),
/// and stops that come outside the search loop (waiting on a FIFO's writer, reading a
/// large input) or whose checkpoint cannot be saved, which still exit 128 + the signal.
#[test]
fn json_reports_every_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // An error: on stdout, with the message; the line on stderr too.
    let out =
        ghostsum().args(["search", "missing.txt", "-p", "abc", "-o", "x", "--json"]).current_dir(d).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report = last_json(&out.stdout);
    assert_eq!(report["status"], "error");
    assert!(report["error"].as_str().unwrap().contains("missing.txt"), "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read missing.txt"));
    // With -o - the report goes to stderr, errors too.
    let out =
        ghostsum().args(["search", "missing.txt", "-p", "abc", "-o", "-", "--json"]).current_dir(d).output().unwrap();
    assert!(out.stdout.is_empty());
    assert_eq!(last_json(&out.stderr)["status"], "error");
    // Stopped while waiting for a FIFO's writer.
    assert!(sh(&format!("mkfifo {}", path_str(&d.join("fifo")))).status.success());
    let stopped = |args: &[&str], ready: &dyn Fn() -> bool| {
        let child = Command::new(bin())
            .args(args)
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(wait_until(Duration::from_secs(30), ready));
        kill(child.id(), "TERM");
        let out = child.wait_with_output().unwrap();
        (out.status.code(), last_json(&out.stdout), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, report, said) = stopped(&["search", "fifo", "-p", "abc", "-o", "o.txt", "--json"], &|| true);
    assert_eq!((code, report["status"].as_str()), (Some(143), Some("stopped")), "{said}");
    assert!(said.contains("SIGTERM: stopped"), "{said}");
    // Stopped while a checkpoint cannot be saved (its folder made read-only under it):
    // still 143, "stopped", and the report says why the progress is lost.
    if root_or_skip("a checkpoint folder that even root cannot write") {
        std::fs::write(d.join("in.txt"), "a search long enough to stop\n").unwrap();
        std::fs::create_dir(d.join("cp")).unwrap();
        let args = [
            "search",
            "in.txt",
            "-p",
            "0123456789",
            "--force",
            "-b",
            "cpu",
            "-j",
            "1",
            "--json",
            "--checkpoint",
            "cp/c.json",
            "--checkpoint-every",
            "3600",
            "-o",
            "o.txt",
        ];
        let cp_dir = d.join("cp");
        let (code, report, said) = stopped(&args, &|| {
            // chattr +i makes the folder unwritable for root too.
            sh(&format!("chattr +i {}", path_str(&cp_dir))).status.success()
        });
        let _ = sh(&format!("chattr -i {}", path_str(&cp_dir)));
        assert_eq!((code, report["status"].as_str()), (Some(143), Some("stopped")), "{said}");
        assert!(report["error"].as_str().is_some_and(|e| e.contains("checkpoint")), "{report}");
        assert!(said.contains("progress is lost"), "{said}");
    }
}

/// Inputs that never end are not kept without bound, and --in-place refuses anything but a
/// regular file before reading a byte of it.
#[test]
fn endless_inputs_are_bounded_and_in_place_refuses_non_files_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ghostsum()
        .args(["search", "/dev/zero", "-p", "ab", "-q", "-o", path_str(&d.join("z"))])
        .env("TMPDIR", d)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("goes on past 1 GiB"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!d.join("z").exists());
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 0, "the spool was left behind");
    // --in-place on a device or a FIFO: refused at once, nothing read (the FIFO's writer keeps its data).
    fails_with(
        ghostsum().args(["search", "/dev/urandom", "-p", "ab", "--in-place"]).timeout(Duration::from_secs(30)).assert(),
        "needs a regular file",
    );
    assert!(sh(&format!("mkfifo {}", path_str(&d.join("f")))).status.success());
    fails_with(
        ghostsum()
            .args(["search", path_str(&d.join("f")), "-p", "ab", "--in-place"])
            .timeout(Duration::from_secs(30))
            .assert(),
        "needs a regular file",
    );
}

/// The Kubernetes recipe delivers SIGTERM: its command, as README gives it, runs as PID 1 of
/// a new PID namespace (as in a pod) and stops cleanly on SIGTERM from outside.
#[test]
fn the_kubernetes_recipe_stops_on_sigterm_as_pid_1() {
    if !root_or_skip("a PID namespace") {
        return;
    }
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let line =
        readme.lines().find(|l| l.trim_start().starts_with("command: [\"ghostsum\"")).expect("the recipe's command");
    let command: Vec<String> = serde_json::from_str(line.trim_start().trim_start_matches("command:").trim()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notes.txt"), dir.path().join("notes.txt"))
        .unwrap();
    let data = path_str(dir.path());
    // As Kubernetes would: $(JOB_COMPLETION_INDEX) expanded, the volume at /data.
    let args: Vec<String> =
        command[1..].iter().map(|a| a.replace("$(JOB_COMPLETION_INDEX)", "3").replace("/data", data)).collect();
    let mut child = Command::new("unshare")
        .args(["--pid", "--fork", "--kill-child"])
        .arg(bin())
        .args(&args)
        .env("JOB_COMPLETION_INDEX", "3")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pid1 = None;
    assert!(wait_until(Duration::from_secs(10), || {
        let out = Command::new("pgrep").args(["-P", &child.id().to_string()]).output().unwrap();
        pid1 = String::from_utf8_lossy(&out.stdout).lines().next().and_then(|l| l.trim().parse::<u32>().ok());
        pid1.is_some()
    }));
    let pid1 = pid1.unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid1}/status")).unwrap();
    assert!(
        status.lines().any(|l| l.starts_with("NSpid:") && l.trim_end().ends_with("\t1")),
        "not PID 1 in its namespace: {status}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    kill(pid1, "TERM");
    let done = wait_until(Duration::from_secs(20), || child.try_wait().unwrap().is_some());
    if !done {
        let _ = child.kill();
    }
    assert!(done, "PID 1 ignored SIGTERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(last_json(&out.stdout)["status"], "stopped");
    assert_eq!(last_json(&out.stdout)["shard"]["index"], 3);
}

/// Outputs that cannot be replaced are found before the search, with the real cause: an
/// immutable or append-only file or folder (chattr), another user's file in a sticky folder.
#[test]
fn outputs_that_cannot_be_replaced_are_named_before_searching() {
    if !root_or_skip("chattr and another user's file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "x\n").unwrap();
    let input = path_str(&d.join("in.txt")).to_string();
    // A 12-digit prefix with --force: were the output not probed first, this would run for days.
    let search = |output: &Path| {
        ghostsum()
            .args(["search", &input, "-p", "0123456789ab", "--force", "-q", "-o", path_str(output)])
            .timeout(Duration::from_secs(60))
            .assert()
    };
    for (flag, expected) in [("+i", "immutable (chattr +i)"), ("+a", "append-only (chattr +a)")] {
        let out = d.join(format!("out{flag}.txt"));
        std::fs::write(&out, "old\n").unwrap();
        if !sh(&format!("chattr {flag} {}", path_str(&out))).status.success() {
            assert!(std::env::var("CI").is_err(), "CI's file system must support chattr");
            eprintln!("skipped: chattr {flag} is not supported here");
            return;
        }
        let assert = search(&out);
        let _ = sh(&format!("chattr -{} {}", &flag[1..], path_str(&out)));
        fails_with(assert, expected);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
    }
    let folder = d.join("locked");
    std::fs::create_dir(&folder).unwrap();
    assert!(sh(&format!("chattr +i {}", path_str(&folder))).status.success());
    let assert = search(&folder.join("new.txt"));
    let _ = sh(&format!("chattr -i {}", path_str(&folder)));
    fails_with(assert, "its folder");
    // Another user's file in a sticky folder, replaced by a third user.
    let sticky = d.join("shared");
    std::fs::create_dir(&sticky).unwrap();
    assert!(sh(&format!("chmod 1777 {0} && chmod 755 {1} && echo theirs > {0}/f.txt && chown nobody {0}/f.txt && chmod 666 {0}/f.txt && chmod 644 {2}", path_str(&sticky), path_str(d), input)).status.success());
    let out = Command::new("setpriv")
        .args(["--reuid", "daemon", "--regid", "daemon", "--clear-groups"])
        .arg(bin())
        .args(["search", &input, "-p", "0123456789ab", "--force", "-q", "-o", &format!("{}/f.txt", path_str(&sticky))])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("sticky folder"), "{err}");
}

/// A checkpoint that is valid JSON but not one this search could have written is refused
/// with one line: a suffix length it never reaches, an index past its candidates.
#[test]
fn checkpoints_are_checked_against_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "x\n").unwrap();
    let run = || {
        ghostsum()
            .args(["search", "in.txt", "-p", "abc", "-q", "-o", "out.txt", "--checkpoint", "cp.json"])
            .current_dir(d)
            .timeout(Duration::from_secs(60))
            .assert()
    };
    // A real checkpoint to start from: a stopped search's.
    let identity = serde_json::json!({
        "format": 1, "input_md5": md5sum(&d.join("in.txt")), "input_len": 2, "prefix": "abc",
        "alphabet": "space-tab-lf", "shard": null, "fast_layout": false,
    });
    let mut suffix_len = None;
    for len in 1..40 {
        let mut cp = identity.clone();
        cp["suffix_len"] = len.into();
        cp["next_index"] = "0".into();
        std::fs::write(d.join("cp.json"), cp.to_string()).unwrap();
        if run().get_output().status.success() {
            suffix_len = Some(len);
            break;
        }
    }
    let planned = suffix_len.expect("some suffix length is the plan's") as u64;
    let keyspace = 3u128.pow(planned as u32);
    for (len, next, expected) in [
        (200u64, "0".to_string(), "suffix_len 200"),
        (100000, "0".to_string(), "suffix_len 100000"),
        (u64::MAX, "0".to_string(), "suffix_len 18446744073709551615"),
        (planned, (keyspace + 1).to_string(), "past the last candidate"),
    ] {
        let mut cp = identity.clone();
        cp["suffix_len"] = len.into();
        cp["next_index"] = next.into();
        std::fs::write(d.join("cp.json"), cp.to_string()).unwrap();
        let _ = std::fs::remove_file(d.join("out.txt"));
        fails_with(run(), expected);
        assert!(!d.join("out.txt").exists(), "{len} {expected}: written anyway");
    }
}

/// README's odds of a shard holding no hit (exit 3) are the real ones: e^(-slice / 2^bits),
/// checked over 64 shards of a 4-digit search.
#[test]
fn shards_exit_3_as_often_as_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(&input, "abc\n").unwrap();
    let n = 64;
    let mut empty = 0;
    let mut slice = 0.0;
    for i in 0..n {
        let out = ghostsum()
            .args(["search", path_str(&input), "-p", "0ddb", "-b", "cpu", "-j", "1", "-q", "--json", "-o", "/dev/null"])
            .args(["--shard", &format!("{i}/{n}")])
            .output()
            .unwrap();
        let report = last_json(&out.stdout);
        slice = (report["shard"]["end"].as_f64().unwrap() - report["shard"]["start"].as_f64().unwrap()).max(slice);
        match out.status.code() {
            Some(3) => empty += 1,
            Some(0) => {}
            other => panic!("shard {i}: {other:?}"),
        }
    }
    let odds = (-slice / 65536.0).exp();
    let expected = n as f64 * odds;
    let spread = 4.0 * (n as f64 * odds * (1.0 - odds)).sqrt() + 2.0;
    assert!(
        (empty as f64 - expected).abs() < spread,
        "{empty} of {n} shards held no hit; the formula says {expected:.1}"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("e^(−K/(N·2^bits))") && !readme.contains("(rare: each slice"));
}

/// The low items: each a clear one-line error, not a file made by mistake, a panic, a hang or
/// a raw system message.
#[test]
fn low_edges_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.txt"), "x\n").unwrap();
    let in_txt = path_str(&d.join("in.txt")).to_string();
    let one_line = |args: &[&str], expected: &str| {
        fails_with(ghostsum().args(args).current_dir(d).timeout(Duration::from_secs(60)).assert(), expected)
    };
    // -o newname/ names a folder that is not there: no file "newname" appears.
    one_line(&["search", &in_txt, "-p", "ab", "-o", "newname/"], "ending in / is a folder");
    assert!(!d.join("newname").exists());
    // bench sizes past memory: an error, not a panic (101) or an abort (134).
    one_line(&["bench", "--content-bytes", "18446744073709551615"], "more than 1073741824");
    one_line(&["bench", "--content-bytes", "10000000000"], "more than 1073741824");
    // A symlink loop gets a hint.
    std::os::unix::fs::symlink("loop-b", d.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", d.join("loop-b")).unwrap();
    one_line(&["search", "loop-a", "-p", "ab", "-o", "o.txt"], "lead in a circle");
    // --adapter with adapters named by number has nothing to narrow.
    one_line(
        &["search", &in_txt, "-p", "ab", "-o", "o.txt", "-b", "gpu:0", "--adapter", "xyz"],
        "names adapters by number",
    );
    // verify cannot read standard input twice.
    one_line(&["verify", "-", "-p", "ab", "--original", "-"], "both standard input");
    // A dangling --out-dir.
    std::os::unix::fs::symlink("nowhere", d.join("gone")).unwrap();
    std::fs::write(d.join("m.toml"), "url = \"https://u/{prefix}\"\n[[page]]\nname = \"a\"\nfile = \"in.txt\"\n")
        .unwrap();
    one_line(&["batch", "m.toml", "--out-dir", "gone", "-b", "cpu"], "which does not exist");
    // --json with standard output closed: refused before searching, nothing written.
    let out = sh(&format!("cd {} && {} search in.txt -p abc -o o.txt --json >&-", path_str(d), bin().display()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--json writes its report to standard output, which is closed")
    );
    assert!(!d.join("o.txt").exists());
    // Standard output full: the reason in words, not "(os error 28)".
    let out = sh(&format!("{} verify {in_txt} -p ab > /dev/full", bin().display()));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("no space left on the device") && !err.contains("os error"), "{err}");
    // --help and --version too: an error, not a silent exit 0.
    for flag in ["--help", "--version", "search --help"] {
        let out = sh(&format!("{} {flag} > /dev/full", bin().display()));
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains("cannot write to standard output: no space left"), "{flag}: {err}");
    }
    let out = sh(&format!("{} --help | head -c 1 >/dev/null", bin().display()));
    assert!(out.status.success());
}

/// A reader that leaves `-o /dev/stdout` or `-o FIFO` ends the command as it ends `-o -`:
/// quietly, with 141.
#[test]
fn readers_leaving_a_fifo_or_dev_stdout_end_with_141() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("big.txt"), "y\n".repeat(4 << 20)).unwrap();
    assert!(sh(&format!("mkfifo {}", path_str(&d.join("fifo")))).status.success());
    let bin = bin();
    for (output, reader) in
        [("/dev/stdout", "| head -c 1 > /dev/null"), ("fifo", "& head -c 1 fifo > /dev/null; wait $!")]
    {
        let script = format!(
            "cd {} && set -o pipefail; {} search big.txt -p ab -q -o {output} {reader}; echo \"status=${{PIPESTATUS[0]}} $?\"",
            path_str(d),
            bin.display()
        );
        let out = sh(&script);
        let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("141"), "{output}: {said}");
        assert!(!said.contains("Broken pipe"), "{output}: {said}");
    }
}

/// verify escapes a file name as md5sum does, so one file stays one line.
#[test]
fn verify_escapes_names_as_md5sum_does() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("two\nlines.txt");
    std::fs::write(&name, "x\n").unwrap();
    let out = ghostsum().args(["verify", path_str(&name), "-p", "0"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let md5sum_line = String::from_utf8(Command::new("md5sum").arg(&name).output().unwrap().stdout).unwrap();
    assert_eq!(text.lines().next().unwrap(), md5sum_line.trim_end(), "{text}");
    assert!(text.lines().all(|l| !l.starts_with("lines.txt")), "{text}");
    // A name that is not UTF-8 (Latin-1 "café"): its bytes as they are, so `md5sum -c` on
    // verify's first line finds the file (issue 29 item 12).
    use std::os::unix::ffi::OsStrExt;
    let latin1 = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&latin1, "x\n").unwrap();
    let out = ghostsum().arg("verify").arg(&latin1).args(["-p", "0"]).output().unwrap();
    let first_line = out.stdout.split(|&b| b == b'\n').next().unwrap().to_vec();
    let md5sum_line = Command::new("md5sum").arg(&latin1).output().unwrap().stdout;
    assert_eq!(first_line, md5sum_line.strip_suffix(b"\n").unwrap());
    let check = dir.path().join("sums");
    std::fs::write(&check, [first_line, b"\n".to_vec()].concat()).unwrap();
    let checked = Command::new("md5sum").arg("-c").arg(&check).output().unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
}

/// man --dir writes whole pages, never through a symlink or into a FIFO.
#[test]
fn man_pages_are_written_whole_and_never_through_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ghostsum().args(["man", "--dir", path_str(d)]).assert().success();
    assert!(std::fs::metadata(d.join("ghostsum-search.1")).unwrap().len() > 1000);
    std::fs::write(d.join("precious"), "mine\n").unwrap();
    std::fs::remove_file(d.join("ghostsum.1")).unwrap();
    std::os::unix::fs::symlink(d.join("precious"), d.join("ghostsum.1")).unwrap();
    fails_with(ghostsum().args(["man", "--dir", path_str(d)]).timeout(Duration::from_secs(30)).assert(), "a symlink");
    assert_eq!(std::fs::read_to_string(d.join("precious")).unwrap(), "mine\n");
    std::fs::remove_file(d.join("ghostsum.1")).unwrap();
    assert!(sh(&format!("mkfifo {}", path_str(&d.join("ghostsum.1")))).status.success());
    fails_with(ghostsum().args(["man", "--dir", path_str(d)]).timeout(Duration::from_secs(30)).assert(), "a FIFO");
}

/// An input that already has the prefix, searched as a shard: the report names the shard.
#[test]
fn an_unchanged_input_reports_its_shard() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x\n").unwrap();
    let first = md5sum(&input)[..1].to_string();
    let out = ghostsum()
        .args(["search", path_str(&input), "-p", &first, "--shard", "2/4", "-q", "--json", "-o", "/dev/null"])
        .output()
        .unwrap();
    let report = last_json(&out.stdout);
    assert_eq!(report["unchanged"], true);
    assert_eq!((report["shard"]["index"].as_u64(), report["shard"]["count"].as_u64()), (Some(2), Some(4)), "{report}");
}

/// verify --original reads the file's rest streaming: a 1 GiB sparse file costs no memory.
#[test]
fn verify_memory_does_not_grow_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("sparse");
    std::fs::File::create(&big).unwrap().set_len(1 << 30).unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let bin = bin();
    let args = [bin.to_str().unwrap(), "verify", path_str(&big), "-p", "ab", "--original", path_str(&empty)];
    let (code, mib) = peak_rss_mib(&args);
    assert_eq!(code, 1);
    assert!(mib < 200, "verify took {mib} MiB");
}

/// In a folder whose absolute path is longer than PATH_MAX (where getcwd fails and `cp`
/// with short names works), search, --in-place through a symlink, checkpoints, verify and
/// batch all work with short relative names, leave no temporary file, and still refuse an
/// output that is the input or a page that leads outside the manifest's folder.
#[test]
fn folders_deeper_than_path_max_work_where_cp_works() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        r#"set -e
        G={bin}
        cd {top}
        for i in $(seq 25); do mkdir {level}; cd {level}; done
        [ "$(pwd | wc -c)" -gt 4096 ]
        printf 'abc\n' > a.txt
        cp a.txt b.txt
        ln -s b.txt link
        $G search a.txt -p ab -q -o out.txt
        $G search a.txt -p abc -q -o out.txt
        $G search link -p abc -q --in-place
        [ -L link ]
        $G verify b.txt -p abc | grep -q '^b.txt: OK (prefix abc)$' || exit 12
        $G search a.txt -p ab0 -q --checkpoint cp.json -o out2.txt
        $G search b.txt -p ab -q -o link 2>&1 | grep -q 'is the input itself' || exit 9
        mkdir site
        cp a.txt site/page.txt
        printf 'url = "https://u/{{prefix}}"\n[[page]]\nname = "p"\nfile = "page.txt"\nprefix = "ab1"\n' > site/m.toml
        $G batch site/m.toml --out-dir pages -q > /dev/null
        ln -s ../a.txt site/outside.txt
        printf '[[page]]\nname = "o"\nfile = "outside.txt"\n' >> site/m.toml
        $G batch site/m.toml --out-dir pages -q 2>&1 | grep -q 'leads outside the manifest' || exit 10
        md5sum out.txt b.txt out2.txt pages/page.txt
        ls -A . site pages | grep '^\.ghostsum-' && exit 11
        true"#,
        bin = bin().display(),
        top = path_str(dir.path()),
        level = "d".repeat(200),
    );
    let out = sh(&script);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status.code());
    let sums: Vec<(String, String)> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| (l[..32].to_string(), l[34..].to_string())).collect();
    let wanted = [("out.txt", "abc"), ("b.txt", "abc"), ("out2.txt", "ab0"), ("pages/page.txt", "ab1")];
    assert_eq!(sums.len(), wanted.len(), "{sums:?}");
    for ((sum, name), (file, prefix)) in sums.iter().zip(wanted) {
        assert_eq!(name, file);
        assert!(sum.starts_with(prefix), "{file}: {sum} does not start with {prefix}");
    }
}

/// A manifest and a checkpoint are read whole, so they are read with a bound: `/dev/zero` as
/// the manifest is refused at once, and a 3 GiB file as either is refused without being
/// read (issue 29, items 1 and 3).
#[test]
fn manifests_and_checkpoints_are_read_with_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bin = bin();
    let zero = ghostsum()
        .args(["batch", "/dev/zero", "--out-dir", path_str(&d.join("out"))])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(2));
    let err = String::from_utf8_lossy(&zero.stderr).to_string();
    assert!(err.contains("manifest /dev/zero is a device, not a file") && err.lines().count() == 1, "{err}");
    let big = d.join("big.toml");
    std::fs::File::create(&big).unwrap().set_len(3 << 30).unwrap();
    let (code, mib) =
        peak_rss_mib(&[bin.to_str().unwrap(), "batch", path_str(&big), "--out-dir", path_str(&d.join("out"))]);
    assert_eq!(code, 2);
    assert!(mib < 200, "a 3 GiB manifest took {mib} MiB");
    let out =
        Command::new(&bin).args(["batch", path_str(&big), "--out-dir", path_str(&d.join("out"))]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is more than 64 MiB"));
    let (input, output) = (d.join("in.txt"), d.join("o.txt"));
    std::fs::write(&input, "x\n").unwrap();
    let checkpoint = d.join("big.ck");
    std::fs::File::create(&checkpoint).unwrap().set_len(3 << 30).unwrap();
    let args = [
        bin.to_str().unwrap(),
        "search",
        path_str(&input),
        "-p",
        "abcdef",
        "-o",
        path_str(&output),
        "--checkpoint",
        path_str(&checkpoint),
    ];
    let (code, mib) = peak_rss_mib(&args);
    assert_eq!(code, 2);
    assert!(mib < 200, "a 3 GiB checkpoint took {mib} MiB");
    let out = Command::new(&bin).args(&args[1..]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("checkpoint") && err.contains("is more than 1 MiB"), "{err}");
    assert_eq!(std::fs::metadata(&checkpoint).unwrap().len(), 3 << 30, "left as it was");
}

/// "More than a day in all" counts every page: 40,000 pages of 8 digits take days on one
/// thread, though none takes a day alone (issue 29 item 4).
#[test]
fn a_batch_of_many_short_pages_that_takes_days_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut manifest = String::from("url = \"https://u.example/{prefix}\"\ndigits = 8\nseed = 1\n");
    for n in 0..40_000 {
        std::fs::write(d.join(format!("p{n}.txt")), format!("page {n}\n")).unwrap();
        manifest += &format!("[[page]]\nname = \"p{n}\"\nfile = \"p{n}.txt\"\n");
    }
    std::fs::write(d.join("m.toml"), manifest).unwrap();
    let out = ghostsum()
        .args(["batch", "m.toml", "--out-dir", "out", "-b", "cpu", "-j", "1", "-q"])
        .current_dir(d)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the 40000 pages take about") && err.contains("pass --force"), "{err}");
    assert!(!d.join("out/p0.txt").exists(), "refused before any search");
}

/// `search -o - --json | head -c 10`: the reader goes away mid-write; the exit is 141 and the
/// report still comes, on stderr, where --json puts it with -o - (issue 29 item 6).
#[test]
fn a_reader_that_leaves_early_still_gets_the_json_report_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.txt");
    // Larger than a pipe's buffer, so the write meets the closed pipe.
    std::fs::write(&input, "a line of text\n".repeat(100_000)).unwrap();
    let out = sh(&format!(
        "{} search {} -p ab -b cpu -q -o - --json 2>{}/err | head -c 10 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        bin().display(),
        path_str(&input),
        path_str(dir.path())
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "141");
    let err = std::fs::read_to_string(dir.path().join("err")).unwrap();
    let report: serde_json::Value =
        serde_json::from_str(err.lines().find(|l| l.starts_with('{')).expect(&err)).unwrap();
    assert_eq!(report["status"], "reader_gone", "{err}");
}

/// `batch --json` gives one object on stdout whatever the outcome, as search does: an error,
/// a stop, and --collect with a page missing (issue 29 item 5).
#[test]
fn batch_json_reports_every_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = ghostsum().args(["batch", "missing.toml", "--out-dir", "out", "--json"]).current_dir(d).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report = last_json(&out.stdout);
    assert_eq!(report["status"], "error");
    assert!(report["error"].as_str().unwrap().contains("missing.toml"), "{report}");
    let manifest = two_pages(d, "");
    let out = ghostsum()
        .args(["batch", path_str(&manifest), "--out-dir", path_str(&d.join("out")), "--collect", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = last_json(&out.stdout);
    assert_eq!(report["status"], "missing");
    assert!(report["error"].as_str().unwrap().contains("'start'"), "{report}");
    let done = ghostsum()
        .args(["batch", path_str(&manifest), "--out-dir", path_str(&d.join("out")), "-b", "cpu", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["status"], "done");
    // Stopped by SIGTERM in the middle of a page of 9 digits.
    let text = std::fs::read_to_string(&manifest).unwrap().replace("digits = 3", "digits = 9");
    std::fs::write(&manifest, text).unwrap();
    let child = Command::new(bin())
        .args(["batch", path_str(&manifest), "--out-dir", path_str(&d.join("out9")), "-b", "cpu", "--json", "--force"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    kill(child.id(), "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", String::from_utf8_lossy(&out.stderr));
    let report = last_json(&out.stdout);
    assert_eq!(report["status"], "stopped", "{report}");
}

/// What a batch will write is checked before it searches: an immutable page or report is
/// named with its attribute, and a page folder that is a dangling symlink is named as one
/// (issue 29 items 7 and 14).
#[test]
fn batch_names_immutable_outputs_and_dangling_folders_before_searching() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/a.txt"), "page a\n").unwrap();
    std::fs::write(
        d.join("m.toml"),
        "url = \"https://x/{prefix}\"\ndigits = 3\n[[page]]\nname = \"a\"\nfile = \"sub/a.txt\"\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    std::os::unix::fs::symlink("/nonexistent-ghostsum-folder", d.join("out/sub")).unwrap();
    let run = || ghostsum().args(["batch", "m.toml", "--out-dir", "out", "-b", "cpu"]).current_dir(d).output().unwrap();
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("out/sub is a symlink to /nonexistent-ghostsum-folder, which does not exist"), "{err}");
    std::fs::remove_file(d.join("out/sub")).unwrap();
    assert!(run().status.success());
    if !root_or_skip("chattr +i") {
        return;
    }
    // The page changes, so it must be searched again; its old output is immutable.
    std::fs::write(d.join("sub/a.txt"), "page a, changed\n").unwrap();
    let page = d.join("out/sub/a.txt");
    if !sh(&format!("chattr +i {}", path_str(&page))).status.success() {
        eprintln!("skipped: this file system has no chattr +i");
        return;
    }
    let out = run();
    let _ = sh(&format!("chattr -i {}", path_str(&page)));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("page 'a'") && err.contains("immutable (chattr +i)"), "{err}");
    assert!(!err.contains("[1/1]"), "refused before the search: {err}");
    // The report too.
    let report = d.join("out/ghostsum-report.json");
    assert!(sh(&format!("chattr +a {}", path_str(&report))).status.success());
    let out = run();
    let _ = sh(&format!("chattr -a {}", path_str(&report)));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("append-only (chattr +a)") && !err.contains("[1/1]"), "{err}");
}

/// A page name with blanks around it could never be named by a placeholder (they trim):
/// refused, with the name to write (issue 29 item 15).
#[test]
fn page_names_with_blanks_around_them_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_pages(dir.path(), "");
    let text = std::fs::read_to_string(&manifest).unwrap().replace("name = \"end\"", "name = \" end\"");
    std::fs::write(&manifest, text).unwrap();
    fails_with(batch(&manifest, &dir.path().join("out"), &[]), "page name ' end' has blanks around it");
}

/// `-o /dev/fd/3 3</tmp`: the descriptor is open on a folder; said as cat says it, before
/// the search, not "Bad file descriptor" after it (issue 29 item 17).
#[test]
fn a_descriptor_open_on_a_folder_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x\n").unwrap();
    let out =
        sh(&format!("{} search {} -p ab -o /dev/fd/3 3<{}", bin().display(), path_str(&input), path_str(dir.path())));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("descriptor 3 is open on a folder (is a directory)"), "{err}");
}

/// The image runs as its own user, asks for no GPU (the runtime is asked where the container
/// starts), and the Kubernetes recipes run it as that user (issue 29 item 10). Checked in
/// the files themselves: CI has no container engine to build the image.
#[test]
fn the_image_runs_unprivileged_and_asks_for_no_gpu() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let containerfile = std::fs::read_to_string(root.join("Containerfile")).unwrap();
    let runtime = &containerfile[containerfile.rfind("\nFROM ").unwrap()..];
    let user = runtime.lines().find(|l| l.starts_with("USER ")).expect("the runtime stage names a USER");
    let uid = user["USER ".len()..].split(':').next().unwrap().trim();
    assert!(uid != "0" && uid != "root", "{user}");
    assert!(!containerfile.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("NVIDIA_VISIBLE_DEVICES")));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for yaml in ["ghostsum-batch.yaml", "ghostsum-collect.yaml"] {
        let text = std::fs::read_to_string(root.join("examples/kubernetes").join(yaml)).unwrap();
        assert!(text.contains(&format!("runAsUser: {uid}")) && text.contains("runAsNonRoot: true"), "{yaml}");
    }
    assert!(readme.contains(&format!("runAsUser: {uid}")), "README's search Job runs as the image's user");
}
