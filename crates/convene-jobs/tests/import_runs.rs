//! Import runs against a small feed served on 127.0.0.1: a feed that fails
//! part-way changes nothing in the directory and is carried on from what
//! was fetched; runs are claimed by one worker at a time; a full run
//! closes what the feed stopped listing. On both backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, TimeZone, Utc};
use convene_domain::clock::{ManualClock, SharedClock};
use convene_domain::directory::imports::ImportStatus;
use convene_jobs::feed::FetchOptions;
use convene_jobs::import_run::{RunOptions, bookmark_key, execute, work_once};
use convene_store::directory::imports::{self, NewRun};
use convene_store::directory::services;
use convene_store::{Store, instance, store_test};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

fn doc(n: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": format!("Family group {n}"),
        "description": "Open to every family",
        "status": "active",
        "organization": { "id": "10000000-0000-4000-8000-000000000001", "name": "Hub", "description": "A hub" }
    })
}

/// A feed of `docs` whose detail requests fail once more than `allowed`
/// have been answered.
struct Feed {
    url: String,
    details: Arc<AtomicUsize>,
    allowed: Arc<AtomicUsize>,
    docs: Arc<std::sync::Mutex<Vec<Value>>>,
}

async fn serve(docs: Vec<Value>) -> Feed {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/oruk", listener.local_addr().unwrap());
    let details = Arc::new(AtomicUsize::new(0));
    let allowed = Arc::new(AtomicUsize::new(usize::MAX));
    let docs = Arc::new(std::sync::Mutex::new(docs));
    let (d, a, list) = (details.clone(), allowed.clone(), docs.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (d, a, list) = (d.clone(), a.clone(), list.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let Ok(n) = socket.read(&mut buffer).await else {
                    return;
                };
                let request = String::from_utf8_lossy(&buffer[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
                let docs = list.lock().unwrap().clone();
                let (status, body) = answer(&path, &docs, &d, &a);
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    Feed {
        url,
        details,
        allowed,
        docs,
    }
}

fn answer(
    path: &str,
    docs: &[Value],
    details: &AtomicUsize,
    allowed: &AtomicUsize,
) -> (&'static str, String) {
    if let Some(query) = path.strip_prefix("/oruk/services?") {
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse::<usize>().ok())
        };
        let (page, per_page) = (param("page").unwrap_or(1), param("per_page").unwrap_or(50));
        let items: Vec<Value> = docs
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|d| json!({ "id": d["id"] }))
            .collect();
        let total_pages = docs.len().div_ceil(per_page).max(1);
        let body = json!({ "contents": items, "page_number": page, "total_pages": total_pages,
                           "last_page": page >= total_pages });
        return ("200 OK", body.to_string());
    }
    if let Some(id) = path.strip_prefix("/oruk/services/") {
        if details.fetch_add(1, Ordering::SeqCst) >= allowed.load(Ordering::SeqCst) {
            return ("503 Service Unavailable", "{}".into());
        }
        if let Some(found) = docs.iter().find(|d| d["id"] == id) {
            return ("200 OK", found.to_string());
        }
    }
    ("404 Not Found", "{}".into())
}

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ))
}

fn options() -> RunOptions {
    RunOptions {
        fetch: FetchOptions {
            concurrency: 4,
            per_page: 7,
            timeout: std::time::Duration::from_secs(5),
            ..Default::default()
        },
        lease: Duration::minutes(10),
    }
}

async fn queue(store: &Store, feed: &Feed, full: bool) -> Uuid {
    let new = NewRun {
        id: Uuid::now_v7(),
        source: feed.url.clone(),
        full,
        requested_by: None,
        modified_after: None,
    };
    imports::create(store.conn(), &new, clock().now())
        .await
        .unwrap()
        .id
}

