//! The parallel archive writer: workers read and compress chunks, one writer assembles entries
//! in order (see the parent module's doc for the design).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use flate2::{Compress, Compression, FlushCompress, Status};

use super::zip_format::{ZipWriter, METHOD_DEFLATED, METHOD_STORED};
use super::{
    EntryCompression, FileSize, PackError, PackPlan, PackedArchive, PackedEntry, IN_FLIGHT_BYTES,
    LARGEST_FILES_LISTED, SPOOL_IN_MEMORY_MAX,
};

/// The deflate level publish uses. Measured on the benchmark tree (docs/benchmarks.md): level 5
/// makes text 0.5 % larger than level 6 (the archive is still smaller than Info-ZIP's `-6`, whose
/// files carry extra headers and folder entries) and compresses about 1.5 times as fast, which
/// keeps packing well under a quarter of Info-ZIP's time on two cores; level 6 sat right at it.
pub const DEFAULT_DEFLATE_LEVEL: u32 = 5;

/// Deflate's window: a chunk after the first is primed with this much of what precedes it.
const DEFLATE_WINDOW: usize = 32 * 1024;

/// Knobs of the writer. The defaults are what publish uses; tests shrink them to exercise the
/// multi-chunk, spooling and ZIP64 paths on small inputs.
#[derive(Debug, Clone)]
pub struct WriterTuning {
    /// Files larger than this are compressed as several chunks in parallel.
    pub chunk_size: usize,
    /// Compression threads; 0 = one per available core.
    pub workers: usize,
    /// See [`IN_FLIGHT_BYTES`].
    pub in_flight_bytes: u64,
    /// See [`SPOOL_IN_MEMORY_MAX`].
    pub spool_in_memory_max: u64,
    /// Deflate level (0-9); see [`DEFAULT_DEFLATE_LEVEL`].
    pub level: u32,
    /// Write ZIP64 records even where they are not needed (tests).
    pub force_zip64: bool,
}

impl Default for WriterTuning {
    fn default() -> Self {
        Self {
            chunk_size: 1024 * 1024,
            workers: 0,
            in_flight_bytes: IN_FLIGHT_BYTES,
            spool_in_memory_max: SPOOL_IN_MEMORY_MAX,
            level: DEFAULT_DEFLATE_LEVEL,
            force_zip64: false,
        }
    }
}

/// Writes the archive for `plan` to `out_path` and checks the size budget. `progress` is called
/// with (uncompressed bytes done, total) after each entry, on the calling thread.
pub fn write_archive(
    plan: &PackPlan,
    out_path: &Path,
    progress: impl Fn(u64, u64),
) -> Result<PackedArchive, PackError> {
    write_archive_with(plan, out_path, &WriterTuning::default(), progress)
}

/// One unit of work: a byte range of one planned file.
#[derive(Debug, Clone, Copy)]
struct Job {
    entry: usize,
    offset: u64,
    len: usize,
    first: bool,
    last: bool,
}

/// A compressed (or stored) chunk.
struct ChunkOutput {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
    /// Only for single-chunk entries: deflate did not make it smaller, so `data` is raw.
    stored_instead: bool,
}

