//! A 100 MiB upload keeps memory flat: chunks are streamed to disk, never buffered whole.
//! (Its own test binary, so no other test's allocations blur the peak-memory reading.)

mod common;

use std::io::{Read, Seek, SeekFrom, Write};

use common::{portal_with, sha256_hex};
use sha2::{Digest, Sha256};
use tokio_util::io::ReaderStream;

const MIB: u64 = 1024 * 1024;

/// Peak resident memory of this process since the last reset, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Hex sha256 of `len` bytes of `file` from `offset`, read in small pieces.
fn sha_of_range(file: &mut std::fs::File, offset: u64, len: u64) -> String {
    file.seek(SeekFrom::Start(offset)).unwrap();
    let mut hasher = Sha256::new();
    let mut left = len;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let n = (left as usize).min(buf.len());
        file.read_exact(&mut buf[..n]).unwrap();
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    hex::encode(hasher.finalize())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_upload_keeps_memory_flat() {
    let p = portal_with(|c| c.max_package_size = 128 * MIB).await;
    let demo = p.login("demo", "demo").await;
    let app = p.app_id(&demo, "Hello MiniApp").await;

    // A 100 MiB package, written to disk piece by piece.
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("big.zip");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        zip.start_file("index.html", opts).unwrap();
        zip.write_all(b"<html></html>").unwrap();
        zip.start_file("assets/blob.bin", opts).unwrap();
        let block: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
        for _ in 0..100 {
            zip.write_all(&block).unwrap();
        }
        zip.finish().unwrap().flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 100 * MIB);
    let mut file = std::fs::File::open(&path).unwrap();
    let sha = sha_of_range(&mut file, 0, size);

    let upload = p
        .post(
            &demo,
            &format!("/api/v1/apps/{app}/uploads"),
            serde_json::json!({"version": "1.0.0", "size": size, "sha256": sha}),
        )
        .await
        .ok();
    let id = upload["id"].as_str().unwrap().to_string();
    let chunk = upload["maxChunkSize"].as_u64().unwrap();
    assert_eq!(chunk, 16 * MIB);

    let measured = reset_peak_rss();
    let before = peak_rss().unwrap_or(0);
    let mut offset = 0;
    while offset < size {
        let len = chunk.min(size - offset);
        let chunk_sha = sha_of_range(&mut file, offset, len);
        // Streamed from the file on the client side too, so the reading is the portal's.
        let mut reader = tokio::fs::File::open(&path).await.unwrap();
        tokio::io::AsyncSeekExt::seek(&mut reader, SeekFrom::Start(offset))
            .await
            .unwrap();
        let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(
            tokio::io::AsyncReadExt::take(reader, len),
            64 * 1024,
        ));
        let resp = p
            .http
            .put(p.url(&format!("/api/v1/uploads/{id}/chunks/{offset}")))
            .bearer_auth(&demo)
            .header("X-Chunk-Sha256", chunk_sha)
            .header("Content-Length", len)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        offset += len;
    }
    let version = p.complete(&demo, &id).await.ok();
    assert_eq!(version["sha256"], sha.as_str());
    assert_eq!(version["size"], size);
    let after = peak_rss().unwrap_or(0);
    let growth = after.saturating_sub(before);
    eprintln!(
        "peak RSS before {} MiB, after {} MiB, growth {} MiB (reset worked: {measured})",
        before / MIB,
        after / MIB,
        growth / MIB
    );
    if measured {
        // One buffered chunk alone would be 16 MiB.
        assert!(
            growth < 12 * MIB,
            "memory grew by {} MiB while uploading 100 MiB",
            growth / MIB
        );
    }

    // The stored package is the uploaded one.
    let stored = p
        .dir
        .path()
        .join("packages")
        .join(&sha[..2])
        .join(format!("{sha}.zip"));
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    let _ = sha256_hex(b"");
}
