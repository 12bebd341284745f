//! The daemon's HTTP side: [`server`] (the review page, `/metrics`, `/healthz`) and
//! [`metrics`] (every exported metric, declared in one place).

pub mod metrics;
pub mod server;
