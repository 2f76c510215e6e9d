//! The git plumbing `ghostsum git-commit` uses: git itself, never its files by hand, so a
//! repository's own settings (object format, hooks, worktrees, packed refs) are respected.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A repository, as `git -C DIR` sees it.
pub struct Repo {
    dir: PathBuf,
}

impl Repo {
    /// The repository `dir` is in (or refers to).
    pub fn at(dir: &Path) -> Repo {
        Repo { dir: dir.to_path_buf() }
    }

    /// Runs `git -C DIR ARGS`, feeding `input`; its standard output, or an error with git's
    /// own first line of complaint.
    pub fn run(&self, args: &[&str], input: Option<&[u8]>) -> anyhow::Result<Vec<u8>> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => anyhow::anyhow!("git is not installed (or not on PATH); install git"),
                _ => anyhow::anyhow!("cannot run git: {e}"),
            })?;
        if let Some(bytes) = input {
            let mut stdin = child.stdin.take().expect("piped");
            stdin.write_all(bytes).map_err(|e| anyhow::anyhow!("cannot write to git {}: {e}", args.join(" ")))?;
        }
        let out = child.wait_with_output().map_err(|e| anyhow::anyhow!("git {} failed: {e}", args.join(" ")))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(GitFailed { command: args.join(" "), said: first.trim().to_string() }.into());
        }
        Ok(out.stdout)
    }

    /// [`Repo::run`]'s output as one trimmed line of text.
    pub fn line(&self, args: &[&str]) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.run(args, None)?).trim().to_string())
    }

    /// [`Repo::run`] fed `input`, its output as one trimmed line.
    pub fn line_with_input(&self, args: &[&str], input: &[u8]) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.run(args, Some(input))?).trim().to_string())
    }

    /// The repository's object format: sha1 or sha256.
    pub fn object_format(&self) -> anyhow::Result<crate::address::ObjectFormat> {
        let format = self.line(&["rev-parse", "--show-object-format"]).map_err(|e| {
            anyhow::anyhow!("{} is not in a git repository ({e}); give one with -C DIR", self.dir.display())
        })?;
        match format.as_str() {
            "sha1" => Ok(crate::address::ObjectFormat::Sha1),
            "sha256" => Ok(crate::address::ObjectFormat::Sha256),
            other => anyhow::bail!("{}: unknown object format '{other}'", self.dir.display()),
        }
    }

    /// What the repository is in the middle of, if anything: a merge, rebase, cherry-pick,
    /// revert or bisect, which a new HEAD would confuse.
    pub fn operation_in_progress(&self) -> anyhow::Result<Option<&'static str>> {
        const MARKERS: [(&str, &str); 6] = [
            ("MERGE_HEAD", "a merge (git merge --continue or --abort)"),
            ("rebase-merge", "a rebase (git rebase --continue or --abort)"),
            ("rebase-apply", "a rebase or am (git rebase --continue or --abort)"),
            ("CHERRY_PICK_HEAD", "a cherry-pick (git cherry-pick --continue or --abort)"),
            ("REVERT_HEAD", "a revert (git revert --continue or --abort)"),
            ("BISECT_LOG", "a bisect (git bisect reset)"),
        ];
        for (marker, what) in MARKERS {
            let path = self.line(&["rev-parse", "--git-path", marker])?;
            if self.dir.join(&path).exists() {
                return Ok(Some(what));
            }
        }
        Ok(None)
    }
}

/// A git command that failed, with git's first line.
#[derive(Debug, thiserror::Error)]
#[error("git {command}: {said}")]
pub struct GitFailed {
    /// The arguments.
    pub command: String,
    /// Git's first line on standard error.
    pub said: String,
}

/// A commit object's signature headers (`gpgsig`, `gpgsig-sha256`): a signed commit whose
/// bytes change loses its signature.
pub fn is_signed(commit: &[u8]) -> bool {
    let header_end = commit.windows(2).position(|w| w == b"\n\n").unwrap_or(commit.len());
    commit[..header_end]
        .split(|&b| b == b'\n')
        .any(|line| line.starts_with(b"gpgsig ") || line.starts_with(b"gpgsig-sha256 "))
}
