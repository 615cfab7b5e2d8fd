//! Builds the edge web UI into a directory the host serves (`--ui-dir`):
//! `cargo build` of `edge-ui` for `wasm32-unknown-unknown`, wasm-bindgen (as a library, pinned
//! to the version in Cargo.lock, so nothing is downloaded), then `wasm-opt -Oz` when
//! `EDGE_WASM_OPT` names one, then the static files.
//!
//! Usage: `cargo run --release -p edge-ui-build -- <out-dir>`

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

fn main() -> anyhow::Result<()> {
    let frontend = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| frontend.join("dist"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&frontend)
        .args(["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown", "-p", "edge-ui"])
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("building edge-ui for wasm32-unknown-unknown failed");
    }
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| frontend.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/release/edge-ui.wasm");

    std::fs::create_dir_all(&out)?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .web(true)?
        // The library default (true) leaves the JS without the .wasm's path: a blank page.
        .omit_default_module_path(false)
        .remove_name_section(true)
        .typescript(false)
        .out_name("edge_ui");
    bindgen.generate(&out).context("wasm-bindgen")?;

    if let Ok(wasm_opt) = std::env::var("EDGE_WASM_OPT") {
        let file = out.join("edge_ui_bg.wasm");
        let status = Command::new(&wasm_opt)
            .arg("-Oz")
            .arg("--enable-bulk-memory")
            .arg("--enable-nontrapping-float-to-int")
            .arg(&file)
            .arg("-o")
            .arg(&file)
            .status()
            .with_context(|| format!("running {wasm_opt}"))?;
        if !status.success() {
            bail!("wasm-opt failed");
        }
    }
    for file in ["index.html", "style.css"] {
        std::fs::copy(frontend.join("app").join(file), out.join(file)).with_context(|| format!("copying {file}"))?;
    }
    let size = std::fs::metadata(out.join("edge_ui_bg.wasm"))?.len();
    println!("edge UI built into {} ({} KiB of wasm)", out.display(), size / 1024);
    Ok(())
}
