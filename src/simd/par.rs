//! The kernels over rayon chunks, for inputs large enough that several cores pay.
//!
//! Inputs are cut into fixed chunks of [`CHUNK_BYTES`] per input stream (sized so a chunk of
//! each input of a two-input kernel fits in a core's L2 cache); each chunk runs the detected
//! backend's kernel, and the partial results are combined left to right in chunk order. The
//! chunking depends only on the input length, never on the number of threads, so a result is
//! the same bits on 1 thread or 64. Below [`PARALLEL_THRESHOLD_BYTES`] per input the chunks
//! run on the calling thread (same chunks, same order, same bits) since waking workers would
//! cost more than it saves.
//!
//! The `*_deterministic` functions use the blocks of [`crate::simd::deterministic`] and give
//! the same bits as the single-threaded deterministic functions on every backend.
//!
//! ```
//! use perfkit::simd::par;
//!
//! let a = vec![1.0f32; 1 << 20];
//! let b = vec![2.0f32; 1 << 20];
//! assert_eq!(par::dot(&a, &b)?, 2.0 * (1 << 20) as f32);
//! assert_eq!(par::sum_deterministic(&a), perfkit::simd::deterministic::sum(&a));
//! # Ok::<(), perfkit::simd::SimdError>(())
//! ```
#![forbid(unsafe_code)]

use rayon::prelude::*;

use super::ops::{DET_BLOCK, finish_cosine, fold_in_order, fold3_in_order, same_len};
use super::{Element, Simd, SimdError};

/// Bytes of each input stream per chunk: 128 KiB (32 768 `f32`), so the two inputs of `dot`
/// take 256 KiB, half of a Zen core's L2.
pub const CHUNK_BYTES: usize = 128 * 1024;

/// Inputs smaller than this (bytes per stream, 1 MiB = 8 chunks) stay on the calling thread.
pub const PARALLEL_THRESHOLD_BYTES: usize = 1024 * 1024;

fn chunk<T>() -> usize {
    CHUNK_BYTES / size_of::<T>()
}

fn parallel<T>(n: usize) -> bool {
    n.saturating_mul(size_of::<T>()) >= PARALLEL_THRESHOLD_BYTES
}

/// Maps `f` over the chunk pairs of `a` and `b` (in parallel when large) and returns the
/// partials in chunk order.
fn map2<T: Element, P: Send>(
    a: &[T],
    b: &[T],
    len: usize,
    f: impl Fn(&[T], &[T]) -> P + Sync + Send,
) -> Vec<P> {
    let c = len.max(1);
    if parallel::<T>(a.len()) {
        a.par_chunks(c)
            .zip(b.par_chunks(c))
            .map(|(x, y)| f(x, y))
            .collect()
    } else {
        a.chunks(c).zip(b.chunks(c)).map(|(x, y)| f(x, y)).collect()
    }
}

fn k<T: Element>() -> &'static super::kernels::Kernels<T> {
    T::__kernels(Simd::detected())
}

/// [`crate::simd::sum`] over chunks.
pub fn sum<T: Element>(x: &[T]) -> T {
    fold_in_order(map2(x, x, chunk::<T>(), |c, _| (k::<T>().sum)(c)))
}

/// [`crate::simd::dot`] over chunks.
pub fn dot<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    Ok(fold_in_order(map2(a, b, chunk::<T>(), k::<T>().dot)))
}

/// [`crate::simd::weighted_sum`] over chunks.
pub fn weighted_sum<T: Element>(values: &[T], weights: &[T]) -> Result<T, SimdError> {
    same_len("weights", values.len(), weights.len())?;
    Ok(fold_in_order(map2(
        values,
        weights,
        chunk::<T>(),
        k::<T>().dot,
    )))
}

/// [`crate::simd::l2_squared`] over chunks.
pub fn l2_squared<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    Ok(fold_in_order(map2(a, b, chunk::<T>(), k::<T>().l2_squared)))
}

