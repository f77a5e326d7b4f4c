//! The window keeps freed C heap for its renderer's next frame instead of
//! handing it back to the kernel (and faulting it in again) after every frame.
#![allow(unsafe_code)]

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
/// Resident memory of this process, in bytes. Allocates nothing: a block
/// allocated and freed above the test's blocks would keep them from the top of
/// the heap.
fn resident() -> usize {
    use std::io::Read;
    let mut statm = [0u8; 128];
    let mut file = std::fs::File::open("/proc/self/statm").expect("statm");
    let n = file.read(&mut statm).expect("statm");
    let pages: usize = std::str::from_utf8(&statm[..n])
        .ok()
        .and_then(|text| text.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("resident pages");
    pages * 4096
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
/// Runs on the main thread (`harness = false`): the window draws there, and its
/// renderer's blocks come from glibc's main heap.
fn main() {
    // Start from glibc's default threshold, which this test binary's own
    // allocations (through glibc, not mimalloc here) may have raised.
    // SAFETY: sets an allocator parameter from two integers.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10) };
    hookscope::gui::heap::keep_freed_heap();
    // Like one frame of Mesa's software renderer: many blocks below glibc's
    // mmap threshold, written, then freed together.
    const BLOCK: usize = 32 << 10;
    const BLOCKS: usize = 1024;
    let blocks: Vec<*mut libc::c_void> = (0..BLOCKS)
        .map(|_| {
            // SAFETY: a plain malloc, checked for null, written within its size.
            let block = unsafe { libc::malloc(BLOCK) };
            assert!(!block.is_null());
            unsafe { std::ptr::write_bytes(block.cast::<u8>(), 1, BLOCK) };
            block
        })
        .collect();
    let held = resident();
    for block in blocks.into_iter().rev() {
        // SAFETY: each block came from malloc above and is freed once.
        unsafe { libc::free(block) };
    }
    let after = resident();
    let freed = BLOCK * BLOCKS;
    assert!(
        after + freed / 4 > held,
        "{} MiB of the {} MiB freed went back to the kernel",
        held.saturating_sub(after) >> 20,
        freed >> 20
    );
    println!("freed C heap kept: ok");
}
