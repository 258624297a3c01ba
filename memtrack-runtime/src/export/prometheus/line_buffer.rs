//! A text buffer for writing millions of short pieces fast.
//!
//! A scrape of a few thousand operation names is about 180,000 lines made of short
//! pieces (a metric name, a rendered label set, a bucket bound, a number). Through
//! `String::push_str` each piece is a call into the C library's `memcpy`, whose
//! length dispatch costs more than the copy itself at these sizes. Here a piece of
//! up to 128 bytes is copied inline by two overlapping fixed-size moves (the way
//! `memcpy` handles short lengths internally), without the call.

use std::ptr;

/// A growing UTF-8 buffer made only of whole `&str` pieces.
///
/// Invariant: `bytes` is the concatenation of the `&str`s pushed, so it is valid
/// UTF-8 at all times.
#[derive(Debug, Default)]
pub(super) struct LineBuffer {
    bytes: Vec<u8>,
}

impl LineBuffer {
    /// An empty buffer with room for `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity),
        }
    }

    /// Appends `text`.
    #[inline]
    pub(super) fn push_str(&mut self, text: &str) {
        let src = text.as_bytes();
        let n = src.len();
        if n > 128 {
            self.bytes.extend_from_slice(src);
            return;
        }
        self.bytes.reserve(n);
        let len = self.bytes.len();
        // SAFETY: `reserve` made room for `n` more bytes, so `dst .. dst + n` is
        // inside the vector's allocation; `src` is a different allocation (a `&str`
        // cannot borrow the buffer, which `&mut self` holds), so the ranges do not
        // overlap; `copy_short` writes exactly the bytes `dst .. dst + n` from
        // `src .. src + n`.
        unsafe { copy_short(src.as_ptr(), self.bytes.as_mut_ptr().add(len), n) };
        // SAFETY: the `n` bytes after `len` were just written (see above), and they
        // are a whole `&str`, so the invariant holds.
        unsafe { self.bytes.set_len(len + n) };
    }

    /// Appends one ASCII byte.
    #[inline]
    pub(super) fn push_ascii(&mut self, byte: u8) {
        debug_assert!(byte.is_ascii());
        // An ASCII byte is a whole character: the invariant holds.
        self.bytes.push(byte & 0x7f);
    }

    /// Appends `c`.
    pub(super) fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// The text written.
    pub(super) fn into_string(self) -> String {
        // SAFETY: the bytes are the concatenation of whole `&str`s and ASCII bytes
        // (the type's invariant), hence valid UTF-8.
        unsafe { String::from_utf8_unchecked(self.bytes) }
    }

    /// The bytes written.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Empties the buffer, keeping its room.
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
    }

    /// The text written so far.
    pub(super) fn as_str(&self) -> &str {
        // SAFETY: as in `into_string`.
        unsafe { std::str::from_utf8_unchecked(&self.bytes) }
    }
}

/// Copies `n <= 128` bytes from `src` to `dst` without calling `memcpy`: two
/// fixed-size moves that overlap in the middle cover any length of their class.
///
/// # Safety
///
/// `src .. src + n` must be readable, `dst .. dst + n` writable, the two must not
/// overlap, and `n <= 128`.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    // SAFETY (every block below): each move reads and writes `K` bytes starting at
    // offset 0 or at `n - K`, and is only taken when `n >= K`, so it stays inside
    // `0 .. n` of both ranges, which the caller guarantees valid and disjoint.
    // Unaligned reads and writes are used: the pieces sit at any address.
    unsafe {
        if n >= 32 {
            if n >= 64 {
                move_k::<64>(src, dst, 0);
                move_k::<64>(src, dst, n - 64);
            } else {
                move_k::<32>(src, dst, 0);
                move_k::<32>(src, dst, n - 32);
            }
        } else if n >= 16 {
            move_k::<16>(src, dst, 0);
            move_k::<16>(src, dst, n - 16);
        } else if n >= 8 {
            move_k::<8>(src, dst, 0);
            move_k::<8>(src, dst, n - 8);
        } else if n >= 4 {
            move_k::<4>(src, dst, 0);
            move_k::<4>(src, dst, n - 4);
        } else {
            for i in 0..n {
                *dst.add(i) = *src.add(i);
            }
        }
    }
}

/// Copies `K` bytes from `src + at` to `dst + at` (one unaligned load and store).
///
/// # Safety
///
/// `src + at .. src + at + K` must be readable and `dst + at .. dst + at + K`
/// writable.
#[inline(always)]
unsafe fn move_k<const K: usize>(src: *const u8, dst: *mut u8, at: usize) {
    // SAFETY: the caller guarantees both ranges; `[u8; K]` has alignment 1 and the
    // unaligned accessors are used anyway.
    unsafe {
        let chunk = ptr::read_unaligned(src.add(at).cast::<[u8; K]>());
        ptr::write_unaligned(dst.add(at).cast::<[u8; K]>(), chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_is_copied_exactly() {
        // Every length through each class boundary and past the inline limit, at
        // every alignment of the destination, with multi-byte characters too.
        let source: String = (0..300)
            .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap()))
            .collect();
        for offset in 0..9 {
            let mut buffer = LineBuffer::with_capacity(0);
            let mut expected = String::new();
            buffer.push_str(&source[..offset]);
            expected.push_str(&source[..offset]);
            for n in 0..=200 {
                buffer.push_str(&source[n % 7..n % 7 + n]);
                expected.push_str(&source[n % 7..n % 7 + n]);
                buffer.push_ascii(b'\n');
                expected.push('\n');
                buffer.push('é');
                expected.push('é');
            }
            assert_eq!(buffer.as_str(), expected);
            assert_eq!(buffer.into_string(), expected);
        }
    }

    #[test]
    fn growth_keeps_what_was_written() {
        let mut buffer = LineBuffer::default();
        let mut expected = String::new();
        for i in 0..2_000 {
            let piece = format!("piece-{i}-{}", "x".repeat(i % 150));
            buffer.push_str(&piece);
            expected.push_str(&piece);
        }
        assert_eq!(buffer.into_string(), expected);
    }
}
