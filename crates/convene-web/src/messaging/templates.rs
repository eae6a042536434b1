//! Coordinators' message templates: the wording of every kind of message
//! Convene sends, per language, with a preview using sample values.
//!
//! Adding a language works without JavaScript. The list page's "Add a
//! language" form is a plain GET to the list itself
//! (`/messaging/templates?kind=reminder&language=Polish`); the list checks
//! both and redirects (303) to that language's edit page,
//! `/messaging/templates/reminder/polish`. The edit page serves any
//! language, saved or not: one not yet saved starts from the wording those
//! families get today (the saved English one, else the built-in one), and
//! nothing is stored until the coordinator presses Save. So there is one
//! form, one URL per kind and language, and no hidden "add" mode.

use askama::Template as _;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::directory::schedules::london_time;
use convene_domain::messaging::templates::{
    Audience, DEFAULT_LANGUAGE, MAX_SMS_FRAGMENTS, MessageKind, Rendered, Template, TemplateError,
    check, sms_fragments,
};
use convene_store::messaging::templates::{self as store, Saved, TemplateSaveError, language_key};
use convene_store::{StoreError, audit};
use serde::Deserialize;

use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::identity::extract::Authorised;
use crate::identity::extract::permissions::ApproveServices;
use crate::page::Page;
use crate::state::AppState;

/// The longest language name the store keeps.
const LANGUAGE_LIMIT: usize = 16;

/// A language's key (as stored), if it is one the store can keep.
fn language_of(text: &str) -> Option<String> {
    let key = language_key(text);
    let fits = !key.is_empty()
        && key.chars().count() <= LANGUAGE_LIMIT
        && key.chars().all(|c| !c.is_control() && c != '/');
    fits.then_some(key)
}

/// A language key as people write it: "scottish gaelic" is "Scottish Gaelic".
fn language_name(key: &str) -> String {
    key.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// One path segment, percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn edit_path(kind: MessageKind, language: &str) -> String {
    format!("/messaging/templates/{}/{}", kind.code(), segment(language))
}

/// Who a kind of message goes to, and how.
fn audience_text(kind: MessageKind) -> &'static str {
    match kind.audience() {
        Audience::Family => "Families, by text message (or email if they prefer)",
        Audience::Staff => "Staff, by email",
    }
}

fn when(at: DateTime<Utc>) -> String {
    london_time(at).format("%-d %B %Y, %-I:%M%P").to_string()
}

pub struct LanguageLink {
    pub href: String,
    pub name: String,
    /// English with nothing saved: the built-in wording is used.
    pub built_in: bool,
}

pub struct KindRow {
    pub kind: MessageKind,
    pub audience: &'static str,
    pub languages: Vec<LanguageLink>,
}

#[derive(askama::Template)]
#[template(path = "messaging/templates.html")]
struct ListPage {
    page: Page,
    rows: Vec<KindRow>,
    kinds: [MessageKind; 7],
    errors: FormErrors,
    chosen_kind: String,
    chosen_language: String,
    notice: Option<&'static str>,
}

