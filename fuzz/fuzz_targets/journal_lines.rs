//! Any bytes as a journal: the one line reader never panics, every line it names
//! lies where it says, and a record it reads parses again from those bytes alone.

#![no_main]

use hookscope::ndjson::{Lines, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for entry in Lines::new(data, 0) {
        let Ok(entry) = entry else { return };
        let (Some(line), Ok(record)) = (entry.line, &entry.record) else {
            continue;
        };
        let start = line.offset as usize;
        let bytes = &data[start..start + line.len as usize];
        assert_eq!(parse(bytes).as_ref().ok(), Some(record));
    }
});
