//! The schema's enums, each mirroring its domain or read-side twin.

use async_graphql::Enum;

use crate::{domain, query};

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident = $twin:path { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),* }

        impl From<$name> for $twin {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => Self::$variant),* }
            }
        }

        impl From<$twin> for $name {
            fn from(value: $twin) -> Self {
                match value { $(<$twin>::$variant => Self::$variant),* }
            }
        }
    };
}

mirror_enum!(
    /// A user's role in its organization (not the caller's token role).
    MemberRole = domain::MemberRole { Owner, Admin, Member, Guest }
);
mirror_enum!(UserStatus = domain::UserStatus { Active, Suspended });
mirror_enum!(
    ChangeKind = domain::ChangeKind {
        Created,
        Updated,
        Deleted
    }
);
mirror_enum!(
    UserOrder = query::UserOrder {
        NameAsc,
        NameDesc,
        CreatedAtAsc,
        CreatedAtDesc
    }
);
