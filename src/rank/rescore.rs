//! Rescoring: applying the config's rules to the stored entries, so that a rule change
//! reaches history without re-fetching anything, and knowing when that is needed (the
//! rules fingerprint and each rule's matcher, kept in the store's meta).

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::score::{Scorer, rule_matchers};
use crate::store::{
    NewScore, RescoreRow, RescoreText, Store, StoreError, decode_parts, encode_parts,
};

/// Meta key under which the fingerprint of the rules behind the stored scores is kept.
pub const RULES_FINGERPRINT: &str = "rules_fingerprint";

/// Meta key of the matchers (see [`rule_matchers`]) of the rules the stored parts
/// came from, one per line: a rescore re-weighs the stored matches of those rules and
/// matches only the others against text.
pub const RULE_MATCHERS: &str = "rule_matchers";

/// A fingerprint of everything that affects scores (patterns, weights, field
/// weights), so stored scores can be known to be stale.
pub fn rules_fingerprint(config: &Config) -> String {
    let rules = config
        .rules
        .iter()
        .map(|r| format!("{}\0{}\0{}\0{:?}\n", r.name, r.pattern, r.weight, r.fields));
    let boosts = config
        .feeds
        .iter()
        .map(|f| format!("{}\0{}\n", f.name, f.boost));
    let settings = [
        format!("{:?}", config.settings.field_weights),
        format!("sources {}", config.settings.source_points),
    ];
    crate::score::rules::short_sha256(rules.chain(boosts).chain(settings))
}

/// Re-applies the config's rules to every stored entry; returns what it did.
///
/// A rule whose name, pattern and fields are those of a rule the stored parts came
/// from ([`RULE_MATCHERS`]) matches where it matched then: its stored matches are
/// re-weighed. Only new and edited rules are matched against text, and only the fields
/// they look at are read; after a change of weights alone no text is read at all.
///
/// Three stages overlap: while the scoring threads score one batch, this thread
/// writes the changed scores of the batch before and reads the batch after (reading
/// and writing share the one connection; scoring needs none). One after the other, a
/// rescore spent half its time waiting on the database with the cores idle.
pub fn rescore(store: &mut Store, config: &Config) -> Result<Rescored, StoreError> {
    rescore_in_batches(store, config, 5_000)
}

/// What a [`rescore`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescored {
    /// Entries read.
    pub scanned: usize,
    /// Entries whose score or parts changed, and were written.
    pub changed: usize,
    /// Rules matched against text (new or edited); the others' stored matches were
    /// re-weighed.
    pub rules_matched: usize,
    /// Rules in the config.
    pub rules: usize,
}

impl Rescored {
    /// How the scores were recomputed, for the editor: `matching all 4 rules against
    /// their text`, …
    pub fn how(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self.rules_matched {
            0 => "re-weighing their stored matches (no rule new or edited)".into(),
            n if n == self.rules => {
                format!("matching all {n} rule{} against their text", plural(n))
            }
            n => format!(
                "matching the {n} new or edited rule{} against their text and re-weighing \
                 the stored matches of the other {}",
                plural(n),
                self.rules - n
            ),
        }
    }
}

fn rescore_in_batches(
    store: &mut Store,
    config: &Config,
    batch: usize,
) -> Result<Rescored, StoreError> {
    let stored_matchers = store.meta(RULE_MATCHERS)?.unwrap_or_default();
    let stored_matchers: HashSet<&str> = stored_matchers.lines().collect();
    let scorer = Scorer::for_rescore(
        &config.rules,
        config.settings.field_weights,
        &stored_matchers,
    );
    // The rows this rescore writes get the new rules' matches, the rows it has not
    // reached keep the old ones; until it ends, only the matchers both share hold for
    // every row. Recorded first, so that a rescore interrupted and then run with yet
    // other rules (an edit undone) reuses no match it cannot trust.
    let shared: Vec<String> = rule_matchers(&config.rules)
        .into_iter()
        .filter(|m| stored_matchers.contains(m.as_str()))
        .collect();
    if shared.len() < stored_matchers.len() {
        record_matchers(store, &shared)?;
    }
    let text = RescoreText::for_fields(scorer.matched_fields());
    let boosts: HashMap<&str, f64> = config
        .feeds
        .iter()
        .map(|f| (f.name.as_str(), f.boost))
        .collect();
    let source_points = config.settings.source_points;
    let before = store.data_version()?;
    store.begin_bulk_update()?;
    let result = std::thread::scope(|scope| {
        let (to_score, batches) = std::sync::mpsc::sync_channel::<Vec<RescoreRow>>(1);
        let (scored, results) = std::sync::mpsc::sync_channel(1);
        let (scorer, boosts) = (&scorer, &boosts);
        scope.spawn(move || {
            for rows in batches {
                let changed = score_in_parallel(&rows, scorer, boosts, source_points);
                if scored.send((changed, rows.len())).is_err() {
                    break;
                }
            }
        });
        let (mut scanned, mut changed, mut after, mut in_flight) = (0, 0, 0, 0);
        loop {
            let rows = store.posts_for_rescore(after, batch, text)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            scanned += rows.len();
            to_score
                .send(rows)
                .expect("the scoring thread runs until the batches end");
            in_flight += 1;
            // One batch being scored while the next is read; the one before is written.
            if in_flight == 2 {
                let (scores, out_of) = results.recv().expect("scored");
                changed += store.update_scores(&scores, out_of)?;
                in_flight -= 1;
            }
        }
        drop(to_score);
        for (scores, out_of) in results {
            changed += store.update_scores(&scores, out_of)?;
        }
        Ok((scanned, changed))
    });
    // The connection's normal settings come back even when a batch failed.
    store.end_bulk_update(result.is_ok())?;
    let (scanned, changed) = result?;
    record_scored_unless_disturbed(store, config, before)?;
    Ok(Rescored {
        scanned,
        changed,
        rules_matched: scorer.rules_matched(),
        rules: scorer.rule_count(),
    })
}

