//! Daemon: the schedule. Polls once at start and then on `poll_schedule`, writes the
//! shortlists on `shortlist_schedule`, and stops cleanly on Ctrl-C / SIGTERM.
//!
//! What we rely on from tokio-cron-scheduler, and how its known gaps are covered:
//! - a repeating job keeps a fixed UTC offset across DST changes: each firing is a
//!   one-shot job armed in the real zone instead (`timer`);
//! - each firing is a new task, so a slow poll could overlap the next one: a poll takes
//!   a lock with `try_lock` and a busy slot is skipped (and logged);
//! - `shutdown()` does not wait for running jobs: on a signal we flag shutdown (polls
//!   stop starting feeds and abandon fetches in flight), stop the scheduler, then wait
//!   for the poll lock, so any batch being written commits before the process exits;
//! - the config is re-read at every poll, so feeds added to `feeds.toml` are picked up
//!   without a restart (an invalid edit is logged and the previous config kept) and
//!   changed rules re-score stored entries.
//!
//! Shortlists are written to a temporary file and renamed into place, so a reader never
//! sees half a file. The HTTP listener runs on a thread of its own (`http`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio_cron_scheduler::JobScheduler;

mod http;
mod timer;

use timer::Recurring;

use crate::app::apply_config;
use crate::config::{Config, next_cron};
use crate::ingest::pipeline::{FeedResult, Poller, RobotsCache};
use crate::model::Candidate;
use crate::rank::rescore::rescore_if_stale;
use crate::rank::shortlist;
use crate::render::markdown::shortlist_markdown;
use crate::render::tables::poll_summary;
use crate::store::{Store, off_async};
use crate::web::guard;
use crate::web::metrics::Metrics;
use crate::web::readers::{READERS, Readers};
use crate::web::server::{self, PollClock, ServerState};
use crate::week::{IsoWeek, WeekSpec};

struct Daemon {
    config: Arc<Mutex<Arc<Config>>>,
    store: Arc<Mutex<Store>>,
    /// Held while a poll runs; a second poll that finds it held is skipped.
    poll_lock: tokio::sync::Mutex<()>,
    shutdown: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
    clock: Arc<PollClock>,
    /// Article hosts' robots.txt, kept across polls (a day each).
    robots: Arc<RobotsCache>,
}

pub fn run(config: Config, db: PathBuf) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run_async(config, db))
}

