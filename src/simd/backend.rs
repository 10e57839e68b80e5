//! Which instruction set runs the kernels, chosen once per process.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use super::SimdError;
use super::arch;
use super::kernels::Kernels;

/// An instruction set the kernels can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Portable Rust on every target; the compiler vectorises it with the target's baseline.
    Scalar,
    /// x86_64 SSE2: 128-bit registers, no fused multiply-add.
    Sse2,
    /// x86_64 AVX2 with FMA: 256-bit registers, fused multiply-add.
    Avx2Fma,
    /// x86_64 AVX-512 Foundation: 512-bit registers, fused multiply-add, mask registers.
    Avx512F,
    /// aarch64 NEON: 128-bit registers, fused multiply-add.
    Neon,
}

impl Backend {
    /// Every backend, slowest first.
    pub const ALL: [Backend; 5] = [
        Backend::Scalar,
        Backend::Sse2,
        Backend::Avx2Fma,
        Backend::Avx512F,
        Backend::Neon,
    ];

    /// Whether this CPU (and this build target) can run the backend.
    ///
    /// ```
    /// use perfkit::simd::Backend;
    /// assert!(Backend::Scalar.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        Simd::new(self).is_ok()
    }

    /// The backends this CPU can run, slowest first; the last one is what dispatch picks.
    pub fn available() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }
}

/// A handle on one backend's kernels. [`Simd::detected`] is the one the free functions use;
/// [`Simd::new`] forces a particular backend, for tests and benches.
///
/// The handle holds two references to static function tables, so it is `Copy` and calling a
/// kernel through it is one indirect call.
///
/// ```
/// use perfkit::simd::{Backend, Simd};
///
/// let scalar = Simd::new(Backend::Scalar)?;
/// let fast = Simd::detected();
/// let a = [1.0f32, 2.0, 3.0];
/// let b = [4.0f32, 5.0, 6.0];
/// assert_eq!(scalar.dot(&a, &b)?, 32.0);
/// assert_eq!(fast.dot(&a, &b)?, 32.0);
/// # Ok::<(), perfkit::simd::SimdError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Simd {
    pub(crate) f32: &'static Kernels<f32>,
    pub(crate) f64: &'static Kernels<f64>,
}

impl core::fmt::Debug for Simd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Simd")
            .field("backend", &self.backend())
            .finish()
    }
}

fn tables(backend: Backend) -> Option<(&'static Kernels<f32>, &'static Kernels<f64>)> {
    match backend {
        Backend::Scalar => Some((arch::portable::F32, arch::portable::F64)),
        #[cfg(target_arch = "x86_64")]
        Backend::Sse2 => Some((
            arch::x86_64::sse2::f32s::table()?,
            arch::x86_64::sse2::f64s::table()?,
        )),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2Fma => Some((
            arch::x86_64::avx2::f32s::table()?,
            arch::x86_64::avx2::f64s::table()?,
        )),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512F => Some((
            arch::x86_64::avx512::f32s::table()?,
            arch::x86_64::avx512::f64s::table()?,
        )),
        #[cfg(target_arch = "aarch64")]
        Backend::Neon => Some((
            arch::aarch64::neon::f32s::table()?,
            arch::aarch64::neon::f64s::table()?,
        )),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

static DETECTED: OnceLock<Simd> = OnceLock::new();

impl Simd {
    /// The kernels of `backend`, or [`SimdError::Unavailable`] when this CPU cannot run it.
    pub fn new(backend: Backend) -> Result<Simd, SimdError> {
        tables(backend)
            .map(|(f32, f64)| Simd { f32, f64 })
            .ok_or(SimdError::Unavailable(backend))
    }

    /// The fastest backend this CPU runs. Detection happens on the first call in the process;
    /// later calls are one atomic load.
    pub fn detected() -> &'static Simd {
        DETECTED.get_or_init(|| {
            Backend::ALL
                .into_iter()
                .rev()
                .find_map(|b| Simd::new(b).ok())
                .unwrap_or(Simd {
                    f32: arch::portable::F32,
                    f64: arch::portable::F64,
                })
        })
    }

    /// The backend this handle runs.
    pub fn backend(&self) -> Backend {
        self.f32.backend
    }
}

/// The backend the free functions of [`crate::simd`] run, detected on first use.
///
/// ```
/// let b = perfkit::simd::backend();
/// assert!(b.is_available());
/// ```
pub fn backend() -> Backend {
    Simd::detected().backend()
}

/// Runs `f` with the kernels of `backend`, or returns [`SimdError::Unavailable`] without
/// calling it when this CPU cannot run that backend. For tests and benches that want every path.
///
/// ```
/// use perfkit::simd::{Backend, with_backend};
///
/// for b in Backend::available() {
///     let s = with_backend(b, |s| s.sum(&[1.0f64, 2.0, 3.0]))?;
///     assert_eq!(s, 6.0);
/// }
/// # Ok::<(), perfkit::simd::SimdError>(())
/// ```
pub fn with_backend<R>(backend: Backend, f: impl FnOnce(&Simd) -> R) -> Result<R, SimdError> {
    Simd::new(backend).map(|s| f(&s))
}
