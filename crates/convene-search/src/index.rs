//! The directory index: every active service's filter values in memory,
//! its words in [`TextIndex`], and the number of the last change applied.
//!
//! Changes are applied without stopping searches: new entries are added
//! hidden, the text index commits, and then, in one short write lock, the
//! text index's new view and the new entries become visible together while
//! the entries they replace go. A search therefore sees the directory
//! either wholly before or wholly after a change.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use convene_domain::directory::search::{
    Candidate, Hit, SearchQuery, rank_order, score_order, stems,
};
use uuid::Uuid;

use crate::SearchError;
use crate::text::{TextIndex, TextView};

struct Entry {
    /// The service, without its description (only the text index needs it).
    service: Candidate,
    /// Its terms as small numbers, for counting needs quickly.
    term_ords: Vec<u32>,
    /// False while a change that adds it is not yet visible.
    live: bool,
}

struct Entries {
    /// The text index as searches see it: always in step with `live`.
    text: TextView,
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
    by_id: HashMap<Uuid, u32>,
    term_ords: HashMap<Uuid, u32>,
    applied: i64,
}

impl Entries {
    fn term_ord(&mut self, term: Uuid) -> u32 {
        let next = self.term_ords.len() as u32;
        *self.term_ords.entry(term).or_insert(next)
    }

