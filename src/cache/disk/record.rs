//! The on-disk record: a fixed 32-byte header, the key, then the value, all covered by one
//! CRC32.
//!
//! ```text
//! offset size field
//!      0    4 magic "PKDR"
//!      4    1 format version (FORMAT_VERSION)
//!      5    1 flags: 1 = value deflated, 2 = tombstone, 4 = has expiry
//!      6    2 reserved, zero
//!      8    4 key length            (little endian, like every integer here)
//!     12    4 stored value length   (after compression)
//!     16    4 raw value length      (before compression; bounds the inflater)
//!     20    8 expiry, Unix ms       (0 when the flag is clear)
//!     28    4 CRC32 (crc32fast) of bytes 0..28, the key and the stored value
//! ```
//!
//! Decoding checks every field before trusting it, so any byte string gives a record or a
//! [`Corrupt`] reason, never a panic or an allocation sized by an unchecked length.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

pub(crate) const MAGIC: [u8; 4] = *b"PKDR";
/// The record and directory format this build writes and reads.
pub(crate) const FORMAT_VERSION: u8 = 1;
pub(crate) const HEADER_LEN: usize = 32;

const FLAG_COMPRESSED: u8 = 1;
const FLAG_TOMBSTONE: u8 = 2;
const FLAG_EXPIRY: u8 = 4;
const KNOWN_FLAGS: u8 = FLAG_COMPRESSED | FLAG_TOMBSTONE | FLAG_EXPIRY;

/// Why bytes are not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Corrupt {
    Short,
    Magic,
    Version,
    Header,
    Crc,
    Inflate,
}

/// The header fields, parsed and range-checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    flags: u8,
    pub(crate) key_len: usize,
    stored_len: usize,
    raw_len: usize,
    pub(crate) expires_at: Option<u64>,
}

impl Header {
    /// Total length of the record on disk.
    pub(crate) fn record_len(&self) -> usize {
        HEADER_LEN + self.key_len + self.stored_len
    }

    pub(crate) fn is_tombstone(&self) -> bool {
        self.flags & FLAG_TOMBSTONE != 0
    }
}

/// An encoded record and what the writer needs to know about it.
pub(crate) struct Encoded {
    pub(crate) bytes: Vec<u8>,
    pub(crate) compressed: bool,
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

fn u64_le(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

/// The writer's deflate state, kept across records: a fresh one costs an allocation of
/// hundreds of KiB, far more than deflating a small value.
pub(crate) struct Deflater(Compress);

impl Deflater {
    pub(crate) fn new() -> Self {
        Self(Compress::new(Compression::fast(), false))
    }

    /// Deflates `value` when it is longer than `threshold` and deflating makes it smaller.
    fn maybe_compress(&mut self, value: &[u8], threshold: usize) -> Option<Vec<u8>> {
        if value.len() <= threshold || looks_incompressible(value) {
            return None;
        }
        // Room for the worst case (stored or static-Huffman blocks of incompressible input):
        // zlib-rs 0.6's fast level can panic when Finish meets a short output buffer, so
        // "does it fit in less than the input" is decided after the fact, not by the buffer.
        let mut out = Vec::with_capacity(value.len() + value.len() / 4 + 256);
        let compress = &mut self.0;
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compress.reset();
            compress.compress_vec(value, &mut out, FlushCompress::Finish)
        }));
        match done {
            Ok(Ok(Status::StreamEnd)) => (out.len() < value.len()).then_some(out),
            Ok(_) => None,
            Err(_) => {
                // A bug in the compressor: its state cannot be trusted any more. The value
                // is stored raw, and the writer carries on.
                *self = Self::new();
                None
            }
        }
    }
}

