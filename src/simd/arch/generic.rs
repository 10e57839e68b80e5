//! Kernels written once over a [`Vector`] trait and instantiated per backend (memchr's shape).
//!
//! Every function here is an `unsafe fn` with one precondition: the CPU supports the
//! instructions of `V` (checked by the backend before its table is handed out). Memory safety
//! does not depend on the caller: loads and stores go through `chunks_exact` pieces of exactly
//! the vector's width. All functions are `#[inline(always)]` so they are compiled inside the
//! backend's `#[target_feature]` entry point, where the intrinsics inline.

use crate::simd::element::Real;

/// Lanes of the deterministic layout: element `i` of a block always goes to lane `i % 16`,
/// whatever the vector width of the backend.
pub(crate) const DET_LANES: usize = 16;

/// One SIMD register of `LANES` elements.
///
/// # Safety
/// Implementations may only be used when the CPU supports their instructions.
pub(crate) unsafe trait Vector: Copy {
    type Elem: Real + Copy + PartialOrd;
    /// Elements per register; divides [`DET_LANES`].
    const LANES: usize;
    /// Whether `mul_add` is one fused instruction (else element-wise `fma` falls back to the
    /// scalar fused operation, so results are identical on every backend).
    const FUSED: bool;
    unsafe fn splat(x: Self::Elem) -> Self;
    /// Unaligned load of `LANES` elements from `p`.
    unsafe fn load(p: *const Self::Elem) -> Self;
    /// Unaligned store of `LANES` elements to `p`.
    unsafe fn store(self, p: *mut Self::Elem);
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    /// `self * b + c`; fused when `FUSED`.
    unsafe fn mul_add(self, b: Self, c: Self) -> Self;
    /// Either operand when they compare equal; NaN handling is not relied upon.
    unsafe fn min(self, o: Self) -> Self;
    /// Either operand when they compare equal; NaN handling is not relied upon.
    unsafe fn max(self, o: Self) -> Self;
    /// `acc` with every lane where `self` is NaN made non-zero (all bits set).
    unsafe fn nan_or(self, acc: Self) -> Self;
    /// Bit `i` set when lane `i` of `self` equals lane `i` of `o`.
    unsafe fn eq_mask(self, o: Self) -> u32;
    /// Bit `i` set when lane `i` is NaN.
    unsafe fn nan_mask(self) -> u32;
}

type E<V> = <V as Vector>::Elem;

/// The lanes of `v` in order, in the first `V::LANES` places of a 16-element array.
#[inline(always)]
unsafe fn lanes<V: Vector>(v: V) -> [E<V>; DET_LANES] {
    let mut out = [<E<V>>::ZERO; DET_LANES];
    // SAFETY: LANES <= DET_LANES, so the store stays inside `out`; CPU support is the caller's.
    unsafe { v.store(out.as_mut_ptr()) };
    out
}

/// Horizontal sum as a tree (lane j += lane j + w, w = LANES/2 .. 1), which the compiler turns
/// into a few shuffles instead of a serial chain of LANES scalar adds.
#[inline(always)]
unsafe fn hsum<V: Vector>(v: V) -> E<V> {
    // SAFETY: forwarded precondition.
    let mut l = unsafe { lanes(v) };
    let mut width = V::LANES / 2;
    while width > 0 {
        let (lo, hi) = l.split_at_mut(width);
        for (a, &b) in lo.iter_mut().zip(hi.iter()).take(width) {
            *a = a.add(b);
        }
        width /= 2;
    }
    l[0]
}

