//! `ghostsum git-commit`: gives HEAD's commit an id that starts with the prefix, changing
//! nothing but spaces and tabs before its message's final line break.
//!
//! The commit's bytes come from `git cat-file`, the new object is written by
//! `git hash-object -w` (not `git commit --amend`, whose message cleanup strips trailing
//! whitespace), and HEAD moves with `git update-ref HEAD NEW OLD`, which refuses if HEAD
//! moved meanwhile. Tree, parents, author, committer, the index and the working tree stay as
//! they are; the old commit stays in the reflog.

use super::{EngineArgs, GitCommitArgs};
use crate::address::{Address, GitObject};
use crate::alphabet::Alphabet;
use crate::engine::{self, EngineOptions};
use crate::exit::Exit;
use crate::git::{is_signed, Repo};
use crate::input::Content;
use crate::run::Outcome;
use crate::stdio::{print_line, say};
use crate::target::hex;

/// The `--json` object: one on stdout whatever the outcome (the new id's line is not printed
/// then; errors still get their line on stderr too).
#[derive(Default, serde::Serialize)]
struct CommitReport {
    /// `found` (HEAD moved to `new`), `unchanged` (HEAD had the prefix), `stopped`, `error`.
    status: &'static str,
    prefix: String,
    /// `git-commit-sha1` or `git-commit-sha256`: the repository's object format.
    hashed_as: Option<String>,
    /// HEAD's id before, and after (the same when unchanged; null unless found or unchanged).
    old: Option<String>,
    new: Option<String>,
    /// Spaces and tabs added before the message's final line break.
    suffix_len: usize,
    candidates_tested: u64,
    seconds: f64,
    error: Option<String>,
}

pub(super) fn run(args: GitCommitArgs) -> anyhow::Result<Exit> {
    let json = args.report.json;
    let mut report = CommitReport { status: "error", prefix: args.prefix.hex().to_string(), ..CommitReport::default() };
    let outcome = give_head_its_id(args, &mut report);
    if json {
        match &outcome {
            Err(e) => match crate::signals::Interrupted::signal_of(e) {
                Some(_) => report.status = "stopped",
                None => (report.status, report.error) = ("error", Some(format!("{e:#}"))),
            },
            Ok(Exit::Stopped(_)) => report.status = "stopped",
            Ok(_) => {}
        }
        print_line(serde_json::to_string(&report)?)?;
    }
    outcome
}

fn give_head_its_id(args: GitCommitArgs, report: &mut CommitReport) -> anyhow::Result<Exit> {
    let json = args.report.json;
    args.engine.check()?;
    let repo = Repo::at(&args.dir);
    let format = repo.object_format()?;
    let address = Address { hash: format.hash(), git_object: Some(GitObject::Commit) };
    report.hashed_as = Some(address.key());
    let prefix = args.prefix.for_hash(address.hash)?;
    // A commit's blanks end its message's last line, where more of them cost nothing a person
    // sees: the fast layout is the default here (the CPU's kernel is chosen for it).
    let fast_layout = !args.shortest;
    let engine_args = EngineArgs { fast_layout, ..args.engine.for_address(&address) };
    let where_ = args.dir.display();
    if let Some(operation) = repo.operation_in_progress()? {
        anyhow::bail!("{where_} is in the middle of {operation}; finish it first, then give HEAD its id");
    }
    let old = repo
        .line(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        .map_err(|_| anyhow::anyhow!("{where_}: HEAD is not a commit yet; commit first, then give it its id"))?;
    let bytes = repo.run(&["cat-file", "commit", &old], None)?;
    if is_signed(&bytes) {
        anyhow::bail!(
            "HEAD ({}) is signed, and a new id needs a new signature, which ghostsum cannot make; commit without signing (git commit --amend --no-gpg-sign), give it its id, then sign a tag instead",
            &old[..12]
        );
    }
    if prefix.matches_digest(&address.of(&bytes)) {
        say(format!("ghostsum: HEAD {old} already starts with {prefix}; nothing to do"));
        (report.status, report.new) = ("unchanged", Some(old.clone()));
        report.old = Some(old.clone());
        if !json {
            print_line(&old)?;
        }
        return Ok(Exit::Done);
    }
    let alphabet = Alphabet::space_tab();
    let mut content = Content::from_bytes(&bytes);
    // Before the message's final line break: trailing blanks on its last line, which git log
    // and git show print as nothing.
    if bytes.ends_with(b"\n") {
        content.place_suffix_before(1)?;
    }
    content.set_address(address);
    let options = EngineOptions { fast_layout, ..EngineOptions::default() };
    engine::fold_address(&mut content, &prefix, &alphabet, &options)?;
    let session = engine_args.session(&args.report)?;
    session.say(format!(
        "ghostsum: HEAD {} ({}): searching on {} for an id starting with {prefix}",
        &old[..12],
        address.describe(),
        session.describe()
    ));
    let run = session.search(&content, &prefix, &alphabet, &options, "HEAD".into(), &mut |_| {})?;
    (report.candidates_tested, report.seconds) = (run.tested, run.seconds);
    let found = match run.outcome {
        Outcome::Found(found) => found,
        Outcome::Stopped(signal) => {
            say(format!("ghostsum: {}: stopped; HEAD is unchanged", signal.name()));
            return Ok(Exit::Stopped(signal));
        }
        Outcome::NoHit => anyhow::bail!("internal error: a whole search ended without a hit; please report it"),
    };
    let head_len = bytes.len() - content.trailer.len();
    let new_bytes = [&bytes[..head_len], &found.suffix, &content.trailer].concat();
    let new = hex(&found.digest);
    let written = repo.line_with_input(&["hash-object", "-t", "commit", "-w", "--stdin"], &new_bytes)?;
    if written != new {
        anyhow::bail!("internal error: git wrote the new commit as {written}, not {new}; HEAD is unchanged. Please report this bug");
    }
    let message = format!("ghostsum git-commit: id starting with {prefix}");
    if let Err(e) = repo.run(&["update-ref", "-m", &message, "HEAD", &new, &old], None) {
        let now = repo.line(&["rev-parse", "--verify", "--quiet", "HEAD"]).unwrap_or_default();
        if now != old {
            anyhow::bail!(
                "HEAD moved from {} to {} while ghostsum searched; HEAD is left as it is now: run ghostsum git-commit again",
                &old[..12],
                &now[..now.len().min(12)]
            );
        }
        return Err(e);
    }
    session.say(format!(
        "ghostsum: HEAD is now {new} (was {old}; {} spaces and tabs before the message's last line break, {} candidates in {:.2} s)",
        found.suffix.len(),
        crate::progress::human_count(run.tested as f64),
        run.seconds
    ));
    (report.status, report.old, report.suffix_len) = ("found", Some(old), found.suffix.len());
    if json {
        report.new = Some(new);
    } else {
        print_line(&new)?;
    }
    Ok(Exit::Done)
}
