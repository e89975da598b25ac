//! The packer, checked with real ZIP readers: Info-ZIP's `unzip -t`, Python's zipfile and the
//! `zip` crate.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use gopay_miniapp_core::project::build::Build;
use gopay_miniapp_core::project::pack::{
    self, plan, write_archive, write_archive_with, PackError, PackOptions, SecretReason,
    WriterTuning,
};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

fn put(root: &Path, files: &[(&str, &[u8])]) {
    for (path, content) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

/// Deterministic pseudo-random bytes (incompressible).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Compressible text that is not trivially repetitive.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let words = [
        "const ", "return ", "wallet", "(amount)", ";\n", "payment", " = ", "{", "}\n",
    ];
    let mut out = Vec::with_capacity(len);
    let mut i = seed;
    while out.len() < len {
        i = i.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
        out.extend_from_slice(words[(i >> 33) as usize % words.len()].as_bytes());
        if (i >> 20).is_multiple_of(7) {
            out.extend_from_slice((i % 1000).to_string().as_bytes());
        }
    }
    out.truncate(len);
    out
}

/// `unzip -t` (Info-ZIP) must find no error.
fn assert_unzip_tests_ok(archive: &Path) {
    let output = Command::new("/usr/bin/unzip")
        .arg("-t")
        .arg(archive)
        .output()
        .expect("run /usr/bin/unzip");
    assert!(
        output.status.success(),
        "unzip -t failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Python's zipfile: `testzip()` (every CRC) must pass; returns the names in archive order.
fn python_namelist(archive: &Path) -> Vec<String> {
    let output = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, zipfile, sys\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             assert z.testzip() is None\n\
             print(json.dumps(z.namelist()))",
        )
        .arg(archive)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "python zipfile failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every entry through the `zip` crate: name → content.
fn read_all(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(archive).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().to_string(), content)
        })
        .collect()
}

