// SHA-1's and SHA-256's boolean and sigma functions on u32, as FIPS 180-4 defines them, in
// forms a GPU evaluates in few operations (Ch and Maj as one three-input logic operation
// each on NVIDIA and AMD). Included by search.wgsl for SHA searches and by the test shader
// that checks the generated steps against RustCrypto's sha1 and sha2 (src/gpu/shader.rs).
// Rotations are written with literal shifts, which GPUs fuse into one funnel shift.
fn ch(x: u32, y: u32, z: u32) -> u32 { return z ^ (x & (y ^ z)); }
fn maj(x: u32, y: u32, z: u32) -> u32 { return (x & y) | (z & (x | y)); }
fn parity(x: u32, y: u32, z: u32) -> u32 { return x ^ y ^ z; }
fn big_sigma0(x: u32) -> u32 {
    return ((x >> 2u) | (x << 30u)) ^ ((x >> 13u) | (x << 19u)) ^ ((x >> 22u) | (x << 10u));
}
fn big_sigma1(x: u32) -> u32 {
    return ((x >> 6u) | (x << 26u)) ^ ((x >> 11u) | (x << 21u)) ^ ((x >> 25u) | (x << 7u));
}
fn small_sigma0(x: u32) -> u32 { return ((x >> 7u) | (x << 25u)) ^ ((x >> 18u) | (x << 14u)) ^ (x >> 3u); }
fn small_sigma1(x: u32) -> u32 { return ((x >> 17u) | (x << 15u)) ^ ((x >> 19u) | (x << 13u)) ^ (x >> 10u); }
