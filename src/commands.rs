//! Commands: each CLI subcommand as a function from validated inputs to printed output.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{
    Cli, Command, DraftFormat, DraftOrder, ExplainFormat, ExportFormat, ShortlistFormat,
    TableFormat,
};
use crate::config::{CONFIG_ENV, Config, DEFAULT_CONFIG_PATH};
use crate::daemon;
use crate::pipeline::{FeedResult, PollReport, Poller};
use crate::render::{self, FeedView};
use crate::review::{self, DraftItem, QueueItem, Verdict};
use crate::score::{Scorer, rule_matchers};
use crate::shortlist::{self, Candidate, Ranker};
use crate::store::{
    QueueWindow, RescoreRow, RescoreText, Store, StoreError, decode_parts, encode_parts,
};
use crate::subscriptions::{self, FeedsFile, NewFeed, Refusal};
use crate::week::{IsoWeek, WeekSpec};

/// How a command that ran without error ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Nothing was found where something was asked for (exit 1).
    NothingFound,
}

/// Meta key under which the fingerprint of the rules behind the stored scores is kept.
pub const RULES_FINGERPRINT: &str = "rules_fingerprint";

/// Meta key of the matchers (see [`rule_matchers`]) of the rules the stored parts
/// came from, one per line: a rescore re-weighs the stored matches of those rules and
/// matches only the others against text.
pub const RULE_MATCHERS: &str = "rule_matchers";

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let config_path = config_path(cli.config.as_deref());
    if let Command::Check = cli.command {
        return check(&config_path);
    }
    let config = Config::load(&config_path)?;
    let db = cli
        .db
        .clone()
        .unwrap_or_else(|| config.settings.database.clone());
    match cli.command {
        Command::Add { url, name, org } => add(&config, &url, name, org),
        Command::Import { file } => import(&config, &file),
        Command::Export {
            format: ExportFormat::Opml,
            output,
        } => export(&config, output.as_deref()),
        Command::Remove { name } => remove(&config, &name),
        Command::Backtest {
            labels: Some(labels),
            format,
            ..
        } => backtest_labels(&config, &labels, format),
        Command::Backtest {
            labels: None,
            decisions,
            test_weeks,
            format,
        } => backtest_decisions(
            &config,
            &db,
            decisions,
            test_weeks.map(|n| n as usize),
            format,
        ),
        Command::Daemon => daemon::run(config, db).map(|()| Outcome::Done),
        Command::Poll { feeds, force } => poll(config, &db, &feeds, force),
        Command::Shortlist {
            week,
            limit,
            format,
        } => shortlist(&config, &db, week, limit, format),
        Command::Feeds { format } => feeds(&config, &db, format),
        Command::Explain { id, format } => explain(&config, &db, id, format),
        Command::Queue { week, format } => queue(&config, &db, week, format),
        Command::Pick { ids, note } => decide(&config, &db, Verdict::Pick, &ids, note.as_deref()),
        Command::Reject { ids, note } => {
            decide(&config, &db, Verdict::Reject, &ids, note.as_deref())
        }
        Command::Defer { ids, note } => decide(&config, &db, Verdict::Defer, &ids, note.as_deref()),
        Command::Undo { ids } => undo(&config, &db, &ids),
        Command::Draft {
            week,
            format,
            order,
        } => draft(&config, &db, week, format, order),
        Command::Rescore => {
            let mut store = open_store(&config, &db)?;
            let done = rescore(&mut store, &config)?;
            emit(&format!(
                "rescored {} entries by {}; {} scores changed\n",
                done.scanned,
                done.how(),
                done.changed
            ))?;
            Ok(Outcome::Done)
        }
        Command::Check => unreachable!("handled above"),
    }
}

/// `--config`, else `GLEANER_CONFIG`, else `./feeds.toml`.
fn config_path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(CONFIG_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH))
}

/// Opens the store and fits it to the config (see [`apply_config`]).
pub fn open_store(config: &Config, db: &Path) -> Result<Store, StoreError> {
    let mut store = Store::open(db)?;
    apply_config(&mut store, config)?;
    Ok(store)
}

/// What the store takes from the config: the zone its weeks are in, the points of the
/// `sources` part, and a row for every configured feed. (Stale scores are another
/// matter: [`rescore_if_stale`].)
pub fn apply_config(store: &mut Store, config: &Config) -> Result<(), StoreError> {
    store.use_zone(config.settings.timezone)?;
    store.use_source_points(config.settings.source_points);
    store.sync_feeds(
        config
            .feeds
            .iter()
            .map(|f| (f.name.as_str(), f.url.as_str())),
    )
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
    record_scored_with(store, config)?;
    Ok(Rescored {
        scanned,
        changed,
        rules_matched: scorer.rules_matched(),
        rules: scorer.rule_count(),
    })
}