fn names(archive: &Path) -> Vec<String> {
    read_all(archive)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

fn pack_to(options: &PackOptions, out: &Path) -> pack::PackedArchive {
    let plan = plan(options).unwrap_or_else(|e| panic!("{e}"));
    write_archive(&plan, out, |_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn packs_the_output_folder_at_the_archive_root_with_fixed_metadata() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let js = text(200_000, 1);
    let png = noise(50_000, 2);
    put(
        &dist,
        &[
            ("index.html", b"<!doctype html><title>x</title>"),
            ("pages/index/index.js", &js),
            ("images/logo.png", &png),
            ("empty.txt", b""),
            ("fonts/Ünïcode naïve.woff2", b"wOF2 not really"),
            ("a/b/c/d/deep.json", b"{\"deep\": true}"),
            (".well-known/assetlinks.json", b"[]"),
        ],
    );
    fs::set_permissions(dist.join("index.html"), fs::Permissions::from_mode(0o755)).unwrap();
    let out = work.path().join("package.zip");
    let packed = pack_to(&PackOptions::new(&dist), &out);

    let expected_names = vec![
        ".well-known/assetlinks.json",
        "a/b/c/d/deep.json",
        "empty.txt",
        "fonts/Ünïcode naïve.woff2",
        "images/logo.png",
        "index.html",
        "pages/index/index.js",
    ];
    assert_unzip_tests_ok(&out);
    assert_eq!(python_namelist(&out), expected_names);
    assert_eq!(
        packed
            .entries
            .iter()
            .map(|e| e.path.as_str())
            .collect::<Vec<_>>(),
        expected_names
    );

    let bytes = fs::read(&out).unwrap();
    assert_eq!(packed.size, bytes.len() as u64);
    assert_eq!(packed.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );

    let mut zip = zip::ZipArchive::new(fs::File::open(&out).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().to_string();
        let stamp = entry.last_modified().unwrap();
        assert_eq!(
            (
                stamp.year(),
                stamp.month(),
                stamp.day(),
                stamp.hour(),
                stamp.minute()
            ),
            (1980, 1, 1, 0, 0),
            "{name}"
        );
        assert_eq!(entry.unix_mode(), Some(0o100644), "{name}: files are 0644");
        // Already-compressed types are stored; so is anything deflate would not shrink (the
        // tiny files here); the report says which.
        let reported = packed.entries.iter().find(|e| e.path == name).unwrap();
        let expected_method = match name.as_str() {
            "images/logo.png" | "fonts/Ünïcode naïve.woff2" => zip::CompressionMethod::Stored,
            "pages/index/index.js" => zip::CompressionMethod::Deflated,
            _ if reported.stored => zip::CompressionMethod::Stored,
            _ => zip::CompressionMethod::Deflated,
        };
        assert_eq!(entry.compression(), expected_method, "{name}");
        assert_eq!(entry.compressed_size(), reported.compressed_size, "{name}");
        assert_eq!(entry.crc32(), reported.crc32, "{name}");
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert_eq!(content, fs::read(dist.join(&name)).unwrap(), "{name}");
    }
    let js_entry = packed
        .entries
        .iter()
        .find(|e| e.path.ends_with(".js"))
        .unwrap();
    assert!(
        js_entry.compressed_size < js_entry.size / 2,
        "text compresses"
    );
    let png_entry = packed
        .entries
        .iter()
        .find(|e| e.path.ends_with(".png"))
        .unwrap();
    assert!(png_entry.stored && png_entry.compressed_size == png_entry.size);
}

#[test]
fn the_same_files_give_the_same_bytes_wherever_and_whenever_they_are_packed() {
    let work = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..40)
        .map(|i| {
            (
                format!("dir{}/file{i}.js", i % 5),
                text(1000 + i * 997, i as u64),
            )
        })
        .chain([("big.js".to_string(), text(3_000_000, 99))])
        .collect();
    let as_refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let first = work.path().join("first");
    let second = work.path().join("elsewhere/second");
    put(&first, &as_refs);
    // Written in another order, with other modes and times.
    let mut reversed = as_refs.clone();
    reversed.reverse();
    put(&second, &reversed);
    fs::set_permissions(second.join("big.js"), fs::Permissions::from_mode(0o600)).unwrap();

    let a = pack_to(&PackOptions::new(&first), &work.path().join("a.zip"));
    let b = pack_to(&PackOptions::new(&first), &work.path().join("b.zip"));
    let c = pack_to(&PackOptions::new(&second), &work.path().join("c.zip"));
    let bytes_a = fs::read(&a.path).unwrap();
    assert_eq!(bytes_a, fs::read(&b.path).unwrap(), "same folder twice");
    assert_eq!(bytes_a, fs::read(&c.path).unwrap(), "a copy elsewhere");
    assert_eq!(a.sha256, c.sha256);
    // Single-threaded gives the same bytes as parallel: chunking does not depend on workers.
    let one_worker = WriterTuning {
        workers: 1,
        ..WriterTuning::default()
    };
    let plan_a = plan(&PackOptions::new(&first)).unwrap();
    let d =
        write_archive_with(&plan_a, &work.path().join("d.zip"), &one_worker, |_, _| {}).unwrap();
    assert_eq!(bytes_a, fs::read(&d.path).unwrap(), "one worker");
}

#[test]
fn ignore_rules_defaults_and_both_miniappignore_files() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path();
    let dist = project.join("dist");
    put(
        &dist,
        &[
            ("app.js", b"a"),
            ("app.js.map", b"{}"),
            ("vendor.js.map", b"{}"),
            (".DS_Store", b"x"),
            ("img/Thumbs.db", b"x"),
            ("drafts/todo.txt", b"x"),
            ("docs/readme.md", b"x"),
            ("root-only.txt", b"x"),
            ("nested/root-only.txt", b"kept: the pattern is anchored"),
            (".well-known/security.txt", b"hidden files are packed"),
            // A build tool's `.gitignore` of `*` must not empty the package.
            (".gitignore", b"*\n"),
            ("keep.log", b"brought back by the output folder's file"),
            ("debug.log", b"x"),
        ],
    );
    put(
        project,
        &[(
            ".miniappignore",
            b"# project root\n*.md\ndrafts/\n/root-only.txt\n*.log\n",
        )],
    );
    put(&dist, &[(".miniappignore", b"!keep.log\n!vendor.js.map\n")]);

    let mut options = PackOptions::new(&dist);
    options.project_root = Some(project.to_path_buf());
    let planned = plan(&options).unwrap();
    let planned_names: Vec<&str> = planned
        .entries()
        .iter()
        .map(|e| e.archive_path.as_str())
        .collect();
    assert_eq!(
        planned_names,
        vec![
            ".gitignore",
            ".well-known/security.txt",
            "app.js",
            "keep.log",
            "nested/root-only.txt",
            "vendor.js.map",
        ]
    );
    assert_eq!(planned.ignore_files().len(), 2);

    options.include_source_maps = true;
    let with_maps = plan(&options).unwrap();
    assert!(with_maps
        .entries()
        .iter()
        .any(|e| e.archive_path == "app.js.map"));

    // Without the project root, only the output folder's file applies.
    let only_dist = plan(&PackOptions::new(&dist)).unwrap();
    assert!(only_dist
        .entries()
        .iter()
        .any(|e| e.archive_path == "docs/readme.md"));
    assert!(!only_dist
        .entries()
        .iter()
        .any(|e| e.archive_path == "app.js.map"));

    let out = work.path().join("out.zip");
    write_archive(&planned, &out, |_, _| {}).unwrap();
    assert_unzip_tests_ok(&out);
    assert_eq!(python_namelist(&out), planned_names);
}