async fn run_async(config: Config, db: PathBuf) -> anyhow::Result<()> {
    let store = crate::app::open_scored_for_writing(&config, &db)?;
    // A daemon that cannot write would fail every poll in silence: better not to start.
    store
        .set_meta("daemon_started_at", &crate::model::rfc3339(crate::clock::now()))
        .with_context(|| {
            format!(
                "cannot write to the database {}; the daemon needs to (check the disk's free space and the file's permissions)",
                db.display()
            )
        })?;
    tracing::info!(
        config = %config.path.display(),
        database = %db.display(),
        feeds = config.feeds.len(),
        rules = config.rules.len(),
        poll_schedule = %config.settings.poll_schedule,
        shortlist_schedule = %config.settings.shortlist_schedule,
        "daemon starting"
    );
    let (stop, shutdown) = watch::channel(false);
    let tz = config.settings.timezone;
    let (poll_cron, shortlist_cron) = (
        config.settings.poll_schedule.clone(),
        config.settings.shortlist_schedule.clone(),
    );
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; set [server] listen to a free address",
                config.server.listen
            )
        })?;
    let clock = {
        let cron = poll_cron.clone();
        // A poll may run for a whole request timeout per feed batch; allow that and more.
        let grace = chrono::Duration::from_std(config.settings.request_timeout * 4)
            .unwrap_or_default()
            + chrono::Duration::minutes(5);
        Arc::new(PollClock::new(
            crate::clock::now(),
            move |after| next_cron(&cron, tz, after),
            grace,
        ))
    };
    let metrics = Arc::new(Metrics::new());
    let token = config.server.token.clone();
    // The page's form token and session cookie derive from a secret kept in the
    // database, so a page loaded before a restart still submits after it.
    let secret = store.meta_or_insert(guard::REVIEW_SECRET, &random_token()?)?;
    let secrets = guard::Secrets::derive(&secret, token.as_deref());
    let readers = Readers::open(store.path(), READERS)?;
    let bound = listener.local_addr()?;
    let daemon = Arc::new(Daemon {
        config: Arc::new(Mutex::new(Arc::new(config))),
        store: Arc::new(Mutex::new(store)),
        poll_lock: tokio::sync::Mutex::new(()),
        shutdown,
        metrics: metrics.clone(),
        clock: clock.clone(),
        robots: Arc::default(),
    });

    let app = server::router(Arc::new(ServerState {
        metrics,
        clock,
        store: daemon.store.clone(),
        readers,
        config: daemon.config.clone(),
        token,
        secrets,
        bound,
        own_writes: Default::default(),
    }));
    tracing::info!(addr = %bound, "http server listening (review page, /metrics, /healthz)");
    let http = http::serve(listener.into_std()?, app, daemon.shutdown.clone())
        .context("cannot start the http server's thread")?;

    let mut scheduler = JobScheduler::new()
        .await
        .context("cannot start the scheduler")?;
    let polls = Recurring::new("poll", poll_cron, tz, &daemon, |d, _| {
        Box::pin(async move { d.poll_cycle().await })
    });
    let shortlists = Recurring::new("shortlist", shortlist_cron, tz, &daemon, |d, slot| {
        Box::pin(async move { d.write_shortlists(slot).await })
    });
    polls.arm(scheduler.clone()).await?;
    shortlists.arm(scheduler.clone()).await?;
    scheduler
        .start()
        .await
        .context("cannot start the scheduler")?;

    let first = tokio::spawn({
        let d = daemon.clone();
        async move { d.poll_cycle().await }
    });

    wait_for_signal().await;
    tracing::info!("stopping: waiting for in-flight work to finish");
    let _ = stop.send(true);
    let _ = scheduler.shutdown().await;
    let _ = first.await;
    // Any poll still running holds the lock until its writes are committed.
    let _done = daemon.poll_lock.lock().await;
    match tokio::task::spawn_blocking(move || http.join()).await {
        Ok(Ok(Err(err))) => tracing::error!(error = %err, "http server failed"),
        Ok(Err(_)) | Err(_) => tracing::error!("http server thread failed"),
        Ok(Ok(Ok(()))) => {}
    }
    tracing::info!("stopped");
    Ok(())
}

