//! Counts the AMD (GCN/RDNA) instructions one pass of a kernel's hot loop runs: for a search
//! kernel, what one candidate costs each lane.
//!
//! Two dump formats: RADV's (`RADV_DEBUG=shaders`: the listing after `disasm:`, blocks `BB3:`
//! from ACO or `BB0_3:` from its LLVM backend) and LLVM AMDGPU assembly from `clang -S`
//! (blocks `.LBB0_3:` or `; %bb.3:`, kernels from `NAME:` to `.Lfunc_end`). A block also ends
//! at a conditional branch, so the rare exits (a hit, the loop's end) are blocks of their own.
//!
//! The hot loop is the cheapest cycle (in instructions) through the biggest block that lies
//! on any cycle: the MD5 steps are that block, and the cycle adds what every pass must also
//! run (the loop counter, the hit test, the branch back).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// One basic block: its label and instructions (mnemonic and operands, comments dropped).
struct Block {
    label: String,
    instructions: Vec<String>,
}

/// Instruction classes, in the order they are reported.
const CLASSES: [&str; 6] = ["VALU", "SALU", "scalar memory", "vector memory", "LDS", "control"];

/// The hot loop's blocks and its instructions by class and by VALU mnemonic.
pub(crate) struct Counted {
    path: Vec<String>,
    classes: BTreeMap<&'static str, usize>,
    valu_mnemonics: BTreeMap<String, usize>,
}

impl Counted {
    pub(crate) fn valu(&self) -> usize {
        self.classes.get("VALU").copied().unwrap_or(0)
    }

    pub(crate) fn total(&self) -> usize {
        self.classes.values().sum()
    }

    /// A few lines: `label`, the blocks, each class, the total, VALU by mnemonic.
    pub(crate) fn report(&self, label: &str) -> String {
        let mut out = format!("{label}: one pass of the hot loop, blocks {}\n", self.path.join(","));
        for class in CLASSES {
            if let Some(n) = self.classes.get(class) {
                out += &format!("  {class:<14} {n:>5}\n");
            }
        }
        out += &format!("  {:<14} {:>5}\n", "total", self.total());
        let mut mnemonics: Vec<_> = self.valu_mnemonics.iter().collect();
        mnemonics.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = mnemonics.iter().map(|(m, n)| format!("{m} {n}")).collect();
        out += &format!("  VALU by mnemonic: {}\n", listed.join(", "));
        // One line for scripts (benches/gpu-isa.sh builds its table from these).
        out += &format!("  summary: valu={} total={}\n", self.valu(), self.total());
        out
    }
}

/// Finds and counts the hot loop in `dump`; `function` picks one kernel of an assembly file.
pub(crate) fn hot_loop(dump: &str, function: Option<&str>) -> Result<Counted, String> {
    let blocks =
        if dump.lines().any(|l| l.trim() == "disasm:") { radv_blocks(dump) } else { llvm_blocks(dump, function)? };
    if blocks.is_empty() {
        return Err("no instructions found: not a RADV dump or an AMDGPU assembly file".into());
    }
    let path = cheapest_cycle_through_biggest(&blocks).ok_or("no loop in the kernel")?;
    let mut classes = BTreeMap::new();
    let mut valu_mnemonics = BTreeMap::new();
    for &b in &path {
        for instruction in &blocks[b].instructions {
            let mnemonic = mnemonic(instruction);
            let class = class_of(mnemonic);
            *classes.entry(class).or_insert(0) += 1;
            if class == "VALU" {
                let base =
                    ["_e32", "_e64", "_sdwa", "_dpp"].iter().fold(mnemonic, |m, s| m.strip_suffix(s).unwrap_or(m));
                let base = if base.starts_with("v_cmp") { "v_cmp*" } else { base };
                *valu_mnemonics.entry(base.to_string()).or_insert(0) += 1;
            }
        }
    }
    Ok(Counted { path: path.iter().map(|&b| blocks[b].label.clone()).collect(), classes, valu_mnemonics })
}

fn mnemonic(instruction: &str) -> &str {
    instruction.split_whitespace().next().unwrap_or("")
}

fn class_of(mnemonic: &str) -> &'static str {
    const CONTROL: [&str; 13] = [
        "s_waitcnt",
        "s_cbranch",
        "s_branch",
        "s_nop",
        "s_clause",
        "s_endpgm",
        "s_inst_prefetch",
        "s_delay_alu",
        "s_setprio",
        "s_sleep",
        "s_barrier",
        "s_code_end",
        "s_sendmsg",
    ];
    const SCALAR_MEMORY: [&str; 8] =
        ["s_load", "s_buffer_load", "s_store", "s_buffer_store", "s_dcache", "s_memtime", "s_memrealtime", "s_atomic"];
    const VECTOR_MEMORY: [&str; 6] = ["buffer_", "global_", "flat_", "scratch_", "image_", "tbuffer_"];
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| mnemonic.starts_with(p));
    if starts(&CONTROL) {
        "control"
    } else if starts(&SCALAR_MEMORY) || mnemonic.starts_with("s_buffer_atomic") {
        "scalar memory"
    } else if starts(&VECTOR_MEMORY) {
        "vector memory"
    } else if mnemonic.starts_with("ds_") {
        "LDS"
    } else if mnemonic.starts_with("v_") {
        "VALU"
    } else {
        "SALU"
    }
}

