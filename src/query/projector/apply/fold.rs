//! A batch's events folded, in order, into the rows they touch, in memory: no round trip
//! per event. What comes out is the rows to write (each once, in its final state), and the
//! batch's effects: the change each event made, with the row as that event left it, and the
//! cache updates for the batch as a whole.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexSet;
use sea_orm::DbErr;
use uuid::Uuid;

use crate::domain::{DomainEvent, MemberEvent, OrganizationEvent, UserEvent, UserStatus};
use crate::event_log::{Position, RecordedEvent};
use crate::query::cache::CacheUpdate;
use crate::query::changes::Change;
use crate::query::projector::Effects;
use crate::query::store::{organization_profiles as organizations, user_profiles as users};
use crate::query::{OrganizationProfile, UserProfile};

/// The rows a batch leaves behind, to be written once each.
#[derive(Debug, Default, PartialEq)]
pub(in crate::query::projector) struct Writes {
    /// Organizations renamed: every member row not in `users` takes the new name (and the
    /// rename's position).
    pub member_renames: Vec<(Uuid, String, Position)>,
    pub deleted_users: Vec<Uuid>,
    /// Inserted or replaced, in their final state.
    pub users: Vec<users::Model>,
    pub organizations: Vec<organizations::Model>,
}

/// The rows a batch touches, as they stand after the events folded so far.
pub(in crate::query::projector) struct Fold {
    /// None: deleted by this batch.
    users: HashMap<Uuid, Option<users::Model>>,
    organizations: HashMap<Uuid, organizations::Model>,
    /// In the order the batch first touched them, so rows are written in event order (on
    /// SQLite a new row's search key follows the order rows are inserted in).
    changed_users: IndexSet<Uuid>,
    changed_organizations: IndexSet<Uuid>,
    /// The last rename of each organization renamed.
    renames: HashMap<Uuid, (String, Position)>,
    changes: Vec<Change>,
}

impl Fold {
    /// Starts from the rows the batch's events name, as the read tables hold them.
    pub(in crate::query::projector) fn new(
        users: Vec<users::Model>,
        organizations: Vec<organizations::Model>,
    ) -> Self {
        Self {
            users: users.into_iter().map(|row| (row.id, Some(row))).collect(),
            organizations: organizations.into_iter().map(|row| (row.id, row)).collect(),
            changed_users: IndexSet::new(),
            changed_organizations: IndexSet::new(),
            renames: HashMap::new(),
            changes: Vec::new(),
        }
    }

    /// The users and organizations whose rows `events` need.
    pub(super) fn ids(events: &[RecordedEvent]) -> (Vec<Uuid>, Vec<Uuid>) {
        let mut users = IndexSet::new();
        let mut organizations = IndexSet::new();
        for recorded in events {
            match &recorded.event {
                DomainEvent::Organization(_) => organizations.insert(recorded.aggregate_id),
                DomainEvent::User(member) => {
                    users.insert(recorded.aggregate_id);
                    organizations.insert(member.organization_id)
                }
            };
        }
        (
            users.into_iter().collect(),
            organizations.into_iter().collect(),
        )
    }

    /// Folds `recorded` in; when it cannot be (a row it needs is missing), says why and
    /// leaves the fold as it was.
    pub(in crate::query::projector) fn apply(
        &mut self,
        recorded: &RecordedEvent,
    ) -> Result<(), DbErr> {
        match &recorded.event {
            DomainEvent::Organization(event) => self.apply_organization(recorded, event),
            DomainEvent::User(member) => self.apply_user(recorded, member),
        }
    }

    /// Drops the changes recorded so far, for a fold whose changes nobody publishes (a
    /// verification folding the whole log keeps only the rows).
    pub(in crate::query::projector) fn forget_changes(&mut self) {
        self.changes.clear();
    }