impl Daemon {
    async fn poll_cycle(&self) {
        if *self.shutdown.borrow() {
            return;
        }
        let Ok(_guard) = self.poll_lock.try_lock() else {
            // Counted before it is logged: whoever reads the line finds it counted.
            self.metrics.record_skipped_poll();
            tracing::warn!("previous poll still running; skipping this scheduled poll");
            return;
        };
        let _running = self.clock.poll_running();
        let config = match self.reload_config().await {
            Ok(config) => config,
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "cannot prepare the poll");
                return;
            }
        };
        let poller = match Poller::new(config.clone(), self.store.clone()) {
            Ok(p) => p.with_robots_cache(self.robots.clone()),
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "cannot build the HTTP client");
                return;
            }
        };
        let feeds = config.feeds.clone();
        let started = crate::clock::now();
        let report = poller
            .poll(feeds, false, Some(self.shutdown.clone()), |_| {})
            .await;
        let finished = crate::clock::now();
        let seconds = (finished - started).num_milliseconds() as f64 / 1000.0;
        // Feeds the database would not take failed too, though their rows cannot say so.
        let not_stored = report.count(|r| matches!(r, FeedResult::NotStored { .. })) as u64;
        let failing = off_async(&self.store, |store| store.failing_feed_count())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0)
            + not_stored;
        self.metrics.record_poll(
            &report,
            seconds,
            finished.timestamp() as f64,
            failing,
            config.feeds.len(),
        );
        if !*self.shutdown.borrow() {
            let storage_failure = report.storage_failure().map(str::to_owned);
            self.clock.poll_finished(finished, storage_failure);
        }
        let entries = report.entries();
        tracing::info!(
            feeds = report.feeds.len(),
            new = entries.new,
            updated = entries.updated,
            failed = report.failed().count(),
            seconds,
            "poll finished"
        );
        tracing::debug!(summary = %poll_summary(&report));
    }

    /// Re-reads the config file; keeps the running config when the file is invalid.
    async fn reload_config(&self) -> anyhow::Result<Arc<Config>> {
        let current = self.config.lock().expect("config lock").clone();
        let config = match Config::load(&current.path) {
            Ok(fresh) => {
                // The listener and its token are set up once, at start.
                if fresh.server.listen != current.server.listen
                    || fresh.server.token != current.server.token
                {
                    tracing::warn!(
                        listen = %current.server.listen,
                        "[server] listen or token changed in feeds.toml; the daemon keeps the ones it started with until it is restarted"
                    );
                }
                Arc::new(fresh)
            }
            Err(err) => {
                tracing::error!(error = %err, "config is invalid; keeping the previous one");
                current
            }
        };
        *self.config.lock().expect("config lock") = config.clone();
        let c = config.clone();
        off_async(&self.store, move |store| {
            apply_config(store, &c)?;
            rescore_if_stale(store, &c)
        })
        .await??;
        Ok(config)
    }

    /// Writes this week's and last week's shortlists (markdown) into `shortlist_dir`,
    /// then posts last week's (the finished one) to `[notify] webhook`, if set, in the
    /// background: a slow or failing webhook never holds up polling. The weeks are those
    /// of the `slot` the firing was armed for, or of now if it fires late: the timer
    /// may wake a second early, and a slot at Monday 00:00 is for the week it starts.
    async fn write_shortlists(&self, slot: chrono::DateTime<chrono::Utc>) {
        let at = slot.max(crate::clock::now());
        let config = self.config.lock().expect("config lock").clone();
        let c = config.clone();
        let result = off_async(
            &self.store,
            move |store| -> anyhow::Result<(Vec<PathBuf>, IsoWeek, Vec<Candidate>)> {
                let mut written = Vec::new();
                let mut finished = None;
                let ranker = shortlist::Ranker::load(store, &c)?;
                for spec in [WeekSpec::Last, WeekSpec::This] {
                    let week = spec.resolve(at, c.settings.timezone);
                    let candidates =
                        shortlist::build(store, &ranker, week, c.settings.shortlist_size)?;
                    let text = shortlist_markdown(week, c.settings.timezone, &candidates);
                    let path = c.settings.shortlist_dir.join(format!("{week}.md"));
                    crate::files::write_atomically(&path, text.as_bytes())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    written.push(path);
                    finished.get_or_insert((week, candidates));
                }
                let (week, candidates) = finished.expect("two weeks were written");
                Ok((written, week, candidates))
            },
        )
        .await;
        let (week, candidates) = match result {
            Ok(Ok((paths, week, candidates))) => {
                for p in paths {
                    tracing::info!(path = %p.display(), "shortlist written");
                }
                (week, candidates)
            }
            Ok(Err(err)) => {
                return tracing::error!(error = %format!("{err:#}"), "cannot write the shortlist");
            }
            Err(err) => return tracing::error!(error = %err, "shortlist task failed"),
        };
        if let Some(webhook) = config.notify.webhook.clone() {
            let top: Vec<Candidate> = candidates.into_iter().take(config.notify.top).collect();
            let review = config.notify.review_url.as_ref().map(|u| u.to_string());
            let message = crate::render::json_csv::webhook_message(week, &top, review.as_deref());
            let agent = config.settings.user_agent.clone();
            tokio::spawn(async move {
                match crate::ingest::fetch::post_json(
                    webhook.as_str(),
                    &message,
                    &agent,
                    Duration::from_secs(10),
                )
                .await
                {
                    Ok(status) => tracing::info!(%week, status, "shortlist posted to the webhook"),
                    Err(err) => {
                        tracing::error!(%week, error = %err, "cannot post the shortlist to the webhook")
                    }
                }
            });
        }
    }
}

/// 256 unpredictable bits from the operating system, hex: the review page's secret,
/// made on the daemon's first start. Without the OS's randomness there is no secret
/// worth having, so no fallback.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        anyhow::anyhow!(
            "cannot read random bytes from the operating system for the review page's secret: {e}"
        )
    })?;
    Ok(crate::model::hex(&bytes))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