/// The list's query: the "Add a language" form, or the notice after a
/// change.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<ApproveServices>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let mut errors = FormErrors::default();
    if query.kind.is_some() || query.language.is_some() {
        let kind = MessageKind::parse(query.kind.as_deref().unwrap_or_default());
        if kind.is_none() {
            errors.add("kind", "Select the message the new language is for");
        }
        let language = language_of(query.language.as_deref().unwrap_or_default());
        if language.is_none() {
            errors.add(
                "language",
                "Enter the language, in up to 16 letters, like Polish or Urdu",
            );
        }
        if let (Some(kind), Some(language)) = (kind, language) {
            return Ok(Redirect::to(&edit_path(kind, &language)).into_response());
        }
    }
    let saved = store::all(state.store.conn()).await?;
    let rows = MessageKind::ALL
        .into_iter()
        .map(|kind| {
            let english_saved = saved
                .iter()
                .any(|s| s.kind == kind && s.language == DEFAULT_LANGUAGE);
            let mut languages = vec![LanguageLink {
                href: edit_path(kind, DEFAULT_LANGUAGE),
                name: language_name(DEFAULT_LANGUAGE),
                built_in: !english_saved,
            }];
            languages.extend(
                saved
                    .iter()
                    .filter(|s| s.kind == kind && s.language != DEFAULT_LANGUAGE)
                    .map(|s| LanguageLink {
                        href: edit_path(kind, &s.language),
                        name: language_name(&s.language),
                        built_in: false,
                    }),
            );
            KindRow {
                kind,
                audience: audience_text(kind),
                languages,
            }
        })
        .collect();
    let notice = match query.done.as_deref() {
        Some("saved") => Some("The wording is saved. Messages sent from now on use it."),
        Some("reset") => Some(
            "The saved wording is removed. Messages sent from now on use the built-in wording.",
        ),
        _ => None,
    };
    let template = ListPage {
        page,
        rows,
        kinds: MessageKind::ALL,
        chosen_kind: query.kind.unwrap_or_default(),
        chosen_language: query.language.unwrap_or_default(),
        errors,
        notice,
    };
    Ok(Html(template.render()?).into_response())
}

#[derive(askama::Template)]
#[template(path = "messaging/template.html")]
struct EditPage {
    page: Page,
    kind: MessageKind,
    family: bool,
    audience: &'static str,
    language_name: String,
    action: String,
    /// Where the text in the form came from, when first shown.
    source: String,
    /// A template saved in this language exists (so it can be reset).
    saved: bool,
    english: bool,
    subject: String,
    body: String,
    variables: Vec<String>,
    preview: Option<Rendered>,
    fragments: usize,
    max_fragments: usize,
    errors: FormErrors,
}

/// The kind and language named by the path, or 404.
fn target(kind: &str, language: &str) -> Result<(MessageKind, String), AppError> {
    let kind = MessageKind::parse(kind).ok_or(AppError::NotFound)?;
    let language = language_of(language).ok_or(AppError::NotFound)?;
    Ok((kind, language))
}

/// What is saved for `kind`: in `language`, and in English.
async fn saved_for(
    state: &AppState,
    kind: MessageKind,
    language: &str,
) -> Result<(Option<Saved>, bool), AppError> {
    let all = store::all(state.store.conn()).await?;
    let english = all
        .iter()
        .any(|s| s.kind == kind && s.language == DEFAULT_LANGUAGE);
    let this = all
        .into_iter()
        .find(|s| s.kind == kind && s.language == language);
    Ok((this, english))
}

/// The text the edit page starts from: where the form's words came from.
fn describe_source(language: &str, saved: Option<&Saved>, english_saved: bool) -> String {
    let name = language_name(language);
    match saved {
        Some(saved) => format!(
            "This is the saved {name} wording, last changed {}.",
            when(saved.updated_at)
        ),
        None if language == DEFAULT_LANGUAGE => {
            "This is the built-in wording. Change it and save to use your own.".to_string()
        }
        None => format!(
            "There is no {name} wording yet. The form starts from the {} English wording, which families who prefer {name} get until you save this.",
            if english_saved { "saved" } else { "built-in" }
        ),
    }
}

/// The field a template error belongs to.
fn form_errors(error: &TemplateError) -> FormErrors {
    let field = match error {
        TemplateError::DoesNotRender { part, .. } | TemplateError::Empty { part }
            if *part == "subject" =>
        {
            "subject"
        }
        _ => "body",
    };
    FormErrors::one(field, error.to_string())
}

struct Shown {
    source: String,
    saved: bool,
    template: Template,
    checked: Result<Rendered, TemplateError>,
}