#[test]
fn a_bad_pattern_in_miniappignore_names_the_file() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[("a.js", b"1"), (".miniappignore", b"ok.txt\n[z-a]\n")],
    );
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(matches!(err, PackError::IgnoreFile { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(".miniappignore"), "{message}");
    assert!(message.contains("line 2: "), "{message}");
    assert!(message.contains("[z-a]"), "{message}");
    assert_eq!(message.matches(".miniappignore").count(), 1, "{message}");
}

#[test]
fn secrets_are_refused_and_every_one_is_named() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[
            ("app.js", b"console.log(1)"),
            (".env", b"API_KEY=1"),
            (".env.production", b"API_KEY=2"),
            ("certs/server.pem", b"x"),
            ("certs/tls.key", b"x"),
            ("deploy/id_rsa", b"x"),
            (".npmrc", b"//registry.npmjs.org/:_authToken=x"),
            (
                "static/config.txt",
                b"settings\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
            ),
            ("static/public.txt", b"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"),
        ],
    );
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    let PackError::SecretsFound { findings, .. } = &err else {
        panic!("expected SecretsFound, got {err:?}");
    };
    let named: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        named,
        vec![
            ".env",
            ".env.production",
            ".npmrc",
            "certs/server.pem",
            "certs/tls.key",
            "deploy/id_rsa",
            "static/config.txt",
        ]
    );
    assert_eq!(
        findings.last().unwrap().reason,
        SecretReason::PrivateKey {
            marker: "-----BEGIN EC PRIVATE KEY-----".into(),
            line: 2
        }
    );
    let message = err.to_string();
    for name in &named {
        assert!(message.contains(name), "{name} missing from: {message}");
    }
    assert!(message.contains(".miniappignore"), "{message}");
    // No front end's flag in core's words: the typed hint carries the way to allow them.
    assert!(!message.contains("--allow-secrets"), "{message}");

    // Allowed explicitly: packed, and still reported for a warning.
    let mut options = PackOptions::new(&dist);
    options.allow_secrets = true;
    let allowed = plan(&options).unwrap();
    assert_eq!(allowed.allowed_secrets().len(), 7);
    assert!(allowed.entries().iter().any(|e| e.archive_path == ".env"));

    // Left out with .miniappignore: no error.
    put(
        &dist,
        &[(
            ".miniappignore",
            b".env*\n.npmrc\ncerts/\ndeploy/\nstatic/config.txt\n",
        )],
    );
    let clean = plan(&PackOptions::new(&dist)).unwrap();
    assert!(clean.allowed_secrets().is_empty());
    let names: Vec<&str> = clean
        .entries()
        .iter()
        .map(|e| e.archive_path.as_str())
        .collect();
    assert_eq!(names, vec!["app.js", "static/public.txt"]);
}