/// [`crate::simd::cosine`] over chunks.
pub fn cosine<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    if a.is_empty() {
        return Err(SimdError::Empty);
    }
    finish_cosine(fold3_in_order(map2(
        a,
        b,
        chunk::<T>(),
        k::<T>().cosine_parts,
    )))
}

/// [`crate::simd::mean`] over chunks.
pub fn mean<T: Element>(x: &[T]) -> Result<T, SimdError> {
    if x.is_empty() {
        return Err(SimdError::Empty);
    }
    Ok(sum(x) / T::__from_usize(x.len()))
}

/// [`crate::simd::variance`] (population, two passes) over chunks.
pub fn variance<T: Element>(x: &[T]) -> Result<T, SimdError> {
    let m = mean(x)?;
    let dev = fold_in_order(map2(x, x, chunk::<T>(), |c, _| (k::<T>().sq_dev)(c, m)));
    Ok(dev / T::__from_usize(x.len()))
}

/// Chunk minima/maxima with their chunk offsets, combined so the result is the same as the
/// single-threaded kernel's: the extreme value, NaN winning, and the first index of it.
fn arg_extreme<T: Element>(
    x: &[T],
    pick: fn(&[T]) -> T,
    better: fn(T, T) -> bool,
) -> Option<(usize, T)> {
    let c = chunk::<T>();
    let parts = map2(x, x, c, |ch, _| {
        let v = pick(ch);
        (v, (k::<T>().position)(ch, v))
    });
    let mut best: Option<(usize, T)> = None;
    for (i, (v, pos)) in parts.into_iter().enumerate() {
        let idx = i * c + pos.unwrap_or(0);
        best = match best {
            // A NaN already won; later chunks cannot beat it, and equal values keep the first.
            Some((_, b)) if b.__is_nan() || !(v.__is_nan() || better(v, b)) => best,
            _ => Some((idx, v)),
        };
    }
    best
}

/// [`crate::simd::min`] over chunks.
pub fn min<T: Element>(x: &[T]) -> Option<T> {
    arg_extreme(x, k::<T>().min, |v, b| v < b).map(|(_, v)| v)
}

/// [`crate::simd::max`] over chunks.
pub fn max<T: Element>(x: &[T]) -> Option<T> {
    arg_extreme(x, k::<T>().max, |v, b| v > b).map(|(_, v)| v)
}

/// [`crate::simd::argmin`] over chunks: the same index as the single-threaded function.
pub fn argmin<T: Element>(x: &[T]) -> Option<usize> {
    arg_extreme(x, k::<T>().min, |v, b| v < b).map(|(i, _)| i)
}

/// [`crate::simd::argmax`] over chunks: the same index as the single-threaded function.
pub fn argmax<T: Element>(x: &[T]) -> Option<usize> {
    arg_extreme(x, k::<T>().max, |v, b| v > b).map(|(i, _)| i)
}

/// Runs an element-wise kernel over output chunks, in parallel when large.
fn each<T: Element>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync + Send) {
    let c = chunk::<T>();
    if parallel::<T>(out.len()) {
        out.par_chunks_mut(c)
            .enumerate()
            .for_each(|(i, o)| f(i * c, o));
    } else {
        out.chunks_mut(c).enumerate().for_each(|(i, o)| f(i * c, o));
    }
}

/// The same range of `x` as the output chunk at `start` of length `len`.
fn part<T>(x: &[T], start: usize, len: usize) -> &[T] {
    x.get(start..start.saturating_add(len)).unwrap_or(&[])
}

macro_rules! par_binary {
    ($name:ident) => {
        #[doc = concat!("[`crate::simd::", stringify!($name), "`] over chunks (exact, like the single-threaded kernel).")]
        pub fn $name<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), SimdError> {
            same_len("b", a.len(), b.len())?;
            same_len("out", a.len(), out.len())?;
            let f = k::<T>().$name;
            each(out, |s, o| f(part(a, s, o.len()), part(b, s, o.len()), o));
            Ok(())
        }
    };
}
par_binary!(add);
par_binary!(sub);
par_binary!(mul);

