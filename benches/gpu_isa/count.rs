//! Counts the instructions one pass of a kernel's hot loop runs: for a search kernel, what
//! one candidate costs each lane (AMD) or thread (NVIDIA).
//!
//! A dump is read into basic blocks ([`crate::blocks`]) by its dialect ([`crate::amd`],
//! [`crate::sass`]); a block also ends at a conditional branch, so the rare exits (a hit, the loop's end) are blocks of
//! their own. The hot loop is the cheapest cycle (in instructions) through the biggest block
//! that lies on any cycle: the MD5 steps are that block, and the cycle adds what every pass
//! must also run (the loop counter, the hit test, the branch back).

use crate::blocks::{mnemonic, Block, Classes};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// The hot loop's blocks and its instructions by class and by main-class mnemonic.
pub(crate) struct Counted {
    /// What was counted: one pass of the hot loop, or entry to end.
    scope: &'static str,
    path: Vec<String>,
    classes: &'static Classes,
    counts: BTreeMap<&'static str, usize>,
    mnemonics: BTreeMap<String, usize>,
}

impl Counted {
    /// Instructions of the main class (VALU on AMD, ALU on NVIDIA).
    pub(crate) fn main(&self) -> usize {
        self.counts.get(self.classes.main).copied().unwrap_or(0)
    }

    pub(crate) fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// A few lines: `label`, the blocks, each class, the total, the main class by mnemonic,
    /// and a `summary:` line for scripts (benches/gpu-isa.sh builds its table from it).
    pub(crate) fn report(&self, label: &str) -> String {
        let mut out = format!("{label}: {}, blocks {}\n", self.scope, self.path.join(","));
        for class in self.classes.names {
            if let Some(n) = self.counts.get(class) {
                out += &format!("  {class:<14} {n:>5}\n");
            }
        }
        out += &format!("  {:<14} {:>5}\n", "total", self.total());
        let mut mnemonics: Vec<_> = self.mnemonics.iter().collect();
        mnemonics.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = mnemonics.iter().map(|(m, n)| format!("{m} {n}")).collect();
        out += &format!("  {} by mnemonic: {}\n", self.classes.main, listed.join(", "));
        out += &format!("  summary: {}={} total={}\n", self.classes.main.to_lowercase(), self.main(), self.total());
        out
    }
}

/// Finds and counts the hot loop in `dump` (RADV, LLVM AMDGPU assembly or NVIDIA SASS);
/// `function` picks one kernel of a file with several.
pub(crate) fn hot_loop(dump: &str, function: Option<&str>) -> Result<Counted, String> {
    let (blocks, classes) = read_blocks(dump, function)?;
    let path = cheapest_cycle_through_biggest(&blocks).ok_or("no loop in the kernel")?;
    Ok(count_path(&blocks, classes, &path, "one pass of the hot loop"))
}

/// Counts the cheapest way from the kernel's entry to its end, for a kernel that tests one
/// candidate per invocation (lucky-commit's): every loop run no times, every rare branch
/// (a hit) not taken.
pub(crate) fn entry_to_exit(dump: &str, function: Option<&str>) -> Result<Counted, String> {
    let (blocks, classes) = read_blocks(dump, function)?;
    let path = cheapest_path_to_an_exit(&blocks).ok_or("no way from the kernel's entry to its end")?;
    Ok(count_path(&blocks, classes, &path, "entry to end, no loop"))
}

fn read_blocks(dump: &str, function: Option<&str>) -> Result<(Vec<Block>, &'static Classes), String> {
    let (blocks, classes) = if crate::sass::is_sass(dump) {
        crate::sass::blocks(dump, function)?
    } else {
        crate::amd::blocks(dump, function)?
    };
    if blocks.iter().all(|b| b.instructions.is_empty()) {
        return Err("no instructions found: not a RADV dump, AMDGPU assembly or cuobjdump -sass output".into());
    }
    Ok((blocks, classes))
}

fn count_path(blocks: &[Block], classes: &'static Classes, path: &[usize], scope: &'static str) -> Counted {
    let mut counts = BTreeMap::new();
    let mut mnemonics = BTreeMap::new();
    for &b in path {
        for instruction in &blocks[b].instructions {
            let mnemonic = mnemonic(instruction);
            let class = (classes.of)(mnemonic);
            *counts.entry(class).or_insert(0) += 1;
            if class == classes.main {
                *mnemonics.entry(base_mnemonic(mnemonic)).or_insert(0) += 1;
            }
        }
    }
    Counted { scope, path: path.iter().map(|&b| blocks[b].label.clone()).collect(), classes, counts, mnemonics }
}

/// Dijkstra from the first block to the cheapest block control leaves the kernel from.
fn cheapest_path_to_an_exit(blocks: &[Block]) -> Option<Vec<usize>> {
    let size = |b: usize| blocks[b].instructions.len();
    let mut cost: BTreeMap<usize, usize> = BTreeMap::from([(0, size(0))]);
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = BinaryHeap::from([Reverse((size(0), 0))]);
    while let Some(Reverse((c, b))) = queue.pop() {
        if c > cost[&b] {
            continue;
        }
        if blocks[b].next.is_empty() {
            let mut path = vec![b];
            let mut at = b;
            while let Some(&from) = came_from.get(&at) {
                path.push(from);
                at = from;
            }
            path.reverse();
            return Some(path);
        }
        for &s in &blocks[b].next {
            let through = c + size(s);
            if cost.get(&s).is_none_or(|&old| through < old) {
                cost.insert(s, through);
                came_from.insert(s, b);
                queue.push(Reverse((through, s)));
            }
        }
    }
    None
}

/// Dijkstra from each block, biggest first, back to itself: the first block that lies on a
/// cycle gives the answer, its cheapest cycle as block indices.
fn cheapest_cycle_through_biggest(blocks: &[Block]) -> Option<Vec<usize>> {
    let size = |b: usize| blocks[b].instructions.len();
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&b| Reverse(size(b)));
    for start in order {
        let mut cost: BTreeMap<usize, usize> = BTreeMap::from([(start, size(start))]);
        let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = BinaryHeap::from([Reverse((size(start), start))]);
        let mut closing: Option<(usize, usize)> = None;
        while let Some(Reverse((c, b))) = queue.pop() {
            if c > cost[&b] {
                continue;
            }
            for &s in &blocks[b].next {
                if s == start {
                    if closing.is_none_or(|(best, _)| c < best) {
                        closing = Some((c, b));
                    }
                    continue;
                }
                let through = c + size(s);
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

/// A mnemonic without its AMD encoding suffix, comparisons taken together.
fn base_mnemonic(mnemonic: &str) -> String {
    let base = ["_e32", "_e64", "_sdwa", "_dpp"].iter().fold(mnemonic, |m, s| m.strip_suffix(s).unwrap_or(m));
    if base.starts_with("v_cmp") {
        "v_cmp*".into()
    } else if base.starts_with("ISETP") {
        "ISETP*".into()
    } else {
        base.into()
    }
}