#[test]
fn over_budget_lists_the_largest_files_and_leaves_no_archive() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let files: Vec<(String, Vec<u8>)> = (0..14)
        .map(|i| {
            (
                format!("assets/blob{i:02}.png"),
                noise(10_000 + i * 1_000, i as u64),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    put(&dist, &refs);
    let mut options = PackOptions::new(&dist);
    options.size_budget = Some(100_000);
    let planned = plan(&options).unwrap();
    assert_eq!(planned.largest(2)[0].archive_path, "assets/blob13.png");
    let out = work.path().join("package.zip");
    let err = write_archive(&planned, &out, |_, _| {}).unwrap_err();
    let PackError::OverBudget {
        archive_size,
        budget,
        largest,
    } = &err
    else {
        panic!("expected OverBudget, got {err:?}");
    };
    assert_eq!(*budget, 100_000);
    assert!(*archive_size > 200_000);
    assert_eq!(largest.len(), 10);
    assert_eq!(largest[0].path, "assets/blob13.png");
    assert_eq!(largest[9].path, "assets/blob04.png");
    let message = err.to_string();
    assert!(message.contains("assets/blob13.png"), "{message}");
    assert!(
        !message.contains("assets/blob03.png"),
        "only the 10 largest: {message}"
    );
    assert!(message.contains("KiB"), "{message}");
    assert!(!out.exists(), "an archive over budget is not left behind");
    assert_eq!(
        fs::read_dir(work.path()).unwrap().count(),
        1,
        "no temporary files left"
    );

    options.size_budget = Some(10_000_000);
    let planned = plan(&options).unwrap();
    write_archive(&planned, &out, |_, _| {}).unwrap();
    assert!(out.exists());
}

#[test]
fn symlinks_inside_are_followed_and_escaping_ones_refused() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[("real/data.json", b"{\"x\":1}"), ("index.html", b"<p>")],
    );
    put(work.path(), &[("outside/secret.txt", b"not for upload")]);
    symlink("real/data.json", dist.join("alias.json")).unwrap();
    symlink("real", dist.join("linked-dir")).unwrap();

    let packed = pack_to(&PackOptions::new(&dist), &work.path().join("a.zip"));
    let contents = read_all(&packed.path);
    assert_eq!(
        contents.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec![
            "alias.json",
            "index.html",
            "linked-dir/data.json",
            "real/data.json"
        ]
    );
    assert_eq!(contents[0].1, b"{\"x\":1}");

    symlink("../outside/secret.txt", dist.join("escape.txt")).unwrap();
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(matches!(err, PackError::SymlinkEscapes { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("escape.txt"), "{message}");
    assert!(message.contains("outside"), "{message}");

    fs::remove_file(dist.join("escape.txt")).unwrap();
    symlink(work.path().join("outside"), dist.join("escape-dir")).unwrap();
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(err.to_string().contains("escape-dir"), "{err}");

    // Leaving the link out is the way around it.
    put(&dist, &[(".miniappignore", b"/escape-dir\n")]);
    plan(&PackOptions::new(&dist)).unwrap();

    symlink("does-not-exist.js", dist.join("broken.js")).unwrap();
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(matches!(err, PackError::BrokenSymlink { .. }), "{err:?}");
    assert!(err.to_string().contains("broken.js"), "{err}");
    put(&dist, &[(".miniappignore", b"/escape-dir\n/broken.js\n")]);
    plan(&PackOptions::new(&dist)).unwrap();

    // A link back to a parent would pack the tree forever.
    symlink("..", dist.join("real/up")).unwrap();
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(matches!(err, PackError::SymlinkLoop { .. }), "{err:?}");
    assert!(err.to_string().contains("up"), "{err}");
}

#[test]
fn missing_or_empty_output_folders_name_the_folder_and_the_build_command() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let mut options = PackOptions::new(&dist);
    options.build_command = Some("npm run build".into());

    let err = plan(&options).unwrap_err();
    assert!(matches!(err, PackError::OutputDirMissing { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&dist.display().to_string()) && message.contains("`npm run build`"),
        "{message}"
    );

    fs::create_dir_all(dist.join("empty-subfolder")).unwrap();
    let err = plan(&options).unwrap_err();
    assert!(
        matches!(err, PackError::OutputDirEmpty { ignored: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("`npm run build`"));

    // Only ignored files: still empty, and the message says the rules did it.
    put(&dist, &[(".DS_Store", b"x"), ("main.js.map", b"{}")]);
    let err = plan(&options).unwrap_err();
    assert!(
        matches!(err, PackError::OutputDirEmpty { ignored: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(".miniappignore"), "{err}");

    put(work.path(), &[("file-not-folder", b"x")]);
    let err = plan(&PackOptions::new(work.path().join("file-not-folder"))).unwrap_err();
    assert!(
        matches!(err, PackError::OutputDirNotAFolder { .. }),
        "{err:?}"
    );
}

/// Small chunks and a small spool limit put a few files through every path of the parallel
/// writer (multi-chunk deflate with dictionaries, multi-chunk stored, spooling to a temporary
/// file); forced ZIP64 records must still be read by every reader.
#[test]
fn chunked_spooled_and_zip64_archives_are_read_by_every_reader() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let big_text = text(1_500_000, 7);
    let random_deflated = noise(300_000, 8);
    let random_stored = noise(250_000, 9);
    put(
        &dist,
        &[
            ("bundle.js", &big_text),
            ("blob.bin", &random_deflated),
            ("photo.jpg", &random_stored),
            ("small.css", b"a{b:c}"),
            ("empty", b""),
        ],
    );
    let planned = plan(&PackOptions::new(&dist)).unwrap();
    for force_zip64 in [false, true] {
        let tuning = WriterTuning {
            chunk_size: 64 * 1024,
            spool_in_memory_max: 200 * 1024,
            in_flight_bytes: 256 * 1024,
            force_zip64,
            ..WriterTuning::default()
        };
        let out = work.path().join(format!("chunked-{force_zip64}.zip"));
        let packed = write_archive_with(&planned, &out, &tuning, |_, _| {}).unwrap();
        assert_unzip_tests_ok(&out);
        assert_eq!(
            python_namelist(&out),
            vec!["blob.bin", "bundle.js", "empty", "photo.jpg", "small.css"]
        );
        for (name, content) in read_all(&out) {
            assert_eq!(content, fs::read(dist.join(&name)).unwrap(), "{name}");
        }
        let bundle = packed
            .entries
            .iter()
            .find(|e| e.path == "bundle.js")
            .unwrap();
        assert!(bundle.compressed_size < bundle.size / 2);
        // The chunked stream compresses nearly as well as one stream because every chunk is
        // primed with the 32 KiB before it (without that, this input comes out ~1.5 % larger).
        let whole = {
            let mut encoder = flate2::write::DeflateEncoder::new(
                Vec::new(),
                flate2::Compression::new(pack::DEFAULT_DEFLATE_LEVEL),
            );
            std::io::Write::write_all(&mut encoder, &big_text).unwrap();
            encoder.finish().unwrap().len() as u64
        };
        assert!(
            bundle.compressed_size * 1000 <= whole * 1005,
            "chunked {} vs whole {whole}",
            bundle.compressed_size
        );
    }
}

#[test]
fn an_incompressible_file_of_a_deflated_type_is_stored() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[
            ("data.bin", &noise(20_000, 3)),
            ("text.txt", &text(20_000, 3)),
        ],
    );
    let packed = pack_to(&PackOptions::new(&dist), &work.path().join("p.zip"));
    let bin = &packed.entries[0];
    assert!(bin.stored && bin.compressed_size == bin.size, "{bin:?}");
    assert!(!packed.entries[1].stored);
    assert_unzip_tests_ok(&packed.path);
}

#[test]
fn more_than_65535_entries_use_zip64_end_records() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    const COUNT: usize = 66_000;
    for dir in 0..66 {
        let folder = dist.join(format!("d{dir:02}"));
        fs::create_dir_all(&folder).unwrap();
        for file in 0..COUNT / 66 {
            fs::write(
                folder.join(format!("f{file:04}.txt")),
                format!("{dir}/{file}"),
            )
            .unwrap();
        }
    }
    let packed = pack_to(&PackOptions::new(&dist), &work.path().join("many.zip"));
    assert_eq!(packed.entries.len(), COUNT);
    assert_unzip_tests_ok(&packed.path);
    let names = python_namelist(&packed.path);
    assert_eq!(names.len(), COUNT);
    assert_eq!(names[COUNT - 1], "d65/f0999.txt");
    let bytes = fs::read(&packed.path).unwrap();
    // The ZIP64 end-of-central-directory record's signature.
    assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x06]));
}