/// Notes that the stored scores are those of `config`'s rules.
fn record_scored_with(store: &Store, config: &Config) -> Result<(), StoreError> {
    store.set_meta(RULES_FINGERPRINT, &Scorer::fingerprint(config))?;
    record_matchers(store, &rule_matchers(&config.rules))
}

/// Notes that every stored rule part came from a rule with one of these matchers.
fn record_matchers(store: &Store, matchers: &[String]) -> Result<(), StoreError> {
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
) -> Vec<(i64, f64, String)> {
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
            (!unchanged).then_some((row.id, score.total, parts))
        })
        .collect()
}

/// Rescores when the rules changed since the stored scores were computed, so what the
/// editor sees always reflects the current `feeds.toml`.
pub fn rescore_if_stale(store: &mut Store, config: &Config) -> Result<(), StoreError> {
    let current = Scorer::fingerprint(config);
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

fn check(path: &Path) -> anyhow::Result<Outcome> {
    let config = Config::load(path)?;
    emit(&format!(
        "{}: ok ({} feeds, {} rules, database {})\n",
        path.display(),
        config.feeds.len(),
        config.rules.len(),
        config.settings.database.display()
    ))?;
    Ok(Outcome::Done)
}

fn poll(config: Config, db: &Path, only: &[String], force: bool) -> anyhow::Result<Outcome> {
    for name in only {
        if config.feed(name).is_none() {
            let known: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
            anyhow::bail!(
                "no feed named `{name}` in {}; feeds: {}",
                config.path.display(),
                known.join(", ")
            );
        }
    }
    let mut store = open_store(&config, db)?;
    rescore_if_stale(&mut store, &config)?;
    let config = Arc::new(config);
    let poller = Poller::new(config.clone(), Arc::new(Mutex::new(store)))?;
    let feeds: Vec<_> = config
        .feeds
        .iter()
        .filter(|f| only.is_empty() || only.contains(&f.name))
        .cloned()
        .collect();
    let progress = progress_bar(feeds.len());
    // The poll's async work is only network I/O (parsing, scoring and storing have
    // threads of their own), so one thread drives it, without a worker pool's
    // cross-thread wake-ups.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Naming a feed is asking for it now: backoff does not apply.
    let force = force || !only.is_empty();
    let report = runtime.block_on(poller.poll(feeds, force, None, |f| {
        if let Some(p) = &progress {
            p.set_message(f.name.clone());
            p.inc(1);
        }
    }));
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    emit(&poll_summary(&report))?;
    Ok(Outcome::Done)
}

fn progress_bar(len: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} polling [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    Some(bar)
}

/// The summary `poll` prints, naming each failed feed with its reason.
pub fn poll_summary(report: &PollReport) -> String {
    let fetched = report.count(|r| matches!(r, FeedResult::Fetched(_)));
    let not_modified = report.count(|r| matches!(r, FeedResult::NotModified));
    let failed = report.count(|r| matches!(r, FeedResult::Failed { .. }));
    let waiting = report.count(|r| matches!(r, FeedResult::Waiting { .. }));
    let entries = report.entries();
    let mut out = format!(
        "polled {} feeds: {fetched} fetched, {not_modified} not modified, {failed} failed, {waiting} waiting\n\
         entries: {} new, {} updated\n",
        report.feeds.len(),
        entries.new,
        entries.updated
    );
    for f in &report.feeds {
        if let Some(url) = &f.moved_to {
            out.push_str(&format!(
                "moved: {} now polls {url} (permanent redirect)\n",
                f.name
            ));
        }
    }
    if failed > 0 {
        out.push_str("failed:\n");
        for (name, message) in report.failed() {
            out.push_str(&format!("  {name}: {message}\n"));
        }
    }
    out
}

fn shortlist(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    limit: Option<usize>,
    format: ShortlistFormat,
) -> anyhow::Result<Outcome> {
    let mut store = open_store(config, db)?;
    rescore_if_stale(&mut store, config)?;
    let week = week.resolve(Utc::now(), config.settings.timezone);
    let limit = limit.unwrap_or(config.settings.shortlist_size);
    let ranker = Ranker::load(&store, config)?;
    let candidates = shortlist::build(&store, &ranker, week, limit)?;
    emit(&render_shortlist(week, config, &candidates, format))?;
    if candidates.is_empty() {
        eprintln!(
            "no candidates for {week} (scoring at least {})",
            config.settings.min_score
        );
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}

pub fn render_shortlist(
    week: IsoWeek,
    config: &Config,
    candidates: &[Candidate],
    format: ShortlistFormat,
) -> String {
    match format {
        ShortlistFormat::Markdown => {
            render::shortlist_markdown(week, config.settings.timezone, candidates)
        }
        ShortlistFormat::Json => render::shortlist_json(candidates),
        ShortlistFormat::Csv => render::shortlist_csv(candidates),
    }
}

fn feeds(config: &Config, db: &Path, format: TableFormat) -> anyhow::Result<Outcome> {
    let store = open_store(config, db)?;
    let names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
    let next_scheduled = next_cron(
        &config.settings.poll_schedule,
        config.settings.timezone,
        Utc::now(),
    );
    let mut views: Vec<FeedView> = store
        .feed_health(&names)?
        .into_iter()
        .map(|h| {
            let org = config.feed(&h.name).and_then(|f| f.org.clone());
            FeedView::new(h, org, next_scheduled)
        })
        .collect();
    // Problems first: gone, then failing, then the rest in config order.
    views.sort_by_key(|v| match v.status.as_str() {
        "gone" => 0,
        "error" => 1,
        _ => 2,
    });
    emit(&match format {
        TableFormat::Table => render::feeds_table(&views, config.settings.timezone),
        TableFormat::Json => render::feeds_json(&views),
    })?;
    Ok(if views.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Done
    })
}

/// The next time `expr` fires after `after`, in zone `tz`.
pub fn next_cron(expr: &str, tz: chrono_tz::Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = crate::config::parse_cron(expr).ok()?;
    cron.find_next_occurrence(&after.with_timezone(&tz), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn explain(config: &Config, db: &Path, id: i64, format: ExplainFormat) -> anyhow::Result<Outcome> {
    let mut store = open_store(config, db)?;
    rescore_if_stale(&mut store, config)?;
    let Some(post) = store.post(id)? else {
        eprintln!("no entry with id {id}; ids are shown by `gleaner shortlist`");
        return Ok(Outcome::NothingFound);
    };
    let candidate = Ranker::load(&store, config)?.candidate(post);
    emit(&match format {
        ExplainFormat::Text => render::explain_text(&candidate),
        ExplainFormat::Json => serde_json::to_string_pretty(&candidate)? + "\n",
    })?;
    Ok(Outcome::Done)
}

fn queue(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let mut store = open_store(config, db)?;
    rescore_if_stale(&mut store, config)?;
    let week = week.resolve(Utc::now(), config.settings.timezone);
    let items = queue_items(&store, &Ranker::load(&store, config)?, week)?;
    emit(&match format {
        TableFormat::Table => review::queue_table(&items),
        TableFormat::Json => serde_json::to_string_pretty(&items)? + "\n",
    })?;
    if items.is_empty() {
        eprintln!("the queue for {week} is empty");
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Done)
}

fn decide(
    config: &Config,
    db: &Path,
    verdict: Verdict,
    ids: &[i64],
    note: Option<&str>,
) -> anyhow::Result<Outcome> {
    let mut store = open_store(config, db)?;
    let mut outcome = Outcome::Done;
    for &id in ids {
        match decide_one(&mut store, config, verdict, id, note)? {
            Some((title, week)) => emit(&format!("{} #{id} ({week}): {title}\n", verdict.state()))?,
            None => {
                eprintln!("no entry with id {id}; ids are shown by `gleaner queue`");
                outcome = Outcome::NothingFound;
            }
        }
    }
    Ok(outcome)
}

/// A week's review queue (see [`crate::review`]), best first.
pub fn queue_items(
    store: &Store,
    ranker: &Ranker<'_>,
    week: IsoWeek,
) -> Result<Vec<QueueItem>, StoreError> {
    let config = ranker.config();
    let window = QueueWindow {
        week,
        min_score: ranker.stored_floor(),
    };
    let mut selection = ranker.selection(config.settings.shortlist_size.max(50));
    store.each_queued(window, |q| {
        let stored = q.post.score.total;
        let item = QueueItem {
            candidate: ranker.candidate(q.post),
            state: if q.carried_over {
                Verdict::Defer.state()
            } else {
                "new"
            },
            carried_over: q.carried_over,
            late: q.late,
        };
        selection.offer(stored, item)
    })?;
    Ok(selection.finish())
}

/// Records one decision; returns the post's title and the week it was recorded under,
/// or `None` for an unknown id.
pub fn decide_one(
    store: &mut Store,
    config: &Config,
    verdict: Verdict,
    id: i64,
    note: Option<&str>,
) -> Result<Option<(String, IsoWeek)>, StoreError> {
    let Some(post) = store.post(id)? else {
        return Ok(None);
    };
    let current = store.decision(id)?;
    let queue_week = review::queue_week(&post, current.as_ref(), config.settings.timezone);
    let week = review::decision_week(verdict, queue_week);
    store.decide(id, verdict.state(), note, &week.to_string(), Utc::now())?;
    Ok(Some((post.title, week)))
}

/// A week's picked posts, in the order picked or by score.
pub fn draft_items(
    store: &Store,
    ranker: &Ranker<'_>,
    week: IsoWeek,
    order: DraftOrder,
) -> Result<Vec<DraftItem>, StoreError> {
    let mut items: Vec<DraftItem> = store
        .picked(&week.to_string())?
        .into_iter()
        .map(|(post, decision)| DraftItem {
            candidate: ranker.candidate(post),
            note: decision.note,
        })
        .collect();
    if order == DraftOrder::Score {
        items.sort_by(|a, b| b.candidate.score.total_cmp(&a.candidate.score));
    }
    Ok(items)
}

fn undo(config: &Config, db: &Path, ids: &[i64]) -> anyhow::Result<Outcome> {
    let mut store = open_store(config, db)?;
    let mut outcome = Outcome::Done;
    for &id in ids {
        match store.undo(id)? {
            Some(state) => {
                let now = store.decision(id)?.map_or("new".to_owned(), |d| d.state);
                emit(&format!("undid {state} of #{id}; it is {now} again\n"))?;
            }
            None => {
                eprintln!("#{id} has no decision to undo");
                outcome = Outcome::NothingFound;
            }
        }
    }
    Ok(outcome)
}

fn draft(
    config: &Config,
    db: &Path,
    week: WeekSpec,
    format: DraftFormat,
    order: DraftOrder,
) -> anyhow::Result<Outcome> {
    let store = open_store(config, db)?;
    let week = week.resolve(Utc::now(), config.settings.timezone);
    let items = draft_items(&store, &Ranker::load(&store, config)?, week, order)?;
    emit(&match format {
        DraftFormat::Markdown => review::draft_markdown(week, &items),
        DraftFormat::Html => review::draft_html(week, &items),
    })?;
    Ok(if items.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Done
    })
}

fn add(
    config: &Config,
    url: &str,
    name: Option<String>,
    org: Option<String>,
) -> anyhow::Result<Outcome> {
    let mut file = FeedsFile::open(&config.path)?;
    if let Some(by) = file.subscribed_as(url) {
        anyhow::bail!("{url} is already subscribed as `{by}`");
    }
    let fetcher = crate::fetch::Fetcher::new(&config.settings)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let found = runtime
        .block_on(subscriptions::discover(&fetcher, url))
        .map_err(anyhow::Error::msg)?;
    let name = match name {
        Some(name) => name,
        None => file.free_name(
            found
                .title
                .as_deref()
                .unwrap_or_else(|| host_of(&found.url)),
        ),
    };
    let feed = NewFeed {
        name: name.clone(),
        url: found.url.clone(),
        org,
        tags: Vec::new(),
    };
    file.add(&feed)
        .map_err(|refusal| anyhow::anyhow!("{refusal}"))?;
    file.save()?;
    emit(&format!("added `{name}`: {}\n", found.url))?;
    Ok(Outcome::Done)
}

fn host_of(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
}

fn import(config: &Config, opml: &Path) -> anyhow::Result<Outcome> {
    let text =
        std::fs::read_to_string(opml).with_context(|| format!("cannot read {}", opml.display()))?;
    let feeds = subscriptions::parse_opml(&text).with_context(|| format!("{}", opml.display()))?;
    let mut file = FeedsFile::open(&config.path)?;
    let (mut added, mut present, mut invalid) = (0, 0, Vec::new());
    for feed in feeds {
        if file.subscribed_as(&feed.xml_url).is_some() {
            present += 1;
            continue;
        }
        let new = NewFeed {
            name: file.free_name(&feed.title),
            url: feed.xml_url.clone(),
            org: None,
            tags: feed.tags,
        };
        match file.add(&new) {
            Ok(()) => added += 1,
            Err(Refusal::BadUrl(url)) => invalid.push(url),
            Err(other) => anyhow::bail!("{other}"),
        }
    }
    file.save()?;
    emit(&format!(
        "imported {added} feeds; {present} already subscribed; {} skipped as not http(s)\n",
        invalid.len()
    ))?;
    for url in invalid {
        emit(&format!("  skipped: {url}\n"))?;
    }
    Ok(Outcome::Done)
}

fn export(config: &Config, output: Option<&Path>) -> anyhow::Result<Outcome> {
    let opml = subscriptions::export_opml(config);
    match output {
        Some(path) => std::fs::write(path, opml)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => emit(&opml)?,
    }
    Ok(Outcome::Done)
}

fn backtest_labels(config: &Config, labels: &Path, format: TableFormat) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(labels)
        .with_context(|| format!("cannot read {}", labels.display()))?;
    let labelled = crate::backtest::parse_labels(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", labels.display()))?;
    if labelled.is_empty() {
        eprintln!("{} holds no labelled entries", labels.display());
        return Ok(Outcome::NothingFound);
    }
    let boosts: HashMap<&str, f64> = config
        .feeds
        .iter()
        .filter_map(|f| Some((f.org.as_deref()?, f.boost)))
        .collect();
    let report = crate::backtest::run_labels(
        &labelled,
        &Scorer::new(config),
        |org| boosts.get(org).copied().unwrap_or(0.0),
        config.settings.shortlist_size,
    );
    emit(&match format {
        TableFormat::Table => crate::backtest::report_text(&report),
        TableFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    })?;
    Ok(Outcome::Done)
}

/// Backtests the current config's rules on the stored decisions, scoring the stored
/// text afresh (so a changed `feeds.toml` can be previewed before it is kept; nothing
/// is written); with `time_split`, rules alone against rules + learned.
fn backtest_decisions(
    config: &Config,
    db: &Path,
    time_split: bool,
    test_weeks: Option<usize>,
    format: TableFormat,
) -> anyhow::Result<Outcome> {
    let store = open_store(config, db)?;
    let decided = store.decided_all()?;
    if decided.is_empty() {
        eprintln!(
            "{} holds no picked or rejected posts yet; decide some with `gleaner pick`/`reject` or pass --labels FILE",
            db.display()
        );
        return Ok(Outcome::NothingFound);
    }
    // Scored as the store would score them under this config: rules, boost, sources.
    let scorer = Scorer::new(config);
    let mut labelled = Vec::new();
    let mut rule_scores = Vec::new();
    let mut examples = Vec::new();
    for (post, decision) in decided {
        let l = crate::backtest::labelled_decision(&post, &decision);
        let boost = config.feed(&post.feed).map_or(0.0, |f| f.boost);
        rule_scores.push(
            scorer
                .score(&l.entry, boost)
                .with_sources(post.sources(), config.settings.source_points),
        );
        examples.push(crate::learn::Example {
            feed: post.feed,
            title: post.title,
            summary: post.summary,
            picked: l.picked,
        });
        labelled.push(l);
    }
    let k = config.settings.shortlist_size;
    if !time_split {
        let report = crate::backtest::run(&labelled, &rule_scores, k);
        let status = Ranker::load(&store, config)?.learning_status().to_string();
        emit(&match format {
            TableFormat::Table => format!(
                "{}\nlearned part: {status} (compare with `gleaner backtest --decisions`)\n",
                crate::backtest::report_text(&report)
            ),
            TableFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
        })?;
        return Ok(Outcome::Done);
    }
    let split = crate::backtest::time_split(
        &labelled,
        &rule_scores,
        &examples,
        &config.learning,
        test_weeks,
        k,
    );
    let Some(split) = split else {
        eprintln!("decisions span a single week; a time split needs at least two");
        return Ok(Outcome::NothingFound);
    };
    emit(&match format {
        TableFormat::Table => crate::backtest::split_text(&split),
        TableFormat::Json => serde_json::to_string_pretty(&split)? + "\n",
    })?;
    Ok(Outcome::Done)
}

fn remove(config: &Config, name: &str) -> anyhow::Result<Outcome> {
    let mut file = FeedsFile::open(&config.path)?;
    if !file.remove(name) {
        eprintln!("no feed named `{name}` in {}", config.path.display());
        return Ok(Outcome::NothingFound);
    }
    file.save()?;
    emit(&format!(
        "removed `{name}` (its stored entries stay in the database)\n"
    ))?;
    Ok(Outcome::Done)
}

/// Writes to standard output; a closed pipe (`gleaner shortlist | head`) surfaces as a
/// `BrokenPipe` error that `main` treats as a normal exit.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Entry;
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
                    published: Some(Utc::now()),
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
            .record_fetched(feed, &FetchRecord::default(), &entries, Utc::now())
            .unwrap();
        (
            store,
            entries.into_iter().map(ScoredEntry::into_entry).collect(),
        )
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
        let scorer = Scorer::new(config);
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
