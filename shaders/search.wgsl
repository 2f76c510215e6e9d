// ghostsum's GPU search: one invocation per mid value, looping over every inner value.
//
// The host fills in the {{...}} parts for the search's hash and layout (src/gpu/shader.rs):
// the step code is generated from the hash's one table of constants, rotations and message
// order (src/steps.rs for MD5, src/hash.rs and src/gpu/sha_kernel.rs for SHA-1 and SHA-256),
// with the layout's word positions as constants, so nothing in the inner loop is indexed by
// a run-time word number.
//
// Per invocation: the mid digits are written into the final block's words, the steps before
// the first inner word run once, and every step constant plus message word (for SHA, every
// schedule word) that no inner digit reaches is computed once. Per candidate: one
// inner-table read per inner word, the schedule words the inner digits reach, the steps from
// the first inner word to the last one the tested state word depends on, and the test.
// A SHA kernel whose inner digits span words loops twice (src/gpu/shader.rs, `Nest`): over
// the digits of every word but one outside, and over that one word's inside, so that per
// candidate a single message word varies.

// Mirrors gpu::buffers::Params (checked in a test).
struct Params {
    // The state entering the final block: MD5 uses 4 words, SHA-1 5, SHA-256 8.
    midstate: array<vec4<u32>, 2>,
    base_words: array<vec4<u32>, 4>,
    mid_start: u32,
    mid_end: u32,
    // The bits of the tested state word (MATCH_WORD) the prefix fixes, and their values.
    match_mask: u32,
    match_value: u32,
    row_width: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    // MD5: K[i] + the step's message word, for words no digit of this dispatch changes.
    folded: array<vec4<u32>, 16>,
}

// Mirrors gpu::buffers::HitsHeader, followed by the hit list.
struct Hits {
    count: atomic<u32>,
    lowest_mid: atomic<u32>,
    capacity: u32,
    pad: u32,
    items: array<vec2<u32>>,
}

// A read-only storage buffer, not a uniform one: what the loop reads from it is then loaded
// once and held in registers. From a uniform buffer NVIDIA's compiler re-reads its words from
// the constant bank in every pass (ptxas for sm_90: 47 uniform-datapath loads per candidate,
// 239 instructions; from storage 2 and 196), while AMD's keeps them in scalar registers
// either way (the same count on Mesa 22 and 25). benches/gpu-isa.sh measures both.
@group(0) @binding(0) var<storage, read> params: Params;
// INNER_COUNT entries of INNER_WORDS words each: the inner digits' bytes. A split layout's
// kernel reads its rows instead, four words a load (src/gpu/sha_kernel.rs).
@group(0) @binding(1) var<storage, read> inner_table: array<{{INNER_TABLE_ELEMENT}}>;
// One word per alphabet symbol, its bytes little-endian (placed in the hash's byte order
// by the mid digits' code).
@group(0) @binding(2) var<storage, read> symbols: array<u32>;
@group(0) @binding(3) var<storage, read_write> hits: Hits;

const INNER_COUNT: u32 = {{INNER_COUNT}}u;
const INNER_WORDS: u32 = {{INNER_WORDS}}u;
const RADIX: u32 = {{RADIX}}u;

{{ROUND_FUNCTIONS}}

fn record_hit(mid: u32, inner: u32) {
    let slot = atomicAdd(&hits.count, 1u);
    if (slot < hits.capacity) {
        hits.items[slot] = vec2<u32>(mid, inner);
    }
    atomicMin(&hits.lowest_mid, mid);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn search(@builtin(global_invocation_id) gid: vec3<u32>) {
    // Dispatches are two-dimensional: 65,535 workgroups per dimension at most.
    let offset = gid.y * params.row_width + gid.x;
    if (offset >= params.mid_end - params.mid_start) {
        return;
    }
    let mid = params.mid_start + offset;
    var m0 = params.base_words[0].x; var m1 = params.base_words[0].y; var m2 = params.base_words[0].z; var m3 = params.base_words[0].w;
    var m4 = params.base_words[1].x; var m5 = params.base_words[1].y; var m6 = params.base_words[1].z; var m7 = params.base_words[1].w;
    var m8 = params.base_words[2].x; var m9 = params.base_words[2].y; var m10 = params.base_words[2].z; var m11 = params.base_words[2].w;
    var m12 = params.base_words[3].x; var m13 = params.base_words[3].y; var m14 = params.base_words[3].z; var m15 = params.base_words[3].w;

    // Mid digits, lowest first.
    var rest = mid;
{{MID_DIGITS}}

    // Steps before the first inner word: the same for every candidate of this invocation.
{{STATE_INIT}}
{{SHARED_STEPS}}

    // What the loop's steps add that no inner digit changes: fixed for this invocation.
{{HOISTED_CONSTANTS}}
    // The hit test's words, read once: a storage buffer may alias the hits the loop writes,
    // so a compiler cannot hoist these reads itself (lavapipe re-read them every pass).
    let match_base = {{MATCH_BASE}};
    let match_mask = params.match_mask;
    let match_value = params.match_value;
{{LOOP}}}