#[test]
fn progress_goes_up_to_the_total() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[
            ("a.js", &text(5000, 1)),
            ("b.js", &text(7000, 2)),
            ("c.png", &noise(3000, 3)),
        ],
    );
    let planned = plan(&PackOptions::new(&dist)).unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    write_archive(&planned, &work.path().join("p.zip"), |done, total| {
        seen.borrow_mut().push((done, total))
    })
    .unwrap();
    let seen = seen.into_inner();
    assert_eq!(seen, vec![(5000, 15000), (12000, 15000), (15000, 15000)]);
}

#[test]
fn files_changed_after_planning_are_reported_not_packed() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(&dist, &[("grows.js", &text(1000, 1)), ("other.js", b"x")]);
    let planned = plan(&PackOptions::new(&dist)).unwrap();
    put(&dist, &[("grows.js", &text(2000, 1))]);
    let err = write_archive(&planned, &work.path().join("p.zip"), |_, _| {}).unwrap_err();
    assert!(matches!(err, PackError::FileChanged { .. }), "{err:?}");
    assert!(err.to_string().contains("grows.js"));
    put(&dist, &[("grows.js", b"short")]);
    let err = write_archive(&planned, &work.path().join("p.zip"), |_, _| {}).unwrap_err();
    assert!(matches!(err, PackError::FileChanged { .. }), "{err:?}");
    assert!(!work.path().join("p.zip").exists());
}

