//! The service's in-memory state: an article cache, the rate limiter's client set,
//! and the ad sessions' buffers (which leak), each registered with memtrack's cache
//! stats through a weak reference.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

/// Most articles kept.
pub const ARTICLE_CACHE_MAX: usize = 50;
/// Most client addresses the rate limiter remembers.
pub const RATE_LIMITER_MAX: usize = 10_000;

#[derive(Default)]
pub struct Store {
    pub articles: Arc<Mutex<HashMap<String, Arc<str>>>>,
    pub clients: Arc<Mutex<HashSet<String>>>,
    /// Per-session context buffers that nothing ever removes: the leak.
    pub ad_sessions: Arc<Mutex<Vec<Vec<u8>>>>,
    registrations: Mutex<Vec<memtrack::caches::CacheRegistration>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    pub fn new() -> Arc<Self> {
        let store = Arc::new(Store::default());
        let registrations = vec![
            memtrack::caches::register_weak(
                "article_cache",
                Some(ARTICLE_CACHE_MAX),
                &store.articles,
                |m| lock(m).len(),
            ),
            memtrack::caches::register_weak(
                "rate_limiter_ips",
                Some(RATE_LIMITER_MAX),
                &store.clients,
                |s| lock(s).len(),
            ),
            memtrack::caches::register_weak("ad_session_buffers", None, &store.ad_sessions, |v| {
                lock(v).len()
            }),
        ];
        *lock(&store.registrations) = registrations;
        store
    }

    pub fn cache_article(&self, url: &str, text: Arc<str>) {
        let mut articles = lock(&self.articles);
        if articles.len() >= ARTICLE_CACHE_MAX
            && let Some(oldest) = articles.keys().next().cloned()
        {
            articles.remove(&oldest);
        }
        articles.insert(url.to_owned(), text);
    }

    pub fn note_client(&self, client: &str) {
        let mut clients = lock(&self.clients);
        if clients.len() < RATE_LIMITER_MAX {
            clients.insert(client.to_owned());
        }
    }

    pub fn keep_ad_context(&self, buffer: Vec<u8>) {
        lock(&self.ad_sessions).push(buffer);
    }
}
