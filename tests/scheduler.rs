//! The README's shard recipes on real schedulers, each ending at the first hit: a Slurm job
//! array on a real single-node cluster (examples/slurm/single-node.sh starts it) and GNU
//! parallel. Without root (the daemons need it) the Slurm test is skipped with the reason,
//! except under CI=true, where it must run.
#![cfg(unix)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A 9-digit prefix for examples/notes.txt (searched with its default placement and alphabet,
/// space-tab-lf on lines of its own after the final line break) chosen so the outcome does
/// not depend on timing: it is the MD5 prefix of the candidate 5,000 past the start of shard
/// 1 of 4, so shard 1 finds it after 5,001 candidates (computed 2026-12-05 with the library's
/// placement, Layout and Shard; `ghostsum search notes.txt -p d97df27f0 --shard 1/4` said
/// 5,001 candidates). The other shards' first hits are not re-measured for this prefix; a
/// 9-digit hit takes 2^36 candidates on average, and shard 0's first under the old default
/// was 33,384,487,203 candidates in (measured 2026-11-30).
const PREFIX: &str = "d97df27f0";
const WINNER: u32 = 1;
/// Candidates shard 0 searches before its first hit, at least.
const SHARD_0_FIRST_HIT: f64 = 33_384_487_203.0;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder holding notes.txt, and a PATH on which `ghostsum` is the binary under test.
fn workdir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("examples/notes.txt"), dir.path().join("notes.txt")).unwrap();
    (dir, path_with_ghostsum())
}

/// A PATH on which `ghostsum` is the binary under test.
fn path_with_ghostsum() -> String {
    format!("{}:{}", bin().parent().unwrap().display(), std::env::var("PATH").unwrap())
}

/// README must show `recipe` as tested; then true when GNU parallel is here to run it (in CI
/// it must be), else the test named `what` is skipped with the reason.
fn parallel_recipe_runs(recipe: &str, what: &str) -> bool {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains(recipe), "README.md must show the tested recipe");
    if Command::new("parallel").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "CI must run the GNU parallel tests (apt-get install parallel)");
        eprintln!("skipped {what}: parallel is not installed");
        return false;
    }
    true
}

/// The outputs, the leftovers, and what each shard reported.
fn outcome(dir: &Path) -> (Vec<PathBuf>, Vec<String>) {
    let mut outputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "out"))
        .collect();
    outputs.sort();
    (outputs, temp_files(dir))
}

/// The `--json` lines in a log or an output stream.
fn reports(text: &str) -> Vec<serde_json::Value> {
    text.lines().filter_map(|l| l.find('{').and_then(|at| serde_json::from_str(&l[at..]).ok())).collect()
}

/// Every `.log` file in a folder: its name and text.
fn logs_in(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

/// Stops the cluster however the test ends.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("examples/slurm/single-node.sh")).arg("stop").arg(&self.0).status();
    }
}

#[test]
fn slurm_array_recipe_ends_at_the_first_hit() {
    if !root_or_skip("the Slurm job array test") {
        return;
    }
    let recipe = repo().join("examples/slurm/ghostsum-array.sbatch");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains(&std::fs::read_to_string(&recipe).unwrap()), "README.md must show the tested recipe");
    let state = tempfile::tempdir().unwrap();
    let started =
        Command::new(repo().join("examples/slurm/single-node.sh")).arg("start").arg(state.path()).output().unwrap();
    let _cluster = Cluster(state.path().to_path_buf());
    if !started.status.success() {
        let why = String::from_utf8_lossy(&started.stderr);
        assert!(std::env::var("CI").is_err(), "CI must run the Slurm test, but the cluster did not start: {why}");
        eprintln!("skipped the Slurm job array test: the cluster did not start: {why}");
        return;
    }
    let (dir, path) = workdir();
    let clock = Instant::now();
    let submitted = Command::new("sbatch")
        .args(["--wait", "--array=0-3"])
        .arg(&recipe)
        .args(["notes.txt", PREFIX])
        .current_dir(dir.path())
        .env("PATH", &path)
        .env("SLURM_CONF", state.path().join("slurm.conf"))
        .output()
        .unwrap();
    let elapsed = clock.elapsed();
    let said = String::from_utf8_lossy(&submitted.stdout).to_string() + &String::from_utf8_lossy(&submitted.stderr);
    // sbatch --wait reports the highest task status, 1 for the cancelled ones.
    assert!(matches!(submitted.status.code(), Some(0) | Some(1)), "{said}");
    let (outputs, leftovers) = outcome(dir.path());
    assert_eq!(outputs, vec![dir.path().join(format!("notes.txt.{WINNER}.out"))], "{said}");
    assert!(md5sum(&outputs[0]).starts_with(PREFIX));
    assert!(std::fs::read(&outputs[0]).unwrap().starts_with(&std::fs::read(dir.path().join("notes.txt")).unwrap()));
    assert!(leftovers.is_empty(), "debris: {leftovers:?}");
    let logs = logs_in(dir.path());
    let log_of = |task: u32| logs.iter().find(|(name, _)| name.ends_with(&format!("_{task}.log"))).map(|(_, t)| t);
    let winner = log_of(WINNER).expect("the winning task's log");
    assert_eq!(reports(winner).last().unwrap()["status"], "found", "{winner}");
    // Task 0 ran beside the winner and was stopped by its scancel, cleanly, with a report.
    let stopped = log_of(0).expect("task 0 ran in the first wave");
    assert!(stopped.contains("SIGTERM: stopped; nothing was written"), "{stopped}");
    let report = reports(stopped).pop().unwrap_or_else(|| panic!("no report in {stopped}"));
    assert_eq!(report["status"], "stopped");
    assert_eq!(report["shard"]["index"], 0);
    // It would have needed over 33.4G candidates at the rate it was running.
    let rate = report["candidates_tested"].as_f64().unwrap() / report["seconds"].as_f64().unwrap().max(1e-3);
    let would_take = SHARD_0_FIRST_HIT / rate;
    eprintln!("sbatch --wait returned after {elapsed:?}; shard 0 would have run {would_take:.0} s at {rate:.3e}/s");
    assert!(elapsed.as_secs_f64() * 4.0 < would_take, "{elapsed:?} against {would_take} s");
    // Tasks 2 and 3 were still pending: cancelled before they started, they left no output.
    assert!(log_of(2).is_none_or(|t| !t.contains("\"found\"")));
    arrays_that_step_or_skip_search_every_shard_once(state.path(), &path);
    batch_array_then_collect_job(state.path(), &path);
    stop_ends_a_job_that_ignores_sigterm_and_trusts_only_its_own_dir(state.path());
}

