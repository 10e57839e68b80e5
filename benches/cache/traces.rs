//! Readers for the real access traces in `$PERFKIT_TRACES` (default `../shared/traces`).
//!
//! Self-contained (std, flate2, liblzma) so other bench or example code can include it with
//! `#[path = "../../benches/cache/traces.rs"] mod traces;`. The format is chosen from the
//! file's folder and name, as described in the traces folder's README:
//!
//! | folder / name | format | key |
//! |---|---|---|
//! | `lirs/*.trace` | text, one decimal per line (`*` lines skipped) | the number |
//! | `arc/*.lis` | text `start count x y` | each block `start..start+count` |
//! | `cache2k/*.trace` | binary big-endian u32 | the number |
//! | `corda/*`, `scarab/*` | binary big-endian u64 | the number |
//! | `*.xz` (cloudphysics) | xz of little-endian u32 | the number |
//! | `*.csv` (libcachesim) | CSV with header, 5th field `lbn` | lbn |
//! | `*.trace.gz` (address) | gzip text `l 0xADDR n` | the byte address |
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Where the traces are: `$PERFKIT_TRACES`, else `../shared/traces`.
pub fn dir() -> PathBuf {
    std::env::var_os("PERFKIT_TRACES")
        .map_or_else(|| PathBuf::from("../shared/traces"), PathBuf::from)
}

/// The traces folder, or `None` after printing why the caller is skipping them.
pub fn dir_or_skip() -> Option<PathBuf> {
    let d = dir();
    if d.is_dir() {
        Some(d)
    } else {
        println!(
            "traces not found at $PERFKIT_TRACES (default ../shared/traces; looked in {}), skipping",
            d.display()
        );
        None
    }
}

fn bad(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

fn whole(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut file = File::open(path)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".xz") {
        liblzma::read::XzDecoder::new(file).read_to_end(&mut bytes)?;
    } else if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes)?;
    } else {
        file.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

fn be_u32(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect()
}

fn le_u32(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect()
}

fn be_u64(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// Reads every request of the trace at `path` as a `u64` key (see the module docs).
///
/// # Errors
/// An I/O error, or `InvalidData` for a file whose format is unknown or that does not parse.
pub fn read(path: &Path) -> io::Result<Vec<u64>> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if name.ends_with(".lis") {
        let mut keys = Vec::new();
        for line in BufReader::new(File::open(path)?).lines() {
            let line = line?;
            let mut f = line.split_whitespace();
            let (Some(start), Some(count)) = (f.next(), f.next()) else {
                continue;
            };
            let start: u64 = start.parse().map_err(|_| bad(path, "bad start"))?;
            let count: u64 = count.parse().map_err(|_| bad(path, "bad count"))?;
            keys.extend(start..start + count);
        }
        Ok(keys)
    } else if name.ends_with(".csv") {
        let mut keys = Vec::new();
        for line in BufReader::new(File::open(path)?).lines().skip(1) {
            let line = line?;
            let Some(lbn) = line.split(',').nth(4) else {
                continue;
            };
            keys.push(lbn.trim().parse().map_err(|_| bad(path, "bad lbn"))?);
        }
        Ok(keys)
    } else if name.ends_with(".trace.gz") {
        let text = whole(path)?;
        let mut keys = Vec::new();
        for line in text.split(|&b| b == b'\n') {
            let line = std::str::from_utf8(line).map_err(|_| bad(path, "not text"))?;
            let Some(addr) = line.split_whitespace().nth(1) else {
                continue;
            };
            let hex = addr.trim_start_matches("0x");
            keys.push(u64::from_str_radix(hex, 16).map_err(|_| bad(path, "bad address"))?);
        }
        Ok(keys)
    } else if name.ends_with(".xz") {
        Ok(le_u32(&whole(path)?))
    } else if folder == "cache2k" {
        Ok(be_u32(&whole(path)?))
    } else if folder == "corda" || folder == "scarab" {
        Ok(be_u64(&whole(path)?))
    } else if folder == "lirs" {
        let mut keys = Vec::new();
        for line in BufReader::new(File::open(path)?).lines() {
            let line = line?;
            let t = line.trim();
            // The LIRS files mark the end of the trace with `*` lines; those are not requests.
            if t.is_empty() || t == "*" {
                continue;
            }
            keys.push(t.parse().map_err(|_| bad(path, "bad key"))?);
        }
        Ok(keys)
    } else {
        Err(bad(path, "unknown trace format"))
    }
}
