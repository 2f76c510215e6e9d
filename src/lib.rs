//! ghostsum: make a file's MD5 digest start with chosen hex digits by appending a short
//! suffix of invisible symbols. See README.md for the user's view and src/layout.rs for
//! the block layout the search is built on.

pub mod address;
pub mod alphabet;
pub mod backends;
pub mod batch;
pub mod changes;
pub mod checkpoint;
pub mod cli;
pub mod cpu;
pub mod device;
pub mod engine;
pub mod exit;
pub mod file_id;
pub mod git;
pub mod gpu;
pub mod hash;
pub mod input;
pub mod io_error;
pub mod kind;
pub mod layout;
pub mod line_fit;
pub mod meaning;
pub mod measure;
pub mod output;
pub mod placement;
pub mod progress;
pub mod read_buffer;
pub mod recheck;
pub mod run;
pub mod shard;
pub mod signals;
pub mod small_file;
pub mod stdio;
pub mod steps;
pub mod sync;
pub mod target;
pub mod tuning;
