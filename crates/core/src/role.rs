//! Roles of the people who use the service.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Moderator,
    Executor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Resident, Role::Moderator, Role::Executor, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Moderator => "moderator",
            Role::Executor => "executor",
            Role::Admin => "admin",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    /// Staff members work reports filed by others.
    pub fn is_staff(self) -> bool {
        self != Role::Resident
    }
}
