//! Ingest: a feed from the network to scored entries ready to store.
//!
//! [`fetch`] (HTTP, the only module that speaks it) → [`parse`] (bytes → feed-rs's
//! model; a `kind = "page"` feed's HTML page goes through [`listing`] instead) →
//! [`normalize`] (→ [`normalize::Entry`], plain text and a canonical URL, with [`html`]
//! turning markup into text) → [`reach`] (aggregator items become their articles;
//! which pages to read) → scoring → the store. [`pipeline`] is that path for one feed
//! and for a poll of many, then the article pages a poll reads ([`article`],
//! [`robots`], through [`fetch`]).

pub mod aggregator;
pub mod article;
pub mod fetch;
pub mod html;
pub mod listing;
pub mod normalize;
pub mod parse;
pub mod pipeline;
pub mod reach;
pub mod recover;
pub mod robots;