    /// The rows to write and the effects to have once they are committed.
    pub(in crate::query::projector) fn finish(self) -> Result<(Writes, Effects), DbErr> {
        let mut cache: Vec<CacheUpdate> = self
            .renames
            .keys()
            .map(|&id| CacheUpdate::RemoveMembersOf(id))
            .collect();
        let mut writes = Writes {
            member_renames: self
                .renames
                .into_iter()
                .map(|(id, (name, position))| (id, name, position))
                .collect(),
            ..Writes::default()
        };
        for id in self.changed_users {
            match self.users.get(&id) {
                Some(Some(row)) => {
                    let profile = UserProfile::try_from(row.clone())?;
                    cache.push(CacheUpdate::Put(Arc::new(profile)));
                    writes.users.push(row.clone());
                }
                _ => {
                    cache.push(CacheUpdate::Remove(id));
                    writes.deleted_users.push(id);
                }
            }
        }
        writes.organizations = self
            .changed_organizations
            .iter()
            .filter_map(|id| self.organizations.get(id).cloned())
            .collect();
        let effects = Effects {
            cache,
            changes: self.changes,
        };
        Ok((writes, effects))
    }

    fn apply_organization(
        &mut self,
        recorded: &RecordedEvent,
        event: &OrganizationEvent,
    ) -> Result<(), DbErr> {
        let id = recorded.aggregate_id;
        let position = recorded.position;
        match event {
            OrganizationEvent::OrganizationCreated(created) => {
                let row = organizations::Model {
                    id,
                    slug: created.slug.to_string(),
                    name: created.name.to_string(),
                    member_count: 0,
                    active_member_count: 0,
                    version: recorded.aggregate_version,
                    created_at: recorded.recorded_at,
                    updated_at: recorded.recorded_at,
                    applied_tx: position.tx,
                    applied_seq: position.seq,
                };
                self.organizations.insert(id, row);
            }
            OrganizationEvent::OrganizationRenamed { name } => {
                let row = self.organization(id)?;
                row.name = name.to_string();
                row.version = recorded.aggregate_version;
                row.updated_at = recorded.recorded_at;
                row.applied_tx = position.tx;
                row.applied_seq = position.seq;
                for member in self.users.values_mut().flatten() {
                    if member.organization_id == id {
                        member.organization_name = name.to_string();
                        member.applied_tx = position.tx;
                        member.applied_seq = position.seq;
                        self.changed_users.insert(member.id);
                    }
                }
                self.renames.insert(id, (name.to_string(), position));
            }
        }
        self.changed_organizations.insert(id);
        let profile = OrganizationProfile::from(self.organization(id)?.clone());
        self.changes
            .push(Change::of_organization(recorded, Some(Arc::new(profile))));
        Ok(())
    }

    fn apply_user(&mut self, recorded: &RecordedEvent, member: &MemberEvent) -> Result<(), DbErr> {
        let id = recorded.aggregate_id;
        let organization_id = member.organization_id;
        // Every row the event needs is there before any changes: an event that cannot be
        // applied leaves the fold as it was.
        self.organization(organization_id)?;
        if !matches!(member.event, UserEvent::UserCreated(_)) {
            self.user(id)?;
        }
        self.changed_users.insert(id);
        match &member.event {
            UserEvent::UserCreated(created) => {
                self.changed_organizations.insert(organization_id);
                let organization = self.organization(organization_id)?;
                organization.member_count += 1;
                organization.active_member_count += 1;
                let row = users::Model {
                    id,
                    organization_id,
                    organization_slug: organization.slug.clone(),
                    organization_name: organization.name.clone(),
                    email: created.email.to_string(),
                    name: created.name.to_string(),
                    name_folded: created.name.as_str().to_lowercase(),
                    role: created.role.as_str().to_owned(),
                    status: UserStatus::Active.as_str().to_owned(),
                    version: recorded.aggregate_version,
                    created_at: recorded.recorded_at,
                    updated_at: recorded.recorded_at,
                    applied_tx: recorded.position.tx,
                    applied_seq: recorded.position.seq,
                };
                self.users.insert(id, Some(row));
            }
            UserEvent::UserDeleted => {
                let was_active = self.user(id)?.status == UserStatus::Active.as_str();
                self.users.insert(id, None);
                let organization = self.organization(organization_id)?;
                organization.member_count -= 1;
                organization.active_member_count -= i32::from(was_active);
                self.changed_organizations.insert(organization_id);
                self.changes.push(Change::of_user(recorded, member, None));
                return Ok(());
            }
            UserEvent::UserRenamed { name } => {
                let row = self.stamped_user(recorded)?;
                row.name = name.to_string();
                row.name_folded = name.as_str().to_lowercase();
            }
            UserEvent::UserEmailChanged { email } => {
                self.stamped_user(recorded)?.email = email.to_string();
            }
            UserEvent::UserRoleChanged { role } => {
                self.stamped_user(recorded)?.role = role.as_str().to_owned();
            }
            UserEvent::UserSuspended { .. } => {
                self.stamped_user(recorded)?.status = UserStatus::Suspended.as_str().to_owned();
                self.organization(organization_id)?.active_member_count -= 1;
                self.changed_organizations.insert(organization_id);
            }
            UserEvent::UserReactivated => {
                self.stamped_user(recorded)?.status = UserStatus::Active.as_str().to_owned();
                self.organization(organization_id)?.active_member_count += 1;
                self.changed_organizations.insert(organization_id);
            }
        }
        let profile = UserProfile::try_from(self.user(id)?.clone())?;
        self.changes
            .push(Change::of_user(recorded, member, Some(Arc::new(profile))));
        Ok(())
    }

