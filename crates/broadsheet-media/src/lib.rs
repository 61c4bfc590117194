//! Uploaded photos: checked, decoded with limits, turned upright, stripped of metadata and
//! resized into the variants pages serve (`process`), and the one storage interface media is
//! written through (`MediaStorage`; `LocalDir` by default, `S3Storage` for any S3-compatible service).
//!
//! Nothing of the uploaded file is kept as it was: every stored file is re-encoded from
//! decoded pixels, so EXIF (location included), XMP and comments never reach the site.

mod process;
mod s3;
mod storage;
pub mod testing;

pub use process::{
    Format, Limits, MAX_SIDE, ProcessError, Processed, Variant, WIDTHS, claimed_pixels, process,
    sniff,
};
pub use s3::{S3Config, S3Storage};
pub use storage::{LocalDir, MediaStorage, StorageError, Stored, content_type_of};