macro_rules! binary {
    ($name:ident, $op:ident) => {
        #[inline(always)]
        pub(crate) unsafe fn $name<V: Vector>(a: &[E<V>], b: &[E<V>], out: &mut [E<V>]) {
            let w = V::LANES;
            let mut ca = a.chunks_exact(w);
            let mut cb = b.chunks_exact(w);
            let mut co = out.chunks_exact_mut(w);
            for ((x, y), o) in (&mut ca).zip(&mut cb).zip(&mut co) {
                // SAFETY: each chunk holds exactly LANES elements; CPU support is the caller's.
                unsafe {
                    V::load(x.as_ptr())
                        .$op(V::load(y.as_ptr()))
                        .store(o.as_mut_ptr())
                }
            }
            let rest = ca
                .remainder()
                .iter()
                .zip(cb.remainder())
                .zip(co.into_remainder());
            for ((&x, &y), o) in rest {
                *o = x.$op(y);
            }
        }
    };
}
binary!(add, add);
binary!(sub, sub);
binary!(mul, mul);

#[inline(always)]
pub(crate) unsafe fn scale<V: Vector>(x: &[E<V>], alpha: E<V>, out: &mut [E<V>]) {
    let w = V::LANES;
    // SAFETY: CPU support is the caller's.
    let va = unsafe { V::splat(alpha) };
    let mut cx = x.chunks_exact(w);
    let mut co = out.chunks_exact_mut(w);
    for (x, o) in (&mut cx).zip(&mut co) {
        // SAFETY: each chunk holds exactly LANES elements; CPU support is the caller's.
        unsafe { V::load(x.as_ptr()).mul(va).store(o.as_mut_ptr()) }
    }
    for (&x, o) in cx.remainder().iter().zip(co.into_remainder()) {
        *o = x.mul(alpha);
    }
}

/// `out = a * b + c` with one rounding.
#[inline(always)]
pub(crate) unsafe fn fma<V: Vector>(a: &[E<V>], b: &[E<V>], c: &[E<V>], out: &mut [E<V>]) {
    if !V::FUSED {
        // No fused instruction: the scalar fused operation gives the same one-rounding value
        // as a fused backend, so element-wise results agree bit for bit everywhere.
        for (((&x, &y), &z), o) in a.iter().zip(b).zip(c).zip(out.iter_mut()) {
            *o = x.fused(y, z);
        }
        return;
    }
    let w = V::LANES;
    let mut ca = a.chunks_exact(w);
    let mut cb = b.chunks_exact(w);
    let mut cc = c.chunks_exact(w);
    let mut co = out.chunks_exact_mut(w);
    for (((x, y), z), o) in (&mut ca).zip(&mut cb).zip(&mut cc).zip(&mut co) {
        // SAFETY: each chunk holds exactly LANES elements; CPU support is the caller's.
        unsafe {
            V::load(x.as_ptr())
                .mul_add(V::load(y.as_ptr()), V::load(z.as_ptr()))
                .store(o.as_mut_ptr())
        }
    }
    let rest = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .zip(cc.remainder())
        .zip(co.into_remainder());
    for (((&x, &y), &z), o) in rest {
        *o = x.fused(y, z);
    }
}

/// `out = alpha * x + y` with one rounding.
#[inline(always)]
pub(crate) unsafe fn axpy<V: Vector>(alpha: E<V>, x: &[E<V>], y: &[E<V>], out: &mut [E<V>]) {
    let w = V::LANES;
    if !V::FUSED {
        for ((&x, &y), o) in x.iter().zip(y).zip(out.iter_mut()) {
            *o = alpha.fused(x, y);
        }
        return;
    }
    // SAFETY: CPU support is the caller's.
    let va = unsafe { V::splat(alpha) };
    let mut cx = x.chunks_exact(w);
    let mut cy = y.chunks_exact(w);
    let mut co = out.chunks_exact_mut(w);
    for ((x, y), o) in (&mut cx).zip(&mut cy).zip(&mut co) {
        // SAFETY: each chunk holds exactly LANES elements; CPU support is the caller's.
        unsafe {
            va.mul_add(V::load(x.as_ptr()), V::load(y.as_ptr()))
                .store(o.as_mut_ptr())
        }
    }
    let rest = cx
        .remainder()
        .iter()
        .zip(cy.remainder())
        .zip(co.into_remainder());
    for ((&x, &y), o) in rest {
        *o = alpha.fused(x, y);
    }
}