/// `--shard env` on the arrays people submit (issue 16 item 5): a range with a step, a
/// single task, chosen shards again with --shard-count, and a list that is not a range,
/// which is refused rather than leaving shards unsearched.
fn arrays_that_step_or_skip_search_every_shard_once(state: &Path, path: &str) {
    let run = |array: &str, extra: &[&str]| -> Vec<serde_json::Value> {
        let (dir, _) = workdir();
        let script = dir.path().join("shard.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\n#SBATCH --output=task-%a.log\nexec ghostsum search notes.txt -p 0 -b cpu -j 1 -q --json --shard env \"$@\" -o notes.$SLURM_ARRAY_TASK_ID.res\n",
        )
        .unwrap();
        let out = Command::new("sbatch")
            .args(["--wait", &format!("--array={array}")])
            .arg(&script)
            .args(extra)
            .current_dir(dir.path())
            .env("PATH", path)
            .env("SLURM_CONF", state.join("slurm.conf"))
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(said.is_empty() || out.status.code().is_some(), "{said}");
        let mut logs: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        logs.sort();
        logs.iter().map(|log| reports(&std::fs::read_to_string(log).unwrap()).pop().expect("a --json report")).collect()
    };
    let shards = |reports: &[serde_json::Value]| -> Vec<(u64, u64)> {
        let mut s: Vec<(u64, u64)> = reports
            .iter()
            .map(|r| (r["shard"]["index"].as_u64().unwrap_or(99), r["shard"]["count"].as_u64().unwrap_or(0)))
            .collect();
        s.sort();
        s
    };
    let stepped = run("0-6:2", &[]);
    assert_eq!(shards(&stepped), vec![(0, 4), (1, 4), (2, 4), (3, 4)], "{stepped:?}");
    let again = run("3,5", &["--shard-count", "8"]);
    assert_eq!(shards(&again), vec![(3, 8), (5, 8)], "{again:?}");
    let single = run("5", &[]);
    assert_eq!(single.len(), 1);
    assert!(single[0]["shard"].is_null() || shards(&single) == vec![(0, 1)], "{single:?}");
    let listed = run("1,6", &[]);
    assert_eq!(listed.len(), 2);
    for report in &listed {
        assert_eq!(report["status"], "error", "{report}");
        assert!(report["error"].as_str().unwrap().contains("not a range"), "{report}");
    }
}

