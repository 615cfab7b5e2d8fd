//! End-to-end tests of edge: a real nats-server, `edge serve` and `edge executor`
//! processes, and guest components built for `wasm32-wasip2` (`just guests`).
//! `just test` builds everything and runs them.

mod support;

mod browser;
mod cancel;
mod cli;
mod components;
mod faults;
mod functions;
mod hostile_input;
mod idempotency;
mod jobs;
mod live;
mod nats_api;
mod nats_auth;
mod observability;
mod openapi;
mod restarts;
mod sandbox;
mod tenants;
mod webhooks;
mod websocket;
