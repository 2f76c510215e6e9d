//! git's own addresses, checked by git itself (issue 30): `--hash` against sha1sum,
//! sha256sum and Python's hashlib; `--git-object blob` against `git hash-object`, `git show`
//! and `git fsck --strict` in SHA-1 and SHA-256 repositories; `ghostsum git-commit` against
//! `git log`, `git cat-file`, the reflog, the index and the working tree, and its refusals.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// `git -C DIR ARGS`, which must succeed; its output, trimmed.
fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_raw(dir, args)).trim().to_string()
}

/// `git -C DIR ARGS`, which must succeed; its output's bytes.
fn git_raw(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git is installed");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A repository with two commits, in `format` (sha1 or sha256), and a dirty index and tree.
fn repo(dir: &Path, format: &str, message: &str) {
    git(dir, &["init", "-q", &format!("--object-format={format}"), "."]);
    git(dir, &["config", "user.name", "Ada"]);
    git(dir, &["config", "user.email", "ada@example.com"]);
    std::fs::write(dir.join("a.txt"), "one\n").unwrap();
    git(dir, &["add", "a.txt"]);
    git(dir, &["commit", "-q", "-m", "first"]);
    std::fs::write(dir.join("a.txt"), "one\ntwo\n").unwrap();
    git(dir, &["commit", "-q", "-a", "-m", message]);
    // Staged and unstaged changes that git-commit must leave as they are.
    std::fs::write(dir.join("a.txt"), "one\ntwo\nstaged\n").unwrap();
    git(dir, &["add", "a.txt"]);
    std::fs::write(dir.join("a.txt"), "one\ntwo\nstaged\nunstaged\n").unwrap();
}

/// The digest `program` (sha1sum, sha256sum) prints for `path`.
fn sum(program: &str, path: &Path) -> String {
    let out = Command::new(program).arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

fn hashlib(name: &str, path: &Path) -> String {
    let code = format!("import hashlib,sys; print(hashlib.{name}(open(sys.argv[1],'rb').read()).hexdigest())");
    let out = Command::new("python3").args(["-c", &code]).arg(path).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn starts_with_pattern(hex: &str, pattern: &str) -> bool {
    hex.len() >= pattern.len() && hex.bytes().zip(pattern.bytes()).all(|(h, p)| p == b'_' || h == p)
}

#[test]
fn hash_sha1_and_sha256_are_the_sum_programs_digests() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notes.txt");
    std::fs::write(&input, "Some notes.\nA second line.\n").unwrap();
    for (hash, program, lib, prefix) in [
        ("sha1", "sha1sum", "sha1", "c0ffee"),
        ("sha256", "sha256sum", "sha256", "c0_fee"),
        ("md5", "md5sum", "md5", "_abcd"),
    ] {
        let out = dir.path().join(format!("notes.{hash}.txt"));
        let run = ghostsum()
            .args(["search", "--json", "-b", "cpu", "--hash", hash, "-p", prefix, "-o"])
            .arg(&out)
            .arg(&input)
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
        let digest = sum(program, &out);
        // The report names the hash and its digest; `md5` is there for MD5 only.
        assert_eq!((report["hashed_as"].as_str(), report["digest"].as_str()), (Some(hash), Some(digest.as_str())));
        assert_eq!(report["md5"].as_str(), (hash == "md5").then_some(digest.as_str()));
        // The device names the one kernel chosen for the hash (SHA-NI or lanes, measured), not
        // every kernel that might have run.
        let device = report["device"].as_str().unwrap();
        assert!(device.starts_with("cpu (") && !device.contains('/'), "{device}");
        assert!(starts_with_pattern(&digest, prefix), "{program}: {digest}");
        assert_eq!(hashlib(lib, &out), digest);
        ghostsum().args(["verify", "-q", "--hash", hash, "-p", prefix]).arg(&out).assert().success();
        // The same file is not an MD5 (or SHA-1) hit too: verify checks the hash it is told.
        let other = if hash == "sha1" { "sha256" } else { "sha1" };
        ghostsum().args(["verify", "-q", "--hash", other, "-p", "c0ffee0"]).arg(&out).assert().code(1);
    }
}

#[test]
fn a_prefix_longer_than_the_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(&input, "a\n").unwrap();
    let out = dir.path().join("b.txt");
    let long = "a".repeat(41);
    let said = ghostsum().args(["search", "--hash", "sha1", "-p", &long, "-o"]).arg(&out).arg(&input).assert().code(2);
    let stderr = String::from_utf8_lossy(&said.get_output().stderr).to_string();
    assert!(stderr.contains("41 digits") && stderr.contains("at most 40"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn blobs_get_the_id_git_gives_them_and_git_finds_them_by_it() {
    for format in ["sha1", "sha256"] {
        let dir = tempfile::tempdir().unwrap();
        let repo_dir = dir.path();
        git(repo_dir, &["init", "-q", &format!("--object-format={format}"), "."]);
        // Sizes around 999/1000 bytes: the header's length gains a digit there.
        for (name, len, prefix) in [("small.md", 30, "c0ffee1"), ("edge.txt", 985, "beef_1")] {
            let text: String =
                (0..len).map(|i| if i % 40 == 39 { '\n' } else { (b'a' + (i % 26) as u8) as char }).collect();
            let input = dir.path().join(format!("in-{name}"));
            std::fs::write(&input, text + "\n").unwrap();
            let out = repo_dir.join(name);
            ghostsum()
                .args([
                    "search",
                    "-q",
                    "-b",
                    "cpu",
                    "--git-object",
                    "blob",
                    "--object-format",
                    format,
                    "-p",
                    prefix,
                    "-o",
                ])
                .arg(&out)
                .arg(&input)
                .assert()
                .success();
            let id = git(repo_dir, &["hash-object", name]);
            assert!(starts_with_pattern(&id, prefix), "{format} {name}: {id}");
            ghostsum()
                .args(["verify", "-q", "--git-object", "blob", "--object-format", format, "-p", prefix])
                .arg(&out)
                .assert()
                .success();
            git(repo_dir, &["add", name]);
        }
        git(repo_dir, &["-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "pages"]);
        git(repo_dir, &["fsck", "--strict"]);
        // Found by their short ids (7 fixed digits) as a person would ask git.
        let file = std::fs::read(repo_dir.join("small.md")).unwrap();
        assert_eq!(git_raw(repo_dir, &["show", "c0ffee1"]), file);
        assert_eq!(git_raw(repo_dir, &["cat-file", "-p", "c0ffee1"]), file);
        let listed = git(repo_dir, &["ls-tree", "HEAD", "small.md"]);
        assert!(listed.contains(" blob c0ffee1"), "{listed}");
    }
}

/// What git-commit must leave as it was: the tree, parents, author, committer, the index,
/// the working tree.
fn unchanged_parts(dir: &Path) -> Vec<String> {
    vec![
        git(dir, &["log", "-1", "--format=%T %P%n%an <%ae> %ad%n%cn <%ce> %cd"]),
        git(dir, &["diff", "--cached"]),
        git(dir, &["diff"]),
        git(dir, &["status", "--porcelain"]),
    ]
}

#[test]
fn git_commit_gives_head_its_id_and_changes_nothing_else() {
    for format in ["sha1", "sha256"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // The message names the id it will get.
        repo(d, format, "Release c0ffee1\n\nThis commit's id starts with c0ffee1.");
        let old = git(d, &["rev-parse", "HEAD"]);
        let before = unchanged_parts(d);
        let message_before = git(d, &["log", "-1", "--format=%B"]);
        // SHA-1 prints the new id; SHA-256 asks for the JSON report instead.
        let report_flag = if format == "sha1" { "-q" } else { "--json" };
        let out = ghostsum().args(["git-commit", report_flag, "-p", "c0ffee1", "-C"]).arg(d).assert().success();
        let printed = String::from_utf8_lossy(&out.get_output().stdout).trim().to_string();
        let new = git(d, &["log", "-1", "--format=%H"]);
        if format == "sha1" {
            assert_eq!(printed, new);
        } else {
            let report: serde_json::Value = serde_json::from_str(&printed).unwrap();
            assert_eq!(report["status"], "found", "{printed}");
            assert_eq!((report["old"].as_str(), report["new"].as_str()), (Some(old.as_str()), Some(new.as_str())));
            assert_eq!(report["hashed_as"], "git-commit-sha256");
            assert!(report["suffix_len"].as_u64().unwrap() > 0 && report["candidates_tested"].as_u64().unwrap() > 0);
        }
        assert!(new.starts_with("c0ffee1") && new.len() == if format == "sha1" { 40 } else { 64 }, "{new}");
        assert_eq!(unchanged_parts(d), before, "{format}");
        // The message differs only in blanks at the end of its last line.
        let message_after = git(d, &["log", "-1", "--format=%B"]);
        assert_eq!(message_after.trim_end(), message_before.trim_end());
        let raw = git(d, &["cat-file", "commit", "HEAD"]);
        assert!(raw.ends_with("c0ffee1.") || raw.trim_end_matches([' ', '\t']).ends_with("c0ffee1."), "{raw:?}");
        // The old commit stays in the reflog; the repository is sound.
        let reflog = git(d, &["reflog", "--format=%H %gs"]);
        assert!(reflog.lines().nth(1).unwrap().starts_with(&old), "{reflog}");
        assert!(reflog.lines().next().unwrap().contains("ghostsum git-commit"), "{reflog}");
        git(d, &["fsck", "--strict"]);
        assert_eq!(git(d, &["show", "-s", "--format=%H", "c0ffee1"]), new);
        // Run again: HEAD has the prefix, nothing to do.
        let again = ghostsum().args(["git-commit", report_flag, "-p", "c0ffee1", "-C"]).arg(d).assert().success();
        let printed = String::from_utf8_lossy(&again.get_output().stdout).trim().to_string();
        if format == "sha1" {
            assert_eq!(printed, new);
        } else {
            let report: serde_json::Value = serde_json::from_str(&printed).unwrap();
            assert_eq!((report["status"].as_str(), report["new"].as_str()), (Some("unchanged"), Some(new.as_str())));
        }
        assert_eq!(git(d, &["reflog", "--format=%H"]).lines().count(), reflog.lines().count());
    }
}

fn refused(d: &Path, prefix: &str) -> String {
    let out = ghostsum().args(["git-commit", "-q", "-p", prefix, "-C"]).arg(d).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn git_commit_refuses_signed_commits_operations_in_progress_and_non_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    repo(d, "sha1", "second");
    let head = git(d, &["rev-parse", "HEAD"]);
    // A merge in progress.
    std::fs::write(d.join(".git/MERGE_HEAD"), format!("{head}\n")).unwrap();
    assert!(refused(d, "abc").contains("in the middle of a merge"));
    std::fs::remove_file(d.join(".git/MERGE_HEAD")).unwrap();
    // A signed commit (the signature's bytes need not verify: its presence is the point).
    let raw = git(d, &["cat-file", "commit", "HEAD"]);
    let (headers, message) = raw.split_once("\n\n").unwrap();
    let signed = format!(
        "{headers}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n =abcd\n -----END PGP SIGNATURE-----\n\n{message}\n"
    );
    let mut child = Command::new("git")
        .arg("-C")
        .arg(d)
        .args(["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(signed.as_bytes()).unwrap();
    let id = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap().trim().to_string();
    git(d, &["update-ref", "HEAD", &id]);
    assert!(refused(d, "abc").contains("is signed"));
    assert_eq!(git(d, &["rev-parse", "HEAD"]), id);
    // Not a repository.
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(refused(elsewhere.path(), "abc").contains("not in a git repository"));
}

/// HEAD moves while the search runs (stopped with SIGSTOP once it says it is searching):
/// update-ref against the old id refuses, and HEAD stays where the other commit put it.
#[test]
fn git_commit_refuses_when_head_moved_during_the_search() {
    for attempt in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        repo(d, "sha1", &format!("second {attempt}"));
        let mut child = Command::new(bin())
            .args(["git-commit", "-b", "cpu", "-j", "1", "-p", "abcdef1", "-C"])
            .arg(d)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(line.contains("searching"), "{line}");
        kill(child.id(), "STOP");
        if child.try_wait().unwrap().is_some() {
            continue; // it found the id before it could be stopped: try another commit
        }
        git(d, &["commit", "-q", "-m", "meanwhile"]);
        let moved = git(d, &["rev-parse", "HEAD"]);
        kill(child.id(), "CONT");
        let out = child.wait_with_output().unwrap();
        let mut said = line;
        std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
        if out.status.success() && !said.contains("moved") {
            // It had finished between the line and the stop; HEAD is the other commit's now?
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains("HEAD moved from") && said.contains("run ghostsum git-commit again"), "{said}");
        assert_eq!(git(d, &["rev-parse", "HEAD"]), moved);
        return;
    }
    panic!("the search ended before it could be stopped, five times");
}

/// examples/git-notes: notes that cite each other in a cycle by blob id; once committed,
/// every citation `git show ID` prints the note it names (shorter prefixes here, for time).
#[test]
fn batch_pages_cite_each_other_by_blob_ids_git_resolves() {
    for format in ["sha1", "sha256"] {
        let dir = tempfile::tempdir().unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/git-notes");
        for name in ["index.md", "design.md", "log.md"] {
            std::fs::copy(example.join(name), dir.path().join(name)).unwrap();
        }
        let manifest = std::fs::read_to_string(example.join("notes.toml"))
            .unwrap()
            .replace("digits = 7", "digits = 5")
            .replace("git_object = \"blob\"", &format!("git_object = \"blob\"\nobject_format = \"{format}\""));
        std::fs::write(dir.path().join("notes.toml"), manifest).unwrap();
        let out = dir.path().join("out");
        ghostsum()
            .args(["batch", "-q", "-b", "cpu"])
            .arg(dir.path().join("notes.toml"))
            .arg("--out-dir")
            .arg(&out)
            .assert()
            .success();
        git(&out, &["init", "-q", &format!("--object-format={format}"), "."]);
        git(&out, &["add", "index.md", "design.md", "log.md"]);
        git(&out, &["-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "notes"]);
        git(&out, &["fsck", "--strict"]);
        let mut cited = 0;
        for name in ["index.md", "design.md", "log.md"] {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            for id in text.split("git show ").skip(1).map(|rest| rest.split('`').next().unwrap()) {
                let shown = git_raw(&out, &["show", id]);
                let named = ["index.md", "design.md", "log.md"]
                    .into_iter()
                    .find(|n| std::fs::read(out.join(n)).unwrap() == shown)
                    .expect("git show prints one of the notes");
                assert!(git(&out, &["hash-object", named]).starts_with(id), "{format}: {id} {named}");
                cited += 1;
            }
        }
        assert_eq!(cited, 6, "{format}");
        // A re-run finds every page done: the blob ids are checked, not MD5s.
        let again = ghostsum()
            .args(["batch", "-b", "cpu"])
            .arg(dir.path().join("notes.toml"))
            .arg("--out-dir")
            .arg(&out)
            .assert()
            .success();
        let said = String::from_utf8_lossy(&again.get_output().stderr).to_string();
        assert_eq!(said.matches(": already done").count(), 3, "{said}");
    }
}

/// `sha256(b"blob <len>\0" + bytes)` by Python's hashlib: git's id in a SHA-256 repository.
fn sha256_blob_id(path: &Path) -> String {
    let script = "import hashlib,sys; d=open(sys.argv[1],'rb').read(); print(hashlib.sha256(b'blob %d\\0' % len(d) + d).hexdigest())";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn pages_addressed_by_blob_ids_and_by_md5_in_one_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.md"), "A cites {{url: b}} and {{url: c}}.\n").unwrap();
    std::fs::write(d.join("b.md"), "B cites {{url: a}}.\n").unwrap();
    std::fs::write(d.join("c.txt"), "C is served by its MD5; it cites {{url: a}}.\n").unwrap();
    let manifest = "url = \"id:{prefix}\"\ndigits = 4\nseed = 3\nobject_format = \"sha256\"\n\
        [[page]]\nname = \"a\"\nfile = \"a.md\"\ngit_object = \"blob\"\n\
        [[page]]\nname = \"b\"\nfile = \"b.md\"\ngit_object = \"blob\"\n\
        [[page]]\nname = \"c\"\nfile = \"c.txt\"\n";
    std::fs::write(d.join("m.toml"), manifest).unwrap();
    let out = d.join("out");
    ghostsum().args(["batch", "-q", "-b", "cpu"]).arg(d.join("m.toml")).arg("--out-dir").arg(&out).assert().success();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("ghostsum-report.json")).unwrap()).unwrap();
    for (page, file, hashed_as) in [(0, "a.md", "git-blob-sha256"), (1, "b.md", "git-blob-sha256"), (2, "c.txt", "md5")]
    {
        let entry = &report["pages"][page];
        let digest = if hashed_as == "md5" { sum("md5sum", &out.join(file)) } else { sha256_blob_id(&out.join(file)) };
        assert_eq!((entry["hashed_as"].as_str(), entry["digest"].as_str()), (Some(hashed_as), Some(digest.as_str())));
        assert!(digest.starts_with(entry["prefix"].as_str().unwrap()), "{file}: {digest} {entry}");
        assert_eq!(entry["md5"].as_str(), (hashed_as == "md5").then_some(digest.as_str()), "{file}");
        // Each citation is the address the page it names has.
        let address = format!("id:{}", entry["prefix"].as_str().unwrap());
        let citing = if page == 0 { "b.md" } else { "a.md" };
        assert!(std::fs::read_to_string(out.join(citing)).unwrap().contains(&address), "{citing} cites {address}");
    }
    // A page may not name an object type that is not one.
    std::fs::write(d.join("m.toml"), manifest.replacen("git_object = \"blob\"", "git_object = \"tree\"", 1)).unwrap();
    let refused =
        ghostsum().args(["batch", "-b", "cpu"]).arg(d.join("m.toml")).arg("--out-dir").arg(&out).assert().code(2);
    let said = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(said.contains("m.toml:8: git_object 'tree' is not one of blob, commit, tag, or none"), "{said}");
}

/// What a person sees of `cmd` in a terminal: tmux's screen once it has run. Each call has a
/// server of its own: a socket reused right after its server was killed can refuse the next.
fn screen_of(dir: &Path, socket: &str, cmd: &str) -> String {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let socket = format!("{socket}-{}", CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let socket = socket.as_str();
    let script = format!("cd '{}' && {cmd}; echo __done__; sleep 30", dir.display());
    let started = Command::new("tmux")
        .args([
            "-L",
            socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "40",
            "bash",
            "--norc",
            "-c",
            &script,
        ])
        .env("TERM", "xterm-256color")
        .env_remove("TMUX")
        .output()
        .expect("tmux is installed");
    assert!(started.status.success(), "tmux: {}", String::from_utf8_lossy(&started.stderr));
    let capture = || {
        let out = Command::new("tmux").args(["-L", socket, "capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(wait_until(std::time::Duration::from_secs(20), || capture().contains("__done__")), "{}", capture());
    let screen = capture();
    let _ = Command::new("tmux").args(["-L", socket, "kill-server"]).output();
    screen
}

/// The suffix in a commit message shows in neither `git log` nor `git show` as a person sees
/// them (tmux): the screens differ only in the commit's id.
#[test]
fn git_log_and_show_look_the_same_after_git_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    repo(d, "sha1", "Fix the parser\n\nIt read one byte too many at the end of a line.");
    let old = git(d, &["rev-parse", "HEAD"]);
    let socket = format!("ghostsum-git-{}", std::process::id());
    let commands = ["git --no-pager log -2", "git --no-pager show HEAD", "git --no-pager log --oneline -2"];
    let before: Vec<String> = commands.iter().map(|c| screen_of(d, &socket, c)).collect();
    ghostsum().args(["git-commit", "-q", "-b", "cpu", "-p", "c0ffee", "-C"]).arg(d).assert().success();
    let new = git(d, &["rev-parse", "HEAD"]);
    for (command, before) in commands.iter().zip(before) {
        let after = screen_of(d, &socket, command);
        assert_ne!(before, after, "the id shows");
        let masked = |screen: &str| {
            screen.replace(&old, "ID").replace(&new, "ID").replace(&old[..7], "ID").replace(&new[..7], "ID")
        };
        assert_eq!(masked(&before), masked(&after), "{command}");
    }
}

/// `--fast-layout` with git's ids: a longer suffix (the header folded for its own length)
/// that ends the data later in the block; git gives the blob and the commit the ids the
/// prefix asks for.
#[test]
fn fast_layout_with_git_ids_gives_ids_git_agrees_with() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "."]);
    // 12 bytes: the shortest suffix ends the data early in the block.
    std::fs::write(d.join("a.txt"), "hello world\n").unwrap();
    let mut lengths = Vec::new();
    for (flag, out) in [(None, "short.txt"), (Some("--fast-layout"), "fast.txt")] {
        ghostsum()
            .args(["search", "a.txt", "--git-object", "blob", "-p", "ab_d", "-q", "-o", out])
            .args(flag)
            .current_dir(d)
            .assert()
            .success();
        let id = git(d, &["hash-object", out]);
        assert!(starts_with_pattern(&id, "ab_d"), "{flag:?}: {id}");
        lengths.push(std::fs::metadata(d.join(out)).unwrap().len());
    }
    assert!(lengths[1] > lengths[0], "the fast layout's suffix is the longer: {lengths:?}");
    // git-commit takes the fast layout unless told --shortest (--fast-layout still accepted):
    // the same commit gets more blanks by default, each id is what git computes.
    let mut blanks = Vec::new();
    for flag in [Some("--shortest"), None, Some("--fast-layout")] {
        let other = tempfile::tempdir().unwrap();
        let r = other.path();
        repo(r, "sha256", "fast\n");
        let ran = ghostsum()
            .args(["git-commit", "--json", "-b", "cpu", "-p", "c0ffe", "-C"])
            .arg(r)
            .args(flag)
            .assert()
            .success();
        let report: serde_json::Value = serde_json::from_slice(&ran.get_output().stdout).unwrap();
        let id = git(r, &["log", "-1", "--format=%H"]);
        assert!(id.starts_with("c0ffe") && report["new"] == id, "{flag:?}: {report}");
        let raw = String::from_utf8(git_raw(r, &["cat-file", "commit", "HEAD"])).unwrap();
        let last_line = raw.strip_suffix('\n').unwrap();
        let suffix = last_line.len() - last_line.trim_end_matches([' ', '\t']).len();
        assert_eq!(report["suffix_len"], suffix, "{flag:?}: {raw:?}");
        blanks.push(suffix);
        git(r, &["fsck", "--strict"]);
    }
    assert!(blanks[1] > blanks[0] && blanks[2] == blanks[1], "git-commit's default is the fast layout: {blanks:?}");
}
