//! Sharding against the unsharded search, and checkpoints that survive kill -9 and Ctrl-C.

mod common;
use assert_cmd::Command;
use common::wait_until;
use ghostsum::alphabet::Alphabet;
use ghostsum::cpu::CpuDevice;
use ghostsum::device::{Control, DeviceSet};
use ghostsum::engine::{search, EngineOptions};
use ghostsum::input::Content;
use ghostsum::layout::{Layout, DEFAULT_MIN_SEGMENT_LOG2};
use ghostsum::shard::Shard;
use ghostsum::target::{hex, Prefix};
use md5::{Digest, Md5};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

const SWEEP_CONTENT: &[u8] = b"shard sweep";

/// A 3-digit prefix whose lowest hit lies as deep in the (small) keyspace as possible.
fn deep_prefix() -> (String, u128, Layout) {
    let content = Content::from_bytes(SWEEP_CONTENT);
    let layout = Layout::plan(&content, &Alphabet::whitespace(), 12, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
    let mut first: std::collections::BTreeMap<String, u128> = Default::default();
    for index in 0..layout.keyspace() {
        let mut bytes = SWEEP_CONTENT.to_vec();
        bytes.extend(layout.suffix(index));
        first.entry(hex(&Md5::digest(&bytes))[..3].to_string()).or_insert(index);
    }
    let (prefix, index) = first.into_iter().max_by_key(|(_, i)| *i).unwrap();
    (prefix, index, layout)
}

#[test]
fn shards_together_give_the_unsharded_answer() {
    let (prefix, deepest, layout) = deep_prefix();
    let shard_count = (layout.keyspace() / layout.inner_count() as u128) as u64;
    assert!(deepest >= layout.inner_count() as u128, "the hit should lie beyond shard 0");
    let content = Content::from_bytes(SWEEP_CONTENT);
    let prefix = Prefix::parse(&prefix).unwrap();
    let cpu = DeviceSet::new(vec![Box::new(CpuDevice::new(2, None))]);
    let control = std::sync::Arc::new(Control::default());
    let run = |shard| {
        let options = EngineOptions { shard, ..Default::default() };
        search(&cpu, &content, &prefix, &Alphabet::whitespace(), &options, &control, &mut |_| {}).unwrap()
    };
    let unsharded = run(None).unwrap();
    assert_eq!(unsharded.index, deepest);
    let mut lowest = None;
    for i in 0..shard_count {
        let found = run(Some(Shard { index: i, count: shard_count }));
        let (lo, hi) = Shard { index: i, count: shard_count }.range(&layout);
        match &found {
            Some(f) => assert!((lo..hi).contains(&f.index)),
            None => assert!(!(lo..hi).contains(&deepest) && hi <= deepest || lo > deepest, "shard {i} missed the hit"),
        }
        if let (None, Some(f)) = (&lowest, found) {
            lowest = Some(f.index);
        }
    }
    assert_eq!(lowest, Some(unsharded.index));
}

#[test]
fn shard_exit_codes_and_environment() {
    let (prefix, deepest, layout) = deep_prefix();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, SWEEP_CONTENT).unwrap();
    let count = layout.keyspace() / layout.inner_count() as u128;
    let hit_shard = deepest / layout.inner_count() as u128;
    let out = dir.path().join("out");
    let run = |shard_args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = Command::cargo_bin("ghostsum").unwrap();
        cmd.args(["search", input.to_str().unwrap(), "-p", &prefix, "-o", out.to_str().unwrap(), "-q", "--json"])
            .args(["-b", "cpu", "--alphabet", "whitespace", "--shard"])
            .args(shard_args)
            .envs(envs.iter().copied());
        cmd.assert()
    };
    // Shard 0 holds no hit: exit 3, nothing written, and a report that says so.
    let assert = run(&[&format!("0/{count}")], &[]).code(3);
    assert!(!out.exists());
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["status"], "no_hit");
    assert!(report["index"].is_null() && report["md5"].is_null());
    let (start, end) = Shard { index: 0, count: count as u64 }.range(&layout);
    assert_eq!(report["shard"]["searched"].as_u64().map(u128::from), Some(end - start));
    assert_eq!(report["shard"]["searched_fraction"], 1.0);
    let assert = run(&[&format!("{hit_shard}/{count}")], &[]).success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["index"].as_u64(), Some(deepest as u64));
    assert_eq!((report["status"].as_str(), report["shard"]["index"].as_u64()), (Some("found"), Some(hit_shard as u64)));
    let (start, _) = Shard { index: hit_shard as u64, count: count as u64 }.range(&layout);
    assert_eq!(report["shard"]["searched"].as_u64().map(u128::from), Some(deepest - start + 1));
    // The same shard from a Slurm array (1-based) and a Kubernetes indexed job.
    let id = (hit_shard + 1).to_string();
    let n = count.to_string();
    run(&["env"], &[("SLURM_ARRAY_TASK_ID", &id), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", &n)])
        .success();
    run(&["env", "--shard-count", &n], &[("JOB_COMPLETION_INDEX", &hit_shard.to_string())]).success();
    Command::cargo_bin("ghostsum")
        .unwrap()
        .args(["search", input.to_str().unwrap(), "-p", "00", "-o", "x", "--shard", "env"])
        .assert()
        .code(2);
}

/// Content whose 8-digit target (from the candidate at index 600M) lies deep enough that a
/// single-threaded run saves several checkpoints first.
const DEEP_CONTENT: &[u8] = b"a resumable search\n";

/// The 8-digit prefix of candidate 600,000,000 of the search the CLI makes of DEEP_CONTENT
/// (its default placement and alphabet), so the search runs long enough to be stopped and
/// always ends (at that candidate, or at an earlier hit).
fn deep_target() -> String {
    use ghostsum::placement::{choose, PlaceMode, Request};
    let mut content = Content::from_bytes(DEEP_CONTENT);
    let request = Request { kind: ghostsum::kind::FileKind::Text, alphabet: None, mode: PlaceMode::Auto, bits: 32 };
    let placement = choose(&content, &request).unwrap();
    placement.apply(&mut content).unwrap();
    let layout = Layout::plan(&content, &placement.alphabet, 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
    let suffix = layout.suffix(600_000_000);
    hex(&ghostsum::recheck::md5_with_suffix(&content, &suffix))[..8].to_string()
}

/// As [`deep_target`], for git's blob id (SHA-1) of DEEP_CONTENT, from candidate 300M (SHA-1
/// costs about twice MD5's steps).
fn deep_blob_target() -> String {
    use ghostsum::address::{Address, GitObject};
    use ghostsum::hash::HashKind;
    use ghostsum::placement::{choose, PlaceMode, Request};
    let mut content = Content::from_bytes(DEEP_CONTENT);
    let request = Request { kind: ghostsum::kind::FileKind::Text, alphabet: None, mode: PlaceMode::Auto, bits: 32 };
    let placement = choose(&content, &request).unwrap();
    placement.apply(&mut content).unwrap();
    content.set_address(Address { hash: HashKind::Sha1, git_object: Some(GitObject::Blob) });
    // Any 8-digit prefix settles the same suffix length (and so the header).
    let eight = Prefix::parse_for("00000000", HashKind::Sha1).unwrap();
    ghostsum::engine::fold_address(&mut content, &eight, &placement.alphabet, &EngineOptions::default()).unwrap();
    let layout = Layout::plan(&content, &placement.alphabet, 32, DEFAULT_MIN_SEGMENT_LOG2).unwrap();
    let suffix = layout.suffix(300_000_000);
    hex(&content.digest_with_suffix(&suffix).unwrap())[..8].to_string()
}

fn search_args<'a>(input: &'a Path, prefix: &'a str, out: &'a Path) -> Vec<&'a str> {
    vec!["search", input.to_str().unwrap(), "-p", prefix, "-o", out.to_str().unwrap(), "-q", "-b", "cpu"]
}

