//! How ghostsum ends: every exit status it can give, in one type (README's "Exit status"
//! and `--help` list the same).

use crate::signals::Signal;

/// What `--help` says of the exit statuses (the ones [`Exit`] gives).
pub const HELP: &str = "\
Exit status:
  0          found and written (search, batch), verified (verify), done
  1          verify: the digest does not start with the prefix (with --strict: or the file does
             not end in an invisible suffix); batch --collect: a page is missing or unfinished
  2          bad input or an error; one line on stderr says what to do
  3          --shard: this shard's part of the keyspace holds no hit; nothing was written
  129/130/143  stopped by SIGHUP / SIGINT (Ctrl-C) / SIGTERM: nothing half-written, no temporary
             files left, the checkpoint saved with --checkpoint
  141        the reader of standard output went away while -o - was being written";

/// The end of a command, as the shell sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: found and written (search, batch), verified (verify), done.
    Done,
    /// 1: verify: the digest does not start with the prefix (or, with --strict, the file does
    /// not end in an invisible suffix); batch --collect: a page is missing or unfinished.
    Mismatch,
    /// 2: bad input or an error; one line on stderr says what to do.
    Error,
    /// 3: --shard: this shard's part of the keyspace holds no hit; nothing was written.
    ShardEmpty,
    /// 128 + the signal: stopped by SIGHUP, SIGINT or SIGTERM.
    Stopped(Signal),
    /// 141 (128 + SIGPIPE): the reader of standard output went away while the result was
    /// written into it.
    ReaderGone,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Done => 0,
            Exit::Mismatch => 1,
            Exit::Error => 2,
            Exit::ShardEmpty => 3,
            Exit::Stopped(signal) => signal.exit_code(),
            Exit::ReaderGone => 141,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statuses `--help` promises (HELP) are the ones given.
    #[test]
    fn codes_are_the_documented_ones() {
        let codes = [Exit::Done, Exit::Mismatch, Exit::Error, Exit::ShardEmpty, Exit::ReaderGone].map(Exit::code);
        assert_eq!(codes, [0, 1, 2, 3, 141]);
        let help = HELP;
        for code in codes {
            assert!(help.lines().any(|l| l.trim_start().starts_with(&code.to_string())), "{code} is not in --help");
        }
        assert!(help.contains("129/130/143"));
    }
}