/// [`crate::simd::scale`] over chunks.
pub fn scale<T: Element>(x: &[T], alpha: T, out: &mut [T]) -> Result<(), SimdError> {
    same_len("out", x.len(), out.len())?;
    let f = k::<T>().scale;
    each(out, |s, o| f(part(x, s, o.len()), alpha, o));
    Ok(())
}

/// [`crate::simd::axpy`] over chunks.
pub fn axpy<T: Element>(alpha: T, x: &[T], y: &[T], out: &mut [T]) -> Result<(), SimdError> {
    same_len("y", x.len(), y.len())?;
    same_len("out", x.len(), out.len())?;
    let f = k::<T>().axpy;
    each(out, |s, o| {
        f(alpha, part(x, s, o.len()), part(y, s, o.len()), o)
    });
    Ok(())
}

/// [`crate::simd::fma`] over chunks.
pub fn fma<T: Element>(a: &[T], b: &[T], c: &[T], out: &mut [T]) -> Result<(), SimdError> {
    same_len("b", a.len(), b.len())?;
    same_len("c", a.len(), c.len())?;
    same_len("out", a.len(), out.len())?;
    let f = k::<T>().fma;
    each(out, |s, o| {
        f(
            part(a, s, o.len()),
            part(b, s, o.len()),
            part(c, s, o.len()),
            o,
        )
    });
    Ok(())
}

/// [`crate::simd::deterministic::sum`] over threads: the same bits on any thread count and
/// backend.
pub fn sum_deterministic<T: Element>(x: &[T]) -> T {
    fold_in_order(map2(x, x, DET_BLOCK, |c, _| (k::<T>().det_sum)(c)))
}

/// [`crate::simd::deterministic::dot`] over threads.
pub fn dot_deterministic<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    Ok(fold_in_order(map2(a, b, DET_BLOCK, k::<T>().det_dot)))
}

/// [`crate::simd::deterministic::l2_squared`] over threads.
pub fn l2_squared_deterministic<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    Ok(fold_in_order(map2(a, b, DET_BLOCK, k::<T>().det_l2)))
}

/// [`crate::simd::deterministic::mean`] over threads.
pub fn mean_deterministic<T: Element>(x: &[T]) -> Result<T, SimdError> {
    if x.is_empty() {
        return Err(SimdError::Empty);
    }
    Ok(sum_deterministic(x) / T::__from_usize(x.len()))
}

/// [`crate::simd::deterministic::weighted_sum`] over threads.
pub fn weighted_sum_deterministic<T: Element>(values: &[T], weights: &[T]) -> Result<T, SimdError> {
    same_len("weights", values.len(), weights.len())?;
    Ok(fold_in_order(map2(
        values,
        weights,
        DET_BLOCK,
        k::<T>().det_dot,
    )))
}

/// [`crate::simd::deterministic::cosine`] over threads: the three parts of each block in
/// parallel, added block by block in order.
pub fn cosine_deterministic<T: Element>(a: &[T], b: &[T]) -> Result<T, SimdError> {
    same_len("b", a.len(), b.len())?;
    if a.is_empty() {
        return Err(SimdError::Empty);
    }
    finish_cosine(fold3_in_order(map2(
        a,
        b,
        DET_BLOCK,
        k::<T>().det_cosine_parts,
    )))
}

/// [`crate::simd::deterministic::variance`] over threads: both passes (the mean, then the
/// squared deviations) run over the blocks in parallel and combine them in order.
pub fn variance_deterministic<T: Element>(x: &[T]) -> Result<T, SimdError> {
    let m = mean_deterministic(x)?;
    let dev = fold_in_order(map2(x, x, DET_BLOCK, |c, _| (k::<T>().det_sq_dev)(c, m)));
    Ok(dev / T::__from_usize(x.len()))
}
