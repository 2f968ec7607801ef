//! Raw DEFLATE (RFC 1951) for share links: a small deterministic encoder (LZ77 with hash
//! chains, fixed Huffman codes) and a complete decoder (stored, fixed and dynamic blocks).
//!
//! The encoder is ours rather than the browser's `CompressionStream`: a link printed by
//! `pinlab link` and one made by the page must be the same bytes, and zlib builds differ in
//! their output (Chromium's uses another match finder). Any inflater reads what it writes, so
//! the browser's `DecompressionStream("deflate-raw")` decodes our links too (an e2e test checks).
//! The decoder never panics and caps its output, so a hostile link costs at most [`MAX_OUT`].

/// Largest decoded size accepted (a script of 1 MiB is far beyond any real one).
pub const MAX_OUT: usize = 1 << 20;

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    /// Appends the low `n` bits of `v`, least significant first.
    fn bits(&mut self, v: u32, n: u32) {
        self.acc |= v << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: its `n` bits, most significant first.
    fn code(&mut self, code: u32, n: u32) {
        let mut rev = 0;
        for i in 0..n {
            rev |= ((code >> i) & 1) << (n - 1 - i);
        }
        self.bits(rev, n);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The fixed literal/length code of `sym` (RFC 1951 3.2.6).
fn fixed_lit(w: &mut BitWriter, sym: u32) {
    match sym {
        0..=143 => w.code(0x30 + sym, 8),
        144..=255 => w.code(0x190 + sym - 144, 9),
        256..=279 => w.code(sym - 256, 7),
        _ => w.code(0xc0 + sym - 280, 8),
    }
}

fn length(w: &mut BitWriter, len: usize) {
    let i = LEN_BASE
        .iter()
        .rposition(|&b| usize::from(b) <= len)
        .unwrap_or(0);
    fixed_lit(w, 257 + i as u32);
    w.bits(
        (len - usize::from(LEN_BASE[i])) as u32,
        u32::from(LEN_EXTRA[i]),
    );
}

fn distance(w: &mut BitWriter, dist: usize) {
    let i = DIST_BASE
        .iter()
        .rposition(|&b| usize::from(b) <= dist)
        .unwrap_or(0);
    w.code(i as u32, 5);
    w.bits(
        (dist - usize::from(DIST_BASE[i])) as u32,
        u32::from(DIST_EXTRA[i]),
    );
}

/// Compresses `data` into one final fixed-Huffman block. Deterministic: the same input gives
/// the same bytes on every platform.
pub fn deflate(data: &[u8]) -> Vec<u8> {
    const WINDOW: usize = 32 * 1024;
    const HASH: usize = 1 << 13;
    const CHAIN: usize = 64;
    let mut w = BitWriter {
        out: Vec::with_capacity(data.len() / 2 + 8),
        acc: 0,
        n: 0,
    };
    w.bits(1, 1); // BFINAL
    w.bits(1, 2); // BTYPE = 01, fixed Huffman
    let hash = |i: usize| -> usize {
        let v = u32::from(data[i]) << 16 | u32::from(data[i + 1]) << 8 | u32::from(data[i + 2]);
        (v.wrapping_mul(0x9e37_79b1) >> 19) as usize & (HASH - 1)
    };
    let mut head = vec![usize::MAX; HASH];
    let mut prev = vec![usize::MAX; data.len()];
    let insert = |head: &mut Vec<usize>, prev: &mut Vec<usize>, i: usize| {
        if i + 2 < data.len() {
            let h = hash(i);
            prev[i] = head[h];
            head[h] = i;
        }
    };
    let mut i = 0;
    while i < data.len() {
        let (mut best_len, mut best_dist) = (0, 0);
        if i + 2 < data.len() {
            let mut cand = head[hash(i)];
            let mut chain = CHAIN;
            let max = (data.len() - i).min(258);
            while cand != usize::MAX && i - cand <= WINDOW && chain > 0 {
                let l = data[cand..]
                    .iter()
                    .zip(&data[i..i + max])
                    .take_while(|(a, b)| a == b)
                    .count();
                if l > best_len {
                    best_len = l;
                    best_dist = i - cand;
                    if l == max {
                        break;
                    }
                }
                cand = prev[cand];
                chain -= 1;
            }
        }
        if best_len >= 3 {
            length(&mut w, best_len);
            distance(&mut w, best_dist);
            for j in i..i + best_len {
                insert(&mut head, &mut prev, j);
            }
            i += best_len;
        } else {
            fixed_lit(&mut w, u32::from(data[i]));
            insert(&mut head, &mut prev, i);
            i += 1;
        }
    }
    fixed_lit(&mut w, 256);
    w.finish()
}

/// Why a stream did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// The data ended inside a block.
    Truncated,
    /// A reserved block type, a bad code table, a distance before the start, ...
    Corrupt,
    /// The output would pass [`MAX_OUT`].
    TooLarge,
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl BitReader<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, InflateError> {
        let mut v = 0;
        for i in 0..n {
            let byte = *self.data.get(self.pos).ok_or(InflateError::Truncated)?;
            v |= u32::from((byte >> self.bit) & 1) << i;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }
}

/// A canonical Huffman decoding table: code counts per length and symbols by code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, InflateError> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        // Over-subscribed code sets are corrupt (incomplete ones are allowed, as zlib does).
        let mut left: i32 = 1;
        for c in &counts[1..] {
            left = left * 2 - i32::from(*c);
            if left < 0 {
                return Err(InflateError::Corrupt);
            }
        }
        let mut offs = [0u16; 16];
        for l in 1..15 {
            offs[l + 1] = offs[l] + counts[l];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offs[usize::from(l)])] = s as u16;
                offs[usize::from(l)] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, r: &mut BitReader<'_>) -> Result<u16, InflateError> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= r.bits(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return self
                    .symbols
                    .get((index + code - first) as usize)
                    .copied()
                    .ok_or(InflateError::Corrupt);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(InflateError::Corrupt)
    }
}

