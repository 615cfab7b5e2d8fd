//! Generated bindings of the `edge:platform` job world (`wit/platform.wit`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "job",
    imports: { default: async },
    exports: { default: async },
});
