//! `rosterql seed`: demo and benchmark data, written through the command side like any
//! client's commands (so the projector builds the read side from the events).

use rand::Rng;

use super::{CommandContext, CommandError, CommandService, CreateOrganization, CreateUser};
use crate::domain::MemberRole;

const FIRST_NAMES: [&str; 12] = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Edsger",
    "Frances",
    "Grace",
    "John",
    "Katherine",
    "Linus",
    "Margaret",
    "Radia",
];
const LAST_NAMES: [&str; 12] = [
    "Lovelace", "Turing", "Liskov", "Shannon", "Dijkstra", "Allen", "Hopper", "Backus", "Johnson",
    "Torvalds", "Hamilton", "Perlman",
];
const ROLES: [MemberRole; 4] = [
    MemberRole::Member,
    MemberRole::Member,
    MemberRole::Admin,
    MemberRole::Guest,
];

/// What a seed run created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub organizations: u32,
    pub users: u32,
}

impl CommandService {
    /// Creates `organizations` organizations and `users` users spread evenly over them. Slugs
    /// and emails carry a random run tag, so seeding twice adds data instead of colliding.
    pub async fn seed(&self, organizations: u32, users: u32) -> Result<SeedReport, CommandError> {
        let context = CommandContext::default();
        let run: u32 = rand::rng().random_range(0x1000..0xffff);
        let mut organization_ids = Vec::new();
        for n in 0..organizations {
            let outcome = self
                .execute(
                    &context,
                    CreateOrganization {
                        slug: format!("demo-{run:x}-{n}"),
                        name: format!("Demo Organization {n}"),
                    },
                )
                .await?;
            organization_ids.push(outcome.aggregate_id);
        }
        let mut created_users = 0;
        if !organization_ids.is_empty() {
            for n in 0..users {
                let index = n as usize;
                let first = FIRST_NAMES[index % FIRST_NAMES.len()];
                let last = LAST_NAMES[(index / FIRST_NAMES.len()) % LAST_NAMES.len()];
                self.execute(
                    &context,
                    CreateUser {
                        organization_id: organization_ids[index % organization_ids.len()],
                        email: format!(
                            "{}.{}.{n}@demo-{run:x}.example.com",
                            first.to_lowercase(),
                            last.to_lowercase()
                        ),
                        name: format!("{first} {last}"),
                        role: ROLES[index % ROLES.len()],
                    },
                )
                .await?;
                created_users += 1;
            }
        }
        Ok(SeedReport {
            organizations,
            users: created_users,
        })
    }
}