fn fixed_tables() -> (Huffman, Huffman) {
    let mut l = [0u8; 288];
    l[..144].fill(8);
    l[144..256].fill(9);
    l[256..280].fill(7);
    l[280..].fill(8);
    // Both tables are valid by construction.
    let lit = Huffman::new(&l).unwrap_or(Huffman {
        counts: [0; 16],
        symbols: Vec::new(),
    });
    let dist = Huffman::new(&[5u8; 30]).unwrap_or(Huffman {
        counts: [0; 16],
        symbols: Vec::new(),
    });
    (lit, dist)
}

fn dynamic_tables(r: &mut BitReader<'_>) -> Result<(Huffman, Huffman), InflateError> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let hlit = r.bits(5)? as usize + 257;
    let hdist = r.bits(5)? as usize + 1;
    let hclen = r.bits(4)? as usize + 4;
    if hlit > 286 || hdist > 30 {
        return Err(InflateError::Corrupt);
    }
    let mut cl = [0u8; 19];
    for &o in &ORDER[..hclen] {
        cl[o] = r.bits(3)? as u8;
    }
    let clh = Huffman::new(&cl)?;
    let mut lengths = Vec::with_capacity(hlit + hdist);
    while lengths.len() < hlit + hdist {
        let sym = clh.decode(r)?;
        let (val, rep) = match sym {
            0..=15 => (sym as u8, 1),
            16 => (
                *lengths.last().ok_or(InflateError::Corrupt)?,
                3 + r.bits(2)? as usize,
            ),
            17 => (0, 3 + r.bits(3)? as usize),
            18 => (0, 11 + r.bits(7)? as usize),
            _ => return Err(InflateError::Corrupt),
        };
        if lengths.len() + rep > hlit + hdist {
            return Err(InflateError::Corrupt);
        }
        lengths.extend(std::iter::repeat_n(val, rep));
    }
    Ok((
        Huffman::new(&lengths[..hlit])?,
        Huffman::new(&lengths[hlit..])?,
    ))
}