/// [`write_archive`] with explicit knobs.
pub fn write_archive_with(
    plan: &PackPlan,
    out_path: &Path,
    tuning: &WriterTuning,
    progress: impl Fn(u64, u64),
) -> Result<PackedArchive, PackError> {
    let write_error = |source: io::Error| PackError::Write {
        path: out_path.to_path_buf(),
        source,
    };
    let out_dir = match out_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let (Ok(out_dir), Ok(output_dir)) = (
        std::fs::canonicalize(&out_dir),
        std::fs::canonicalize(plan.output_dir()),
    ) {
        if out_dir.starts_with(&output_dir) {
            return Err(PackError::ArchiveInsideOutputDir {
                archive: out_path.to_path_buf(),
                dir: plan.output_dir().to_path_buf(),
            });
        }
    }

    let jobs = make_jobs(plan, tuning.chunk_size.max(DEFLATE_WINDOW));
    let workers = match tuning.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(jobs.len().max(1));
    // prefix[i] = input bytes of jobs before i: the in-flight window is measured with it.
    let mut prefix = Vec::with_capacity(jobs.len() + 1);
    prefix.push(0u64);
    for job in &jobs {
        prefix.push(prefix.last().unwrap() + job.len as u64);
    }
    let schedule = Schedule {
        state: Mutex::new(ScheduleState {
            next_job: 0,
            writer_position: 0,
            abort: false,
        }),
        changed: Condvar::new(),
        prefix,
        in_flight_bytes: tuning.in_flight_bytes,
        min_jobs_ahead: 2 * workers,
    };

    // Written under a temporary name and renamed when complete, so a failure never leaves a
    // half archive under the final name.
    let file_name = out_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "package.zip".to_string());
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        .tempfile_in(&out_dir)
        .map_err(write_error)?;
    let output =
        BufWriter::with_capacity(512 * 1024, temp.as_file().try_clone().map_err(write_error)?);
    let mut zip = ZipWriter::new(output, tuning.force_zip64);

    let (sender, receiver) = mpsc::channel::<(usize, Result<ChunkOutput, PackError>)>();
    let assembled = std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (jobs, schedule) = (&jobs, &schedule);
            scope.spawn(move || compress_jobs(plan, jobs, schedule, tuning.level, sender));
        }
        drop(sender);
        let result = assemble(
            plan,
            &jobs,
            &schedule,
            &receiver,
            &mut zip,
            &out_dir,
            tuning.spool_in_memory_max,
            &progress,
            out_path,
        );
        // Whatever happened, let the workers go.
        schedule.abort();
        result
    });
    let entries = assembled?;
    let finished = zip.finish().map_err(write_error)?;
    drop(
        finished
            .out
            .into_inner()
            .map_err(|err| write_error(err.into_error()))?,
    );

    // The portals' ratio rule, now that the archive's size is known.
    gopay_miniapp_guard::entries::check_ratio(
        plan.total_size(),
        finished.size,
        &super::entry_limits(plan.size_budget()),
    )
    .map_err(|source| PackError::Entry {
        path: plan.output_dir().to_path_buf(),
        source,
    })?;
    if let Some(budget) = plan.size_budget() {
        if finished.size > budget {
            let mut largest: Vec<FileSize> = entries
                .iter()
                .map(|e| FileSize {
                    path: e.path.clone(),
                    size: e.size,
                    compressed_size: e.compressed_size,
                })
                .collect();
            largest.sort_by(|a, b| {
                b.compressed_size
                    .cmp(&a.compressed_size)
                    .then(a.path.cmp(&b.path))
            });
            largest.truncate(LARGEST_FILES_LISTED);
            // `temp` is deleted when dropped here.
            return Err(PackError::OverBudget {
                archive_size: finished.size,
                budget,
                largest,
            });
        }
    }
    // The temporary file was created 0600; the archive is not a secret and other tools (a CI
    // artifact upload, a web server) may need to read it.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(write_error)?;
    temp.persist(out_path)
        .map_err(|err| write_error(err.error))?;
    Ok(PackedArchive {
        path: out_path.to_path_buf(),
        size: finished.size,
        sha256: hex::encode(finished.sha256),
        entries,
    })
}

fn make_jobs(plan: &PackPlan, chunk_size: usize) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(plan.entries().len());
    for (index, entry) in plan.entries().iter().enumerate() {
        let chunks = entry.size.div_ceil(chunk_size as u64).max(1);
        for chunk in 0..chunks {
            let offset = chunk * chunk_size as u64;
            jobs.push(Job {
                entry: index,
                offset,
                len: (entry.size - offset).min(chunk_size as u64) as usize,
                first: chunk == 0,
                last: chunk + 1 == chunks,
            });
        }
    }
    jobs
}

struct ScheduleState {
    next_job: usize,
    /// Jobs before this one have been taken over by the writer.
    writer_position: usize,
    abort: bool,
}

/// Hands out jobs in order, never more than the in-flight window ahead of the writer.
struct Schedule {
    state: Mutex<ScheduleState>,
    changed: Condvar,
    prefix: Vec<u64>,
    in_flight_bytes: u64,
    /// Always allow this many jobs ahead, so that many small files keep every worker busy.
    min_jobs_ahead: usize,
}