/// A reduction over one or two streams with four independent accumulators: `step` folds one
/// register of each input into an accumulator, `tail` one scalar pair into the scalar total.
macro_rules! reduce2 {
    ($a:expr, $b:expr, |$acc:ident, $x:ident, $y:ident| $step:expr, |$s:ident, $p:ident, $q:ident| $tail:expr) => {{
        let w = V::LANES;
        // SAFETY: CPU support is the caller's.
        let zero = unsafe { V::splat(<E<V>>::ZERO) };
        let mut acc = [zero; 4];
        let mut ca = $a.chunks_exact(4 * w);
        let mut cb = $b.chunks_exact(4 * w);
        for (xa, xb) in (&mut ca).zip(&mut cb) {
            for (k, slot) in acc.iter_mut().enumerate() {
                // SAFETY: chunks hold 4 * LANES elements, so offset k * LANES (k < 4) leaves
                // LANES readable elements; CPU support is the caller's.
                unsafe {
                    let $acc = *slot;
                    let $x = V::load(xa.as_ptr().add(k * w));
                    let $y = V::load(xb.as_ptr().add(k * w));
                    *slot = $step;
                }
            }
        }
        let mut ra = ca.remainder().chunks_exact(w);
        let mut rb = cb.remainder().chunks_exact(w);
        for (xa, xb) in (&mut ra).zip(&mut rb) {
            // SAFETY: chunks hold LANES elements; CPU support is the caller's.
            unsafe {
                let $acc = acc[0];
                let $x = V::load(xa.as_ptr());
                let $y = V::load(xb.as_ptr());
                acc[0] = $step;
            }
        }
        // SAFETY: CPU support is the caller's.
        let mut total = unsafe { hsum(acc[0].add(acc[1]).add(acc[2].add(acc[3]))) };
        for (&$p, &$q) in ra.remainder().iter().zip(rb.remainder()) {
            let $s = total;
            total = $tail;
        }
        total
    }};
}

#[inline(always)]
pub(crate) unsafe fn sum<V: Vector>(x: &[E<V>]) -> E<V> {
    reduce2!(x, x, |acc, v, _u| acc.add(v), |s, p, _q| s.add(p))
}

#[inline(always)]
pub(crate) unsafe fn dot<V: Vector>(a: &[E<V>], b: &[E<V>]) -> E<V> {
    reduce2!(a, b, |acc, x, y| x.mul_add(y, acc), |s, p, q| s
        .add(p.mul(q)))
}

#[inline(always)]
pub(crate) unsafe fn l2_squared<V: Vector>(a: &[E<V>], b: &[E<V>]) -> E<V> {
    reduce2!(
        a,
        b,
        |acc, x, y| {
            let d = x.sub(y);
            d.mul_add(d, acc)
        },
        |s, p, q| {
            let d = p.sub(q);
            s.add(d.mul(d))
        }
    )
}

#[inline(always)]
pub(crate) unsafe fn sq_dev<V: Vector>(x: &[E<V>], m: E<V>) -> E<V> {
    // SAFETY: CPU support is the caller's.
    let vm = unsafe { V::splat(m) };
    reduce2!(
        x,
        x,
        |acc, v, _u| {
            let d = v.sub(vm);
            d.mul_add(d, acc)
        },
        |s, p, _q| {
            let d = p.sub(m);
            s.add(d.mul(d))
        }
    )
}

