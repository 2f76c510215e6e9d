// MD5's four round functions on u32, as RFC 1321 defines them, in forms a GPU evaluates in
// few operations (F and G as selects). Included by search.wgsl and by the test shader that
// checks the generated steps against the md-5 crate (src/gpu/shader.rs).
fn f(b: u32, c: u32, d: u32) -> u32 { return d ^ (b & (c ^ d)); }
fn g(b: u32, c: u32, d: u32) -> u32 { return c ^ (d & (b ^ c)); }
fn h(b: u32, c: u32, d: u32) -> u32 { return b ^ c ^ d; }
fn i(b: u32, c: u32, d: u32) -> u32 { return c ^ (b | ~d); }
