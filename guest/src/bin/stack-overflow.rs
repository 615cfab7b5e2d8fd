//! Hostile: recurses without end, so the wasm call stack runs out.
#![allow(unconditional_recursion)]
use std::hint::black_box;

fn dive(depth: u64) -> u64 {
    // Not a tail call, and opaque to the optimiser, so every level is a real frame.
    black_box(dive(black_box(depth + 1))) ^ depth
}

fn main() {
    println!("{}", dive(0));
}
