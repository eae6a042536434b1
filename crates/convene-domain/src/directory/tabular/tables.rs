//! The ORUK 3.0 tables Convene reads and writes: their file names, columns,
//! and how their rows nest into a service document.

/// The kinds of ORUK object a row can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Kind {
    Service,
    Organization,
    OrganizationIdentifier,
    ServiceAtLocation,
    Location,
    Address,
    Accessibility,
    Contact,
    Phone,
    Language,
    Schedule,
    ServiceArea,
    CostOption,
    Funding,
    Attribute,
    TaxonomyTerm,
    Taxonomy,
}

/// How a cell becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cell {
    Text,
    Number,
}

/// A row nests inside the object its `column` names: in that object's
/// `key` array. A row names its parent in the first of these columns that
/// it fills.
#[derive(Debug)]
pub(super) struct Parent {
    pub column: &'static str,
    /// The kinds the id may belong to (more than one only for attributes).
    pub kinds: &'static [Kind],
    pub key: &'static str,
}

/// A row refers to one shared object (a location, an organisation, a
/// taxonomy term) that is copied into it under `key`.
#[derive(Debug)]
pub(super) struct Embed {
    pub column: &'static str,
    pub kind: Kind,
    pub key: &'static str,
    /// Whether the id stays beside the copy (ORUK asks every service for
    /// `organization_id`; the other ids are only links).
    pub keep_column: bool,
    /// Whether the object may be absent from the set: a service may name
    /// its organisation only by id, as ORUK feeds may.
    pub optional: bool,
}

#[derive(Debug)]
pub(super) struct Table {
    pub kind: Kind,
    /// The name Convene writes.
    pub file: &'static str,
    /// Another spelling read when the written one is absent.
    pub also: Option<&'static str>,
    /// Every column, in the order written.
    pub columns: &'static [(&'static str, Cell)],
    /// Columns a file must have.
    pub required: &'static [&'static str],
    pub parents: &'static [Parent],
    pub embeds: &'static [Embed],
}

impl Table {
    pub fn cell(&self, column: &str) -> Option<Cell> {
        self.columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, cell)| *cell)
    }
}

use Cell::{Number as N, Text as T};

const HOLDS_ATTRIBUTES: &[Kind] = &[
    Kind::Service,
    Kind::Organization,
    Kind::OrganizationIdentifier,
    Kind::Location,
    Kind::Address,
    Kind::Accessibility,
    Kind::Contact,
];

