//! Validates a component and tells its kind from its exports, without compiling it.

use edge_wire::ComponentKind;
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// Why bytes are not a component edge can run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InspectError {
    /// Not WebAssembly at all.
    #[error("not a WebAssembly binary (it does not start with the `\\0asm` header)")]
    NotWasm,
    /// A core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: build for the `wasm32-wasip2` \
         target (`cargo build --target wasm32-wasip2`), or wrap the module with \
         `wasm-tools component new module.wasm --adapt wasi_snapshot_preview1.wasm -o component.wasm`"
    )]
    CoreModule,
    /// Malformed or using features the platform does not support.
    #[error("invalid component: {0}")]
    Invalid(String),
    /// A valid component with none of the exports edge knows.
    #[error(
        "the component exports none of `wasi:cli/run` (command), `edge:platform/*` (job) or \
         `wasi:http/incoming-handler` (http); it exports: {0}"
    )]
    UnknownKind(String),
}

/// Checks `bytes` and returns the kind of component they are.
///
/// # Errors
/// [`InspectError`] saying what is wrong and how to fix it.
pub fn inspect(bytes: &[u8]) -> Result<ComponentKind, InspectError> {
    if Parser::is_core_wasm(bytes) {
        return Err(InspectError::CoreModule);
    }
    if !Parser::is_component(bytes) {
        return Err(InspectError::NotWasm);
    }
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| InspectError::Invalid(e.to_string()))?;
    let exports = top_level_exports(bytes)?;
    kind_of(&exports).ok_or_else(|| {
        let listed = if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") };
        InspectError::UnknownKind(listed)
    })
}

fn kind_of(exports: &[String]) -> Option<ComponentKind> {
    let has = |prefix: &str| exports.iter().any(|e| e.starts_with(prefix));
    if has("wasi:http/incoming-handler@") {
        Some(ComponentKind::Http)
    } else if has("edge:platform/") {
        Some(ComponentKind::Job)
    } else if has("wasi:cli/run@") {
        Some(ComponentKind::Command)
    } else {
        None
    }
}

/// Export names of the outer component only, not of the modules and components inside it.
fn top_level_exports(bytes: &[u8]) -> Result<Vec<String>, InspectError> {
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| InspectError::Invalid(e.to_string()))? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    let export = export.map_err(|e| InspectError::Invalid(e.to_string()))?;
                    exports.push(export.name.name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(exports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_apart_garbage_modules_and_components() {
        assert_eq!(inspect(b"hello world"), Err(InspectError::NotWasm));
        assert_eq!(inspect(b""), Err(InspectError::NotWasm));
        let module = wat::parse_str("(module)").expect("wat");
        assert_eq!(inspect(&module), Err(InspectError::CoreModule));
        let empty = wat::parse_str("(component)").expect("wat");
        assert!(matches!(inspect(&empty), Err(InspectError::UnknownKind(e)) if e == "nothing"));
    }

    #[test]
    fn detects_kind_from_top_level_exports() {
        assert_eq!(kind_of(&["wasi:cli/run@0.2.3".into()]), Some(ComponentKind::Command));
        assert_eq!(kind_of(&["wasi:http/incoming-handler@0.2.0".into()]), Some(ComponentKind::Http));
        assert_eq!(kind_of(&["edge:platform/job@0.1.0".into()]), Some(ComponentKind::Job));
        assert_eq!(kind_of(&["my:own/thing".into()]), None);
    }

    #[test]
    fn invalid_component_bytes_are_invalid() {
        let mut bytes = wat::parse_str("(component)").expect("wat");
        bytes.extend_from_slice(&[0x01, 0xff, 0xff]);
        assert!(matches!(inspect(&bytes), Err(InspectError::Invalid(_))));
    }
}