/// Decompresses a raw DEFLATE stream (any block types).
pub fn inflate(data: &[u8]) -> Result<Vec<u8>, InflateError> {
    let mut r = BitReader {
        data,
        pos: 0,
        bit: 0,
    };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = r.bits(1)? == 1;
        match r.bits(2)? {
            0 => {
                if r.bit != 0 {
                    r.bit = 0;
                    r.pos += 1;
                }
                let hdr = data.get(r.pos..r.pos + 4).ok_or(InflateError::Truncated)?;
                let len = usize::from(u16::from_le_bytes([hdr[0], hdr[1]]));
                let nlen = u16::from_le_bytes([hdr[2], hdr[3]]);
                if len as u16 != !nlen {
                    return Err(InflateError::Corrupt);
                }
                r.pos += 4;
                let block = data
                    .get(r.pos..r.pos + len)
                    .ok_or(InflateError::Truncated)?;
                if out.len() + len > MAX_OUT {
                    return Err(InflateError::TooLarge);
                }
                out.extend_from_slice(block);
                r.pos += len;
            }
            t @ (1 | 2) => {
                let (lit, dist) = if t == 1 {
                    fixed_tables()
                } else {
                    dynamic_tables(&mut r)?
                };
                loop {
                    let sym = lit.decode(&mut r)?;
                    match sym {
                        0..=255 => {
                            if out.len() >= MAX_OUT {
                                return Err(InflateError::TooLarge);
                            }
                            out.push(sym as u8);
                        }
                        256 => break,
                        257..=285 => {
                            let i = usize::from(sym - 257);
                            let len = usize::from(LEN_BASE[i])
                                + r.bits(u32::from(LEN_EXTRA[i]))? as usize;
                            let d = usize::from(dist.decode(&mut r)?);
                            if d >= 30 {
                                return Err(InflateError::Corrupt);
                            }
                            let back = usize::from(DIST_BASE[d])
                                + r.bits(u32::from(DIST_EXTRA[d]))? as usize;
                            if back > out.len() {
                                return Err(InflateError::Corrupt);
                            }
                            if out.len() + len > MAX_OUT {
                                return Err(InflateError::TooLarge);
                            }
                            let start = out.len() - back;
                            for k in 0..len {
                                out.push(out[start + k]);
                            }
                        }
                        _ => return Err(InflateError::Corrupt),
                    }
                }
            }
            _ => return Err(InflateError::Corrupt),
        }
        if last {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that has begun a final fixed-Huffman block.
    fn fixed_block() -> BitWriter {
        let mut w = BitWriter {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        w.bits(1, 1);
        w.bits(1, 2);
        w
    }

    fn round_trip(data: &[u8]) {
        let z = deflate(data);
        assert_eq!(inflate(&z).as_deref(), Ok(data), "{} bytes", data.len());
    }

    #[test]
    fn round_trips() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        round_trip("µ 😀 ünïcödé".as_bytes());
        let script = include_str!("../../examples/s01-dio-reclaim-race.pin");
        round_trip(script.as_bytes());
        let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        round_trip(&big);
        let all: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        round_trip(&all);
    }

    #[test]
    fn compresses_scripts() {
        let script = include_str!("../../examples/s01-dio-reclaim-race.pin");
        let z = deflate(script.as_bytes());
        // Fixed Huffman codes: about 56%, where zlib -9's dynamic block reaches 47%.
        assert!(
            z.len() * 10 < script.len() * 6,
            "{} -> {}",
            script.len(),
            z.len()
        );
    }

    /// Streams from another encoder: zlib's output for "hello hello hello\n" at level 9
    /// (fixed block), for an example script (a dynamic block; Python's `zlib.compressobj(9,
    /// DEFLATED, -15)`), and a stored block.
    #[test]
    fn reads_other_encoders() {
        let zlib = [
            0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00,
        ];
        assert_eq!(inflate(&zlib).as_deref(), Ok(&b"hello hello hello\n"[..]));
        let dynamic = include_bytes!("../tests/data/s01-zlib9.deflate");
        assert_eq!(dynamic[0] & 7, 5, "a final dynamic block");
        let script = include_str!("../../examples/s01-dio-reclaim-race.pin");
        assert_eq!(inflate(dynamic).as_deref(), Ok(script.as_bytes()));
        let stored = [0x01, 0x03, 0x00, 0xfc, 0xff, b'a', b'b', b'c'];
        assert_eq!(inflate(&stored).as_deref(), Ok(&b"abc"[..]));
    }

    #[test]
    fn bad_streams_are_errors_not_panics() {
        assert_eq!(inflate(&[]), Err(InflateError::Truncated));
        assert_eq!(inflate(&[0x07]), Err(InflateError::Corrupt)); // reserved block type
        assert_eq!(
            inflate(&[0x01, 0x03, 0x00, 0x00, 0x00]),
            Err(InflateError::Corrupt)
        );
        let z = deflate(b"some text that is long enough to be cut in the middle");
        assert!(inflate(&z[..z.len() / 2]).is_err());
        // A distance before the start of the output.
        let mut w = fixed_block();
        length(&mut w, 3);
        distance(&mut w, 5);
        assert_eq!(inflate(&w.finish()), Err(InflateError::Corrupt));
        for seed in 0..2000u32 {
            let junk: Vec<u8> = (0..64)
                .map(|i| (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 97) >> 7) as u8)
                .collect();
            let _ = inflate(&junk);
        }
    }

    #[test]
    fn output_is_capped() {
        // A run of one byte repeated past the cap: length 258 / distance 1, many times.
        let mut w = fixed_block();
        fixed_lit(&mut w, u32::from(b'x'));
        for _ in 0..(MAX_OUT / 258 + 2) {
            length(&mut w, 258);
            distance(&mut w, 1);
        }
        fixed_lit(&mut w, 256);
        assert_eq!(inflate(&w.finish()), Err(InflateError::TooLarge));
    }
}
