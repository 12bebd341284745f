//! Ingest: a feed from the network to scored entries ready to store.
//!
//! [`fetch`] (HTTP, the only module that speaks it) → [`parse`] (bytes → feed-rs's
//! model) → [`normalize`] (→ [`normalize::Entry`], plain text and a canonical URL, with
//! [`html`] turning markup into text) → scoring → the store. [`pipeline`] is that path
//! for one feed and for a poll of many.

pub mod aggregator;
pub mod article;
pub mod fetch;
pub mod html;
pub mod normalize;
pub mod parse;
pub mod pipeline;
pub mod recover;
pub mod robots;