#[test]
fn the_archive_may_not_be_written_into_the_output_folder() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(&dist, &[("a.js", b"1")]);
    let planned = plan(&PackOptions::new(&dist)).unwrap();
    let err = write_archive(&planned, &dist.join("package.zip"), |_, _| {}).unwrap_err();
    assert!(
        matches!(err, PackError::ArchiveInsideOutputDir { .. }),
        "{err:?}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        if name == "node_modules" || name == "dist" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example MiniApp end to end: its real `npm run build`, then the package, whose content
/// the example's README promises.
#[tokio::test]
async fn the_hello_miniapp_example_builds_and_packs() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("hello-miniapp");
    copy_tree(&repository_root().join("examples/hello-miniapp"), &project);
    let mut lines = Vec::new();
    Build::new("npm run build", &project)
        .run(&CancellationToken::new(), |_, line| {
            lines.push(line.to_string())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        lines.iter().any(|l| l.starts_with("built dist/")),
        "{lines:?}"
    );

    let mut options = PackOptions::new(project.join("dist"));
    options.project_root = Some(project.clone());
    let packed = pack_to(&options, &work.path().join("hello.zip"));
    assert_unzip_tests_ok(&packed.path);
    let expected = vec![
        "app.json",
        "images/logo.png",
        "index.html",
        "pages/index/index.css",
        "pages/index/index.js",
        "pages/index/index.json",
    ];
    assert_eq!(python_namelist(&packed.path), expected);
    let readme =
        fs::read_to_string(repository_root().join("examples/hello-miniapp/README.md")).unwrap();
    assert!(
        readme.contains(&expected.join("\n")),
        "the README lists the package content"
    );

    let contents = read_all(&packed.path);
    let app_json: serde_json::Value = serde_json::from_slice(&contents[0].1).unwrap();
    assert_eq!(app_json["pages"], serde_json::json!(["pages/index/index"]));
    let js = String::from_utf8(contents[4].1.clone()).unwrap();
    assert!(!js.contains("// "), "comments are stripped: {js}");
    assert!(
        js.contains("\"https://example.com/help/*faq*/\""),
        "strings are kept: {js}"
    );
    assert!(names(&packed.path).iter().all(|n| !n.ends_with(".md")));
}

#[test]
fn the_output_folder_must_be_inside_the_project_and_not_the_project_itself() {
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("p");
    let home_copy = work.path().join("home");
    put(&project, &[("dist/index.html", b"<p>"), ("src/a.js", b"1")]);
    put(&home_copy, &[("credentials.json", b"{}")]);
    fs::create_dir(project.join(".git")).unwrap();
    let with_root = |dir: PathBuf| {
        let mut options = PackOptions::new(dir);
        options.project_root = Some(project.clone());
        options
    };
    // Inside: fine.
    assert!(plan(&with_root(project.join("dist"))).is_ok());
    // `.` (with .git/ in it) is the project itself.
    let err = plan(&with_root(project.join("."))).expect_err("`.` is refused");
    assert!(
        err.to_string().contains("is the project folder itself"),
        "{err}"
    );
    // `..`, an absolute path elsewhere (a copy of the tool's home).
    for outside in [project.join(".."), home_copy.clone()] {
        let err = plan(&with_root(outside.clone())).expect_err("outside is refused");
        assert!(
            err.to_string().contains("outside the project"),
            "{}: {err}",
            outside.display()
        );
    }
    // A `dist` that is a symlink out of the project.
    fs::remove_dir_all(project.join("dist")).unwrap();
    symlink(&home_copy, project.join("dist")).unwrap();
    let err = plan(&with_root(project.join("dist"))).expect_err("a linked dist is refused");
    assert!(err.to_string().contains("outside the project"), "{err}");
}

/// Each widened rule of the secret scan, through `plan` (the unit tests in rules.rs go rule by
/// rule): names in any case, folders, token formats, secret assignments.
#[test]
fn the_secret_scan_finds_each_kind_of_secret() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let body36 = "a".repeat(18) + &"B7".repeat(9);
    let github = format!("const t = 'ghp_{body36}';\n");
    let files: Vec<(&str, Vec<u8>)> = vec![
        (".ENV", b"A=1\n".to_vec()),
        ("server.PEM", b"x".to_vec()),
        ("credentials.json", b"{}".to_vec()),
        (".netrc", b"machine x".to_vec()),
        (".htpasswd", b"u:x".to_vec()),
        ("release.keystore", b"x".to_vec()),
        (".git/config", b"[core]".to_vec()),
        (".ssh/known_hosts", b"x".to_vec()),
        ("aws.js", b"const k = 'AKIAIOSFODNN7EXAMPLE';\n".to_vec()),
        ("gh.js", github.into_bytes()),
        (
            "ci.js",
            b"x = 'gpm_pat_AaF7d1XBHs7Gnrxw6db7um6WnW0k';\n".to_vec(),
        ),
        (
            "config.txt",
            b"# app\nJWT_SECRET=change-me-please\n".to_vec(),
        ),
        ("index.html", b"<p>fine</p>".to_vec()),
    ];
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    put(&dist, &borrowed);
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    let PackError::SecretsFound { findings, .. } = &err else {
        panic!("{err}");
    };
    let mut found: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    found.sort();
    let mut expected: Vec<&str> = files
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "index.html")
        .collect();
    expected.sort();
    assert_eq!(found, expected, "{err}");
}

