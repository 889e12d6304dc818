//! The limits every GraphQL document is held to before it runs, over HTTP and WebSocket
//! alike: its size (checked before it is parsed), its aliases, root fields and directives
//! (counted on the parsed document), and its depth and complexity (computed by validation,
//! where a connection costs its page size times its children). A document past a limit is
//! refused whole, unrun, with `BAD_USER_INPUT` naming the limit.

use std::collections::HashSet;

use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    ExecutableDocument, Field, Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{ServerResult, ValidationResult, VisitorContext};

use super::error::ClientError;
use crate::query::rows_at_most;

/// How large and costly one document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Bytes of query text.
    pub max_query_bytes: usize,
    /// Fields nested in fields.
    pub max_depth: usize,
    /// The cost of everything the document selects (see [`connection_cost`]).
    pub max_complexity: usize,
    /// Aliased fields, wherever they are in the document.
    pub max_aliases: usize,
    /// Fields at the root of one operation, through its fragments.
    pub max_root_fields: usize,
    /// Directives, wherever they are in the document.
    pub max_directives: usize,
}

/// The cost of a connection field: its page (`first` or `last`, else the default page)
/// times what each row selects, plus the field itself.
fn connection_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    rows_at_most(first, last)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// The cost of the connection `field` (see [`connection_cost`]), for its complexity
/// attribute. Its page size is read as any number: one that is no 32-bit integer counts as
/// the largest page here, and its resolver refuses it naming the argument (read as an `Int`,
/// it would fail validation without saying which).
pub(super) fn connection_field_cost(
    ctx: &VisitorContext<'_>,
    variables: &[Positioned<VariableDefinition>],
    field: &Field,
    child_complexity: usize,
) -> usize {
    let size = |name: &str| {
        let size = ctx.param_value::<Option<f64>>(variables, field, name, None);
        // Saturating, so out of range is the largest page (or none, below zero).
        size.ok().flatten().map(|size| size as i32)
    };
    connection_cost(size("first"), size("last"), child_complexity)
}

impl QueryLimits {
    /// Refuses query text longer than a query may be, before it is parsed.
    pub(super) fn check_size(&self, query: &str) -> ServerResult<()> {
        within("size", query.len(), self.max_query_bytes)
    }

    /// Refuses a parsed document with too many aliases, root fields or directives.
    pub(super) fn check_document(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let counts = Counts::of(document);
        within("aliases", counts.aliases, self.max_aliases)?;
        within("rootFields", counts.root_fields, self.max_root_fields)?;
        within("directives", counts.directives, self.max_directives)
    }

    /// Refuses a validated document nested too deep or costing too much.
    pub(super) fn check_validated(&self, validated: &ValidationResult) -> ServerResult<()> {
        within("depth", validated.depth, self.max_depth)?;
        within("complexity", validated.complexity, self.max_complexity)
    }
}

/// `actual`, the document's measure of `limit`, must not exceed `maximum`.
fn within(limit: &'static str, actual: usize, maximum: usize) -> ServerResult<()> {
    if actual <= maximum {
        return Ok(());
    }
    Err(ClientError::over_limit(limit, actual, maximum).into_server_error())
}

/// What a parsed document holds, counted where it is written (a fragment spread twice counts
/// once), except root fields, which are counted through the operation's fragments.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    aliases: usize,
    directives: usize,
    root_fields: usize,
}

impl Counts {
    fn of(document: &ExecutableDocument) -> Self {
        let mut counts = Self::default();
        for (_, operation) in document.operations.iter() {
            let operation = &operation.node;
            counts.directives += operation.directives.len();
            counts.directives += operation
                .variable_definitions
                .iter()
                .map(|variable| variable.node.directives.len())
                .sum::<usize>();
            counts.add_selections(&operation.selection_set.node);
            let mut seen = HashSet::new();
            let root_fields = root_fields(document, &operation.selection_set.node, &mut seen);
            counts.root_fields = counts.root_fields.max(root_fields);
        }
        for fragment in document.fragments.values() {
            counts.directives += fragment.node.directives.len();
            counts.add_selections(&fragment.node.selection_set.node);
        }
        counts
    }

    fn add_selections(&mut self, selections: &SelectionSet) {
        for selection in &selections.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.aliases += usize::from(field.alias.is_some());
                    self.directives += field.directives.len();
                    self.add_selections(&field.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len();
                }
                Selection::InlineFragment(fragment) => {
                    self.directives += fragment.node.directives.len();
                    self.add_selections(&fragment.node.selection_set.node);
                }
            }
        }
    }
}

/// The fields `selections` puts at its level, through inline fragments and fragment spreads
/// (each fragment once: `seen` also stops a cycle, which validation refuses later).
fn root_fields<'a>(
    document: &'a ExecutableDocument,
    selections: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> usize {
    selections
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(fragment) => {
                root_fields(document, &fragment.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match document.fragments.get(name) {
                    Some(fragment) if seen.insert(name) => {
                        root_fields(document, &fragment.node.selection_set.node, seen)
                    }
                    _ => 0,
                }
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn counts(query: &str) -> Counts {
        Counts::of(&parse_query(query).unwrap())
    }

    #[test]
    fn aliases_and_directives_are_counted_wherever_they_are_written() {
        let counted = counts(
            "query Q($v: Boolean!) @a { a: x @skip(if: $v) ...F ... on Query @b { b: y { c: z } } }
             fragment F on Query @c { d: w @include(if: true) }",
        );
        assert_eq!(counted.aliases, 4);
        assert_eq!(counted.directives, 5);
    }

    #[test]
    fn root_fields_are_counted_through_fragments_once_each() {
        let counted = counts(
            "{ a ...F ...F ... on Query { b c } } fragment F on Query { d e ...G } \
             fragment G on Query { f ...F }",
        );
        assert_eq!(counted.root_fields, 6, "a, b, c, d, e, f");
    }

    #[test]
    fn the_widest_operation_counts_for_root_fields() {
        let counted = counts("query A { a b } query B { a b c }");
        assert_eq!(counted.root_fields, 3);
    }

    #[test]
    fn a_connection_costs_its_page_times_its_children() {
        assert_eq!(connection_cost(Some(10), None, 5), 51);
        assert_eq!(connection_cost(None, Some(3), 5), 16);
        assert_eq!(
            connection_cost(None, None, 5),
            101,
            "the default page of 20"
        );
        assert_eq!(connection_cost(Some(-4), None, 5), 1);
        assert_eq!(
            connection_cost(Some(i32::MAX), None, 5),
            501,
            "at most 100 rows"
        );
    }
}
