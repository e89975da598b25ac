//! A minimal ZIP writer for archives whose entries are complete before they are written.
//!
//! Why our own: every entry's CRC-32 and sizes are known when its local header is written (the
//! parallel compressor finishes an entry first), so no data descriptors are needed and headers
//! are the plainest, most widely readable form. What it writes (APPNOTE 6.3.x):
//! - local header + data per entry, then the central directory, then the end records;
//! - every entry dated 1980-01-01 00:00 (the DOS epoch) and marked as made on Unix with mode
//!   0644, so the same files always give the same bytes whoever packs them;
//! - the UTF-8 flag (bit 11) only on names that are not ASCII, like Info-ZIP;
//! - ZIP64 extra fields only where a value does not fit 32 bits (sizes of 4 GiB and more, offsets
//!   past 4 GiB), and the ZIP64 end records only when the entry count, the directory size or its
//!   offset overflow. `force_zip64` writes all of them for any archive, which is how the tests
//!   check the ZIP64 paths with real readers without writing 4 GiB.

use std::io::{self, Write};

use sha2::{Digest, Sha256};

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY_SIGNATURE: u32 = 0x0606_4b50;
const ZIP64_END_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

pub(crate) const METHOD_STORED: u16 = 0;
pub(crate) const METHOD_DEFLATED: u16 = 8;

/// 1980-01-01 in MS-DOS date format: ((year - 1980) << 9) | (month << 5) | day.
const DOS_DATE_1980_01_01: u16 = (1 << 5) | 1;
const DOS_TIME_MIDNIGHT: u16 = 0;
/// "Made by" Unix (3) so that readers take the high 16 bits of the external attributes as a
/// Unix mode; 4.5 is the version that knows ZIP64.
const VERSION_MADE_BY: u16 = (3 << 8) | 45;
const UNIX_REGULAR_FILE_0644: u32 = 0o100644;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// What the central directory needs to remember of one entry.
#[derive(Debug, Clone)]
struct CentralRecord {
    name: String,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    uncompressed_size: u64,
    local_header_offset: u64,
    sizes_in_zip64: bool,
}

/// Writes a ZIP archive to `out`, counting bytes and hashing them (SHA-256) on the way, so the
/// digest of the upload costs no second read of the archive.
pub(crate) struct ZipWriter<W: Write> {
    out: W,
    written: u64,
    sha256: Sha256,
    records: Vec<CentralRecord>,
    force_zip64: bool,
}

/// The archive's length and SHA-256 once it is complete.
pub(crate) struct FinishedZip<W> {
    pub out: W,
    pub size: u64,
    pub sha256: [u8; 32],
}

