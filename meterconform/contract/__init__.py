"""The contract: the service model, the clause catalog and its public sources, response schemas, traceability."""
