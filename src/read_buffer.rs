//! The buffer that inputs and outputs are read through: it starts small and grows, up to a
//! MiB, only while reads fill it. Most of what ghostsum reads is small (a batch page is a
//! few hundred bytes), and zeroing a MiB for every page cost more than its whole search.

/// Where a buffer starts.
const FIRST: usize = 16 << 10;
/// The most a buffer grows to: one stop-signal check per MiB read.
const MOST: usize = 1 << 20;

/// A zeroed, growable read buffer (see the module's note).
pub struct ReadBuffer(Vec<u8>);

impl ReadBuffer {
    /// A small buffer, to grow while reads fill it.
    pub fn new() -> Self {
        Self(vec![0; FIRST])
    }

    /// After a read left the first `filled` bytes in use: a full buffer grows, so a large
    /// input is read in large pieces.
    pub fn grow_if_filled(&mut self, filled: usize) {
        if filled == self.0.len() && self.0.len() < MOST {
            self.0.resize((self.0.len() * 4).min(MOST), 0);
        }
    }
}

impl Default for ReadBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for ReadBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::DerefMut for ReadBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_only_when_filled_and_stops_at_a_mib() {
        let mut buf = ReadBuffer::new();
        buf.grow_if_filled(FIRST - 1);
        assert_eq!(buf.len(), FIRST);
        for _ in 0..10 {
            let len = buf.len();
            buf.grow_if_filled(len);
        }
        assert_eq!(buf.len(), MOST);
        assert!(buf.iter().all(|&b| b == 0));
    }
}
