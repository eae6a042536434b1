//! The OpenAPI 3.1 document of the JSON API, served at
//! `/api/v1/openapi.json`. Written out here rather than generated: a test
//! checks that it names every `/api/v1` route the router serves.

use axum::Json;
use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
        "400": { "$ref": "#/components/responses/BadRequest" },
        "401": { "$ref": "#/components/responses/Unauthorised" },
        "403": { "$ref": "#/components/responses/Forbidden" },
        "404": { "$ref": "#/components/responses/NotFound" },
        "422": { "$ref": "#/components/responses/Invalid" }
    })
}

fn with_errors(mut ok: Value) -> Value {
    if let (Some(map), Value::Object(errors)) = (ok.as_object_mut(), error_responses()) {
        map.extend(errors);
    }
    ok
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn object(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } })
}

fn id(name: &str, what: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": what, "schema": { "type": "string", "format": "uuid" } })
}

fn idempotency() -> Value {
    json!({ "$ref": "#/components/parameters/IdempotencyKey" })
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Convene API",
            "version": "1",
            "description": "Convene's JSON API for partners' systems. Authenticate with a bearer token (`convene token create`) carrying the scope each operation names. Every POST that creates or moves something honours an Idempotency-Key."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": with_media_type_errors(paths()),
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "parameters": parameters(),
            "responses": responses(),
            "schemas": schemas()
        }
    })
}

/// Every operation that takes a body answers 415 to a body that is not
/// JSON.
fn with_media_type_errors(mut paths: Value) -> Value {
    let operations = paths
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        if operation.get("requestBody").is_some()
            && let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
        {
            responses.insert(
                "415".to_string(),
                json!({ "$ref": "#/components/responses/NotJson" }),
            );
        }
    }
    paths
}