/// Notes that the stored scores are those of `config`'s rules, unless another
/// connection committed since `before` (SQLite's `data_version`): a poll in another
/// process may have stored posts scored by another config meanwhile, or rewritten one
/// this rescore found current. Then the next read checks again. Returns whether it
/// recorded.
fn record_scored_unless_disturbed(
    store: &Store,
    config: &Config,
    before: i64,
) -> Result<bool, StoreError> {
    if store.data_version()? != before {
        return Ok(false);
    }
    record_scored_with(store, config)?;
    Ok(true)
}

/// Notes that the stored scores are those of `config`'s rules.
pub(crate) fn record_scored_with(store: &Store, config: &Config) -> Result<(), StoreError> {
    store.set_meta(RULES_FINGERPRINT, &rules_fingerprint(config))?;
    record_matchers(store, &rule_matchers(&config.rules))
}

/// Notes that every stored rule part came from a rule with one of these matchers.
pub(crate) fn record_matchers(store: &Store, matchers: &[String]) -> Result<(), StoreError> {
    store.set_meta(RULE_MATCHERS, &matchers.join("\n"))
}

/// Scores rows on every core (rayon's pool: scoring is pure, and the bulk of a
/// rescore's time) and keeps those whose total or parts differ from what is stored,
/// ready to write.
fn score_in_parallel(
    rows: &[RescoreRow],
    scorer: &Scorer,
    boosts: &HashMap<&str, f64>,
    source_points: f64,
) -> Vec<NewScore> {
    use rayon::prelude::*;
    rows.par_iter()
        .with_min_len(256)
        .filter_map(|row| {
            let boost = boosts.get(row.feed.as_str()).copied().unwrap_or(0.0);
            let stored = if scorer.reuses_stored_matches() {
                decode_parts(&row.stored.1)
            } else {
                Vec::new()
            };
            let score = scorer
                .rescore(&stored, &row.entry, boost)
                .with_sources(row.sources, source_points);
            let parts = encode_parts(&score.reasons);
            let unchanged = score.total == row.stored.0 && parts == row.stored.1;
            (!unchanged).then(|| NewScore {
                id: row.id,
                total: score.total,
                reasons: parts,
                replaces: row.stored.clone(),
            })
        })
        .collect()
}

