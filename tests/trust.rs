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