impl Schedule {
    fn take(&self, job_count: usize) -> Option<usize> {
        let mut state = self.state.lock().unwrap();
        loop {
            if state.abort || state.next_job >= job_count {
                return None;
            }
            let candidate = state.next_job;
            let ahead_bytes = self.prefix[candidate + 1] - self.prefix[state.writer_position];
            if candidate < state.writer_position + self.min_jobs_ahead
                || ahead_bytes <= self.in_flight_bytes
            {
                state.next_job += 1;
                return Some(candidate);
            }
            state = self.changed.wait(state).unwrap();
        }
    }

    fn advance(&self, writer_position: usize) {
        self.state.lock().unwrap().writer_position = writer_position;
        self.changed.notify_all();
    }

    fn abort(&self) {
        self.state.lock().unwrap().abort = true;
        self.changed.notify_all();
    }
}

fn compress_jobs(
    plan: &PackPlan,
    jobs: &[Job],
    schedule: &Schedule,
    level: u32,
    results: mpsc::Sender<(usize, Result<ChunkOutput, PackError>)>,
) {
    // One compressor per worker, reset per chunk: allocating zlib state per file would cost
    // more than compressing a small file.
    let mut compressor = Compress::new(Compression::new(level), false);
    while let Some(index) = schedule.take(jobs.len()) {
        let result = compress_job(plan, &jobs[index], &mut compressor);
        let failed = result.is_err();
        if results.send((index, result)).is_err() || failed {
            // The writer is gone or will stop at this error: stop taking work.
            schedule.abort();
            return;
        }
    }
}

fn compress_job(
    plan: &PackPlan,
    job: &Job,
    compressor: &mut Compress,
) -> Result<ChunkOutput, PackError> {
    let entry = &plan.entries()[job.entry];
    let read_error = |source: io::Error| PackError::Read {
        path: entry.source.clone(),
        source,
    };
    let changed = || PackError::FileChanged {
        path: entry.source.clone(),
        expected: entry.size,
    };
    let deflate = entry.compression == EntryCompression::Deflated;
    let mut file = File::open(&entry.source).map_err(read_error)?;
    // A deflated chunk after the first also reads the 32 KiB before it, for the dictionary.
    let dictionary_len = if deflate && !job.first {
        (job.offset as usize).min(DEFLATE_WINDOW)
    } else {
        0
    };
    let mut buffer = vec![0u8; dictionary_len + job.len];
    if job.first && job.last {
        // The whole file in one read; one byte more reveals a file that grew since `plan`.
        buffer.push(0);
        let mut filled = 0;
        loop {
            let n = file.read(&mut buffer[filled..]).map_err(read_error)?;
            if n == 0 {
                break;
            }
            filled += n;
            if filled == buffer.len() {
                break;
            }
        }
        if filled != job.len {
            return Err(changed());
        }
        buffer.truncate(job.len);
    } else {
        let start = job.offset - dictionary_len as u64;
        file.read_exact_at(&mut buffer, start).map_err(|err| {
            if err.kind() == io::ErrorKind::UnexpectedEof {
                changed()
            } else {
                read_error(err)
            }
        })?;
        if job.last {
            let mut probe = [0u8; 1];
            if file
                .read_at(&mut probe, job.offset + job.len as u64)
                .map_err(read_error)?
                != 0
            {
                return Err(changed());
            }
        }
    }
    let data = &buffer[dictionary_len..];
    let mut crc = crc32fast::Hasher::new();
    crc.update(data);
    if !deflate {
        buffer.drain(..dictionary_len);
        return Ok(ChunkOutput {
            data: buffer,
            crc,
            stored_instead: false,
        });
    }
    compressor.reset();
    if dictionary_len > 0 {
        compressor
            .set_dictionary(&buffer[..dictionary_len])
            .map_err(|err| PackError::Worker {
                message: err.to_string(),
            })?;
    }
    let flush = if job.last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let compressed = deflate_chunk(compressor, data, flush).map_err(|err| PackError::Worker {
        message: err.to_string(),
    })?;
    if job.first && job.last && compressed.len() >= data.len() {
        // Like Info-ZIP: a file that deflate would grow is stored.
        return Ok(ChunkOutput {
            data: buffer,
            crc,
            stored_instead: true,
        });
    }
    Ok(ChunkOutput {
        data: compressed,
        crc,
        stored_instead: false,
    })
}

