//! The review page's readers: read-only connections of its own ([`Store::open_reader`]),
//! so a page load never waits for a poll's writes (WAL lets them read while a poll
//! writes), each with the week's overview it last computed.
//!
//! Counting a week reads every post of it (see [`crate::review::overview`]): a few
//! hundred rows for a real week, but 20,000 in the bench farm's, where it took 75 ms of
//! every page load. Nothing it reads changes until another connection commits (a poll,
//! a decision: SQLite's `data_version`, which each connection counts on its own) or
//! the config is re-read, so each reader keeps its last one until then. While a poll
//! runs, its commits come every few milliseconds: the page keeps counting from the
//! overview it has (without the poll's new posts) and counts again once the poll is
//! done; the page's own decisions always show at once.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::model::Source;
use crate::rank::shortlist::Learned;
use crate::review::overview::Overview;
use crate::store::{Store, StoreError};
use crate::week::IsoWeek;

/// How many readers the page has: one a core on this project's 2-core machine. More
/// let more pages be read at once; the pages' threads run at a lower priority than
/// polls (see `daemon::http`), so they only take what polls leave.
pub const READERS: usize = 2;

/// The page's readers.
pub struct Readers {
    readers: Vec<Arc<Mutex<Reader>>>,
    next: AtomicUsize,
}

/// One read-only connection, and the overview, suggested sites and learned part it last
/// computed.
pub struct Reader {
    pub store: Store,
    pub overviews: OverviewCache,
    pub sources: SourcesCache,
    pub learned: LearnedCache,
}