/// Whether a sample of `value` looks like random bytes (already compressed, encrypted,
/// media), which deflate cannot shrink: trying costs the writer ~20 µs of stream reset plus
/// tens of ns per byte (600 µs for 16 KiB measured here), skipping costs ~1 µs.
///
/// The test is the byte entropy of up to 1 KiB (four 256-byte windows spread over the
/// value), with the Miller-Madow correction for the small sample, against 7.5 bits per byte:
/// random bytes score ~8, text 4-5. A value whose redundancy is only at long range (a random
/// block repeated) is stored raw; that costs space, never correctness.
fn looks_incompressible(value: &[u8]) -> bool {
    const WINDOW: usize = 256;
    if value.len() < WINDOW {
        return false;
    }
    let mut counts = [0u32; 256];
    let mut n = 0usize;
    let mut tally = |w: &[u8]| {
        for &b in w {
            counts[usize::from(b)] += 1;
        }
        n += w.len();
    };
    if value.len() <= 4 * WINDOW {
        tally(value);
    } else {
        let step = (value.len() - WINDOW) / 3;
        for i in 0..4 {
            tally(value.get(i * step..i * step + WINDOW).unwrap_or(&[]));
        }
    }
    let total = n as f64;
    let mut bits = 0.0;
    let mut distinct = 0u32;
    for &c in &counts {
        if c > 0 {
            distinct += 1;
            let p = f64::from(c) / total;
            bits -= p * p.log2();
        }
    }
    let bias = f64::from(distinct.saturating_sub(1)) / (2.0 * total * std::f64::consts::LN_2);
    bits + bias > 7.5
}

/// Encodes a put (`value = Some`) or a tombstone (`None`). `None` when a length does not fit
/// the header's 32-bit fields.
pub(crate) fn encode(
    deflater: &mut Deflater,
    key: &[u8],
    value: Option<&[u8]>,
    expires_at: Option<u64>,
    compress_threshold: usize,
) -> Option<Encoded> {
    let mut flags = 0u8;
    let raw = value.unwrap_or(&[]);
    if value.is_none() {
        flags |= FLAG_TOMBSTONE;
    }
    let packed = deflater.maybe_compress(raw, compress_threshold);
    if packed.is_some() {
        flags |= FLAG_COMPRESSED;
    }
    let stored: &[u8] = packed.as_deref().unwrap_or(raw);
    if expires_at.is_some() {
        flags |= FLAG_EXPIRY;
    }
    let key_len = u32::try_from(key.len()).ok()?;
    let stored_len = u32::try_from(stored.len()).ok()?;
    let raw_len = u32::try_from(raw.len()).ok()?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + key.len() + stored.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.push(FORMAT_VERSION);
    bytes.push(flags);
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(&key_len.to_le_bytes());
    bytes.extend_from_slice(&stored_len.to_le_bytes());
    bytes.extend_from_slice(&raw_len.to_le_bytes());
    bytes.extend_from_slice(&expires_at.unwrap_or(0).to_le_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&bytes);
    crc.update(key);
    crc.update(stored);
    bytes.extend_from_slice(&crc.finalize().to_le_bytes());
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(stored);
    Some(Encoded {
        bytes,
        compressed: packed.is_some(),
    })
}

/// Parses and range-checks a header; `available` is how many bytes the record may span
/// (the rest of the segment file), so a torn or garbage length is caught here.
pub(crate) fn parse_header(b: &[u8], available: usize) -> Result<Header, Corrupt> {
    let h = b.get(..HEADER_LEN).ok_or(Corrupt::Short)?;
    if h.get(..4) != Some(&MAGIC[..]) {
        return Err(Corrupt::Magic);
    }
    if h.get(4) != Some(&FORMAT_VERSION) {
        return Err(Corrupt::Version);
    }
    let flags = h.get(5).copied().unwrap_or(u8::MAX);
    if flags & !KNOWN_FLAGS != 0 || h.get(6..8) != Some(&[0, 0][..]) {
        return Err(Corrupt::Header);
    }
    let key_len = u32_le(h, 8) as usize;
    let stored_len = u32_le(h, 12) as usize;
    let raw_len = u32_le(h, 16) as usize;
    let expiry = u64_le(h, 20);
    let compressed = flags & FLAG_COMPRESSED != 0;
    if !compressed && raw_len != stored_len {
        return Err(Corrupt::Header);
    }
    if flags & FLAG_TOMBSTONE != 0 && raw_len != 0 {
        return Err(Corrupt::Header);
    }
    let expires_at = if flags & FLAG_EXPIRY != 0 {
        Some(expiry)
    } else if expiry != 0 {
        return Err(Corrupt::Header);
    } else {
        None
    };
    let total = HEADER_LEN
        .checked_add(key_len)
        .and_then(|n| n.checked_add(stored_len))
        .ok_or(Corrupt::Header)?;
    if total > available {
        return Err(Corrupt::Short);
    }
    Ok(Header {
        flags,
        key_len,
        stored_len,
        raw_len,
        expires_at,
    })
}