/// `[a·b, a·a, b·b]` in one pass, two registers per sum.
#[inline(always)]
pub(crate) unsafe fn cosine_parts<V: Vector>(a: &[E<V>], b: &[E<V>]) -> [E<V>; 3] {
    let w = V::LANES;
    // SAFETY: CPU support is the caller's.
    let zero = unsafe { V::splat(<E<V>>::ZERO) };
    let mut ab = [zero; 2];
    let mut aa = [zero; 2];
    let mut bb = [zero; 2];
    let mut ca = a.chunks_exact(2 * w);
    let mut cb = b.chunks_exact(2 * w);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for k in 0..2 {
            // SAFETY: chunks hold 2 * LANES elements, so offset k * LANES (k < 2) leaves LANES
            // readable elements; CPU support is the caller's.
            unsafe {
                let x = V::load(xa.as_ptr().add(k * w));
                let y = V::load(xb.as_ptr().add(k * w));
                ab[k] = x.mul_add(y, ab[k]);
                aa[k] = x.mul_add(x, aa[k]);
                bb[k] = y.mul_add(y, bb[k]);
            }
        }
    }
    // SAFETY: CPU support is the caller's.
    let mut out = unsafe {
        [
            hsum(ab[0].add(ab[1])),
            hsum(aa[0].add(aa[1])),
            hsum(bb[0].add(bb[1])),
        ]
    };
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        out[0] = out[0].add(x.mul(y));
        out[1] = out[1].add(x.mul(x));
        out[2] = out[2].add(y.mul(y));
    }
    out
}

macro_rules! extremum {
    ($name:ident, $op:ident, $better:expr) => {
        /// NaN when the slice is empty or holds a NaN.
        #[inline(always)]
        pub(crate) unsafe fn $name<V: Vector>(x: &[E<V>]) -> E<V> {
            let Some(&first) = x.first() else {
                return <E<V>>::NAN;
            };
            let w = V::LANES;
            // SAFETY: CPU support is the caller's.
            let (init, zero) = unsafe { (V::splat(first), V::splat(<E<V>>::ZERO)) };
            let mut acc = [init; 4];
            let mut nan = zero;
            let mut cx = x.chunks_exact(4 * w);
            for c in &mut cx {
                for (k, slot) in acc.iter_mut().enumerate() {
                    // SAFETY: chunks hold 4 * LANES elements; CPU support is the caller's.
                    unsafe {
                        let v = V::load(c.as_ptr().add(k * w));
                        *slot = slot.$op(v);
                        nan = v.nan_or(nan);
                    }
                }
            }
            let mut rx = cx.remainder().chunks_exact(w);
            for c in &mut rx {
                // SAFETY: chunks hold LANES elements; CPU support is the caller's.
                unsafe {
                    let v = V::load(c.as_ptr());
                    acc[0] = acc[0].$op(v);
                    nan = v.nan_or(nan);
                }
            }
            // SAFETY: CPU support is the caller's.
            let (any_nan, l) = unsafe {
                (
                    nan.nan_mask() != 0,
                    lanes(acc[0].$op(acc[1]).$op(acc[2].$op(acc[3]))),
                )
            };
            if any_nan {
                return <E<V>>::NAN;
            }
            let better = $better;
            let mut best = first;
            for &v in l.iter().take(w).chain(rx.remainder()) {
                if v.is_nan() {
                    return <E<V>>::NAN;
                }
                if better(v, best) {
                    best = v;
                }
            }
            best
        }
    };
}
extremum!(min, min, |v: E<V>, best: E<V>| v < best);
extremum!(max, max, |v: E<V>, best: E<V>| v > best);

/// First index whose element equals `target` (with `target` NaN: the first NaN).
#[inline(always)]
pub(crate) unsafe fn position<V: Vector>(x: &[E<V>], target: E<V>) -> Option<usize> {
    let w = V::LANES;
    let want_nan = target.is_nan();
    // SAFETY: CPU support is the caller's.
    let vt = unsafe { V::splat(target) };
    let mut cx = x.chunks_exact(w);
    let mut base = 0;
    for c in &mut cx {
        // SAFETY: chunks hold LANES elements; CPU support is the caller's.
        let mask = unsafe {
            let v = V::load(c.as_ptr());
            if want_nan {
                v.nan_mask()
            } else {
                v.eq_mask(vt)
            }
        };
        if mask != 0 {
            return Some(base + mask.trailing_zeros() as usize);
        }
        base += w;
    }
    cx.remainder()
        .iter()
        .position(|&v| if want_nan { v.is_nan() } else { v == target })
        .map(|i| base + i)
}