    fn user(&mut self, id: Uuid) -> Result<&mut users::Model, DbErr> {
        self.users
            .get_mut(&id)
            .and_then(Option::as_mut)
            .ok_or_else(|| missing("user_profiles", id))
    }

    /// The user's row, stamped with `recorded`'s version, time and position.
    fn stamped_user(&mut self, recorded: &RecordedEvent) -> Result<&mut users::Model, DbErr> {
        let row = self.user(recorded.aggregate_id)?;
        row.version = recorded.aggregate_version;
        row.updated_at = recorded.recorded_at;
        row.applied_tx = recorded.position.tx;
        row.applied_seq = recorded.position.seq;
        Ok(row)
    }

    fn organization(&mut self, id: Uuid) -> Result<&mut organizations::Model, DbErr> {
        self.organizations
            .get_mut(&id)
            .ok_or_else(|| missing("organization_profiles", id))
    }
}

fn missing(table: &str, id: Uuid) -> DbErr {
    DbErr::RecordNotFound(format!("{table} has no row {id}"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::{Email, MemberRole, Name, OrganizationCreated, Slug, UserCreated};
    use crate::query::changes::Subject;

    struct Log {
        seq: i64,
        events: Vec<RecordedEvent>,
    }

    impl Log {
        fn new() -> Self {
            Self {
                seq: 0,
                events: Vec::new(),
            }
        }

        fn push(&mut self, aggregate_id: Uuid, version: i32, event: DomainEvent) {
            self.seq += 1;
            self.events.push(RecordedEvent {
                position: Position {
                    tx: 0,
                    seq: self.seq,
                },
                aggregate_id,
                aggregate_version: version,
                event,
                recorded_at: Utc::now(),
            });
        }

        fn user(&mut self, id: Uuid, organization_id: Uuid, version: i32, event: UserEvent) {
            let member = MemberEvent {
                organization_id,
                event,
            };
            self.push(id, version, DomainEvent::User(member));
        }
    }

    fn name(text: &str) -> Name {
        Name::parse("name", text).expect("a name")
    }

    fn folded(events: &[RecordedEvent]) -> Result<(Writes, Effects), DbErr> {
        let mut fold = Fold::new(Vec::new(), Vec::new());
        for event in events {
            fold.apply(event)?;
        }
        fold.finish()
    }

    fn created(email: &str) -> UserEvent {
        UserEvent::UserCreated(UserCreated {
            email: Email::parse(email).expect("an email"),
            name: name("Ada"),
            role: MemberRole::Member,
        })
    }

    #[test]
    fn a_batch_writes_each_row_once_in_its_final_state() {
        let (organization, ada, grace) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut log = Log::new();
        let acme = OrganizationCreated {
            slug: Slug::parse("acme").expect("a slug"),
            name: name("Acme"),
        };
        let org_event = |event| DomainEvent::Organization(event);
        log.push(
            organization,
            1,
            org_event(OrganizationEvent::OrganizationCreated(acme)),
        );
        log.user(ada, organization, 1, created("ada@example.com"));
        log.user(
            ada,
            organization,
            2,
            UserEvent::UserRenamed {
                name: name("Ada L"),
            },
        );
        let renamed = OrganizationEvent::OrganizationRenamed {
            name: name("Acme 2"),
        };
        log.push(organization, 2, org_event(renamed));
        log.user(grace, organization, 1, created("grace@example.com"));
        log.user(
            grace,
            organization,
            2,
            UserEvent::UserSuspended { reason: None },
        );
        log.user(ada, organization, 3, UserEvent::UserDeleted);

        let (writes, effects) = folded(&log.events).expect("the batch folds");
        assert_eq!(writes.deleted_users, vec![ada]);
        assert_eq!(writes.users.len(), 1, "{writes:?}");
        let row = &writes.users[0];
        assert_eq!(
            (row.id, row.organization_name.as_str(), row.version),
            (grace, "Acme 2", 2),
            "a user created after a rename takes the new name"
        );
        assert_eq!(row.status, UserStatus::Suspended.as_str());
        assert_eq!((row.applied_tx, row.applied_seq), (0, 6));
        let [organization_row] = writes.organizations.as_slice() else {
            panic!("one organization: {writes:?}");
        };
        assert_eq!(
            (
                organization_row.name.as_str(),
                organization_row.version,
                organization_row.member_count,
                organization_row.active_member_count
            ),
            ("Acme 2", 2, 1, 0)
        );
        assert_eq!(
            writes.member_renames,
            vec![(
                organization,
                "Acme 2".to_owned(),
                Position { tx: 0, seq: 4 }
            )]
        );
        // One change per event, each with the state that event left.
        assert_eq!(effects.changes.len(), log.events.len());
        let Subject::User { user, .. } = &effects.changes[2].subject else {
            panic!("a user's change");
        };
        let renamed_ada = user.as_ref().expect("ada after her rename");
        assert_eq!(
            (
                renamed_ada.name.as_str(),
                renamed_ada.organization.name.as_str()
            ),
            ("Ada L", "Acme")
        );
        // The members' entries go first, so the batch's own rows stay.
        assert_eq!(
            effects.cache.first(),
            Some(&CacheUpdate::RemoveMembersOf(organization))
        );
        assert!(effects.cache.contains(&CacheUpdate::Remove(ada)));
        assert!(
            effects
                .cache
                .iter()
                .any(|update| matches!(update, CacheUpdate::Put(profile) if profile.id == grace))
        );
    }

    fn organization_created(log: &mut Log, id: Uuid) {
        let acme = OrganizationCreated {
            slug: Slug::parse("acme").expect("a slug"),
            name: name("Acme"),
        };
        let created = OrganizationEvent::OrganizationCreated(acme);
        log.push(id, 1, DomainEvent::Organization(created));
    }

    #[test]
    fn an_event_that_cannot_be_applied_leaves_the_fold_as_it_was() {
        let (organization, elsewhere, ada) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut log = Log::new();
        organization_created(&mut log, organization);
        log.user(ada, organization, 1, created("ada@example.com"));
        let mut fold = Fold::new(Vec::new(), Vec::new());
        for event in &log.events {
            fold.apply(event).expect("applies");
        }
        // Ada's row is there, the organization this event names is not.
        let mut bad = Log::new();
        bad.user(ada, elsewhere, 2, UserEvent::UserSuspended { reason: None });
        assert!(fold.apply(&bad.events[0]).is_err());
        let (writes, effects) = fold.finish().expect("the fold finishes");
        let [row] = writes.users.as_slice() else {
            panic!("one user: {writes:?}");
        };
        assert_eq!(
            (row.version, row.status.as_str()),
            (1, UserStatus::Active.as_str()),
            "the failed event left Ada as she was"
        );
        assert_eq!(effects.changes.len(), 2, "no change for the failed event");
    }

    #[test]
    fn an_event_for_a_row_the_read_side_lacks_fails_the_batch() {
        let mut log = Log::new();
        let (organization, user) = (Uuid::now_v7(), Uuid::now_v7());
        organization_created(&mut log, organization);
        log.user(
            user,
            organization,
            2,
            UserEvent::UserRenamed { name: name("Ada") },
        );
        let error = folded(&log.events).err().map(|error| error.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|error| error.contains("user_profiles has no row")),
            "{error:?}"
        );

        let mut log = Log::new();
        log.user(user, organization, 1, created("ada@example.com"));
        let error = folded(&log.events).err().map(|error| error.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|error| error.contains("organization_profiles has no row")),
            "{error:?}"
        );
    }
}
