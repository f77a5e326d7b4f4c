//! Any file as a capture: the loader never panics and names every problem.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = hookscope::export::load_from(data) {
        for record in &loaded.records {
            let _ = hookscope::export::har_entry(record, hookscope::export::DEFAULT_ORIGIN);
        }
    }
});
