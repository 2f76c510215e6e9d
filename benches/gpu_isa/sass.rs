//! NVIDIA SASS from `cuobjdump -sass`, read into basic blocks. Each instruction line carries
//! its address (`/*0170*/  @!P0 BRA 0x2a0 ;`); a block starts at the kernel's first
//! instruction, at every branch target and after every branch or exit.

use crate::blocks::{mnemonic, Block, Classes};
use std::collections::BTreeSet;

pub(crate) const CLASSES: Classes = Classes {
    // uniform: the per-warp datapath (ULDC loads a constant-bank word into a uniform register).
    names: &["ALU", "uniform", "memory", "control"],
    main: "ALU",
    of: class_of,
};

pub(crate) fn is_sass(dump: &str) -> bool {
    dump.lines().any(|l| l.trim_start().starts_with("Function :"))
}

fn class_of(mnemonic: &str) -> &'static str {
    const CONTROL: [&str; 14] = [
        "BRA", "EXIT", "BSSY", "BSYNC", "NOP", "WARPSYNC", "BAR", "RET", "CALL", "YIELD", "BPT", "JMP", "BREAK", "BMOV",
    ];
    const MEMORY: [&str; 15] = [
        "LDG", "STG", "LDS", "STS", "LDC", "LD", "ST", "LDL", "STL", "ATOM", "ATOMG", "ATOMS", "RED", "CCTL", "MEMBAR",
    ];
    let op = mnemonic.split('.').next().unwrap_or(mnemonic);
    if CONTROL.contains(&op) {
        "control"
    } else if MEMORY.contains(&op) {
        "memory"
    } else if op.starts_with('U') || op == "S2UR" {
        "uniform"
    } else {
        "ALU"
    }
}

/// (address, instruction) of each line of the kernel `function` (or the first kernel).
fn instructions(dump: &str, function: Option<&str>) -> Result<Vec<(u64, String)>, String> {
    let mut found = Vec::new();
    let mut inside = false;
    for line in dump.lines() {
        let text = line.trim();
        if let Some(name) = text.strip_prefix("Function :") {
            if inside {
                break;
            }
            inside = function.is_none_or(|f| name.trim() == f);
            continue;
        }
        if !inside {
            continue;
        }
        let Some(rest) = text.strip_prefix("/*") else { continue };
        let Some((address, code)) = rest.split_once("*/") else { continue };
        let Ok(address) = u64::from_str_radix(address, 16) else { continue };
        let code = code.split(';').next().unwrap_or("").trim();
        if !code.is_empty() {
            found.push((address, code.to_string()));
        }
    }
    if found.is_empty() {
        return Err(match function {
            Some(f) => format!("no kernel {f} in the SASS"),
            None => "no instructions in the SASS".into(),
        });
    }
    Ok(found)
}

fn predicated(code: &str) -> bool {
    code.starts_with('@') && !code.starts_with("@PT")
}

fn branch_target(code: &str) -> Option<u64> {
    if mnemonic(code).split('.').next() != Some("BRA") {
        return None;
    }
    let target = code.split_whitespace().last()?.trim_start_matches("0x");
    u64::from_str_radix(target, 16).ok()
}

/// Does control never fall through past this instruction?
fn ends_flow(code: &str) -> bool {
    let op = mnemonic(code).split('.').next().unwrap_or("");
    !predicated(code) && matches!(op, "BRA" | "EXIT" | "RET" | "JMP")
}

pub(crate) fn blocks(dump: &str, function: Option<&str>) -> Result<(Vec<Block>, &'static Classes), String> {
    let lines = instructions(dump, function)?;
    let mut leaders: BTreeSet<u64> = BTreeSet::from([lines[0].0]);
    for (k, (_, code)) in lines.iter().enumerate() {
        if let Some(target) = branch_target(code) {
            leaders.insert(target);
        }
        let op = mnemonic(code).split('.').next().unwrap_or("");
        if matches!(op, "BRA" | "EXIT" | "RET" | "JMP") {
            if let Some((next, _)) = lines.get(k + 1) {
                leaders.insert(*next);
            }
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut starts: Vec<u64> = Vec::new();
    for (address, code) in &lines {
        if leaders.contains(address) || blocks.is_empty() {
            blocks.push(Block { label: format!("{address:x}"), instructions: Vec::new(), next: Vec::new() });
            starts.push(*address);
        }
        blocks.last_mut().expect("a block was just opened").instructions.push(code.clone());
    }
    for b in 0..blocks.len() {
        let last = blocks[b].instructions.last().cloned().unwrap_or_default();
        let mut next: Vec<usize> =
            branch_target(&last).and_then(|t| starts.iter().position(|&s| s == t)).into_iter().collect();
        if !ends_flow(&last) && b + 1 < blocks.len() {
            next.push(b + 1);
        }
        blocks[b].next = next;
    }
    Ok((blocks, &CLASSES))
}