/// Adds `instruction` to the last block, opening a new one after a conditional branch.
fn push(blocks: &mut Vec<Block>, split: &mut bool, instruction: &str) {
    if *split || blocks.is_empty() {
        let label = blocks.last().map_or("entry".to_string(), |b| format!("{}+", b.label));
        blocks.push(Block { label, instructions: Vec::new() });
        *split = false;
    }
    let instruction = instruction.split(';').next().unwrap_or("").trim().to_string();
    *split = mnemonic(&instruction).starts_with("s_cbranch");
    blocks.last_mut().expect("a block was just opened").instructions.push(instruction);
}

fn radv_blocks(dump: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut split = false;
    for line in dump.lines().skip_while(|l| l.trim() != "disasm:").skip(1) {
        let text = line.trim();
        if text.is_empty() || text.starts_with(';') {
            if blocks.is_empty() {
                continue;
            }
            break;
        }
        if let Some(label) = text.strip_suffix(':').filter(|l| l.starts_with("BB") || *l == "main") {
            blocks.push(Block { label: label.to_string(), instructions: Vec::new() });
            split = false;
        } else if line.starts_with(char::is_whitespace) {
            push(&mut blocks, &mut split, text);
        } else {
            break;
        }
    }
    blocks
}

fn llvm_blocks(dump: &str, function: Option<&str>) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut split = false;
    let mut inside = function.is_none();
    for line in dump.lines() {
        let (code, comment) = line.split_once(';').unwrap_or((line, ""));
        let code = code.trim();
        if let Some(name) = function {
            if code.strip_suffix(':') == Some(name) {
                inside = true;
                continue;
            }
            if inside && code.starts_with(".Lfunc_end") {
                break;
            }
        }
        if !inside {
            continue;
        }
        // A block is labelled `.LBB0_3:`, or only by the comment `; %bb.3:` when nothing
        // jumps to it.
        let label = match code.strip_suffix(':') {
            Some(label) if label.starts_with(".LBB") => Some(label),
            Some(_) => continue,
            None if code.is_empty() => {
                comment.trim().strip_prefix("%bb.").map(|_| comment.trim().trim_end_matches(':'))
            }
            None => None,
        };
        if let Some(label) = label {
            blocks.push(Block { label: label.to_string(), instructions: Vec::new() });
            split = false;
        } else if !code.is_empty() && !code.starts_with('.') {
            push(&mut blocks, &mut split, code);
        }
    }
    if function.is_some() && !inside {
        return Err(format!("no kernel {} in the file", function.unwrap_or_default()));
    }
    Ok(blocks)
}

/// The blocks control can go to from block `b`: branch targets, and the next block unless the
/// last instruction jumps or ends the program.
fn successors(blocks: &[Block], b: usize) -> Vec<usize> {
    let find = |target: &str| {
        let target = target.trim_start_matches(".L");
        blocks.iter().position(|x| x.label.trim_start_matches(".L") == target)
    };
    let mut next: Vec<usize> = blocks[b]
        .instructions
        .iter()
        .filter(|i| mnemonic(i).starts_with("s_cbranch") || mnemonic(i) == "s_branch")
        .filter_map(|i| i.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).nth(1))
        .filter_map(find)
        .collect();
    let last = blocks[b].instructions.last().map_or("", |i| mnemonic(i));
    if last != "s_branch" && last != "s_endpgm" && b + 1 < blocks.len() {
        next.push(b + 1);
    }
    next
}

/// Dijkstra from each block, biggest first, back to itself: the first block that lies on a
/// cycle gives the answer, its cheapest cycle as block indices.
fn cheapest_cycle_through_biggest(blocks: &[Block]) -> Option<Vec<usize>> {
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&b| Reverse(blocks[b].instructions.len()));
    for start in order {
        let mut cost: BTreeMap<usize, usize> = BTreeMap::from([(start, blocks[start].instructions.len())]);
        let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = BinaryHeap::from([Reverse((blocks[start].instructions.len(), start))]);
        let mut closing: Option<(usize, usize)> = None;
        while let Some(Reverse((c, b))) = queue.pop() {
            if c > cost[&b] {
                continue;
            }
            for s in successors(blocks, b) {
                if s == start {
                    if closing.is_none_or(|(best, _)| c < best) {
                        closing = Some((c, b));
                    }
                    continue;
                }
                let through = c + blocks[s].instructions.len();
                if cost.get(&s).is_none_or(|&old| through < old) {
                    cost.insert(s, through);
                    came_from.insert(s, b);
                    queue.push(Reverse((through, s)));
                }
            }
        }
        if let Some((_, mut b)) = closing {
            let mut path = vec![b];
            while b != start {
                b = came_from[&b];
                path.push(b);
            }
            path.reverse();
            return Some(path);
        }
    }
    None
}
