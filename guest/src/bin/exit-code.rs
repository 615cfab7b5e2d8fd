//! Writes to both streams, then exits with the code given as its argument.
fn main() {
    let code: i32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    println!("exiting with {code}");
    eprintln!("this goes to stderr");
    std::process::exit(code);
}