#[test]
fn kill_and_resume_gives_the_uninterrupted_output() {
    let prefix = deep_target();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, DEEP_CONTENT).unwrap();
    let expected_out = dir.path().join("expected.txt");
    Command::cargo_bin("ghostsum").unwrap().args(search_args(&input, &prefix, &expected_out)).assert().success();

    let out = dir.path().join("out.txt");
    let checkpoint = dir.path().join("cp.json");
    let mut args = search_args(&input, &prefix, &out);
    args.extend(["--json", "--checkpoint", checkpoint.to_str().unwrap(), "--checkpoint-every", "0.1"]);
    for signal in ["-KILL", "-INT"] {
        let _ = std::fs::remove_file(&checkpoint);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ghostsum"))
            .args(&args)
            .args(["--threads", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(wait_until(Duration::from_secs(20), || checkpoint.exists()), "no checkpoint was saved");
        std::thread::sleep(Duration::from_millis(200));
        std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the search finished before it was stopped; make DEEP_CONTENT's target deeper");
        assert!(!out.exists());
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
        let resumed_at: u128 = saved["next_index"].as_str().unwrap().parse().unwrap();
        assert!(resumed_at > 0);

        let assert = Command::cargo_bin("ghostsum").unwrap().args(&args).assert().success();
        let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
        let index = report["index"].as_u64().unwrap() as u128;
        eprintln!("{signal}: resumed at candidate {resumed_at}, hit at {index}");
        // It resumed: it tested about what lay between the checkpoint and the hit, not all of it.
        assert!(report["candidates_tested"].as_u64().unwrap() as u128 <= index - resumed_at + (1 << 24), "{report}");
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&expected_out).unwrap(), "after {signal}");
        assert!(!checkpoint.exists(), "a finished search removes its checkpoint");
        std::fs::remove_file(&out).unwrap();
    }
}