/// Rescores when the rules changed since the stored scores were computed, so what the
/// editor sees always reflects the current `feeds.toml`.
pub fn rescore_if_stale(store: &mut Store, config: &Config) -> Result<(), StoreError> {
    let current = rules_fingerprint(config);
    if store.meta(RULES_FINGERPRINT)?.as_deref() == Some(current.as_str()) {
        // Scores stored by a gleaner that kept no matchers came from these rules too:
        // recorded now, the next edit reuses the matches of the rules it leaves alone.
        if store.meta(RULE_MATCHERS)?.is_none() {
            record_matchers(store, &rule_matchers(&config.rules))?;
        }
        return Ok(());
    }
    if store.post_count()? == 0 {
        return record_scored_with(store, config);
    }
    let done = rescore(store, config)?;
    tracing::info!(
        scanned = done.scanned,
        changed = done.changed,
        rules_matched = done.rules_matched,
        "rules changed since entries were scored; rescored"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    use crate::app::apply_config;
    use crate::model::Entry;
    use crate::score::Score;
    use crate::store::{FetchRecord, ScoredEntry};

    const OUTAGE_RULES: &str = r#"
[[feed]]
name = "a"
url = "https://a.example/feed"
boost = 1.5

[[rule]]
name = "outage"
pattern = '(?i)\boutage'
weight = 4
fields = ["title", "content"]
"#;

    /// 23 posts of feed `a`, a third with an outage in the title, half in the content,
    /// stored with a score no rule gives (1 point, no parts).
    fn store_with_posts(dir: &Path, config: &Config) -> (Store, Vec<Entry>) {
        let mut store = Store::open(&dir.join("g.db")).unwrap();
        apply_config(&mut store, config).unwrap();
        let feed = store.feed_state("a").unwrap().unwrap().id;
        let entries: Vec<ScoredEntry> = (0..23)
            .map(|i| {
                let title = if i % 3 == 0 { "An outage" } else { "A launch" };
                let entry = Entry {
                    item_key: format!("k{i}"),
                    url: Some(format!("https://a.example/{i}")),
                    title: format!("{title} {i}"),
                    content: if i % 2 == 0 {
                        "the outage".into()
                    } else {
                        String::new()
                    },
                    published: Some(crate::clock::now()),
                    ..Entry::default()
                };
                let unlike_any_rule = Score {
                    total: 1.0,
                    reasons: vec![],
                };
                ScoredEntry::new(entry, unlike_any_rule)
            })
            .collect();
        store
            .record_fetched(feed, &FetchRecord::default(), &entries, crate::clock::now())
            .unwrap();
        (
            store,
            entries.into_iter().map(ScoredEntry::into_entry).collect(),
        )
    }

    /// Another process's commit during a rescore (a poll storing posts scored by its
    /// own config) leaves the scores unrecorded as current, so the next read checks
    /// again; without one they are recorded. The rescore itself, with its own bulk
    /// commits and checkpoints, disturbs nothing.
    #[test]
    fn scores_are_recorded_as_current_only_when_nothing_else_wrote_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_str(&dir.path().join("feeds.toml"), OUTAGE_RULES).unwrap();
        let (mut store, _) = store_with_posts(dir.path(), &config);
        rescore_in_batches(&mut store, &config, 4).unwrap();
        assert!(
            !rescore_if_stale_needed(&store, &config),
            "its own commits disturb nothing"
        );

        store.set_meta(RULES_FINGERPRINT, "other rules").unwrap();
        let before = store.data_version().unwrap();
        rusqlite::Connection::open(dir.path().join("g.db"))
            .unwrap()
            .execute("UPDATE posts SET score = 3 WHERE id = 1", [])
            .unwrap();
        assert!(!record_scored_unless_disturbed(&store, &config, before).unwrap());
        assert!(
            rescore_if_stale_needed(&store, &config),
            "checked again at the next read"
        );
        let now = store.data_version().unwrap();
        assert!(record_scored_unless_disturbed(&store, &config, now).unwrap());
        assert!(!rescore_if_stale_needed(&store, &config));
    }

    fn rescore_if_stale_needed(store: &Store, config: &Config) -> bool {
        store.meta(RULES_FINGERPRINT).unwrap().as_deref()
            != Some(rules_fingerprint(config).as_str())
    }

    /// Many small batches, so reading, scoring and writing overlap as they do on a
    /// large database: every stored score ends up what scoring its text gives.
    #[test]
    fn a_rescore_in_overlapping_batches_stores_every_changed_score() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_str(&dir.path().join("feeds.toml"), OUTAGE_RULES).unwrap();
        let (mut store, entries) = store_with_posts(dir.path(), &config);

        let done = rescore_in_batches(&mut store, &config, 4).unwrap();
        assert_eq!(done.scanned, 23);
        assert_eq!(done.changed, 23, "1 point is no score these rules give");
        assert_eq!(
            (done.rules_matched, done.rules),
            (1, 1),
            "nothing says which rules the stored parts came from"
        );
        assert_scores_are_from_text(&store, &config, &entries);
        // Nothing changed since: nothing is written.
        let again = rescore_in_batches(&mut store, &config, 4).unwrap();
        assert_eq!((again.scanned, again.changed), (23, 0));
    }

    fn assert_scores_are_from_text(store: &Store, config: &Config, entries: &[Entry]) {
        let scorer = config.scorer();
        let boost = config.feeds[0].boost;
        for (id, entry) in (1..).zip(entries) {
            let stored = store.post(id).unwrap().unwrap();
            assert_eq!(stored.score, scorer.score(entry, boost), "post {id}");
        }
    }

    /// Rescores `store` with the config `toml` (as read from `path`), checks that every
    /// stored score is what scoring its text gives, and returns what the rescore did.
    fn rescore_to(store: &mut Store, path: &Path, toml: &str, entries: &[Entry]) -> Rescored {
        let config = Config::from_str(path, toml).unwrap();
        let done = rescore_in_batches(store, &config, 4).unwrap();
        assert_scores_are_from_text(store, &config, entries);
        done
    }

    /// [`store_with_posts`] rescored with [`OUTAGE_RULES`] (so both fingerprints are
    /// recorded); also the path variants of the config are read from.
    fn rescored_store(dir: &Path) -> (PathBuf, Store, Vec<Entry>) {
        let path = dir.join("feeds.toml");
        let config = Config::from_str(&path, OUTAGE_RULES).unwrap();
        let (mut store, entries) = store_with_posts(dir, &config);
        rescore_in_batches(&mut store, &config, 4).unwrap();
        (path, store, entries)
    }

    /// A database scored by a gleaner that kept only the rules fingerprint: once that
    /// is found current, the next change of weights re-weighs.
    #[test]
    fn a_current_rules_fingerprint_vouches_for_the_stored_matches() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, entries) = rescored_store(dir.path());
        let config = Config::from_str(&path, OUTAGE_RULES).unwrap();
        rusqlite::Connection::open(dir.path().join("g.db"))
            .unwrap()
            .execute("DELETE FROM meta WHERE key = ?1", [RULE_MATCHERS])
            .unwrap();

        rescore_if_stale(&mut store, &config).unwrap();
        let reweighted = OUTAGE_RULES.replace("weight = 4", "weight = 2");
        let done = rescore_to(&mut store, &path, &reweighted, &entries);
        assert_eq!(done.rules_matched, 0);
    }

    /// New weights are applied to the stored matches without reading any text, and
    /// give what matching the text would; a new pattern has the text matched again.
    #[test]
    fn a_weights_only_change_is_reweighed_and_a_pattern_change_matched_again() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, entries) = rescored_store(dir.path());

        let reweighted = OUTAGE_RULES
            .replace("weight = 4", "weight = 2.5")
            .replace("boost = 1.5", "boost = 0")
            + "[settings.field_weights]\ntitle = 3\ncontent = 0.25\n";
        let done = rescore_to(&mut store, &path, &reweighted, &entries);
        assert_eq!(done.rules_matched, 0);
        assert_eq!(done.changed, 23, "every post had the boost");

        let widened = reweighted.replace(r"(?i)\boutage", r"(?i)\b(outage|launch)");
        let done = rescore_to(&mut store, &path, &widened, &entries);
        assert_eq!((done.rules_matched, done.rules), (1, 1));
        assert!(done.changed > 0);
    }

    /// A rescore interrupted after some of its commits, then run with the edit undone:
    /// the rows it had rescored hold the edited rule's matches under the rule's name,
    /// so that rule must be matched again, not trusted from the old record.
    #[test]
    fn an_interrupted_rescore_then_an_edit_undone_matches_the_rule_again() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, entries) = rescored_store(dir.path());
        let edited = OUTAGE_RULES.replace(r"(?i)\boutage", "(?i)launch");
        let config = Config::from_str(&path, &edited).unwrap();
        store.commit_bulk_updates_every(2);
        let writer = rusqlite::Connection::open(dir.path().join("g.db")).unwrap();
        writer
            .execute_batch(
                "CREATE TRIGGER interrupt BEFORE UPDATE OF score ON posts WHEN NEW.id = 20
                 BEGIN SELECT RAISE(ABORT, 'interrupted'); END;",
            )
            .unwrap();
        assert!(rescore_in_batches(&mut store, &config, 4).is_err());
        writer.execute_batch("DROP TRIGGER interrupt").unwrap();

        let done = rescore_to(&mut store, &path, OUTAGE_RULES, &entries);
        assert_eq!(done.rules_matched, 1);
    }

    /// Only new and edited rules are matched against text: a new title rule reads no
    /// content, so the outage rule's content matches can only come from its stored
    /// parts; an edited rule is matched again while the other keeps its matches; a
    /// removed rule's parts go.
    #[test]
    fn only_new_and_edited_rules_are_matched_against_text() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut store, entries) = rescored_store(dir.path());
        let launch = "[[rule]]\nname = \"launch\"\npattern = '(?i)launch'\nweight = -1\nfields = [\"title\"]\n";
        let with_launch = format!(
            "{launch}{}",
            OUTAGE_RULES.replace("weight = 4", "weight = 3")
        );
        let done = rescore_to(&mut store, &path, &with_launch, &entries);
        assert_eq!((done.rules_matched, done.rules), (1, 2));
        assert_eq!(done.changed, 23, "every post has a new weight or a launch");

        let edited = with_launch.replace(r"(?i)\boutage", r"(?i)\b(outage|launch)");
        let done = rescore_to(&mut store, &path, &edited, &entries);
        assert_eq!((done.rules_matched, done.rules), (1, 2));

        let done = rescore_to(&mut store, &path, &edited.replace(launch, ""), &entries);
        assert_eq!((done.rules_matched, done.rules), (0, 1));
        assert!(done.changed > 0);
    }
}