/// Issue #20 item 22: a file name the portals refuse (a backslash, a `:`, a control
/// character, two names that differ only by case) is refused by `plan`, naming the file,
/// before anything is read, built into a ZIP or uploaded.
#[test]
fn names_the_portals_refuse_are_refused_by_plan() {
    use gopay_miniapp_guard::entries::EntryError;
    type Expected = fn(&EntryError) -> bool;
    let cases: &[(&str, Expected)] = &[
        ("pages\\index.js", |e| {
            matches!(e, EntryError::Backslash { .. })
        }),
        ("notes:v2.txt", |e| matches!(e, EntryError::Colon { .. })),
        ("tab\there.js", |e| {
            matches!(e, EntryError::ControlCharacter { .. })
        }),
    ];
    for (name, expected) in cases {
        let work = tempfile::tempdir().unwrap();
        let dist = work.path().join("dist");
        put(&dist, &[("index.html", b"<html></html>"), (name, b"x")]);
        let err = plan(&PackOptions::new(&dist)).unwrap_err();
        let PackError::Entry { path, source } = &err else {
            panic!("{name}: {err:?}");
        };
        assert!(expected(source), "{name}: {source:?}");
        assert_eq!(path, &dist.join(name));
        assert!(!err.to_string().chars().any(char::is_control), "{err}");
    }
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(
        &dist,
        &[("index.html", b"x"), ("Logo.png", b"a"), ("logo.png", b"b")],
    );
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    assert!(
        matches!(
            &err,
            PackError::Entry {
                source: EntryError::Duplicate { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

/// Issue #20 item 10: a 2 GiB sparse file is refused by its size before it is read (plan
/// reads nothing of it but the secret scan's first MiB, which comes after this check),
/// naming the file and the limit.
#[test]
fn a_file_over_the_unpacked_limit_is_refused_before_it_is_read() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(&dist, &[("index.html", b"<html></html>")]);
    let sparse = fs::File::create(dist.join("huge.bin")).unwrap();
    sparse.set_len(2 << 30).unwrap();
    let err = plan(&PackOptions::new(&dist)).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            &err,
            PackError::Entry {
                source: gopay_miniapp_guard::entries::EntryError::ExpandedTooLarge { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        message.contains("huge.bin") && message.contains("256.0 MiB"),
        "{message}"
    );
    assert!(err.is_size());
}

/// The ratio rule on the packing side: 40 MiB of zeros packs to about 40 KiB, which the
/// portals would refuse as a bomb; `pack` refuses it first and leaves no archive behind.
#[test]
fn a_package_over_the_ratio_is_refused_and_not_written() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    put(&dist, &[("index.html", b"<html></html>")]);
    fs::write(dist.join("zeros.bin"), vec![0u8; 40 << 20]).unwrap();
    let out = work.path().join("out.zip");
    let plan = plan(&PackOptions::new(&dist)).unwrap();
    let err = write_archive(&plan, &out, |_, _| {}).unwrap_err();
    assert!(
        matches!(
            &err,
            PackError::Entry {
                source: gopay_miniapp_guard::entries::EntryError::RatioTooHigh { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!out.exists());
}
