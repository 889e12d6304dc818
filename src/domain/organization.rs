//! The organization aggregate: created with a unique slug, may be renamed.

use uuid::Uuid;

use super::{DomainError, Name, OrganizationEvent, Slug};

/// An organization as the command side holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub version: i32,
}

impl Organization {
    /// Decides the creation of a new organization.
    pub fn create(slug: Slug, name: Name) -> OrganizationEvent {
        OrganizationEvent::OrganizationCreated {
            slug: slug.into_inner(),
            name: name.into_inner(),
        }
    }

    pub fn rename(&self, name: Name) -> Result<OrganizationEvent, DomainError> {
        Ok(OrganizationEvent::OrganizationRenamed {
            name: name.into_inner(),
        })
    }

    /// Builds the state a creation event describes, at version 1.
    pub fn created(id: Uuid, event: &OrganizationEvent) -> Option<Self> {
        match event {
            OrganizationEvent::OrganizationCreated { slug, name } => Some(Self {
                id,
                slug: slug.clone(),
                name: name.clone(),
                version: 1,
            }),
            OrganizationEvent::OrganizationRenamed { .. } => None,
        }
    }

    pub fn apply(&mut self, event: &OrganizationEvent) {
        match event {
            OrganizationEvent::OrganizationCreated { .. } => {}
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
        let mut org = Organization::created(id, &created).unwrap();
        assert_eq!(
            (org.slug.as_str(), org.name.as_str(), org.version),
            ("acme", "Acme", 1)
        );

        let renamed = org
            .rename(Name::parse("name", "Acme Inc").unwrap())
            .unwrap();
        org.apply(&renamed);
        assert_eq!((org.name.as_str(), org.version), ("Acme Inc", 2));
    }
}