/// Checks the CRC of a whole record whose header parsed as `h`; returns (key, stored value).
pub(crate) fn verify<'a>(b: &'a [u8], h: &Header) -> Result<(&'a [u8], &'a [u8]), Corrupt> {
    let body = b.get(..h.record_len()).ok_or(Corrupt::Short)?;
    let stored_crc = u32_le(body, 28);
    let key = body
        .get(HEADER_LEN..HEADER_LEN + h.key_len)
        .ok_or(Corrupt::Short)?;
    let value = body.get(HEADER_LEN + h.key_len..).ok_or(Corrupt::Short)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(body.get(..28).ok_or(Corrupt::Short)?);
    crc.update(key);
    crc.update(value);
    if crc.finalize() != stored_crc {
        return Err(Corrupt::Crc);
    }
    Ok((key, value))
}

/// The value as the caller stored it: inflated when the record says so, and exactly
/// `raw_len` bytes long.
pub(crate) fn value_of(stored: &[u8], h: &Header) -> Result<Vec<u8>, Corrupt> {
    if h.flags & FLAG_COMPRESSED == 0 {
        return Ok(stored.to_vec());
    }
    thread_local! {
        // Readers' inflate state, one per thread: a fresh one is a ~40 KiB allocation.
        static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
    }
    INFLATER.with(|cell| {
        let mut d = cell.borrow_mut();
        // The output cannot grow past the recorded length; a stream that wants more is bad.
        let mut out = Vec::with_capacity(h.raw_len);
        // Stored bytes may be damaged: a bug in the inflater on them must be a miss for
        // this read, not a panic in the caller's thread.
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            d.reset(false);
            let status = d.decompress_vec(stored, &mut out, FlushDecompress::Finish);
            (status, d.total_in())
        }));
        let Ok((status, total_in)) = done else {
            *d = Decompress::new(false);
            return Err(Corrupt::Inflate);
        };
        let all_in = usize::try_from(total_in).ok() == Some(stored.len());
        match status {
            Ok(Status::StreamEnd) if all_in && out.len() == h.raw_len => Ok(out),
            _ => Err(Corrupt::Inflate),
        }
    })
}

