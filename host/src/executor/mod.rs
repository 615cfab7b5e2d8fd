//! An executor node: pulls jobs from the shared `executors` consumer, runs them in the
//! sandbox, writes the final record, publishes `done`, and only then acks.

mod cancels;
mod feed;
mod job;
mod output;
mod worker;

pub use worker::{Executor, ExecutorConfig};
