//! Media in an S3-compatible bucket (moto's server on loopback, started here): an upload is
//! stored in the bucket, not the data directory, and `/media/…` serves it from there; a
//! missing file is 404 and a store that is down is 503. CI installs moto; without it the test
//! fails unless skipping is allowed.

use std::sync::Arc;

use broadsheet_core::Role;
use broadsheet_media::testing::{config, moto};
use broadsheet_media::{MediaStorage, S3Storage};
use broadsheet_server::Options;
use http::StatusCode;

use crate::newsroom::{member, photo_jpeg, upload};
use crate::support::Site;

#[tokio::test]
async fn uploads_go_to_the_bucket_and_media_is_served_from_it() {
    let Some(server) = moto("S3 media") else {
        return;
    };
    let storage = S3Storage::new(&config(&server.endpoint, "site-media")).expect("s3");
    storage.create_bucket().await.expect("bucket");
    let storage: Arc<dyn MediaStorage> = Arc::new(storage);
    let site = Site::build_with(
        None,
        false,
        Options {
            media_store: Some(storage.clone()),
            ..Options::default()
        },
    )
    .await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let r = upload(
        &site,
        &editor,
        "harbour.jpg",
        "image/jpeg",
        &photo_jpeg(1200, 800),
        &[
            ("alt", "Cranes"),
            ("caption", "Cranes at dusk"),
            ("photographer", "Lena Marsh"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let library = site.store.media_library(None, 10).await.expect("library");
    let variant = library[0]
        .media
        .variants
        .iter()
        .find(|v| v.format == "jpeg")
        .expect("a JPEG variant")
        .path
        .clone();
    assert!(
        storage.get(&variant).await.expect("get").is_some(),
        "in the bucket"
    );
    let local = site.state.media_dir.join(&variant);
    assert!(!local.exists(), "not in the data directory");
    let served = site.get(&format!("/media/{variant}")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.header("content-type"), "image/jpeg");
    assert!(served.body.starts_with(b"\xff\xd8\xff"), "a JPEG");
    assert_eq!(served.header("cache-control"), "public, max-age=86400");
    assert_eq!(
        site.get("/media/uploads/none.jpg").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get("/media/.hidden/x.jpg").await.status,
        StatusCode::NOT_FOUND
    );
    // The store goes away: 503, not a hang or a 500.
    drop(server);
    let down = site.get(&format!("/media/{variant}")).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
}
