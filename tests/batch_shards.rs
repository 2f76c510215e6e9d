//! `ghostsum batch --shard I/N` and `--collect` (issue 19): every page in exactly one task,
//! the same bytes as an unsharded run, a task killed and run again, and a collect run that
//! checks every page before it writes the report.
#![cfg(unix)]

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const SMALL_PAGES: usize = 8;
/// Page "big"'s prefix: 7 digits, which its text reaches only after about 773.0 million
/// candidates with the default placement (space-tab-lf on lines of its own after the final
/// line break: `ghostsum search` of the resolved page said index 772,972,157, 2026-12-05; a
/// 7-digit hit takes 268 million on average, and 6789016, 6789012 and 1234567 served under
/// earlier placements), so a task searching it runs for a second or more and can be stopped
/// in the middle.
const BIG_PREFIX: &str = "6789106";
/// Every candidate below the hit is tested, whatever the devices.
const BIG_CANDIDATES_AT_LEAST: u64 = 600_000_000;

/// A manifest of eight 4-digit pages linked in a ring and one 7-digit page linking to the
/// first; returns its folder.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = ring_manifest(dir.path(), "p", SMALL_PAGES, "site.example", 4, 11);
    std::fs::write(dir.path().join("big.txt"), "the big page links to {{url:p0}}\n").unwrap();
    manifest += &format!("[[page]]\nname = \"big\"\nfile = \"big.txt\"\nprefix = \"{BIG_PREFIX}\"\n");
    std::fs::write(dir.path().join("site.toml"), manifest).unwrap();
    dir
}

fn batch(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin()).arg("batch").arg("site.toml").args(args).current_dir(dir).output().unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn names(value: &serde_json::Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// The files of a folder with their bytes, but the report.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "ghostsum-report.json")
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    all.sort();
    all
}

#[test]
fn tasks_split_the_pages_once_each_and_write_what_an_unsharded_run_writes() {
    let dir = site();
    let whole = json_of(&batch(dir.path(), &["--out-dir", "whole", "-b", "cpu", "-q", "--json"]));
    let big = whole["pages"].as_array().unwrap().iter().find(|p| p["name"] == "big").unwrap();
    assert!(big["candidates"].as_u64().unwrap() >= BIG_CANDIDATES_AT_LEAST, "the test's premise: {big}");
    for tasks in [1u64, 3, 12] {
        let out = format!("tasks{tasks}");
        let mut searched = Vec::new();
        for task in 0..tasks {
            let shard = format!("{task}/{tasks}");
            let report =
                json_of(&batch(dir.path(), &["--out-dir", &out, "--shard", &shard, "-b", "cpu", "-q", "--json"]));
            assert_eq!(report["shard"]["index"], task);
            // A task's pages are only its own: it writes no report.
            assert!(!dir.path().join(&out).join("ghostsum-report.json").exists());
            let pages = names(&report["searched"]);
            assert_eq!(pages.len(), report["pages"].as_array().unwrap().len());
            if tasks == 3 {
                // Split by expected work: the 7-digit page is a task's whole share.
                assert!(pages == ["big"] || !pages.contains(&"big".to_string()), "{pages:?}");
            }
            searched.extend(pages);
        }
        searched.sort();
        let mut all: Vec<String> = (0..SMALL_PAGES).map(|n| format!("p{n}")).chain(["big".into()]).collect();
        all.sort();
        assert_eq!(searched, all, "{tasks} tasks");
        assert_eq!(files(&dir.path().join(&out)), files(&dir.path().join("whole")), "{tasks} tasks");
        // Collect searches nothing and writes the report the unsharded run wrote, but for the
        // figures of searches it did not see.
        let collected = json_of(&batch(dir.path(), &["--out-dir", &out, "--collect", "-q", "--json"]));
        assert_eq!(collected["searched"].as_array().unwrap().len(), 0);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(&out).join("ghostsum-report.json")).unwrap())
                .unwrap();
        for (mine, theirs) in report["pages"].as_array().unwrap().iter().zip(whole["pages"].as_array().unwrap()) {
            for key in ["name", "md5", "address", "prefix", "suffix_len"] {
                assert_eq!(mine[key], theirs[key], "{key}");
            }
            assert_eq!(mine["skipped"], true);
            // The tasks' figures are not known to the collect run: null, not 0 (issue 29 item 16).
            assert!(mine["candidates"].is_null() && mine["seconds"].is_null(), "{mine}");
            let output = dir.path().join(&out).join(mine["output"].as_str().unwrap().split('/').next_back().unwrap());
            assert!(md5sum(&output).starts_with(mine["prefix"].as_str().unwrap()));
        }
    }
}