/// A git blob id's search resumes as MD5's does, and a checkpoint of it is not taken for an
/// MD5 search's.
#[test]
fn a_git_blob_search_stopped_and_resumed_gives_the_uninterrupted_output() {
    let prefix = deep_blob_target();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, DEEP_CONTENT).unwrap();
    let blob = |out: &Path| {
        let mut args: Vec<String> = search_args(&input, &prefix, out).into_iter().map(String::from).collect();
        args.extend(["--git-object", "blob"].map(String::from));
        args
    };
    let expected_out = dir.path().join("expected.txt");
    Command::cargo_bin("ghostsum").unwrap().args(blob(&expected_out)).assert().success();
    let out = dir.path().join("out.txt");
    let checkpoint = dir.path().join("cp.json");
    let mut args = blob(&out);
    args.extend(
        ["--json", "--checkpoint", checkpoint.to_str().unwrap(), "--checkpoint-every", "0.1"].map(String::from),
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ghostsum"))
        .args(&args)
        .args(["--threads", "1"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || checkpoint.exists()), "no checkpoint was saved");
    std::thread::sleep(Duration::from_millis(200));
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(!child.wait().unwrap().success(), "the search finished before it was stopped");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(saved["hashed_as"], "git-blob-sha1");
    let resumed_at: u128 = saved["next_index"].as_str().unwrap().parse().unwrap();
    // The same prefix as an MD5 search: refused, naming the hash, and the checkpoint kept.
    let mut md5_args = search_args(&input, &prefix, &out);
    md5_args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
    let refused = Command::cargo_bin("ghostsum").unwrap().args(&md5_args).assert().code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(err.contains("prefix of the git-blob-sha1 (this one is of the md5)"), "{err}");
    assert!(checkpoint.exists());
    let resumed = Command::cargo_bin("ghostsum").unwrap().args(&args).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&resumed.get_output().stdout).unwrap();
    let index = report["index"].as_u64().unwrap() as u128;
    assert!(index <= 300_000_000 && resumed_at > 0, "{report}");
    assert!(report["candidates_tested"].as_u64().unwrap() as u128 <= index - resumed_at + (1 << 24), "{report}");
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&expected_out).unwrap());
    assert!(!checkpoint.exists());
}

#[test]
fn a_checkpoint_of_another_search_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, DEEP_CONTENT).unwrap();
    let checkpoint = dir.path().join("cp.json");
    let out = dir.path().join("out.txt");
    let cp = ghostsum::checkpoint::CheckpointFile::new(
        &checkpoint,
        ghostsum::checkpoint::SearchIdentity {
            hashed_as: "md5".into(),
            input_md5: hex(&Md5::digest(DEEP_CONTENT)),
            input_len: DEEP_CONTENT.len() as u64,
            prefix: "abcd".into(),
            alphabet: "whitespace".into(),
            shard: None,
            fast_layout: false,
        },
    );
    cp.save(ghostsum::engine::Position { suffix_len: 15, next_index: 1000 }).unwrap();
    let cases = [
        ("abce", "whitespace", "", "different prefix"),
        ("abcd", "space-tab", "", "saved by a search with --alphabet whitespace (this one uses space-tab); pass --alphabet whitespace to resume it"),
        ("abcd", "whitespace", "--fast-layout", "different layout"),
    ];
    for (prefix, alphabet, flag, what) in cases {
        let mut args = search_args(&input, prefix, &out);
        args.extend(["--alphabet", alphabet, "--checkpoint", checkpoint.to_str().unwrap()]);
        if !flag.is_empty() {
            args.push(flag);
        }
        let assert = Command::cargo_bin("ghostsum").unwrap().args(&args).assert().code(2);
        let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(err.contains(what), "{err}");
    }
    std::fs::write(&input, b"other content").unwrap();
    let mut args = search_args(&input, "abcd", &out);
    args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
    let assert = Command::cargo_bin("ghostsum").unwrap().args(&args).assert().code(2);
    assert!(String::from_utf8_lossy(&assert.get_output().stderr).contains("different input"));
    // A file that is not ours, JSON or not, text or not, is named and left alone.
    for junk in [&b"{not json"[..], &[0xff, 0xfe, 0x00][..]] {
        std::fs::write(&checkpoint, junk).unwrap();
        let assert = Command::cargo_bin("ghostsum").unwrap().args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains("is not a ghostsum checkpoint") && err.contains("delete it"), "{err}");
        assert_eq!(std::fs::read(&checkpoint).unwrap(), junk);
    }
}