/// Sums the 16 lanes in a fixed tree: lane j += lane j + width, width = 8, 4, 2, 1.
#[inline(always)]
fn det_tree<T: Real + Copy>(mut l: [T; DET_LANES]) -> T {
    let mut width = DET_LANES / 2;
    while width > 0 {
        let (lo, hi) = l.split_at_mut(width);
        for (a, &b) in lo.iter_mut().zip(hi.iter()) {
            *a = a.add(b);
        }
        width /= 2;
    }
    l[0]
}

/// The deterministic fixed-layout reduction: element `i` goes to lane `i % 16` (in index
/// order within the lane), with a separate multiply and add (never fused), then the fixed tree.
/// Every backend produces the same bits because every lane sees the same operations in the
/// same order.
macro_rules! det_reduce {
    ($a:expr, $b:expr, |$x:ident, $y:ident| $vterm:expr, |$p:ident, $q:ident| $sterm:expr) => {{
        let w = V::LANES;
        let regs = DET_LANES / w;
        // SAFETY: CPU support is the caller's.
        let zero = unsafe { V::splat(<E<V>>::ZERO) };
        // At most 8 registers (2-lane vectors); the unused ones are optimised away.
        let mut acc = [zero; 8];
        let mut ca = $a.chunks_exact(DET_LANES);
        let mut cb = $b.chunks_exact(DET_LANES);
        for (xa, xb) in (&mut ca).zip(&mut cb) {
            for (r, slot) in acc.iter_mut().take(regs).enumerate() {
                // SAFETY: chunks hold DET_LANES = regs * LANES elements, so offset r * LANES
                // (r < regs) leaves LANES readable elements; CPU support is the caller's.
                unsafe {
                    let $x = V::load(xa.as_ptr().add(r * w));
                    let $y = V::load(xb.as_ptr().add(r * w));
                    *slot = slot.add($vterm);
                }
            }
        }
        let mut l = [<E<V>>::ZERO; DET_LANES];
        for (r, v) in acc.iter().take(regs).enumerate() {
            // SAFETY: (r + 1) * LANES <= DET_LANES, so the store stays inside `l`.
            unsafe { v.store(l.as_mut_ptr().add(r * w)) };
        }
        for ((slot, &$p), &$q) in l.iter_mut().zip(ca.remainder()).zip(cb.remainder()) {
            *slot = slot.add($sterm);
        }
        det_tree(l)
    }};
}

#[inline(always)]
pub(crate) unsafe fn det_sum<V: Vector>(x: &[E<V>]) -> E<V> {
    det_reduce!(x, x, |v, _u| v, |p, _q| p)
}

#[inline(always)]
pub(crate) unsafe fn det_dot<V: Vector>(a: &[E<V>], b: &[E<V>]) -> E<V> {
    det_reduce!(a, b, |x, y| x.mul(y), |p, q| p.mul(q))
}

#[inline(always)]
pub(crate) unsafe fn det_l2<V: Vector>(a: &[E<V>], b: &[E<V>]) -> E<V> {
    det_reduce!(
        a,
        b,
        |x, y| {
            let d = x.sub(y);
            d.mul(d)
        },
        |p, q| {
            let d = p.sub(q);
            d.mul(d)
        }
    )
}

/// `Σ (x[i] - m)²` of one deterministic block: `det_l2` against a constant, so the deviation
/// is rounded, then squared (rounded), then added to lane `i % 16`.
#[inline(always)]
pub(crate) unsafe fn det_sq_dev<V: Vector>(x: &[E<V>], m: E<V>) -> E<V> {
    // SAFETY: CPU support is the caller's.
    let vm = unsafe { V::splat(m) };
    det_reduce!(
        x,
        x,
        |v, _u| {
            let d = v.sub(vm);
            d.mul(d)
        },
        |p, _q| {
            let d = p.sub(m);
            d.mul(d)
        }
    )
}