store_test!(
    a_feed_that_fails_part_way_is_carried_on_later,
    |store| async move {
        let feed = serve((0..450).map(doc).collect()).await;
        feed.allowed.store(230, Ordering::SeqCst);
        let id = queue(&store, &feed, false).await;

        let failed = work_once(&store, &clock(), &options())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.id, id);
        assert_eq!(failed.status, ImportStatus::Failed);
        assert!(
            failed.message.as_deref().unwrap_or("").contains("503"),
            "{failed:?}"
        );
        assert_eq!(failed.total, 450);
        // Fetched in batches of 200: the first batch is kept, the second failed.
        assert_eq!(failed.fetched, 200);
        assert_eq!(
            services::count(store.conn()).await.unwrap(),
            0,
            "nothing stored yet"
        );
        // Nothing more to do until someone asks again.
        assert!(
            work_once(&store, &clock(), &options())
                .await
                .unwrap()
                .is_none()
        );

        // Requests of the failed batch still in flight when it failed are
        // abandoned, but may reach the server a moment later: let them land
        // before counting.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        feed.allowed.store(usize::MAX, Ordering::SeqCst);
        let asked_before = feed.details.load(Ordering::SeqCst);
        assert!(imports::requeue(store.conn(), id).await.unwrap());
        let done = work_once(&store, &clock(), &options())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, ImportStatus::Finished, "{done:?}");
        assert_eq!(
            feed.details.load(Ordering::SeqCst) - asked_before,
            250,
            "only what was not fetched before is fetched again"
        );
        assert_eq!(
            (done.created, done.stored, done.percent_done()),
            (450, 450, 100)
        );
        assert_eq!(services::count(store.conn()).await.unwrap(), 450);
        assert!(
            imports::unfetched(store.conn(), id, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            imports::staged(store.conn(), id, 0, 10)
                .await
                .unwrap()
                .is_empty(),
            "staging cleared"
        );
        assert!(
            instance::fact(store.conn(), &bookmark_key(&feed.url))
                .await
                .unwrap()
                .is_some(),
            "the next import asks only for changes"
        );
    }
);

store_test!(
    a_run_is_claimed_once_and_taken_up_again_when_its_worker_stops,
    |store| async move {
        let feed = serve((0..3).map(doc).collect()).await;
        let id = queue(&store, &feed, false).await;
        let now = clock().now();
        let lease = Duration::minutes(10);
        let first = imports::claim(store.conn(), None, now, lease)
            .await
            .unwrap();
        assert_eq!(
            first.map(|r| (r.id, r.status)),
            Some((id, ImportStatus::Fetching))
        );
        assert!(
            imports::claim(store.conn(), None, now, lease)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            imports::claim(store.conn(), Some(id), now + Duration::minutes(9), lease)
                .await
                .unwrap()
                .is_none()
        );
        // Its worker stopped renewing it: another takes it and finishes it.
        let again = imports::claim(store.conn(), None, now + Duration::minutes(11), lease)
            .await
            .unwrap()
            .expect("a lapsed lease is claimable");
        let done = execute(&store, &clock(), again, &options(), &|_| {})
            .await
            .unwrap();
        assert_eq!((done.status, done.created), (ImportStatus::Finished, 3));
        assert!(
            imports::claim(store.conn(), None, now + Duration::hours(1), lease)
                .await
                .unwrap()
                .is_none()
        );
    }
);

store_test!(
    a_full_run_closes_what_the_feed_no_longer_lists_and_a_repeat_changes_nothing,
    |store| async move {
        let feed = serve((0..20).map(doc).collect()).await;
        queue(&store, &feed, true).await;
        let first = work_once(&store, &clock(), &options())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first.created, first.closed), (20, 0));

        feed.docs.lock().unwrap().truncate(18);
        queue(&store, &feed, true).await;
        let second = work_once(&store, &clock(), &options())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (second.created, second.unchanged, second.closed),
            (0, 18, 2)
        );
        let filter = services::ServiceFilter {
            active_only: true,
            ..Default::default()
        };
        let (_, active) = services::page(store.conn(), &filter, 1, 100).await.unwrap();
        assert_eq!(active, 18, "closed services leave the public listing");
    }
);

store_test!(
    bad_records_are_listed_with_the_run_and_the_rest_stored,
    |store| async move {
        let mut docs: Vec<Value> = (0..5).map(doc).collect();
        docs[2]["name"] = json!("");
        let feed = serve(docs).await;
        queue(&store, &feed, false).await;
        let run = work_once(&store, &clock(), &options())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(run.status, ImportStatus::Finished);
        assert_eq!((run.created, run.problems.refused_count), (4, 1));
        assert_eq!(run.problems.refused[0].field, "name");
        assert!(
            instance::fact(store.conn(), &bookmark_key(&feed.url))
                .await
                .unwrap()
                .is_none(),
            "a run with refused records is tried in full next time"
        );
    }
);
