//! What a dump is read into, whatever its dialect: basic blocks of instructions, and the
//! dialect's instruction classes. The dialects ([`crate::amd`], [`crate::sass`]) build
//! them; [`crate::count`] picks one of the two and counts the hot loop (so neither dialect
//! imports the counter, nor the counter a dialect's types).

/// One basic block: its label, its instructions (comments dropped) and the blocks control
/// can go to from it.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) instructions: Vec<String>,
    pub(crate) next: Vec<usize>,
}

/// What a dialect tells apart: its instruction classes in report order, the one that does
/// the arithmetic (the "main" count), and which class an instruction is in.
pub(crate) struct Classes {
    pub(crate) names: &'static [&'static str],
    pub(crate) main: &'static str,
    pub(crate) of: fn(&str) -> &'static str,
}

/// An instruction's mnemonic, after any predicate (`@!P0 BRA ...`).
pub(crate) fn mnemonic(instruction: &str) -> &str {
    instruction.split_whitespace().find(|w| !w.starts_with('@')).unwrap_or("")
}

/// Adds `instruction` to the last block, opening a new one after a block that ends in a
/// conditional branch (`ends_block` says which instructions do).
pub(crate) fn push(blocks: &mut Vec<Block>, split: &mut bool, instruction: &str, ends_block: bool) {
    if *split || blocks.is_empty() {
        let label = blocks.last().map_or("entry".to_string(), |b| format!("{}+", b.label));
        blocks.push(Block { label, instructions: Vec::new(), next: Vec::new() });
    }
    *split = ends_block;
    blocks.last_mut().expect("a block was just opened").instructions.push(instruction.to_string());
}