/// A manifest of `pages` pages of 5 digits linked in a ring, in a new folder, with the
/// pages an unsharded batch writes (in `whole/`) to compare with.
fn ring_site(pages: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), ring_manifest(dir.path(), "r", pages, "ring.example", 5, 5)).unwrap();
    let whole = Command::new(bin())
        .args(["batch", "site.toml", "--out-dir", "whole", "-b", "cpu", "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    dir
}

/// Every page of `site` in `out` is the unsharded run's, and the collect run's report names
/// every page.
fn assert_collected(site: &Path, out: &str, pages: usize) {
    for n in 0..pages {
        let name = format!("r{n}.txt");
        let (mine, whole) = (site.join(out).join(&name), site.join("whole").join(&name));
        assert_eq!(std::fs::read(&mine).unwrap(), std::fs::read(&whole).unwrap(), "{name}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join(out).join("ghostsum-report.json")).unwrap()).unwrap();
    assert_eq!(report["pages"].as_array().unwrap().len(), pages);
    assert!(temp_files(&site.join(out)).is_empty());
}

/// README's batch recipe for Slurm, as written there: an array of 4 tasks, then the collect
/// job with --dependency=afterok (waited for here with --wait).
fn batch_array_then_collect_job(state: &Path, path: &str) {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let submit = "tasks=$(sbatch --parsable --array=0-3 ghostsum-batch-array.sbatch site.toml out 4)\nsbatch --dependency=afterok:$tasks ghostsum-batch-collect.sbatch site.toml out\n";
    assert!(readme.contains(submit), "README.md must show the tested commands");
    const PAGES: usize = 12;
    let site = ring_site(PAGES);
    for script in ["ghostsum-batch-array.sbatch", "ghostsum-batch-collect.sbatch"] {
        let text = std::fs::read_to_string(repo().join("examples/slurm").join(script)).unwrap();
        assert!(readme.contains(&text), "README.md must show {script}");
        std::fs::write(site.path().join(script), text).unwrap();
    }
    let ran = Command::new("bash")
        .arg("-c")
        .arg(submit.replace("sbatch --dependency", "sbatch --wait --dependency"))
        .current_dir(site.path())
        .env("PATH", path)
        .env("SLURM_CONF", state.join("slurm.conf"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ran.stdout).to_string() + &String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{said}");
    let logs = logs_in(site.path());
    let mut searched: Vec<String> = Vec::new();
    let mut tasks = 0;
    let (mut task_2_pages, mut other_page) = (Vec::new(), None);
    for (name, log) in logs.iter().filter(|(name, _)| name.starts_with("ghostsum-batch-")) {
        let report: serde_json::Value = serde_json::from_str(&log[log.find('{').expect(name)..]).expect(name);
        let pages: Vec<String> =
            report["searched"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        if report["shard"]["index"] == 2 {
            task_2_pages = pages.clone();
        } else if other_page.is_none() {
            other_page = pages.first().cloned();
        }
        searched.extend(pages);
        tasks += 1;
    }
    assert_eq!(tasks, 4, "{logs:?}");
    searched.sort();
    let mut all: Vec<String> = (0..PAGES).map(|n| format!("r{n}")).collect();
    all.sort();
    assert_eq!(searched, all, "every page searched by exactly one task");
    let collect = logs.iter().find(|(name, _)| name.starts_with("ghostsum-collect-")).expect("the collect job's log");
    assert!(collect.1.contains("\"searched\": []"), "{}", collect.1);
    assert_collected(site.path(), "out", PAGES);
    // Task 2 run again on its own (issue 29 item 2), after its pages and one of another
    // task's were lost: it searches its own, and leaves the other task's to that task.
    let other_page = other_page.expect("another task's page");
    assert!(!task_2_pages.is_empty());
    for page in task_2_pages.iter().chain([&other_page]) {
        std::fs::remove_file(site.path().join("out").join(format!("{page}.txt"))).unwrap();
    }
    let before: Vec<String> = logs_in(site.path()).into_iter().map(|(name, _)| name).collect();
    let again = Command::new("sbatch")
        .args(["--wait", "--array=2", "ghostsum-batch-array.sbatch", "site.toml", "out", "4"])
        .current_dir(site.path())
        .env("PATH", path)
        .env("SLURM_CONF", state.join("slurm.conf"))
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let (name, log) =
        logs_in(site.path()).into_iter().find(|(name, _)| !before.contains(name)).expect("the re-run's log");
    let report: serde_json::Value = serde_json::from_str(&log[log.find('{').expect(&name)..]).expect(&name);
    assert_eq!((report["shard"]["index"].clone(), report["shard"]["count"].clone()), (2.into(), 4.into()), "{report}");
    let mut searched_again: Vec<String> =
        report["searched"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    searched_again.sort();
    task_2_pages.sort();
    assert_eq!(searched_again, task_2_pages, "the re-run searched its own missing pages and no other");
    assert!(!site.path().join("out").join(format!("{other_page}.txt")).exists(), "another task's page is its own");
    for page in &task_2_pages {
        let (mine, whole) = (
            site.path().join("out").join(format!("{page}.txt")),
            site.path().join("whole").join(format!("{page}.txt")),
        );
        assert_eq!(std::fs::read(&mine).unwrap(), std::fs::read(&whole).unwrap(), "{page}");
    }
}

/// README's batch recipe for GNU parallel, as written there.
#[test]
fn gnu_parallel_batch_recipe_collects() {
    const RECIPE: &str = "parallel -j 4 ghostsum batch site.toml --out-dir out --shard {}/4 -j 1 -q ::: 0 1 2 3 && ghostsum batch site.toml --out-dir out --collect";
    if !parallel_recipe_runs(RECIPE, "the GNU parallel batch test") {
        return;
    }
    const PAGES: usize = 10;
    let site = ring_site(PAGES);
    let path = path_with_ghostsum();
    let ran = Command::new("bash").arg("-c").arg(RECIPE).current_dir(site.path()).env("PATH", &path).output().unwrap();
    let said = String::from_utf8_lossy(&ran.stdout).to_string() + &String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{said}");
    assert!(said.contains("finished, verified"), "{said}");
    assert_collected(site.path(), "out", PAGES);
}

/// examples/slurm/single-node.sh stop (issue 16 item 11): a job that ignores SIGTERM is
/// killed and stop reports nothing left; a PID file naming another process is not obeyed;
/// a DIR that others can write is refused.
fn stop_ends_a_job_that_ignores_sigterm_and_trusts_only_its_own_dir(state: &Path) {
    let script = state.join("stubborn.sh");
    let pid_file = state.join("stubborn.pid");
    std::fs::write(
        &script,
        format!("#!/bin/bash\ntrap '' TERM\necho $$ > {}\nfor i in $(seq 300); do sleep 1; done\n", pid_file.display()),
    )
    .unwrap();
    let submitted = Command::new("sbatch")
        .arg(&script)
        .current_dir(state)
        .env("SLURM_CONF", state.join("slurm.conf"))
        .output()
        .unwrap();
    assert!(submitted.status.success());
    let running = || {
        let Ok(pid) = std::fs::read_to_string(&pid_file) else { return false };
        std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).is_ok_and(|s| !s.contains(") Z "))
    };
    assert!(wait_until(Duration::from_secs(30), running), "the stubborn job never started");
    // A process that is no daemon, named in slurmctld.pid: stop must not kill it.
    let mut bystander = Command::new("sleep").arg("300").spawn().unwrap();
    let real_pid = std::fs::read_to_string(state.join("slurmctld.pid")).unwrap();
    std::fs::write(state.join("slurmctld.pid"), bystander.id().to_string()).unwrap();
    let stop = || Command::new(repo().join("examples/slurm/single-node.sh")).arg("stop").arg(state).output().unwrap();
    // Writable by others: refused, nothing stopped.
    let mode = |m: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(state, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(0o777);
    let refused = stop();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("can be written by others"));
    assert!(running());
    mode(0o700);
    let stopped = stop();
    let said = String::from_utf8_lossy(&stopped.stderr).to_string();
    assert!(stopped.status.success(), "{said}");
    assert!(!running(), "the job that ignores SIGTERM still runs");
    assert!(bystander.try_wait().unwrap().is_none(), "stop killed the process a PID file named");
    let _ = bystander.kill();
    let _ = bystander.wait();
    // slurmctld ran under its real PID, which the forged file hid: stop found it anyway.
    let real_pid = real_pid.trim();
    let alive = std::fs::read_to_string(format!("/proc/{real_pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
    assert!(!alive, "slurmctld {real_pid} still runs");
}

/// The README's GNU parallel recipe, as written there with 0123456789 as the prefix.
const PARALLEL_RECIPE: &str = "parallel --halt now,success=1 -j 4 --tag ghostsum search notes.txt -p 0123456789 --force -j 1 --json --shard {}/4 -o notes.txt.{}.out ::: 0 1 2 3";

#[test]
fn gnu_parallel_recipe_ends_at_the_first_hit() {
    if !parallel_recipe_runs(PARALLEL_RECIPE, "the GNU parallel test") {
        return;
    }
    let (dir, path) = workdir();
    let clock = Instant::now();
    let run = Command::new("bash")
        .arg("-c")
        .arg(PARALLEL_RECIPE.replace("0123456789", PREFIX))
        .current_dir(dir.path())
        .env("PATH", &path)
        .output()
        .unwrap();
    let elapsed = clock.elapsed();
    let out = String::from_utf8_lossy(&run.stdout).to_string();
    assert_eq!(run.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&run.stderr));
    let (outputs, leftovers) = outcome(dir.path());
    assert_eq!(outputs, vec![dir.path().join(format!("notes.txt.{WINNER}.out"))], "{out}");
    assert!(md5sum(&outputs[0]).starts_with(PREFIX));
    assert!(leftovers.is_empty(), "debris: {leftovers:?}");
    let winner = reports(&out).into_iter().find(|r| r["status"] == "found").expect("the winner's report");
    assert_eq!(winner["shard"]["index"], WINNER);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}
