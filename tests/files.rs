//! What ghostsum does to the files it is pointed at, with real device nodes, FIFOs, symlinks,
//! hard links, setuid files and umasks (README, "Files and streams").
#![cfg(unix)]

mod common;
use common::*;
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::{Command, Stdio};

const TEXT: &[u8] = b"a page worth keeping\n";

fn search(input: &Path, prefix: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    ghostsum().args(["search", input.to_str().unwrap(), "-p", prefix, "-q", "-b", "cpu"]).args(extra).assert()
}

/// A file with `TEXT` in a fresh folder.
fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, TEXT).unwrap();
    (dir, input)
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn a_device_node_is_written_into_never_replaced() {
    if !root_or_skip("the device node test") {
        return;
    }
    let (dir, input) = setup();
    let null = dir.path().join("mynull");
    assert!(Command::new("mknod").arg(&null).args(["c", "1", "3"]).status().unwrap().success());
    search(&input, "ab", &["-o", null.to_str().unwrap()]).success();
    assert!(std::fs::metadata(&null).unwrap().file_type().is_char_device(), "the device node was replaced");
    // /dev/full refuses every write: a one-line error naming it, and the node stays.
    let assert = search(&input, "ab", &["-o", "/dev/full"]).code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("cannot write /dev/full: no space left"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn a_fifo_output_is_written_into() {
    let (dir, input) = setup();
    let fifo = dir.path().join("out.fifo");
    mkfifo(&fifo);
    let got = dir.path().join("got");
    let reader = Command::new("sh").arg("-c").arg(format!("cat '{}' > '{}'", fifo.display(), got.display())).spawn();
    search(&input, "abc", &["-o", fifo.to_str().unwrap()]).success();
    assert!(reader.unwrap().wait().unwrap().success());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    assert!(md5sum(&got).starts_with("abc"));
    assert!(std::fs::read(&got).unwrap().starts_with(TEXT));
}

#[test]
fn dev_stdout_is_the_open_standard_output() {
    let (_dir, input) = setup();
    let out = search(&input, "abc", &["-o", "/dev/stdout"]).success().get_output().stdout.clone();
    assert!(out.starts_with(TEXT));
    assert!(hashlib_of(&out).starts_with("abc"));
}

#[test]
fn a_symlink_output_replaces_its_target_and_stays_a_link() {
    let (dir, input) = setup();
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.txt");
    symlink("target.txt", &link).unwrap();
    search(&input, "beef", &["-o", link.to_str().unwrap()]).success();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
    assert!(md5sum(&target).starts_with("beef"));
    // A link to a file that does not exist is refused: nothing is created through it.
    let dangling = dir.path().join("dangling");
    symlink("nowhere/x.txt", &dangling).unwrap();
    let assert = search(&input, "ab", &["-o", dangling.to_str().unwrap()]).code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("which does not exist"));
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn in_place_follows_symlinks_and_keeps_the_mode() {
    let (dir, input) = setup();
    std::fs::set_permissions(&input, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.txt");
    symlink(&input, &link).unwrap();
    search(&link, "c0de", &["--in-place"]).success();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(md5sum(&input).starts_with("c0de"));
    assert_eq!(mode(&input), 0o640);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "stray files");
}

/// An access ACL in Linux's extended-attribute form: version 2, then (tag, permissions, id)
/// entries in tag order; this one lets user nobody (65534) read a 0640 file.
fn acl_letting_nobody_read() -> Vec<u8> {
    let entry =
        |tag: u16, perm: u16, id: u32| [&tag.to_le_bytes()[..], &perm.to_le_bytes(), &id.to_le_bytes()].concat();
    let undefined = u32::MAX;
    [
        2u32.to_le_bytes().to_vec(),
        entry(0x01, 6, undefined), // the owner: rw
        entry(0x02, 4, 65534),     // user nobody: r
        entry(0x04, 4, undefined), // the group: r
        entry(0x10, 4, undefined), // the mask: r
        entry(0x20, 0, undefined), // others: nothing
    ]
    .concat()
}

#[test]
fn extended_attributes_and_acls_survive_a_rewrite() {
    let (dir, input) = setup();
    if let Err(e) = xattr::set(&input, "user.origin", b"kept") {
        eprintln!("skipped the extended attribute test: this file system has no user attributes ({e})");
        return;
    }
    let acl = acl_letting_nobody_read();
    let acl_set = xattr::set(&input, "system.posix_acl_access", &acl);
    search(&input, "ab", &["--in-place"]).success();
    assert!(md5sum(&input).starts_with("ab"));
    assert_eq!(xattr::get(&input, "user.origin").unwrap().as_deref(), Some(&b"kept"[..]));
    match acl_set {
        Ok(()) => {
            assert_eq!(xattr::get(&input, "system.posix_acl_access").unwrap(), Some(acl), "the ACL was lost");
            assert_eq!(mode(&input), 0o640);
        }
        Err(e) => eprintln!("skipped the ACL half: this file system takes no POSIX ACLs ({e})"),
    }
    // -o over an existing file goes the same way.
    let out = dir.path().join("out.txt");
    std::fs::write(&out, "old").unwrap();
    xattr::set(&out, "user.origin", b"out").unwrap();
    search(&input, "cd", &["-o", out.to_str().unwrap()]).success();
    assert_eq!(xattr::get(&out, "user.origin").unwrap().as_deref(), Some(&b"out"[..]));
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn root_keeps_the_owner_of_a_setuid_file_it_rewrites() {
    if !root_or_skip("the setuid ownership test") {
        return;
    }
    let (_dir, input) = setup();
    std::os::unix::fs::chown(&input, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&input, std::os::unix::fs::PermissionsExt::from_mode(0o4755)).unwrap();
    search(&input, "5e7", &["--in-place"]).success();
    assert!(md5sum(&input).starts_with("5e7"));
    // Not a setuid-root file: the owner stays the other user, and with it the setuid bit.
    assert_eq!(owner(&input), (65534, 65534));
    assert_eq!(mode(&input), 0o4755);
    // -o over an existing file of another user: the same.
    let other = input.with_file_name("other.txt");
    std::fs::write(&other, "x").unwrap();
    std::os::unix::fs::chown(&other, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o6750)).unwrap();
    search(&input, "ab", &["--always-suffix", "-o", other.to_str().unwrap()]).success();
    assert_eq!((owner(&other), mode(&other)), ((65534, 65534), 0o6750));
}

#[test]
fn a_user_who_cannot_keep_the_owner_loses_setuid_and_setgid() {
    if !root_or_skip("the setuid clearing test") {
        return;
    }
    let (dir, input) = setup();
    // A folder that user nobody may write in, and another user's setuid+setgid file in it.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(&input, Some(1000), Some(1000)).unwrap();
    std::fs::set_permissions(&input, std::os::unix::fs::PermissionsExt::from_mode(0o6777)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin())
        .args(["search", input.to_str().unwrap(), "-p", "ab", "--in-place", "-q", "-b", "cpu"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(owner(&input), (65534, 65534));
    assert_eq!(mode(&input), 0o777, "setuid and setgid must be cleared when the owner changes");
}

#[test]
fn new_files_get_0666_minus_the_umask() {
    let (dir, input) = setup();
    for (umask, expected) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out = dir.path().join(format!("out-{umask}.txt"));
        let run = sh(&format!(
            "umask {umask}; exec '{}' search '{}' -p ab -q -b cpu -o '{}'",
            bin().display(),
            input.display(),
            out.display()
        ));
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        assert_eq!(mode(&out), expected, "umask {umask}");
    }
}

#[test]
fn replacing_a_hard_linked_file_says_that_the_other_names_keep_the_old_content() {
    let (dir, input) = setup();
    let twin = dir.path().join("twin.txt");
    std::fs::hard_link(&input, &twin).unwrap();
    let assert =
        ghostsum().args(["search", input.to_str().unwrap(), "-p", "ab", "--in-place", "-b", "cpu"]).assert().success();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("2 hard links; the other names keep the old content"), "{err}");
    assert!(md5sum(&input).starts_with("ab"));
    assert_eq!(std::fs::read(&twin).unwrap(), TEXT);
    assert_eq!(std::fs::metadata(&input).unwrap().nlink(), 1);
}

#[test]
fn inputs_that_cannot_be_read_twice_are_read_once() {
    let (dir, _) = setup();
    // A FIFO: opened once, its bytes kept for the output (this hung when it was opened twice).
    let fifo = dir.path().join("in.fifo");
    mkfifo(&fifo);
    let out = dir.path().join("from-fifo.txt");
    let writer = Command::new("sh").arg("-c").arg(format!("printf 'through a fifo' > '{}'", fifo.display())).spawn();
    let run = Command::new(bin())
        .args(["search", fifo.to_str().unwrap(), "-p", "abc", "-q", "-b", "cpu", "-o", out.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let done = run.wait_with_output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(writer.unwrap().wait().unwrap().success());
    assert!(std::fs::read(&out).unwrap().starts_with(b"through a fifo"));
    assert!(md5sum(&out).starts_with("abc"));
    // Process substitution, as bash gives it: /dev/fd/63, a pipe.
    let out = dir.path().join("from-pipe.txt");
    let run =
        sh(&format!("exec '{}' search <(printf 'hi there') -p abc -q -b cpu -o '{}'", bin().display(), out.display()));
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(&std::fs::read(&out).unwrap()[..8], b"hi there");
    assert!(md5sum(&out).starts_with("abc"));
    // A character device: /dev/null is an empty input.
    let out = dir.path().join("from-null.txt");
    search(Path::new("/dev/null"), "abc", &["-o", out.to_str().unwrap()]).success();
    assert!(md5sum(&out).starts_with("abc"));
    // --in-place cannot rewrite a pipe.
    let run = sh(&format!("exec '{}' search <(printf hi) -p ab -q -b cpu --in-place", bin().display()));
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--in-place needs a regular file"));
}

#[test]
fn a_file_that_already_has_the_prefix_is_written_unchanged() {
    let (dir, input) = setup();
    let digest = md5sum(&input);
    let out = dir.path().join("out.txt");
    let assert = search(&input, &digest[..4], &["-o", out.to_str().unwrap(), "--json"]).success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), TEXT);
    assert_eq!((report["suffix_len"].as_u64(), report["unchanged"].as_bool()), (Some(0), Some(true)));
    assert!(report["index"].is_null());
    // Unless a suffix is asked for.
    search(&input, &digest[..4], &["-o", out.to_str().unwrap(), "--always-suffix"]).success();
    assert!(std::fs::read(&out).unwrap().len() > TEXT.len());
    assert!(md5sum(&out).starts_with(&digest[..4]));
    // --in-place leaves such a file alone.
    let before = std::fs::metadata(&input).unwrap().modified().unwrap();
    search(&input, &digest[..3], &["--in-place"]).success();
    assert_eq!(std::fs::metadata(&input).unwrap().modified().unwrap(), before);
}