fn edit_page(
    page: Page,
    kind: MessageKind,
    language: &str,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (preview, errors) = match shown.checked {
        Ok(rendered) => (Some(rendered), FormErrors::default()),
        Err(error) => (None, form_errors(&error)),
    };
    let fragments = preview.as_ref().map_or(0, |r| sms_fragments(&r.body));
    let template = EditPage {
        page,
        kind,
        family: kind.audience() == Audience::Family,
        audience: audience_text(kind),
        language_name: language_name(language),
        action: edit_path(kind, language),
        source: shown.source,
        saved: shown.saved,
        english: language == DEFAULT_LANGUAGE,
        subject: shown.template.subject,
        body: shown.template.body,
        variables: kind
            .variables()
            .iter()
            .map(|name| format!("{{{{ {name} }}}}"))
            .collect(),
        preview,
        fragments,
        max_fragments: MAX_SMS_FRAGMENTS,
        errors,
    };
    Ok((status, Html(template.render()?)).into_response())
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    _who: Authorised<ApproveServices>,
    Path((kind, language)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (kind, language) = target(&kind, &language)?;
    let (saved, english_saved) = saved_for(&state, kind, &language).await?;
    let template = store::find(state.store.conn(), kind, Some(&language)).await?;
    let shown = Shown {
        source: describe_source(&language, saved.as_ref(), english_saved),
        saved: saved.is_some(),
        checked: check(kind, &template),
        template,
    };
    edit_page(page, kind, &language, shown, StatusCode::OK)
}

/// The edit form as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `preview`, `save` or `reset`.
    #[serde(default)]
    action: String,
}

/// Browsers send a textarea's line breaks as CRLF; a text message counts
/// each character, so keep one.
fn plain(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Previews, saves or resets a template. A template that does not render
/// (or does not fit) is shown again with the problem, and nothing is saved.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ApproveServices>,
    Path((kind, language)): Path<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    let (kind, language) = target(&kind, &language)?;
    let (saved, english_saved) = saved_for(&state, kind, &language).await?;
    let template = Template {
        subject: plain(&form.subject),
        body: plain(&form.body),
    };
    let object = format!("{}/{}", kind.code(), language);
    match form.action.as_str() {
        "preview" | "save" => {
            let checked = check(kind, &template);
            let refused = checked.is_err();
            if form.action == "preview" || refused {
                let shown = Shown {
                    source: describe_source(&language, saved.as_ref(), english_saved),
                    saved: saved.is_some(),
                    template,
                    checked,
                };
                let status = if refused {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::OK
                };
                return edit_page(page, kind, &language, shown, status);
            }
            let entry = who
                .audit(AuditAction::MessagingChanged, &state, &address)
                .on("message_template", &object)
                .because("saved");
            let by = who.visitor.account.id;
            let now = state.clock.now();
            state
                .store
                .transaction(move |txn| {
                    Box::pin(async move {
                        store::save(txn, kind, &language, &template, by, now)
                            .await
                            .map_err(|error| match error {
                                TemplateSaveError::Store(error) => error,
                                other => StoreError::Refused(other.to_string()),
                            })?;
                        audit::record_in(txn, entry).await?;
                        Ok(())
                    })
                })
                .await?;
            Ok(Redirect::to("/messaging/templates?done=saved").into_response())
        }
        "reset" => {
            if saved.is_some() {
                let entry = who
                    .audit(AuditAction::MessagingChanged, &state, &address)
                    .on("message_template", &object)
                    .because("went back to the built-in wording");
                state
                    .store
                    .transaction(move |txn| {
                        Box::pin(async move {
                            store::reset(txn, kind, &language).await?;
                            audit::record_in(txn, entry).await?;
                            Ok(())
                        })
                    })
                    .await?;
            }
            Ok(Redirect::to("/messaging/templates?done=reset").into_response())
        }
        _ => Err(AppError::BadRequest(
            "Choose Preview, Save or Go back to the built-in wording".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_named_and_linked_safely() {
        assert_eq!(language_of(" Polish "), Some("polish".to_string()));
        assert_eq!(language_of(""), None);
        assert_eq!(language_of("a/b"), None);
        assert_eq!(language_of(&"x".repeat(17)), None);
        assert_eq!(language_name("scottish gaelic"), "Scottish Gaelic");
        assert_eq!(segment("português"), "portugu%C3%AAs");
        assert_eq!(segment("scottish gaelic"), "scottish%20gaelic");
    }
}
