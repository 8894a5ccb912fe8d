//! Token scopes. Each includes the ones below it: `admin` ⊃ `content:write` ⊃ `content:read`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[schema(example = "content:write")]
pub enum Scope {
    #[serde(rename = "content:read")]
    ContentRead,
    #[serde(rename = "content:write")]
    ContentWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::ContentRead, Scope::ContentWrite, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ContentRead => "content:read",
            Scope::ContentWrite => "content:write",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token holding `self` may do what needs `needed`.
    pub fn grants(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                format!("unknown scope `{s}`; expected content:read, content:write or admin")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn scopes_include_the_ones_below() {
        assert!(Scope::Admin.grants(Scope::ContentWrite));
        assert!(Scope::Admin.grants(Scope::ContentRead));
        assert!(Scope::ContentWrite.grants(Scope::ContentRead));
        assert!(!Scope::ContentRead.grants(Scope::ContentWrite));
        assert!(!Scope::ContentWrite.grants(Scope::Admin));
        assert_eq!("content:write".parse::<Scope>(), Ok(Scope::ContentWrite));
        assert!("write".parse::<Scope>().is_err());
    }
}