    fn insert_hidden(&mut self, mut service: Candidate) -> u32 {
        service.description = None;
        let term_ords = service.term_ids.iter().map(|t| self.term_ord(*t)).collect();
        let entry = Entry {
            service,
            term_ords,
            live: false,
        };
        match self.free.pop() {
            Some(ord) => {
                self.slots[ord as usize] = Some(entry);
                ord
            }
            None => {
                self.slots.push(Some(entry));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn live(&self, ord: u32) -> Option<&Entry> {
        self.slots
            .get(ord as usize)?
            .as_ref()
            .filter(|entry| entry.live)
    }
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// How many services match.
    pub total: usize,
    /// The requested part of the matches, best first.
    pub hits: Vec<Hit>,
    /// For each need asked about: how many services match every filter
    /// but the needs and carry that need.
    pub need_counts: Vec<(Uuid, usize)>,
}

/// The in-memory directory index. Cheap to search from many threads at
/// once; changes are applied one at a time.
pub struct DirectoryIndex {
    entries: RwLock<Entries>,
    text: Mutex<TextIndex>,
    /// Held while following the change sequence, so batches apply in order.
    pub(crate) following: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for DirectoryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryIndex")
            .field("services", &self.len())
            .field("applied", &self.applied())
            .finish()
    }
}

impl DirectoryIndex {
    /// An empty index.
    pub fn new() -> Result<DirectoryIndex, SearchError> {
        let text = TextIndex::new()?;
        Ok(DirectoryIndex {
            entries: RwLock::new(Entries {
                text: text.view()?,
                slots: Vec::new(),
                free: Vec::new(),
                by_id: HashMap::new(),
                term_ords: HashMap::new(),
                applied: 0,
            }),
            text: Mutex::new(text),
            following: tokio::sync::Mutex::new(()),
        })
    }

    /// How many services it holds.
    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of the last change applied.
    pub fn applied(&self) -> i64 {
        self.read().applied
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        // A panic elsewhere while holding the lock leaves whole entries
        // behind (every change to them is a single assignment), so the
        // data is still sound to read.
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds or replaces `upserts`, removes `removed`, and records that
    /// changes up to `through` are applied. A batch older than what is
    /// already applied is ignored: a newer one has superseded it.
    pub fn apply(
        &self,
        upserts: Vec<Candidate>,
        removed: &[Uuid],
        through: i64,
    ) -> Result<(), SearchError> {
        let mut text = self.text.lock().unwrap_or_else(|e| e.into_inner());
        if through < self.applied() {
            return Ok(());
        }
        let mut added = Vec::with_capacity(upserts.len());
        {
            let mut entries = self.write();
            for service in &upserts {
                added.push((service.id, entries.insert_hidden(service.clone())));
            }
        }
        let replaced: Vec<u32> = {
            let entries = self.read();
            upserts
                .iter()
                .map(|s| s.id)
                .chain(removed.iter().copied())
                .filter_map(|id| entries.by_id.get(&id).copied())
                .collect()
        };
        let outcome = (|| {
            for ord in &replaced {
                text.remove(*ord);
            }
            for (service, (_, ord)) in upserts.iter().zip(&added) {
                text.add(*ord, &service.name, service.description.as_deref())?;
            }
            text.commit()
        })();
        let outcome = outcome.and_then(|()| text.view());
        let mut entries = self.write();
        let view = match outcome {
            Ok(view) => view,
            Err(error) => {
                // Nothing became visible: drop the hidden entries.
                for (_, ord) in added {
                    entries.slots[ord as usize] = None;
                    entries.free.push(ord);
                }
                return Err(error);
            }
        };
        entries.text = view;
        for ord in replaced {
            if let Some(entry) = entries.slots[ord as usize].take() {
                entries.by_id.remove(&entry.service.id);
                entries.free.push(ord);
            }
        }
        for (id, ord) in added {
            if let Some(entry) = entries.slots[ord as usize].as_mut() {
                entry.live = true;
            }
            entries.by_id.insert(id, ord);
        }
        entries.applied = through;
        Ok(())
    }

    /// The services matching `query`, best first; `offset` and `limit`
    /// choose which part of them to return. When `count_needs` is given, how
    /// many would match with each of those needs (all other filters kept).
    pub fn search(
        &self,
        query: &SearchQuery,
        offset: usize,
        limit: usize,
        count_needs: &[Uuid],
    ) -> Result<Found, SearchError> {
        let mut wanted = stems(&query.words);
        wanted.sort_unstable();
        wanted.dedup();
        let entries = self.read();
        let scored = if wanted.is_empty() {
            None
        } else {
            Some(entries.text.matching(&wanted)?)
        };
        let counting = !count_needs.is_empty();
        let mut counts = vec![0usize; if counting { entries.term_ords.len() } else { 0 }];
        let mut matches: Vec<(Hit, u32)> = Vec::new();
        let mut consider = |ord: u32, score: f32| {
            let Some(entry) = entries.live(ord) else {
                return;
            };
            let Some(distance) = query.admits(&entry.service) else {
                return;
            };
            if counting {
                for term in &entry.term_ords {
                    counts[*term as usize] += 1;
                }
            }
            if query.wants_needs_of(&entry.service) {
                matches.push((
                    Hit {
                        id: entry.service.id,
                        score,
                        distance_miles: distance,
                    },
                    ord,
                ));
            }
        };
        match scored {
            Some(list) => list.into_iter().for_each(|(ord, s)| consider(ord, s)),
            None => (0..entries.slots.len() as u32).for_each(|ord| consider(ord, 0.0)),
        }
        let total = matches.len();
        let name = |ord: u32| {
            entries
                .live(ord)
                .map_or("", |entry| entry.service.name.as_str())
        };
        let order =
            |a: &(Hit, u32), b: &(Hit, u32)| rank_order((&a.0, name(a.1)), (&b.0, name(b.1)));
        let end = offset.saturating_add(limit).min(total);
        if end < total && end > 0 {
            // Only the first `end` need ordering. Choose them by score and
            // distance alone (comparing numbers), keeping every match that
            // ties with the last of them; only those ties need names to
            // settle. Single-word searches tie a great deal.
            matches.select_nth_unstable_by(end - 1, |a, b| score_order(&a.0, &b.0));
            let boundary = matches[end - 1].0.clone();
            let mut kept = end;
            for i in end..total {
                if score_order(&matches[i].0, &boundary).is_eq() {
                    matches.swap(kept, i);
                    kept += 1;
                }
            }
            matches.truncate(kept);
            if kept > end {
                matches.select_nth_unstable_by(end - 1, order);
                matches.truncate(end);
            }
        }
        matches.sort_unstable_by(order);
        let hits = matches
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(hit, _)| hit)
            .collect();
        let need_counts = count_needs
            .iter()
            .map(|need| {
                let count = entries
                    .term_ords
                    .get(need)
                    .map_or(0, |ord| counts[*ord as usize]);
                (*need, count)
            })
            .collect();
        Ok(Found {
            total,
            hits,
            need_counts,
        })
    }
}