/// Every table, parents before children.
pub(super) fn tables() -> [Table; 17] {
    [
        Table {
            kind: Kind::Service,
            file: "services.csv",
            also: None,
            columns: &[
                ("id", T),
                ("organization_id", T),
                ("name", T),
                ("description", T),
                ("url", T),
                ("email", T),
                ("status", T),
                ("fees", T),
                ("accreditations", T),
                ("minimum_age", N),
                ("maximum_age", N),
                ("assured_date", T),
                ("assurer_email", T),
                ("alert", T),
                ("last_modified", T),
            ],
            required: &["id", "organization_id", "name", "status"],
            parents: &[],
            embeds: &[Embed {
                column: "organization_id",
                kind: Kind::Organization,
                key: "organization",
                keep_column: true,
                optional: true,
            }],
        },
        Table {
            kind: Kind::Organization,
            file: "organizations.csv",
            also: Some("organization.csv"),
            columns: &[
                ("id", T),
                ("name", T),
                ("description", T),
                ("email", T),
                ("website", T),
                ("logo", T),
                ("uri", T),
                ("parent_organization_id", T),
            ],
            required: &["id", "name"],
            parents: &[],
            embeds: &[],
        },
        Table {
            kind: Kind::OrganizationIdentifier,
            file: "organization_identifiers.csv",
            also: Some("organization_identifier.csv"),
            columns: &[
                ("id", T),
                ("organization_id", T),
                ("identifier_scheme", T),
                ("identifier_type", T),
                ("identifier", T),
            ],
            required: &["id", "organization_id"],
            parents: &[Parent {
                column: "organization_id",
                kinds: &[Kind::Organization],
                key: "organization_identifiers",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::ServiceAtLocation,
            file: "service_at_location.csv",
            also: Some("service_at_locations.csv"),
            columns: &[("id", T), ("service_id", T), ("location_id", T)],
            required: &["id", "service_id", "location_id"],
            parents: &[Parent {
                column: "service_id",
                kinds: &[Kind::Service],
                key: "service_at_locations",
            }],
            embeds: &[Embed {
                column: "location_id",
                kind: Kind::Location,
                key: "location",
                keep_column: false,
                optional: false,
            }],
        },
        Table {
            kind: Kind::Location,
            file: "locations.csv",
            also: Some("location.csv"),
            columns: &[
                ("id", T),
                ("location_type", T),
                ("name", T),
                ("description", T),
                ("latitude", N),
                ("longitude", N),
                ("external_identifier", T),
                ("external_identifier_type", T),
            ],
            required: &["id"],
            parents: &[],
            embeds: &[],
        },
        Table {
            kind: Kind::Address,
            file: "addresses.csv",
            also: Some("address.csv"),
            columns: &[
                ("id", T),
                ("location_id", T),
                ("attention", T),
                ("address_1", T),
                ("address_2", T),
                ("city", T),
                ("region", T),
                ("state_province", T),
                ("postal_code", T),
                ("country", T),
                ("address_type", T),
            ],
            required: &["id", "location_id"],
            parents: &[Parent {
                column: "location_id",
                kinds: &[Kind::Location],
                key: "addresses",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Accessibility,
            file: "accessibility.csv",
            also: Some("accessibilities.csv"),
            columns: &[
                ("id", T),
                ("location_id", T),
                ("description", T),
                ("details", T),
                ("url", T),
                ("accessibility", T),
            ],
            required: &["id", "location_id"],
            parents: &[Parent {
                column: "location_id",
                kinds: &[Kind::Location],
                key: "accessibility",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Contact,
            file: "contacts.csv",
            also: Some("contact.csv"),
            columns: &[("id", T), ("service_id", T), ("name", T), ("title", T)],
            required: &["id", "service_id"],
            parents: &[Parent {
                column: "service_id",
                kinds: &[Kind::Service],
                key: "contacts",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Phone,
            file: "phones.csv",
            also: Some("phone.csv"),
            columns: &[
                ("id", T),
                ("contact_id", T),
                ("number", T),
                ("description", T),
            ],
            required: &["id", "contact_id"],
            parents: &[Parent {
                column: "contact_id",
                kinds: &[Kind::Contact],
                key: "phones",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Language,
            file: "languages.csv",
            also: Some("language.csv"),
            columns: &[
                ("id", T),
                ("service_id", T),
                ("phone_id", T),
                ("name", T),
                ("code", T),
                ("note", T),
            ],
            required: &["id"],
            parents: &[
                Parent {
                    column: "service_id",
                    kinds: &[Kind::Service],
                    key: "languages",
                },
                Parent {
                    column: "phone_id",
                    kinds: &[Kind::Phone],
                    key: "languages",
                },
            ],
            embeds: &[],
        },
        Table {
            kind: Kind::Schedule,
            file: "schedules.csv",
            also: Some("schedule.csv"),
            columns: &[
                ("id", T),
                ("service_id", T),
                ("location_id", T),
                ("service_at_location_id", T),
                ("valid_from", T),
                ("valid_to", T),
                ("dtstart", T),
                ("timezone", N),
                ("until", T),
                ("count", N),
                ("wkst", T),
                ("freq", T),
                ("interval", N),
                ("byday", T),
                ("byweekno", T),
                ("bymonthday", T),
                ("byyearday", T),
                ("description", T),
                ("opens_at", T),
                ("closes_at", T),
                ("schedule_link", T),
                ("attending_type", T),
                ("notes", T),
            ],
            required: &["id"],
            parents: &[
                Parent {
                    column: "service_id",
                    kinds: &[Kind::Service],
                    key: "schedules",
                },
                Parent {
                    column: "service_at_location_id",
                    kinds: &[Kind::ServiceAtLocation],
                    key: "schedules",
                },
                Parent {
                    column: "location_id",
                    kinds: &[Kind::Location],
                    key: "schedules",
                },
            ],
            embeds: &[],
        },
        Table {
            kind: Kind::ServiceArea,
            file: "service_areas.csv",
            also: Some("service_area.csv"),
            columns: &[
                ("id", T),
                ("service_id", T),
                ("name", T),
                ("extent", T),
                ("extent_type", T),
                ("uri", T),
                ("service_area", T),
            ],
            required: &["id", "service_id"],
            parents: &[Parent {
                column: "service_id",
                kinds: &[Kind::Service],
                key: "service_areas",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::CostOption,
            file: "cost_options.csv",
            also: Some("cost_option.csv"),
            columns: &[
                ("id", T),
                ("service_id", T),
                ("valid_from", T),
                ("valid_to", T),
                ("option", T),
                ("currency", T),
                ("amount", N),
                ("amount_description", T),
            ],
            required: &["id", "service_id"],
            parents: &[Parent {
                column: "service_id",
                kinds: &[Kind::Service],
                key: "cost_options",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Funding,
            file: "funding.csv",
            also: Some("fundings.csv"),
            columns: &[("id", T), ("service_id", T), ("source", T)],
            required: &["id", "service_id"],
            parents: &[Parent {
                column: "service_id",
                kinds: &[Kind::Service],
                key: "funding",
            }],
            embeds: &[],
        },
        Table {
            kind: Kind::Attribute,
            file: "attribute.csv",
            also: Some("attributes.csv"),
            columns: &[
                ("id", T),
                ("link_id", T),
                ("taxonomy_term_id", T),
                ("link_type", T),
            ],
            required: &["id", "link_id"],
            parents: &[Parent {
                column: "link_id",
                kinds: HOLDS_ATTRIBUTES,
                key: "attributes",
            }],
            embeds: &[Embed {
                column: "taxonomy_term_id",
                kind: Kind::TaxonomyTerm,
                key: "taxonomy_term",
                keep_column: false,
                optional: false,
            }],
        },
        Table {
            kind: Kind::TaxonomyTerm,
            file: "taxonomy_terms.csv",
            also: Some("taxonomy_term.csv"),
            columns: &[
                ("id", T),
                ("name", T),
                ("description", T),
                ("parent_id", T),
                ("taxonomy", T),
                ("taxonomy_id", T),
                ("term_uri", T),
                ("term", T),
            ],
            required: &["id", "name"],
            parents: &[],
            embeds: &[],
        },
        Table {
            kind: Kind::Taxonomy,
            file: "taxonomies.csv",
            also: Some("taxonomy.csv"),
            columns: &[
                ("id", T),
                ("name", T),
                ("description", T),
                ("uri", T),
                ("version", T),
            ],
            required: &["id", "name"],
            parents: &[],
            embeds: &[],
        },
    ]
}

/// Files of the ORUK example set that hold nothing of an ORUK 3.0 service
/// document, so are not read.
pub(super) const NOT_READ: &[&str] = &[
    "programs.csv",
    "required_documents.csv",
    "meta_table_descriptions.csv",
];