impl<W: Write> ZipWriter<W> {
    pub fn new(out: W, force_zip64: bool) -> Self {
        Self {
            out,
            written: 0,
            sha256: Sha256::new(),
            records: Vec::new(),
            force_zip64,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.sha256.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Writes one entry's local header. The caller then writes exactly `compressed_size` bytes
    /// of data with [`ZipWriter::write_data`].
    pub fn start_entry(
        &mut self,
        name: &str,
        method: u16,
        crc32: u32,
        compressed_size: u64,
        uncompressed_size: u64,
    ) -> io::Result<()> {
        let sizes_in_zip64 =
            self.force_zip64 || compressed_size >= U32_MAX || uncompressed_size >= U32_MAX;
        let record = CentralRecord {
            name: name.to_string(),
            method,
            crc32,
            compressed_size,
            uncompressed_size,
            local_header_offset: self.written,
            sizes_in_zip64,
        };
        let mut header = Vec::with_capacity(30 + name.len() + 20);
        put_u32(&mut header, LOCAL_HEADER_SIGNATURE);
        put_u16(&mut header, version_needed(&record, false));
        put_u16(&mut header, general_purpose_flags(name));
        put_u16(&mut header, method);
        put_u16(&mut header, DOS_TIME_MIDNIGHT);
        put_u16(&mut header, DOS_DATE_1980_01_01);
        put_u32(&mut header, crc32);
        if sizes_in_zip64 {
            put_u32(&mut header, U32_MAX as u32);
            put_u32(&mut header, U32_MAX as u32);
        } else {
            put_u32(&mut header, compressed_size as u32);
            put_u32(&mut header, uncompressed_size as u32);
        }
        put_u16(&mut header, name.len() as u16);
        // The local ZIP64 extra must carry both sizes (APPNOTE 4.5.3).
        put_u16(&mut header, if sizes_in_zip64 { 20 } else { 0 });
        header.extend_from_slice(name.as_bytes());
        if sizes_in_zip64 {
            put_u16(&mut header, ZIP64_EXTRA_ID);
            put_u16(&mut header, 16);
            put_u64(&mut header, uncompressed_size);
            put_u64(&mut header, compressed_size);
        }
        self.put(&header)?;
        self.records.push(record);
        Ok(())
    }

    pub fn write_data(&mut self, data: &[u8]) -> io::Result<()> {
        self.put(data)
    }

    /// Writes the central directory and the end records.
    pub fn finish(mut self) -> io::Result<FinishedZip<W>> {
        let central_directory_offset = self.written;
        let records = std::mem::take(&mut self.records);
        let mut buffer = Vec::with_capacity(64 * 1024);
        for record in &records {
            let offset_in_zip64 = self.force_zip64 || record.local_header_offset >= U32_MAX;
            let mut extra = Vec::new();
            if record.sizes_in_zip64 {
                put_u64(&mut extra, record.uncompressed_size);
                put_u64(&mut extra, record.compressed_size);
            }
            if offset_in_zip64 {
                put_u64(&mut extra, record.local_header_offset);
            }
            put_u32(&mut buffer, CENTRAL_HEADER_SIGNATURE);
            put_u16(&mut buffer, VERSION_MADE_BY);
            put_u16(&mut buffer, version_needed(record, offset_in_zip64));
            put_u16(&mut buffer, general_purpose_flags(&record.name));
            put_u16(&mut buffer, record.method);
            put_u16(&mut buffer, DOS_TIME_MIDNIGHT);
            put_u16(&mut buffer, DOS_DATE_1980_01_01);
            put_u32(&mut buffer, record.crc32);
            if record.sizes_in_zip64 {
                put_u32(&mut buffer, U32_MAX as u32);
                put_u32(&mut buffer, U32_MAX as u32);
            } else {
                put_u32(&mut buffer, record.compressed_size as u32);
                put_u32(&mut buffer, record.uncompressed_size as u32);
            }
            put_u16(&mut buffer, record.name.len() as u16);
            put_u16(
                &mut buffer,
                if extra.is_empty() {
                    0
                } else {
                    extra.len() as u16 + 4
                },
            );
            put_u16(&mut buffer, 0); // comment length
            put_u16(&mut buffer, 0); // disk number start
            put_u16(&mut buffer, 0); // internal attributes
            put_u32(&mut buffer, UNIX_REGULAR_FILE_0644 << 16);
            put_u32(
                &mut buffer,
                if offset_in_zip64 {
                    U32_MAX as u32
                } else {
                    record.local_header_offset as u32
                },
            );
            buffer.extend_from_slice(record.name.as_bytes());
            if !extra.is_empty() {
                put_u16(&mut buffer, ZIP64_EXTRA_ID);
                put_u16(&mut buffer, extra.len() as u16);
                buffer.extend_from_slice(&extra);
            }
            if buffer.len() >= 60 * 1024 {
                self.put(&buffer)?;
                buffer.clear();
            }
        }
        self.put(&buffer)?;
        buffer.clear();

        let central_directory_size = self.written - central_directory_offset;
        let entry_count = records.len() as u64;
        let needs_zip64_end = self.force_zip64
            || entry_count >= 0xFFFF
            || central_directory_size >= U32_MAX
            || central_directory_offset >= U32_MAX;
        if needs_zip64_end {
            let zip64_end_offset = self.written;
            put_u32(&mut buffer, ZIP64_END_OF_CENTRAL_DIRECTORY_SIGNATURE);
            put_u64(&mut buffer, 44); // size of the rest of this record
            put_u16(&mut buffer, VERSION_MADE_BY);
            put_u16(&mut buffer, 45);
            put_u32(&mut buffer, 0); // this disk
            put_u32(&mut buffer, 0); // disk with the central directory
            put_u64(&mut buffer, entry_count);
            put_u64(&mut buffer, entry_count);
            put_u64(&mut buffer, central_directory_size);
            put_u64(&mut buffer, central_directory_offset);
            put_u32(&mut buffer, ZIP64_END_LOCATOR_SIGNATURE);
            put_u32(&mut buffer, 0); // disk with the ZIP64 end record
            put_u64(&mut buffer, zip64_end_offset);
            put_u32(&mut buffer, 1); // total number of disks
        }
        let clamp16 = |n: u64| {
            if needs_zip64_end && n >= 0xFFFF {
                0xFFFF
            } else {
                n as u16
            }
        };
        let clamp32 = |n: u64| {
            if needs_zip64_end && n >= U32_MAX {
                U32_MAX as u32
            } else {
                n as u32
            }
        };
        put_u32(&mut buffer, END_OF_CENTRAL_DIRECTORY_SIGNATURE);
        put_u16(&mut buffer, 0);
        put_u16(&mut buffer, 0);
        put_u16(&mut buffer, clamp16(entry_count));
        put_u16(&mut buffer, clamp16(entry_count));
        put_u32(&mut buffer, clamp32(central_directory_size));
        put_u32(&mut buffer, clamp32(central_directory_offset));
        put_u16(&mut buffer, 0); // comment length
        self.put(&buffer)?;
        self.out.flush()?;
        Ok(FinishedZip {
            size: self.written,
            sha256: self.sha256.finalize().into(),
            out: self.out,
        })
    }
}

fn version_needed(record: &CentralRecord, offset_in_zip64: bool) -> u16 {
    if record.sizes_in_zip64 || offset_in_zip64 {
        45
    } else if record.method == METHOD_DEFLATED {
        20
    } else {
        10
    }
}

fn general_purpose_flags(name: &str) -> u16 {
    if name.is_ascii() {
        0
    } else {
        1 << 11
    }
}

fn put_u16(buffer: &mut Vec<u8>, value: u16) {
    buffer.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(buffer: &mut Vec<u8>, value: u32) {
    buffer.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(buffer: &mut Vec<u8>, value: u64) {
    buffer.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(force_zip64: bool, entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Vec::new(), force_zip64);
        for (name, data) in entries {
            writer
                .start_entry(
                    name,
                    METHOD_STORED,
                    crc32fast::hash(data),
                    data.len() as u64,
                    data.len() as u64,
                )
                .unwrap();
            writer.write_data(data).unwrap();
        }
        let finished = writer.finish().unwrap();
        assert_eq!(finished.size as usize, finished.out.len());
        assert_eq!(
            finished.sha256.to_vec(),
            Sha256::digest(&finished.out).to_vec()
        );
        finished.out
    }

    #[test]
    fn the_zip_crate_reads_plain_and_forced_zip64_archives() {
        for force_zip64 in [false, true] {
            let bytes = archive(
                force_zip64,
                &[("a.txt", b"hello"), ("dir/ü.txt", b""), ("b", b"world!")],
            );
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            assert_eq!(zip.len(), 3);
            let mut names = Vec::new();
            for i in 0..zip.len() {
                let mut file = zip.by_index(i).unwrap();
                names.push(file.name().to_string());
                assert_eq!(file.unix_mode(), Some(0o100644));
                let mut content = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut content).unwrap();
                if file.name() == "b" {
                    assert_eq!(content, b"world!");
                }
            }
            assert_eq!(names, vec!["a.txt", "dir/ü.txt", "b"]);
        }
    }

    #[test]
    fn an_empty_archive_is_just_the_end_record() {
        let bytes = archive(false, &[]);
        assert_eq!(bytes.len(), 22);
        assert_eq!(
            &bytes[..4],
            &END_OF_CENTRAL_DIRECTORY_SIGNATURE.to_le_bytes()
        );
    }
}
