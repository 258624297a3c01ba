//! Splitting the log into lines with bounded memory: a line longer than
//! [`MAX_LINE_BYTES`] is skipped without being held.

use std::io::{self, BufRead};

/// Longest line kept (16 MiB); longer ones are reported and skipped.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// One line of the log.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The line without its `\n` (and without a `\r` before it); empty when
    /// `too_long`.
    pub bytes: &'a [u8],
    /// Whether a newline ended it (only the last line of a log may lack one).
    pub ended: bool,
    /// Longer than [`MAX_LINE_BYTES`]: skipped unread.
    pub too_long: bool,
}

/// Reads lines from a `BufRead` into one reused buffer.
pub struct LineReader<R> {
    inner: R,
    buffer: Vec<u8>,
    number: u64,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of `inner`'s lines.
    pub fn new(inner: R) -> Self {
        LineReader::with_max(inner, MAX_LINE_BYTES)
    }

    /// A reader that skips lines longer than `max` bytes.
    pub fn with_max(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            buffer: Vec::with_capacity(64 * 1024),
            number: 0,
            max,
        }
    }

    /// The number of the last line returned.
    pub fn lines_read(&self) -> u64 {
        self.number
    }

    /// The next line, `None` at the end of the input.
    ///
    /// # Errors
    ///
    /// The underlying read error (a corrupt gzip stream, an I/O error).
    ///
    /// ```
    /// use memtrack_cli::input::LineReader;
    ///
    /// let mut lines = LineReader::new(&b"a\r\nb"[..]);
    /// let first = lines.next_line().unwrap().unwrap();
    /// assert_eq!((first.number, first.bytes, first.ended), (1, &b"a"[..], true));
    /// let last = lines.next_line().unwrap().unwrap();
    /// assert_eq!((last.number, last.bytes, last.ended), (2, &b"b"[..], false));
    /// assert!(lines.next_line().unwrap().is_none());
    /// ```
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buffer.clear();
        let mut too_long = false;
        let mut any = false;
        let ended = loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break false;
            }
            any = true;
            let (part, consumed, found) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if self.buffer.len() + part.len() > self.max {
                    too_long = true;
                    self.buffer.clear();
                } else {
                    self.buffer.extend_from_slice(part);
                }
            }
            self.inner.consume(consumed);
            if found {
                break true;
            }
        };
        if ended && self.buffer.last() == Some(&b'\r') {
            self.buffer.pop();
        }
        self.number += 1;
        Ok(Some(Line {
            number: self.number,
            bytes: &self.buffer,
            ended,
            too_long,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn all(input: &[u8], max: usize, capacity: usize) -> Vec<(u64, Vec<u8>, bool, bool)> {
        let mut reader = LineReader::with_max(BufReader::with_capacity(capacity, input), max);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push((line.number, line.bytes.to_vec(), line.ended, line.too_long));
        }
        out
    }

    #[test]
    fn lines_across_buffer_boundaries() {
        let input = b"first line\nsecond\n\nlast";
        for capacity in [1, 2, 3, 7, 64] {
            assert_eq!(
                all(input, 100, capacity),
                vec![
                    (1, b"first line".to_vec(), true, false),
                    (2, b"second".to_vec(), true, false),
                    (3, b"".to_vec(), true, false),
                    (4, b"last".to_vec(), false, false),
                ],
                "capacity {capacity}"
            );
        }
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(all(b"", 10, 8).is_empty());
        assert_eq!(all(b"\n", 10, 8), vec![(1, Vec::new(), true, false)]);
    }

    #[test]
    fn long_lines_are_skipped_and_the_next_is_whole() {
        let input = b"0123456789abc\nok\n0123456789abc";
        assert_eq!(
            all(input, 10, 4),
            vec![
                (1, Vec::new(), true, true),
                (2, b"ok".to_vec(), true, false),
                (3, Vec::new(), false, true),
            ]
        );
        assert!(!all(b"0123456789\n", 10, 4)[0].3, "exactly max is kept");
    }
}