/// `[a·b, a·a, b·b]` of one deterministic block in one pass over both inputs. Each of the
/// three runs exactly the operations of `det_dot` on its pair (same lanes, same order, same
/// tree), so the parts equal three `det_dot` calls bit for bit; they only share the loads.
#[inline(always)]
pub(crate) unsafe fn det_cosine_parts<V: Vector>(a: &[E<V>], b: &[E<V>]) -> [E<V>; 3] {
    let w = V::LANES;
    let regs = DET_LANES / w;
    // SAFETY: CPU support is the caller's.
    let zero = unsafe { V::splat(<E<V>>::ZERO) };
    // Register r of each part: [a·b, a·a, b·b]. At most 8 (2-lane vectors); the unused ones
    // are optimised away.
    let mut acc = [[zero; 3]; 8];
    let mut ca = a.chunks_exact(DET_LANES);
    let mut cb = b.chunks_exact(DET_LANES);
    for (xa, xb) in (&mut ca).zip(&mut cb) {
        for (r, [sab, saa, sbb]) in acc.iter_mut().take(regs).enumerate() {
            // SAFETY: chunks hold DET_LANES = regs * LANES elements, so offset r * LANES
            // (r < regs) leaves LANES readable elements; CPU support is the caller's.
            unsafe {
                let x = V::load(xa.as_ptr().add(r * w));
                let y = V::load(xb.as_ptr().add(r * w));
                *sab = sab.add(x.mul(y));
                *saa = saa.add(x.mul(x));
                *sbb = sbb.add(y.mul(y));
            }
        }
    }
    let mut l = [[<E<V>>::ZERO; DET_LANES]; 3];
    for (r, regs3) in acc.iter().take(regs).enumerate() {
        for (part, v) in l.iter_mut().zip(regs3) {
            // SAFETY: (r + 1) * LANES <= DET_LANES, so the store stays inside `part`; CPU
            // support is the caller's.
            unsafe { v.store(part.as_mut_ptr().add(r * w)) };
        }
    }
    let [mut lab, mut laa, mut lbb] = l;
    let tail = ca.remainder().iter().zip(cb.remainder());
    for (((sab, saa), sbb), (&p, &q)) in lab
        .iter_mut()
        .zip(laa.iter_mut())
        .zip(lbb.iter_mut())
        .zip(tail)
    {
        *sab = sab.add(p.mul(q));
        *saa = saa.add(p.mul(p));
        *sbb = sbb.add(q.mul(q));
    }
    [det_tree(lab), det_tree(laa), det_tree(lbb)]
}

