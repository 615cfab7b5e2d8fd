//! Hostile: tries to read the host's `/etc/passwd`. Exits 0 and prints it if it can.
fn main() {
    match std::fs::read_to_string("/etc/passwd") {
        Ok(text) => {
            print!("{text}");
        }
        Err(e) => {
            eprintln!("cannot read /etc/passwd: {e}");
            edge_guests::exit(3);
        }
    }
}
