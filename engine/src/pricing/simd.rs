//! Running one computation over many options W at a time, on the widest vector unit this CPU
//! has: the dispatch and block loop shared by the batch pricer and the batch implied vol.
//!
//! A [`Block`] says how W options are computed side by side; [`run_on`] picks AVX-512 (8 lanes)
//! or AVX2 (4 lanes), both with FMA, at run time on x86-64, pads the last block, and elsewhere
//! computes each option with the scalar function. The two vector paths run the same lane
//! arithmetic, so their results are bit-identical.

/// The code path a batch takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchPath {
    Avx512,
    Avx2,
    Scalar,
}

/// The widest path this CPU supports.
pub fn batch_path() -> BatchPath {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("fma")
        {
            return BatchPath::Avx512;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return BatchPath::Avx2;
        }
    }
    BatchPath::Scalar
}

/// One option's inputs, computable W at a time.
pub trait Block: Copy + Sized {
    type Out;
    /// Any valid input: fills the missing lanes of the last block.
    const PAD: Self;
    /// The scalar result, the reference the lanes must match.
    fn scalar(&self) -> Self::Out;
    /// W results at once (`inputs` and `out` have length W). Always inlined into the
    /// target-feature functions below, so that it is compiled for their vector width.
    fn block<const W: usize>(inputs: &[Self], out: &mut [Self::Out]);
}

/// Every input's result into `out` (of the same length) on `path`; a path this CPU lacks falls
/// back to the next narrower one.
pub fn run_on<B: Block>(path: BatchPath, inputs: &[B], out: &mut [B::Out]) {
    assert_eq!(inputs.len(), out.len(), "one output per input");
    #[cfg(target_arch = "x86_64")]
    {
        let have = batch_path();
        if path == BatchPath::Avx512 && have == BatchPath::Avx512 {
            // SAFETY: the CPU has AVX-512 F/DQ/VL and FMA (checked just above).
            unsafe { run_avx512(inputs, out) };
            return;
        }
        if path != BatchPath::Scalar && have != BatchPath::Scalar {
            // SAFETY: the CPU has AVX2 and FMA (every non-scalar path includes them).
            unsafe { run_avx2(inputs, out) };
            return;
        }
    }
    let _ = path;
    for (input, o) in inputs.iter().zip(out.iter_mut()) {
        *o = input.scalar();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,fma")]
fn run_avx512<B: Block>(inputs: &[B], out: &mut [B::Out]) {
    run::<8, B>(inputs, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<B: Block>(inputs: &[B], out: &mut [B::Out]) {
    run::<4, B>(inputs, out);
}

#[inline(always)]
fn run<const W: usize, B: Block>(inputs: &[B], out: &mut [B::Out]) {
    let mut ins = inputs.chunks_exact(W);
    let mut outs = out.chunks_exact_mut(W);
    for (i, o) in (&mut ins).zip(&mut outs) {
        B::block::<W>(i, o);
    }
    let rest = ins.remainder();
    if !rest.is_empty() {
        let mut padded = [B::PAD; W];
        padded[..rest.len()].copy_from_slice(rest);
        let mut results: [B::Out; W] = std::array::from_fn(|_| B::PAD.scalar());
        B::block::<W>(&padded, &mut results);
        for (o, r) in outs.into_remainder().iter_mut().zip(results) {
            *o = r;
        }
    }
}
