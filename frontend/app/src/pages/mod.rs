//! One module per page.

pub mod components;
pub mod executors;
pub mod job;
pub mod jobs;
pub mod run;
