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
    /// The other spelling, read when the written one is absent.
    pub also: Option<&'static str>,
    /// Every column, in the order written: the header line of the file.
    pub header: &'static str,
    /// The columns that hold numbers; the rest hold text.
    pub numbers: &'static [&'static str],
    /// Columns a file must have.
    pub required: &'static [&'static str],
    pub parents: &'static [Parent],
    pub embeds: &'static [Embed],
}

impl Table {
    pub fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.header.split(',')
    }

    /// How the column's cells read, if the table has it.
    pub fn cell(&self, column: &str) -> Option<Cell> {
        let numeric = self.numbers.contains(&column);
        self.columns().any(|c| c == column).then_some(if numeric {
            Cell::Number
        } else {
            Cell::Text
        })
    }
}

const fn parent(column: &'static str, kinds: &'static [Kind], key: &'static str) -> Parent {
    Parent { column, kinds, key }
}

const HOLDS_ATTRIBUTES: &[Kind] = &[
    Kind::Service,
    Kind::Organization,
    Kind::OrganizationIdentifier,
    Kind::Location,
    Kind::Address,
    Kind::Accessibility,
    Kind::Contact,
];

/// Every table, parents before children. Headers follow the ORUK example
/// files (the fuller spelling where there are two), plus `languages.name`,
/// `code`, `note` and `cost_options.currency` from HSDS 3.0 (ADR 5).
#[rustfmt::skip] // one line per column list and link reads like the files
pub(super) static TABLES: [Table; 17] = [
    Table {
        kind: Kind::Service,
        file: "services.csv",
        also: Some("service.csv"),
        header: "id,organization_id,name,description,url,email,status,fees,accreditations,minimum_age,maximum_age,assured_date,assurer_email,alert,last_modified",
        numbers: &["minimum_age", "maximum_age"],
        required: &["id", "organization_id", "name", "status"],
        parents: &[],
        embeds: &[
            Embed { column: "organization_id", kind: Kind::Organization, key: "organization", keep_column: true, optional: true },
        ],
    },
    Table {
        kind: Kind::Organization,
        file: "organizations.csv",
        also: Some("organization.csv"),
        header: "id,name,description,email,website,logo,uri,parent_organization_id",
        numbers: &[],
        required: &["id", "name"],
        parents: &[],
        embeds: &[],
    },
    Table {
        kind: Kind::OrganizationIdentifier,
        file: "organization_identifiers.csv",
        also: Some("organization_identifier.csv"),
        header: "id,organization_id,identifier_scheme,identifier_type,identifier",
        numbers: &[],
        required: &["id", "organization_id"],
        parents: &[
            parent("organization_id", &[Kind::Organization], "organization_identifiers"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::ServiceAtLocation,
        file: "service_at_location.csv",
        also: Some("service_at_locations.csv"),
        header: "id,service_id,location_id",
        numbers: &[],
        required: &["id", "service_id", "location_id"],
        parents: &[
            parent("service_id", &[Kind::Service], "service_at_locations"),
        ],
        embeds: &[
            Embed { column: "location_id", kind: Kind::Location, key: "location", keep_column: false, optional: false },
        ],
    },
    Table {
        kind: Kind::Location,
        file: "locations.csv",
        also: Some("location.csv"),
        header: "id,location_type,name,description,latitude,longitude,external_identifier,external_identifier_type",
        numbers: &["latitude", "longitude"],
        required: &["id"],
        parents: &[],
        embeds: &[],
    },
    Table {
        kind: Kind::Address,
        file: "addresses.csv",
        also: Some("address.csv"),
        header: "id,location_id,attention,address_1,address_2,city,region,state_province,postal_code,country,address_type",
        numbers: &[],
        required: &["id", "location_id"],
        parents: &[
            parent("location_id", &[Kind::Location], "addresses"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Accessibility,
        file: "accessibility.csv",
        also: Some("accessibilities.csv"),
        header: "id,location_id,description,details,url,accessibility",
        numbers: &[],
        required: &["id", "location_id"],
        parents: &[
            parent("location_id", &[Kind::Location], "accessibility"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Contact,
        file: "contacts.csv",
        also: Some("contact.csv"),
        header: "id,service_id,name,title",
        numbers: &[],
        required: &["id", "service_id"],
        parents: &[
            parent("service_id", &[Kind::Service], "contacts"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Phone,
        file: "phones.csv",
        also: Some("phone.csv"),
        header: "id,contact_id,number,description",
        numbers: &[],
        required: &["id", "contact_id"],
        parents: &[
            parent("contact_id", &[Kind::Contact], "phones"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Language,
        file: "languages.csv",
        also: Some("language.csv"),
        header: "id,service_id,phone_id,name,code,note",
        numbers: &[],
        required: &["id"],
        parents: &[
            parent("service_id", &[Kind::Service], "languages"),
            parent("phone_id", &[Kind::Phone], "languages"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Schedule,
        file: "schedules.csv",
        also: Some("schedule.csv"),
        header: "id,service_id,location_id,service_at_location_id,valid_from,valid_to,dtstart,timezone,until,count,wkst,freq,interval,byday,byweekno,bymonthday,byyearday,description,opens_at,closes_at,schedule_link,attending_type,notes",
        numbers: &["timezone", "count", "interval"],
        required: &["id"],
        parents: &[
            parent("service_id", &[Kind::Service], "schedules"),
            parent("service_at_location_id", &[Kind::ServiceAtLocation], "schedules"),
            parent("location_id", &[Kind::Location], "schedules"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::ServiceArea,
        file: "service_areas.csv",
        also: Some("service_area.csv"),
        header: "id,service_id,name,extent,extent_type,uri,service_area",
        numbers: &[],
        required: &["id", "service_id"],
        parents: &[
            parent("service_id", &[Kind::Service], "service_areas"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::CostOption,
        file: "cost_options.csv",
        also: Some("cost_option.csv"),
        header: "id,service_id,valid_from,valid_to,option,currency,amount,amount_description",
        numbers: &["amount"],
        required: &["id", "service_id"],
        parents: &[
            parent("service_id", &[Kind::Service], "cost_options"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Funding,
        file: "funding.csv",
        also: Some("fundings.csv"),
        header: "id,service_id,source",
        numbers: &[],
        required: &["id", "service_id"],
        parents: &[
            parent("service_id", &[Kind::Service], "funding"),
        ],
        embeds: &[],
    },
    Table {
        kind: Kind::Attribute,
        file: "attribute.csv",
        also: Some("attributes.csv"),
        header: "id,link_id,taxonomy_term_id,link_type",
        numbers: &[],
        required: &["id", "link_id"],
        parents: &[
            parent("link_id", HOLDS_ATTRIBUTES, "attributes"),
        ],
        embeds: &[
            Embed { column: "taxonomy_term_id", kind: Kind::TaxonomyTerm, key: "taxonomy_term", keep_column: false, optional: false },
        ],
    },
    Table {
        kind: Kind::TaxonomyTerm,
        file: "taxonomy_terms.csv",
        also: Some("taxonomy_term.csv"),
        header: "id,name,description,parent_id,taxonomy,taxonomy_id,term_uri,term",
        numbers: &[],
        required: &["id", "name"],
        parents: &[],
        embeds: &[],
    },
    Table {
        kind: Kind::Taxonomy,
        file: "taxonomies.csv",
        also: Some("taxonomy.csv"),
        header: "id,name,description,uri,version",
        numbers: &[],
        required: &["id", "name"],
        parents: &[],
        embeds: &[],
    },
];

/// Files of the ORUK example set that hold nothing of an ORUK 3.0 service
/// document, so are not read.
pub(super) const NOT_READ: &[&str] = &[
    "programs.csv",
    "required_documents.csv",
    "meta_table_descriptions.csv",
];
