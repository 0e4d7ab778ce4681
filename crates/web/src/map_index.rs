//! The public map's points, kept in memory.
//!
//! A zoomed-out view of the city covers every public report of the last 90 days. With a million
//! reports in the database that is tens of thousands of rows, more than SQLite or PostgreSQL read
//! and group within the map's 50 ms budget. The index keeps what the map shows of each report and
//! filters a box by scanning them in memory.
//!
//! Before each request it queries the store for reports changed since its previous query (an
//! indexed `updated_at` range, usually empty), so a report filed or moved on is on the map at the
//! next request on every node. Each query starts [`LOOKBACK`] before the previous one, because a
//! transaction may commit after that query with an earlier `updated_at` and the clocks of several
//! nodes may differ slightly. A full reload every [`FULL_RELOAD`] catches anything slower.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use pomoshnik_store::{MapPoint, Store, StoreError};
use tokio::sync::RwLock;

/// How far back the public map looks.
pub const PUBLIC_WINDOW: Duration = Duration::days(90);

/// How far before the previous query each query for changes starts.
const LOOKBACK: Duration = Duration::seconds(60);

/// How often the index is rebuilt from scratch.
const FULL_RELOAD: Duration = Duration::hours(1);

/// How often points that left the window are dropped.
const PRUNE_EVERY: Duration = Duration::minutes(1);

/// A rectangle in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bounds {
    pub fn contains(&self, latitude: f64, longitude: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&latitude) && (self.min_lon..=self.max_lon).contains(&longitude)
    }
}

#[derive(Default)]
struct Points {
    by_id: HashMap<i64, MapPoint>,
    /// Categories the points were loaded for. A change of the catalog reloads everything.
    categories: HashSet<String>,
    /// Start of the next query for changes, or `None` before the first load.
    cursor: Option<DateTime<Utc>>,
    loaded_at: Option<DateTime<Utc>>,
    pruned_at: Option<DateTime<Utc>>,
    /// When the latest query for changes started. A request that arrived before it needs no
    /// query of its own, because that one saw every change committed before the request.
    queried_at: Option<std::time::Instant>,
}

/// Public reports of the last [`PUBLIC_WINDOW`], by id.
#[derive(Default)]
pub struct MapIndex {
    points: RwLock<Points>,
}

impl MapIndex {
    /// Updates the index, then passes `read` the points of `categories` inside `bounds` that were
    /// filed within the window, in no particular order.
    pub async fn read<R>(
        &self,
        store: &dyn Store,
        categories: &HashSet<String>,
        bounds: &Bounds,
        read: impl FnOnce(Vec<&MapPoint>) -> R,
    ) -> Result<R, StoreError> {
        let arrived = std::time::Instant::now();
        let now = Utc::now();
        {
            let mut points = self.points.write().await;
            let fresh = points.queried_at.is_some_and(|queried| queried >= arrived) && points.categories == *categories;
            if !fresh {
                let started = std::time::Instant::now();
                points.refresh(store, categories, now).await?;
                points.queried_at = Some(started);
            }
        }
        let points = self.points.read().await;
        let since = now - PUBLIC_WINDOW;
        let inside = points
            .by_id
            .values()
            .filter(|point| point.created_at >= since && bounds.contains(point.latitude, point.longitude))
            .collect();
        Ok(read(inside))
    }
}

impl Points {
    async fn refresh(&mut self, store: &dyn Store, categories: &HashSet<String>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let stale = self.loaded_at.is_none_or(|loaded| now - loaded >= FULL_RELOAD);
        let cursor = match self.cursor {
            Some(cursor) if !stale && self.categories == *categories => cursor,
            _ => {
                self.by_id.clear();
                self.categories = categories.clone();
                self.loaded_at = Some(now);
                // A report filed within the window was changed within it too.
                now - PUBLIC_WINDOW
            }
        };

        for point in store.map_points_changed_since(cursor).await? {
            if self.categories.contains(&point.category_code) && now - point.created_at <= PUBLIC_WINDOW {
                self.by_id.insert(point.id, point);
            } else {
                self.by_id.remove(&point.id);
            }
        }
        self.cursor = Some(now - LOOKBACK);

        if self.pruned_at.is_none_or(|pruned| now - pruned >= PRUNE_EVERY) {
            let since = now - PUBLIC_WINDOW;
            self.by_id.retain(|_, point| point.created_at >= since);
            self.pruned_at = Some(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_include_their_edges() {
        let bounds = Bounds { min_lon: 37.0, min_lat: 55.0, max_lon: 38.0, max_lat: 56.0 };
        assert!(bounds.contains(55.0, 37.0));
        assert!(bounds.contains(56.0, 38.0));
        assert!(bounds.contains(55.5, 37.5));
        assert!(!bounds.contains(54.99, 37.5));
        assert!(!bounds.contains(55.5, 38.01));
    }
}
