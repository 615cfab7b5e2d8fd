//! Greets its arguments: `hello Ada Grace` prints `Hello, Ada Grace!`.
fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let who = if names.is_empty() { "world".to_string() } else { names.join(" ") };
    println!("Hello, {who}!");
}
