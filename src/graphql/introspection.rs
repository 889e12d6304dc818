//! Refuses introspection when it is turned off. async-graphql's own switch makes `__schema`
//! and `__type` resolve to `null` without an error; a client is better told that the server
//! does not introspect, as other GraphQL servers tell it: an error before execution, which
//! [`super::error`] codes `BAD_USER_INPUT` like any other invalid document.

use std::collections::HashSet;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerError, ServerResult};

/// The root fields that introspect the schema.
const INTROSPECTION_FIELDS: [&str; 2] = ["__schema", "__type"];

/// Refuses `document` when one of its operations introspects the schema.
pub(super) fn refuse_introspection(document: &ExecutableDocument) -> ServerResult<()> {
    match introspecting_field(document) {
        Some(pos) => Err(ServerError::new(
            "introspection is turned off on this server",
            Some(pos),
        )),
        None => Ok(()),
    }
}

/// Where an operation of `document` selects an introspection field at its root (directly or
/// through fragments).
fn introspecting_field(document: &ExecutableDocument) -> Option<Pos> {
    let mut seen_fragments = HashSet::new();
    document.operations.iter().find_map(|(_, operation)| {
        root_introspection(
            document,
            &operation.node.selection_set.node,
            &mut seen_fragments,
        )
    })
}

fn root_introspection<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
    seen_fragments: &mut HashSet<&'a str>,
) -> Option<Pos> {
    selection_set
        .items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => INTROSPECTION_FIELDS
                .contains(&field.node.name.node.as_str())
                .then_some(field.pos),
            Selection::InlineFragment(fragment) => {
                root_introspection(document, &fragment.node.selection_set.node, seen_fragments)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A fragment spread twice (or in a cycle, which validation refuses) is
                // looked into once.
                if !seen_fragments.insert(name) {
                    return None;
                }
                let fragment = document.fragments.get(name)?;
                root_introspection(document, &fragment.node.selection_set.node, seen_fragments)
            }
        })
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn introspects(query: &str) -> bool {
        introspecting_field(&parse_query(query).unwrap()).is_some()
    }

    #[test]
    fn root_introspection_is_found_however_it_is_selected() {
        assert!(introspects("{ __schema { types { name } } }"));
        assert!(introspects(
            "{ organizations { totalCount } __type(name: \"User\") { name } }"
        ));
        assert!(introspects(
            "{ ... on Query { __schema { queryType { name } } } }"
        ));
        assert!(introspects(
            "query A { readModel { position } } query B { ...F } fragment F on Query { __type(name: \"User\") { name } }"
        ));
    }

    #[test]
    fn other_documents_pass_including_typename_and_fragment_cycles() {
        assert!(!introspects("{ __typename organizations { totalCount } }"));
        assert!(!introspects(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
        ));
        assert!(!introspects("{ ...Missing }"));
    }
}