fn paths() -> Value {
    json!({
        "/api/v1/me": { "get": {
            "summary": "The token's account and its memberships (scope: account)",
            "operationId": "me",
            "responses": with_errors(json!({ "200": object("The account") }))
        }},
        "/api/v1/audit": { "get": {
            "summary": "Search the audit trail (scope: audit:read)",
            "operationId": "searchAudit",
            "parameters": [
                { "name": "action", "in": "query", "schema": { "type": "string", "enum": convene_domain::audit::AuditAction::ALL.map(|a| a.code()).to_vec() } },
                { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
            ],
            "responses": with_errors(json!({ "200": object("A page of events with the total") }))
        }},
        "/api/v1/services": {
            "get": {
                "summary": "The directory listings the token may manage (scope: directory)",
                "operationId": "listServices",
                "responses": with_errors(json!({ "200": object("Listings") }))
            },
            "post": {
                "summary": "Propose (or, for coordinators, publish) a new listing (scope: directory)",
                "operationId": "createService",
                "parameters": [{ "name": "organisation_id", "in": "query", "required": true, "schema": { "type": "string", "format": "uuid" } }],
                "requestBody": body("ServiceForm"),
                "responses": with_errors(json!({ "200": object("The change, pending approval"), "201": object("The listing, published") }))
            }
        },
        "/api/v1/services/{id}": {
            "parameters": [id("id", "The service")],
            "get": {
                "summary": "A listing with its ORUK document and Convene's own fields (scope: directory)",
                "operationId": "getService",
                "responses": with_errors(json!({ "200": object("The listing") }))
            },
            "put": {
                "summary": "Change a listing (scope: directory)",
                "operationId": "updateService",
                "requestBody": body("ServiceForm"),
                "responses": with_errors(json!({ "200": object("The change") }))
            }
        },
        "/api/v1/referrals": {
            "get": {
                "summary": "A page of the referrals received and made by each of the token's organisations, newest change first, with totals (scope: referrals)",
                "operationId": "listReferrals",
                "parameters": [
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1_000_000 } },
                    { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } }
                ],
                "responses": with_errors(json!({ "200": object("For each organisation, a page of what it received and made, and how many of each") }))
            },
            "post": {
                "summary": "Make a referral, with its sharing decision; sent at once if `send` (scope: referrals)",
                "operationId": "createReferral",
                "parameters": [idempotency()],
                "requestBody": body("ReferralIn"),
                "responses": with_errors(json!({ "201": { "description": "Made", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Moved" } } } } }))
            }
        },
        "/api/v1/referrals/{id}": {
            "parameters": [id("id", "The referral")],
            "get": {
                "summary": "A referral, its people, history and appointments (scope: referrals; audited)",
                "operationId": "getReferral",
                "responses": with_errors(json!({ "200": object("The referral") }))
            }
        },
        "/api/v1/referrals/{id}/transitions": {
            "parameters": [id("id", "The referral")],
            "post": {
                "summary": "Move a referral: send, open, accept, decline, redirect or close (scope: referrals)",
                "operationId": "moveReferral",
                "parameters": [idempotency()],
                "requestBody": body("TransitionIn"),
                "responses": with_errors(json!({ "200": { "description": "Moved", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Moved" } } } } }))
            }
        },
        "/api/v1/referrals/{id}/appointments": {
            "parameters": [id("id", "The referral")],
            "post": {
                "summary": "Book an appointment on an accepted referral (receiving service; scope: referrals)",
                "operationId": "bookAppointment",
                "parameters": [idempotency()],
                "requestBody": body("BookingIn"),
                "responses": with_errors(json!({ "201": object("Booked") }))
            }
        },
        "/api/v1/referrals/{id}/appointments/{appointment_id}": {
            "parameters": [id("id", "The referral"), id("appointment_id", "The appointment")],
            "post": {
                "summary": "Record what happened: attended, did not attend, was not brought, cancelled, or rescheduled (scope: referrals)",
                "operationId": "changeAppointment",
                "parameters": [idempotency()],
                "requestBody": body("ChangeIn"),
                "responses": with_errors(json!({ "200": object("Recorded") }))
            }
        }
    })
}

fn parameters() -> Value {
    json!({
        "IdempotencyKey": {
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "The same key with the same request replays the first answer (with `Idempotent-Replayed: true`); with a different request it is refused with 422.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 200 }
        }
    })
}

fn responses() -> Value {
    json!({
        "BadRequest": { "description": "The request cannot be read", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "Unauthorised": { "description": "No valid token", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "Forbidden": { "description": "The token may not do this", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "NotFound": { "description": "No such thing, or not the token's to see", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "Invalid": { "description": "Refused, with the reasons; nothing changed", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "NotJson": { "description": "The body is not JSON (Content-Type: application/json)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let mut all = json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": string, "message": string } } } },
        "Moved": { "type": "object", "required": ["id", "state", "version"], "properties": { "id": { "type": "string", "format": "uuid" }, "state": { "enum": ["draft", "sent", "opened", "accepted", "declined", "redirected", "closed"] }, "version": { "type": "integer" } } },
        "ServiceForm": { "type": "object", "properties": {
            "name": string, "description": string, "status": string, "minimum_age": string, "maximum_age": string,
            "cost": string, "needs": strings, "days": strings, "opens_at": string, "closes_at": string,
            "place_name": string, "address": string, "postcode": string, "email": string, "phone": string,
            "url": string, "delivery": strings, "who_can_refer": { "enum": ["self", "professional", "both"] } } }
    });
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), referral_schemas()) {
        map.extend(more);
    }
    all
}

fn referral_schemas() -> Value {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "Person": { "type": "object", "required": ["given_name", "family_name"], "additionalProperties": false, "properties": {
                    "given_name": string, "family_name": string, "date_of_birth": { "type": "string", "format": "date" },
                    "phone": string, "email": string, "contact_preference": { "enum": ["phone", "text", "email", "letter", "through_referrer"] },
                    "preferred_language": string, "school": string, "postcode": string,
                    "relationship": { "enum": ["mother", "father", "parent", "step_parent", "foster_carer", "kinship_carer", "grandparent", "guardian"] } } },
                "ReferralIn": { "type": "object", "required": ["service_id", "reason", "urgency", "sharing"], "additionalProperties": false, "properties": {
                    "organisation_id": { "type": "string", "format": "uuid" },
                    "service_id": { "type": "string", "format": "uuid" },
                    "child_id": { "type": "string", "format": "uuid", "description": "A child already on record, instead of child" },
                    "child": { "$ref": "#/components/schemas/Person" },
                    "parent": { "$ref": "#/components/schemas/Person" },
                    "needs": strings, "reason": string,
                    "urgency": { "enum": ["routine", "soon", "urgent"] },
                    "sharing": { "type": "object", "required": ["basis", "items", "purpose", "privacy_notice_version"], "additionalProperties": false, "properties": {
                        "basis": { "enum": ["consent", "public_task", "legal_obligation", "vital_interests", "legitimate_interests"] },
                        "items": { "type": "array", "items": { "enum": ["name", "date_of_birth", "contact_details", "postcode", "school", "needs", "reason", "health"] } },
                        "purpose": string, "justification": string,
                        "health_condition": { "enum": ["", "explicit_consent", "health_or_social_care", "safeguarding_children", "vital_interests"] },
                        "privacy_notice_version": string } },
                    "send": { "type": "boolean" } } },
                "TransitionIn": { "type": "object", "required": ["transition", "version"], "additionalProperties": false, "properties": {
                    "transition": { "enum": ["send", "open", "accept", "decline", "redirect", "close"] },
                    "version": { "type": "integer" }, "reason": string,
                    "to_service": { "type": "string", "format": "uuid" },
                    "outcome": { "enum": ["needs_met", "partly_met", "not_met", "family_withdrew", "could_not_contact"] } } },
                "BookingIn": { "type": "object", "required": ["starts_at", "duration_minutes", "mode"], "additionalProperties": false, "properties": {
                    "starts_at": { "type": "string", "format": "date-time" },
                    "duration_minutes": { "type": "integer", "minimum": 5, "maximum": 480 },
                    "mode": { "enum": ["in_person", "online", "phone"] }, "place": string } },
                "ChangeIn": { "type": "object", "required": ["change", "version"], "additionalProperties": false, "properties": {
                    "change": { "enum": ["attended", "did_not_attend", "was_not_brought", "cancelled_by_family", "cancelled_by_service", "reschedule"] },
                    "version": { "type": "integer" },
                    "to": { "type": "string", "format": "date-time" } } }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => found.push(target.clone()),
                        _ => refs(inner, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_every_operation_is_named() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 20);
        for target in found {
            let pointer = target.trim_start_matches('#');
            assert!(
                document.pointer(pointer).is_some(),
                "{target} does not resolve"
            );
        }
        let mut ids = std::collections::HashSet::new();
        for operations in document["paths"].as_object().unwrap().values() {
            for (method, operation) in operations.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(ids.insert(id.to_string()), "{id} twice");
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{id} documents 401"
                );
            }
        }
    }
}
