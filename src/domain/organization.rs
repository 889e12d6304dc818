//! The organization aggregate: created with a unique slug, may be renamed.

use uuid::Uuid;

use super::{Aggregate, DomainError, Name, OrganizationCreated, OrganizationEvent, Slug};

/// An organization as the command side holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: Uuid,
    pub slug: Slug,
    pub name: Name,
    pub version: i32,
}

impl Organization {
    /// Decides the creation of a new organization.
    pub fn create(slug: Slug, name: Name) -> OrganizationCreated {
        OrganizationCreated { slug, name }
    }

    pub fn rename(&self, name: Name) -> Result<OrganizationEvent, DomainError> {
        Ok(OrganizationEvent::OrganizationRenamed { name })
    }

    /// Builds the state a creation event describes, at version 1.
    pub fn created(id: Uuid, event: &OrganizationCreated) -> Self {
        Self {
            id,
            slug: event.slug.clone(),
            name: event.name.clone(),
            version: 1,
        }
    }
}

impl Aggregate for Organization {
    type Event = OrganizationEvent;

    const KIND: &'static str = "organization";

    fn id(&self) -> Uuid {
        self.id
    }

    fn version(&self) -> i32 {
        self.version
    }

    fn apply(&mut self, event: &OrganizationEvent) {
        match event {
            OrganizationEvent::OrganizationCreated(_) => {}
            OrganizationEvent::OrganizationRenamed { name } => self.name = name.clone(),
        }
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_gives_version_one_and_renaming_bumps_it() {
        let id = Uuid::now_v7();
        let created = Organization::create(
            Slug::parse("acme").unwrap(),
            Name::parse("name", "Acme").unwrap(),
        );
        let mut org = Organization::created(id, &created);
        assert_eq!(
            (org.slug.as_str(), org.name.as_str(), org.version),
            ("acme", "Acme", 1)
        );

        let renamed = org
            .rename(Name::parse("name", "Acme Inc").unwrap())
            .unwrap();
        org.apply(&renamed);
        assert_eq!((org.name.as_str(), org.version), ("Acme Inc", 2));
        // What the unit of work reads through the trait.
        assert_eq!((Aggregate::id(&org), Aggregate::version(&org)), (id, 2));
    }
}
