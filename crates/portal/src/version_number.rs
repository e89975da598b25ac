//! Version numbers of a MiniApp: plain `x.y.z` with numeric parts. They only go up per MiniApp,
//! so they are ordered numerically (1.10.0 > 1.9.0), never as strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

/// How `publish` moves from the latest version to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BumpKind {
    Patch,
    Minor,
    Major,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
// The input is outside data of any length (a 10 kB version string): shown and cut.
#[error("`{}` is not a version number of the form x.y.z (three whole numbers, e.g. 1.4.2)", gopay_miniapp_guard::text::Shown(.input))]
pub struct VersionParseError {
    pub input: String,
}

/// A bump past the largest number a version part can hold (`u64::MAX`, which parses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("version {version} has no next {} version: its {} number is the largest a version number can hold", kind.part(), kind.part())]
pub struct BumpOverflow {
    pub version: VersionNumber,
    pub kind: BumpKind,
}

impl BumpKind {
    /// The part of x.y.z this kind raises: `major`, `minor` or `patch`.
    pub fn part(self) -> &'static str {
        match self {
            BumpKind::Patch => "patch",
            BumpKind::Minor => "minor",
            BumpKind::Major => "major",
        }
    }
}

impl VersionNumber {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// The next version of this kind; an error (never a wrap to 0) when the part it raises is
    /// already `u64::MAX`.
    pub fn bump(self, kind: BumpKind) -> Result<Self, BumpOverflow> {
        let overflow = BumpOverflow {
            version: self,
            kind,
        };
        match kind {
            BumpKind::Patch => self
                .patch
                .checked_add(1)
                .map(|patch| Self::new(self.major, self.minor, patch)),
            BumpKind::Minor => self
                .minor
                .checked_add(1)
                .map(|minor| Self::new(self.major, minor, 0)),
            BumpKind::Major => self
                .major
                .checked_add(1)
                .map(|major| Self::new(major, 0, 0)),
        }
        .ok_or(overflow)
    }
}

impl FromStr for VersionNumber {
    type Err = VersionParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || VersionParseError {
            input: input.to_string(),
        };
        let mut parts = input.split('.');
        let mut next = || -> Result<u64, VersionParseError> {
            let part = parts.next().ok_or_else(err)?;
            // Leading zeros ("01") and signs are not version numbers; reject them so the
            // portal and package.json never disagree about what a number means.
            if part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let v = VersionNumber::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(v)
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// On the wire a version is its `x.y.z` text.
impl schemars::JsonSchema for VersionNumber {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "VersionNumber".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"})
    }
}

impl Serialize for VersionNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VersionNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #20 item 32: a 10 kB version string is not echoed whole.
    #[test]
    fn a_long_version_is_cut_in_the_message() {
        let input = format!("1.2.{}\u{1b}[2J", "9".repeat(10_000));
        let message = input.parse::<VersionNumber>().unwrap_err().to_string();
        assert!(message.len() < 400, "{} bytes", message.len());
        assert!(message.contains("…[+9808 characters]"), "{message}");
        assert!(!message.contains('\u{1b}'));
    }

    #[test]
    fn parses_and_orders_numerically() {
        let a: VersionNumber = "1.9.0".parse().unwrap();
        let b: VersionNumber = "1.10.0".parse().unwrap();
        assert!(b > a);
        assert_eq!(b.to_string(), "1.10.0");
    }

    #[test]
    fn rejects_what_is_not_x_y_z() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "v1.2.3",
            "01.2.3",
            "1.2.3-beta",
            " 1.2.3",
        ] {
            assert!(
                bad.parse::<VersionNumber>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn bumps() {
        let v = VersionNumber::new(1, 2, 3);
        assert_eq!(v.bump(BumpKind::Patch), Ok(VersionNumber::new(1, 2, 4)));
        assert_eq!(v.bump(BumpKind::Minor), Ok(VersionNumber::new(1, 3, 0)));
        assert_eq!(v.bump(BumpKind::Major), Ok(VersionNumber::new(2, 0, 0)));
    }

    /// Found by fuzz/fuzz_targets/version_number.rs: `u64::MAX` parses, and bumping it panicked
    /// (debug) or wrapped to a lower version (release).
    #[test]
    fn a_bump_past_the_largest_part_is_an_error_not_a_wrap() {
        let max = u64::MAX;
        let text = format!("1.{max}.{max}");
        let v: VersionNumber = text.parse().unwrap();
        let err = v.bump(BumpKind::Patch).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("version {text} has no next patch version: its patch number is the largest a version number can hold")
        );
        assert!(v.bump(BumpKind::Minor).is_err());
        assert_eq!(v.bump(BumpKind::Major), Ok(VersionNumber::new(2, 0, 0)));
        let top = VersionNumber::new(max, 0, 0);
        assert_eq!(top.bump(BumpKind::Minor), Ok(VersionNumber::new(max, 1, 0)));
        assert!(top.bump(BumpKind::Major).is_err());
    }
}
