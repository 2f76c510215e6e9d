//! `ghostsum verify`: an md5sum-style line and an exit status.

use super::VerifyArgs;
use crate::input::io_reason;
use crate::target::{hex, Prefix};
use std::path::Path;

pub fn run(args: VerifyArgs) -> anyhow::Result<i32> {
    let prefix = Prefix::parse(&args.prefix)?;
    let digest = if args.file == Path::new("-") {
        crate::verify::md5_of_reader(std::io::stdin().lock())
    } else {
        std::fs::File::open(&args.file).and_then(crate::verify::md5_of_reader)
    }
    .map_err(|e| anyhow::anyhow!("cannot read {}: {}", args.file.display(), io_reason(&e)))?;
    let ok = prefix.matches_digest(&digest);
    if !args.quiet {
        // md5sum's line, then the verdict, as `md5sum -c` words it.
        println!("{}  {}", hex(&digest), args.file.display());
        println!("{}: {} (prefix {})", args.file.display(), if ok { "OK" } else { "FAILED" }, prefix);
    }
    Ok(if ok { 0 } else { 1 })
}
