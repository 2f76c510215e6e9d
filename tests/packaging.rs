//! packaging/build-image.sh's own logic, with podman and debootstrap replaced by recorders (CI
//! has no container engine; the real run is the script's, by hand): a root file system left
//! by an interrupted debootstrap is made again, a base image is reused only when the script
//! labelled it, the mirror is the machine's apt's, and the image's search runs (here through
//! the real ghostsum) and is checked with md5sum (issue 29 item 11). packaging/pin-images.sh
//! pins the base images by their manifests' digests, with skopeo a fake registry (item 10).

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// A `podman` that records its calls, keeps the base image's label in a file, and runs
/// `run ... IMAGE search ARGS` as the real ghostsum in the bind-mounted folder.
const FAKE_PODMAN: &str = r#"#!/bin/bash
echo "podman $*" >> "$FAKE_LOG"
case "$1 $2" in
  "image inspect") cat "$FAKE_STATE/base-label" 2>/dev/null; exit 0 ;;
  "image exists") exit 1 ;;
  "image rm") exit 0 ;;
  "image ls") echo "localhost/ghostsum:latest 40 MB"; exit 0 ;;
esac
case "$1" in
  import)
    cat > /dev/null
    for arg in "$@"; do case $arg in "LABEL "*) echo "${arg#LABEL *=}" > "$FAKE_STATE/base-label" ;; esac; done ;;
  build) ;;
  run)
    shift; dir=; while [ $# -gt 0 ]; do
      case $1 in -v) dir=${2%%:*}; shift 2 ;; localhost/ghostsum:latest) shift; break ;; *) shift ;; esac
    done
    cd "$dir" && exec "$FAKE_GHOSTSUM" "$@" -b cpu -q ;;
esac
"#;

const FAKE_DEBOOTSTRAP: &str =
    "#!/bin/bash\necho \"debootstrap $*\" >> \"$FAKE_LOG\"\nmkdir -p \"$3/bin\" && touch \"$3/bin/sh\"\n";

fn write_script(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    assert!(sh(&format!("chmod +x {}", path.display())).status.success());
}

fn run_script(fake: &Path, work: &Path) -> (bool, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = fake.join("log");
    let _ = std::fs::remove_file(&log);
    let out = Command::new("bash")
        .arg(repo.join("packaging/build-image.sh"))
        .env("PATH", format!("{}:{}", fake.display(), std::env::var("PATH").unwrap()))
        .env("WORK", work)
        .env_remove("MIRROR")
        .env("FAKE_LOG", &log)
        .env("FAKE_STATE", fake)
        .env("FAKE_GHOSTSUM", bin())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), std::fs::read_to_string(&log).unwrap_or_default() + &said)
}

/// The machine's Debian mirror as apt has it, read here independently of the script.
fn machine_mirror() -> Option<String> {
    let mut files = vec![Path::new("/etc/apt/sources.list").to_path_buf()];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        more.sort();
        files.extend(more);
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| text.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .find(|word| {
            (word.starts_with("http://") || word.starts_with("https://"))
                && word.trim_end_matches('/').ends_with("/debian")
                && !word.contains("security")
        })
}