#[test]
fn collect_names_missing_and_altered_pages_and_a_plain_run_searches_only_those() {
    let dir = site();
    // Without the 7-digit page: two tasks of three, the third never ran.
    let (mut task_pages, mut ran) = (Vec::new(), Vec::new());
    for task in 0..3 {
        let listed =
            json_of(&batch(dir.path(), &["--out-dir", "probe", "--shard", &format!("{task}/3"), "-q", "--json"]));
        task_pages.push(names(&listed["searched"]));
    }
    let small_task = (0..3).find(|&t| !task_pages[t].contains(&"big".to_string())).unwrap();
    ran.extend(task_pages[small_task].clone());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for name in &ran {
        std::fs::copy(dir.path().join("probe").join(format!("{name}.txt")), out.join(format!("{name}.txt"))).unwrap();
    }
    // One finished page altered by hand: its link changed, so it is no longer the page.
    let altered = &ran[0];
    let text = std::fs::read_to_string(out.join(format!("{altered}.txt"))).unwrap();
    std::fs::write(out.join(format!("{altered}.txt")), text.replace("site.example", "elsewhere.example")).unwrap();
    let collect = batch(dir.path(), &["--out-dir", "out", "--collect", "-q"]);
    assert_eq!(collect.status.code(), Some(1));
    let said = String::from_utf8_lossy(&collect.stderr);
    let missing = SMALL_PAGES + 1 - ran.len() + 1;
    assert!(said.contains(&format!("{missing} of {} pages are missing or unfinished", SMALL_PAGES + 1)), "{said}");
    assert!(said.contains(&format!("'{altered}'")) && said.contains("'big'"), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(!out.join("ghostsum-report.json").exists());
    // A plain run searches exactly what collect named, and the report is whole.
    let plain = json_of(&batch(dir.path(), &["--out-dir", "out", "-b", "cpu", "-q", "--json"]));
    let mut searched = names(&plain["searched"]);
    searched.sort();
    let mut expected: Vec<String> =
        task_pages.iter().flatten().filter(|n| !ran.contains(n) || *n == altered).cloned().collect();
    expected.sort();
    assert_eq!(searched, expected);
    assert_eq!(files(&out), files(&dir.path().join("probe")));
    assert!(out.join("ghostsum-report.json").exists());
}

#[test]
fn a_task_stopped_or_killed_leaves_no_debris_and_runs_again() {
    let dir = site();
    // Two tasks: the 7-digit page outweighs the eight small ones, so task 0 has it alone.
    let task = |extra: &[&str]| {
        let mut args = vec!["batch", "site.toml", "--out-dir", "out", "--shard", "0/2", "-b", "cpu", "--json"];
        args.extend(extra);
        let log = std::fs::File::create(dir.path().join("task.log")).unwrap();
        Command::new(bin()).args(&args).current_dir(dir.path()).stdout(Stdio::piped()).stderr(log).spawn().unwrap()
    };
    let searching = || std::fs::read_to_string(dir.path().join("task.log")).unwrap().contains("big ->");
    for signal in ["TERM", "KILL"] {
        let child = task(&[]);
        assert!(wait_until(Duration::from_secs(60), searching), "the task never started its page");
        std::thread::sleep(Duration::from_millis(100));
        kill(child.id(), signal);
        let ended = child.wait_with_output().unwrap();
        match signal {
            "TERM" => assert_eq!(ended.status.code(), Some(143)),
            _ => assert_eq!(std::os::unix::process::ExitStatusExt::signal(&ended.status), Some(9)),
        }
        assert!(!dir.path().join("out/big.txt").exists(), "stopped with {signal}, yet written");
        assert!(temp_files(&dir.path().join("out")).is_empty());
        assert!(temp_files(dir.path()).is_empty());
    }
    let again = json_of(&task(&["-q"]).wait_with_output().unwrap());
    assert_eq!(names(&again["searched"]), ["big"]);
    let other = json_of(&batch(dir.path(), &["--out-dir", "out", "--shard", "1/2", "-b", "cpu", "-q", "--json"]));
    assert_eq!(names(&other["searched"]).len(), SMALL_PAGES);
    // Run again, a finished task searches nothing.
    let rerun = json_of(&task(&["-q"]).wait_with_output().unwrap());
    assert!(names(&rerun["searched"]).is_empty());
    assert!(batch(dir.path(), &["--out-dir", "out", "--collect", "-q"]).status.success());
    assert!(md5sum(&dir.path().join("out/big.txt")).starts_with(BIG_PREFIX));
}

#[test]
fn shard_options_are_checked() {
    let dir = site();
    let refused = |args: &[&str], says: &str| {
        let out = batch(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(says) && said.lines().count() == 1, "{said}");
    };
    refused(&["--out-dir", "o", "--shard", "3/3"], "--shard '3/3' is not I/N");
    refused(&["--out-dir", "o", "--shard", "1/3", "--shard-count", "3"], "--shard-count is only for --shard env");
    refused(&["--out-dir", "o", "--shard", "1/3", "--collect"], "cannot be used with");
    let out = Command::new(bin())
        .args(["batch", "site.toml", "--out-dir", "o", "--shard", "env", "-q"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("found no shard in the environment"));
}

/// The `command:` of a Kubernetes Job in examples/kubernetes/, with /data as `data`.
fn job_command(file: &str, data: &Path) -> Vec<String> {
    let yaml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes").join(file)).unwrap();
    let line = yaml.lines().find_map(|l| l.trim().strip_prefix("command: ")).expect("a command line");
    let words: Vec<String> = serde_json::from_str(line).unwrap();
    words.into_iter().map(|w| w.replace("/data", &data.display().to_string())).collect()
}

/// The indexed Job's pods, each as Kubernetes runs it (ghostsum as the command, no shell,
/// JOB_COMPLETION_INDEX set), then the collect Job's: every page once, all collected.
#[test]
fn the_kubernetes_batch_jobs_commands_split_and_collect() {
    let dir = site();
    let yaml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes/ghostsum-batch.yaml"))
            .unwrap();
    let completions: u64 = yaml.lines().find_map(|l| l.trim().strip_prefix("completions: ")).unwrap().parse().unwrap();
    let pod = job_command("ghostsum-batch.yaml", dir.path());
    assert!(pod.join(" ").contains(&format!("--shard-count {completions}")), "{pod:?}");
    let mut searched = Vec::new();
    for index in 0..completions {
        let out = Command::new(bin())
            .args(&pod[1..])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        let report = json_of(&out);
        assert_eq!(report["shard"]["index"], index);
        searched.extend(names(&report["searched"]));
    }
    searched.sort();
    let mut all: Vec<String> = (0..SMALL_PAGES).map(|n| format!("p{n}")).chain(["big".into()]).collect();
    all.sort();
    assert_eq!(searched, all);
    let collect = job_command("ghostsum-collect.yaml", dir.path());
    let report = json_of(&Command::new(bin()).args(&collect[1..]).output().unwrap());
    assert_eq!(report["pages"].as_array().unwrap().len(), SMALL_PAGES + 1);
    assert!(dir.path().join("out/ghostsum-report.json").exists());
}

#[test]
fn a_run_with_nothing_left_to_search_opens_no_device() {
    // A collect job, or a run after every page is done, is given the searching runs' flags:
    // a GPU named there (gpu:63, which no machine here has) or asked for (gpu: no real one
    // here) would fail the run if it were opened.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), ring_manifest(dir.path(), "p", 4, "site.example", 3, 5)).unwrap();
    let first = json_of(&batch(dir.path(), &["--out-dir", "out", "-b", "cpu", "-q", "--json"]));
    assert_eq!(names(&first["searched"]).len(), 4);
    let report = dir.path().join("out/ghostsum-report.json");
    for backend in ["gpu:63", "gpu"] {
        for extra in [&["--collect"][..], &[]] {
            std::fs::remove_file(&report).unwrap();
            let mut args = vec!["--out-dir", "out", "-b", backend, "--json"];
            args.extend(extra);
            let run = batch(dir.path(), &args);
            let said = String::from_utf8_lossy(&run.stderr).to_string();
            assert!(said.contains("4 pages on no device: every page is already done"), "{backend} {extra:?}: {said}");
            let value = json_of(&run);
            assert_eq!(names(&value["searched"]).len(), 0);
            assert_eq!(value["backend"], "no device");
            for (page, was) in value["pages"].as_array().unwrap().iter().zip(first["pages"].as_array().unwrap()) {
                assert_eq!((&page["md5"], &page["skipped"]), (&was["md5"], &serde_json::Value::Bool(true)));
            }
            assert!(report.exists());
        }
    }
}