/// [`value_of`] for a whole record in `buf` (already verified): a stored-raw value is moved
/// to the front of the buffer rather than copied into a new one.
pub(crate) fn into_value(mut buf: Vec<u8>, h: &Header) -> Result<Vec<u8>, Corrupt> {
    let start = HEADER_LEN + h.key_len;
    if h.flags & FLAG_COMPRESSED != 0 {
        return value_of(buf.get(start..h.record_len()).ok_or(Corrupt::Short)?, h);
    }
    if buf.len() < h.record_len() {
        return Err(Corrupt::Short);
    }
    buf.truncate(h.record_len());
    buf.drain(..start);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes from a seeded xorshift64 stream: incompressible, and the same every run.
    fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    fn roundtrip(key: &[u8], value: Option<&[u8]>, exp: Option<u64>, threshold: usize) {
        let e = encode(&mut Deflater::new(), key, value, exp, threshold).expect("fits");
        let h = parse_header(&e.bytes, e.bytes.len()).expect("header");
        assert_eq!(h.record_len(), e.bytes.len());
        assert_eq!(h.expires_at, exp);
        assert_eq!(h.is_tombstone(), value.is_none());
        let (k, v) = verify(&e.bytes, &h).expect("crc");
        assert_eq!(k, key);
        assert_eq!(value_of(v, &h).expect("inflate"), value.unwrap_or(&[]));
        assert_eq!(
            into_value(e.bytes.clone(), &h).expect("inflate"),
            value.unwrap_or(&[])
        );
    }

    #[test]
    fn records_round_trip() {
        roundtrip(b"k", Some(b"v"), None, 100);
        roundtrip(b"", Some(b""), Some(7), 0);
        roundtrip(b"key", None, None, 100);
        let big = vec![b'a'; 10_000];
        roundtrip(b"big", Some(&big), Some(u64::MAX), 100);
        let e = encode(&mut Deflater::new(), b"big", Some(&big), None, 100).expect("fits");
        assert!(e.compressed && e.bytes.len() < 1000);
    }

    #[test]
    fn incompressible_values_are_stored_raw() {
        let noise = random_bytes(4096, 0x1234_5678);
        let e = encode(&mut Deflater::new(), b"n", Some(&noise), None, 100).expect("fits");
        assert!(!e.compressed);
        roundtrip(b"n", Some(&noise), None, 100);
    }

    #[test]
    fn every_single_byte_flip_is_caught() {
        let value = vec![b'z'; 300];
        let e = encode(&mut Deflater::new(), b"key", Some(&value), Some(99), 100).expect("fits");
        for i in 0..e.bytes.len() {
            for bit in 0..8 {
                let mut b = e.bytes.clone();
                b[i] ^= 1 << bit;
                let ok = parse_header(&b, b.len())
                    .and_then(|h| verify(&b, &h).map(|(k, v)| (h, k.to_vec(), v.to_vec())))
                    .and_then(|(h, k, v)| value_of(&v, &h).map(|v| (k, v)));
                assert!(ok.is_err(), "flip at byte {i} bit {bit} went unnoticed");
            }
        }
    }

    #[test]
    fn incompressible_values_of_every_size_near_the_threshold_encode() {
        let mut d = Deflater::new();
        for len in (0..2100).chain([4095, 4096, 16 * 1024, 100_000]) {
            let v = random_bytes(len, 0x9E37_79B9_7F4A_7C15_u64 ^ len as u64);
            for threshold in [0, 100] {
                let e = encode(&mut d, b"k", Some(&v), None, threshold).expect("fits");
                let h = parse_header(&e.bytes, e.bytes.len()).expect("header");
                let (_, stored) = verify(&e.bytes, &h).expect("crc");
                assert_eq!(value_of(stored, &h).expect("inflate"), v, "len {len}");
            }
        }
    }

    #[test]
    fn the_entropy_test_tells_random_bytes_from_text() {
        for len in [256, 300, 1000, 1024, 1025, 4096, 100_000] {
            let random = random_bytes(len, 0x1234_5678_9abc_def0_u64 ^ len as u64);
            assert!(looks_incompressible(&random), "random, {len}");
            let text = "GET /api/v1/items?id=42&sort=desc HTTP/1.1 user-agent: perfkit\n"
                .repeat(len / 60 + 1);
            assert!(
                !looks_incompressible(&text.as_bytes()[..len]),
                "text, {len}"
            );
            assert!(!looks_incompressible(&vec![0u8; len]), "zeros, {len}");
        }
        // Short values are always tried.
        assert!(!looks_incompressible(&[1, 2, 3]));
    }

    #[test]
    fn truncation_is_caught() {
        let e = encode(&mut Deflater::new(), b"key", Some(b"value"), None, 100).expect("fits");
        for n in 0..e.bytes.len() {
            let b = &e.bytes[..n];
            assert!(parse_header(b, b.len()).is_err());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// Untrusted bytes: decoding and scanning never panic, and never allocate by an
        /// unchecked length (the inputs are short; a length field is up to 4 GiB).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            if let Ok(h) = parse_header(&bytes, bytes.len()) {
                proptest::prop_assert!(h.record_len() <= bytes.len());
                if let Ok((_, v)) = verify(&bytes, &h)
                    && let Ok(value) = value_of(v, &h)
                {
                    proptest::prop_assert_eq!(value.len(), h.raw_len);
                }
            }
            // A valid magic and version up front makes the length checks do the work.
            let mut framed = MAGIC.to_vec();
            framed.push(FORMAT_VERSION);
            framed.extend_from_slice(&bytes);
            proptest::prop_assert!(parse_header(&framed, framed.len()).map_or(true, |h| h.record_len() <= framed.len()));
            let _ = crate::cache::disk::segment::scan(&bytes, |_| {});
        }

        /// A valid record with a prefix of garbage and random damage: still no panic, and a
        /// record that survives the damage decodes to the original.
        #[test]
        fn damaged_records_are_caught(
            value in proptest::collection::vec(0..4u8, 0..600),
            at in 0usize..700,
            mask in 1..=255u8,
        ) {
            let e = encode(&mut Deflater::new(), b"key", Some(&value), None, 100).expect("fits");
            let mut b = e.bytes.clone();
            let i = at % b.len();
            b[i] ^= mask;
            let ok = parse_header(&b, b.len())
                .and_then(|h| verify(&b, &h).map(|(_, v)| (h, v.to_vec())))
                .and_then(|(h, v)| value_of(&v, &h));
            proptest::prop_assert!(ok.is_err());
        }
    }
}