#[test]
fn build_image_redoes_an_unfinished_base_and_trusts_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, work) = (dir.path().join("fake"), dir.path().join("work"));
    std::fs::create_dir_all(&fake).unwrap();
    for (name, text) in [("podman", FAKE_PODMAN), ("debootstrap", FAKE_DEBOOTSTRAP)] {
        write_script(&fake.join(name), text);
    }
    // What an interrupted debootstrap leaves: a root file system with bin/sh, unfinished.
    std::fs::create_dir_all(work.join("rootfs/bin")).unwrap();
    std::fs::write(work.join("rootfs/bin/sh"), "").unwrap();
    let (ok, said) = run_script(&fake, &work);
    assert!(ok, "{said}");
    let debootstrap =
        said.lines().find(|l| l.starts_with("debootstrap ")).expect("the unfinished rootfs is made again");
    if let Some(mirror) = machine_mirror() {
        assert!(debootstrap.ends_with(&mirror), "the machine's mirror {mirror}: {debootstrap}");
    }
    assert!(said.contains("LABEL org.ghostsum.base="), "the base is labelled: {said}");
    assert!(said.contains("ok: the image searched, and md5sum agrees"), "{said}");
    assert!(md5sum(&work.join("run/notes.out.txt")).starts_with("c0ffee"));
    // Run again: the labelled base is reused, nothing is made again.
    let ran = |said: &str, call: &str| said.lines().any(|l| l.starts_with(call));
    let (ok, said) = run_script(&fake, &work);
    assert!(ok && !ran(&said, "debootstrap ") && !ran(&said, "podman import"), "{said}");
    // A base image by that name that the script did not label is replaced (from the finished
    // root file system, which is not made again).
    std::fs::write(fake.join("base-label"), "someone-else\n").unwrap();
    let (ok, said) = run_script(&fake, &work);
    assert!(ok && ran(&said, "podman import") && !ran(&said, "debootstrap "), "{said}");
}

/// A `skopeo` that serves a made-up manifest per image (ending in a line break, which a shell
/// variable would lose), or fails for the image named in FAKE_MISSING.
const FAKE_SKOPEO: &str = r#"#!/bin/bash
ref=${3#docker://}
[ "$ref" = "$FAKE_MISSING" ] && { echo "manifest unknown" >&2; exit 1; }
printf '{"manifests":["%s"]}\n' "$ref"
"#;

fn pin_images(fake: &Path, file: &Path, missing: &str) -> (bool, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(repo.join("packaging/pin-images.sh"))
        .arg(file)
        .env("PATH", format!("{}:{}", fake.display(), std::env::var("PATH").unwrap()))
        .env("FAKE_MISSING", missing)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// The digest Python's hashlib gives the manifest the fake registry serves for `image`.
fn manifest_digest(image: &str) -> String {
    let code = format!("import hashlib; print(hashlib.sha256(b'{{\"manifests\":[\"{image}\"]}}\\n').hexdigest())");
    let out = Command::new("python3").args(["-c", &code]).output().unwrap();
    format!("sha256:{}", String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn pin_images_pins_both_bases_by_their_manifests_digest_and_writes_nothing_when_one_fails() {
    let fake = tempfile::tempdir().unwrap();
    write_script(&fake.path().join("skopeo"), FAKE_SKOPEO);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = fake.path().join("Containerfile");
    std::fs::copy(repo.join("Containerfile"), &file).unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    let arg = |text: &str, name: &str| {
        text.lines().find_map(|l| l.strip_prefix(&format!("ARG {name}="))).unwrap().to_string()
    };
    let (builder, base) = (arg(&original, "BUILDER"), arg(&original, "BASE"));
    assert!(!builder.contains('@') && !base.contains('@'), "the checked-in Containerfile is pinned by tag");

    // One image the registry does not have: refused, the file untouched, no temporary left.
    let (ok, said) = pin_images(fake.path(), &file, &base);
    assert!(!ok && said.contains(&base), "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    let left: Vec<_> = std::fs::read_dir(fake.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "temporary files left: {left:?}");

    let (ok, said) = pin_images(fake.path(), &file, "");
    assert!(ok, "{said}");
    let pinned = std::fs::read_to_string(&file).unwrap();
    assert_eq!(arg(&pinned, "BUILDER"), format!("{builder}@{}", manifest_digest(&builder)));
    assert_eq!(arg(&pinned, "BASE"), format!("{base}@{}", manifest_digest(&base)));
    // Only the two lines changed; pinning again moves the pins, not appends to them.
    assert_eq!(pinned.lines().count(), original.lines().count());
    let (ok, said) = pin_images(fake.path(), &file, "");
    assert!(ok, "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pinned);
}
