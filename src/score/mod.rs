//! Score: an [`crate::model::Entry`]'s plain text + the compiled rules → a [`Score`] made of named parts.
//!
//! Rule semantics, in the order they apply:
//! 1. Every `[[rule]]` is a regex tried against each field it lists (`title`, `summary`,
//!    `content`, `article`, `url`, `author`; default: title, summary, content). Fields
//!    hold plain text: HTML tags, scripts, styles and entities were removed by
//!    normalize, so they can never match. `article` is the text of the post's page when
//!    gleaner read it; it stands in for a full-text feed, so a rule that lists
//!    `content` reads the article too.
//! 2. A rule counts **once per field**, however often it matches there; its points in
//!    that field are `weight × field_weight` (`[settings.field_weights]`, by default a
//!    title match is worth 2×, a summary match 1×, a content or article match 0.5×).
//!    The article never adds to the feed's text: a rule's article part counts only
//!    when the rule matched neither the summary nor the content.
//! 3. Negative weights subtract the same way (launches, webinars, hiring…).
//! 4. The feed's `boost`, when non-zero, is one more part (`rule = "boost"`, `field = "feed"`).
//! 5. A story carried by several feeds gets a `sources` part (see [`sources_part`]); the
//!    store adds it, as only the store knows how many feeds carried a story.
//! 6. The total is the sum of the parts (lists add one more, the bounded `learned` part
//!    of [`crate::rank::learn`], itself a named part); nothing else contributes, so every number shown
//!    to the editor is explained by its parts.
//!
//! Patterns are compiled once per config into one [`RuleSet`] per field, so scoring an
//! entry is one pass over each field whatever the number of rules. Which rule matched
//! which field is stored with the score, so after an edit only new and edited rules
//! need the text again ([`Scorer::for_rescore`]).
//!
//! [`rules`] holds what a rule is ([`Field`], [`FieldWeights`], [`RuleConfig`], the
//! compiled [`RuleSet`]); [`scorer`] applies the rules of one config; what a score is made of
//! ([`crate::model::score`]) is data every stage shares.

pub mod rules;
pub mod scorer;

pub use crate::model::score::{
    MAX_COUNTED_SOURCES, Reason, SOURCES_RULE, Score, reasons_line, round2, sources_part,
};
pub use rules::{Field, FieldWeights, RuleConfig, RuleSet, rule_matchers};
pub use scorer::Scorer;
