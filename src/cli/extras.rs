//! The small subcommands: `alphabets`, `devices`, `completions`, `man`.

use crate::exit::Exit;
use crate::stdio::print_line;
use clap::CommandFactory;
use std::path::PathBuf;

/// `ghostsum alphabets`: the named alphabets, and the one each kind of file gets by default
/// (what tests/viewers/matrix.py reads, and checks against its measurements).
pub(super) fn alphabets(json: bool) -> anyhow::Result<Exit> {
    use crate::alphabet::{Alphabet, NAMED};
    use crate::kind::FileKind;
    use crate::target::hex;
    if json {
        let alphabets: Vec<_> = Alphabet::named()
            .iter()
            .zip(NAMED)
            .map(|(a, (_, about))| {
                serde_json::json!({
                    "name": a.name(), "symbols": a.symbols().iter().map(|s| hex(s)).collect::<Vec<_>>(), "about": about,
                })
            })
            .collect();
        let symbols = Alphabet::named_symbols();
        let kinds: Vec<_> = FileKind::ALL
            .iter()
            .map(|&k| {
                // What verify --strict says of each symbol in this kind of file (checked against
                // the measurement by tests/viewers/matrix.py).
                let shows: serde_json::Map<String, serde_json::Value> = symbols
                    .iter()
                    .filter_map(|s| crate::kind::shows(k, s).map(|why| (hex(s), why.into())))
                    .collect();
                serde_json::json!({
                    "kind": k.name(), "extensions": k.extensions(), "alphabet": k.default_alphabet().name(), "why": k.why(),
                    "shows": shows, "line_records": k.is_line_records(),
                })
            })
            .collect();
        print_line(serde_json::json!({ "alphabets": alphabets, "kinds": kinds }))?;
        return Ok(Exit::Done);
    }
    print_line("Alphabets (--alphabet NAME, or bytes:HEX,HEX,... for your own):")?;
    for (name, about) in NAMED {
        print_line(format!("  {name:<13} {about}"))?;
    }
    print_line("")?;
    print_line("Default alphabet by kind of file (--for KIND, else the file name's extension):")?;
    for kind in FileKind::ALL {
        print_line(format!(
            "  {:<9} {:<13} .{}",
            kind.name(),
            kind.default_alphabet().name(),
            kind.extensions().join(" .")
        ))?;
        print_line(format!("            why: {}", kind.why()))?;
    }
    print_line("")?;
    print_line("Measured with cat, less, vim, nano, Chromium and each format's parser: tests/viewers/matrix.py.")?;
    Ok(Exit::Done)
}

/// `ghostsum devices`: every adapter wgpu finds, numbered for `--backend gpu:N`, and whether
/// `--backend auto` would use it.
pub(super) fn devices(json: bool) -> anyhow::Result<Exit> {
    let adapters = crate::gpu::adapter::adapters();
    if adapters.is_empty() && !json {
        print_line("no GPU adapters found (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers)")?;
    }
    for (index, a) in adapters.iter().enumerate() {
        let info = a.get_info();
        let real = crate::gpu::adapter::is_real_gpu(&info);
        if json {
            print_line(serde_json::json!({
                "index": index, "backend": format!("gpu:{index}"), "name": info.name,
                "api": format!("{:?}", info.backend), "type": format!("{:?}", info.device_type), "real_gpu": real,
            }))?;
        } else {
            let kind = if real { "GPU" } else { "not a real GPU: auto, gpu and all skip it; name it as gpu:N" };
            print_line(format!("gpu:{index}  {}  [{kind}]", crate::gpu::adapter::describe(&info)))?;
        }
    }
    Ok(Exit::Done)
}

/// `ghostsum devices --check LIST`: finds what LIST names, as search would, and says so.
pub(super) fn check_devices(list: &crate::backends::BackendList) -> anyhow::Result<Exit> {
    print_line(crate::backends::check(list)?)?;
    Ok(Exit::Done)
}

/// `ghostsum completions SHELL`: generated from the one clap definition.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::Cli::command(), "ghostsum", &mut script);
    print_line(String::from_utf8_lossy(&script).trim_end())?;
    Ok(Exit::Done)
}

/// One page per (sub)command into `dir`, named as clap_mangen names them. Each is written
/// whole or not at all (a temporary file and a rename: a full disk leaves no empty page), and
/// only over a regular file: a symlink, a FIFO or a device there is refused, not written
/// through.
fn write_man_pages(command: clap::Command, dir: &std::path::Path) -> anyhow::Result<()> {
    fn pages(cmd: clap::Command, out: &mut Vec<clap_mangen::Man>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            pages(sub, out);
        }
        out.push(clap_mangen::Man::new(cmd));
    }
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut all = Vec::new();
    pages(command, &mut all);
    for man in all {
        let path = dir.join(man.get_filename());
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.is_file() {
                anyhow::bail!(
                    "cannot write {}: it is {}, not a regular file; remove it first",
                    path.display(),
                    if meta.file_type().is_symlink() { "a symlink" } else { crate::output::resolve::kind_of(&meta) }
                );
            }
        }
        let mut page = Vec::new();
        man.render(&mut page)?;
        crate::output::write_file_atomically(&path, &page)?;
    }
    Ok(())
}

/// `ghostsum man [--dir DIR]`: the man page from the same definition.
pub(super) fn man(dir: Option<PathBuf>) -> anyhow::Result<Exit> {
    let command = super::Cli::command();
    match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            print_line(String::from_utf8_lossy(&page).trim_end())?;
        }
        Some(dir) => {
            if !dir.is_dir() {
                anyhow::bail!("--dir {} is not a folder; create it first", dir.display());
            }
            write_man_pages(command, &dir)?;
        }
    }
    Ok(Exit::Done)
}
