//! `S3Storage` against a real S3-compatible server on loopback: moto's server (PyPI
//! `moto[server]`), started here. CI installs it; without it the tests fail unless skipping is
//! allowed (`BROADSHEET_ALLOW_SKIP=1`).

use broadsheet_media::testing::{config, moto};
use broadsheet_media::{MediaStorage, S3Config, S3Storage, StorageError};
use bytes::Bytes;

#[tokio::test]
async fn media_round_trips_through_an_s3_bucket() {
    let Some(moto) = moto("S3 media storage") else {
        return;
    };
    let store = S3Storage::new(&config(&moto.endpoint, "media")).expect("configured");
    store.create_bucket().await.expect("bucket");
    store
        .create_bucket()
        .await
        .expect("an existing bucket is fine");
    let path = "uploads/2026/12/harbour-abc123-480.jpg";
    assert!(store.get(path).await.expect("get").is_none());
    store
        .put(
            path,
            Bytes::from_static(b"\xff\xd8jpeg bytes"),
            "image/jpeg",
        )
        .await
        .expect("put");
    let got = store.get(path).await.expect("get").expect("stored");
    assert_eq!(&got.bytes[..], b"\xff\xd8jpeg bytes");
    assert_eq!(got.content_type, "image/jpeg");
    // Replacing is whole.
    store
        .put(path, Bytes::from_static(b"second"), "image/jpeg")
        .await
        .expect("replace");
    assert_eq!(
        &store.get(path).await.expect("get").expect("stored").bytes[..],
        b"second"
    );
    store.delete(path).await.expect("delete");
    assert!(store.get(path).await.expect("get").is_none());
    store.delete(path).await.expect("deleting again is fine");
    for bad in ["../x.jpg", "a//b", ".hidden/x", "a/b c.jpg", ""] {
        assert!(
            matches!(
                store.put(bad, Bytes::new(), "image/jpeg").await,
                Err(StorageError::Path(_))
            ),
            "{bad:?}"
        );
    }
    // A store that is down: a clear error, no hang.
    let down = S3Storage::new(&config("http://127.0.0.1:9", "media")).expect("configured");
    let err = down
        .put(path, Bytes::from_static(b"x"), "image/jpeg")
        .await
        .expect_err("down");
    assert!(err.to_string().contains(path), "{err}");
    // Settings that cannot work are refused up front.
    assert!(
        S3Storage::new(&S3Config {
            bucket: String::new(),
            ..config(&moto.endpoint, "m")
        })
        .is_err()
    );
    assert!(S3Storage::new(&config("not a url", "m")).is_err());
}
