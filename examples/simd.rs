//! perfkit::simd: which backend this CPU gets, and a few kernels on it.
//!
//! ```text
//! cargo run --release --example simd
//! ```

use perfkit::simd::{self, Backend, Simd};

fn main() -> Result<(), simd::SimdError> {
    println!(
        "dispatch chose {:?}; available here: {:?}",
        simd::backend(),
        Backend::available()
    );

    let n = 1 << 16;
    let a: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.01).collect();
    let b: Vec<f32> = (0..n).map(|i| (i % 89) as f32 * 0.02).collect();

    println!("dot        = {}", simd::dot(&a, &b)?);
    println!("l2_squared = {}", simd::l2_squared(&a, &b)?);
    println!("cosine     = {}", simd::cosine(&a, &b)?);
    println!("mean, var  = {}, {}", simd::mean(&a)?, simd::variance(&a)?);
    println!("argmax     = {:?}", simd::argmax(&a));

    let mut out = vec![0.0f32; n];
    simd::axpy(0.5, &a, &b, &mut out)?;
    println!("axpy out[100] = {}", out[100]);

    // The normal sum may differ in the last bits between backends; the deterministic one may not.
    for backend in Backend::available() {
        let s = Simd::new(backend)?;
        println!(
            "{backend:?}: sum = {:e}, sum_deterministic = {:e}, cosine_deterministic = {:e}, \
             variance_deterministic = {:e}",
            s.sum(&a),
            s.sum_deterministic(&a),
            s.cosine_deterministic(&a, &b)?,
            s.variance_deterministic(&a)?
        );
    }

    // Mismatched lengths are an error, never a panic.
    if let Err(e) = simd::dot(&a, &b[..10]) {
        println!("as expected: {e}");
    }
    Ok(())
}