/// Builds a backend's kernel table for one vector type: a private `#[target_feature]` entry
/// point per kernel (so the generic code above is compiled with the backend's instructions)
/// and a safe wrapper in the table. `$avail` must be true only on CPUs that run `$V`; the table
/// is reachable only through `table()`, which checks it.
macro_rules! kernel_table {
    ($(#[$attr:meta])* mod $module:ident, $V:ty, $T:ty, $backend:expr, $avail:expr) => {
        #[allow(clippy::missing_safety_doc)]
        pub(crate) mod $module {
            use crate::simd::arch::generic;
            use crate::simd::kernels::Kernels;
            type V = $V;
            type T = $T;

            // Each entry point is `unsafe` only because it enables the backend's target
            // features; its one precondition, that the CPU has them, is the caller's, and the
            // generic kernel it calls needs nothing more (it works on whole chunks of the
            // slices it is given and handles the tail in scalar code).
            $(#[$attr])* unsafe fn add(a: &[T], b: &[T], o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::add::<V>(a, b, o) }
            }
            $(#[$attr])* unsafe fn sub(a: &[T], b: &[T], o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::sub::<V>(a, b, o) }
            }
            $(#[$attr])* unsafe fn mul(a: &[T], b: &[T], o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::mul::<V>(a, b, o) }
            }
            $(#[$attr])* unsafe fn scale(x: &[T], s: T, o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::scale::<V>(x, s, o) }
            }
            $(#[$attr])* unsafe fn axpy(s: T, x: &[T], y: &[T], o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::axpy::<V>(s, x, y, o) }
            }
            $(#[$attr])* unsafe fn fma(a: &[T], b: &[T], c: &[T], o: &mut [T]) {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::fma::<V>(a, b, c, o) }
            }
            $(#[$attr])* unsafe fn sum(x: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::sum::<V>(x) }
            }
            $(#[$attr])* unsafe fn dot(a: &[T], b: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::dot::<V>(a, b) }
            }
            $(#[$attr])* unsafe fn l2_squared(a: &[T], b: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::l2_squared::<V>(a, b) }
            }
            $(#[$attr])* unsafe fn cosine_parts(a: &[T], b: &[T]) -> [T; 3] {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::cosine_parts::<V>(a, b) }
            }
            $(#[$attr])* unsafe fn sq_dev(x: &[T], m: T) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::sq_dev::<V>(x, m) }
            }
            $(#[$attr])* unsafe fn min(x: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::min::<V>(x) }
            }
            $(#[$attr])* unsafe fn max(x: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::max::<V>(x) }
            }
            $(#[$attr])* unsafe fn position(x: &[T], v: T) -> Option<usize> {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::position::<V>(x, v) }
            }
            $(#[$attr])* unsafe fn det_sum(x: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::det_sum::<V>(x) }
            }
            $(#[$attr])* unsafe fn det_dot(a: &[T], b: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::det_dot::<V>(a, b) }
            }
            $(#[$attr])* unsafe fn det_l2(a: &[T], b: &[T]) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::det_l2::<V>(a, b) }
            }
            $(#[$attr])* unsafe fn det_sq_dev(x: &[T], m: T) -> T {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::det_sq_dev::<V>(x, m) }
            }
            $(#[$attr])* unsafe fn det_cosine_parts(a: &[T], b: &[T]) -> [T; 3] {
                // SAFETY: the CPU has this backend's features (the caller's promise, above).
                unsafe { generic::det_cosine_parts::<V>(a, b) }
            }

            // Every wrapper below calls an entry point: TABLE is visible only to the backend's
            // own module and is handed out by `table()` after `$avail` confirmed the CPU runs
            // this backend's instructions.
            pub(super) static TABLE: Kernels<T> = Kernels {
                backend: $backend,
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                add: |a, b, o| unsafe { add(a, b, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                sub: |a, b, o| unsafe { sub(a, b, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                mul: |a, b, o| unsafe { mul(a, b, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                scale: |x, s, o| unsafe { scale(x, s, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                axpy: |s, x, y, o| unsafe { axpy(s, x, y, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                fma: |a, b, c, o| unsafe { fma(a, b, c, o) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                sum: |x| unsafe { sum(x) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                dot: |a, b| unsafe { dot(a, b) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                l2_squared: |a, b| unsafe { l2_squared(a, b) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                cosine_parts: |a, b| unsafe { cosine_parts(a, b) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                sq_dev: |x, m| unsafe { sq_dev(x, m) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                min: |x| unsafe { min(x) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                max: |x| unsafe { max(x) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                position: |x, v| unsafe { position(x, v) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                det_sum: |x| unsafe { det_sum(x) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                det_dot: |a, b| unsafe { det_dot(a, b) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                det_l2: |a, b| unsafe { det_l2(a, b) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                det_sq_dev: |x, m| unsafe { det_sq_dev(x, m) },
                // SAFETY: `table()` hands TABLE out only once `$avail` held (above).
                det_cosine_parts: |a, b| unsafe { det_cosine_parts(a, b) },
            };

            /// The table, if this CPU runs the backend.
            // The portable backend needs no check and reaches its table directly.
            #[allow(dead_code)]
            pub(crate) fn table() -> Option<&'static Kernels<T>> {
                if $avail { Some(&TABLE) } else { None }
            }
        }
    };
}
pub(crate) use kernel_table;