/// Raw deflate of one chunk, ending with a sync flush (byte-aligned, more chunks follow) or the
/// final block.
fn deflate_chunk(
    compressor: &mut Compress,
    input: &[u8],
    flush: FlushCompress,
) -> Result<Vec<u8>, flate2::CompressError> {
    let finishing = matches!(flush, FlushCompress::Finish);
    let mut output = Vec::with_capacity(input.len() / 2 + 1024);
    let start_in = compressor.total_in();
    loop {
        if output.capacity() - output.len() < 1024 {
            output.reserve(output.capacity().max(4096));
        }
        let consumed = (compressor.total_in() - start_in) as usize;
        let status = compressor.compress_vec(&input[consumed..], &mut output, flush)?;
        let consumed = (compressor.total_in() - start_in) as usize;
        let done = if finishing {
            status == Status::StreamEnd
        } else {
            // zlib's rule: the flush is complete once it returns with output space left.
            consumed == input.len() && output.len() < output.capacity()
        };
        if done {
            return Ok(output);
        }
    }
}

/// The chunks of the entry being assembled: in memory, or in a temporary file when large.
struct EntryAssembly {
    chunks: Vec<Vec<u8>>,
    spool: Option<File>,
    crc: crc32fast::Hasher,
    compressed_size: u64,
    stored_instead: bool,
}

#[allow(clippy::too_many_arguments)]
fn assemble<W: Write>(
    plan: &PackPlan,
    jobs: &[Job],
    schedule: &Schedule,
    receiver: &mpsc::Receiver<(usize, Result<ChunkOutput, PackError>)>,
    zip: &mut ZipWriter<W>,
    spool_dir: &Path,
    spool_in_memory_max: u64,
    progress: &impl Fn(u64, u64),
    out_path: &Path,
) -> Result<Vec<PackedEntry>, PackError> {
    let write_error = |source: io::Error| PackError::Write {
        path: out_path.to_path_buf(),
        source,
    };
    let total = plan.total_size();
    let mut done = 0u64;
    let mut waiting: BTreeMap<usize, ChunkOutput> = BTreeMap::new();
    let mut packed = Vec::with_capacity(plan.entries().len());
    let mut assembly: Option<EntryAssembly> = None;
    for (position, job) in jobs.iter().enumerate() {
        let chunk = loop {
            if let Some(chunk) = waiting.remove(&position) {
                break chunk;
            }
            let (index, result) = receiver.recv().map_err(|_| PackError::Worker {
                message: "all compression workers stopped before the archive was complete".into(),
            })?;
            waiting.insert(index, result?);
        };
        let entry = &plan.entries()[job.entry];
        let current = assembly.get_or_insert_with(|| EntryAssembly {
            chunks: Vec::new(),
            spool: None,
            crc: crc32fast::Hasher::new(),
            compressed_size: 0,
            stored_instead: false,
        });
        if job.first && entry.size > spool_in_memory_max {
            current.spool = Some(tempfile::tempfile_in(spool_dir).map_err(write_error)?);
        }
        current.crc.combine(&chunk.crc);
        current.compressed_size += chunk.data.len() as u64;
        current.stored_instead = chunk.stored_instead;
        match &mut current.spool {
            Some(spool) => spool.write_all(&chunk.data).map_err(write_error)?,
            None => current.chunks.push(chunk.data),
        }
        schedule.advance(position + 1);
        if !job.last {
            continue;
        }

        let current = assembly.take().expect("assembled above");
        let stored = entry.compression == EntryCompression::Stored || current.stored_instead;
        let crc32 = current.crc.clone().finalize();
        zip.start_entry(
            &entry.archive_path,
            if stored {
                METHOD_STORED
            } else {
                METHOD_DEFLATED
            },
            crc32,
            current.compressed_size,
            entry.size,
        )
        .map_err(write_error)?;
        match current.spool {
            Some(mut spool) => {
                spool.rewind().map_err(write_error)?;
                let mut buffer = vec![0u8; 256 * 1024];
                loop {
                    let n = spool.read(&mut buffer).map_err(write_error)?;
                    if n == 0 {
                        break;
                    }
                    zip.write_data(&buffer[..n]).map_err(write_error)?;
                }
            }
            None => {
                for data in &current.chunks {
                    zip.write_data(data).map_err(write_error)?;
                }
            }
        }
        packed.push(PackedEntry {
            path: entry.archive_path.clone(),
            size: entry.size,
            compressed_size: current.compressed_size,
            stored,
            crc32,
        });
        done += entry.size;
        progress(done, total);
    }
    Ok(packed)
}
