//! Hostile: spins forever reading the clock (a host call every turn), so the guest spends
//! its time in the host, where epoch checks in wasm code see it only between calls.
fn main() {
    let start = std::time::Instant::now();
    let mut turns: u64 = 0;
    loop {
        turns = std::hint::black_box(turns.wrapping_add(start.elapsed().as_nanos() as u64 & 1));
    }
}
