//! Which process is which, without trusting a bare PID (PIDs are reused). On Linux a process
//! is named by its PID *and* its start time (field 22 of `/proc/<pid>/stat`, in clock ticks
//! since boot) *and* the boot it belongs to (`/proc/sys/kernel/random/boot_id`): a PID that
//! was reused has another start time, and after a reboot the boot id differs.
//!
//! Everything read from `/proc` is behind `cfg(target_os = "linux")`. On macOS the same two
//! facts come from `proc_pidinfo(PROC_PIDTBSDINFO)` (the start time, in microseconds since the
//! epoch) and the `kern.bootsessionuuid` sysctl (this boot) — written from the SDK's headers
//! and libc's bindings, NOT compiled or run here (only the Linux target is installed; the
//! release workflow is where it first builds). Elsewhere there is no start time and no boot id:
//! a recorded process counts as gone. No group listing outside Linux: callers fall back to what
//! is portable (`kill(-pgid, 0)`); docs/platforms.md says what that changes.

use serde::{Deserialize, Serialize};

/// A process as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessIdentity {
    pub pid: i32,
    /// Field 22 of `/proc/<pid>/stat` (Linux), the start in microseconds since the epoch
    /// (macOS); `None` elsewhere.
    pub start_time: Option<u64>,
    pub boot_id: Option<String>,
}

impl ProcessIdentity {
    /// The process `pid` as it is now (`start_time` is `None` if it is already gone).
    pub fn of(pid: i32) -> Self {
        ProcessIdentity {
            pid,
            start_time: stat(pid).map(|s| s.start_time),
            boot_id: boot_id(),
        }
    }

    /// Whether `pid` is still this very process (same boot, same start time) and alive.
    pub fn is_alive(&self) -> bool {
        if self.boot_id.is_some() && self.boot_id != boot_id() {
            return false;
        }
        match (self.start_time, stat(self.pid)) {
            (Some(recorded), Some(now)) => now.start_time == recorded && now.is_alive(),
            _ => false,
        }
    }
}

/// What the journal needs from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub pgrp: i32,
    pub start_time: u64,
}

impl Stat {
    /// Zombies are dead (in a container whose init does not reap them they would otherwise
    /// look alive forever).
    pub fn is_alive(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }
}

/// `pid (comm) state ppid pgrp …`: the command name may hold spaces and parentheses, so the
/// fields are counted from after the last `)`. `None` when the process is gone or there is no
/// /proc.
#[cfg(target_os = "linux")]
pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// macOS: the BSD info of `pid` (state, group, start time in microseconds since the epoch).
#[cfg(target_os = "macos")]
pub fn stat(pid: i32) -> Option<Stat> {
    // SAFETY: a plain C struct, all zeroes is valid; proc_pidinfo writes at most `size` bytes
    // into it and says how many it wrote.
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
    let written = unsafe {
        libc::proc_pidinfo(
            pid,
            libc::PROC_PIDTBSDINFO,
            0,
            (&mut info as *mut libc::proc_bsdinfo).cast(),
            size,
        )
    };
    if written != size {
        return None;
    }
    Some(Stat {
        state: if info.pbi_status == libc::SZOMB {
            'Z'
        } else {
            'S'
        },
        pgrp: i32::try_from(info.pbi_pgid).ok()?,
        start_time: info
            .pbi_start_tvsec
            .checked_mul(1_000_000)?
            .checked_add(info.pbi_start_tvusec)?,
    })
}

/// Neither /proc nor proc_pidinfo: nothing is known about `pid`.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn stat(_pid: i32) -> Option<Stat> {
    None
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_stat(text: &str) -> Option<Stat> {
    let after_comm = &text[text.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first; field 22 (starttime) the twentieth.
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// This boot's id, where the kernel says it.
#[cfg(target_os = "linux")]
pub fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// macOS: `kern.bootsessionuuid`, a UUID made at each boot.
#[cfg(target_os = "macos")]
pub fn boot_id() -> Option<String> {
    let mut buf = [0u8; 64];
    let mut len: libc::size_t = buf.len();
    // SAFETY: the name is a C string; the kernel writes at most `len` bytes into `buf` and
    // sets `len` to what it wrote.
    let rc = unsafe {
        libc::sysctlbyname(
            c"kern.bootsessionuuid".as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 {
        return None;
    }
    let text = std::str::from_utf8(buf.get(..len)?).ok()?;
    let text = text.trim_end_matches('\0').trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Not said elsewhere.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn boot_id() -> Option<String> {
    None
}

/// The live processes whose process group is `pgid`, with their stat. `None` when /proc is
/// unusable.
#[cfg(target_os = "linux")]
pub fn group_members(pgid: i32) -> Option<Vec<(i32, Stat)>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut members = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some(stat) = stat(pid) {
            if stat.pgrp == pgid && stat.is_alive() {
                members.push((pid, stat));
            }
        }
    }
    Some(members)
}

/// No /proc to list: the caller falls back to `kill(-pgid, 0)`.
#[cfg(not(target_os = "linux"))]
pub fn group_members(_pgid: i32) -> Option<Vec<(i32, Stat)>> {
    None
}

/// Whether process `pid` was started with `NAME=value` in its environment (read from
/// `/proc/<pid>/environ`, which only its owner may read).
#[cfg(target_os = "linux")]
pub fn has_env(pid: i32, name: &str, value: &str) -> bool {
    let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let wanted = format!("{name}={value}");
    environ.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes())
}

/// Another process's environment is not readable without /proc.
#[cfg(not(target_os = "linux"))]
pub fn has_env(_pid: i32, _name: &str, _value: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let line = "4242 (a (weird) name) S 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let stat = parse_stat(line).unwrap();
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.pgrp, 4200);
        assert_eq!(stat.start_time, 987654);
        assert!(parse_stat("garbage").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_itself_and_a_changed_start_time_is_not() {
        let me = ProcessIdentity::of(std::process::id() as i32);
        assert!(me.start_time.is_some() && me.boot_id.is_some());
        assert!(me.is_alive());
        let reused = ProcessIdentity {
            start_time: me.start_time.map(|t| t + 1),
            ..me.clone()
        };
        assert!(!reused.is_alive(), "a reused PID is not the same process");
        let other_boot = ProcessIdentity {
            boot_id: Some("another-boot".into()),
            ..me
        };
        assert!(!other_boot.is_alive());
    }
}
