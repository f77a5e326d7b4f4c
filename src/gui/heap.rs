//! The C heap under the window's renderer. Mesa's software renderer (llvmpipe,
//! what a machine without a GPU draws with) allocates and frees megabytes a
//! frame through glibc's `malloc`, which hands the top of its heap back to the
//! kernel after each frame and has it faulted in and zeroed again for the next:
//! about 2,500 page faults a frame, half the UI thread's CPU under a
//! flood. A higher trim threshold keeps that memory for the next frame.
//!
//! hookscope's own allocations go through mimalloc; this touches only what C
//! libraries (Mesa, X, fontconfig) allocate.

/// Freed memory at the top of glibc's heap is kept up to this much.
pub const TRIM_THRESHOLD: usize = 64 << 20;

/// Keeps up to [`TRIM_THRESHOLD`] of freed C heap for reuse instead of handing
/// it back after every frame. Does nothing where the C library is not glibc.
pub fn keep_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(TRIM_THRESHOLD).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt sets one of glibc's allocator parameters from two
        // integers; it reads or writes no memory of ours and is MT-Safe.
        #[allow(unsafe_code)]
        let set = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, threshold) };
        if set != 1 {
            log::debug!("glibc refused a trim threshold of {threshold}");
        }
    }
}
