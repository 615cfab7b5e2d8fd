//! Writes to both streams, then exits with the code given as its argument (0-255).
fn main() {
    let code: u8 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    println!("exiting with {code}");
    eprintln!("this goes to stderr");
    edge_guests::exit(code);
}
