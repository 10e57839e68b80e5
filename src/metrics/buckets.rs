//! The log-linear bucket layout behind [`super::Histogram`].
//!
//! Values below `2 * SUB` get a bucket each (exact). Above that, every power of two is split
//! into `SUB / 2 = 64` equal-width buckets, so a bucket's width is at most 1/64 of its lower
//! bound. Reporting a bucket's midpoint therefore errs by at most 1/128 (0.78 %) relative to
//! any value in it: the "≤ 1 % relative error" promise, over the whole `u64` range, in 3 776
//! buckets (allocated lazily, one power of two at a time; see `histogram.rs`).

/// log2 of the number of linear sub-buckets in the first two octaves.
const PRECISION: u32 = 6;
/// Sub-buckets per octave once the layout turns logarithmic.
const SUB: u64 = 1 << PRECISION;
/// Values below this are counted exactly, one bucket each.
const LINEAR_END: u64 = SUB << 1;

/// Number of buckets needed for the full `u64` range: two linear groups, then one group per
/// remaining power of two.
pub(crate) const BUCKETS: usize = ((64 - PRECISION + 1) as usize) * (SUB as usize);

/// The bucket a value falls in. Branch-light: one `leading_zeros` and a few shifts.
#[inline(always)]
pub(crate) fn index(value: u64) -> usize {
    if value < LINEAR_END {
        value as usize
    } else {
        let msb = 63 - value.leading_zeros();
        let shift = msb - PRECISION;
        let mantissa = value >> shift; // in [SUB, 2 * SUB)
        ((shift as u64 + 1) * SUB + (mantissa - SUB)) as usize
    }
}

/// The smallest value that falls in bucket `i`.
#[inline]
pub(crate) fn lower_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR_END {
        i
    } else {
        let shift = i / SUB - 1;
        let mantissa = i % SUB + SUB;
        mantissa << shift
    }
}

/// The largest value that falls in bucket `i`.
#[inline]
pub(crate) fn upper_bound(i: usize) -> u64 {
    if i + 1 >= BUCKETS {
        u64::MAX
    } else {
        lower_bound(i + 1) - 1
    }
}

/// The value reported for bucket `i`: its midpoint, which bounds the relative error by 1/128.
#[inline]
pub(crate) fn representative(i: usize) -> u64 {
    let lo = lower_bound(i);
    let hi = upper_bound(i);
    lo + (hi - lo) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_contiguous_and_covers_u64() {
        assert_eq!(index(0), 0);
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        for i in 1..BUCKETS {
            assert_eq!(lower_bound(i), upper_bound(i - 1) + 1, "gap at bucket {i}");
            assert_eq!(index(lower_bound(i)), i);
            assert_eq!(index(upper_bound(i)), i);
        }
    }

    #[test]
    fn midpoint_error_is_within_one_percent() {
        for i in 0..BUCKETS {
            let (lo, hi, mid) = (lower_bound(i), upper_bound(i), representative(i));
            assert!(lo <= mid && mid <= hi);
            if lo > 0 {
                let worst = (mid - lo).max(hi - mid) as f64 / lo as f64;
                assert!(worst <= 1.0 / 128.0 + 1e-12, "bucket {i}: {worst}");
            }
        }
    }
}
