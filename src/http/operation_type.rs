//! What kind of operation a request would run: the operation its `operationName` selects
//! (any of the document's, without one), read from the parsed document.

use async_graphql::Request;
use async_graphql::parser::types::OperationType;

/// True when `request` would run an operation of type `ty`; a document that does not parse
/// runs nothing.
pub(super) fn selects(request: &mut Request, ty: OperationType) -> bool {
    let wanted = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&wanted, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty == ty
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selects_mutation(query: &str, name: Option<&str>) -> bool {
        let mut request = Request::new(query);
        if let Some(name) = name {
            request = request.operation_name(name);
        }
        selects(&mut request, OperationType::Mutation)
    }

    #[test]
    fn the_named_operation_decides() {
        let document = "query A { a } mutation B { b }";
        assert!(selects_mutation(document, Some("B")));
        assert!(!selects_mutation(document, Some("A")));
        assert!(selects_mutation(document, None), "any, without a name");
        assert!(!selects_mutation("{ a }", None));
        assert!(!selects_mutation("mutation {", None), "no document");
    }
}
