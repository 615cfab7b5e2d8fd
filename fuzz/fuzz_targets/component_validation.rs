//! Arbitrary bytes through the validation of `POST /v1/components`: it must answer with a
//! kind or an error, never panic, hang or exhaust memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// `\0asm`, component version 0xd, layer 1: most mutated inputs lose the header at once,
/// so each input is also tried behind it to reach the section parser and validator.
const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fuzz_target!(|data: &[u8]| {
    let _ = edge::fuzzing::inspect_component(data);
    if !data.starts_with(b"\0asm") {
        let mut component = Vec::with_capacity(COMPONENT_PREAMBLE.len() + data.len());
        component.extend_from_slice(&COMPONENT_PREAMBLE);
        component.extend_from_slice(data);
        let _ = edge::fuzzing::inspect_component(&component);
    }
});
