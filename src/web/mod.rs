//! The daemon's HTTP side: [`server`] (the listener's state and routes, `/metrics`,
//! `/healthz`), [`guard`] (what every request passes first: headers, allowed hosts, the
//! token), [`pages`] (the review page's pages and the shortlist feed, which read),
//! [`forms`] (the page's forms, which write), [`readers`] (the page's own read-only
//! connections, each keeping the week's overview while nothing changed) and [`metrics`]
//! (every exported metric, declared in one place).

pub mod forms;
pub mod guard;
pub mod metrics;
pub mod pages;
pub mod readers;
pub mod server;
#[cfg(test)]
mod tests;
