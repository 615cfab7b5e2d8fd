#![allow(unconditional_recursion)]
//! Hostile: recurses without end.
fn dive(depth: u64, pad: [u8; 256]) -> u64 {
    let pad = std::hint::black_box(pad);
    dive(depth + 1, pad) + u64::from(pad[(depth % 256) as usize])
}

fn main() {
    println!("{}", dive(0, [7; 256]));
}
