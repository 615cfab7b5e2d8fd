//! Hostile: spins forever without calling the host. Only a deadline stops it.
fn main() {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}
