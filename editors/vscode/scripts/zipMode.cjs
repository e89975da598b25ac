// @ts-check
// The Unix mode of entries in a ZIP (a .vsix), read and set in place in the central directory.
// A .vsix packed on Windows records no execute bit (Windows has none to stat), and VS Code
// installs the files with the modes the archive holds: `npm run package` sets the bundled
// sidecar's mode to 0755 in the archive itself, on every platform, and checks it.
//
// Only the central directory's "version made by" (host system: Unix) and "external file
// attributes" (mode in the upper 16 bits) change: both are fixed-size fields, so no offset
// moves. ZIP64 archives (over 65,535 entries or 4 GiB) are refused: a .vsix is neither.

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const UNIX_HOST = 3;
const S_IFREG = 0o100000;

/**
 * The central directory's entries: name, offset of the header, its mode (undefined when the
 * archive was not made on Unix).
 * @param {Buffer} zip
 * @returns {{ name: string, at: number, mode: number | undefined }[]}
 */
function entries(zip) {
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const start = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) throw new Error('a ZIP64 archive: not supported');
  if (start + size > eocd) throw new Error('the central directory runs past its end record');
  const out = [];
  let at = start;
  for (let n = 0; n < count; n++) {
    if (at + 46 > start + size || zip.readUInt32LE(at) !== CENTRAL) throw new Error(`central directory entry ${n} is damaged`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    if (at + 46 + nameLength > start + size) throw new Error(`central directory entry ${n} is damaged`);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const host = zip.readUInt8(at + 5);
    const mode = host === UNIX_HOST ? zip.readUInt32LE(at + 38) >>> 16 : undefined;
    out.push({ name, at, mode });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/**
 * The Unix permission bits (e.g. 0o755) of `name`; undefined when the archive does not say
 * (made on another host system). Throws when there is no such entry.
 * @param {Buffer} zip
 * @param {string} name
 * @returns {number | undefined}
 */
function modeOf(zip, name) {
  const entry = entries(zip).find((e) => e.name === name);
  if (!entry) throw new Error(`the archive has no ${name}`);
  return entry.mode === undefined ? undefined : entry.mode & 0o7777;
}

/**
 * Records `name` as a regular Unix file with the permission bits `perm`, in place. Throws when
 * there is no such entry.
 * @param {Buffer} zip
 * @param {string} name
 * @param {number} perm
 */
function setMode(zip, name, perm) {
  const entry = entries(zip).find((e) => e.name === name);
  if (!entry) throw new Error(`the archive has no ${name}`);
  // "Version made by": the upper byte is the host system, the lower the ZIP version (kept).
  zip.writeUInt8(UNIX_HOST, entry.at + 5);
  // External attributes: the Unix mode above, the DOS attributes below (kept).
  const dos = zip.readUInt32LE(entry.at + 38) & 0xffff;
  zip.writeUInt32LE((((S_IFREG | (perm & 0o7777)) << 16) | dos) >>> 0, entry.at + 38);
}

module.exports = { modeOf, setMode };