impl Readers {
    /// Opens `n` readers of a database its writer has opened (and migrated) already.
    pub fn open(path: &Path, n: usize) -> Result<Readers, StoreError> {
        let readers = (0..n.max(1))
            .map(|_| {
                Store::open_reader(path).map(|store| {
                    Arc::new(Mutex::new(Reader {
                        store,
                        overviews: OverviewCache::default(),
                        sources: SourcesCache::default(),
                        learned: LearnedCache::default(),
                    }))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Readers {
            readers,
            next: AtomicUsize::new(0),
        })
    }

    /// A reader that is free now, if one is; else the next in turn.
    pub fn pick(&self) -> Arc<Mutex<Reader>> {
        let free = self.readers.iter().find(|r| r.try_lock().is_ok());
        match free {
            Some(reader) => reader.clone(),
            None => {
                let at = self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len();
                self.readers[at].clone()
            }
        }
    }
}

/// A value a reader computed from the database, and what it was computed from.
struct Kept<K, T>(Option<KeptValue<K, T>>);

struct KeptValue<K, T> {
    key: K,
    data_version: i64,
    /// Held, so that its address is not reused by a later config.
    config: Arc<Config>,
    value: Arc<T>,
}

impl<K, T> Default for Kept<K, T> {
    fn default() -> Self {
        Kept(None)
    }
}

impl<K: PartialEq, T> Kept<K, T> {
    /// The kept value while `key` and the config are the same and the database (as
    /// `store`, the reader this belongs to, sees it) is as it was or only a poll is
    /// writing to it; else `compute`'s (then kept).
    fn get(
        &mut self,
        store: &Store,
        fresh: Freshness<'_>,
        key: K,
        compute: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<Arc<T>, StoreError> {
        let data_version = store.data_version()?;
        if let Some(kept) = &self.0
            && kept.key == key
            && Arc::ptr_eq(&kept.config, fresh.config)
            && (kept.data_version == data_version || fresh.polling)
        {
            return Ok(kept.value.clone());
        }
        let value = Arc::new(compute()?);
        self.0 = Some(KeptValue {
            key,
            data_version,
            config: fresh.config.clone(),
            value: value.clone(),
        });
        Ok(value)
    }
}

/// The last overview a reader computed, and what it was computed from.
#[derive(Default)]
pub struct OverviewCache(Kept<(IsoWeek, u64), Overview>);

impl OverviewCache {
    /// The week's overview: the cached one while the config is the same, the page
    /// made no write (`own_writes` counts them), and the database (as `store`, the
    /// reader this cache belongs to, sees it) is as it was or only a poll is writing
    /// to it; else `compute`'s (then cached).
    pub fn get(
        &mut self,
        store: &Store,
        fresh: Freshness<'_>,
        week: IsoWeek,
        compute: impl FnOnce() -> Result<Overview, StoreError>,
    ) -> Result<Arc<Overview>, StoreError> {
        self.0.get(store, fresh, (week, fresh.own_writes), compute)
    }
}

/// The sites to suggest, kept as the overview is (reading them takes the unsubscribed
/// posts of every week).
#[derive(Default)]
pub struct SourcesCache(Kept<(), Vec<Source>>);

impl SourcesCache {
    /// The cached suggestions while the config and the database are as they were (or
    /// only a poll is writing); else `compute`'s.
    pub fn get(
        &mut self,
        store: &Store,
        fresh: Freshness<'_>,
        compute: impl FnOnce() -> Result<Vec<Source>, StoreError>,
    ) -> Result<Arc<Vec<Source>>, StoreError> {
        self.0.get(store, fresh, (), compute)
    }
}

/// The learned part: training reads every decision, and only a decision or the config
/// changes it.
#[derive(Default)]
pub struct LearnedCache(Kept<u64, Learned>);

impl LearnedCache {
    /// The part learned before while the config, the page's writes and the database are
    /// as they were; else trained again. Unlike the overview, a poll's commits count
    /// too: a decision made with the CLI during a poll shows at once (training takes
    /// milliseconds; counting a week took 75).
    pub fn get(&mut self, store: &Store, fresh: Freshness<'_>) -> Result<Arc<Learned>, StoreError> {
        let exact = Freshness {
            polling: false,
            ..fresh
        };
        self.0.get(store, exact, fresh.own_writes, || {
            Learned::train(store, fresh.config)
        })
    }
}

/// What a cached overview must still match.
#[derive(Clone, Copy)]
pub struct Freshness<'a> {
    pub config: &'a Arc<Config>,
    /// The page's own writes so far.
    pub own_writes: u64,
    /// Whether a poll is running.
    pub polling: bool,
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// An empty config, and a writer and a reader on one new database in `dir`.
    fn writer_and_reader(dir: &std::path::Path) -> (Arc<Config>, Store, Store) {
        let config = Arc::new(Config::from_str(&dir.join("feeds.toml"), "").unwrap());
        let path = dir.join("gleaner.db");
        let writer = crate::app::open_store(&config, &path).unwrap();
        let reader = Store::open_reader(&path).unwrap();
        (config, writer, reader)
    }

    #[test]
    fn the_overview_is_computed_again_only_when_something_changed() {
        let dir = tempfile::tempdir().unwrap();
        let (config, writer, reader) = writer_and_reader(dir.path());
        let ranker = crate::rank::shortlist::Ranker::load(&reader, &config).unwrap();
        let week: IsoWeek = "2026-W48".parse().unwrap();
        let mut cache = OverviewCache::default();
        let computed = Cell::new(0);
        let mut get = |config: &Arc<Config>, week: IsoWeek, own_writes: u64, polling: bool| {
            let fresh = Freshness {
                config,
                own_writes,
                polling,
            };
            cache
                .get(&reader, fresh, week, || {
                    computed.set(computed.get() + 1);
                    crate::review::overview::overview(&reader, &ranker, week)
                })
                .unwrap()
        };
        get(&config, week, 0, false);
        get(&config, week, 0, false);
        assert_eq!(computed.get(), 1, "nothing changed");
        get(&config, week.next(), 0, false);
        assert_eq!(computed.get(), 2, "another week");
        writer.set_meta("touched", "1").unwrap();
        get(&config, week.next(), 0, true);
        assert_eq!(
            computed.get(),
            2,
            "a poll is writing: counted again after it"
        );
        get(&config, week.next(), 0, false);
        assert_eq!(computed.get(), 3, "another connection committed");
        get(&config, week.next(), 1, true);
        assert_eq!(
            computed.get(),
            4,
            "the page wrote: at once, even during a poll"
        );
        get(&Arc::new((*config).clone()), week.next(), 1, false);
        assert_eq!(computed.get(), 5, "the config was read again");
    }

    #[test]
    fn the_learned_part_is_trained_again_after_any_commit_even_during_a_poll() {
        let dir = tempfile::tempdir().unwrap();
        let (config, writer, reader) = writer_and_reader(dir.path());
        let mut cache = LearnedCache::default();
        let mut get = |config: &Arc<Config>, own_writes: u64, polling: bool| {
            let fresh = Freshness {
                config,
                own_writes,
                polling,
            };
            cache.get(&reader, fresh).unwrap()
        };
        let first = get(&config, 0, false);
        assert!(
            Arc::ptr_eq(&first, &get(&config, 0, true)),
            "nothing changed"
        );
        writer.set_meta("a decision elsewhere", "1").unwrap();
        let after_commit = get(&config, 0, true);
        assert!(
            !Arc::ptr_eq(&first, &after_commit),
            "a commit during a poll"
        );
        let after_own_write = get(&config, 1, false);
        assert!(
            !Arc::ptr_eq(&after_commit, &after_own_write),
            "the page's own write"
        );
        let reloaded = Arc::new((*config).clone());
        assert!(
            !Arc::ptr_eq(&after_own_write, &get(&reloaded, 1, false)),
            "another config"
        );
    }
}
